/**
 * Human output: colors on a TTY only, node result lines, summaries and
 * plain-text tables.
 *
 * @module
 */
import { type NodeResult, nullifiedTotal } from "../src/engine/run/run_log.ts";
import type { RunSummary } from "../src/engine/run/run_project.ts";
import { type FailedLanding, UPLOAD_PREFIX } from "../src/engine/run/failed_landings.ts";
import type { Command } from "commander";
import { UsageError } from "../src/engine/errors.ts";
import { shellArg } from "../src/demo/task_command.ts";
import { load } from "./load.ts";
import { setSay } from "../src/engine/say.ts";

let useColor = Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
/** The width a node's result line is dotted to (dbt's printer_width). */
let printerWidth = 80;

/**
 * Applies a dbt project's output flags: `use_colors: false` prints no
 * colors; `printer_width` sets the width of result lines.
 */
export function applyOutputFlags(flags: { useColors?: boolean; printerWidth?: number }): void {
  if (flags.useColors === false) useColor = false;
  if (flags.printerWidth !== undefined) printerWidth = flags.printerWidth;
}

/** dbt's log levels, the most verbose first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "none"] as const;

/** One of {@linkcode LOG_LEVELS}. */
export type LogLevel = typeof LOG_LEVELS[number];

let logLevel: LogLevel = "info";

/**
 * Sets what the commands print (`--log-level`, `--quiet`): at `warn`,
 * warnings and errors only; at `error`, errors only (wharf's own warnings on
 * stderr are left out too); at `none`, nothing (the exit code tells).
 * What templates say follows: `log(…, info=True)` at `info`,
 * `exceptions.warn()` at `warn`.
 * `debug` prints what `info` does (wharf has no debug log; its `--debug`
 * shows stack traces).
 */
export function setLogLevel(level: LogLevel): void {
  logLevel = level;
  // What templates say (log(…, info=True), exceptions.warn()) prints at its own level.
  setSay((s) => {
    if (logs(s.warning ? "warn" : "info")) console.error(s.warning ? `warning: ${s.text}` : s.text);
  });
  if (level === "error" || level === "none") {
    const error = console.error;
    console.error = (...data: unknown[]) => {
      if (typeof data[0] === "string" && data[0].startsWith("warning: ")) return;
      if (logLevel === "none") return;
      error(...data);
    };
  }
}

/** Whether a line of `level` is printed at the level set. */
export function logs(level: "info" | "warn" | "error"): boolean {
  return LOG_LEVELS.indexOf(level) >= Math.max(1, LOG_LEVELS.indexOf(logLevel));
}

/** The level of a node's result: its line and its problem's message print at it. */
export function resultLevel(status: NodeResult["status"]): "info" | "warn" | "error" {
  return status === "warn" ? "warn" : status === "fail" || status === "error" ? "error" : "info";
}

function paint(code: number, text: string): string {
  return useColor ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/**
 * `1 file`, `2 files`, `1,500 rows`: a count, with thousands separators,
 * and its noun, plural unless one (nouns that add an "s"). The separators
 * are put in here: `toLocaleString` loads ICU's data on its first call
 * (~10 ms of every command's start).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { counted } from "./output.ts";
 *
 * assert.equal(counted(1, "file"), "1 file");
 * assert.equal(counted(999, "row"), "999 rows");
 * assert.equal(counted(1234567, "row"), "1,234,567 rows");
 * ```
 */
export function counted(n: number, noun: string): string {
  return `${String(n).replace(/\B(?=(\d{3})+$)/g, ",")} ${noun}${n === 1 ? "" : "s"}`;
}

/**
 * `1 row`, `2 rows`: `n` as it is (no thousands separator) and its noun,
 * in the plural (`nouns`, by default the noun and an "s") unless one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { plural } from "./output.ts";
 *
 * assert.equal(plural(1, "row"), "1 row");
 * assert.equal(plural(1500, "entry", "entries"), "1500 entries");
 * ```
 */
export function plural(n: number, noun: string, nouns = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : nouns}`;
}

/** Colors: green, yellow, red, dim. */
export const color = {
  green: (t: string) => paint(32, t),
  yellow: (t: string) => paint(33, t),
  red: (t: string) => paint(31, t),
  dim: (t: string) => paint(2, t),
};

/** Each status's word, painted when it is written (`use_colors: false` may come after loading). */
const LABEL: Record<NodeResult["status"], () => string> = {
  success: () => color.green("OK   "),
  pass: () => color.green("PASS "),
  warn: () => color.yellow("WARN "),
  fail: () => color.red("FAIL "),
  error: () => color.red("ERROR"),
  skipped: () => color.yellow("SKIP "),
};

/** Formats one node's result as a line: `3 of 20 OK    model staging.x ... [12 rows in 0.02s]`. */
export function resultLine(r: NodeResult, index: number, total: number): string {
  const width = String(total).length;
  const what = `${r.kind} ${r.id.replace(/^test\./, "")}`;
  const secs = ((r.endedAt.getTime() - r.startedAt.getTime()) / 1000).toFixed(2);
  let detail: string;
  if (r.status === "skipped") detail = r.message ?? "skipped";
  else if (r.status === "error") detail = `error in ${secs}s`;
  else if (r.kind === "test") detail = `${r.rows ?? 0} failing in ${secs}s`;
  else {
    const perCheck = (counts: Record<string, number>) =>
      Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ");
    const nullified = nullifiedTotal(r);
    const note = r.checks
      ? `${r.rejected ? `, ${r.rejected} rejected (${perCheck(r.checks)})` : ""}${
        nullified ? `, ${plural(nullified, "value")} nullified (${perCheck(r.nullified!)})` : ""
      }`
      : r.message
      ? `, ${r.message}`
      : "";
    detail = `${r.rows === undefined ? "view" : plural(r.rows, "row")}${note} in ${secs}s`;
  }
  const dots = ".".repeat(Math.max(3, printerWidth - 24 - what.length));
  return `${String(index).padStart(width)} of ${total} ${LABEL[r.status]()} ${what} ${
    color.dim(dots)
  } [${detail}]`;
}

/** Options of {@linkcode summaryLines} and {@linkcode notLandedLines}. */
export interface SkipHintOptions {
  /** The raw tables of the project's sources (`raw.<table>`), which `wharf land` fills. */
  sourceTables?: readonly string[];
  /** The raw tables the demo lands (`deno task demo` is suggested for these only). */
  demoTables?: readonly string[];
  /** Printed by the demo itself: no suggestion to run it, a note on what it leaves out. */
  inDemo?: boolean;
  /** The NPI list `wharf enrich npi` should read, when known (the demo's `raw.npi_list`). */
  npiList?: string;
  /** The command line that runs wharf here (see `wharfCommand`): `wharf` by default. */
  wharf?: string;
}

/**
 * The closing lines of a run: counts, why nodes were skipped (each cause
 * apart), then the message of every problem.
 */
export function summaryLines(summary: RunSummary, options: SkipHintOptions = {}): string[] {
  const count = (s: NodeResult["status"]) => summary.results.filter((r) => r.status === s).length;
  const lines = [
    "",
    `Done in ${(summary.elapsedMs / 1000).toFixed(2)}s: ${count("success")} ok, ${
      count("pass")
    } passed, ${count("warn")} warned, ${count("fail")} failed, ${count("error")} errored, ${
      count("skipped")
    } skipped.`,
  ];
  const skipped = skipLines(summary, options);
  if (skipped.length) lines.push("", ...skipped);
  if (summary.deferred.length) {
    lines.push(
      `Deferred (copied from the state's warehouse): ${
        summary.deferred.join(", ")
      }. Recorded as copies until a run builds them here: a later --defer run copies them again, a run without --defer that reads them warns.`,
    );
  }
  if (summary.deferredReads.length) lines.push("", ...deferredReadLines(summary.deferredReads));
  const rejects = landingRejectLines(summary.landingRejects, options.wharf);
  if (rejects.length) lines.push("", ...rejects);
  const failed = failedLandingLines(summary.failedLandings, options.wharf);
  if (failed.length) lines.push("", ...failed);
  return [...lines, ...problemLines(summary.results, ["error", "fail", "warn"])];
}

/**
 * A note per source whose landed files had lines rejected (in
 * `wharf.rejects`, not in its raw table): how many, the files, and the query that
 * shows them, run with `wharf` (the command line that runs wharf here).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { landingRejectLines } from "./output.ts";
 *
 * const rejects = [{ source: "visits", table: "raw.visits", lines: 1, files: ["v.csv"] }];
 * assert.deepEqual(landingRejectLines(rejects), [
 *   `note: 1 line of visits (v.csv) was rejected when landed (it is not in its raw table): see wharf.rejects (wharf sql "select * from wharf.rejects where source = 'visits'")`,
 * ]);
 * ```
 */
export function landingRejectLines(
  rejects: RunSummary["landingRejects"],
  wharf = "wharf",
): string[] {
  return rejects.map((r) => {
    const one = r.lines === 1;
    const files = r.files.length > 3
      ? `${r.files.slice(0, 3).join(", ")} and ${r.files.length - 3} more`
      : r.files.join(", ");
    const query = `select * from wharf.rejects where source = '${r.source.replaceAll("'", "''")}'`;
    return `note: ${counted(r.lines, "line")} of ${r.source} (${files}) ${
      one ? "was" : "were"
    } rejected when landed (${
      one ? "it is" : "they are"
    } not in its raw table): see wharf.rejects (${wharf} sql "${query}")`;
  });
}

/**
 * A note per source with deliveries whose landing failed and that have not
 * landed since (so their rows are in no model): each file with when and
 * why it failed, the query of `wharf.files` that shows them, and how to
 * land them again, run with `wharf` (the command line that runs wharf
 * here): `wharf land` with the path or URL it was given, and for an upload
 * through the API (`upload:<name>`, which no path holds) the endpoint to
 * upload it to again, or `wharf land --source` with the file's path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failedLandingLines } from "./output.ts";
 *
 * const failed = [{
 *   source: "visits",
 *   table: "raw.visits",
 *   file: "v.txt.gz",
 *   path: "in/v.txt.gz",
 *   batchId: 3,
 *   error: 'Cannot land "in/v.txt.gz": the gzip stream is truncated or corrupt',
 *   failedAt: "2024-05-01T14:03:07.000Z",
 * }];
 * assert.deepEqual(failedLandingLines(failed), [
 *   "note: 1 delivery of visits failed to land and has not landed since, so its rows are in no model:",
 *   '  v.txt.gz (batch 3, 2024-05-01 14:03:07 UTC): Cannot land "in/v.txt.gz": the gzip stream is truncated or corrupt',
 *   `  See wharf.files (wharf sql "select batch_id, path, error from wharf.files where source = 'visits' and status = 'failed' order by batch_id"); once the file is fixed, land it again: wharf land in/v.txt.gz`,
 * ]);
 * const uploaded = [{ ...failed[0]!, file: "v.txt", path: "upload:v.txt" }];
 * assert.equal(
 *   failedLandingLines(uploaded)[2]!.replace(/^.*fixed, /, ""),
 *   "upload it again (POST /api/ingest/visits to wharf serve), or land it by its path: wharf land --source visits path/to/v.txt",
 * );
 * ```
 */
export function failedLandingLines(
  failed: RunSummary["failedLandings"],
  wharf = "wharf",
): string[] {
  const bySource = Map.groupBy(failed, (f) => f.source);
  return [...bySource].flatMap(([source, files]) => {
    const one = files.length === 1;
    const query = `select batch_id, path, error from wharf.files where source = '${
      source.replaceAll("'", "''")
    }' and status = 'failed' order by batch_id`;
    return [
      `note: ${files.length} deliver${one ? "y" : "ies"} of ${source} failed to land and ${
        one ? "has" : "have"
      } not landed since, so ${one ? "its" : "their"} rows are in no model:`,
      ...files.map((f) =>
        `  ${f.file} (batch ${f.batchId}, ${
          f.failedAt.slice(0, 19).replace("T", " ")
        } UTC): ${f.error}`
      ),
      `  See wharf.files (${wharf} sql "${query}"); once ${
        one ? "the file is" : "the files are"
      } fixed, ${landAgain(source, files, wharf)}`,
    ];
  });
}

/**
 * How to land failed deliveries of `source` again: the files and URLs
 * `wharf land` was given by their path; uploads (`upload:<name>`: the
 * uploaded copy is gone) through the endpoint again, or by the path of the
 * user's own copy of the file.
 */
function landAgain(source: string, files: readonly FailedLanding[], wharf: string): string {
  const it = (some: readonly unknown[]) => some.length === 1 ? "it" : "them";
  const uploads = files.filter((f) => f.path.startsWith(UPLOAD_PREFIX));
  const paths = files.filter((f) => !f.path.startsWith(UPLOAD_PREFIX));
  const ways: string[] = [];
  if (paths.length) {
    ways.push(
      `land ${it(paths)} again: ${wharf} land ${paths.map((f) => shellArg(f.path)).join(" ")}`,
    );
  }
  if (uploads.length) {
    ways.push(
      `upload ${it(uploads)} again (POST /api/ingest/${source} to wharf serve), or land ${
        it(uploads)
      } by ${uploads.length === 1 ? "its path" : "their paths"}: ${wharf} land --source ${
        shellArg(source)
      } ${uploads.map((f) => shellArg(`path/to/${f.file}`)).join(" ")}`,
    );
  }
  return ways.join("; ");
}

/**
 * The warning of a run that read relations an earlier `--defer` copied
 * (another warehouse's rows, not this one's build): each with where it
 * came from and when, then what to do.
 */
function deferredReadLines(copies: RunSummary["deferredReads"]): string[] {
  const one = copies.length === 1;
  const them = one ? "it" : "them";
  return [
    color.yellow(
      `Warning: this run read ${counted(copies.length, "relation")} that --defer copied from ${
        one ? "a state's warehouse" : "states' warehouses"
      }, not built in this warehouse:`,
    ),
    ...copies.map((c) =>
      `  ${c.relation}: ${
        counted(c.rows, "row")
      } of ${c.stateRelation} in ${c.stateWarehouse} (--state ${c.state}), copied at ${c.copiedAt}`
    ),
    `  Build ${them} here (add ${
      copies.map((c) => `+${c.relation}`).join(" ")
    } to --select), or rerun with --defer --state <folder> (a run's target/) to copy ${them} again from that run's warehouse.`,
  ];
}

/** `1 node was`, `2 nodes were`. */
function nodesWere(n: number): string {
  return `${counted(n, "node")} ${n === 1 ? "was" : "were"}`;
}

/**
 * Why the run's nodes were skipped, a paragraph per cause with its own
 * count: raw tables not landed (and what lands them), a failed node
 * upstream (each such node, with how many it held back), `--fail-fast`.
 */
export function skipLines(summary: RunSummary, options: SkipHintOptions = {}): string[] {
  const lines = summary.skipped.not_landed ? notLandedLines(summary, options) : [];
  // Tables declared optional are not waited for, but the run says it read them as empty.
  if (summary.readAsEmpty?.length) {
    if (lines.length) lines.push("");
    lines.push(
      color.yellow("Built on tables not landed yet, read as empty (declared optional):"),
      readAsEmptyLine(summary, options),
    );
  }
  const held = new Map<string, number>();
  let failFast: { node: string; status: string; by: string; count: number } | undefined;
  for (const r of summary.results) {
    if (r.skip?.cause === "upstream_failed") {
      const what = `${r.skip.node} ${r.skip.status === "fail" ? "failed" : "errored"}`;
      held.set(what, (held.get(what) ?? 0) + 1);
    } else if (r.skip?.cause === "fail_fast") {
      failFast = { ...r.skip, count: (failFast?.count ?? 0) + 1 };
    }
  }
  if (held.size) {
    if (lines.length) lines.push("");
    lines.push(
      color.yellow(
        `${nodesWere(summary.skipped.upstream_failed)} skipped because a node upstream of ${
          summary.skipped.upstream_failed === 1 ? "it" : "them"
        } failed:`,
      ),
      ...[...held].map(([what, n]) => `  ${what}: ${n} skipped below it`),
    );
  }
  if (failFast) {
    if (lines.length) lines.push("");
    lines.push(
      color.yellow(
        `${
          nodesWere(failFast.count)
        } skipped: ${failFast.by} stopped the run when ${failFast.node} ${
          failFast.status === "fail" ? "failed" : "errored"
        }.`,
      ),
    );
  }
  return lines;
}

/** Each result with one of `statuses`, as a blank line, `Error in model x:` and its message. */
export function problemLines(
  results: readonly NodeResult[],
  statuses: readonly NodeResult["status"][],
): string[] {
  return results.filter((r) => statuses.includes(r.status)).flatMap((r) => {
    const label = r.status === "warn"
      ? color.yellow("Warning")
      : color.red(r.status === "fail" ? "Failure" : "Error");
    return [
      "",
      `${label} in ${r.kind} ${r.id}:`,
      ...String(r.message ?? "").split("\n").map((l) => `  ${l}`),
    ];
  });
}

const LAND = "`wharf land <files>`";

/**
 * The command that fills a raw table the project reads (`sourceTables`: the
 * tables of its sources; `npiList`: the NPI list to enrich, when known).
 */
function landingCommand(table: string, options: SkipHintOptions): string {
  if (options.sourceTables?.includes(table)) return LAND;
  if (table.startsWith("raw.tic_")) return "`wharf tic <index.json.gz>`";
  if (table.startsWith("raw.npi_") || table === "wharf.npi_ledger") {
    return `\`wharf enrich npi ${options.npiList ?? "<list>"}\``;
  }
  return LAND;
}

/**
 * Says which raw tables kept nodes from running and what lands each; the
 * bundled demo data is suggested only for the tables the demo lands
 * (`demoTables`), never for TiC indexes or NPI answers.
 */
export function notLandedLines(summary: RunSummary, options: SkipHintOptions = {}): string[] {
  const skipped = summary.skipped.not_landed;
  const models = summary.results.filter((r) => r.kind === "model");
  const nothing = models.length > 0 && models.every((r) => r.skip?.cause === "not_landed");
  const byCommand = new Map<string, string[]>();
  for (const t of summary.notLanded) {
    const c = landingCommand(t, options);
    byCommand.set(c, [...(byCommand.get(c) ?? []), t]);
  }
  const land = byCommand.get(LAND) ?? [];
  const demo = land.filter((t) => options.demoTables?.includes(t));
  const others = byCommand.size > (land.length ? 1 : 0);
  const hint = options.inDemo
    ? ["  (the demo lands deliveries only: TiC indexes and NPI answers come from those commands)"]
    : demo.length === 0
    ? []
    : [
      `  For the bundled demo data${
        demo.length < land.length
          ? ` of ${demo.join(", ")}`
          : others
          ? " of the tables `wharf land` fills"
          : ""
      }, run \`deno task demo\`${others ? " (it lands no TiC index and no NPI answer)" : ""}.`,
    ];
  return [
    nothing
      ? color.yellow(
        `Nothing this project reads is landed yet: ${
          skipped === 1 ? "its 1 node was" : `all ${counted(skipped, "node")} were`
        } skipped.`,
      )
      : color.yellow(
        `${nodesWere(skipped)} skipped: what ${
          skipped === 1 ? "it reads" : "they read"
        } is not landed yet.`,
      ),
    ...[...byCommand].map(([c, tables]) => `  ${tables.join(", ")}: land with ${c}`),
    ...hint,
  ];
}

/** The tables declared optional that the run read as empty, and what lands them. */
function readAsEmptyLine(summary: RunSummary, options: SkipHintOptions): string {
  return `  ${summary.readAsEmpty.join(", ")}: land with ${
    landingCommand(summary.readAsEmpty[0]!, options)
  }`;
}

/** The widest cell a table shows on a terminal unless told otherwise. */
export const DEFAULT_MAX_WIDTH = 40;

/** `--max-width` and `--wide`, as parsed. */
export interface WidthOptions {
  maxWidth?: string;
  wide?: boolean;
}

/** Adds `--max-width <n>` and `--wide` to a command that prints tables. */
export function withWidthOptions(cmd: Command): Command {
  return cmd
    .option(
      "--max-width <n>",
      `on a terminal: cut values wider than n columns (default ${DEFAULT_MAX_WIDTH})`,
    )
    .option("--wide", "on a terminal: show values whole");
}

/**
 * The width at which table cells are cut: only for a person at a terminal
 * (`toTerminal`), never for pipes, files or `--wide` (`Infinity`).
 *
 * @throws {UsageError} for a bad `--max-width`, or both options at once.
 */
export function cellWidth(opts: WidthOptions, toTerminal: boolean): number {
  if (opts.wide && opts.maxWidth !== undefined) {
    throw new UsageError("--wide and --max-width exclude each other: pass one");
  }
  const maxWidth = opts.maxWidth === undefined ? DEFAULT_MAX_WIDTH : Number(opts.maxWidth);
  if (!Number.isInteger(maxWidth) || maxWidth < 1) {
    throw new UsageError(`Invalid --max-width "${opts.maxWidth}": expected a whole number ≥ 1`);
  }
  return toTerminal && !opts.wide ? maxWidth : Infinity;
}

/**
 * Renders rows as an aligned plain-text table. Cells wider than `maxWidth`
 * are cut; by default at {@linkcode DEFAULT_MAX_WIDTH} on a terminal and
 * never when stdout is a pipe or a file.
 */
export async function table(
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
  maxWidth: number = Deno.stdout.isTerminal() ? DEFAULT_MAX_WIDTH : Infinity,
): Promise<string> {
  // Display widths (string-width, Intl.Segmenter) cost ~30 ms to load: only commands printing a table pay it.
  const { escapeControls, renderTable } = await load<typeof import("../src/sql/render_table.ts")>(
    "../src/sql/render_table.ts",
  );
  const cell = (v: unknown) =>
    escapeControls(
      v === null || v === undefined
        ? "NULL"
        : typeof v === "object"
        ? JSON.stringify(v)
        : String(v),
    );
  return renderTable(
    [columns.map(escapeControls)],
    rows.map((r) => columns.map((c) => cell(r[c]))),
    { maxWidth },
  ).lines.join("\n");
}
