/**
 * `append`: a later run inserts the model's new rows as they are; nothing
 * already in the table changes. It sees new rows only: a source row that
 * was updated or deleted stays as the table has it. The model chooses its
 * new rows (a `watermark`, or `wharf_is_incremental()` in its SQL); one
 * that selects everything on every run appends it all again.
 *
 * @module
 */
import {
  buildInOneStep,
  firstBuildScript,
  insertSql,
  laterRunScript,
  stagedOf,
  targetOf,
} from "./steps.ts";
import { defineStrategy } from "./strategy.ts";

/** The `append` strategy. */
export const append = defineStrategy({
  name: "append",
  keys: {},
  uniqueKey: "refused",
  script: (model) =>
    firstBuildScript(model) +
    laterRunScript(
      model,
      "later runs, in one transaction, wharf_is_incremental() true: the new rows appended",
      [
        insertSql(targetOf(model.relation), stagedOf(model.relation)),
      ],
    ),
  build: (wh, model, context) =>
    buildInOneStep(wh, model, context, async (s, { relation }, step) => {
      const n = await s.count(insertSql(targetOf(relation), step.staged, step.columns));
      return `append: +${n} row${n === 1 ? "" : "s"}`;
    }),
});
