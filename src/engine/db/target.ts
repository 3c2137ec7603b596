/**
 * Warehouse targets: what wharf opens as its warehouse or attaches beside
 * it, and everything that depends on what kind of thing that is. A local
 * DuckDB file (checked to be one, locked by DuckDB, with a record of the
 * wharf command holding it: `register_holder.ts`), `:memory:`, a MotherDuck
 * database (`md:<database>`) or a DuckLake (`ducklake:<metadata>`, attached
 * only). The last two are reached through DuckDB extensions, which wharf
 * never downloads: a target whose extension is not installed is refused
 * with the command that installs it.
 *
 * Features that need a local file (`wharf serve`'s snapshots, naming the
 * process that holds the warehouse) ask {@linkcode requireLocalFile}.
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import { DuckDBInstance } from "./duckdb.ts";
import {
  WarehouseBusyError,
  WarehouseError,
  WarehousePathError,
  WarehouseTargetError,
} from "../errors.ts";
import { parseTargetSpec, type TargetSpec } from "../target_spec.ts";
import { readAll } from "./read_all.ts";
import { describeHolder, findHolder, registerHolder } from "./register_holder.ts";
import { quoteIdent, quoteLiteral } from "./sql.ts";

/** Options of {@linkcode warehouseTarget}. */
export interface WarehouseTargetOptions {
  /** The name it is attached under; absent for the warehouse itself. */
  attachedAs?: string;
}

/** A warehouse or attached database, and what wharf can do with it. */
export interface WarehouseTarget {
  readonly kind: TargetSpec["kind"];
  /** As given: a path, `:memory:`, `md:<database>`, `ducklake:<metadata>`. */
  readonly spec: string;
  /** How messages name it: `warehouse "…"`, `attached database "lake" ("…")`. */
  readonly label: string;
  /** The local file, when it is one. */
  readonly file?: string;
  /** The DuckDB extension that reaches it, if any. */
  readonly extension?: "motherduck" | "ducklake";
  /**
   * Checks that it can be opened here (a file that is a DuckDB database or
   * absent; an installed extension and a token) and says whether it exists
   * (a remote one is taken to exist).
   *
   * @throws {WarehousePathError} for a folder or a file that is not a DuckDB database.
   * @throws {WarehouseTargetError} when its extension is not installed, or MotherDuck has no token.
   */
  prepare(): Promise<boolean>;
  /** The ATTACH statement for it under `name` (MotherDuck's own name is kept). */
  attachSql(name: string, readOnly: boolean): string;
  /** True when DuckDB refused it because another process holds its lock (worth waiting on). */
  isLocked(err: unknown): boolean;
  /** Records this process as its holder (local files only) and returns the release. */
  hold(command: string, readOnly: boolean): () => void;
  /** The error to show for `err`, raised opening or attaching it (naming the holder when known). */
  explain(err: unknown): Promise<WarehouseError>;
}

/** DuckDB's database files carry "DUCK" at byte 8. */
const MAGIC = new TextEncoder().encode("DUCK");

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True when `path` is a folder. */
async function isFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Checks that `path` can be a DuckDB database: missing (it will be created),
 * or a DuckDB database file. Returns whether it exists. `label` names it in
 * messages and `fix` says what to do instead.
 *
 * @throws {WarehousePathError} for a folder, a path in a folder that does
 * not exist, or a file that is not a DuckDB database (DuckDB would read a CSV or Parquet file as a view and build
 * into memory).
 */
export async function checkWarehousePath(
  path: string,
  options: { label?: string; fix?: string } = {},
): Promise<boolean> {
  const label = options.label ?? `Warehouse "${path}"`;
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    const folder = dirname(resolve(path));
    if (!(await isFolder(folder))) {
      throw new WarehousePathError(
        path,
        `${label} cannot be created: its folder "${folder}" does not exist: ${
          options.fix ??
            `create it (mkdir -p ${folder}), or pass --db with a path in an existing folder`
        }`,
      );
    }
    return false;
  }
  if (stat.isDirectory) {
    throw new WarehousePathError(
      path,
      `${label} is a folder: ${
        options.fix ?? `pass --db with a database file, e.g. --db ${path}/warehouse.duckdb`
      }`,
    );
  }
  const head = new Uint8Array(12);
  const file = await Deno.open(path, { read: true });
  let n = 0;
  try {
    while (n < head.length) {
      const r = await file.read(head.subarray(n));
      if (r === null) break;
      n += r;
    }
  } finally {
    file.close();
  }
  if (n === 0) {
    throw new WarehousePathError(
      path,
      `${label} is an empty file, not a DuckDB database: ${
        options.fix ??
          "delete it and wharf creates the warehouse there, or pass --db with another path"
      }`,
    );
  }
  if (n < head.length || MAGIC.some((b, i) => head[8 + i] !== b)) {
    throw new WarehousePathError(
      path,
      `${label} is not a DuckDB database: ${
        options.fix ??
          "pass --db with a .duckdb file, or a path that does not exist yet to create one"
      }; nothing was written`,
    );
  }
  return true;
}

/** DuckDB's version and platform, as its extension folders are named (`v1.5.5`, `linux_amd64`). */
async function duckdbBuild(): Promise<{ version: string; platform: string; installed: string[] }> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await readAll(
      connection,
      "SELECT version() AS version, (SELECT platform FROM pragma_platform()) AS platform, list(extension_name) FILTER (WHERE installed) AS installed FROM duckdb_extensions()",
    );
    const row = reader.getRowObjectsJson()[0] as {
      version: string;
      platform: string;
      installed: string[] | null;
    };
    return { version: row.version, platform: row.platform, installed: row.installed ?? [] };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Refuses a target whose extension is not installed, saying how to install
 * it where DuckDB can download it (wharf never downloads extensions).
 */
async function requireExtension(
  target: WarehouseTarget,
  extension: string,
  hint: string,
): Promise<void> {
  const build = await duckdbBuild();
  if (build.installed.includes(extension)) return;
  const folder = `~/.duckdb/extensions/${build.version}/${build.platform}/`;
  throw new WarehouseTargetError(
    target.spec,
    "extension",
    `Cannot open ${target.label}: DuckDB's ${extension} extension is not installed here, and wharf does not download extensions. Where DuckDB can download it, run once: deno task wharf sql --db :memory: --write "INSTALL ${extension}" (or copy ${extension}.duckdb_extension for DuckDB ${build.version} ${build.platform} into ${folder})${hint}; see "Other warehouses" in the README`,
  );
}

/**
 * A local DuckDB file. `fix` says what to do about a path that is not a
 * database (default: pass another --db); `other` what else to do while
 * another process holds it.
 */
function fileTarget(
  spec: string,
  label: string,
  fix: string | undefined,
  other: string,
): WarehouseTarget {
  return {
    kind: "file",
    spec,
    label,
    file: spec,
    prepare: () => checkWarehousePath(spec, { label: capitalize(label), fix }),
    attachSql: (name, readOnly) =>
      `ATTACH ${quoteLiteral(spec)} AS ${quoteIdent(name)}${readOnly ? " (READ_ONLY)" : ""}`,
    isLocked: (err) => /Could not set lock on file/.test(messageOf(err)),
    hold: (command, readOnly) => registerHolder(spec, command, { readOnly }),
    async explain(err) {
      const message = messageOf(err);
      const lock = /Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(message);
      const holder = lock && await findHolder(spec, Number(lock[2]), lock[1]!);
      if (holder) {
        return new WarehouseBusyError(
          spec,
          `Cannot open ${label}: ${describeHolder(holder)}: ${
            holder.readOnly ? "wait for it to finish or quit it" : "wait for it to finish"
          }${other}`,
          { cause: err },
        );
      }
      if (lock) {
        return new WarehouseBusyError(
          spec,
          `Cannot open ${label}: it is in use by another process (PID ${lock[2]}, ${
            lock[1]
          }): wait for it to finish or stop it${other}`,
          { cause: err },
        );
      }
      return new WarehouseError(spec, `Cannot open ${label}: ${message}`, { cause: err });
    },
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** True when MotherDuck has a token: in the environment or in the `md:` string itself. */
function hasMotherDuckToken(spec: string): boolean {
  return /[?&]motherduck_token=/.test(spec) ||
    !!(Deno.env.get("MOTHERDUCK_TOKEN") || Deno.env.get("motherduck_token"));
}

function remoteTarget(
  parsed: Extract<TargetSpec, { kind: "motherduck" | "ducklake" }>,
  label: string,
): WarehouseTarget {
  const extension = parsed.kind;
  const target: WarehouseTarget = {
    kind: parsed.kind,
    spec: parsed.spec,
    label,
    extension,
    async prepare() {
      const token = extension !== "motherduck" || hasMotherDuckToken(parsed.spec);
      await requireExtension(
        target,
        extension,
        token ? "" : ", and set MOTHERDUCK_TOKEN to a MotherDuck access token",
      );
      if (!token) {
        throw new WarehouseTargetError(
          parsed.spec,
          "token",
          `Cannot open ${label}: no MotherDuck access token: set MOTHERDUCK_TOKEN in the environment (a token from MotherDuck's settings, "Access tokens"); without one MotherDuck would wait for a sign-in in a browser`,
        );
      }
      return true;
    },
    attachSql: (name, readOnly) =>
      `ATTACH ${quoteLiteral(parsed.spec)}${
        extension === "motherduck" ? "" : ` AS ${quoteIdent(name)}`
      }${readOnly ? " (READ_ONLY)" : ""}`,
    isLocked: (err) => /Could not set lock on file/.test(messageOf(err)),
    hold: () => () => {},
    explain: (err) =>
      Promise.resolve(
        new WarehouseError(parsed.spec, `Cannot open ${label}: ${messageOf(err)}`, { cause: err }),
      ),
  };
  return target;
}

/**
 * The target `spec` names (a path is taken as given, relative to the
 * current folder).
 *
 * @throws {ConfigError} for a scheme wharf does not know.
 * @throws {WarehouseTargetError} for a DuckLake given as the warehouse
 * itself: DuckLakes are attached.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warehouseTarget } from "./target.ts";
 *
 * assert.equal(warehouseTarget("warehouse.duckdb").file, "warehouse.duckdb");
 * assert.equal(warehouseTarget("md:my_db").file, undefined);
 * assert.equal(warehouseTarget("md:my_db").extension, "motherduck");
 * ```
 */
export function warehouseTarget(
  spec: string,
  options: WarehouseTargetOptions = {},
): WarehouseTarget {
  const parsed = parseTargetSpec(spec, Deno.cwd());
  const name = options.attachedAs;
  switch (parsed.kind) {
    case "memory":
      return {
        ...fileTarget(spec, "in-memory warehouse", undefined, ""),
        kind: "memory",
        file: undefined,
        prepare: () => Promise.resolve(true),
        hold: () => () => {},
      };
    case "file":
      return name === undefined
        ? fileTarget(spec, `warehouse "${spec}"`, undefined, ", or pass --db to use another file")
        : fileTarget(
          spec,
          `attached database "${name}" ("${spec}")`,
          `fix attach.${name} in wharf.config.ts`,
          "",
        );
    case "motherduck":
      return remoteTarget(
        parsed,
        name === undefined
          ? `MotherDuck database "${parsed.spec}"`
          : `attached database "${name}" (MotherDuck, "${parsed.spec}")`,
      );
    case "ducklake":
      if (name === undefined) {
        throw new WarehouseTargetError(
          parsed.spec,
          "attach",
          `Cannot use the DuckLake "${parsed.spec}" as the warehouse: a DuckLake is attached beside it. Keep a local warehouse file for wharf's own tables and attach the lake in wharf.config.ts (attach: { lake: "${parsed.spec}" }), then build models into it with config: { database: lake }`,
        );
      }
      return remoteTarget(parsed, `attached database "${name}" (DuckLake, "${parsed.spec}")`);
  }
}

/**
 * The local file of the warehouse `spec`, for a feature that needs one.
 *
 * @param feature what needs it and why, e.g. `` `wharf serve` answers from snapshots, copies of the file taken between builds ``.
 * @throws {WarehouseTargetError} when the warehouse is not a local file.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireLocalFile } from "./target.ts";
 *
 * assert.equal(requireLocalFile("/p/warehouse.duckdb", "snapshots"), "/p/warehouse.duckdb");
 * assert.throws(() => requireLocalFile("md:my_db", "snapshots"), /needs a local warehouse file/);
 * ```
 */
export function requireLocalFile(spec: string, feature: string): string {
  const target = warehouseTarget(spec);
  if (target.file !== undefined) return target.file;
  throw new WarehouseTargetError(
    spec,
    "local_file",
    `${feature}: it needs a local warehouse file, and "${spec}" is ${
      target.kind === "memory"
        ? "an in-memory database"
        : `a ${target.kind === "motherduck" ? "MotherDuck database" : "DuckLake"}`
    }: pass --db with a .duckdb file`,
  );
}
