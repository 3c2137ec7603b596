/**
 * `wharf retry`: rerun what the last build, run, test, seed or snapshot did not get
 * through (nodes that errored or failed, and those skipped because of them),
 * with that command's options, from its `target/run_results.json`: exactly
 * those nodes, as dbt's retry reruns exactly the unique ids it recorded so
 * (no test comes along, nothing the command had excluded comes back),
 * where it ran (its warehouse, profile target and profiles folder: another
 * given on the command line is refused). The new run_results.json keeps the
 * command's arguments, so a retry of a retry reruns what is still left with
 * them.
 *
 * @module
 */
import { Command, Option } from "commander";
import { join } from "node:path";
import type { PlanKind } from "../src/engine/compile/compile_project.ts";
import type { ResolvedConfig } from "../src/config.ts";
import { type GlobalOptions, globals, projectConfig, type RunsOn } from "./context.ts";
import { load } from "./load.ts";
import { nodeCommand, runNodes } from "./run_nodes.ts";

const RETRIED = ["error", "fail", "skipped", "runtime error"];
/** The commands whose run `wharf retry` reruns. */
const RETRIABLE = ["build", "run", "test", "seed", "snapshot"];

/**
 * Whether a node `retry` reruns is a microbatch model (by the manifest in
 * `target`): a backfill's range is kept only then, since a selection
 * without one refuses `--event-time-start`.
 */
async function retriesMicrobatch(
  target: string,
  results: readonly { status: string; unique_id: string }[],
): Promise<boolean> {
  let manifest: { nodes?: Record<string, { config?: { incremental_strategy?: unknown } }> };
  try {
    manifest = JSON.parse(await Deno.readTextFile(join(target, "manifest.json")));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  return results.some((r) =>
    RETRIED.includes(r.status) &&
    manifest.nodes?.[r.unique_id]?.config?.incremental_strategy === "microbatch"
  );
}

/**
 * Where the retried run ran, from its recorded `args`, for {@linkcode projectConfig}:
 * its warehouse, its profile's target and profiles folder, the attached
 * databases it pointed elsewhere, and `--warn-unsupported`.
 *
 * @throws {UsageError} when the command line names another target, profiles
 * folder, warehouse or attached file than the run's (both named).
 */
async function retriedRunsOn(
  args: Record<string, unknown>,
  given: GlobalOptions,
  asGiven: ResolvedConfig,
  ran: string,
): Promise<RunsOn> {
  const { UsageError } = await import("../src/engine/errors.ts");
  const text = (v: unknown) => typeof v === "string" ? v : undefined;
  const on = {
    target: text(args.target),
    profilesDir: text(args.profiles_dir),
    db: text(args.warehouse),
    attach: Array.isArray(args.attach) ? args.attach.map(String).sort() : [],
  };
  const conflicts: string[] = [];
  if (given.target !== undefined && on.target !== undefined && given.target !== on.target) {
    conflicts.push(`--target "${given.target}" (it ran on target "${on.target}")`);
  }
  if (
    given.profilesDir !== undefined && on.profilesDir !== undefined &&
    given.profilesDir !== on.profilesDir
  ) {
    conflicts.push(
      `--profiles-dir "${given.profilesDir}" (it read the profile in "${on.profilesDir}")`,
    );
  }
  if (given.db !== undefined && on.db !== undefined && given.db !== on.db) {
    conflicts.push(`--db "${given.db}" (it ran on "${on.db}")`);
  }
  const attached = asGiven.attach.filter((a) => a.redirected).map((a) => `${a.name}=${a.target}`)
    .sort();
  if (given.attach.length && attached.join("\n") !== on.attach.join("\n")) {
    conflicts.push(
      `--attach ${attached.join(" ")} (it ran with ${
        on.attach.length ? `--attach ${on.attach.join(" ")}` : "the attached databases configured"
      })`,
    );
  }
  if (conflicts.length) {
    throw new UsageError(
      `Cannot retry ${ran} elsewhere than it ran: ${
        conflicts.join(", ")
      }: a retry reruns what it left where it ran, so leave ${
        conflicts.length === 1 ? "that option" : "those options"
      } out, or run the command again with ${conflicts.length === 1 ? "it" : "them"}`,
    );
  }
  return {
    ...on,
    warnUnsupported: given.warnUnsupported || args.warn_unsupported === true,
  };
}

/**
 * The options of the commands retry repeats that retry does not take (it
 * reuses the run's), as hidden options of `cmd`, so that one given is
 * refused by {@linkcode refuseReused} with why, not taken for a typo of
 * one of retry's own (`--vars` is not `--version`).
 */
function withReused(cmd: Command): Command {
  const own = new Set(cmd.options.map((o) => o.long));
  for (const o of nodeCommand("build", "").options) {
    if (!own.has(o.long)) cmd.addOption(new Option(o.flags).hideHelp());
  }
  return cmd;
}

/**
 * Refuses the options of the retried commands given to `wharf retry`:
 * retry reruns with the options the run it repeats recorded.
 *
 * @throws {UsageError} naming them, and how to run with others.
 */
async function refuseReused(self: Command): Promise<void> {
  const given = self.options.filter((o) => {
    const key = o.attributeName();
    // `--fail-fast` and `--no-fail-fast` set one value: the one given is the one it holds.
    return o.hidden && self.getOptionValueSource(key) === "cli" &&
      (self.getOptionValue(key) === false) === o.negate;
  }).map((o) => `'${o.long}'`);
  if (given.length === 0) return;
  const { UsageError } = await import("../src/engine/errors.ts");
  const names = given.length === 1
    ? `${given[0]} is not an option`
    : `${given.slice(0, -1).join(", ")} and ${given.at(-1)} are not options`;
  throw new UsageError(
    `${names} of 'wharf retry': a retry reruns what the last build, run, test, seed or snapshot did not get through with that run's own options (its vars, selection and flags, as target/run_results.json records them); to run with others, run that command again with them (e.g. \`wharf build --vars '{name: value}'\`)`,
  );
}

/** The `retry` command. */
export function retryCommand(): Command {
  const cmd = new Command("retry")
    .description(
      "Rerun the nodes the last build/run/test/seed/snapshot did not get through (errored, failed, skipped because of them), with its options, on its target",
    )
    .option("--threads <n>", "models built at the same time (default: the last run's)");
  return withReused(cmd)
    .action(async (opts: { threads?: string }, self: Command) => {
      await refuseReused(self);
      const { UsageError } = await import("../src/engine/errors.ts");
      const asGiven = await projectConfig(self, { compiles: true });
      const file = join(asGiven.paths.target, "run_results.json");
      let last: {
        results: { status: string; unique_id: string }[];
        args?: Record<string, unknown> & {
          which?: string;
          full_refresh?: boolean;
          event_time_start?: string;
          event_time_end?: string;
          fail_fast?: boolean;
          warn_error?: boolean;
          empty?: boolean;
          vars?: object;
          state?: string;
          defer?: boolean;
          threads?: number;
        };
      };
      try {
        last = JSON.parse(await Deno.readTextFile(file));
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
        throw new UsageError(
          `Nothing to retry: ${file} is not there (build, run, test, seed and snapshot write it)`,
        );
      }
      const which = last.args?.which;
      if (!RETRIABLE.includes(String(which))) {
        throw new UsageError(
          `Cannot retry ${file}: it is not from wharf's build, run, test, seed or snapshot (its args.which is ${
            JSON.stringify(which ?? null)
          })`,
        );
      }
      const args = last.args!;
      // On the run's target and warehouse, whichever the command line's defaults are.
      const config = await projectConfig(self, {
        on: await retriedRunsOn(
          args,
          globals(self),
          asGiven,
          `the last \`wharf ${which}\` (${file})`,
        ),
        compiles: true,
      });
      const left = last.results.filter((r) => RETRIED.includes(r.status)).length;
      if (left === 0) {
        // Nothing compiles then to list dbt_project.yml's problems: they stop here.
        if (config.dbt?.issues?.length) {
          const { invalidDbtProject } = await load<
            typeof import("../src/engine/dbt/dbt_project.ts")
          >("../src/engine/dbt/dbt_project.ts");
          throw invalidDbtProject(config.dbt.issues);
        }
        console.log(
          `Nothing to retry: the last \`wharf ${which}\` had no node that errored, failed or was skipped.`,
        );
        return;
      }
      const range = args.event_time_start !== undefined &&
        await retriesMicrobatch(asGiven.paths.target, last.results);
      const vars = args.vars ?? {};
      await runNodes(which as PlanKind, self, {
        config,
        select: ["result:error", "result:fail", "result:skipped"],
        // Exactly those nodes: no test comes along with them.
        indirectSelection: "empty",
        state: asGiven.paths.target,
        recordArgs: { warehouse: config.db, select: [], exclude: [], ...args, which: which! },
        fullRefresh: args.full_refresh,
        // A microbatch backfill is retried over its range, not the model's latest batches.
        ...(range
          ? { eventTimeStart: args.event_time_start, eventTimeEnd: args.event_time_end }
          : {}),
        failFast: args.fail_fast,
        warnError: args.warn_error,
        empty: args.empty,
        // What the run deferred to, it defers to again.
        ...(args.defer && args.state !== undefined ? { defer: true, deferState: args.state } : {}),
        // As given (JSON is YAML): lists, numbers and text keep their types.
        vars: Object.keys(vars).length ? [JSON.stringify(vars)] : [],
        threads: opts.threads ?? (args.threads === undefined ? undefined : String(args.threads)),
      });
    });
}
