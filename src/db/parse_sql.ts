/**
 * DuckDB's own parser, reached through `json_serialize_sql`, on a private
 * in-memory database (no warehouse needed).
 *
 * @module
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { quoteLiteral } from "./sql.ts";

/** What DuckDB's parser made of one SQL text. */
export type ParseResult =
  | { ok: true; ast: unknown }
  | { ok: false; message: string; position?: number };

function toResult(raw: string): ParseResult {
  const parsed = JSON.parse(raw) as {
    error?: boolean;
    error_message?: string;
    position?: string;
  };
  if (!parsed.error) return { ok: true, ast: parsed };
  return {
    ok: false,
    message: parsed.error_message ?? "unknown parser error",
    position: parsed.position === undefined ? undefined : Number(parsed.position),
  };
}

/**
 * Parses each SQL text with DuckDB's parser and returns its AST as plain
 * JSON, or the parser's error with the character offset it points at.
 *
 * @example
 * ```ts ignore
 * const [r] = await parseSql(["select * from staging.orders"]);
 * ```
 */
export async function parseSql(texts: readonly string[]): Promise<ParseResult[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const results: ParseResult[] = [];
    // One query per batch: DuckDB's per-statement cost dominates otherwise.
    for (let start = 0; start < texts.length; start += 100) {
      const batch = texts.slice(start, start + 100);
      const columns = batch.map((t, i) => `json_serialize_sql(${quoteLiteral(t)}) AS c${i}`);
      const reader = await connection.runAndReadAll(`SELECT ${columns.join(", ")}`);
      const row = reader.getRows()[0] ?? [];
      for (let i = 0; i < batch.length; i++) results.push(toResult(String(row[i])));
    }
    return results;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
