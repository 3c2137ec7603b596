/**
 * `on_schema_change`: what a later run of an incremental model does when
 * the columns its SELECT returns differ from the table's, decided before
 * any row is written and applied in the same transaction as the rows.
 *
 * - `ignore` (the default): the table keeps its columns; a new column of
 *   the model is not written, a column the model no longer has is left
 *   out of what a run writes: NULL in the rows it inserts (with
 *   delete+insert and microbatch, the rows it replaces too), while merge's
 *   updated rows and every row the run does not touch keep their value.
 *   The build's message names both.
 * - `fail`: any difference stops the build, naming each; nothing changes.
 * - `append_new_columns`: new columns are added (NULL in the rows already
 *   there); columns the model no longer has are kept, as with `ignore`.
 * - `sync_all_columns`: the table takes the model's columns: new ones
 *   added, gone ones dropped, changed types altered.
 *
 * A column whose type changed is written as the table's type, except with
 * `sync_all_columns`, which changes the table's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { planSchemaChange } from "./on_schema_change.ts";
 *
 * const plan = planSchemaChange("append_new_columns", '"marts"."m"', {
 *   model: [{ name: "id", type: "INTEGER" }, { name: "extra", type: "VARCHAR" }],
 *   table: [{ name: "id", type: "INTEGER" }],
 * }, "merge");
 * assert.deepEqual(plan?.statements, ['ALTER TABLE "marts"."m" ADD COLUMN "extra" VARCHAR']);
 * assert.deepEqual(plan?.write, ["id", "extra"]);
 * ```
 *
 * @module
 */
import { quoteIdent } from "../../db/sql.ts";
import type { OnSchemaChange } from "./strategy.ts";

/** A column as DuckDB describes it. */
export interface Column {
  name: string;
  type: string;
}

/** The columns to compare. */
export interface ColumnSets {
  /** What the model's SELECT returns. */
  model: readonly Column[];
  /** What the table has. */
  table: readonly Column[];
  /** Columns of the table wharf keeps for itself (not the model's): left alone. */
  reserved?: readonly string[];
}

/** What a run does about the columns. */
export interface SchemaPlan {
  /** `ALTER TABLE` statements, run before the rows are written. */
  statements: string[];
  /** The model's columns the run writes. */
  write: string[];
  /** What changed or was left out, for the build's message. */
  notes: string[];
}

/** How the model's columns differ from the table's. */
export interface SchemaDiff {
  added: Column[];
  removed: Column[];
  /** Same name, another type. */
  changed: { name: string; model: string; table: string }[];
}

/** The differences between the model's columns and the table's (names compared as DuckDB does, ignoring case). */
export function diffColumns(sets: ColumnSets): SchemaDiff {
  const key = (name: string) => name.toLowerCase();
  const reserved = new Set((sets.reserved ?? []).map(key));
  const table = new Map(
    sets.table.filter((c) => !reserved.has(key(c.name))).map((c) => [
      key(c.name),
      c,
    ]),
  );
  const model = new Map(sets.model.map((c) => [key(c.name), c]));
  return {
    added: sets.model.filter((c) => !table.has(key(c.name))),
    removed: [...table.values()].filter((c) => !model.has(key(c.name))),
    changed: sets.model.flatMap((c) => {
      const t = table.get(key(c.name));
      return t && t.type !== c.type ? [{ name: c.name, model: c.type, table: t.type }] : [];
    }),
  };
}

/** The differences, said for a message: `new column "x" (VARCHAR); …`. */
export function describeDiff(diff: SchemaDiff): string {
  return [
    ...diff.added.map((c) => `new column ${quoteIdent(c.name)} (${c.type})`),
    ...diff.removed.map((c) => `column ${quoteIdent(c.name)} no longer in the model`),
    ...diff.changed.map((c) =>
      `column ${quoteIdent(c.name)} is ${c.model} in the model, ${c.table} in the table`
    ),
  ].join("; ");
}

/** What a later run of each strategy leaves in a column the model no longer has, for the message. */
const LEFT_OUT: Readonly<Record<string, string>> = {
  append: "NULL in the rows inserted (the rows already there keep theirs)",
  merge: "NULL in the rows inserted (the rows updated keep theirs)",
  "delete+insert": "NULL in the rows inserted, the replaced ones included (the others keep theirs)",
  microbatch: "NULL in the rebuilt batches' rows (the other batches keep theirs)",
};

/**
 * Decides what a run does about the columns of `target` (a quoted
 * relation) under `policy`, for a later run of the incremental strategy
 * named `strategy` (what it writes says what becomes of a column the model
 * no longer has).
 *
 * @returns `undefined` for `fail` when the columns differ (the caller says
 * how), else the plan.
 */
export function planSchemaChange(
  policy: OnSchemaChange,
  target: string,
  sets: ColumnSets,
  strategy: string,
): SchemaPlan | undefined {
  const diff = diffColumns(sets);
  const differs = diff.added.length + diff.removed.length + diff.changed.length > 0;
  if (policy === "fail" && differs) return undefined;
  const statements: string[] = [];
  const notes: string[] = [];
  const list = (cs: readonly { name: string }[]) => cs.map((c) => quoteIdent(c.name)).join(", ");
  const alter = (what: string) => statements.push(`ALTER TABLE ${target} ${what}`);
  let write = sets.model.map((c) => c.name);
  if (policy === "ignore" && diff.added.length) {
    const left = new Set(diff.added.map((c) => c.name));
    write = write.filter((c) => !left.has(c));
    notes.push(`new column${diff.added.length === 1 ? "" : "s"} ${list(diff.added)} not added`);
  }
  if (policy === "append_new_columns" || policy === "sync_all_columns") {
    for (const c of diff.added) alter(`ADD COLUMN ${quoteIdent(c.name)} ${c.type}`);
    if (diff.added.length) notes.push(`added ${list(diff.added)}`);
  }
  if (policy === "sync_all_columns") {
    for (const c of diff.removed) alter(`DROP COLUMN ${quoteIdent(c.name)}`);
    for (const c of diff.changed) alter(`ALTER COLUMN ${quoteIdent(c.name)} TYPE ${c.model}`);
    if (diff.removed.length) notes.push(`dropped ${list(diff.removed)}`);
    if (diff.changed.length) {
      notes.push(
        diff.changed.map((c) => `changed ${quoteIdent(c.name)} from ${c.table} to ${c.model}`)
          .join(", "),
      );
    }
  } else {
    if (diff.removed.length) {
      notes.push(
        `${list(diff.removed)} no longer in the model, ${
          LEFT_OUT[strategy] ?? "not written by this run"
        }`,
      );
    }
    if (diff.changed.length) {
      notes.push(
        diff.changed.map((c) =>
          `${quoteIdent(c.name)} written as ${c.table} (the model gives ${c.model})`
        )
          .join(", "),
      );
    }
  }
  return { statements, write, notes };
}
