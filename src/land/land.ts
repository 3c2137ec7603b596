/**
 * `wharf land`: deliveries (files, folders, globs, URLs) into the
 * warehouse's `raw` schema, exactly once, in source order, then by the
 * delivery time in their names, then by name.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, dirname, join, resolve } from "node:path";
import type { LandConfig } from "./config.ts";
import { ensureTables } from "../engine/db/schema/warehouse_schema.ts";
import { openWarehouse, type Warehouse } from "../engine/db/warehouse.ts";
import { ConfigError, FileNameError, LandingError } from "../engine/errors.ts";
import { UPLOAD_PREFIX } from "../engine/run/failed_landings.ts";
import { fetchToCache, urlFileName } from "./fetch_url.ts";
import { expandInputs, type Input } from "./inputs.ts";
import { type FileOutcome, landFile } from "./land_file.ts";
import { nextBatchId, writeManifest } from "./manifest.ts";
import { type FieldsHint, type FileMatch, knownSources, matchSource } from "./sources.ts";
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
  /** Called for a file left alone, not landed: the warehouse's own files (see {@linkcode warehouseFileReason}). */
  onIgnored?: (ignored: Ignored) => void;
}

/** A file that was given (in a folder, by a glob) but is no delivery, and was left alone. */
export interface Ignored {
  file: string;
  /** Why, e.g. "the warehouse this run lands into, not a delivery". */
  reason: string;
}

/** What a landing run did. */
export interface LandSummary {
  outcomes: FileOutcome[];
  /** Files left alone: the warehouse's own files found among the inputs. */
  ignored: Ignored[];
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
  input: Input;
  name: string;
  /** The full message: the reason, then the known sources with their patterns. */
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
        input,
        name,
        // A name that fits no source says the sources already; one that fits lists them too.
        message: err instanceof FileNameError
          ? `${err.message}\nRename it to fit its source's pattern. Known sources:\n${
            knownSources(config.sources)
          }`
          : err.message,
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
  throw new ConfigError(
    `${unmatched.length} file${
      unmatched.length === 1 ? "" : "s"
    } cannot be landed as named (nothing was landed):\n${
      unmatched.map((u) => `  "${u.name}": ${u.reason}`).join("\n")
    }\nRename them to fit a pattern, or pass --source NAME (with --field for what the name does not say). Known sources:\n${
      knownSources(config.sources)
    }`,
  );
}

/**
 * Why `path` is one of the warehouse's own files (the database `db`, its
 * write-ahead log `<db>.wal`, or a file of its spill folder `<db>.tmp/`),
 * or undefined when it is not. A folder landed or watched may hold the
 * warehouse: its files are no delivery, and landing them would fail (or,
 * watched, land again at every write).
 *
 * @example
 * ```ts
 * import { warehouseFileReason } from "./land.ts";
 * warehouseFileReason("/data/wh.duckdb.wal", "/data/wh.duckdb"); // "the warehouse's write-ahead log, not a delivery"
 * warehouseFileReason("/data/a.csv", "/data/wh.duckdb"); // undefined
 * ```
 */
export function warehouseFileReason(path: string, db: string): string | undefined {
  if (/^[a-z][a-z0-9+]*:/i.test(db) && !/^[a-z]:[\\/]/i.test(db)) return undefined; // md:, s3: …
  const real = (p: string) => {
    try {
      return join(Deno.realPathSync(dirname(p)), basename(p));
    } catch {
      return resolve(p);
    }
  };
  const file = real(path);
  const base = real(db);
  if (file === base) return "the warehouse this run lands into, not a delivery";
  if (file === `${base}.wal`) return "the warehouse's write-ahead log, not a delivery";
  if (file.startsWith(`${base}.tmp/`)) return "a spill file of the warehouse, not a delivery";
  return undefined;
}

/** Splits the warehouse's own files (see {@linkcode warehouseFileReason}) from the inputs. */
export function withoutWarehouseFiles(
  inputs: readonly Input[],
  db: string,
): { inputs: Input[]; ignored: Ignored[] } {
  const kept: Input[] = [];
  const ignored: Ignored[] = [];
  for (const input of inputs) {
    const reason = input.kind === "file" ? warehouseFileReason(input.path, db) : undefined;
    if (reason && input.kind === "file") ignored.push({ file: input.path, reason });
    else kept.push(input);
  }
  return { inputs: kept, ignored };
}

/** SHA-256 of a file, or undefined when it cannot be read. */
async function hashFile(path: string): Promise<string | undefined> {
  try {
    using file = await Deno.open(path);
    const hash = createHash("sha256");
    for await (const chunk of file.readable) hash.update(chunk);
    return hash.digest("hex");
  } catch {
    return undefined;
  }
}

/**
 * Records in the manifest a file that cannot be landed as named (`land
 * --watch`, where no run is refused for it): a `failed` row with the reason,
 * under the forced source or none (`""`). Like every failed row, it is
 * replaced when the same content lands (renamed) or fails again.
 */
export async function recordUnmatched(
  wh: Warehouse,
  unmatched: Unmatched,
  forced?: string,
): Promise<FileOutcome> {
  const started = new Date();
  const file = unmatched.input.kind === "url" ? unmatched.input.url : unmatched.input.path;
  const path = unmatched.input.kind === "file" ? unmatched.input.path : undefined;
  const size = path ? (await Deno.stat(path).catch(() => undefined))?.size ?? 0 : 0;
  const sha256 = path ? await hashFile(path) : undefined;
  const source = unmatched.error instanceof FileNameError
    ? unmatched.error.source ?? forced ?? ""
    : forced ?? "";
  await wh.withConnection((s) => ensureTables(s, "landing"));
  const batchId = await wh.transaction(async (s) => {
    const batchId = await nextBatchId(s);
    await writeManifest(s, {
      batchId,
      source,
      path: file,
      fileName: unmatched.name,
      size,
      sha256,
      status: "failed",
      rows: 0,
      rejectedRows: 0,
      error: unmatched.message,
      groups: {},
      startedAt: started,
      endedAt: new Date(),
    });
    return batchId;
  });
  return {
    file,
    source,
    status: "failed",
    batchId,
    rows: 0,
    rejectedRows: 0,
    size,
    sha256,
    message: unmatched.message,
    error: unmatched.error instanceof LandingError
      ? unmatched.error
      : new FileNameError(unmatched.name, unmatched.message),
    durationMs: Date.now() - started.getTime(),
  };
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
      file: `${UPLOAD_PREFIX}${options.name}`,
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
      file: `${UPLOAD_PREFIX}${options.name}`,
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
  const db = options.db ?? config.warehouse;
  const { inputs, ignored } = withoutWarehouseFiles(await expandInputs(args, options.cwd), db);
  for (const i of ignored) options.onIgnored?.(i);
  const planned = planLanding(config, inputs, options.source, options.fields);
  const wh = await openWarehouse(db, { holder: "wharf land" });
  try {
    const outcomes = await landPlanned(wh, config, planned, options);
    return {
      outcomes,
      ignored,
      ok: outcomes.every((o) => o.status !== "failed"),
      elapsedMs: performance.now() - started,
    };
  } finally {
    wh.close();
  }
}
