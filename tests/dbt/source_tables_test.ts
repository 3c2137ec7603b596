/**
 * A dbt project's source tables are nodes of their own, as in dbt: two
 * tables of `sources:` reading one relation (`identifier:`) are two sources,
 * each with its own config, each the parent of what names it with
 * `source()`; through the CLI on a real DuckDB file, and in the artifacts.
 * In a plain-SQL project, whose models read relations, they are names of
 * the relation's one node, and dbt's artifacts give each name its own id.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readValid } from "../artifacts/dbt_schemas.ts";
import { runCli, tempProject } from "../helpers.ts";

const SOURCES = `version: 2
sources:
  - name: app
    description: The shop's application database
    loader: nightly export
    tags: [app]
    loaded_at_field: loaded_at
    freshness:
      warn_after: { count: 12, period: hour }
    tables:
      - name: customers
      - name: orders
        description: Orders as placed
        tags: orders
        columns:
          - name: id
            data_tests: [unique]
      - name: legacy_orders
        identifier: orders
        freshness: null
`;

const FILES = {
  "dbt_project.yml": "name: shop\nconfig-version: 2\n",
  "models/staging/_sources.yml": SOURCES,
  "models/staging/stg_orders.sql": "select id, customer_id from {{ source('app', 'orders') }}",
  "models/staging/stg_customers.sql": "select id from {{ source('app', 'customers') }}",
  "models/staging/legacy_count.sql":
    "select count(*) as n from {{ source('app', 'legacy_orders') }}",
  "models/marts/customer_orders.sql":
    "select c.id, count(o.id) as orders from {{ ref('stg_customers') }} c left join {{ ref('stg_orders') }} o on o.customer_id = c.id group by c.id",
  "models/marts/exposures.yml": `version: 2
exposures:
  - name: legacy_report
    type: dashboard
    owner: { name: Ops }
    depends_on: ["source('app', 'legacy_orders')"]
`,
  "seeds/placeholder.csv": "x\n1\n",
};

const SETUP = `create schema app;
create table app.orders as select * from (values
  (1, 1, now() - interval 2 day), (2, 1, now() - interval 1 day)
) t(id, customer_id, loaded_at);
create table app.customers as select 1 as id, now() as loaded_at;`;

Deno.test("two source tables reading one relation are two sources, each the parent of what names it", async () => {
  await using p = await tempProject(FILES);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  assert.equal((await cli("seed")).code, 0, "the warehouse exists");
  const setup = await cli("sql", "--write", SETUP);
  assert.equal(setup.code, 0, setup.stderr);
  const ls = async (...select: string[]) => {
    const r = await cli("--json", "ls", ...select);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { id: string }[]).map((x) => x.id)
      .sort();
  };
  const sources = await ls("-s", "resource_type:source", "--exclude", "resource_type:test");
  assert.deepEqual(sources, [
    "source.app.customers",
    "source.app.legacy_orders",
    "source.app.orders",
  ]);
  assert.deepEqual(await ls("-s", "source:app.orders+"), [
    "main.customer_orders",
    "main.stg_orders",
    "source.app.orders",
    "test.source_unique_app_orders_id",
  ]);
  assert.deepEqual(await ls("-s", "source:app.legacy_orders+"), [
    "exposure.legacy_report",
    "main.legacy_count",
    "source.app.legacy_orders",
  ]);
  // The relation selects every source reading it; tags are the source's and the table's.
  assert.deepEqual(await ls("-s", "app.orders", "--exclude", "resource_type:test"), [
    "source.app.legacy_orders",
    "source.app.orders",
  ]);
  assert.deepEqual(await ls("-s", "tag:orders", "--exclude", "resource_type:test"), [
    "source.app.orders",
  ]);
  assert.deepEqual(await ls("-s", "tag:app", "--exclude", "resource_type:test"), sources);

  const build = await cli("build");
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const shown = await cli("--json", "sql", "select * from main.legacy_count");
  assert.deepEqual(JSON.parse(shown.stdout), [{ n: 2 }], "legacy_orders reads app.orders");
  const preview = await cli("show", "source.app.legacy_orders");
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(preview.stdout, /2 rows of source\.app\.legacy_orders/);
  // Named on the command line by its source and table names; its relation names both.
  const compiled = await cli("compile", "app.legacy_orders");
  assert.equal(compiled.code, 0, compiled.stderr);
  assert.equal(
    compiled.stdout.trim(),
    "-- source.app.legacy_orders is the dbt source app.legacy_orders (models/staging/_sources.yml), the table app.orders read as it is; nothing to compile",
  );
  const ambiguous = await cli("compile", "app.orders");
  assert.match(
    ambiguous.stderr,
    /"app\.orders" names 2 sources: use one of "source\.app\.orders", "source\.app\.legacy_orders"/,
  );

  // freshness: null leaves legacy_orders unchecked; orders is checked with its own rule.
  const fresh = await cli("--json", "source", "freshness");
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.deepEqual(
    (JSON.parse(fresh.stdout) as Record<string, unknown>[]).map((r) => [r.id, r.node, r.status]),
    [
      ["app.customers", "source.app.customers", "pass"],
      ["app.orders", "source.app.orders", "warn"],
    ],
  );
  const results = await readValid(join(p.root, "target"), "sources");
  assert.deepEqual(
    results.results.map((r: { unique_id: string; status: string }) => [r.unique_id, r.status]),
    [["source.shop.app.customers", "pass"], ["source.shop.app.orders", "warn"]],
  );

  assert.equal((await cli("docs", "build")).code, 0);
  const manifest = await readValid(join(p.root, "target"), "manifest");
  assert.deepEqual(Object.keys(manifest.sources).sort(), [
    "source.shop.app.customers",
    "source.shop.app.legacy_orders",
    "source.shop.app.orders",
  ]);
  const orders = manifest.sources["source.shop.app.orders"];
  const legacy = manifest.sources["source.shop.app.legacy_orders"];
  assert.deepEqual(
    [orders.name, orders.identifier, orders.relation_name, orders.description],
    ["orders", "orders", '"shop"."app"."orders"', "Orders as placed"],
  );
  assert.deepEqual(
    [legacy.name, legacy.identifier, legacy.relation_name],
    ["legacy_orders", "orders", '"shop"."app"."orders"'],
  );
  // Each as declared: the source's description, loader and loaded_at_field; its own freshness.
  const rule = {
    warn_after: { count: 12, period: "hour" },
    error_after: { count: null, period: null },
    filter: null,
  };
  assert.deepEqual(
    [orders.source_description, orders.loader, orders.loaded_at_field, orders.freshness],
    ["The shop's application database", "nightly export", "loaded_at", rule],
  );
  assert.deepEqual(orders.config.freshness, rule);
  assert.deepEqual(orders.tags, ["app", "orders"]);
  assert.deepEqual([legacy.loaded_at_field, legacy.freshness], ["loaded_at", null]);
  assert.deepEqual(manifest.parent_map["model.shop.stg_orders"], ["source.shop.app.orders"]);
  assert.deepEqual(manifest.nodes["model.shop.stg_orders"].sources, [["app", "orders"]]);
  assert.deepEqual(manifest.parent_map["model.shop.legacy_count"], [
    "source.shop.app.legacy_orders",
  ]);
  assert.deepEqual(manifest.exposures["exposure.shop.legacy_report"].depends_on.nodes, [
    "source.shop.app.legacy_orders",
  ]);
  assert.deepEqual(
    manifest.nodes["test.shop.source_unique_app_orders_id"].depends_on.nodes,
    ["source.shop.app.orders"],
  );
  const catalog = await readValid(join(p.root, "target"), "catalog");
  assert.deepEqual(Object.keys(catalog.sources).sort(), [
    "source.shop.app.customers",
    "source.shop.app.legacy_orders",
    "source.shop.app.orders",
  ]);
  assert.equal(catalog.sources["source.shop.app.legacy_orders"].metadata.name, "orders");
});

Deno.test("a dbt source table in raw that is not landed holds back only what reads it", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "models/sources.yml": `version: 2
sources:
  - name: landed
    schema: raw
    tables:
      - name: claims
        identifier: claim_lines
      - name: lines
        identifier: claim_lines
`,
    "models/stg_claims.sql": "select * from {{ source('landed', 'claims') }}",
    "models/other.sql": "select 1 as x",
  });
  const build = await runCli(["--project", p.root, "build"]);
  assert.equal(build.code, 0, build.stderr);
  assert.match(build.stdout, /main\.stg_claims[^\n]*\n?[^\n]*needs raw\.claim_lines, not landed/);
  assert.match(build.stdout, /OK +model main\.other/);
  assert.match(build.stdout, /raw\.claim_lines: land with `wharf land <files>`/);
  assert.doesNotMatch(build.stdout, /demo/, "the bundled demo's data is no use to a dbt project");
});

Deno.test("plain SQL: the tables of sources: reading one relation are names of its one node", async () => {
  await using p = await tempProject({
    "models/staging/stg_orders.sql": "select * from raw.orders",
    "models/staging/app.yml": `sources:
  - name: app
    schema: raw
    tables:
      - name: orders
`,
    "models/staging/legacy.yml": `sources:
  - name: legacy
    schema: raw
    tables:
      - name: legacy_orders
        identifier: orders
`,
  });
  const ls = async (selector: string) => {
    const r = await runCli(["--project", p.root, "--json", "ls", "-s", selector]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { id: string }[]).map((x) => x.id);
  };
  // Its models read the relation, whichever name it has.
  assert.deepEqual(await ls("source:app.orders+"), ["raw.orders", "staging.stg_orders"]);
  assert.deepEqual(await ls("source:legacy.legacy_orders+"), ["raw.orders", "staging.stg_orders"]);

  await p.write(
    "models/staging/legacy.yml",
    "sources:\n  - name: app\n    schema: raw\n    tables:\n      - name: orders\n",
  );
  const twice = await runCli(["--project", p.root, "ls"]);
  assert.equal(twice.code, 2, "a problem of the project: nothing runs");
  assert.match(
    twice.stderr,
    /models\/staging\/legacy\.yml:5:\d+: sources\[0\]\.tables\[0\]: table "orders" of source "app" is declared twice \(also at models\/staging\/app\.yml:5\)/,
  );
});

Deno.test("plain SQL: dbt's artifacts give each name of a relation's sources its own unique id", async () => {
  await using p = await tempProject({
    "wharf.config.ts": 'export default { name: "shop" };\n',
    "models/staging/stg_orders.sql": "select * from raw.orders",
    "models/staging/sources.yml": `sources:
  - name: app
    schema: raw
    freshness: { warn_after: { count: 1, period: day } }
    tables:
      - name: orders
      - name: orders_by_batch
        identifier: orders
        loaded_at_field: _batch_at
`,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const made = await cli(
    "sql",
    "--write",
    "create schema raw; create table raw.orders as select 1 as id, now() as _landed_at, now() - interval 3 day as _batch_at",
  );
  assert.equal(made.code, 0, made.stderr);
  const fresh = await cli("source", "freshness");
  assert.equal(fresh.code, 0, fresh.stdout + fresh.stderr);
  const target = join(p.root, "target");
  const sources = await readValid(target, "sources");
  assert.deepEqual(
    sources.results.map((r: { unique_id: string; status: string }) => [r.unique_id, r.status]),
    [["source.shop.app.orders", "pass"], ["source.shop.app.orders_by_batch", "warn"]],
  );
  // The manifest has both, each with its own rule, and what reads the relation depends on both.
  assert.equal((await cli("ls")).code, 0);
  const manifest = await readValid(target, "manifest");
  assert.deepEqual(Object.keys(manifest.sources).sort(), [
    "source.shop.app.orders",
    "source.shop.app.orders_by_batch",
  ]);
  const batch = manifest.sources["source.shop.app.orders_by_batch"];
  assert.equal(batch.loaded_at_field, "_batch_at");
  assert.equal(batch.identifier, "orders");
  assert.equal(batch.original_file_path, "models/staging/sources.yml");
  assert.deepEqual(manifest.parent_map["model.shop.stg_orders"], [
    "source.shop.app.orders",
    "source.shop.app.orders_by_batch",
  ]);
  assert.deepEqual(manifest.child_map["source.shop.app.orders_by_batch"], [
    "model.shop.stg_orders",
  ]);
  const listed = await cli("ls", "--resource-type", "source", "--output", "selector");
  assert.deepEqual(listed.stdout.trimEnd().split("\n"), [
    "source:shop.app.orders",
    "source:shop.app.orders_by_batch",
  ]);
});
