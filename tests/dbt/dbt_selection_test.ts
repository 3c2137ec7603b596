/**
 * Selection as dbt does it, through the CLI on a real DuckDB file:
 * `--indirect-selection` (eager by default, cautious, buildable, empty) and
 * selectors.yml's `indirect_selection:`; a selector or an `--exclude` that
 * matches nothing is a warning naming it, and the rest runs; `wharf retry`
 * reruns exactly what did not get through (nothing the command excluded
 * comes back) and keeps the command's arguments. The same in a plain-SQL
 * project where the same thing exists there.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempProject } from "../helpers.ts";
import { readValid } from "../artifacts/dbt_schemas.ts";
import { PAYSHOP } from "./payshop.ts";

/** PAYSHOP with a mart whose relationships test reads an ancestor of it, and named selectors. */
const FILES = {
  ...PAYSHOP,
  "models/marts/customer_orders.sql": `select o.order_id, o.customer_id
from {{ ref('stg_orders') }} o join {{ ref('stg_customers') }} c using (customer_id)`,
  "models/marts/marts.yml": `version: 2
models:
  - name: customer_orders
    columns:
      - name: customer_id
        data_tests:
          - relationships:
              to: ref('stg_customers')
              field: customer_id
`,
  "selectors.yml": `selectors:
  - name: orders_cautious
    definition:
      method: fqn
      value: stg_orders
      indirect_selection: cautious
  - name: orders_eager
    definition: "stg_orders"
`,
};

/** The ids `wharf ls` lists. */
async function ls(root: string, ...args: string[]): Promise<string[]> {
  const r = await runCli(["--project", root, "--json", "ls", ...args]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return (JSON.parse(r.stdout) as { id: string }[]).map((n) => n.id);
}

const REL_ORDERS = "test.relationships_stg_orders_customer_id__customer_id__ref_stg_customers_";
const REL_MART = "test.relationships_customer_orders_customer_id__customer_id__ref_stg_customers_";

Deno.test("tests come along as --indirect-selection says: eager by default, cautious, buildable, empty; selectors.yml's indirect_selection", async () => {
  await using p = await tempProject(FILES);
  // eager: the relationships test from stg_orders to stg_customers comes with stg_customers too.
  assert.ok((await ls(p.root, "-s", "stg_customers")).includes(REL_ORDERS));
  assert.ok((await ls(p.root, "-s", "stg_orders")).includes(REL_ORDERS));
  assert.ok(
    !(await ls(p.root, "-s", "stg_orders", "--indirect-selection", "cautious")).includes(
      REL_ORDERS,
    ),
  );
  assert.ok(
    (await ls(p.root, "-s", "stg_orders stg_customers", "--indirect-selection", "cautious"))
      .includes(REL_ORDERS),
  );
  // buildable: the mart's test reads the mart and stg_customers, one of its ancestors.
  assert.ok(
    (await ls(p.root, "-s", "customer_orders", "--indirect-selection", "buildable")).includes(
      REL_MART,
    ),
  );
  assert.ok(
    !(await ls(p.root, "-s", "customer_orders", "--indirect-selection", "cautious")).includes(
      REL_MART,
    ),
  );
  assert.deepEqual(await ls(p.root, "-s", "stg_orders", "--indirect-selection", "empty"), [
    "main.stg_orders",
  ]);
  // Excluding a node a test reads excludes the test, whatever the mode.
  assert.ok(!(await ls(p.root, "--exclude", "stg_customers")).includes(REL_ORDERS));
  assert.ok(!(await ls(p.root, "--selector", "orders_cautious")).includes(REL_ORDERS));
  assert.ok((await ls(p.root, "--selector", "orders_eager")).includes(REL_ORDERS));
  const bad = await runCli(["--project", p.root, "ls", "--indirect-selection", "greedy"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid --indirect-selection "greedy": expected eager, cautious/);

  // `wharf test -s stg_orders` runs the test, against what the warehouse has.
  assert.equal((await runCli(["--project", p.root, "build"])).code, 0);
  const tested = await runCli(["--project", p.root, "test", "-s", "stg_orders"]);
  assert.equal(tested.code, 0, tested.stdout + tested.stderr);
  assert.match(
    tested.stdout,
    /WARN +test relationships_stg_orders_customer_id__customer_id__ref_stg_customers_ /,
  );
  const results = await readValid(join(p.root, "target"), "run_results");
  assert.equal(results.args.indirect_selection, undefined);
  const cautious = await runCli([
    "--project",
    p.root,
    "test",
    "-s",
    "stg_orders",
    "--indirect-selection",
    "cautious",
  ]);
  assert.doesNotMatch(cautious.stdout, /relationships_stg_orders/);
  assert.equal(
    (await readValid(join(p.root, "target"), "run_results")).args.indirect_selection,
    "cautious",
  );
});

Deno.test("a selector or an --exclude matching nothing is a warning naming it, and the rest runs (dbt project)", async () => {
  await using p = await tempProject(FILES);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const some = await cli("build", "-s", "stg_orders", "tag:nightyl");
  assert.match(
    some.stderr,
    /^warning: The selection criterion "tag:nightyl" does not match any enabled nodes: there are no tags$/m,
  );
  assert.match(some.stdout, /OK +model main\.stg_orders /);
  // Eager: the relationships test to stg_customers comes along, and errors as in dbt, since
  // stg_customers was never built; the message says why and what to do.
  assert.equal(some.code, 1, some.stdout + some.stderr);
  assert.match(
    some.stdout,
    /Test relationships_stg_orders_customer_id__customer_id__ref_stg_customers_ reads main\.stg_customers, which this run does not build and the warehouse does not have yet: build it first or select it too, or leave out the tests of nodes not selected \(--indirect-selection cautious\)/,
  );
  const cautious = await cli("build", "-s", "stg_orders", "--indirect-selection", "cautious");
  assert.equal(cautious.code, 0, cautious.stdout + cautious.stderr);
  const typo = await cli("build", "-s", "stg_ordres");
  assert.equal(typo.code, 0, typo.stdout + typo.stderr);
  assert.match(
    typo.stderr,
    /warning: The selection criterion "stg_ordres" does not match any enabled nodes \(did you mean "stg_orders"\?\)/,
  );
  assert.match(typo.stdout, /Nothing to do: the selection holds nothing `wharf build` runs\./);
  const excluded = await cli("run", "--exclude", "tag:wrong");
  assert.equal(excluded.code, 0, excluded.stdout + excluded.stderr);
  assert.match(
    excluded.stderr,
    /warning: The selection criterion "tag:wrong" does not match any enabled nodes/,
  );
  assert.match(excluded.stdout, /OK +model main\.customer_orders /);
  // A selection that holds nothing the command runs: nothing to do, as dbt says.
  const tests = await cli("run", "-s", "test_type:generic");
  assert.equal(tests.code, 0, tests.stdout + tests.stderr);
  assert.match(tests.stderr, /none of which `wharf run` runs: it runs models/);
});

Deno.test("a plain-SQL project: an --exclude matching nothing warns, a --select typo stays an error", async () => {
  await using p = await tempProject({
    "models/staging/stg_orders.sql": "select 1 as order_id",
    "models/staging/staging.yml":
      "models:\n  - name: stg_orders\n    columns:\n      - name: order_id\n        tests: [unique]\n",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const excluded = await cli("build", "--exclude", "tag:wrong");
  assert.equal(excluded.code, 0, excluded.stdout + excluded.stderr);
  assert.match(
    excluded.stderr,
    /warning: The selection criterion "tag:wrong" does not match any enabled nodes/,
  );
  assert.match(excluded.stdout, /PASS +test unique_stg_orders_order_id /);
  const typo = await cli("build", "-s", "stg_ordres");
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /error: Selector "stg_ordres" matches no node \(did you mean/);
});

Deno.test("wharf retry reruns exactly what did not get through, never what the command excluded, and keeps its arguments", async () => {
  await using p = await tempProject({
    ...FILES,
    // Errors when it builds (not when it compiles): a text no integer reads.
    "models/marts/order_payments.sql": `{{ config(materialized='table') }}
select order_id, {{ to_dollars('sum(amount)') }} as dollars,
  cast(max(payment_method) || 'x' as integer) as boom
from {{ ref('stg_payments') }} group by order_id`,
    "models/marts/unit.yml": `version: 2
unit_tests:
  - name: dollars_wrong
    model: order_payments
    config:
      tags: [wrong]
    given:
      - input: ref('stg_payments')
        rows:
          - { payment_id: 1, order_id: 1, payment_method: '1', amount: 100 }
    expect:
      rows:
        - { order_id: 1, dollars: 99 }
`,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const built = await cli("build", "--exclude", "tag:wrong");
  assert.equal(built.code, 1, built.stdout + built.stderr);
  assert.match(built.stdout, /ERROR +model main\.order_payments /);
  assert.doesNotMatch(built.stdout, /dollars_wrong/);
  await p.write(
    "models/marts/order_payments.sql",
    `{{ config(materialized='table') }}
select order_id, {{ to_dollars('sum(amount)') }} as dollars
from {{ ref('stg_payments') }} group by order_id`,
  );
  const retried = await cli("retry");
  assert.equal(retried.code, 0, retried.stdout + retried.stderr);
  assert.match(retried.stdout, /Running 0 seeds, 1 model, 0 tests/);
  assert.match(retried.stdout, /OK +model main\.order_payments /);
  assert.doesNotMatch(retried.stdout, /dollars_wrong/);
  const results = await readValid(join(p.root, "target"), "run_results");
  assert.equal(results.args.which, "build");
  assert.deepEqual(results.args.exclude, ["tag:wrong"]);
  assert.deepEqual(results.args.select, []);
  assert.deepEqual(
    results.results.map((r: { unique_id: string }) => r.unique_id),
    ["model.payshop.order_payments"],
  );
  const again = await cli("retry");
  assert.match(again.stdout, /Nothing to retry: the last `wharf build` had no node/);
});
