/**
 * Whether a relation of the warehouse is a table or a view, and DuckDB's
 * refusal to replace or drop one kind as the other (`Existing object x is
 * of type View, trying to replace with type Table`): what a build meets
 * when a model's materialization changed since its relation was built.
 *
 * @module
 */
import { splitRelation } from "./sql.ts";
import type { Session } from "./warehouse.ts";

/** The kind of a relation, as `DROP TABLE` / `DROP VIEW` name it. */
export type RelationKind = "TABLE" | "VIEW";

/**
 * The kind of `relation` (`<schema>.<name>` or `<catalog>.<schema>.<name>`)
 * in the warehouse; undefined when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openWarehouse } from "./warehouse.ts";
 * import { relationKind } from "./relation_kind.ts";
 *
 * const wh = await openWarehouse(":memory:");
 * try {
 *   await wh.exec("CREATE VIEW main.v AS SELECT 1 AS x");
 *   assert.equal(await wh.withConnection((s) => relationKind(s, "main.v")), "VIEW");
 *   assert.equal(await wh.withConnection((s) => relationKind(s, "main.none")), undefined);
 * } finally {
 *   wh.close();
 * }
 * ```
 */
export async function relationKind(
  s: Pick<Session, "query">,
  relation: string,
): Promise<RelationKind | undefined> {
  const { catalog, schema, name } = splitRelation(relation);
  const [row] = await s.query(
    "SELECT table_type FROM information_schema.tables WHERE table_catalog = coalesce(?, current_database()) AND table_schema = ? AND table_name = ?",
    [catalog ?? null, schema, name],
  );
  if (!row) return undefined;
  return row.table_type === "VIEW" ? "VIEW" : "TABLE";
}

/**
 * The tables and views of the warehouse and its attached databases, lower-cased:
 * each as `catalog.schema.name`, and those of the warehouse's own catalog as
 * `schema.name` too, so that a relation id of either form can be looked up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openWarehouse } from "./warehouse.ts";
 * import { presentRelations } from "./relation_kind.ts";
 *
 * const wh = await openWarehouse(":memory:");
 * try {
 *   await wh.exec("CREATE TABLE main.Orders AS SELECT 1 AS x");
 *   const present = await wh.withConnection(presentRelations);
 *   assert.ok(present.has("main.orders") && present.has("memory.main.orders"));
 * } finally {
 *   wh.close();
 * }
 * ```
 */
export async function presentRelations(s: Pick<Session, "query">): Promise<Set<string>> {
  const rows = await s.query(
    `SELECT lower(table_catalog) AS c, lower(table_schema) AS s, lower(table_name) AS t,
       table_catalog = current_database() AS own
     FROM information_schema.tables`,
  );
  return new Set(
    rows.flatMap((r) => [`${r.c}.${r.s}.${r.t}`, ...(r.own ? [`${r.s}.${r.t}`] : [])]),
  );
}

/**
 * The kind of the relation that stands in the way when `err` is DuckDB
 * refusing to replace or drop it as the other kind; undefined for any
 * other error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { otherKind } from "./relation_kind.ts";
 *
 * const refusal = new Error(
 *   "Catalog Error: Existing object a is of type View, trying to replace with type Table",
 * );
 * assert.equal(otherKind(refusal), "VIEW");
 * assert.equal(otherKind(new Error("Catalog Error: Table with name b does not exist!")), undefined);
 * ```
 */
export function otherKind(err: unknown): RelationKind | undefined {
  const m =
    /Existing object .* is of type (Table|View), trying to (?:replace with|drop) type (?:View|Table)/
      .exec(err instanceof Error ? err.message : String(err));
  return m ? (m[1]!.toUpperCase() as RelationKind) : undefined;
}
