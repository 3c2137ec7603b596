/**
 * `accepted_values: { values: [...] }`: every non-NULL value of the column
 * is one of the values (compared as text; with dbt's `quote: false`, the
 * values are SQL literals compared with the column as it is).
 *
 * @module
 */
import { z } from "../zod.ts";
import { quoteLiteral } from "../db/sql.ts";
import { describe } from "../yaml/yaml_file.ts";
import { flag, mapping } from "../yaml/yaml_schema.ts";
import { COMMON_TEST_KEYS, testWhat } from "./common.ts";
import { defineTestKind } from "./test_kind.ts";

const values = z.custom<unknown[]>((v) => Array.isArray(v) && v.length > 0, {
  error: (iss) => `expected a non-empty list of accepted values, got ${describe(iss.input)}`,
}).transform((v) => v.map(String));

/**
 * The `accepted_values` test: its failing rows are the other values, one
 * row each with its count, as dbt's are (`value_field`, `n_records`): its
 * failures are the distinct values that are not accepted, and
 * `fail_calc: sum(n_records)` counts the rows holding them.
 */
export const acceptedValues = defineTestKind({
  kind: "accepted_values",
  args: mapping(testWhat("accepted_values"), { values, quote: flag().optional() }, {
    alsoKnown: COMMON_TEST_KEYS,
  }),
  column: "required",
  query: (args, { relation, column }) => {
    const quoted = args.quote !== false;
    const field = quoted ? "CAST(value_field AS VARCHAR)" : "value_field";
    const list = args.values.map((v) => quoted ? quoteLiteral(v) : v).join(", ");
    return `WITH all_values AS (\n  SELECT ${column} AS value_field, count(*) AS n_records\n  FROM ${relation}\n  GROUP BY ${column}\n)\nSELECT *\nFROM all_values\nWHERE value_field IS NOT NULL\n  AND ${field} NOT IN (${list})`;
  },
});
