/**
 * dbt 1.10's form of generic tests: the test's arguments under
 * `arguments:`, its configs under `config:` (or beside), for the built-in
 * tests and a project's own `{% test %}`; both forms in one test, and a
 * config under `arguments:`, are errors naming the key. Through the CLI on
 * a real DuckDB file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const PROJECT = "name: shop\nconfig-version: 2\n";

const FILES = {
  "dbt_project.yml": PROJECT,
  "macros/tests.sql": `{% test at_most(model, column_name, max=10) %}
select * from {{ model }} where {{ column_name }} > {{ max }}
{% endtest %}`,
  "models/customers.sql": "select * from (values (1), (2)) t(id)",
  "models/orders.sql":
    "select * from (values (1, 1, 'placed', 5), (2, 2, 'shipped', 20), (3, 9, 'lost', 7)) t(order_id, customer_id, status, amount)",
  "models/schema.yml": `version: 2
models:
  - name: orders
    columns:
      - name: status
        data_tests:
          - accepted_values:
              arguments:
                values: [placed, shipped]
              config:
                severity: warn
          - accepted_values:
              arguments:
                values: [placed, shipped, lost]
      - name: customer_id
        data_tests:
          - relationships:
              arguments:
                to: ref('customers')
                field: id
              config:
                where: "order_id < 3"
          - relationships:
              arguments: { to: ref('customers'), field: id }
      - name: amount
        data_tests:
          - at_most:
              arguments:
                max: 15
              config:
                store_failures: true
          - at_most:
              arguments:
                max: 25
              severity: warn
`,
};

Deno.test("generic tests take their arguments under arguments: and their configs under config:", async () => {
  await using p = await tempProject(FILES);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const r = await cli("build");
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /WARN +test accepted_values_orders_status__placed__shipped \.+ \[1 failing/,
  );
  assert.match(r.stdout, /PASS +test accepted_values_orders_status__placed__shipped__lost /);
  // The where config tests orders 1 and 2 only: customer 9 of order 3 is left out.
  assert.match(r.stdout, /PASS +test relationships_orders_customer_id__id__ref_customers_ /);
  assert.match(
    r.stdout,
    /FAIL +test relationships_orders_customer_id__id__ref_customers__2 \.+ \[1 failing/,
  );
  assert.match(r.stdout, /FAIL +test at_most_orders_amount__15 \.+ \[1 failing/);
  assert.match(r.stdout, /PASS +test at_most_orders_amount__25 /);
  const failing = await queryRows(
    join(p.root, "shop.duckdb"),
    "select order_id from wharf_failures.at_most_orders_amount__15",
  );
  assert.deepEqual(failing.map((x) => x.order_id), [2]);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  const test = manifest.nodes["test.shop.accepted_values_orders_status__placed__shipped"];
  assert.deepEqual(test.test_metadata.kwargs, {
    values: ["placed", "shipped"],
    column_name: "status",
    model: "{{ get_where_subquery(ref('orders')) }}",
  });
  assert.equal(test.config.severity, "WARN");
});

Deno.test("both forms in one test, a config under arguments: and an unknown argument are errors naming the key", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/schema.yml": `version: 2
models:
  - name: orders
    columns:
      - name: status
        data_tests:
          - accepted_values:
              arguments:
                values: [placed]
              values: [shipped]
          - accepted_values:
              arguments:
                values: [placed]
                severity: warn
          - accepted_values:
              valeus: [placed]
      - name: amount
        data_tests:
          - at_most:
              arguments: { max: 3 }
              max: 4
          - at_most:
              arguments: [3]
      - name: customer_id
        data_tests:
          - relationships:
              arguments:
                field: id
`,
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2);
  const lines = r.stderr.split("\n").slice(1).map((l) => l.trim()).filter((l) =>
    l.startsWith("models/")
  );
  assert.deepEqual(lines, [
    'models/schema.yml:10:15: models[0].columns[0].data_tests[0].accepted_values.values: "values" is an argument of test "accepted_values" written beside "arguments": put it under arguments:, or write every argument beside the configs (dbt\'s older form), not both',
    'models/schema.yml:14:17: models[0].columns[0].data_tests[1].accepted_values.arguments.severity: "severity" is not an argument of test "accepted_values": put it under config:',
    'models/schema.yml:16:15: models[0].columns[0].data_tests[2].accepted_values.valeus: unknown key "valeus" in test "accepted_values" (did you mean "values"?)',
    "models/schema.yml:16:15: models[0].columns[0].data_tests[2].accepted_values.values: expected a non-empty list of accepted values, got nothing",
    'models/schema.yml:21:15: models[0].columns[1].data_tests[0].at_most.max: "max" is an argument of test "at_most" written beside "arguments": put it under arguments:, or write every argument beside the configs (dbt\'s older form), not both',
    'models/schema.yml:23:26: models[0].columns[1].data_tests[1].at_most.arguments: expected the arguments of test "at_most" as a mapping, got a list',
    "models/schema.yml:28:17: models[0].columns[2].data_tests[0].relationships.arguments.to: expected the referenced model, e.g. ref('stg_members') or source('crm', 'members')",
  ]);
});

Deno.test("plain SQL: the arguments: form, and relationships' message with a relation", async () => {
  await using p = await tempProject({
    "models/staging/stg_members.sql": "select * from (values (1), (2)) t(member_id)",
    "models/staging/stg_claims.sql": "select * from (values (1, 1), (2, 3)) t(claim_id, member_id)",
    "models/staging/staging.yml": `models:
  - name: stg_claims
    columns:
      - name: member_id
        tests:
          - relationships:
              arguments: { to: staging.stg_members, field: member_id }
          - relationships:
              arguments: { field: member_id }
`,
  });
  const bad = await runCli(["--project", p.root, "ls"]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /tests\[1\]\.relationships\.arguments\.to: expected the referenced model, e.g\. "staging\.stg_members"\n/,
  );
  await p.write(
    "models/staging/staging.yml",
    (await Deno.readTextFile(join(p.root, "models/staging/staging.yml"))).replace(
      /\n {10}- relationships:\n {14}arguments: \{ field: member_id \}\n/,
      "\n",
    ),
  );
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /FAIL +test relationships_stg_claims_member_id__staging_stg_members \.+ \[1 failing/,
  );
});

Deno.test("dbt's named form: name:, test_name:, arguments: and config: side by side", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/schema.yml": `version: 2
models:
  - name: orders
    columns:
      - name: status
        data_tests:
          - name: orders_status_known
            test_name: accepted_values
            arguments:
              values: [placed, shipped, lost]
            config:
              severity: warn
      - name: amount
        data_tests:
          - name: amount_capped
            test_name: at_most
            arguments: { max: 15 }
          - test_name: not_null
`,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const r = await cli("build");
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /PASS +test orders_status_known /);
  assert.match(r.stdout, /FAIL +test amount_capped \.+ \[1 failing/);
  assert.match(r.stdout, /PASS +test not_null_orders_amount /);

  await p.write(
    "models/schema.yml",
    `version: 2
models:
  - name: orders
    columns:
      - name: status
        data_tests:
          - { name: twice, test_name: not_null }
          - { name: twice, test_name: unique }
          - { name: "bad name", test_name: unique }
          - { name: x, test_name: 3 }
`,
  );
  const bad = await cli("ls");
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /schema\.yml:8:\d+: models\[0\]\.columns\[0\]\.data_tests\[1\]\.name: the test name "twice" is taken: give another/,
  );
  assert.match(
    bad.stderr,
    /data_tests\[2\]\.name: expected the test's name \(letters, digits and underscores\), got "bad name"/,
  );
  assert.match(
    bad.stderr,
    /data_tests\[3\]\.test_name: expected the name of a generic test, got 3/,
  );
});
