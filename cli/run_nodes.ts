/**
 * The shared action of `build`, `run`, `seed` and `test`: run the selected
 * nodes and report each as it finishes.
 *
 * @module
 */
import { Command } from "commander";
import { RunEndError, UsageError } from "../src/engine/errors.ts";
import type { PlanKind } from "../src/engine/compile/compile_project.ts";
import type { IndirectSelection } from "../src/engine/graph/select.ts";
import type { RunArgs } from "../src/engine/artifacts/dbt_run_results.ts";
import type { RunProjectOptions, RunSummary } from "../src/engine/run/run_project.ts";
import type { ResolvedConfig } from "../src/config.ts";
import { resolve } from "node:path";
import { globals, projectConfig, userCwd, wharfCommand } from "./context.ts";
import { counted, logs, problemLines, resultLevel, resultLine, summaryLines } from "./output.ts";
import { checkResourceTypes, RESOURCE_TYPES } from "./resource_types.ts";
import { load } from "./load.ts";

/** Options shared by the node-running commands. */
export interface RunNodesOptions {
  select?: string[];
  exclude?: string[];
  selector?: string;
  indirectSelection?: string;
  threads?: string;
  fullRefresh?: boolean;
  eventTimeStart?: string;
  eventTimeEnd?: string;
  vars?: string[];
  state?: string;
  defer?: boolean;
  failFast?: boolean;
  /** dbt's warn-error, when the command line's `--warn-error` does not set it (`wharf retry`: the retried run's). */
  warnError?: boolean;
  empty?: boolean;
  resourceType?: string[];
  excludeResourceType?: string[];
  /** `--store-failures`: what wharf does by default (see {@linkcode nodeCommand}). */
  storeFailures?: boolean;
  /** The arguments run_results.json records, when they are another command's (`wharf retry`). */
  recordArgs?: RunArgs;
  /** The state folder `defer` copies from, when not `state` (`wharf retry`: the retried run's). */
  deferState?: string;
  /**
   * The project's configuration, when the caller read it otherwise than the
   * command line says (`wharf retry`: on the retried run's target and warehouse).
   */
  config?: ResolvedConfig & { db: string };
}

/** Adds `--vars` to `cmd` (read with {@linkcode parseVars}). */
export function withVars(cmd: Command): Command {
  return cmd.option(
    "--vars <name=value...>",
    "project variables for wharf_var('name') (or dbt's var()), overriding the project's: name=value, or dbt's '{name: value}'",
  );
}

/** Adds `--indirect-selection` (how tests come along with the nodes selected) to `cmd`. */
export function withIndirectSelection(cmd: Command): Command {
  return cmd.option(
    "--indirect-selection <mode>",
    "which tests come along with the nodes selected: eager (default: the tests of any selected node), cautious (tests whose every node is selected), buildable (or an ancestor of one), empty (none)",
  );
}

/** Adds `--select`, `--exclude` (and, for builders, `--threads`, `--full-refresh`) to `cmd`. */
export function withSelection(cmd: Command, builds: boolean): Command {
  cmd
    .option(
      "-s, --select <selector...>",
      "nodes to include (name, layer.name, +name, name+, @name, tag:x, path:dir, source:x, config.materialized:table …)",
    )
    .option("--exclude <selector...>", "nodes to leave out, same syntax as --select")
    .option("--selector <name>", "a selection named in the project's selectors.yml");
  withIndirectSelection(cmd);
  withVars(cmd)
    .option(
      "--state <dir>",
      "an earlier run's target/ folder, for state:modified, state:new, result:<status>, source_status:fresher",
    )
    .option(
      "--defer",
      "with --state: take what this run reads but does not build from the state's warehouse",
    )
    .option("-x, --fail-fast", "stop at the first error or failed test (running nodes finish)")
    .option(
      "--no-fail-fast",
      "run on after an error (where dbt_project.yml's flags set fail_fast)",
    );
  if (builds) {
    cmd
      .option("--threads <n>", "models built at the same time (default: the config's threads, 4)")
      .option("--full-refresh", "rebuild incremental models from scratch")
      .option(
        "--empty",
        "build models with zero rows: checks their SQL and types without the data",
      );
  }
  return cmd;
}

/**
 * The variables `--vars` gives, as given: text for `name=value` pairs, and
 * YAML's values for dbt's mapping `'{name: value, other: 2}'` (dbt's `var()`
 * returns them so; wharf_var() reads them as text, other values as JSON).
 *
 * @throws {UsageError} for a value that is neither.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseVars } from "./run_nodes.ts";
 *
 * assert.deepEqual(await parseVars(["a=1", "{b: x, c: [1, 2], d: '007'}", "e: 2024-02-02"]), {
 *   a: "1",
 *   b: "x",
 *   c: [1, 2],
 *   d: "007",
 *   e: "2024-02-02",
 * });
 * ```
 */
export async function parseVars(args: readonly string[]): Promise<Record<string, unknown>> {
  const vars: Record<string, unknown> = {};
  for (const arg of args) {
    if (arg.trimStart().startsWith("{")) {
      const { parse: parseYaml } = await load<typeof import("../src/engine/yaml.ts")>(
        "../src/engine/yaml.ts",
      );
      let data: unknown;
      try {
        data = parseYaml(arg);
      } catch (err) {
        throw new UsageError(
          `Invalid --vars '${arg}': not a YAML mapping (${
            err instanceof Error ? err.message.split("\n")[0] : String(err)
          }); write '{name: value}' or name=value`,
        );
      }
      if (typeof data !== "object" || data === null || Array.isArray(data)) {
        throw new UsageError(`Invalid --vars '${arg}': expected a mapping, '{name: value}'`);
      }
      Object.assign(vars, data);
      continue;
    }
    // dbt's mapping without its braces: 'key: value' (one variable).
    if (/^\s*[A-Za-z_][\w-]*\s*:(\s|$)/.test(arg) && !/^[^:]*=/.test(arg)) {
      Object.assign(vars, await parseVars([`{${arg}}`]));
      continue;
    }
    const at = arg.indexOf("=");
    if (at <= 0) {
      throw new UsageError(`Invalid --vars "${arg}": expected name=value or '{name: value}'`);
    }
    vars[arg.slice(0, at)] = arg.slice(at + 1);
  }
  return vars;
}

/**
 * The project's configuration for a command that compiles it (`compile`,
 * `ls`, `show`, `docs`, `source freshness`), with its `--vars`.
 */
export async function compilingConfig(
  cmd: Command,
  vars: readonly string[] | undefined,
): Promise<Awaited<ReturnType<typeof projectConfig>>> {
  const { withCommandVars } = await load<typeof import("../src/engine/run/command_vars.ts")>(
    "../src/engine/run/command_vars.ts",
  );
  return withCommandVars(await projectConfig(cmd, { compiles: true }), await parseVars(vars ?? []));
}

/** Runs the nodes of `kind` and sets the exit code: 1 when any failed. */
export async function runNodes(kind: PlanKind, cmd: Command, opts: RunNodesOptions): Promise<void> {
  const g = globals(cmd);
  const config = opts.config ?? await projectConfig(cmd, { compiles: true });
  let threads: number | undefined;
  if (opts.threads !== undefined) {
    threads = Number(opts.threads);
    if (!Number.isInteger(threads) || threads < 1) {
      throw new UsageError(`Invalid --threads "${opts.threads}": expected a positive integer`);
    }
  }
  const run: RunProjectOptions = {
    db: config.db,
    select: opts.select,
    exclude: opts.exclude,
    selector: opts.selector,
    indirectSelection: opts.indirectSelection as IndirectSelection | undefined,
    threads,
    fullRefresh: opts.fullRefresh,
    eventTimeStart: opts.eventTimeStart,
    eventTimeEnd: opts.eventTimeEnd,
    vars: await parseVars(opts.vars ?? []),
    state: opts.state === undefined ? undefined : resolve(userCwd(), opts.state),
    defer: opts.defer,
    deferState: opts.deferState === undefined ? undefined : resolve(userCwd(), opts.deferState),
    failFast: opts.failFast,
    ...(g.warnError
      ? { warnError: true }
      : opts.warnError === undefined
      ? {}
      : { warnError: opts.warnError }),
    empty: opts.empty,
    resourceTypes: checkResourceTypes(opts.resourceType, "--resource-type"),
    excludeResourceTypes: checkResourceTypes(opts.excludeResourceType, "--exclude-resource-type"),
    recordArgs: opts.recordArgs,
  };
  // DuckDB opens the warehouse (~50 ms) while the modules that compile and run the project load.
  const { openRunWarehouse } = await load<
    typeof import("../src/engine/run/open_run_warehouse.ts")
  >("../src/engine/run/open_run_warehouse.ts");
  const warehouse = openRunWarehouse(kind, config, run);
  warehouse.catch(() => {}); // runProject awaits it
  const { runProject } = await load<typeof import("../src/engine/run/run_project.ts")>(
    "../src/engine/run/run_project.ts",
  );
  const { roleOf } = await load<typeof import("../src/engine/compile/compile_project.ts")>(
    "../src/engine/compile/compile_project.ts",
  );
  let total = 0;
  let done = 0;
  // A failing on-run-end still reports what the nodes did, then fails the command.
  let ended: RunEndError<RunSummary> | undefined;
  const summary = await runProject(kind, config, {
    ...run,
    warehouse,
    onPlan: (nodes) => {
      total = nodes.length;
      if (g.json || !logs("info")) return;
      const by = (k: string) => nodes.filter((n) => roleOf(n) === k).length;
      const what = kind === "snapshot"
        ? counted(by("snapshot"), "snapshot")
        : `${counted(by("seed"), "seed")}, ${
          by("snapshot") ? `${counted(by("snapshot"), "snapshot")}, ` : ""
        }${counted(by("model"), "model")}, ${counted(by("test"), "test")}`;
      console.log(
        total === 0
          ? opts.select?.length
            ? `Nothing to do: the selection holds nothing \`wharf ${kind}\` runs.`
            : `Nothing to do: the project has nothing \`wharf ${kind}\` runs.`
          : `Running ${what} with ${threads ?? config.threads} threads on ${config.db}`,
      );
    },
    onResult: (r) => {
      done++;
      if (!g.json && logs(resultLevel(r.status))) console.log(resultLine(r, done, total));
    },
  }).catch((err: unknown) => {
    if (!(err instanceof RunEndError)) throw err;
    ended = err as RunEndError<RunSummary>;
    return ended.summary;
  });
  if (g.json) {
    console.log(JSON.stringify(summary, null, 2));
  } else if (total > 0 && !logs("info")) {
    // Below info (--quiet, --log-level warn|error): the problems at the level and above only.
    const lines = problemLines(
      summary.results,
      (["warn", "fail", "error"] as const).filter((s) => logs(resultLevel(s))),
    );
    if (lines.length) console.log(lines.slice(1).join("\n"));
  } else if (total > 0) {
    // The demo is suggested only for the raw tables it lands (never to a dbt project).
    const demoTables = summary.notLanded.length && !config.dbt
      ? (await load<typeof import("../src/demo/demo_tables.ts")>("../src/demo/demo_tables.ts"))
        .demoTables(config.sources)
      : [];
    const sourceTables = config.sources.map((s) => `raw.${s.table}`);
    console.log(
      summaryLines(summary, { demoTables, sourceTables, wharf: wharfCommand(config) }).join("\n"),
    );
  }
  if (ended) throw ended;
  if (!summary.ok) Deno.exitCode = 1;
}

/** A node-running command named after its plan kind. */
export function nodeCommand(kind: PlanKind, description: string): Command {
  const cmd = new Command(kind).description(description);
  withSelection(cmd, kind !== "test");
  if (kind === "build") {
    cmd
      .option(
        "--resource-type <type...>",
        `run only the selected nodes of these resource types (${
          RESOURCE_TYPES.join(", ")
        }; all: every one); repeatable`,
      )
      .option(
        "--exclude-resource-type <type...>",
        "leave out the selected nodes of these resource types; repeatable",
      );
  }
  if (kind === "build" || kind === "test") {
    cmd.option(
      "--store-failures",
      "dbt's: keep the failing rows of the tests that do not set store_failures, in wharf_failures.<test> (wharf keeps them by default; store_failures: false in a test's config still wins, as in dbt)",
    );
  }
  if (kind === "build" || kind === "run") {
    cmd
      .option(
        "--event-time-start <time>",
        "microbatch models: rebuild the batches from this time (UTC: 2024-01-31 or '2024-01-31 06:00'), with --event-time-end",
      )
      .option("--event-time-end <time>", "microbatch models: the end of that range (not included)");
  }
  return cmd.action((opts: RunNodesOptions, self: Command) => runNodes(kind, self, opts));
}
