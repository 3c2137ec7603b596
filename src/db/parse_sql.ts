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
    for (const text of texts) {
      const reader = await connection.runAndReadAll(
        `select json_serialize_sql(${quoteLiteral(text)}) as ast`,
      );
      const raw = reader.getRowObjectsJson()[0]?.ast;
      const parsed = JSON.parse(String(raw)) as {
        error?: boolean;
        error_message?: string;
        position?: string;
      };
      if (parsed.error) {
        results.push({
          ok: false,
          message: parsed.error_message ?? "unknown parser error",
          position: parsed.position === undefined ? undefined : Number(parsed.position),
        });
      } else {
        results.push({ ok: true, ast: parsed });
      }
    }
    return results;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
