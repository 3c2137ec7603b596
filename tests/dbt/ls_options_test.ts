/**
 * `wharf ls` with dbt's `--resource-type` (repeatable), `--output
 * selector|json|name|path` and `--output-keys`, and the tags of every node it
 * lists: a test's come from its config and the `data_tests:` tree of
 * dbt_project.yml, as `tag:` selects it.
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
    return (JSON.parse(r.stdout) as { id: string; type: string; tags: string[] }[]).map((n) =>
      `${n.id} ${n.type} [${n.tags.join(",")}]`
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
    /Invalid --resource-type "modle" \(did you mean "model"\?\): wharf's nodes are of the types model, seed, snapshot, source, test, unit_test, exposure, analysis \(or all\)/,
  );
});

Deno.test("ls lists analyses only when asked, as dbt ls does, in every form; --exclude-resource-type leaves types out", async () => {
  await using p = await tempProject({
    ...FILES,
    "analyses/big_orders.sql": "select * from {{ ref('orders') }} where id > 100",
  });
  const ls = async (...args: string[]) => {
    const r = await runCli(["--project", p.root, ...args]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trimEnd();
  };
  const types = async (...args: string[]) =>
    (JSON.parse(await ls("--json", "ls", ...args)) as { type: string }[]).map((n) => n.type);
  // dbt's default: every resource type but analysis.
  assert.ok(!(await types()).includes("analysis"));
  assert.deepEqual(await types("--resource-type", "analysis"), ["analysis"]);
  assert.equal((await types("--resource-type", "all")).filter((t) => t === "analysis").length, 1);
  assert.deepEqual(await ls("ls", "--resource-type", "analysis", "--output", "name"), "big_orders");
  assert.deepEqual(
    await ls("ls", "--resource-type", "analysis", "--output", "selector"),
    "shop.analysis.big_orders",
  );
  assert.deepEqual(
    await ls("ls", "--resource-type", "analysis", "--output", "path"),
    "analyses/big_orders.sql",
  );
  const json = JSON.parse(
    await ls(
      "ls",
      "--resource-type",
      "analysis",
      "--output",
      "json",
      "--output-keys",
      "unique_id resource_type",
    ),
  );
  assert.deepEqual(json, { unique_id: "analysis.shop.big_orders", resource_type: "analysis" });
  assert.match(
    await ls("ls", "--resource-type", "analysis"),
    /\| analysis\.big_orders +\| analysis +\|.*\| analyses\/big_orders\.sql +\|/,
  );

  // --exclude-resource-type, after --resource-type, as in dbt.
  assert.deepEqual(
    await types("--resource-type", "all", "--exclude-resource-type", "test", "unit_test", "source"),
    ["seed", "model", "model", "analysis"],
  );
  assert.deepEqual(await types("--exclude-resource-type", "default"), []);
  assert.equal(
    await ls("ls", "--resource-type", "analysis", "--exclude-resource-type", "analysis"),
    "The project has no node of the resource types asked (analysis, not analysis).",
  );
});

Deno.test("ls --output name and path print one a line, by unique id, as dbt ls does", async () => {
  await using p = await tempProject(FILES);
  const out = async (...args: string[]) => {
    const r = await runCli(["--project", p.root, "ls", ...args]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trimEnd().split("\n");
  };
  assert.deepEqual(await out("--resource-type", "model", "source", "--output", "name"), [
    "orders",
    "stg_orders",
    "app.orders",
  ]);
  assert.deepEqual(await out("-s", "orders", "--resource-type", "model", "--output", "path"), [
    "models/marts/orders.sql",
  ]);
  assert.deepEqual(await out("--resource-type", "source", "--output", "path"), [
    "models/staging/_sources.yml",
  ]);
});

Deno.test("ls --output selector prints what selects each node back, and json dbt's keys (or --output-keys)", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/marts/exposures.yml": `version: 2
exposures:
  - name: weekly_report
    type: dashboard
    owner: { name: Ana }
    depends_on: [ref('orders')]
`,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const out = async (...args: string[]) => {
    const r = await cli("ls", ...args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trimEnd().split("\n");
  };
  const selectors = await out("--output", "selector");
  assert.deepEqual(selectors, [
    "exposure:shop.weekly_report",
    "shop.marts.orders",
    "shop.staging.stg_orders",
    "shop.codes",
    "source:shop.app.orders",
    "shop.no_orders",
    "shop.marts.unique_orders_id",
    "unit_test:shop.orders_pass_through",
  ]);
  // Each selects its node again (with the tests of what it selects, as dbt's indirect selection has).
  for (const s of selectors) {
    assert.ok((await out("-s", s, "--output", "selector")).includes(s), s);
  }

  const json = (await out(
    "-s",
    "orders",
    "app.orders",
    "--resource-type",
    "model",
    "source",
    "--output",
    "json",
  ))
    .map((l) => {
      assert.match(l, /^\{"name": "/, "one object a line, as Python's json.dumps writes it");
      return JSON.parse(l);
    });
  assert.deepEqual(json.map((o) => Object.keys(o)), [
    [
      "name",
      "resource_type",
      "package_name",
      "original_file_path",
      "unique_id",
      "alias",
      "config",
      "tags",
      "depends_on",
    ],
    [
      "name",
      "resource_type",
      "package_name",
      "original_file_path",
      "unique_id",
      "source_name",
      "config",
      "tags",
    ],
  ]);
  assert.equal(json[0].alias, "all_orders");
  assert.equal(json[0].config.materialized, "view");
  assert.deepEqual(json[0].depends_on.nodes, ["model.shop.stg_orders"]);
  assert.equal(json[1].original_file_path, "models/staging/_sources.yml");
  assert.deepEqual(
    await out(
      "-s",
      "orders",
      "--resource-type",
      "model",
      "--output",
      "json",
      "--output-keys",
      "name description",
      "config.materialized",
    ),
    ['{"name": "orders", "description": "", "config.materialized": "view"}'],
  );

  const keys = await cli("ls", "--output-keys", "name");
  assert.equal(keys.code, 2);
  assert.match(keys.stderr, /--output-keys chooses the keys of --output json: add --output json/);
  const bad = await cli("ls", "--output", "selectors");
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /Invalid --output "selectors" \(did you mean "selector"\?\): dbt's forms are selector, json, name, path/,
  );
});

Deno.test("ls says so when nothing is selected, instead of an empty table", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "models/a.sql": "select 1 as id",
  });
  const r = await runCli(["--project", p.root, "ls", "-s", "nothing_here"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "No node matches the selection.\n");
  const seeds = await runCli(["--project", p.root, "ls", "--resource-type", "seed"]);
  assert.equal(seeds.stdout, "The project has no node of the resource types asked (seed).\n");
});
