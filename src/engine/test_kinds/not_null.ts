/**
 * `not_null`: the column has no NULL.
 *
 * @module
 */
import { mapping } from "../yaml/yaml_schema.ts";
import { COMMON_TEST_KEYS, testWhat } from "./common.ts";
import { defineTestKind } from "./test_kind.ts";

/** The `not_null` test: its failing rows are those where the column is NULL. */
export const notNull = defineTestKind({
  kind: "not_null",
  args: mapping(testWhat("not_null"), {}, { alsoKnown: COMMON_TEST_KEYS }),
  column: "required",
  query: (_args, { relation, column }) => `SELECT *\nFROM ${relation}\nWHERE ${column} IS NULL`,
});
