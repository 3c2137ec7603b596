/**
 * Reads relation references out of a DuckDB parser AST (the JSON of
 * `json_serialize_sql`). Pure: the AST comes in as data.
 *
 * @module
 */
import type { RelationRef } from "../types.ts";

/** A table reference as DuckDB's parser reports it. */
interface BaseTable {
  type: "BASE_TABLE";
  /** The database (attached catalog) named, or "". */
  catalog_name?: string;
  schema_name: string;
  table_name: string;
  query_location: number;
}

function isBaseTable(value: Record<string, unknown>): value is Record<string, unknown> & BaseTable {
  return value.type === "BASE_TABLE" && typeof value.table_name === "string";
}

/** Removes trailing semicolons and white space so the SQL can be wrapped. */
export function trimSql(sql: string): string {
  return sql.replace(/[\s;]+$/, "");
}

/** Converts a character offset of `text` to a 1-based line and column. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: end - start + 1 };
}

/**
 * Lists the relations a query reads: every table reference that is not a
 * CTE name, lower-cased as `schema.name` (or just `name` when unqualified,
 * `catalog.schema.name` when it names a database), one entry per
 * occurrence, in order of appearance.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { extractRelations } from "./relations.ts";
 *
 * const ast = { type: "BASE_TABLE", schema_name: "raw", table_name: "x", query_location: 14 };
 * assert.deepEqual(extractRelations(ast, "select * from raw.x"), [
 *   { relation: "raw.x", offset: 14, line: 1, column: 15 },
 * ]);
 * const lake = { ...ast, catalog_name: "Lake" };
 * assert.equal(extractRelations(lake, "select * from Lake.raw.x")[0]!.relation, "lake.raw.x");
 * ```
 */
export function extractRelations(ast: unknown, sql: string): RelationRef[] {
  const ctes = new Set<string>();
  const tables: BaseTable[] = [];
  eachObject(ast, (obj) => {
    if (isBaseTable(obj)) tables.push(obj);
    const cteMap = obj.cte_map as { map?: { key?: unknown }[] } | undefined;
    for (const entry of cteMap?.map ?? []) {
      if (typeof entry.key === "string") ctes.add(entry.key.toLowerCase());
    }
  });
  const refs: RelationRef[] = [];
  for (const t of tables) {
    const catalog = (t.catalog_name ?? "").toLowerCase();
    const schema = t.schema_name.toLowerCase();
    const table = t.table_name.toLowerCase();
    if (schema === "" && ctes.has(table)) continue;
    const relation = [catalog, schema, table].filter((p) => p !== "").join(".");
    refs.push({ relation, offset: t.query_location, ...lineColumn(sql, t.query_location) });
  }
  return refs.sort((a, b) => a.offset - b.offset);
}

/** A `wharf_var('name')` call of a SQL text: the name, where it is written. */
export interface VarRead {
  name: string;
  offset: number;
  line: number;
  column: number;
}

/**
 * The variables a parsed SQL text reads by name with `wharf_var('name')`
 * (a name given as a literal; one computed is not known before it runs).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { varReads } from "./relations.ts";
 *
 * const ast = {
 *   class: "FUNCTION",
 *   function_name: "wharf_var",
 *   query_location: 7,
 *   children: [{ class: "CONSTANT", value: { is_null: false, value: "as_of" } }],
 * };
 * assert.deepEqual(varReads(ast, "select wharf_var('as_of')"), [
 *   { name: "as_of", offset: 7, line: 1, column: 8 },
 * ]);
 * ```
 */
export function varReads(ast: unknown, sql: string): VarRead[] {
  const out: VarRead[] = [];
  eachObject(ast, (obj) => {
    if (obj.class === "FUNCTION" && String(obj.function_name).toLowerCase() === "wharf_var") {
      const [arg] = (obj.children ?? []) as { class?: unknown; value?: unknown }[];
      const constant = arg?.class === "CONSTANT"
        ? arg.value as { is_null?: unknown; value?: unknown }
        : undefined;
      if (constant && constant.is_null === false && typeof constant.value === "string") {
        const offset = Number(obj.query_location);
        out.push({ name: constant.value, offset, ...lineColumn(sql, offset) });
      }
    }
  });
  return out;
}

/** Calls `visit` with each object of a parsed AST, outermost first. */
function eachObject(ast: unknown, visit: (obj: Record<string, unknown>) => void): void {
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (value === null || typeof value !== "object") return;
    const obj = value as Record<string, unknown>;
    visit(obj);
    for (const child of Object.values(obj)) walk(child);
  };
  walk(ast);
}
