/**
 * DuckDB's own parser, reached through `json_serialize_sql`, on a private
 * in-memory database (no warehouse needed).
 *
 * DuckDB reports positions in its own units: `query_location` in the AST
 * as byte offsets into the UTF-8 text, `position` in parser errors in code
 * points; JavaScript strings index UTF-16 code units. This module converts
 * every position once, so callers only ever see string indexes.
 *
 * @module
 */
import { DuckDBInstance } from "./duckdb.ts";
import { readAll } from "./read_all.ts";
import { quoteLiteral } from "./sql.ts";
import type { Warehouse } from "./warehouse.ts";

/** What DuckDB's parser made of one SQL text; positions are string indexes. */
export type ParseResult =
  | { ok: true; ast: unknown }
  | { ok: false; message: string; position?: number };

/** Maps DuckDB's positions in one text to string indexes. */
export interface Positions {
  /** A byte offset of the text encoded as UTF-8 (the AST's `query_location`). */
  fromBytes(offset: number): number;
  /** An offset in Unicode code points (the parser error's `position`). */
  fromCodePoints(offset: number): number;
}

/**
 * Maps offsets into `text` as DuckDB counts them (UTF-8 bytes in the AST,
 * code points in parser errors) to indexes of the JavaScript string
 * (UTF-16 code units). Offsets past the end map to `text.length`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { positionsIn } from "./parse_sql.ts";
 *
 * const at = positionsIn("-- … \nselect 1");
 * assert.equal(at.fromBytes(6), 4); // "…" is 3 bytes but 1 code unit
 * ```
 */
export function positionsIn(text: string): Positions {
  const clamp = (i: number) => Math.min(Math.max(i, 0), text.length);
  // deno-lint-ignore no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return { fromBytes: clamp, fromCodePoints: clamp };
  const bytes: number[] = []; // per character: its first byte offset
  const units: number[] = []; // per character: its first code unit index
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    bytes.push(b);
    units.push(i);
    const c = text.charCodeAt(i);
    if (c < 0x80) b += 1;
    else if (c < 0x800) b += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      b += 4; // a surrogate pair: one 4-byte character over two code units
      i++;
    } else b += 3;
  }
  return {
    fromBytes(offset) {
      if (offset >= b) return text.length;
      // The first character that starts at or after the offset.
      let lo = 0;
      let hi = bytes.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (bytes[mid]! < offset) lo = mid + 1;
        else hi = mid;
      }
      return units[lo]!;
    },
    fromCodePoints(offset) {
      return offset >= units.length ? text.length : units[Math.max(offset, 0)]!;
    },
  };
}

/** Rewrites every `query_location` of the AST from bytes to string indexes, in place. */
function convertLocations(ast: unknown, at: Positions, limit: number): void {
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (value === null || typeof value !== "object") return;
    const obj = value as Record<string, unknown>;
    for (const [key, child] of Object.entries(obj)) {
      // DuckDB writes an unknown location as the largest unsigned 64-bit integer.
      if (key === "query_location" && typeof child === "number" && child <= limit) {
        obj[key] = at.fromBytes(child);
      } else walk(child);
    }
  };
  walk(ast);
}

function toResult(raw: string, text: string): ParseResult {
  const parsed = JSON.parse(raw) as {
    error?: boolean;
    error_message?: string;
    position?: string;
  };
  const at = positionsIn(text);
  if (!parsed.error) {
    convertLocations(parsed, at, new TextEncoder().encode(text).length);
    return { ok: true, ast: parsed };
  }
  return {
    ok: false,
    message: parsed.error_message ?? "unknown parser error",
    position: parsed.position === undefined
      ? undefined
      : at.fromCodePoints(Number(parsed.position)),
  };
}

/**
 * Parses each SQL text with DuckDB's parser and returns its AST as plain
 * JSON, or the parser's error with the string index it points at. With a
 * warehouse `wh` it parses there; without, in a DuckDB of its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSql } from "./parse_sql.ts";
 *
 * const [ok, bad] = await parseSql(["select * from staging.orders", "select from where"]);
 * assert.ok(ok?.ok);
 * assert.ok(bad && !bad.ok && /syntax error/.test(bad.message));
 * ```
 */
export async function parseSql(
  texts: readonly string[],
  wh?: Pick<Warehouse, "withConnection">,
): Promise<ParseResult[]> {
  // An open warehouse parses too: creating a DuckDB instance for it costs 15-40 ms.
  if (wh) {
    return await parseBatches(
      texts,
      (sql) => wh.withConnection(async (s) => Object.values((await s.query(sql))[0] ?? {})),
    );
  }
  const instance = await DuckDBInstance.create(":memory:");
  try {
    return await parseBatches(texts, async (sql) => {
      const connection = await instance.connect();
      try {
        return (await readAll(connection, sql)).getRows()[0] ?? [];
      } finally {
        connection.closeSync();
      }
    });
  } finally {
    instance.closeSync();
  }
}

/** Parses `texts` in batches, all at once: `firstRow` runs each on a connection of its own. */
async function parseBatches(
  texts: readonly string[],
  firstRow: (sql: string) => Promise<readonly unknown[]>,
): Promise<ParseResult[]> {
  const batches: string[][] = [];
  // One query per batch: DuckDB's per-statement cost dominates otherwise.
  for (let start = 0; start < texts.length; start += 100) {
    batches.push(texts.slice(start, start + 100));
  }
  // Each settles before an error is thrown: the connections are not in use any more then.
  const settled = await Promise.allSettled(
    batches.map((batch) =>
      firstRow(
        `SELECT ${
          batch.map((t, i) => `json_serialize_sql(${quoteLiteral(t)}) AS c${i}`).join(", ")
        }`,
      )
    ),
  );
  return batches.flatMap((batch, b) => {
    const row = settled[b]!;
    if (row.status === "rejected") throw row.reason;
    return batch.map((t, i) => toResult(String(row.value[i]), t));
  });
}
