/**
 * `wharf ls` with dbt's `--resource-type` (repeatable) and `--output
 * name|path`, and the tags of every node it lists: a test's come from its
 * config and the `data_tests:` tree of dbt_project.yml, as `tag:` selects it.
 */
import assert from "node:assert/strict";
import { runCli, tempProject } from "../helpers.ts";

const FILES = {
  "dbt_project.yml": `name: shop
config-version: 2
data_tests:
  shop:
    +tags: [quality]
`,
  "models/staging/_sources.yml": `version: 2
sources:
  - name: app
    tables:
      - name: orders
        tags: [raw]
`,
  "models/staging/stg_orders.sql": "select * from {{ source('app', 'orders') }}",
  "models/marts/orders.sql":
    "{{ config(alias='all_orders', tags=['mart']) }}\nselect * from {{ ref('stg_orders') }}",
  "models/marts/schema.yml": `version: 2
models:
  - name: orders
    columns:
      - name: id
        data_tests:
          - unique:
              config:
                tags: [keys]
unit_tests:
  - name: orders_pass_through
    model: orders
    given:
      - input: ref('stg_orders')
        rows: [{ id: 1 }]
    expect:
      rows: [{ id: 1 }]
`,
  "tests/no_orders.sql": "select * from {{ ref('orders') }} where id < 0",
  "seeds/codes.csv": "code\nA\n",
};

Deno.test("ls --resource-type keeps the nodes of the types given, and shows every node's tags", async () => {
  await using p = await tempProject(FILES);
  const ls = async (...args: string[]) => {
    const r = await runCli(["--project", p.root, "--json", "ls", ...args]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { id: string; type: string; tags: string }[]).map((n) =>
      `${n.id} ${n.type} [${n.tags}]`
    );
  };
  assert.deepEqual(await ls("--resource-type", "model"), [
    "main.stg_orders model []",
    "main.all_orders model [mart]",
  ]);
  assert.deepEqual(await ls("--resource-type", "test", "--resource-type", "source"), [
    "source.app.orders source [raw]",
    "test.no_orders singular_test [quality]",
    "test.unique_orders_id generic_test [quality,keys]",
  ]);
  assert.deepEqual(await ls("--resource-type", "unit_test", "seed"), [
    "main.codes seed []",
    "unit_test.all_orders.orders_pass_through unit_test []",
  ]);
  // With a selection: what both keep.
  assert.deepEqual(await ls("-s", "tag:quality", "--resource-type", "test"), [
    "test.no_orders singular_test [quality]",
    "test.unique_orders_id generic_test [quality,keys]",
  ]);
  assert.equal((await ls("--resource-type", "all")).length, 7);

  const typo = await runCli(["--project", p.root, "ls", "--resource-type", "modle"]);
  assert.equal(typo.code, 2);
  assert.match(
    typo.stderr,
    /Invalid --resource-type "modle" \(did you mean "model"\?\): wharf's nodes are of the types model, seed, snapshot, source, test, unit_test, exposure \(or all\)/,
  );
});

Deno.test("ls --output name and path print one a line, as dbt ls does", async () => {
  await using p = await tempProject(FILES);
  const out = async (...args: string[]) => {
    const r = await runCli(["--project", p.root, "ls", ...args]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trimEnd().split("\n");
  };
  assert.deepEqual(await out("--resource-type", "model", "source", "--output", "name"), [
    "app.orders",
    "stg_orders",
    "orders",
  ]);
  assert.deepEqual(await out("-s", "orders", "--resource-type", "model", "--output", "path"), [
    "models/marts/orders.sql",
  ]);
  assert.deepEqual(await out("--resource-type", "source", "--output", "path"), [
    "models/staging/_sources.yml",
  ]);
  const bad = await runCli(["--project", p.root, "ls", "--output", "selector"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid --output "selector": wharf prints name or path/);
});
