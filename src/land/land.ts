/**
 * `wharf land`: deliveries (files, folders, globs, URLs) into the
 * warehouse's `raw` schema, exactly once, in source order, then by the
 * delivery time in their names, then by name.
 *
 * @module
 */
import { basename } from "node:path";
import type { ResolvedConfig } from "../config.ts";
import { openWarehouse, type Warehouse } from "../db/warehouse.ts";
import { ConfigError } from "../errors.ts";
import { fetchToCache, urlFileName } from "./fetch_url.ts";
import { expandInputs, type Input } from "./inputs.ts";
import { type FileOutcome, landFile } from "./land_file.ts";
import { ensureManifest } from "./manifest.ts";
import { type FileMatch, matchSource } from "./sources.ts";

/** Options of {@linkcode land}. */
export interface LandOptions {
  /** Warehouse file; the configured one by default. */
  db?: string;
  /** Land every file as this source, whatever its name. */
  source?: string;
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

/**
 * Matches inputs to their sources and orders the matched ones: source
 * order, then delivery time from the name (files without one first), then
 * name. Files that match no source are returned apart, with the reason.
 */
export function matchInputs(
  config: ResolvedConfig,
  inputs: readonly Input[],
  forced?: string,
): { planned: Planned[]; unmatched: { name: string; message: string }[] } {
  const planned: Planned[] = [];
  const unmatched: { name: string; message: string }[] = [];
  for (const input of inputs) {
    const name = input.kind === "url" ? urlFileName(input.url) : basename(input.path);
    try {
      planned.push({ input, name, match: matchSource(name, config.sources, forced) });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      unmatched.push({ name, message: err.message });
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
 * matches no source, so nothing lands until the names are fixed.
 *
 * @throws {ConfigError} listing every file that matches no source.
 */
export function planLanding(
  config: ResolvedConfig,
  inputs: readonly Input[],
  forced?: string,
): Planned[] {
  const { planned, unmatched } = matchInputs(config, inputs, forced);
  if (unmatched.length === 1 && inputs.length === 1) throw new ConfigError(unmatched[0]!.message);
  if (forced !== undefined && unmatched.length) throw new ConfigError(unmatched[0]!.message);
  if (unmatched.length) {
    const known = config.sources.map((s) => `  ${s.name}: ${s.pattern.source}`).join("\n") ||
      "  (none: declare sources in wharf.config.ts)";
    throw new ConfigError(
      `${unmatched.length} file${
        unmatched.length === 1 ? "" : "s"
      } match no source (nothing was landed): ${
        unmatched.map((u) => `"${u.name}"`).join(", ")
      }; rename them to fit a pattern, or pass --source NAME. Known sources:\n${known}`,
    );
  }
  return planned;
}

/** Lands planned inputs on an open warehouse, one file at a time. */
export async function landPlanned(
  wh: Warehouse,
  config: ResolvedConfig,
  planned: readonly Planned[],
  options: LandOptions = {},
): Promise<FileOutcome[]> {
  await wh.withConnection(ensureManifest);
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
        const outcome: FileOutcome = {
          file,
          source: p.match.source.name,
          status: "failed",
          rows: 0,
          rejectedRows: 0,
          size: 0,
          message: err instanceof Error ? err.message : String(err),
          durationMs: 0,
        };
        outcomes.push(outcome);
        options.onFile?.(outcome);
        continue;
      }
    } else {
      path = p.input.path;
      options.onStart?.(file, p.match.source.name, (await Deno.stat(path)).size);
    }
    const outcome = await landFile(wh, p.match, {
      path,
      file,
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
  /** Its name as uploaded (matched against the source's pattern for lineage groups). */
  name: string;
}

/**
 * Lands one uploaded file as `source`, refusing one whose header does not
 * fit the source's raw table. Its `_file` lineage is `upload:<name>`.
 */
export async function landUpload(
  config: ResolvedConfig,
  options: LandUploadOptions,
): Promise<FileOutcome> {
  const match = matchSource(options.name, config.sources, options.source);
  const wh = await openWarehouse(options.db, { holder: "wharf serve (an upload)" });
  try {
    await wh.withConnection(ensureManifest);
    return await landFile(wh, match, {
      path: options.path,
      file: `upload:${options.name}`,
      requireMatchingColumns: true,
    });
  } finally {
    wh.close();
  }
}

/**
 * Lands `args` (files, folders, globs, URLs) into the warehouse.
 *
 * @throws {ConfigError} when a file matches no source; {@linkcode LandingError}
 * for a path that does not exist. Files that cannot be read do not throw:
 * they are `failed` outcomes, recorded in the manifest.
 * @example
 * ```ts ignore
 * const summary = await land(config, ["deliveries/"]);
 * console.log(summary.outcomes.map((o) => `${o.status} ${o.file}`));
 * ```
 */
export async function land(
  config: ResolvedConfig,
  args: readonly string[],
  options: LandOptions & { cwd?: string } = {},
): Promise<LandSummary> {
  const started = performance.now();
  const planned = planLanding(config, await expandInputs(args, options.cwd), options.source);
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
