/**
 * SQL text helpers: identifier and literal quoting. Pure functions, no
 * database needed.
 *
 * @module
 */

/**
 * Quotes an identifier for DuckDB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoteIdent } from "./sql.ts";
 *
 * assert.equal(quoteIdent('my "col"'), '"my ""col"""');
 * ```
 */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a `schema.name` relation. */
export function quoteRelation(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Quotes a string literal for DuckDB. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
