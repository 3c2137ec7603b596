/**
 * `relationships: { to: staging.stg_customers, field: customer_id }`: every
 * non-NULL value of the column is a value of `field` in `to` (written as a
 * relation, a bare model name, or dbt's `ref('name')`).
 *
 * @module
 */
import { quoteIdent } from "../db/sql.ts";
import { mapping, text } from "../yaml/yaml_schema.ts";
import { COMMON_TEST_KEYS, testWhat } from "./common.ts";
import { defineTestKind, type ProjectStyle } from "./test_kind.ts";

/** `to` as a relation name: `ref('x')` is `x`, lower-cased. */
function target(to: string): string {
  const ref = /^ref\(\s*['"]([^'"]+)['"]\s*\)$/.exec(to.trim());
  return (ref ? ref[1]! : to.trim()).toLowerCase();
}

/** The arguments of a `relationships` test, its messages with an example a project of `style` writes. */
function relationshipsArgs(style: ProjectStyle) {
  const example = style === "dbt"
    ? "ref('stg_members') or source('crm', 'members')"
    : '"staging.stg_members"';
  const expected = `expected the referenced model, e.g. ${example}`;
  return mapping(testWhat("relationships"), {
    to: text(`the referenced model, e.g. ${example}`, expected).refine(
      (v) => v.trim() !== "",
      expected,
    ),
    field: text("the referenced column name", "expected the referenced column name"),
  }, { alsoKnown: COMMON_TEST_KEYS });
}

/**
 * The `relationships` test: its failing rows are the children without a
 * parent, one row each with the child's value, as dbt's are (`from_field`).
 */
export const relationships = defineTestKind({
  kind: "relationships",
  args: relationshipsArgs,
  column: "required",
  reads: (args) => [target(args.to)],
  nameSuffix: (test) => `__${test.reads[0]!.replaceAll(".", "_")}`,
  query: (args, { relation, column, reads }) =>
    `WITH child AS (\n  SELECT ${column} AS from_field\n  FROM ${relation}\n  WHERE ${column} IS NOT NULL\n),\nparent AS (\n  SELECT ${
      quoteIdent(args.field)
    } AS to_field\n  FROM ${
      reads[0]
    }\n)\nSELECT from_field\nFROM child\nLEFT JOIN parent ON child.from_field = parent.to_field\nWHERE parent.to_field IS NULL`,
});
