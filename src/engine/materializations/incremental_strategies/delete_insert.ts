/**
 * `delete+insert`: a later run deletes the table's rows whose `unique_key`
 * is among the new rows, then inserts the new rows: a new version of a row
 * replaces the old one whole. It sees the rows the model returns: an
 * update the model does not select again, or a row deleted at the source,
 * stays as the table has it.
 *
 * `incremental_predicates` are ANDed into the DELETE's WHERE, the table
 * aliased `DBT_INTERNAL_DEST` as dbt aliases it (or `DBT_INCREMENTAL_TARGET`,
 * dbt-duckdb's alias with a list of key columns, when a predicate names
 * that): a table row they do not hold for is kept, and the new rows are
 * inserted all the same, as in dbt.
 *
 * @module
 */
import {
  buildInOneStep,
  firstBuildScript,
  insertSql,
  laterRunScript,
  predicateTerms,
  sameKey,
  stagedOf,
  targetOf,
} from "./steps.ts";
import { defineStrategy, DEST, type IncrementalParts, SOURCE } from "./strategy.ts";

/** dbt-duckdb's alias of the table in its delete+insert by a list of key columns. */
const DUCKDB_DEST = "DBT_INCREMENTAL_TARGET";

/** The statement that deletes the table's rows a later run replaces. */
function deleteSql(target: string, staged: string, parts: IncrementalParts): string {
  const predicates = predicateTerms(parts);
  const names = (alias: string) => new RegExp(`\\b${alias}\\s*\\.`, "i");
  const dest = predicates.some((p) => names(DUCKDB_DEST).test(p)) &&
      !predicates.some((p) => names(DEST).test(p))
    ? DUCKDB_DEST
    : DEST;
  const match = sameKey(parts.keys, dest, SOURCE, parts.nullKeys ?? "match");
  return `DELETE FROM ${target} AS ${dest} WHERE EXISTS (SELECT 1 FROM ${staged} AS ${SOURCE} WHERE ${match})${
    predicates.map((p) => ` AND ${p}`).join("")
  }`;
}

/** The `delete+insert` strategy. */
export const deleteInsert = defineStrategy({
  name: "delete+insert",
  keys: {},
  uniqueKey: "required",
  script: (model) => {
    const [target, staged] = [targetOf(model.relation), stagedOf(model.relation)];
    return firstBuildScript(model) + laterRunScript(
      model,
      `later runs, in one transaction, wharf_is_incremental() true: the rows with the new rows' ${
        model.parts.keys.join(", ")
      } replaced${model.parts.predicates?.length ? " where incremental_predicates hold" : ""}`,
      [deleteSql(target, staged, model.parts), insertSql(target, staged)],
    );
  },
  build: (wh, model, context) =>
    buildInOneStep(wh, model, context, async (s, { relation, parts }, step) => {
      const target = targetOf(relation);
      const replaced = await s.count(deleteSql(target, step.staged, parts));
      const n = await s.count(insertSql(target, step.staged, step.columns));
      return `delete+insert: ${replaced} replaced, ${n - replaced} new`;
    }),
});
