/**
 * `accepted_values: { values: [...] }`: every non-NULL value of the column,
 * as text, is one of the values.
 *
 * @module
 */
import { z } from "zod";
import { quoteLiteral } from "../db/sql.ts";
import { describe } from "../yaml/yaml_file.ts";
import { mapping } from "../yaml/yaml_schema.ts";
import { COMMON_TEST_KEYS, testWhat } from "./common.ts";
import { defineTestKind } from "./test_kind.ts";

const values = z.custom<unknown[]>((v) => Array.isArray(v) && v.length > 0, {
  error: (iss) => `expected a non-empty list of accepted values, got ${describe(iss.input)}`,
}).transform((v) => v.map(String));

/** The `accepted_values` test: its failing rows are those with any other value. */
export const acceptedValues = defineTestKind({
  kind: "accepted_values",
  args: mapping(testWhat("accepted_values"), { values }, { alsoKnown: COMMON_TEST_KEYS }),
  column: "required",
  query: (args, { relation, column }) =>
    `SELECT *\nFROM ${relation}\nWHERE ${column} IS NOT NULL\n  AND CAST(${column} AS VARCHAR) NOT IN (${
      args.values.map(quoteLiteral).join(", ")
    })`,
});
