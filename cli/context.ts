/**
 * What every command shares: the global options and the project's
 * configuration, read from the parsed command line.
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type { ResolvedConfig } from "../src/config.ts";
import { UsageError } from "../src/engine/errors.ts";
import { resolveTargetSpec } from "../src/engine/target_spec.ts";
import { shellArg, taskCommand } from "../src/demo/task_command.ts";
import { load } from "./load.ts";

/** wharf's clone: the folder of the deno.json whose task runs it. */
const REPO = join(import.meta.dirname!, "..");

/** Global options, as parsed. */
export interface GlobalOptions {
  project: string;
  db?: string;
  json: boolean;
  debug: boolean;
  /** dbt projects: the folder holding profiles.yml, and the profile's target to use. */
  profilesDir?: string;
  target?: string;
  /** `--warn-unsupported`: what wharf does not support is left out with a warning. */
  warnUnsupported: boolean;
  /** `--attach name=file`: attached databases pointed elsewhere for this command. */
  attach: string[];
  /** `--target-path DIR`: target/'s files go there (absolute: resolved against the project). */
  targetPath?: string;
  /** `--warn-error`: what would warn fails instead. */
  warnError: boolean;
  /** `--no-partial-parse` (false) or `--partial-parse` (true), when given. */
  partialParse?: boolean;
}

/**
 * The folder the user ran the command from: `deno task` runs in the
 * project's folder and passes the user's own in `INIT_CWD`.
 */
export function userCwd(): string {
  return Deno.env.get("INIT_CWD") ?? Deno.cwd();
}

/** The global options of the program `cmd` belongs to, paths resolved against the user's folder. */
export function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Partial<GlobalOptions> & { projectDir?: string };
  if (o.projectDir !== undefined) {
    if (cmd.getOptionValueSourceWithGlobals("project") === "cli") {
      throw new UsageError("--project and --project-dir (dbt's name) name one folder: pass one");
    }
    o.project = o.projectDir;
  }
  return {
    project: resolve(userCwd(), o.project ?? "."),
    // A path is the user's folder's; `md:…` and `:memory:` are not paths.
    db: o.db === undefined ? undefined : resolveTargetSpec(o.db, userCwd()),
    json: !!o.json,
    debug: !!o.debug,
    profilesDir: o.profilesDir === undefined ? undefined : resolve(userCwd(), o.profilesDir),
    target: o.target,
    warnUnsupported: !!o.warnUnsupported,
    attach: o.attach ?? [],
    // dbt's target path is the project's, as dbt_project.yml's target-path is.
    targetPath: o.targetPath === undefined
      ? undefined
      : resolve(userCwd(), o.project ?? ".", o.targetPath),
    warnError: !!o.warnError,
    partialParse: o.partialParse,
  };
}

/** Where a command runs instead of where the command line says (`wharf retry`: the retried run's). */
export type RunsOn = Partial<
  Pick<GlobalOptions, "db" | "profilesDir" | "target" | "attach" | "warnUnsupported">
>;

/** Options of {@linkcode projectConfig}. */
export interface ProjectConfigOptions {
  /** Replaces the command line's options it sets (absolute paths). */
  on?: RunsOn;
  /**
   * The command compiles the project, which lists dbt_project.yml's problems
   * that do not keep it from loading (an unknown key) with its own: they are
   * left to it instead of stopping here.
   */
  compiles?: boolean;
}

/** Loads the configuration of the project named by `--project`, applying `--db`. */
export async function projectConfig(
  cmd: Command,
  options: ProjectConfigOptions = {},
): Promise<ResolvedConfig & { db: string }> {
  const g = { ...globals(cmd) };
  for (const [key, value] of Object.entries(options.on ?? {})) {
    if (value !== undefined) Object.assign(g, { [key]: value });
  }
  // Loaded here, not at startup: `--help`, `--version` and commands that read no project skip it.
  const { loadConfig } = await load<typeof import("../src/config.ts")>("../src/config.ts");
  const config = await loadConfig(g.project, {
    profilesDir: g.profilesDir,
    target: g.target,
    warnUnsupported: g.warnUnsupported,
    deferIssues: options.compiles,
  });
  if (config.dbt) {
    (await load<typeof import("./output.ts")>("./output.ts")).applyOutputFlags(config.dbt.flags);
  }
  const { redirectAttached } = await load<typeof import("../src/engine/run/attached_writes.ts")>(
    "../src/engine/run/attached_writes.ts",
  );
  return {
    ...config,
    attach: redirectAttached(config.attach, g.attach, userCwd()),
    db: g.db ?? config.warehouse,
    ...(g.targetPath === undefined ? {} : { paths: { ...config.paths, target: g.targetPath } }),
    ...(g.partialParse === undefined ? {} : { partialParse: g.partialParse }),
  };
}

/**
 * The command line that runs wharf on `config`'s project and warehouse from
 * the user's folder: `program` with `--project` and `--db` when they are not
 * the defaults (for the commands a command's output suggests).
 *
 * @param program How wharf is run: by default through this project's task, as
 *   the user started it (`deno task wharf`, or `npx -y deno@<version> task wharf`
 *   under npx; see `taskCommand`).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wharfCommand } from "./context.ts";
 *
 * const config = { root: Deno.cwd(), warehouse: "/p/warehouse.duckdb" };
 * assert.equal(wharfCommand({ ...config, db: config.warehouse }, "deno task wharf"), "deno task wharf");
 * assert.equal(
 *   wharfCommand({ ...config, db: "/tmp/my wh.duckdb" }, "deno task wharf"),
 *   "deno task wharf --db '/tmp/my wh.duckdb'",
 * );
 * ```
 */
export function wharfCommand(
  config: { root: string; db: string; warehouse: string },
  program = `${
    taskCommand(Deno.execPath(), Deno.version.deno, { cwd: userCwd(), repo: REPO })
  } wharf`,
): string {
  return `${program}${config.root === userCwd() ? "" : ` --project ${shellArg(config.root)}`}${
    config.db === config.warehouse ? "" : ` --db ${shellArg(config.db)}`
  }`;
}

/** Collects a repeatable option's values (`-s a -s b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * What to do about a warehouse that does not exist yet, for a command that
 * only reads it: in a dbt project, build it (there is no demo to run
 * there); elsewhere the engine's default (land and build, or the demo).
 */
export function whenMissing(config: ResolvedConfig): string | undefined {
  return config.dbt
    ? "build it with `wharf build` (or load the seeds alone with `wharf seed`), create it with `wharf sql --write`, or pass --db with an existing file"
    : undefined;
}
