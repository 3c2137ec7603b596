/**
 * Landing sources: which raw table a delivered file goes to, read from its
 * name. A source's pattern is a regular expression over the file's base
 * name; its named groups (client, kind, period, delivered_at …) become
 * lineage columns `_<group>` on every row.
 *
 * @module
 */
import { basename } from "node:path";
import { refuseUnknownKeys } from "../engine/config.ts";
import { ConfigError, FileNameError } from "../engine/errors.ts";
import { closest } from "../engine/suggest.ts";
import { findFormat, type FormatName, FORMATS } from "./formats/index.ts";
import { snakeCase } from "./names.ts";

/** File formats wharf lands (`formats/`). */
export type FileFormat = FormatName;

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
  /**
   * Delimited text: the delimiter, one character (`"\t"` for a tab, `"|"`,
   * `";"`); by default `,` for .csv, tab for .tsv, `|` for .psv, sniffed for .txt.
   */
  delimiter?: string;
  /**
   * Delimited text: `utf-8`, `windows-1252` (also `cp1252`, or `latin-1`:
   * read as Windows-1252, as browsers read Latin-1), or `auto` (default:
   * UTF-8 unless the start of the file is not UTF-8 at all, then
   * Windows-1252).
   */
  encoding?: "utf-8" | "windows-1252" | "cp1252" | "latin-1" | "auto";
  /** Excel: the sheet to read; the first by default. */
  sheet?: string;
  /**
   * The columns its deliveries may have, as raw column names (the
   * snake_case of the delivered headers): a plain name may be missing, one
   * marked `{ name, required: true }` must be there. A file with a missing
   * required column, or with a column not listed, is refused. When absent,
   * any header lands and new columns are added.
   */
  columns?: (string | SourceColumn)[];
  /** Most data columns the raw table may have, new ones included. Default 1,000. */
  maxColumns?: number;
}

/** A declared column of a source. */
export interface SourceColumn {
  /** Raw column name (snake_case, as in `raw.<table>`). */
  name: string;
  /** Every delivery must have it. Default false. */
  required?: boolean;
}

/** The default of {@linkcode SourceConfig.maxColumns}. */
export const DEFAULT_MAX_COLUMNS = 1000;

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
  /** `cp1252` and `latin-1` given in the configuration are `windows-1252` here. */
  encoding: "utf-8" | "windows-1252" | "auto";
  sheet?: string;
  /** Declared columns, when the source declares them. */
  columns?: Required<SourceColumn>[];
  maxColumns: number;
  /** Each named group's own pattern (anchored), to check delivery fields given by the caller. */
  groupPatterns: Record<string, RegExp>;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/** The encodings a source may set. */
const ENCODINGS: readonly string[] = ["utf-8", "windows-1252", "cp1252", "latin-1", "auto"];

/** The keys of a source (see {@linkcode SourceConfig}). */
const SOURCE_KEYS = Object.keys(
  {
    name: true,
    pattern: true,
    table: true,
    format: true,
    delimiter: true,
    encoding: true,
    sheet: true,
    columns: true,
    maxColumns: true,
  } satisfies Record<keyof SourceConfig, true>,
);

/**
 * Validates and compiles the configured sources.
 *
 * @throws {ConfigError} naming the source and the setting at fault.
 */
export function compileSources(configs: readonly SourceConfig[] = []): Source[] {
  const seen = new Set<string>();
  return configs.map((c, order) => {
    const where = `sources[${order}]${c?.name ? ` ("${c.name}")` : ""} in wharf.config.ts`;
    if (typeof c !== "object" || c === null || Array.isArray(c)) {
      throw new ConfigError(
        `Invalid sources[${order}] in wharf.config.ts: expected { name, pattern, … }, got ${
          JSON.stringify(c)
        }`,
      );
    }
    refuseUnknownKeys(c, SOURCE_KEYS, {
      path: `sources[${order}]`,
      what: typeof c.name === "string" ? `source "${c.name}"` : "a source",
    });
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
    if (c.delimiter !== undefined) checkDelimiter(c.delimiter, where);
    if (c.format !== undefined && !findFormat(c.format)) {
      throw new ConfigError(
        `Invalid format ${JSON.stringify(c.format)} in ${where}: use ${
          FORMATS.map((f) => f.name).join(", ")
        }, or leave it out to go by the file's extension`,
      );
    }
    if (c.encoding !== undefined && !ENCODINGS.includes(c.encoding)) {
      const guess = typeof c.encoding === "string" ? closest(c.encoding, ENCODINGS) : undefined;
      throw new ConfigError(
        `Invalid encoding ${JSON.stringify(c.encoding)} in ${where}${
          guess ? ` (did you mean "${guess}"?)` : ""
        }: use ${ENCODINGS.map((e) => `"${e}"`).join(", ")}`,
      );
    }
    const maxColumns = c.maxColumns ?? DEFAULT_MAX_COLUMNS;
    if (!Number.isInteger(maxColumns) || maxColumns < 1) {
      throw new ConfigError(
        `Invalid "maxColumns" in ${where}: expected a positive integer, got ${
          JSON.stringify(c.maxColumns)
        }`,
      );
    }
    return {
      name: c.name,
      table,
      pattern,
      order,
      groups,
      format: c.format,
      delimiter: c.delimiter,
      encoding: c.encoding === "cp1252" || c.encoding === "latin-1"
        ? "windows-1252"
        : c.encoding ?? "auto",
      sheet: c.sheet,
      columns: c.columns === undefined
        ? undefined
        : compileColumns(c.columns, where, `sources[${order}]`),
      maxColumns,
      groupPatterns: groupPatterns(pattern),
    };
  });
}

/**
 * What to write for a delimiter spelt as a word or an escape, in the quotes
 * of wharf.config.ts: `"\t"` for `tab` or for `\\t` (a backslash and a `t`).
 */
const DELIMITER_WORDS: Readonly<Record<string, string>> = {
  "\\t": String.raw`"\t" for a tab`,
  tab: String.raw`"\t" for a tab`,
  pipe: `"|"`,
  comma: `","`,
  semicolon: `";"`,
  space: `" "`,
};

/**
 * Refuses a delimiter that is not one character, or is a quote, a digit or
 * a line break: `"\\t"` (a backslash and a `t`) or `"tab"` would split no
 * line of a tab-delimited file. The message says what to write.
 *
 * @throws {ConfigError} naming the source (`where`) and the key.
 */
function checkDelimiter(delimiter: unknown, where: string): void {
  const length = typeof delimiter === "string" ? [...delimiter].length : 0;
  if (length === 1 && !/["\r\n0-9]/.test(delimiter as string)) return;
  const word = typeof delimiter === "string"
    ? DELIMITER_WORDS[delimiter.trim().toLowerCase()]
    : undefined;
  throw new ConfigError(
    `Invalid delimiter ${JSON.stringify(delimiter)} in ${where}: ${
      length === 1
        ? "a quote, a digit or a line break cannot delimit fields"
        : typeof delimiter === "string"
        ? `a delimiter is one character, and this is ${length}${
          delimiter === "\\t" ? ` (a backslash and "t")` : ""
        }`
        : "a delimiter is one character, in quotes"
    }: write ${
      word
        ? `delimiter: ${word}`
        : String.raw`the character, e.g. delimiter: "|" or ";", or "\t" for a tab`
    }`,
  );
}

function compileColumns(
  columns: readonly (string | SourceColumn)[],
  where: string,
  path: string,
): Required<SourceColumn>[] {
  if (!Array.isArray(columns)) {
    throw new ConfigError(`Invalid "columns" in ${where}: expected a list of column names`);
  }
  const seen = new Set<string>();
  return columns.map((c, i) => {
    const col = typeof c === "string" ? { name: c, required: false } : {
      name: c?.name,
      required: c?.required ?? false,
    };
    if (typeof c === "object" && c !== null) {
      refuseUnknownKeys(c, ["name", "required"], {
        path: `${path}.columns[${i}]`,
        what: "a column",
      });
    }
    if (typeof col.name !== "string" || col.name === "" || snakeCase(col.name) !== col.name) {
      throw new ConfigError(
        `Invalid column ${JSON.stringify(col.name)} in columns[${i}] of ${where}: use the raw${
          typeof col.name === "string" && col.name !== ""
            ? ` name ("${snakeCase(col.name)}")`
            : " name"
        }, lower-case letters, digits and underscores`,
      );
    }
    if (typeof col.required !== "boolean") {
      throw new ConfigError(
        `Invalid "required" of column "${col.name}" in ${where}: expected true or false`,
      );
    }
    if (seen.has(col.name)) {
      throw new ConfigError(`Duplicate column "${col.name}" in ${where}`);
    }
    seen.add(col.name);
    return col as Required<SourceColumn>;
  });
}

/**
 * Each named group's own sub-pattern, anchored, with the pattern's flags
 * (for checking a delivery field given by the caller). A group whose
 * sub-pattern cannot stand alone (a back-reference) is left out.
 */
export function groupPatterns(pattern: RegExp): Record<string, RegExp> {
  const src = pattern.source;
  const flags = pattern.flags.replace(/[gy]/g, "");
  const out: Record<string, RegExp> = {};
  const open: { name?: string; start: number }[] = [];
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i];
    if (ch === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      continue;
    }
    if (ch === "[") inClass = true;
    else if (ch === "(") {
      const named = /^\(\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(src.slice(i));
      open.push(named ? { name: named[1], start: i + named[0].length } : { start: i + 1 });
    } else if (ch === ")") {
      const g = open.pop();
      if (g?.name === undefined) continue;
      try {
        out[g.name.toLowerCase()] = new RegExp(`^(?:${src.slice(g.start, i)})$`, flags);
      } catch {
        // A back-reference or the like: the group's values are not checked alone.
      }
    }
  }
  return out;
}

/** What a file's name says about it. */
export interface FileMatch {
  source: Source;
  /** Named groups of the pattern, lower-cased names. */
  groups: Record<string, string>;
  /** The delivery time the name carries (`delivered_at`, else `period`), when it does. */
  deliveredAt?: Date;
  /**
   * The delivery fields given beside the name (`--field`, an upload's query
   * parameters), lower-cased names; absent when none were. They are part of
   * the delivery's identity: the name no longer carries them.
   */
  fields?: Record<string, string>;
}

/** The delivery times file names may carry, as {@linkcode parseNameTimestamp} reads them. */
export const NAME_TIME_FORMS =
  "YYYYMM (202307), YYYYMMDD (20240105) or YYYYMMDD_HHMMSS (20240105_101500), in UTC; the date may have dashes (2024-01-05), the time colons (10:15:00), and between them a T, a space, a dash or nothing";

/**
 * Parses a timestamp as file names carry them ({@linkcode NAME_TIME_FORMS}):
 * `202307`, `20240105`, `20240105_101500`, `20240105T101500`,
 * `20240105101500`, or ISO 8601 without a zone (`2024-01-05T10:15:00`), all UTC.
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
 * How a caller names delivery fields, in the messages that ask for them:
 * given `["client", "period"]`, the CLI's `--field client=… --field period=…`.
 */
export type FieldsHint = (fields: readonly string[]) => string;

/** The CLI's flags: `--field client=… --field period=…`. */
const FIELD_FLAGS: FieldsHint = (fields) => fields.map((g) => `--field ${g}=…`).join(" ");

/** Options of {@linkcode matchSource}. */
export interface MatchSourceOptions {
  /** The source to land as, whatever the name (`--source`). */
  source?: string;
  /** With `source`: the delivery fields the name does not carry. */
  fields?: Readonly<Record<string, string>>;
  /** How the caller names delivery fields in messages; the CLI's `--field` flags by default. */
  fieldsHint?: FieldsHint;
}

/**
 * The delivery fields of `name` as `source`: its pattern's groups, with the
 * fields the caller named.
 *
 * @throws {FileNameError} when they do not fit (see {@linkcode matchSource}).
 */
function readGroups(
  name: string,
  source: Source,
  fields: Readonly<Record<string, string>> | undefined,
  hint: FieldsHint,
): Record<string, string> {
  const m = source.pattern.exec(name);
  const groups: Record<string, string> = {};
  for (const [k, v] of Object.entries(m?.groups ?? {})) {
    if (v !== undefined) groups[k.toLowerCase()] = v;
  }
  const given = Object.entries(fields ?? {});
  if (!m && given.length === 0) {
    throw new FileNameError(
      name,
      `File "${name}" does not match the pattern of source "${source.name}" (${source.pattern.source})${
        source.groups.length
          ? `: rename it, or name its delivery fields (${hint(source.groups)})`
          : ": rename it to fit"
      }`,
      { source: source.name, pattern: source.pattern.source },
    );
  }
  for (const [key, value] of given) {
    const field = key.toLowerCase();
    if (!source.groups.includes(field)) {
      throw new FileNameError(
        name,
        `Unknown delivery field "${key}" for source "${source.name}": its fields are ${
          source.groups.map((g) => `"${g}"`).join(", ") || "none (its pattern has no named groups)"
        }`,
        { source: source.name, pattern: source.pattern.source, field: key },
      );
    }
    const fit = source.groupPatterns[field];
    if (value === "" || (fit && !fit.test(value))) {
      throw new FileNameError(
        name,
        `Delivery field ${field}=${JSON.stringify(value)} does not fit source "${source.name}"${
          fit ? ` (expected ${fit.source.slice(4, -2)})` : ": it is empty"
        }`,
        { source: source.name, pattern: source.pattern.source, field },
      );
    }
    if (groups[field] !== undefined && groups[field] !== value) {
      throw new FileNameError(
        name,
        `Delivery field ${field}=${
          JSON.stringify(value)
        } contradicts the file name "${name}" (${field} ${JSON.stringify(groups[field])})`,
        { source: source.name, pattern: source.pattern.source, field },
      );
    }
    groups[field] = value;
  }
  if (!m) {
    const missing = source.groups.filter((g) => groups[g] === undefined);
    if (missing.length) {
      throw new FileNameError(
        name,
        `File "${name}" does not match the pattern of source "${source.name}" (${source.pattern.source}) and its delivery field${
          missing.length > 1 ? "s" : ""
        } ${missing.map((g) => `"${g}"`).join(", ")} ${
          missing.length > 1 ? "are" : "is"
        } not given: name ${missing.length > 1 ? "them" : "it"} too (${hint(missing)})`,
        { source: source.name, pattern: source.pattern.source, field: missing[0] },
      );
    }
  }
  return groups;
}

/**
 * The sources with their patterns, a line each (`  visits: ^…$`), as the
 * messages about a file that cannot be landed as named list them.
 */
export function knownSources(sources: readonly Source[]): string {
  return sources.length
    ? sources.map((s) => `  ${s.name}: ${s.pattern.source}`).join("\n")
    : "  (none: declare sources in wharf.config.ts)";
}

/**
 * Finds the source of `path` by its file name (or the forced one,
 * `options.source`). With a forced source, the name must match its pattern
 * unless `options.fields` names the delivery fields (the pattern's groups:
 * `client`, `period` …); fields given must fit their group's pattern and
 * agree with the name.
 *
 * @throws {ConfigError} when no source matches (listing the sources and
 * their patterns) or the forced one does not exist; {@linkcode FileNameError}
 * when the name does not fit the forced source, a field is unknown or does
 * not fit, or the delivery time cannot be read (naming the field).
 */
export function matchSource(
  path: string,
  sources: readonly Source[],
  options: MatchSourceOptions = {},
): FileMatch {
  const { source: forced, fields } = options;
  const name = basename(path);
  let source: Source | undefined;
  if (forced !== undefined) {
    source = sources.find((s) => s.name === forced);
    if (!source) {
      const guess = closest(forced, sources.map((s) => s.name));
      throw new ConfigError(
        `Unknown source "${forced}"${
          guess ? ` (did you mean "${guess}"?)` : ""
        }: known sources are ${
          sources.map((s) => `"${s.name}"`).join(", ") || "none (declare them in wharf.config.ts)"
        }`,
      );
    }
  } else {
    if (fields && Object.keys(fields).length) {
      throw new ConfigError(
        `Delivery fields (${
          Object.keys(fields).join(", ")
        }) need a source: pass --source NAME with them`,
      );
    }
    source = sources.find((s) => s.pattern.test(name));
    if (!source) {
      throw new ConfigError(
        `File "${name}" matches no source: rename it to fit a pattern, or pass --source NAME. Known sources:\n${
          knownSources(sources)
        }`,
      );
    }
  }
  const groups = readGroups(name, source, fields, options.fieldsHint ?? FIELD_FLAGS);
  const field = groups.delivered_at !== undefined ? "delivered_at" : "period";
  const stamp = groups[field];
  let deliveredAt: Date | undefined;
  if (stamp !== undefined) {
    deliveredAt = parseNameTimestamp(stamp);
    if (!deliveredAt) {
      throw new FileNameError(
        name,
        `Cannot read the delivery time of "${name}" (source "${source.name}"): field ${field} is "${stamp}", not a valid time: use ${NAME_TIME_FORMS}`,
        { source: source.name, pattern: source.pattern.source, field },
      );
    }
  }
  const given = Object.entries(fields ?? {}).map(([k, v]) => [k.toLowerCase(), v]);
  return {
    source,
    groups,
    deliveredAt,
    ...(given.length ? { fields: Object.fromEntries(given) } : {}),
  };
}
