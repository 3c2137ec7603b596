/**
 * `merge`: a later run matches the new rows to the table's by `unique_key`
 * (NULL matching NULL, or in a dbt project matching nothing): a matched row is updated in place (every column, or
 * only `merge_update_columns`, or all but `merge_exclude_columns`), an
 * unmatched one inserted. It sees the rows the model returns.
 *
 * With `hard_deletes: delete` or `invalidate`, the model says its SELECT
 * returns every current row on each run (a full snapshot of its source),
 * so a table row it no longer returns was deleted at the source: `delete`
 * removes it, `invalidate` keeps it and sets its `_deleted_at` (a
 * TIMESTAMPTZ column the table gets on its first build) to the time of the
 * run that found it missing; a row that comes back gets `_deleted_at` NULL
 * again. `ignore` (the default) leaves such rows as they are.
 *
 * The table is aliased `DBT_INTERNAL_DEST`, the new rows
 * `DBT_INTERNAL_SOURCE`, as dbt aliases them; `incremental_predicates`
 * are ANDed into the ON clause, as dbt does: a table row they do not hold
 * for matches no new row (the new row is inserted beside it), and
 * `hard_deletes` leaves it alone.
 *
 * @module
 */
import { quoteIdent } from "../../db/sql.ts";
import { list, oneOf, text } from "../../yaml/yaml_schema.ts";
import type { ConfigProblem } from "../materialization.ts";
import {
  buildInOneStep,
  findColumn,
  firstBuildScript,
  keyMatch,
  laterRunScript,
  predicateTerms,
  stagedOf,
  targetOf,
} from "./steps.ts";
import {
  defineStrategy,
  DELETED_AT,
  DEST,
  HARD_DELETES,
  type IncrementalParts,
  SOURCE,
} from "./strategy.ts";

type MergeParts = NonNullable<IncrementalParts["merge"]>;

/** The columns a matched row is updated with: listed, or a placeholder for `wharf compile`. */
type UpdateColumns = readonly string[] | { except: readonly string[] };

function mergeSql(
  target: string,
  staged: string,
  parts: IncrementalParts,
  columns: { update: UpdateColumns; insert?: readonly string[] },
  hardDeletes: MergeParts["hardDeletes"],
): string {
  const set = Array.isArray(columns.update)
    ? (columns.update as readonly string[]).map((c) =>
      `${quoteIdent(c)} = ${SOURCE}.${quoteIdent(c)}`
    )
    : [
      `<each column of the model but ${
        (columns.update as { except: readonly string[] }).except.map(quoteIdent).join(", ")
      }> = ${SOURCE}.<column>`,
    ];
  if (hardDeletes === "invalidate") set.push(`${quoteIdent(DELETED_AT)} = NULL`);
  const insert = columns.insert
    ? `INSERT (${columns.insert.map(quoteIdent).join(", ")}) VALUES (${
      columns.insert.map((c) => `${SOURCE}.${quoteIdent(c)}`).join(", ")
    })`
    : "INSERT BY NAME";
  const predicates = predicateTerms(parts);
  // A table row the predicates leave out is no row of this run: hard_deletes leaves it too.
  const scoped = predicates.map((p) => ` AND ${p}`).join("");
  const gone = hardDeletes === "delete"
    ? [`WHEN NOT MATCHED BY SOURCE${scoped} THEN DELETE`]
    : hardDeletes === "invalidate"
    ? [
      `WHEN NOT MATCHED BY SOURCE${scoped} AND ${DEST}.${
        quoteIdent(DELETED_AT)
      } IS NULL THEN UPDATE SET ${quoteIdent(DELETED_AT)} = now()`,
    ]
    : [];
  return [
    `MERGE INTO ${target} AS ${DEST} USING ${staged} AS ${SOURCE} ON ${
      [keyMatch(parts), ...predicates].join(" AND ")
    }`,
    `WHEN MATCHED THEN ${set.length ? `UPDATE SET ${set.join(", ")}` : "DO NOTHING"}`,
    `WHEN NOT MATCHED THEN ${insert}`,
    ...gone,
  ].join("\n");
}

/** The columns a matched row is updated with, of those written. */
function updateColumns(
  relation: string,
  merge: MergeParts,
  keys: readonly string[],
  written: readonly string[],
): string[] {
  const columns = written.map((name) => ({ name, type: "" }));
  const key = new Set(keys.map((k) => k.toLowerCase()));
  const named = (names: readonly string[], what: string) =>
    new Set(names.map((n) => findColumn(relation, columns, n, what).name));
  if (merge.updateColumns) {
    const only = named(merge.updateColumns, "merge_update_columns column");
    return written.filter((c) => only.has(c) && !key.has(c.toLowerCase()));
  }
  const except = named(merge.excludeColumns ?? [], "merge_exclude_columns column");
  return written.filter((c) => !except.has(c) && !key.has(c.toLowerCase()));
}

/** The `merge` strategy. */
export const merge = defineStrategy({
  name: "merge",
  keys: {
    merge_update_columns: list(text("a column name"), "a list of column names").optional(),
    merge_exclude_columns: list(text("a column name"), "a list of column names").optional(),
    hard_deletes: oneOf(HARD_DELETES).optional(),
  },
  uniqueKey: "required",
  problems: (own, common) => {
    const problems: ConfigProblem[] = [];
    if (own.merge_update_columns && own.merge_exclude_columns) {
      problems.push({
        key: "merge_exclude_columns",
        message:
          'give "merge_update_columns" (the columns updated) or "merge_exclude_columns" (the columns not updated), not both',
      });
    }
    if (common.watermark && own.hard_deletes && own.hard_deletes !== "ignore") {
      problems.push({
        key: "hard_deletes",
        message:
          `hard_deletes: ${own.hard_deletes} treats a row the model does not return as deleted, and with a "watermark" it returns only rows above the table's maximum: remove the watermark, so the model returns every current row on each run`,
      });
    }
    return problems;
  },
  compile: (own) => ({
    merge: {
      updateColumns: own.merge_update_columns,
      excludeColumns: own.merge_exclude_columns,
      hardDeletes: own.hard_deletes ?? "ignore",
    },
  }),
  script: ({ relation, parts }) => {
    const m = parts.merge!;
    return firstBuildScript({ relation, parts }) + laterRunScript(
      { relation, parts },
      `later runs, in one transaction, wharf_is_incremental() true: the new rows merged by ${
        parts.keys.join(", ")
      }`,
      [
        mergeSql(targetOf(relation), stagedOf(relation), parts, {
          update: m.updateColumns ?? { except: [...parts.keys, ...(m.excludeColumns ?? [])] },
        }, m.hardDeletes),
      ],
    );
  },
  build: (wh, model, context) =>
    buildInOneStep(wh, model, context, async (s, { relation, parts }, step) => {
      const m = parts.merge!;
      const target = targetOf(relation);
      const update = updateColumns(relation, m, parts.keys, step.columns);
      const match = [keyMatch(parts), ...predicateTerms(parts)].join(" AND ");
      const [counts] = await s.query(
        `SELECT count(*)::DOUBLE AS staged, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ${target} AS ${DEST} WHERE ${match}))::DOUBLE AS matched FROM ${step.staged} AS ${SOURCE}`,
      );
      const matched = Number(counts!.matched);
      const notes = [`${Number(counts!.staged) - matched} new`, `${matched} updated`];
      if (m.hardDeletes !== "ignore") {
        const [gone] = await s.query(
          `SELECT count(*)::DOUBLE AS n FROM ${target} AS ${DEST} WHERE NOT EXISTS (SELECT 1 FROM ${step.staged} AS ${SOURCE} WHERE ${match})${
            predicateTerms(parts).map((p) => ` AND ${p}`).join("")
          }${
            m.hardDeletes === "invalidate" ? ` AND ${DEST}.${quoteIdent(DELETED_AT)} IS NULL` : ""
          }`,
        );
        notes.push(`${Number(gone!.n)} ${m.hardDeletes === "delete" ? "deleted" : "invalidated"}`);
      }
      await s.exec(
        mergeSql(target, step.staged, parts, { update, insert: step.columns }, m.hardDeletes),
      );
      return `merge: ${notes.join(", ")}`;
    }),
});
