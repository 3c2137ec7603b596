/**
 * Landing sources: which raw table a delivered file goes to, read from its
 * name. A source's pattern is a regular expression over the file's base
 * name; its named groups (client, kind, period, delivered_at …) become
 * lineage columns `_<group>` on every row.
 *
 * @module
 */
import { basename } from "node:path";
import { ConfigError } from "../errors.ts";

/** File formats wharf lands. */
export type FileFormat = "csv" | "json" | "ndjson" | "xlsx";

/** A landing source as declared in `wharf.config.ts`. */
export interface SourceConfig {
  /** Unique name, used with `--source` and in the manifest. */
  name: string;
  /** Regular expression over the file name; named groups become `_<group>` columns. */
  pattern: string | RegExp;
  /** Raw table (`raw.<table>`); the source's name by default. */
  table?: string;
  /** Format; by default from the extension (`.csv .txt .tsv .psv .json .ndjson .jsonl .xlsx`, maybe `.gz`). */
  format?: FileFormat;
  /** Delimited text: the delimiter; by default `,` for .csv, tab for .tsv, `|` for .psv, sniffed for .txt. */
  delimiter?: string;
  /** Delimited text: `utf-8`, `latin-1`, or `auto` (default: UTF-8 unless the start of the file is not UTF-8 at all). */
  encoding?: "utf-8" | "latin-1" | "auto";
  /** Excel: the sheet to read; the first by default. */
  sheet?: string;
}

/** A source ready to match files. */
export interface Source {
  name: string;
  table: string;
  pattern: RegExp;
  /** Position in the configuration: sources land in this order. */
  order: number;
  /** Names of the pattern's groups, in order. */
  groups: string[];
  format?: FileFormat;
  delimiter?: string;
  encoding: "utf-8" | "latin-1" | "auto";
  sheet?: string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * Validates and compiles the configured sources.
 *
 * @throws {ConfigError} naming the source and the setting at fault.
 */
export function compileSources(configs: readonly SourceConfig[] = []): Source[] {
  const seen = new Set<string>();
  return configs.map((c, order) => {
    const where = `sources[${order}]${c?.name ? ` ("${c.name}")` : ""} in wharf.config.ts`;
    if (typeof c?.name !== "string" || !IDENT.test(c.name)) {
      throw new ConfigError(
        `Invalid source name in ${where}: use lower-case letters, digits and underscores`,
      );
    }
    if (seen.has(c.name)) throw new ConfigError(`Duplicate source "${c.name}" in wharf.config.ts`);
    seen.add(c.name);
    const table = c.table ?? c.name;
    if (!IDENT.test(table)) {
      throw new ConfigError(
        `Invalid table "${table}" in ${where}: use lower-case letters, digits and underscores`,
      );
    }
    let pattern: RegExp;
    try {
      pattern = typeof c.pattern === "string" ? new RegExp(c.pattern) : c.pattern;
    } catch (err) {
      throw new ConfigError(`Invalid pattern in ${where}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (!(pattern instanceof RegExp)) throw new ConfigError(`Missing "pattern" in ${where}`);
    const groups = [...pattern.source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) =>
      m[1]!.toLowerCase()
    );
    for (const g of groups) {
      if (!IDENT.test(g)) {
        throw new ConfigError(
          `Invalid group name "${g}" in ${where}: use lower-case letters, digits and underscores`,
        );
      }
    }
    return {
      name: c.name,
      table,
      pattern,
      order,
      groups,
      format: c.format,
      delimiter: c.delimiter,
      encoding: c.encoding ?? "auto",
      sheet: c.sheet,
    };
  });
}

/** What a file's name says about it. */
export interface FileMatch {
  source: Source;
  /** Named groups of the pattern, lower-cased names. */
  groups: Record<string, string>;
  /** The delivery time the name carries (`delivered_at`, else `period`), when it does. */
  deliveredAt?: Date;
}

/**
 * Parses a timestamp as file names carry them: `20240105_101500`,
 * `20240105T101500`, `20240105101500`, `20240105`, `202307`, or ISO 8601
 * (all UTC).
 */
export function parseNameTimestamp(text: string): Date | undefined {
  const m = /^(\d{4})-?(\d{2})(?:-?(\d{2})(?:[_T\s-]?(\d{2}):?(\d{2}):?(\d{2}))?)?$/.exec(
    text.trim(),
  );
  if (!m) return undefined;
  const [, y, mo, d = "01", h = "00", mi = "00", s = "00"] = m;
  const date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  if (
    Number.isNaN(date.getTime()) || date.getUTCMonth() + 1 !== Number(mo) ||
    date.getUTCDate() !== Number(d)
  ) {
    return undefined;
  }
  return date;
}

/**
 * Finds the source of `path` by its file name (or the forced one).
 *
 * @throws {ConfigError} when no source matches (listing the sources and
 * their patterns), or the name's timestamp cannot be read.
 */
export function matchSource(path: string, sources: readonly Source[], forced?: string): FileMatch {
  const name = basename(path.replace(/[?#].*$/, ""));
  let source: Source | undefined;
  if (forced !== undefined) {
    source = sources.find((s) => s.name === forced);
    if (!source) {
      throw new ConfigError(
        `Unknown source "${forced}": known sources are ${
          sources.map((s) => `"${s.name}"`).join(", ") || "none (declare them in wharf.config.ts)"
        }`,
      );
    }
  } else {
    source = sources.find((s) => s.pattern.test(name));
    if (!source) {
      const known = sources.length
        ? sources.map((s) => `  ${s.name}: ${s.pattern.source}`).join("\n")
        : "  (none: declare sources in wharf.config.ts)";
      throw new ConfigError(
        `File "${name}" matches no source: rename it to fit a pattern, or pass --source NAME. Known sources:\n${known}`,
      );
    }
  }
  const groups: Record<string, string> = {};
  const m = source.pattern.exec(name);
  for (const [k, v] of Object.entries(m?.groups ?? {})) {
    if (v !== undefined) groups[k.toLowerCase()] = v;
  }
  const stamp = groups.delivered_at ?? groups.period;
  let deliveredAt: Date | undefined;
  if (stamp !== undefined) {
    deliveredAt = parseNameTimestamp(stamp);
    if (!deliveredAt) {
      throw new ConfigError(
        `Cannot read the delivery time "${stamp}" in file name "${name}" (source "${source.name}"): expected e.g. 20240105_101500 or 202307`,
      );
    }
  }
  return { source, groups, deliveredAt };
}
