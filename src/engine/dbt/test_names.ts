/**
 * The names dbt makes up for generic tests, so that a dbt project's tests
 * keep theirs in wharf (selection by name, `wharf_failures.<name>`, the
 * manifest's unique ids): the test's name (prefixed `source_` for a
 * source's, and by its package for a namespaced one), the node's name
 * (`<source>_<table>` for a source table), then every argument's value in
 * the order of the arguments' names (`column_name` among them), each value
 * with its runs of other characters than letters, digits and `_` made `_`,
 * joined by `__`; and the shorter name of its compiled file when that
 * name is long.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** A YAML value as Python's `str()` writes it (dbt names tests from those). */
function pyStr(value: unknown, nested = false): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "string") return nested ? `'${value.replaceAll("'", "\\'")}'` : value;
  if (Array.isArray(value)) return `[${value.map((v) => pyStr(v, true)).join(", ")}]`;
  if (typeof value === "object") {
    return `{${
      Object.entries(value).map(([k, v]) => `${pyStr(k, true)}: ${pyStr(v, true)}`).join(", ")
    }}`;
  }
  return String(value);
}

/**
 * dbt's name of a generic test.
 *
 * @param test the test's name as written (`unique`, `accepted_values`, `my_pkg.my_test`).
 * @param target the tested node's name, or `<source>_<table>`.
 * @param args its arguments as written, configs left out, with `column_name` when it has one.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dbtTestName } from "./test_names.ts";
 *
 * assert.equal(
 *   dbtTestName("relationships", "orders", { column_name: "customer_id", to: "ref('customers')", field: "id" }),
 *   "relationships_orders_customer_id__id__ref_customers_",
 * );
 * assert.equal(
 *   dbtTestName("accepted_values", "orders", { column_name: "status", values: ["placed", "shipped"], quote: false }),
 *   "accepted_values_orders_status__False__placed__shipped",
 * );
 * assert.equal(dbtTestName("unique", "orders", { column_name: "id" }, { source: true }), "source_unique_orders_id");
 * ```
 */
export function dbtTestName(
  test: string,
  target: string,
  args: Readonly<Record<string, unknown>>,
  options: { source?: boolean } = {},
): string {
  const values = Object.keys(args).filter((k) => k !== "model").sort().flatMap((k) => {
    const v = args[k];
    const parts = Array.isArray(v)
      ? v
      : typeof v === "object" && v !== null
      ? Object.values(v)
      : [v];
    return parts.map((p) => pyStr(p).replace(/[^0-9a-zA-Z_]+/g, "_"));
  });
  return `${testIdentifier(test, target, options)}_${values.join("__")}`;
}

/** The start of a generic test's name: its test (`source_`-prefixed, package-prefixed) and its node. */
function testIdentifier(test: string, target: string, options: { source?: boolean }): string {
  const dot = test.lastIndexOf(".");
  const name = `${options.source ? "source_" : ""}${test.slice(dot + 1)}`;
  return `${dot < 0 ? name : `${test.slice(0, dot)}_${name}`}_${target}`;
}

/**
 * The name dbt gives a generic test's compiled file (`<name>.sql` under
 * target/): its name, or for a name of 64 characters or more, the first 30
 * characters of its test and node names, `_`, and the MD5 of its name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dbtTestFileName } from "./test_names.ts";
 *
 * assert.equal(dbtTestFileName("unique", "orders", { column_name: "id" }), "unique_orders_id");
 * assert.match(
 *   dbtTestFileName("accepted_values", "orders", { column_name: "status", values: ["placed", "shipped", "returned", "completed"] }),
 *   /^accepted_values_orders_[0-9a-f]{32}$/,
 * );
 * ```
 */
export function dbtTestFileName(
  test: string,
  target: string,
  args: Readonly<Record<string, unknown>>,
  options: { source?: boolean } = {},
): string {
  const name = dbtTestName(test, target, args, options);
  if (name.length < 64) return name;
  const hash = createHash("md5").update(name).digest("hex");
  return `${testIdentifier(test, target, options).slice(0, 30)}_${hash}`;
}
