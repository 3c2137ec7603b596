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

/**
 * Quotes a relation: `schema.name`, or `catalog.schema.name` when it lives
 * in an attached database.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoteRelation } from "./sql.ts";
 *
 * assert.equal(quoteRelation("staging", "orders"), '"staging"."orders"');
 * assert.equal(quoteRelation("staging", "orders", "lake"), '"lake"."staging"."orders"');
 * ```
 */
export function quoteRelation(schema: string, name: string, catalog?: string): string {
  return `${catalog ? `${quoteIdent(catalog)}.` : ""}${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A relation id split: wharf names relations `schema.name`, or `catalog.schema.name`. */
export interface RelationParts {
  /** The attached database; absent for the main warehouse. */
  catalog?: string;
  schema: string;
  name: string;
}

/**
 * Splits a relation id (`schema.name` or `catalog.schema.name`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitRelation } from "./sql.ts";
 *
 * assert.deepEqual(splitRelation("lake.raw.orders"), { catalog: "lake", schema: "raw", name: "orders" });
 * assert.deepEqual(splitRelation("raw.orders"), { schema: "raw", name: "orders" });
 * ```
 */
export function splitRelation(id: string): RelationParts {
  const parts = id.split(".");
  if (parts.length >= 3) {
    return { catalog: parts[0]!, schema: parts[1]!, name: parts.slice(2).join(".") };
  }
  return parts.length === 2 ? { schema: parts[0]!, name: parts[1]! } : { schema: "", name: id };
}

/** Quotes a relation id (`schema.name` or `catalog.schema.name`) part by part. */
export function quoteRelationId(id: string): string {
  const { catalog, schema, name } = splitRelation(id);
  return schema ? quoteRelation(schema, name, catalog) : quoteIdent(name);
}

/** Quotes a string literal for DuckDB. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
