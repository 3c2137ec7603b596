/**
 * The columns a model's SELECT gives, read from DuckDB's parser AST, when
 * the SELECT names them all: what configuration naming the model's columns
 * (`unique_key`, `partition_by`, a check's `column`, …) is checked against
 * before anything runs.
 *
 * @module
 */

interface Node {
  [k: string]: unknown;
}

/** The names of a SELECT node's list, or undefined when one is not known from the text. */
function selectNames(node: Node | undefined): string[] | undefined {
  if (!node) return undefined;
  if (node.type === "SET_OPERATION_NODE") {
    const left = selectNames(node.left as Node | undefined);
    // UNION BY NAME gives the columns of both sides; the others, those of the left one.
    if (!String(node.setop_type).endsWith("_BY_NAME")) return left;
    const right = selectNames(node.right as Node | undefined);
    return left && right ? [...new Set([...left, ...right])] : undefined;
  }
  if (node.type !== "SELECT_NODE") return undefined;
  const names: string[] = [];
  for (const item of (node.select_list as Node[] | undefined) ?? []) {
    if (item.alias) names.push(String(item.alias).toLowerCase());
    else if (item.class === "COLUMN_REF") {
      const parts = item.column_names as string[];
      names.push(parts[parts.length - 1]!.toLowerCase());
    } // `*`, COLUMNS(…) or an expression DuckDB names after its text: not known here.
    else return undefined;
  }
  return names;
}

/**
 * The output columns of the single statement in `ast` (lower case), or
 * undefined when the SELECT does not name each one: a `*`, `COLUMNS(…)`
 * or an expression without an alias.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSql } from "../db/parse_sql.ts";
 * import { outputColumns } from "./output_columns.ts";
 *
 * const [named, starred] = await parseSql([
 *   "select o.shop, o.order_no as id, upper(o.note) as note from staging.orders o",
 *   "select * from staging.orders",
 * ]);
 * assert.ok(named?.ok && starred?.ok);
 * assert.deepEqual(outputColumns(named.ast), ["shop", "id", "note"]);
 * assert.equal(outputColumns(starred.ast), undefined);
 * ```
 */
export function outputColumns(ast: unknown): string[] | undefined {
  const statements = (ast as { statements?: { node?: Node }[] })?.statements;
  if (statements?.length !== 1) return undefined;
  return selectNames(statements[0]!.node);
}
