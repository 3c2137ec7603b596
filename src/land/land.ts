/**
 * `wharf land`: deliveries (files, folders, globs, URLs) into the
 * warehouse's `raw` schema, exactly once, in source order, then by the
 * delivery time in their names, then by name.
 *
 * @module
 */
import { basename } from "node:path";
import type { LandConfig } from "./config.ts";
import { ensureTables } from "../engine/db/schema/warehouse_schema.ts";
import { openWarehouse, type Warehouse } from "../engine/db/warehouse.ts";
import { ConfigError, FileNameError, LandingError } from "../engine/errors.ts";
import { fetchToCache, urlFileName } from "./fetch_url.ts";
import { expandInputs, type Input } from "./inputs.ts";
import { type FileOutcome, landFile } from "./land_file.ts";
import { type FieldsHint, type FileMatch, matchSource } from "./sources.ts";
import { cleanStaging } from "./staging.ts";

/** Options of {@linkcode land}. */
export interface LandOptions {
  /** Warehouse file; the configured one by default. */
  db?: string;
  /** Land every file as this source: its name must fit the source's pattern, unless `fields` are given. */
  source?: string;
  /**
   * With `source`: the delivery fields (the pattern's groups, e.g.
   * `{ client: "clientA", period: "202307" }`) for files whose names do not
   * carry them; they must fit the pattern's groups and agree with the name.
   */
  fields?: Record<string, string>;
  /** Called when a file starts landing. */
  onStart?: (file: string, source: string, size?: number) => void;
  /** Called while a file is read or downloaded. */
  onProgress?: (file: string, bytes: number, total?: number) => void;
  /** Called when a file is done. */
  onFile?: (outcome: FileOutcome) => void;
}

/** What a landing run did. */
export interface LandSummary {
  outcomes: FileOutcome[];
  /** False when any file failed. */
  ok: boolean;
  elapsedMs: number;
}

interface Planned {
  input: Input;
  name: string;
  match: FileMatch;
}

/** A file that cannot be landed as named. */
export interface Unmatched {
  name: string;
  /** The full message (with the known sources when it matches none). */
  message: string;
  /** The reason in a few words: "matches no source", or which field failed. */
  reason: string;
  error: ConfigError | FileNameError;
}

/**
 * Matches inputs to their sources and orders the matched ones: source
 * order, then delivery time from the name (files without one first), then
 * name. Files that match no source, or whose name does not give what the
 * source needs, are returned apart with the reason.
 */
export function matchInputs(
  config: LandConfig,
  inputs: readonly Input[],
  forced?: string,
  fields?: Readonly<Record<string, string>>,
): { planned: Planned[]; unmatched: Unmatched[] } {
  const planned: Planned[] = [];
  const unmatched: Unmatched[] = [];
  for (const input of inputs) {
    const name = input.kind === "url" ? urlFileName(input.url) : basename(input.path);
    try {
      planned.push({
        input,
        name,
        match: matchSource(name, config.sources, { source: forced, fields }),
      });
    } catch (err) {
      if (!(err instanceof ConfigError || err instanceof FileNameError)) throw err;
      const none = forced === undefined && !config.sources.some((s) => s.pattern.test(name));
      unmatched.push({
        name,
        message: err.message,
        reason: none ? "matches no source" : err.message,
        error: err,
      });
    }
  }
  planned.sort((a, b) =>
    a.match.source.order - b.match.source.order ||
    (a.match.deliveredAt?.getTime() ?? -Infinity) - (b.match.deliveredAt?.getTime() ?? -Infinity) ||
    a.name.localeCompare(b.name)
  );
  return { planned, unmatched };
}

/**
 * Like {@linkcode matchInputs}, but refuses the whole run when any file
 * cannot be landed as named, so nothing lands until the names are fixed.
 *
 * @throws {ConfigError} listing every such file with its reason (matches no
 * source, or which delivery field failed); for a single file, its own
 * {@linkcode ConfigError} or {@linkcode FileNameError}.
 */
export function planLanding(
  config: LandConfig,
  inputs: readonly Input[],
  forced?: string,
  fields?: Readonly<Record<string, string>>,
): Planned[] {
  const { planned, unmatched } = matchInputs(config, inputs, forced, fields);
  if (unmatched.length === 0) return planned;
  if (unmatched.length === 1 && inputs.length === 1) throw unmatched[0]!.error;
  const known = config.sources.map((s) => `  ${s.name}: ${s.pattern.source}`).join("\n") ||
    "  (none: declare sources in wharf.config.ts)";
  throw new ConfigError(
    `${unmatched.length} file${
      unmatched.length === 1 ? "" : "s"
    } cannot be landed as named (nothing was landed):\n${
      unmatched.map((u) => `  "${u.name}": ${u.reason}`).join("\n")
    }\nRename them to fit a pattern, or pass --source NAME (with --field for what the name does not say). Known sources:\n${known}`,
  );
}

/** Lands planned inputs on an open warehouse, one file at a time. */
export async function landPlanned(
  wh: Warehouse,
  config: LandConfig,
  planned: readonly Planned[],
  options: LandOptions = {},
): Promise<FileOutcome[]> {
  await wh.withConnection((s) => ensureTables(s, "landing"));
  await cleanStaging(config.paths.staging);
  const outcomes: FileOutcome[] = [];
  for (const p of planned) {
    const file = p.input.kind === "url" ? p.input.url : p.input.path;
    let path: string;
    if (p.input.kind === "url") {
      options.onStart?.(file, p.match.source.name);
      try {
        path = await fetchToCache(p.input.url, {
          cacheDir: config.paths.cache,
          onProgress: (bytes, total) => options.onProgress?.(file, bytes, total),
        });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const outcome: FileOutcome = {
          file,
          source: p.match.source.name,
          status: "failed",
          rows: 0,
          rejectedRows: 0,
          size: 0,
          message,
          error: new LandingError(file, message, { cause: err }),
          durationMs: 0,
        };
        outcomes.push(outcome);
        options.onFile?.(outcome);
        continue;
      }
    } else {
      path = p.input.path;
      options.onStart?.(
        file,
        p.match.source.name,
        (await Deno.stat(path).catch(() => undefined))?.size,
      );
    }
    const outcome = await landFile(wh, p.match, {
      path,
      file,
      stagingDir: config.paths.staging,
      onProgress: options.onProgress && ((bytes, total) => options.onProgress!(file, bytes, total)),
    });
    outcomes.push(outcome);
    options.onFile?.(outcome);
  }
  return outcomes;
}

/** Options of {@linkcode landUpload}. */
export interface LandUploadOptions {
  db: string;
  source: string;
  /** The uploaded file on disk. */
  path: string;
  /** Its name as uploaded (matched against the source's pattern for its delivery fields). */
  name: string;
  /**
   * The delivery fields (e.g. `{ client: "clientA", period: "202307" }`),
   * for a name that does not fit the source's pattern.
   */
  fields?: Record<string, string>;
  /** How the uploader names delivery fields, in messages asking for them (default: `--field`). */
  fieldsHint?: FieldsHint;
}

/**
 * Lands one uploaded file as `source`. Its `_file` lineage is
 * `upload:<name>`. The outcome is `failed`, with nothing landed, when the
 * name does not fit the source's pattern and no `fields` are given, or a
 * field does not fit ({@linkcode FileNameError}: 400); when the header does
 * not fit the source's declared columns ({@linkcode HeaderMismatchError}:
 * 400) or, for a source that declares none, shares less than half of the
 * raw table's; when the same content landed as another source
 * ({@linkcode ContentConflictError}: 409); or when the file cannot be read.
 *
 * @throws {ConfigError} when `source` does not exist.
 */
export async function landUpload(
  config: LandConfig,
  options: LandUploadOptions,
): Promise<FileOutcome> {
  const started = performance.now();
  let match: FileMatch;
  try {
    const { source, fields, fieldsHint } = options;
    match = matchSource(options.name, config.sources, { source, fields, fieldsHint });
  } catch (err) {
    if (!(err instanceof FileNameError)) throw err;
    return {
      file: `upload:${options.name}`,
      source: options.source,
      status: "failed",
      rows: 0,
      rejectedRows: 0,
      size: (await Deno.stat(options.path).catch(() => undefined))?.size ?? 0,
      message: err.message,
      error: err,
      durationMs: performance.now() - started,
    };
  }
  const wh = await openWarehouse(options.db, { holder: "wharf serve (an upload)" });
  try {
    await wh.withConnection((s) => ensureTables(s, "landing"));
    return await landFile(wh, match, {
      path: options.path,
      file: `upload:${options.name}`,
      name: options.name,
      stagingDir: config.paths.staging,
      requireMatchingColumns: match.source.columns === undefined,
    });
  } finally {
    wh.close();
  }
}

/**
 * Lands `args` (files, folders, globs, URLs) into the warehouse.
 *
 * @throws {ConfigError} when a file matches no source; {@linkcode FileNameError}
 * when a file's name does not give what its source needs;
 * {@linkcode LandingError} for a path that does not exist. Files that cannot be read do not throw:
 * they are `failed` outcomes, recorded in the manifest.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveConfig } from "../config.ts";
 * import { land } from "./land.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/deliveries`);
 * await Deno.writeTextFile(`${root}/deliveries/members-202401.csv`, "member_id,zip\n1,02130\n");
 * const config = resolveConfig(root, {
 *   sources: [{ name: "members", pattern: "^members-(?<period>\\d{6})\\.csv$" }],
 * });
 * const summary = await land(config, ["deliveries/"], { cwd: root });
 * assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows]), [["landed", 1]]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function land(
  config: LandConfig,
  args: readonly string[],
  options: LandOptions & { cwd?: string } = {},
): Promise<LandSummary> {
  const started = performance.now();
  const planned = planLanding(
    config,
    await expandInputs(args, options.cwd),
    options.source,
    options.fields,
  );
  const wh = await openWarehouse(options.db ?? config.warehouse, { holder: "wharf land" });
  try {
    const outcomes = await landPlanned(wh, config, planned, options);
    return {
      outcomes,
      ok: outcomes.every((o) => o.status !== "failed"),
      elapsedMs: performance.now() - started,
    };
  } finally {
    wh.close();
  }
}
