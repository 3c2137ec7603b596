/**
 * A test whose query was rendered when the project was read: a dbt custom
 * generic test (`{% test name(model, column_name) %}`). Its SQL marks where
 * the relation under test and the relations it reads go, so the relation
 * under test can be filtered (`where`) and ephemeral models inlined, as for
 * every other kind. It has no YAML name: projects reach it through their
 * own tests' names.
 *
 * @module
 */
import { z } from "../zod.ts";
import { mapping, text } from "../yaml/yaml_schema.ts";
import { defineTestKind } from "./test_kind.ts";

/** Where the relation under test goes in a rendered test's SQL. */
export const MODEL_MARK = "\u0005model\u0005";

/** Where the `i`-th relation a rendered test reads goes in its SQL. */
export function readMark(i: number): string {
  return `\u0005read${i}\u0005`;
}

const READ_MARK = new RegExp(`${readMark(0).replace("0", "(\\d+)")}`, "g");

/** The rendered test kind. */
export const rendered = defineTestKind({
  kind: "rendered",
  names: [],
  args: mapping("a rendered test", {
    test: text("the test's name"),
    sql: text("the test's SQL"),
    reads: z.array(z.string()),
    /** Its arguments as rendered (the manifest's `test_metadata.kwargs`). */
    arguments: z.record(z.string(), z.unknown()),
    /** The package whose `{% test %}` it is; absent: the project's. */
    package: z.string().optional(),
  }),
  column: "optional",
  reads: (args) => args.reads,
  query: (args, { relation, reads }) =>
    args.sql.replaceAll(MODEL_MARK, relation).replace(
      READ_MARK,
      (_, i: string) => reads[Number(i)] ?? "",
    ),
});
