/**
 * `delete+insert`: a later run deletes the table's rows whose `unique_key`
 * is among the new rows, then inserts the new rows: a new version of a row
 * replaces the old one whole. It sees the rows the model returns: an
 * update the model does not select again, or a row deleted at the source,
 * stays as the table has it.
 *
 * @module
 */
import {
  buildInOneStep,
  firstBuildScript,
  insertSql,
  laterRunScript,
  sameKey,
  stagedOf,
  targetOf,
} from "./steps.ts";
import { defineStrategy } from "./strategy.ts";

/** The statement that deletes the table's rows a later run replaces. */
function deleteSql(target: string, staged: string, keys: readonly string[]): string {
  return `DELETE FROM ${target} AS t WHERE EXISTS (SELECT 1 FROM ${staged} AS s WHERE ${
    sameKey(keys)
  })`;
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
      } replaced`,
      [deleteSql(target, staged, model.parts.keys), insertSql(target, staged)],
    );
  },
  build: (wh, model, context) =>
    buildInOneStep(wh, model, context, async (s, { relation, parts }, step) => {
      const target = targetOf(relation);
      const replaced = await s.count(deleteSql(target, step.staged, parts.keys));
      const n = await s.count(insertSql(target, step.staged, step.columns));
      return `delete+insert: ${replaced} replaced, ${n - replaced} new`;
    }),
});
