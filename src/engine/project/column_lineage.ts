/**
 * Column-level lineage for direct column references, read from DuckDB's
 * parser AST: which upstream columns an output column is taken from.
 * Columns referenced as `column` or `alias.column` (renamed or not) are
 * followed through CTEs, subqueries in FROM, set operations (`union all by
 * name`) and `*`, down to the tables the model reads; anything computed is
 * left out rather than guessed. A `*` over a table whose columns the SQL
 * does not name is kept as `"*": ["schema.table.*"]`, for whoever knows that
 * table's columns (the docs manifest, from the warehouse) to resolve.
 *
 * @module
 */

/** Output column → the `relation.column`s it is read from; `"*"` → the `relation.*`s a star passes through. */
export type ColumnLineage = Record<string, string[]>;

interface Node {
  [k: string]: unknown;
}

/** What a relation in FROM gives its reader. */
interface Shape {
  /** The upstream columns of `name`: [] when computed, undefined when this relation may not have it. */
  column(name: string): string[] | undefined;
  /** Its columns as the SQL names them, and the tables a `*` passes through unnamed (`relation.*`). */
  star(): { columns: [string, string[]][]; through: string[] };
}

function baseTable(relation: string): Shape {
  return {
    column: (name) => [`${relation}.${name}`],
    star: () => ({ columns: [], through: [`${relation}.*`] }),
  };
}

const unique = (refs: string[]) => [...new Set(refs)];

/** Several shapes read as one (the sides of a set operation, the tables of a `*`). */
function combined(shapes: Shape[]): Shape {
  return {
    column(name) {
      const found = shapes.map((s) => s.column(name)).filter((r) => r !== undefined);
      return found.length ? unique(found.flat()) : undefined;
    },
    star() {
      const columns = new Map<string, string[]>();
      const through: string[] = [];
      for (const s of shapes) {
        const part = s.star();
        for (const [k, v] of part.columns) {
          columns.set(k, unique([...(columns.get(k) ?? []), ...v]));
        }
        through.push(...part.through);
      }
      return { columns: [...columns], through: unique(through) };
    },
  };
}

/** The tables of a FROM clause by alias (CTEs and subqueries as their shapes). */
function tablesOf(from: unknown, ctes: Map<string, Shape>, out: Map<string, Shape>): void {
  if (!from || typeof from !== "object") return;
  const f = from as Node;
  if (f.type === "BASE_TABLE") {
    const schema = String(f.schema_name ?? "").toLowerCase();
    const table = String(f.table_name ?? "").toLowerCase();
    const alias = String(f.alias || table).toLowerCase();
    if (!schema) {
      const cte = ctes.get(table);
      if (cte) out.set(alias, cte);
      return;
    }
    out.set(alias, baseTable(`${schema}.${table}`));
  } else if (f.type === "JOIN") {
    tablesOf(f.left, ctes, out);
    tablesOf(f.right, ctes, out);
  } else if (f.type === "SUBQUERY" && f.alias) {
    const node = ((f.subquery as Node | undefined)?.node) as Node | undefined;
    if (node) out.set(String(f.alias).toLowerCase(), shapeOf(node, ctes));
  }
}

/** The shape of a query node: a SELECT, or a set operation of two. */
function shapeOf(node: Node, outer: Map<string, Shape>): Shape {
  const ctes = new Map(outer);
  for (const entry of ((node.cte_map as Node | undefined)?.map as Node[] | undefined) ?? []) {
    const query = ((entry.value as Node | undefined)?.query as Node | undefined)?.node as
      | Node
      | undefined;
    if (query) ctes.set(String(entry.key).toLowerCase(), shapeOf(query, ctes));
  }
  if (node.type === "SET_OPERATION_NODE") {
    return combined([shapeOf(node.left as Node, ctes), shapeOf(node.right as Node, ctes)]);
  }
  if (node.type !== "SELECT_NODE") return combined([]);
  const tables = new Map<string, Shape>();
  tablesOf(node.from_table, ctes, tables);
  const named = new Map<string, string[]>();
  const stars: Shape[] = [];
  for (const item of (node.select_list as Node[] | undefined) ?? []) {
    if (item.class === "STAR") {
      // A * that replaces or renames columns computes them: not guessed.
      if ((item.replace_list as unknown[])?.length || (item.rename_list as unknown[])?.length) {
        continue;
      }
      if (item.columns || item.expr) continue; // COLUMNS(…): computed.
      const relation = String(item.relation_name ?? "").toLowerCase();
      const shape = relation ? tables.get(relation) : combined([...tables.values()]);
      if (shape) stars.push(shape);
      continue;
    }
    if (item.class !== "COLUMN_REF") {
      if (item.alias) named.set(String(item.alias).toLowerCase(), []);
      continue;
    }
    const names = (item.column_names as string[]).map((n) => n.toLowerCase());
    const column = names[names.length - 1]!;
    // An unqualified name over several tables could be any of theirs: not guessed.
    const table = names.length >= 2
      ? tables.get(names[names.length - 2]!)
      : tables.size === 1
      ? [...tables.values()][0]
      : undefined;
    const output = String(item.alias || column).toLowerCase();
    named.set(output, table?.column(column) ?? []);
  }
  const star = combined(stars);
  return {
    column: (name) => named.get(name) ?? (stars.length ? star.column(name) : undefined),
    star() {
      const inner = star.star();
      const columns = new Map(inner.columns);
      for (const [k, v] of named) columns.set(k, v);
      return { columns: [...columns], through: inner.through };
    },
  };
}

/**
 * Reads the lineage of a model's columns from its AST.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSql } from "../db/parse_sql.ts";
 * import { columnLineage } from "./column_lineage.ts";
 *
 * const [parsed] = await parseSql([
 *   "with c as (select * from staging.stg_customers) select c.customer_id as id, upper(c.name) from c",
 * ]);
 * assert.ok(parsed?.ok);
 * assert.deepEqual(columnLineage(parsed.ast), { id: ["staging.stg_customers.customer_id"] });
 * ```
 */
export function columnLineage(ast: unknown): ColumnLineage {
  const statement = (ast as { statements?: { node?: Node }[] })?.statements?.[0]?.node;
  if (!statement) return {};
  const { columns, through } = shapeOf(statement, new Map()).star();
  const out: ColumnLineage = {};
  for (const [name, refs] of columns) if (refs.length) out[name] = refs;
  if (through.length) out["*"] = through;
  return out;
}
