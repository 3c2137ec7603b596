/**
 * Records of a delivery read whole (JSON, NDJSON, Excel: see `formats/`):
 * values as text, with the lines that cannot be read set aside as rejects.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { LandingError } from "../engine/errors.ts";
import { columnNames } from "./names.ts";
import type { Source } from "./sources.ts";

/** A record of a delivery: its values as text (or null), by header position (missing ones null). */
export type TextRecord = (string | null)[];

/** A line (or element) that could not be read, with why. */
export interface RejectedLine {
  line: number;
  byteOffset: number;
  error: string;
  text: string;
}

/** What a reader made of a file: records with their 1-based numbers, and rejects. */
export interface Records {
  /** Headers in first-seen order. */
  headers: string[];
  rows: { rowNumber: number; values: TextRecord }[];
  rejects: RejectedLine[];
  /**
   * Records read (array elements, non-blank lines, non-empty sheet rows
   * after the header), counted apart from `rows` and `rejects`: every one
   * must be in one of them.
   */
  read: number;
  /**
   * What a message about the header should add: where the records were
   * read and how to read elsewhere (an Excel file: its sheet, the others
   * and the `sheet` setting).
   */
  headerHint?: string;
  /**
   * Per header position, where a column's name came from when no header
   * cell gave it (`first value in cell G12`, `blank header cell C1`).
   */
  columnNotes?: (string | undefined)[];
}

/**
 * A JSON value as raw text: strings as they are, numbers as written (see
 * {@linkcode parseJson}), nested values as JSON.
 */
function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "object") return isRawJson(v) ? v.rawJSON : JSON.stringify(v);
  return String(v);
}

/** What `JSON.rawJSON` makes: text that `JSON.stringify` writes as it is. */
interface RawJson {
  readonly rawJSON: string;
}

// ES2025's JSON.parse source text access, in V8 (Deno) though not yet in TypeScript's lib.
const JSON_SOURCE = JSON as typeof JSON & {
  rawJSON(text: string): RawJson;
  isRawJSON(value: unknown): value is RawJson;
};

function isRawJson(v: object): v is RawJson {
  return JSON_SOURCE.isRawJSON(v);
}

/**
 * Number literals whose text a JavaScript number may not give back: an
 * exponent, more than 15 digits (a long id: 9007199254740993 would read as
 * …992), a fraction ending in 0 (10.50), -0, or six zeros after "0." (a
 * small number prints with an exponent). A match inside a string only costs
 * the slower parse.
 */
const NUMBER_TEXT_AT_RISK = /[0-9.][eE]|(?:[0-9]\.?){16}|\.[0-9]*0(?![0-9])|-0(?![0-9.])|0\.0{6}/;

/**
 * Parses JSON text keeping each number as it is written: where a number
 * might not print back as its text ({@linkcode NUMBER_TEXT_AT_RISK}), every
 * number is kept as its source text (`JSON.rawJSON`, which
 * `JSON.stringify` and {@linkcode addRecord} write as it is). Otherwise
 * JSON.parse alone, five to ten times faster than with a reviver, gives
 * numbers that print back exactly.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJson } from "./read_records.ts";
 *
 * const record = parseJson('{"id": 9007199254740993, "amount": 10.50, "n": {"x": 1.0}}');
 * assert.equal(JSON.stringify(record), '{"id":9007199254740993,"amount":10.50,"n":{"x":1.0}}');
 * ```
 *
 * @throws {SyntaxError} as JSON.parse
 */
export function parseJson(text: string): unknown {
  return NUMBER_TEXT_AT_RISK.test(text) ? JSON.parse(text, keepNumberText) : JSON.parse(text);
}

function keepNumberText(_key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === "number" && context?.source !== undefined
    ? JSON_SOURCE.rawJSON(context.source)
    : value;
}

/**
 * Adds the object `obj` (record `rowNumber`) to `out`: its keys become
 * headers in first-seen order (`seen` maps a key to its position), its
 * values text.
 */
export function addRecord(
  out: Records,
  seen: Map<string, number>,
  obj: Record<string, unknown>,
  rowNumber: number,
): void {
  const values: TextRecord = [];
  for (const [k, v] of Object.entries(obj)) {
    let at = seen.get(k);
    if (at === undefined) {
      at = out.headers.length;
      seen.set(k, at);
      out.headers.push(k);
    }
    values[at] = asText(v);
  }
  out.rows.push({ rowNumber, values });
}

/**
 * Sets aside the records of `out` (JSON objects, read by
 * {@linkcode addRecord}) with keys that are not columns `source` declares:
 * each becomes the reject `reject(index, keys)` makes of it (`index` in
 * `out.rows`, `keys` as delivered), and the rest keep their rows. A key
 * every record has is the file's shape, not a bad record: it stays, and the
 * header check refuses the file, naming it, as it refuses a CSV header. A
 * source that declares no columns takes every key as a column.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   addRecord,
 *   type Records,
 *   setAsideUnexpectedKeys,
 *   unexpectedKeys,
 * } from "./read_records.ts";
 * import { compileSources } from "./sources.ts";
 *
 * const [source] = compileSources([{ name: "s", pattern: /x/, columns: ["id"] }]);
 * const out: Records = { headers: [], rows: [], rejects: [], read: 2 };
 * const seen = new Map<string, number>();
 * addRecord(out, seen, { id: 1 }, 1);
 * addRecord(out, seen, { id: 2, extra: "x" }, 2);
 * setAsideUnexpectedKeys(out, source!, (i, keys) => ({
 *   line: out.rows[i]!.rowNumber,
 *   byteOffset: -1,
 *   error: unexpectedKeys(keys),
 *   text: "",
 * }));
 * assert.deepEqual(out.headers, ["id"]);
 * assert.deepEqual(out.rows, [{ rowNumber: 1, values: ["1"] }]);
 * assert.deepEqual(out.rejects.map((r) => [r.line, r.error]), [[2, 'unexpected key "extra"']]);
 * ```
 */
export function setAsideUnexpectedKeys(
  out: Records,
  source: Source,
  reject: (index: number, keys: string[]) => RejectedLine,
): void {
  if (!source.columns) return;
  const declared = new Set(source.columns.map((c) => c.name));
  const names = columnNames(out.headers);
  // A record without a key has no value at its position (a JSON null is null).
  const unexpected = [...names.keys()].filter((i) =>
    !declared.has(names[i]!) && out.rows.some((r) => r.values[i] === undefined)
  );
  if (unexpected.length === 0) return;
  const rows: Records["rows"] = [];
  out.rows.forEach((r, index) => {
    const keys = unexpected.filter((i) => r.values[i] !== undefined).map((i) => out.headers[i]!);
    if (keys.length) out.rejects.push(reject(index, keys));
    else rows.push(r);
  });
  const kept = [...out.headers.keys()].filter((i) => !unexpected.includes(i));
  out.headers = kept.map((i) => out.headers[i]!);
  out.rows = rows.map((r) => ({
    rowNumber: r.rowNumber,
    values: kept.map((i) => r.values[i] ?? null),
  }));
  out.rejects.sort((a, b) => a.line - b.line);
}

/** `unexpected key "a"`, `unexpected keys "a", "b"`: what a record's keys are rejected for. */
export function unexpectedKeys(keys: readonly string[]): string {
  return `unexpected key${keys.length > 1 ? "s" : ""} ${
    keys.map((k) => JSON.stringify(k)).join(", ")
  }`;
}

/**
 * The text bytes of a delivery: `bytes` as they are, or decompressed when
 * gzipped (every member of a multi-member stream).
 *
 * @throws {LandingError} when the gzip stream is truncated or corrupt.
 */
export function textBytes(bytes: Uint8Array, name: string): Uint8Array {
  if (!(bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch (err) {
    throw new LandingError(
      name,
      `Cannot land "${name}": the gzip stream is truncated or corrupt (${(err as Error).message})`,
      { cause: err },
    );
  }
}
