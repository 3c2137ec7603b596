/**
 * `unique`: no two rows share a (non-NULL) value of the column.
 *
 * @module
 */
import { mapping } from "../yaml/yaml_schema.ts";
import { COMMON_TEST_KEYS, testWhat } from "./common.ts";
import { defineTestKind } from "./test_kind.ts";

/**
 * The `unique` test: its failing rows are the duplicated values, one row
 * each with its count, as dbt's are (`unique_field`, `n_records`).
 */
export const unique = defineTestKind({
  kind: "unique",
  args: mapping(testWhat("unique"), {}, { alsoKnown: COMMON_TEST_KEYS }),
  column: "required",
  query: (_args, { relation, column }) =>
    `SELECT ${column} AS unique_field, count(*) AS n_records\nFROM ${relation}\nWHERE ${column} IS NOT NULL\nGROUP BY ${column}\nHAVING count(*) > 1`,
});
