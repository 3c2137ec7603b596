/**
 * Opening the warehouse for a run ({@linkcode openRunWarehouse}), apart from
 * the rest of the engine: `wharf build` in a new process starts DuckDB
 * opening the warehouse before it loads the modules that compile and run
 * the project (zod, yaml and a hundred of its own), so that the two overlap.
 *
 * @module
 */
import type { EngineConfig } from "../config.ts";
import { UsageError } from "../errors.ts";
import { openWarehouse, type Warehouse } from "../db/warehouse.ts";
import type { EventTimeRange } from "../materializations/materialization.ts";
import {
  EVENT_TIME_FORMAT,
  formatEventTime,
  parseEventTime,
} from "../materializations/incremental_strategies/batch_time.ts";
import type { PlanKind } from "../compile/compile_project.ts";
import type { RunProjectOptions } from "./run_project.ts";
import { attachedFor } from "./attached_writes.ts";
import { withCommandVars } from "./command_vars.ts";

/** The range of `--event-time-start/--event-time-end`, checked; undefined without them. */
export function eventTimeRange(options: RunProjectOptions): EventTimeRange | undefined {
  const { eventTimeStart: from, eventTimeEnd: to } = options;
  if (from === undefined && to === undefined) return undefined;
  if (from === undefined || to === undefined) {
    throw new UsageError(
      `--event-time-start and --event-time-end go together: give both (the range of event times to rebuild, the end not included)`,
    );
  }
  const read = (text: string, flag: string) => {
    const t = parseEventTime(text);
    if (!t) throw new UsageError(`Invalid ${flag} "${text}": expected ${EVENT_TIME_FORMAT}`);
    return t;
  };
  const range = { start: read(from, "--event-time-start"), end: read(to, "--event-time-end") };
  if (range.start >= range.end) {
    throw new UsageError(
      `--event-time-start (${formatEventTime(range.start)}) must come before --event-time-end (${
        formatEventTime(range.end)
      })`,
    );
  }
  if (options.fullRefresh) {
    throw new UsageError(
      "--full-refresh rebuilds microbatch models from their begin; --event-time-start/--event-time-end rebuild a range of batches: give one or the other",
    );
  }
  return range;
}

/**
 * Opens the warehouse a run of `command` writes (`options.db`, or the
 * project's), once its options are checked: options `runProject` refuses
 * touch no file. Pass the promise to `runProject` as `options.warehouse`.
 *
 * @throws {UsageError} for the options `runProject` refuses before opening
 * (`--vars`, `--event-time-start/--event-time-end`).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { openRunWarehouse } from "./open_run_warehouse.ts";
 * import { runProject } from "./run_project.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/models/marts`, { recursive: true });
 * await Deno.writeTextFile(`${root}/models/marts/members.sql`, "select 1 as id");
 * const config = resolveEngineConfig(root, {}, []);
 * assert.throws(() => openRunWarehouse("build", config, { vars: { typo: "1" } }), /Unknown variable/);
 * const warehouse = openRunWarehouse("build", config, {});
 * const summary = await runProject("build", config, { warehouse });
 * assert.ok(summary.ok);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function openRunWarehouse(
  command: PlanKind,
  config: EngineConfig,
  options: RunProjectOptions,
): Promise<Warehouse> {
  withCommandVars(config, options.vars);
  eventTimeRange(options);
  return openWarehouse(options.db ?? config.warehouse, {
    holder: `wharf ${command}`,
    // On another warehouse (--db), the project's attached files are read, never written.
    attach: attachedFor(config, options.db),
    extensions: config.dbt?.target.extensions,
    settings: config.dbt?.target.settings,
  });
}
