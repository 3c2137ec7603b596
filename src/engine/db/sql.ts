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

/** DuckDB's own catalogs, there beside the warehouse's and the attached databases'. */
const SYSTEM_CATALOGS = ["system", "temp"];

/**
 * The catalog a relation of the warehouse (catalog `warehouse`) in `schema`
 * is named with: none, unless `schema` is named like a catalog DuckDB also
 * knows (the warehouse's own, an attached database's alias in `attached`,
 * `system`, `temp`), where DuckDB refuses `schema.name` as ambiguous: then
 * the relation is `warehouse.schema.name`, as dbt-duckdb always writes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { warehouseCatalogOf } from "./sql.ts";
 *
 * assert.equal(warehouseCatalogOf("staging", "dev", []), undefined);
 * assert.equal(warehouseCatalogOf("dev", "dev", []), "dev");
 * assert.equal(warehouseCatalogOf("Lake", "dev", ["lake"]), "dev");
 * ```
 */
export function warehouseCatalogOf(
  schema: string,
  warehouse: string,
  attached: readonly string[],
): string | undefined {
  const s = schema.toLowerCase();
  return [warehouse, ...attached, ...SYSTEM_CATALOGS].some((c) => c.toLowerCase() === s)
    ? warehouse.toLowerCase()
    : undefined;
}

/**
 * SQL that turns a relation's catalog, schema and name columns (of
 * `information_schema.tables`, say) into its id, lower-cased as wharf's ids
 * are: without the catalog for the warehouse's own, unless its schema is
 * named like a catalog (see {@linkcode warehouseCatalogOf}).
 */
export function relationIdSql(catalog: string, schema: string, name: string): string {
  return `lower(CASE WHEN ${catalog} = current_database() AND lower(${schema}) NOT IN (SELECT lower(database_name) FROM duckdb_databases()) THEN '' ELSE ${catalog} || '.' END || ${schema} || '.' || ${name})`;
}

/** Quotes a string literal for DuckDB. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
