/**
 * `wharf retry`: rerun what the last build, run, test, seed or snapshot did not get
 * through (nodes that errored or failed, and those skipped because of them),
 * with that command's options, from its `target/run_results.json`: exactly
 * those nodes, as dbt's retry reruns exactly the unique ids it recorded so
 * (no test comes along, nothing the command had excluded comes back). The
 * new run_results.json keeps the command's arguments, so a retry of a retry
 * reruns what is still left with them.
 *
 * @module
 */
import { Command } from "commander";
import { join } from "node:path";
import type { PlanKind } from "../src/engine/compile/compile_project.ts";
import { projectConfig } from "./context.ts";
import { runNodes } from "./run_nodes.ts";

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

/** The `retry` command. */
export function retryCommand(): Command {
  return new Command("retry")
    .description(
      "Rerun the nodes the last build/run/test/seed/snapshot did not get through (errored, failed, skipped because of them), with its options",
    )
    .option("--threads <n>", "models built at the same time (default: the last run's)")
    .action(async (opts: { threads?: string }, self: Command) => {
      const { UsageError } = await import("../src/engine/errors.ts");
      const config = await projectConfig(self);
      const file = join(config.paths.target, "run_results.json");
      let last: {
        results: { status: string; unique_id: string }[];
        args?: Record<string, unknown> & {
          which?: string;
          exclude?: string[];
          full_refresh?: boolean;
          event_time_start?: string;
          event_time_end?: string;
          fail_fast?: boolean;
          empty?: boolean;
          vars?: object;
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
      const left = last.results.filter((r) => RETRIED.includes(r.status)).length;
      if (left === 0) {
        console.log(
          `Nothing to retry: the last \`wharf ${which}\` had no node that errored, failed or was skipped.`,
        );
        return;
      }
      const range = last.args?.event_time_start !== undefined &&
        await retriesMicrobatch(config.paths.target, last.results);
      await runNodes(which as PlanKind, self, {
        select: ["result:error", "result:fail", "result:skipped"],
        // Exactly those nodes: no test comes along with them.
        indirectSelection: "empty",
        state: config.paths.target,
        recordArgs: { warehouse: config.db, select: [], exclude: [], ...last.args, which: which! },
        fullRefresh: last.args?.full_refresh,
        // A microbatch backfill is retried over its range, not the model's latest batches.
        ...(range
          ? { eventTimeStart: last.args?.event_time_start, eventTimeEnd: last.args?.event_time_end }
          : {}),
        failFast: last.args?.fail_fast,
        empty: last.args?.empty,
        // As parseVars writes them: text as it is, other values as JSON.
        vars: Object.entries(last.args?.vars ?? {}).map(([k, v]) =>
          `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
        ),
        threads: opts.threads,
      });
    });
}
