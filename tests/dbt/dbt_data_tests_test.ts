/**
 * Generic data tests in a dbt project as dbt runs them: the failing rows of
 * the built-in tests in dbt's shape (accepted_values and unique one row per
 * value with `n_records`, relationships one row per orphan with
 * `from_field`), so thresholds, `fail_calc` and stored failures count what
 * dbt counts; Jinja in test arguments rendered in the test's context;
 * dbt's `name:` for a test; the manifest's `test_metadata`, `depends_on.macros`
 * and a model's `config.contract`; and the same rows in a plain-SQL project.
 * Through the CLI on a real DuckDB file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";
import { readValid } from "../artifacts/dbt_schemas.ts";
import { PAYSHOP } from "./payshop.ts";

Deno.test("built-in tests return dbt's rows: thresholds and fail_calc count what dbt counts, Jinja arguments render, name: names a test", async () => {
  await using p = await tempProject(PAYSHOP);
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // Two values are not accepted (cash, bitcoin) in five rows: 2 is above warn_if, not error_if.
  assert.match(
    r.stdout,
    /WARN +test accepted_values_stg_payments_payment_method___var_payment_methods_ \.+ \[2 failing/,
  );
  assert.match(
    r.stdout,
    /test\.payment_method_rows:\n +sum\(n_records\) = 5: see wharf_failures\.payment_method_rows/,
  );
  assert.match(r.stdout, /WARN +test order_id_small \.+ \[1 failing/);
  assert.match(r.stdout, /WARN +test is_positive_stg_payments_amount \.+ \[1 failing/);
  // The orders of customer 9 (two) and 8: three rows, as dbt's relationships returns them.
  assert.match(
    r.stdout,
    /WARN +test relationships_stg_orders_customer_id__customer_id__ref_stg_customers_ \.+ \[3 failing/,
  );
  const db = join(p.root, "payshop.duckdb");
  assert.deepEqual(
    await queryRows(
      db,
      "select value_field, n_records::int as n from wharf_failures.accepted_values_stg_payments_payment_method___var_payment_methods_ order by 1",
    ),
    [{ value_field: "bitcoin", n: 2 }, { value_field: "cash", n: 3 }],
  );
  assert.deepEqual(
    await queryRows(
      db,
      "select from_field from wharf_failures.relationships_stg_orders_customer_id__customer_id__ref_stg_customers_ order by 1",
    ),
    [{ from_field: 8 }, { from_field: 9 }, { from_field: 9 }],
  );
  // dbt's test names: `name:` beside the arguments, and beside arguments: (dbt 1.10).
  const results = await readValid(join(p.root, "target"), "run_results");
  const ids = results.results.map((x: { unique_id: string }) => x.unique_id);
  assert.ok(ids.includes("test.payshop.order_id_small"), ids.join(", "));
  assert.ok(ids.includes("test.payshop.payment_method_rows"), ids.join(", "));
});

Deno.test("the manifest records a generic test's test_metadata and the macros tests and models call, as dbt does", async () => {
  await using p = await tempProject(PAYSHOP);
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const manifest = await readValid(join(p.root, "target"), "manifest");
  const custom = manifest.nodes["test.payshop.is_positive_stg_payments_amount"];
  assert.deepEqual(custom.test_metadata, {
    name: "is_positive",
    kwargs: { column_name: "amount", model: "{{ get_where_subquery(ref('stg_payments')) }}" },
    namespace: null,
  });
  assert.equal(custom.raw_code, "{{ test_is_positive(**_dbt_generic_test_kwargs) }}");
  assert.deepEqual(custom.depends_on.macros, [
    "macro.dbt.get_where_subquery",
    "macro.payshop.test_is_positive",
  ]);
  assert.match(
    manifest.macros["macro.payshop.test_is_positive"].macro_sql,
    /^\{% test is_positive/,
  );
  const values = manifest
    .nodes["test.payshop.accepted_values_stg_payments_payment_method___var_payment_methods_"];
  assert.deepEqual(values.test_metadata, {
    name: "accepted_values",
    kwargs: {
      values: ["credit_card", "coupon", "bank_transfer", "gift_card"],
      column_name: "payment_method",
      model: "{{ get_where_subquery(ref('stg_payments')) }}",
    },
    namespace: null,
  });
  assert.deepEqual(values.depends_on.macros, [
    "macro.dbt.get_where_subquery",
    "macro.dbt.test_accepted_values",
  ]);
  for (const id of values.depends_on.macros) assert.ok(manifest.macros[id], id);
  // A model's macros: the project's and, through it, dbt's.
  const model = manifest.nodes["model.payshop.order_payments"];
  assert.deepEqual(model.depends_on.macros, [
    "macro.dbt.type_numeric",
    "macro.payshop.to_dollars",
  ]);
  assert.deepEqual(manifest.macros["macro.payshop.to_dollars"].depends_on.macros, [
    "macro.dbt.type_numeric",
  ]);
  assert.deepEqual(model.config.contract, { enforced: false, alias_types: true });
  // A model's SQL calling a DuckDB function of a dbt macro's name calls no macro.
  await p.write(
    "models/marts/names.sql",
    "select concat('a', 'b') as ab, replace('x', 'x', 'y') as y",
  );
  assert.equal((await runCli(["--project", p.root, "ls"])).code, 0);
  const again = await readValid(join(p.root, "target"), "manifest");
  assert.deepEqual(again.nodes["model.payshop.names"].depends_on.macros, []);
});

/** Properties of stg_payments whose payment methods are accepted when they are `values` (Jinja). */
function acceptedMethods(values: string): string {
  return `version: 2
models:
  - name: stg_payments
    columns:
      - name: payment_method
        data_tests:
          - accepted_values:
              values: "${values}"
`;
}

Deno.test("a test argument's Jinja that does not render is an error at its file and line", async () => {
  await using p = await tempProject({
    ...PAYSHOP,
    "models/staging/staging.yml": acceptedMethods("{{ var('payment_method') }}"),
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /models\/staging\/staging\.yml:8.*Cannot render the test argument "\{\{ var\('payment_method'\) \}\}": Required var "payment_method" is not set/,
  );
  // Rendered, a value of the wrong kind is the kind's error.
  await p.write("models/staging/staging.yml", acceptedMethods("{{ 'cash' }}"));
  const wrong = await runCli(["--project", p.root, "ls"]);
  assert.equal(wrong.code, 2, wrong.stdout + wrong.stderr);
  assert.match(wrong.stderr, /staging\.yml:8.*expected a non-empty list of accepted values, got/);
});

Deno.test("a test of a disabled model is left out with a warning naming the test, its file and line and the model, as dbt leaves it out", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "models/a.sql": "select 1 as x",
    "models/b.sql": "{{ config(enabled=false) }}\nselect 1 as id",
    "models/props.yml": `version: 2
models:
  - name: a
    columns:
      - name: x
        data_tests:
          - relationships:
              to: ref('b')
              field: id
          - relationships:
              name: off_too
              to: ref('b')
              field: id
              config:
                enabled: false
          - not_null
`,
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(
    r.stderr.split("\n").filter((l) => l.startsWith("warning:")).join("\n"),
    `warning: models/props.yml:7:13: Test "relationships_a_x__id__ref_b_" refers to "b" (models/b.sql), which is disabled (enabled: false): the test is left out, as dbt leaves out a test of a disabled node; enable "b", or disable the test too (config: enabled: false)`,
  );
  const ls = await runCli([
    "--project",
    p.root,
    "ls",
    "--resource-type",
    "test",
    "--output",
    "name",
  ]);
  assert.equal(ls.stdout.trim(), "not_null_a_x");
});

Deno.test("Jinja in a test's configs renders in its context, as dbt renders them: where, severity, warn_if", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nvars:\n  min_id: 2\n",
    "models/orders.sql": "select * from (values (1, null), (2, 5), (3, null)) t(id, amount)",
    "models/orders.yml": `version: 2
models:
  - name: orders
    columns:
      - name: amount
        data_tests:
          - not_null:
              config:
                where: "id >= {{ var('min_id') }}"
                severity: "{{ 'warn' if target.name == 'default' else 'error' }}"
          - not_null:
              name: amount_filled
              where: "id < {{ var('min_id') }}"
              warn_if: "{{ '>' ~ 5 }}"
`,
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  // where id >= 2: id 3 fails; severity renders to warn (the default target is named default).
  assert.match(r.stdout, /WARN +test not_null_orders_amount \.+ \[1 failing/);
  // where id < 2: id 1 fails; warn_if > 5 does not hold, error_if != 0 does.
  assert.match(r.stdout, /FAIL +test amount_filled \.+ \[1 failing/);
  const manifest = await readValid(join(p.root, "target"), "manifest");
  assert.equal(manifest.nodes["test.shop.not_null_orders_amount"].config.where, "id >= 2");
  assert.equal(manifest.nodes["test.shop.amount_filled"].config.warn_if, ">5");
  // A config that does not render is an error at its file.
  await p.write(
    "models/orders.yml",
    `version: 2
models:
  - name: orders
    columns:
      - name: amount
        data_tests:
          - not_null:
              config:
                where: "id >= {{ var('nope') }}"
`,
  );
  const bad = await runCli(["--project", p.root, "ls"]);
  assert.equal(bad.code, 2, bad.stdout + bad.stderr);
  assert.match(
    bad.stderr,
    /orders\.yml:7.*Cannot render the test config "id >= \{\{ var\('nope'\) \}\}"/,
  );
});

Deno.test("a plain-SQL project's built-in tests return the same rows, take name: and accepted_values' quote: false", async () => {
  await using p = await tempProject({
    "models/staging/customers.sql": "select * from (values (1), (2)) t(customer_id)",
    "models/staging/orders.sql":
      "select * from (values (1, 1, 10), (2, 9, 20), (3, 9, 30), (4, 2, 40)) t(order_id, customer_id, amount)",
    "models/staging/staging.yml": `models:
  - name: orders
    columns:
      - name: customer_id
        tests:
          - relationships:
              name: orders_have_customers
              to: staging.customers
              field: customer_id
              config: { severity: warn, fail_calc: "count(distinct from_field)" }
      - name: amount
        tests:
          - accepted_values:
              values: [10, 20, 30]
              quote: false
              config: { severity: warn }
`,
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // Two orphan rows, of one customer.
  assert.match(
    r.stdout,
    /count\(distinct from_field\) = 1: see wharf_failures\.orders_have_customers/,
  );
  assert.match(r.stdout, /WARN +test accepted_values_orders_amount \.+ \[1 failing/);
  assert.deepEqual(
    await queryRows(
      p.db,
      "select value_field, n_records::int as n from wharf_failures.accepted_values_orders_amount",
    ),
    [{ value_field: 40, n: 1 }],
  );
  const compiled = await Deno.readTextFile(
    join(p.root, "target/run/tests/accepted_values_orders_amount.sql"),
  );
  assert.match(compiled, /value_field NOT IN \(10, 20, 30\)/);
});
