/**
 * The column types dbt-duckdb gives a seed's table. dbt reads the CSV file
 * with agate, whose type tester tries, for each column, these kinds in
 * order and keeps the first every value fits (an empty field or `null` fits
 * all of them): a number, a date (`%Y-%m-%d`), a datetime
 * (`%Y-%m-%d %H:%M:%S`), an ISO 8601 datetime (with a `T`), a boolean
 * (`true`/`false`, any case), and otherwise text. dbt-duckdb then creates
 * the table with the types its adapter gives them (a number column is
 * `integer` when no value has decimal places after trailing zeros are
 * dropped, else `float8`), and loads the file into it with DuckDB's own CSV
 * reader (`COPY … FROM`). A column named in `column_types` takes that type
 * and is not inferred.
 *
 * A value agate takes for a number that DuckDB cannot load into the
 * column's type (`$5`, `1,000`, `12%`, `null`, a whole number beyond
 * INTEGER's range) fails dbt-duckdb's seed; wharf says so before anything
 * runs, naming the column, the line and the fix.
 *
 * @module
 */
import { csvRecords } from "../project/csv_records.ts";
import { withArticle } from "../with_article.ts";

/** What agate may infer for a column, in its order of preference. */
const KINDS = ["number", "date", "datetime", "isodatetime", "boolean"] as const;
type Kind = typeof KINDS[number];

/** agate's default currency symbols, stripped from both ends of a number. */
const CURRENCY = "؋$ƒ៛¥₡₱£€¢﷼₪₩₭₮₦฿₤₫";

/** Python's `str.strip(chars)`: `chars` removed from both ends. */
function stripChars(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a]!)) a++;
  while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/** A number as agate reads it: its decimal places (after trailing zeros), or undefined when it is none. */
function agateNumber(value: string): { places: number; whole?: bigint } | undefined {
  let d = stripChars(value.trim(), "%");
  if (d.startsWith("-")) d = d.slice(1);
  for (const c of CURRENCY) d = stripChars(d, c);
  d = d.replaceAll(",", "").trim();
  if (/^[+-]?(inf(inity)?|s?nan\d*)$/i.test(d)) return { places: 0 };
  const m =
    /^[+-]?(?:(\d(?:_?\d)*)(?:\.(\d(?:_?\d)*)?)?|\.(\d(?:_?\d)*))(?:[eE]([+-]?\d(?:_?\d)*))?$/
      .exec(d);
  if (!m) return undefined;
  const whole = (m[1] ?? "").replaceAll("_", "");
  const fraction = (m[2] ?? m[3] ?? "").replaceAll("_", "");
  let exponent = Number((m[4] ?? "0").replaceAll("_", "")) - fraction.length;
  let digits = (whole + fraction).replace(/^0+/, "");
  if (digits === "") return { places: 0, whole: 0n };
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  if (exponent < 0) return { places: -exponent };
  // A whole number: its value, to check it fits the column (exponents past 400 cannot).
  return {
    places: 0,
    whole: exponent > 400 ? 10n ** 400n : BigInt(digits) * 10n ** BigInt(exponent),
  };
}

/** True for a valid date of the proleptic Gregorian calendar (year 1 onwards). */
function validDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const d = new Date(Date.UTC(2000, month - 1, day));
  d.setUTCFullYear(year);
  return d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

// Python's strptime patterns for %Y, %m, %d, %H, %M, %S.
const Y = "(\\d{4})";
const MONTH = "(1[0-2]|0[1-9]|[1-9])";
const DAY = "(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])";
const DATE_RE = new RegExp(`^${Y}-${MONTH}-${DAY}$`);
const DATETIME_RE = new RegExp(
  `^${Y}-${MONTH}-${DAY}\\s+(2[0-3]|[01]\\d|\\d):([0-5]\\d|\\d):(6[01]|[0-5]\\d|\\d)$`,
);

/** agate's Date with dbt's format `%Y-%m-%d`. */
function isDate(v: string): boolean {
  const m = DATE_RE.exec(v);
  return !!m && validDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** agate's DateTime with dbt's format `%Y-%m-%d %H:%M:%S`. */
function isDateTime(v: string): boolean {
  const m = DATETIME_RE.exec(v);
  return !!m && validDate(Number(m[1]), Number(m[2]), Number(m[3])) && Number(m[6]) < 60;
}

/** An ISO 8601 date as isodate reads one (4-digit years): complete, week, ordinal or reduced. */
function isIsoDate(v: string): boolean {
  let m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(v);
  if (m && (v.length === 10 ? v[4] === "-" && v[7] === "-" : v.length === 8)) {
    return validDate(Number(m[1]), Number(m[2]), Number(m[3]));
  }
  m = /^(\d{4})(-?)W(\d{2})(?:\2(\d))?$/.exec(v);
  if (m) {
    return Number(m[1]) >= 1 && Number(m[3]) <= 53 && (m[4] === undefined || Number(m[4]) <= 7);
  }
  m = /^(\d{4})-?(\d{3})$/.exec(v);
  if (m) {
    const year = Number(m[1]);
    const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
    return year >= 1 && Number(m[2]) >= 1 && Number(m[2]) <= (leap ? 366 : 365);
  }
  m = /^(\d{4})-?(\d{2})$/.exec(v);
  if (m) return Number(m[1]) >= 1 && Number(m[2]) >= 1 && Number(m[2]) <= 12;
  return /^\d{4}$/.test(v) ? Number(v) >= 1 : /^\d{2}$/.test(v);
}

/** An ISO 8601 time as isodate reads one, with an optional zone (`Z`, `+hh`, `+hh:mm`, `+hhmm`). */
function isIsoTime(v: string): boolean {
  const m = /^T?(\d{2})(?:(:?)(\d{2})(?:\2(\d{2}))?)?(?:[,.]\d+)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/
    .exec(v);
  if (!m) return false;
  return Number(m[1]) < 24 && Number(m[3] ?? 0) < 60 && Number(m[4] ?? 0) < 60;
}

/** dbt's ISODateTime: isodate's `parse_datetime` (a date and a time around one `T`). */
function isIsoDateTime(v: string): boolean {
  const parts = v.split("T");
  return parts.length === 2 && isIsoDate(parts[0]!) && isIsoTime(parts[1]!);
}

/** True when `raw` (not a null) is a value of `kind` for agate. */
function fits(kind: Kind, raw: string): boolean {
  const v = raw.trim();
  switch (kind) {
    case "number":
      return agateNumber(v) !== undefined;
    case "date":
      return isDate(v);
    case "datetime":
      return isDateTime(v);
    case "isodatetime":
      return isIsoDateTime(v);
    case "boolean": {
      const b = raw.replaceAll(",", "").trim().toLowerCase();
      return b === "true" || b === "false";
    }
  }
}

/** The smallest and largest INTEGER (DuckDB's INT32). */
const INT_MIN = -(2n ** 31n);
const INT_MAX = 2n ** 31n - 1n;

/** What a value of a number column is, as DuckDB loads it (undefined: it loads). */
function numberProblem(raw: string, type: "INTEGER" | "DOUBLE"): string | undefined {
  const v = raw.trim();
  if (/[%,]/.test(v) || [...CURRENCY].some((c) => v.includes(c))) {
    return "which DuckDB cannot read as a number";
  }
  if (type === "INTEGER") {
    if (/^[+-]?(inf(inity)?|s?nan\d*)$/i.test(v)) return "which an integer cannot hold";
    const n = agateNumber(v);
    const value = n?.whole === undefined
      ? undefined
      : (v.trim().startsWith("-") ? -n.whole : n.whole);
    if (value !== undefined && (value < INT_MIN || value > INT_MAX)) {
      return "which is beyond integer's range (-2147483648 to 2147483647)";
    }
  }
  return undefined;
}

/** Options of {@linkcode seedTypes}. */
export interface SeedTypesOptions {
  delimiter: string;
  /** The table's column names, in the file's order (see `seedColumns`). */
  names: readonly string[];
  /** `column_types`: these columns take their type as given, and are not inferred. */
  columnTypes: Readonly<Record<string, string>>;
}

/**
 * The DuckDB type dbt-duckdb gives each column of a seed whose file holds
 * `text` (the columns `column_types` names left out), or the problems (one
 * per column at most) that make dbt-duckdb's load of it fail.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seedTypes } from "./seed_types.ts";
 *
 * const text = "id,amount,day,ok,zip,name\n1,1.50,2024-01-05,true,02130,Ann\n2,2.0,2024-01-06,FALSE,10001,\n";
 * const names = ["id", "amount", "day", "ok", "zip", "name"];
 * assert.deepEqual(seedTypes(text, { delimiter: ",", names, columnTypes: { zip: "varchar" } }), {
 *   types: { id: "INTEGER", amount: "DOUBLE", day: "DATE", ok: "BOOLEAN", name: "VARCHAR" },
 * });
 * ```
 */
export function seedTypes(
  text: string,
  options: SeedTypesOptions,
): { types: Record<string, string> } | { problems: string[] } {
  const { names } = options;
  const overridden = (name: string) =>
    name in options.columnTypes ||
    Object.keys(options.columnTypes).some((k) => k.toLowerCase() === name.toLowerCase());
  const candidates = names.map((n) => overridden(n) ? undefined : new Set<Kind>(KINDS));
  const places = names.map(() => 0);
  /** The first value of each column, with its line, that is not a null. */
  const values = names.map(() => [] as { value: string; line: number }[]);
  let header = true;
  for (const record of csvRecords(text, options.delimiter)) {
    if (header) {
      header = false;
      continue;
    }
    record.fields.forEach((raw, i) => {
      const left = candidates[i];
      if (!left) return;
      const lower = raw.trim().toLowerCase();
      if (lower === "" || lower === "null") {
        if (lower === "null") values[i]!.push({ value: raw, line: record.line });
        return;
      }
      for (const kind of left) if (!fits(kind, raw)) left.delete(kind);
      if (left.has("number")) {
        places[i] = Math.max(places[i]!, agateNumber(raw)!.places);
        values[i]!.push({ value: raw, line: record.line });
      }
    });
  }
  const types: Record<string, string> = {};
  const problems: string[] = [];
  for (const [i, name] of names.entries()) {
    const left = candidates[i];
    if (!left) continue;
    const kind = KINDS.find((k) => left.has(k));
    const type = kind === "number"
      ? places[i]! > 0 ? "DOUBLE" : "INTEGER"
      : kind === "date"
      ? "DATE"
      : kind === "datetime" || kind === "isodatetime"
      ? "TIMESTAMP"
      : kind === "boolean"
      ? "BOOLEAN"
      : "VARCHAR";
    types[name] = type;
    if (kind === undefined) continue; // VARCHAR
    for (const { value, line } of values[i]!) {
      const why = value.trim().toLowerCase() === "null"
        ? "which DuckDB reads as text, not as a missing value (leave the field empty)"
        : type === "INTEGER" || type === "DOUBLE"
        ? numberProblem(value, type)
        : undefined;
      if (why === undefined) continue;
      const dbtType = type === "INTEGER"
        ? "integer"
        : type === "DOUBLE"
        ? "float8"
        : type.toLowerCase();
      const fix = type === "INTEGER" && why.includes("range") ? "bigint" : "varchar";
      problems.push(
        `column "${name}" reads as ${
          withArticle(kind)
        } for dbt (agate), so dbt-duckdb creates it as ${dbtType}, and line ${line} holds ${
          JSON.stringify(value)
        }, ${why}: dbt seed fails on it too; set its type, e.g. column_types: { ${
          JSON.stringify(name)
        }: ${fix} }`,
      );
      break;
    }
  }
  return problems.length ? { problems } : { types };
}
