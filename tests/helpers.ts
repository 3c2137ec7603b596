/**
 * Test helpers: temporary projects and warehouses that clean themselves up,
 * running the real CLI as a subprocess, and real local HTTP servers.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resolveConfig, type ResolvedConfig, type WharfConfig } from "../src/config.ts";
import { assertArtifactsValid } from "./artifacts/dbt_schemas.ts";

/** The repository root. */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The bundled example project. */
export const CLINIC = join(REPO, "tests", "testdata", "clinic");
/** Real public files (excerpts), named in `tests/fixtures/real/SOURCES.md`. */
export const REAL = join(REPO, "tests", "fixtures", "real");

/** profiles.yml of a dbt project named `shop`: DuckDB, its dev target writing `dev.duckdb`. */
export const SHOP_PROFILE = `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: dev.duckdb
`;

/** A temporary project folder, removed on dispose (after checking the dbt artifacts in its target/). */
export interface TempProject extends AsyncDisposable {
  root: string;
  /** A warehouse path inside the folder (not created). */
  db: string;
  config: ResolvedConfig;
  /** Writes (or overwrites) a file relative to the root; returns its absolute path. */
  write(path: string, data: string | Uint8Array): Promise<string>;
  /** Removes a file relative to the root. */
  remove(path: string): Promise<void>;
}

/**
 * Creates a temporary project with `files` (path relative to the root →
 * content).
 *
 * @example
 * ```ts ignore
 * await using p = await tempProject({ "models/staging/a.sql": "select 1 as x" });
 * ```
 */
export async function tempProject(
  files: Record<string, string> = {},
  config: WharfConfig = {},
): Promise<TempProject> {
  const root = await Deno.makeTempDir({ prefix: "wharf_test_" });
  const write = async (path: string, data: string | Uint8Array) => {
    const full = join(root, path);
    await Deno.mkdir(dirname(full), { recursive: true });
    if (typeof data === "string") await Deno.writeTextFile(full, data);
    else await Deno.writeFile(full, data);
    return full;
  };
  for (const [path, text] of Object.entries(files)) await write(path, text);
  return {
    root,
    db: join(root, "warehouse.duckdb"),
    config: resolveConfig(root, config),
    write,
    remove: (path: string) => Deno.remove(join(root, path)),
    [Symbol.asyncDispose]: async () => {
      try {
        // Every artifact the suite produces is valid against dbt's schemas.
        await assertArtifactsValid(join(root, "target"));
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    },
  };
}

/**
 * A temporary project that is the repository's healthcare project (models,
 * sql and configuration linked), with its own warehouse and target folder.
 */
export async function healthcareProject(): Promise<TempProject> {
  const p = await tempProject();
  await Deno.symlink(join(REPO, "models"), join(p.root, "models"));
  await Deno.symlink(join(REPO, "sql"), join(p.root, "sql"));
  for (const dir of ["snapshots"]) {
    // Linked when the repository has one (the healthcare project ships no snapshot today).
    const there = await Deno.stat(join(REPO, dir)).then(() => true, () => false);
    if (there) await Deno.symlink(join(REPO, dir), join(p.root, dir));
  }
  await p.write(
    "wharf.config.ts",
    `export { default } from "${pathToFileURL(join(REPO, "wharf.config.ts")).href}";\n`,
  );
  return p;
}

/** Copies the example project into a temporary folder. */
export async function tempClinic(): Promise<TempProject> {
  const p = await tempProject();
  await copyDir(CLINIC, p.root);
  return p;
}

/** Copies the folder `from` into `to` (created), leaving out built files (`target/`, `*.duckdb`). */
export async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.name === "target" || e.name.endsWith(".duckdb")) continue;
    if (e.isDirectory) await copyDir(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

/** What a CLI run printed and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The real CLI as users start it (`deno run cli/main.ts …args`), colors off;
 * `options` sets the streams (piped by default) and the folder.
 */
export function cliCommand(
  args: readonly string[],
  options: Omit<Deno.CommandOptions, "args"> = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
    ...options,
    args: ["run", "--allow-all", join(REPO, "cli", "main.ts"), ...args],
    // The CLI resolves paths against INIT_CWD (what `deno task` sets) before its own folder.
    env: { NO_COLOR: "1", INIT_CWD: String(options.cwd ?? REPO), ...options.env },
  });
}

/** Runs the CLI to its end and returns what it printed and its exit code. */
export async function runCli(args: readonly string[], cwd = REPO): Promise<CliResult> {
  const out = await cliCommand(args, { cwd }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A real HTTP server on 127.0.0.1 (random port) for a test; dispose of it to stop it. */
export interface LocalServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Aborted when the server stops (for handlers that stream until then). */
  signal: AbortSignal;
}

/** Starts a {@linkcode LocalServer} answering with `handler`. */
export function serveLocal(handler: Deno.ServeHandler): LocalServer {
  const controller = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: controller.signal,
    onListen() {},
  }, handler);
  return {
    base: `http://127.0.0.1:${server.addr.port}`,
    signal: controller.signal,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await server.finished;
    },
  };
}

/** A process holding a warehouse: see {@linkcode holdWarehouse}. */
export interface WarehouseHolder extends AsyncDisposable {
  pid: number;
}

/**
 * Starts `tests/hold_warehouse.ts` on `db` (recording `command` as the holder,
 * if given) and resolves once it holds the file; dispose of it to let go.
 */
export async function holdWarehouse(db: string, command?: string): Promise<WarehouseHolder> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      join(REPO, "tests", "hold_warehouse.ts"),
      db,
      ...(command ? [command] : []),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const ready = (await reader.read()).value?.trim();
  if (ready !== "ready") throw new Error(`hold_warehouse.ts did not start: ${ready}`);
  return {
    pid: child.pid,
    async [Symbol.asyncDispose]() {
      await child.stdin.close();
      await reader.cancel();
      await child.status;
    },
  };
}

/** The rows `sql` returns from the warehouse file `db`, opened read-only for the query. */
export async function queryRows(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const { openWarehouse } = await import("../src/engine/db/warehouse.ts");
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    return await wh.query(sql);
  } finally {
    wh.close();
  }
}

/** The columns of `relation` (`schema.name`) in the warehouse file `db`, in order, as `name TYPE`. */
export async function columnTypes(db: string, relation: string): Promise<string[]> {
  const [schema, name] = relation.split(".");
  const rows = await queryRows(
    db,
    `select column_name, data_type from information_schema.columns where table_schema = '${schema}' and table_name = '${name}' order by ordinal_position`,
  );
  return rows.map((r) => `${r.column_name} ${r.data_type}`);
}
