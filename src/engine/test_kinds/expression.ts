/**
 * `expression_is_true: { expression: "amount >= 0" }` (or `expression:
 * "amount >= 0"`): the boolean SQL expression holds on every row.
 *
 * @module
 */
import { mapping, text } from "../yaml/yaml_schema.ts";
import { COMMON_TEST_KEYS, testWhat } from "./common.ts";
import { defineTestKind } from "./test_kind.ts";

const EXPECTED = 'expected a boolean SQL expression, e.g. "amount >= 0"';

/** The expression test: its failing rows are those where the expression is not true. */
export const expression = defineTestKind({
  kind: "expression",
  names: ["expression_is_true", "expression"],
  args: mapping(testWhat("expression_is_true"), {
    expression: text("a boolean SQL expression", EXPECTED).refine((v) => v.trim() !== "", EXPECTED),
  }, { alsoKnown: COMMON_TEST_KEYS }),
  shorthand: "expression",
  column: "optional",
  nameSuffix: (_test, index) => `_${index}`,
  query: (args, { relation }) =>
    `SELECT *\nFROM ${relation}\nWHERE NOT coalesce((${args.expression}), false)`,
});
