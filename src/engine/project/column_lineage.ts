/**
 * Column-level lineage for direct column references, read from DuckDB's
 * parser AST: which upstream columns an output column is taken from.
 * Only the outermost SELECT is followed, and only columns referenced as
 * `column` or `alias.column` (renamed or not) against tables it reads
 * directly; anything computed is left out rather than guessed.
 *
 * @module
 */

/** Output column → the `relation.column`s it is read from. */
export type ColumnLineage = Record<string, string[]>;

interface Node {
  [k: string]: unknown;
}

function tablesOf(from: unknown, out: Map<string, string>): void {
  if (!from || typeof from !== "object") return;
  const f = from as Node;
  if (f.type === "BASE_TABLE") {
    const schema = String(f.schema_name ?? "").toLowerCase();
    const table = String(f.table_name ?? "").toLowerCase();
    if (!schema) return;
    const relation = `${schema}.${table}`;
    out.set(String(f.alias || table).toLowerCase(), relation);
    return;
  }
  if (f.type === "JOIN") {
    tablesOf(f.left, out);
    tablesOf(f.right, out);
  }
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
 * const [parsed] = await parseSql(["select c.customer_id as id, upper(c.name) from staging.stg_customers c"]);
 * assert.ok(parsed?.ok);
 * assert.deepEqual(columnLineage(parsed.ast), { id: ["staging.stg_customers.customer_id"] });
 * ```
 */
export function columnLineage(ast: unknown): ColumnLineage {
  const statement = (ast as { statements?: { node?: Node }[] })?.statements?.[0]?.node;
  if (!statement || statement.type !== "SELECT_NODE") return {};
  const tables = new Map<string, string>();
  tablesOf(statement.from_table, tables);
  const out: ColumnLineage = {};
  for (const item of (statement.select_list as Node[] | undefined) ?? []) {
    if (item.class !== "COLUMN_REF") continue;
    const names = (item.column_names as string[]).map((n) => n.toLowerCase());
    const column = names[names.length - 1]!;
    let relation: string | undefined;
    if (names.length >= 2) relation = tables.get(names[names.length - 2]!);
    else if (tables.size === 1) relation = [...tables.values()][0];
    if (!relation) continue;
    const output = String(item.alias || column).toLowerCase();
    out[output] = [`${relation}.${column}`];
  }
  return out;
}
