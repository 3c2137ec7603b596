/**
 * What `ref()`, `source()` and `this` give a dbt template: relations that
 * print as their SQL and have dbt's `database`, `schema`, `identifier`,
 * `name`, `include()` and `render()`; `dbt_version`; and dbt's context
 * values wharf does not provide (`graph`) named in an error. Through the
 * CLI, on a small project of the test's own.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DBT_VERSION } from "../../src/engine/artifacts/dbt_manifest.ts";
import { queryRows, runCli, SHOP_PROFILE, tempProject } from "../helpers.ts";

const FILES = {
  "dbt_project.yml": `name: shop
config-version: 2
profile: shop
models:
  shop:
    marts:
      +schema: marts
      +materialized: table
`,
  "profiles.yml": SHOP_PROFILE,
  "models/sources.yml": `version: 2
sources:
  - name: app
    schema: landing
    tables:
      - name: orders
        identifier: raw_orders
`,
  "models/staging/stg_orders.sql": "select 1 as id union all select 2",
  "models/marts/orders.sql": "select * from {{ ref('stg_orders') }}",
  "macros/twin.sql": `{% macro twin(rel) -%}
  {{ rel.schema }}.{{ rel.identifier }}
{%- endmacro %}`,
};

async function compiled(root: string, path: string): Promise<string> {
  return (await Deno.readTextFile(join(root, "target", "compiled", "shop", path))).trim();
}

Deno.test("ref(), source() and this are relations with dbt's attributes, and dbt_version is dbt's", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/marts/attrs.sql": `select
  '{{ ref("orders").identifier }}' as identifier,
  '{{ ref("orders").schema }}' as schema_name,
  '{{ ref("orders").database }}' as database_name,
  '{{ ref("orders").name }}' as name,
  '{{ source("app", "orders").identifier }}' as source_identifier,
  '{{ source("app", "orders").schema }}' as source_schema,
  '{{ this.identifier }}.{{ this.schema }}' as self,
  '{{ ref("orders").include(database=false) }}' as no_database,
  '{{ ref("orders").include(schema=false, database=false) }}' as identifier_only,
  '{{ ref("orders").render() }}' as rendered,
  '{{ "x_" ~ ref("stg_orders").identifier }}' as concatenated,
  '{{ dbt_version }}' as version
from {{ ref("orders") }}, {{ this.schema }}.{{ ref('stg_orders').identifier }}`,
  });
  const r = await runCli(["--project", p.root, "compile", "-s", "attrs"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    await compiled(p.root, "models/marts/attrs.sql"),
    `select
  'orders' as identifier,
  'main_marts' as schema_name,
  'dev' as database_name,
  'orders' as name,
  'raw_orders' as source_identifier,
  'landing' as source_schema,
  'attrs.main_marts' as self,
  '"main_marts"."orders"' as no_database,
  '"orders"' as identifier_only,
  '"main_marts"."orders"' as rendered,
  'x_stg_orders' as concatenated,
  '${DBT_VERSION}' as version
from "main_marts"."orders", main_marts.stg_orders`,
  );
  // The manifest says the same version.
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.equal(manifest.metadata.dbt_version, DBT_VERSION);
});

Deno.test("a relation passed to a macro keeps its attributes and prints as its SQL, in a hook too", async () => {
  await using p = await tempProject({
    ...FILES,
    "macros/show.sql": `{% macro show(rel) -%}
  {{ rel }} /* {{ rel.identifier }} in {{ rel.schema }} */
{%- endmacro %}`,
    "models/marts/counted.sql":
      `{{ config(post_hook="create or replace table main.hooked as select '{{ this }}' as t, '{{ this.identifier }}' as i") }}
select count(*)::int as n from {{ twin(ref('orders')) }} cross join (select * from {{ show(ref('stg_orders')) }}) s`,
  });
  const build = await runCli(["--project", p.root, "build"]);
  assert.equal(build.code, 0, build.stderr + build.stdout);
  assert.equal(
    await compiled(p.root, "models/marts/counted.sql"),
    `select count(*)::int as n from main_marts.orders cross join (select * from "main"."stg_orders" /* stg_orders in main */) s`,
  );
  // The macro built "main_marts.orders" from the relation's schema and identifier: that table was read.
  assert.deepEqual(
    await queryRows(join(p.root, "dev.duckdb"), "select n from main_marts.counted"),
    [
      { n: 4 },
    ],
  );
  assert.deepEqual(await queryRows(join(p.root, "dev.duckdb"), "select t, i from main.hooked"), [
    { t: '"main_marts"."counted"', i: "counted" },
  ]);
});

Deno.test("graph, selected_resources and a relation method wharf lacks are errors naming them", async () => {
  for (
    const [sql, expected] of [
      [
        "{% for n in graph.nodes.values() %}{{ n.name }}{% endfor %}select 1 as x",
        /models\/marts\/g\.sql:1: .*"graph" is not supported by wharf/,
      ],
      [
        "select {{ graph.sources | length }} as x",
        /"graph" is not supported by wharf/,
      ],
      [
        "select '{{ selected_resources }}' as x",
        /"selected_resources" is not supported by wharf/,
      ],
      [
        "select * from {{ ref('orders').quote(identifier=false) }}",
        /"quote\(\)" of a relation \(ref\(\), source\(\), this\) is not supported by wharf/,
      ],
    ] as const
  ) {
    await using p = await tempProject({ ...FILES, "models/marts/g.sql": sql });
    const r = await runCli(["--project", p.root, "compile"]);
    assert.notEqual(r.code, 0, `${sql}: ${r.stdout}`);
    assert.match(r.stderr, expected);
    assert.doesNotMatch(r.stderr, /undefined value/);
  }
});
