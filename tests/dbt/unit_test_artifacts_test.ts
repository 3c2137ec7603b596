/**
 * Unit tests in dbt's artifacts, through the CLI on a real DuckDB file:
 * `unit_test.<project>.<model>.<name>` in run_results.json, listed under
 * the manifest's `unit_tests` (valid against dbt's schema), and selected,
 * retried and compared with a state by that id.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readValid } from "../artifacts/dbt_schemas.ts";
import { runCli, tempProject } from "../helpers.ts";

const UNIT_TESTS = (expected: number) =>
  `version: 2
unit_tests:
  - name: customers_counts_non_cancelled
    description: Cancelled orders do not count.
    model: customers
    config:
      tags: [counting]
    given:
      - input: ref('stg_orders')
        rows:
          - { customer_id: 1, status: placed }
          - { customer_id: 1, status: cancelled }
          - { customer_id: 2, status: placed }
    expect:
      format: csv
      rows: |
        customer_id,orders
        1,${expected}
        2,1
`;

const FILES = {
  "dbt_project.yml": "name: shop\nconfig-version: 2\n",
  "models/staging/stg_orders.sql":
    "select * from (values (1, 'placed'), (1, 'cancelled'), (2, 'placed')) t(customer_id, status)",
  "models/marts/customers.sql":
    "select customer_id, count(*) as orders from {{ ref('stg_orders') }} where status <> 'cancelled' group by customer_id",
  "models/marts/unit_tests.yml": UNIT_TESTS(1),
};

const ID = "unit_test.shop.customers.customers_counts_non_cancelled";

Deno.test("a unit test is unit_test.<project>.<model>.<name> in run_results.json and the manifest's unit_tests", async () => {
  await using p = await tempProject(FILES);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const build = await cli("build");
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const target = join(p.root, "target");
  const results = await readValid(target, "run_results");
  assert.deepEqual(
    results.results.map((r: { unique_id: string; status: string }) => [r.unique_id, r.status])
      .sort(),
    [["model.shop.customers", "success"], ["model.shop.stg_orders", "success"], [ID, "pass"]],
  );
  const manifest = await readValid(target, "manifest");
  assert.deepEqual(Object.keys(manifest.unit_tests), [ID]);
  const test = manifest.unit_tests[ID];
  assert.deepEqual(
    [test.name, test.resource_type, test.model, test.original_file_path, test.fqn],
    [
      "customers_counts_non_cancelled",
      "unit_test",
      "customers",
      "models/marts/unit_tests.yml",
      ["shop", "marts", "customers", "customers_counts_non_cancelled"],
    ],
  );
  assert.deepEqual(test.given, [{
    input: "ref('stg_orders')",
    rows: [
      { customer_id: 1, status: "placed" },
      { customer_id: 1, status: "cancelled" },
      { customer_id: 2, status: "placed" },
    ],
    format: "dict",
    fixture: null,
  }]);
  assert.deepEqual(test.expect, {
    rows: "customer_id,orders\n1,1\n2,1\n",
    format: "csv",
    fixture: null,
  });
  assert.deepEqual(test.depends_on.nodes, ["model.shop.customers"]);
  assert.deepEqual(test.config.tags, ["counting"]);
  assert.equal(test.description, "Cancelled orders do not count.");
  assert.deepEqual(manifest.parent_map[ID], ["model.shop.customers"]);
  assert.ok(manifest.child_map["model.shop.customers"].includes(ID));
  assert.equal(manifest.nodes[ID], undefined);
  assert.equal(
    Object.keys(manifest.nodes).some((u) => u.startsWith("test.")),
    false,
    "no unit test among the data tests",
  );

  // Selected by dbt's methods; compared with a state by its unique id.
  const ls = async (...args: string[]) => {
    const r = await cli("--json", "ls", ...args);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { id: string }[]).map((n) => n.id);
  };
  const graphId = "unit_test.customers.customers_counts_non_cancelled";
  assert.deepEqual(await ls("-s", "resource_type:unit_test"), [graphId]);
  assert.deepEqual(await ls("-s", "tag:counting"), [graphId]);
  const state = join(p.root, "last");
  await Deno.mkdir(state);
  for (const f of ["manifest.json", "run_results.json"]) {
    await Deno.copyFile(join(target, f), join(state, f));
  }
  assert.deepEqual(await ls("--state", state, "-s", "state:modified"), []);
  await p.write("models/marts/unit_tests.yml", UNIT_TESTS(2));
  assert.deepEqual(await ls("--state", state, "-s", "state:modified"), [graphId]);

  // The wrong expectation fails the test; retry reruns it, and the model it held back.
  const failed = await cli("build");
  assert.equal(failed.code, 1, failed.stdout);
  const after = await readValid(target, "run_results");
  assert.deepEqual(
    after.results.map((r: { unique_id: string; status: string }) => [r.unique_id, r.status])
      .sort(),
    [["model.shop.customers", "skipped"], ["model.shop.stg_orders", "success"], [ID, "fail"]],
  );
  await p.write("models/marts/unit_tests.yml", UNIT_TESTS(1));
  const retried = await cli("retry");
  assert.equal(retried.code, 0, retried.stdout + retried.stderr);
  assert.match(retried.stdout, /Running 0 seeds, 1 model, 1 test/);
  assert.match(retried.stdout, /PASS +test unit_test\.customers\.customers_counts_non_cancelled /);
});
