/**
 * One query value ({@linkcode SqlValue}) as text for people and as JSON for
 * programs, without losing what DuckDB said: BIGINT and DECIMAL keep their
 * digits (in JSON too), NULL stays apart from the empty string, nested values
 * read as SQL literals (`['a', NULL]`, `{'id': 1}`).
 *
 * @module
 */
import type { SqlValue } from "../engine/db/run_statements.ts";

function isList(v: SqlValue): v is readonly SqlValue[] {
  return Array.isArray(v);
}

/**
 * The text of a value, as DuckDB shows it: top-level strings as they are
 * (`null` for SQL NULL, so each format shows it its own way), nested strings
 * quoted as SQL literals.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatValue } from "./format_value.ts";
 *
 * assert.equal(formatValue({ number: "12.50" }), "12.50");
 * assert.equal(formatValue(["it's", null]), "['it''s', NULL]");
 * assert.equal(formatValue(null), null);
 * ```
 */
export function formatValue(value: SqlValue): string | null {
  return value === null ? null : text(value, false);
}

function text(v: SqlValue, nested: boolean): string {
  if (v === null) return "NULL";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return nested ? `'${v.replaceAll("'", "''")}'` : v;
  if (isList(v)) return `[${v.map((item) => text(item, true)).join(", ")}]`;
  if ("number" in v) return v.number;
  if ("json" in v) return v.json;
  if ("text" in v) return v.text;
  if ("struct" in v) {
    return `{${v.struct.map(([k, x]) => `${text(k, true)}: ${text(x, true)}`).join(", ")}}`;
  }
  return `{${v.pairs.map(([k, x]) => `${text(k, true)}: ${text(x, true)}`).join(", ")}}`;
}

/**
 * The JSON text of a value: numbers with DuckDB's exact digits (NaN and
 * infinities, which JSON lacks, as strings), JSON values as they are, lists
 * as arrays, structs and maps as objects (a map's keys as their text).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { valueJson } from "./format_value.ts";
 *
 * assert.equal(valueJson({ number: "9007199254740993" }), "9007199254740993");
 * assert.equal(valueJson({ struct: [["d", { text: "2024-01-31" }]] }), '{"d":"2024-01-31"}');
 * ```
 */
export function valueJson(value: SqlValue): string {
  const v = value;
  if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
  if (isList(v)) return `[${v.map(valueJson).join(",")}]`;
  if ("number" in v) return /^-?\d/.test(v.number) ? v.number : JSON.stringify(v.number);
  if ("json" in v) return v.json;
  if ("text" in v) return JSON.stringify(v.text);
  const entries: readonly (readonly [SqlValue, SqlValue])[] = "struct" in v ? v.struct : v.pairs;
  return `{${
    entries.map(([k, x]) => `${JSON.stringify(text(k, false))}:${valueJson(x)}`).join(",")
  }}`;
}

const NUMERIC =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|BIGNUM|DECIMAL\(\d+,\s*\d+\))$/;

/** Whether a column of this DuckDB type holds numbers (aligned right in tables). */
export function isNumericType(type: string): boolean {
  return NUMERIC.test(type);
}
