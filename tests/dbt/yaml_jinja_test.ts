/**
 * Jinja in dbt_project.yml's config trees and in properties files,
 * rendered when the project is read, as dbt renders it (target, env_var,
 * var), and validated as if written; a value that does not render is an
 * error at its file, line and key, and Jinja never names a relation.
 * Through the CLI, on a real DuckDB file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const PROFILE = `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: data/shop.duckdb
      schema: main
    prod:
      type: duckdb
      path: data/shop.duckdb
      schema: prod
      attach: [{ path: data/lake.duckdb }]
`;

/** The schema, name and type of every relation of the warehouse outside wharf's own. */
async function relations(db: string): Promise<string[]> {
  const rows = await queryRows(
    db,
    "select table_schema || '.' || table_name || ' ' || table_type as r from information_schema.tables where table_catalog = 'shop' and table_schema not like 'wharf%' order by 1",
  );
  return rows.map((r) => String(r.r));
}

Deno.test("a source's schema, identifier and database written with Jinja read the relation the target names", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\n",
    "profiles.yml": PROFILE,
    "data/.keep": "",
    "models/src.yml": `version: 2
sources:
  - name: app
    schema: "{{ target.schema }}"
    tables:
      - name: orders
        identifier: "{{ 'or' ~ 'ders' }}"
  - name: lake
    database: "{{ env_var('WHARF_TEST_LAKE_DB', 'shop') }}"
    schema: landing
    tables:
      - name: tills
`,
    "models/dtm.sql":
      "{{ config(materialized='table') }}\nselect o.id, (select count(*) from {{ source('lake', 'tills') }}) as tills from {{ source('app', 'orders') }} o",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const landed = await cli(
    "sql",
    "--write",
    "create table main.orders as select 1 as id; create schema prod; create table prod.orders as select 2 as id; create schema landing; create table landing.tills as select 1 as till",
  );
  assert.equal(landed.code, 0, landed.stderr);

  const dev = await cli("compile", "dtm");
  assert.equal(dev.code, 0, dev.stderr);
  assert.match(dev.stdout, /from "main"\."orders" o/);
  assert.match(dev.stdout, /from "landing"\."tills"/);
  const built = await cli("build");
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const db = join(p.root, "data", "shop.duckdb");
  assert.deepEqual(await queryRows(db, "select * from main.dtm"), [{ id: 1, tills: "1" }]);

  // Under prod, the lake database (attached there) comes from the environment.
  const lake = await cli(
    "--target",
    "prod",
    "sql",
    "--write",
    "create schema lake.landing; create table lake.landing.tills as select 1 as till union all select 2",
  );
  assert.equal(lake.code, 0, lake.stderr);
  Deno.env.set("WHARF_TEST_LAKE_DB", "lake");
  try {
    const prod = await cli("--target", "prod", "compile", "dtm");
    assert.equal(prod.code, 0, prod.stderr);
    assert.match(prod.stdout, /from "prod"\."orders" o/);
    assert.match(prod.stdout, /from "lake"\."landing"\."tills"/);
    const builtProd = await cli("--target", "prod", "build");
    assert.equal(builtProd.code, 0, builtProd.stdout + builtProd.stderr);
  } finally {
    Deno.env.delete("WHARF_TEST_LAKE_DB");
  }
  assert.deepEqual(await queryRows(db, "select * from prod.dtm"), [{ id: 2, tills: "2" }]);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.equal(manifest.sources["source.shop.app.orders"].schema, "prod");
  assert.equal(manifest.sources["source.shop.app.orders"].identifier, "orders");
  assert.equal(manifest.sources["source.shop.lake.tills"].database, "lake");
});

Deno.test("dbt_project.yml: +schema, +tags and +materialized with Jinja configure models, seeds and snapshots per target", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
config-version: 2
profile: shop
models:
  shop:
    +schema: "{{ env_var('WHARF_TEST_MART', 'mart') }}"
    +tags: ["{{ target.name }}", "{{ var('team', 'core') }}"]
    +materialized: "{{ 'table' if target.name == 'prod' else 'view' }}"
seeds:
  shop:
    +schema: "{{ target.name }}_seeds"
    +tags: ["{{ target.name }}"]
snapshots:
  shop:
    +schema: "{{ 'snap_' ~ target.name }}"
    +tags: ["{{ target.name }}"]
`,
    "profiles.yml": PROFILE.replace("      attach: [{ path: data/lake.duckdb }]\n", ""),
    "data/.keep": "",
    "seeds/codes.csv": "code,label\nA,alpha\n",
    "models/dtm.sql": "select * from {{ ref('codes') }}",
    "snapshots/snap.sql":
      "{% snapshot snap %}\n{{ config(unique_key='code', strategy='check', check_cols='all') }}\nselect * from {{ ref('codes') }}\n{% endsnapshot %}\n",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const ls = await cli("ls", "--output", "json", "--vars", "team=data");
  assert.equal(ls.code, 0, ls.stderr);
  const nodes = ls.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(nodes.map((n) => [n.name, n.tags, n.config.materialized]), [
    ["dtm", ["dev", "data"], "view"],
    ["codes", ["dev"], "seed"],
    ["snap", ["dev"], "snapshot"],
  ]);

  const dev = await cli("build");
  assert.equal(dev.code, 0, dev.stdout + dev.stderr);
  Deno.env.set("WHARF_TEST_MART", "marts");
  try {
    const prod = await cli("--target", "prod", "build");
    assert.equal(prod.code, 0, prod.stdout + prod.stderr);
  } finally {
    Deno.env.delete("WHARF_TEST_MART");
  }
  assert.deepEqual(await relations(join(p.root, "data", "shop.duckdb")), [
    "main_dev_seeds.codes BASE TABLE",
    "main_mart.dtm VIEW",
    "main_snap_dev.snap BASE TABLE",
    "prod_marts.dtm BASE TABLE",
    "prod_prod_seeds.codes BASE TABLE",
    "prod_snap_prod.snap BASE TABLE",
  ]);
});

Deno.test("a properties file's config: block with Jinja configures its model, with the project's vars", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\nvars:\n  team: core\n",
    "profiles.yml": PROFILE.replace("      attach: [{ path: data/lake.duckdb }]\n", ""),
    "data/.keep": "",
    "models/dtm.sql": "select 1 as id",
    "models/props.yml": `version: 2
models:
  - name: dtm
    description: "{{ 'not rendered here' }}"
    config:
      materialized: "{{ 'table' if target.name == 'prod' else 'view' }}"
      alias: "{{ 'dtm_' ~ target.name }}"
      tags: ["{{ var('team') }}"]
      meta: { owner: "{{ env_var('WHARF_TEST_OWNER', 'nobody') }}" }
`,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const built = await cli("--target", "prod", "build");
  assert.equal(built.code, 0, built.stdout + built.stderr);
  assert.deepEqual(await relations(join(p.root, "data", "shop.duckdb")), [
    "prod.dtm_prod BASE TABLE",
  ]);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  const node = manifest.nodes["model.shop.dtm"];
  assert.deepEqual(node.tags, ["core"]);
  assert.deepEqual(node.config.meta, { owner: "nobody" });
  // Descriptions are rendered later, with doc() (as in dbt), not as configs are.
  assert.equal(node.description, "not rendered here");
});

Deno.test("a YAML value that does not render is an error at its file, line and key; Jinja never names a relation", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
config-version: 2
profile: shop
vars:
  team: core
models:
  shop:
    +schema: "{{ var('team') }}"
    +materialized: "{{ 'tabel' }}"
`,
    "profiles.yml": PROFILE.replace("      attach: [{ path: data/lake.duckdb }]\n", ""),
    "data/.keep": "",
    "models/src.yml": `version: 2
sources:
  - name: app
    schema: "{{ var('raw_schema') }}"
    database: "{{ my_macro() }}"
    tables:
      - name: orders
`,
    "models/dtm.sql": "select * from {{ source('app', 'orders') }}",
    "models/other.sql": '{{ config(alias="{{ target.name }}_other") }}\nselect 1 as id',
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const out = await cli("compile");
  assert.equal(out.code, 2, out.stdout + out.stderr);
  assert.match(
    out.stderr,
    /models\/src\.yml:4:13: sources\[0\]\.schema: cannot render "\{\{ var\('raw_schema'\) \}\}": Required var "raw_schema" is not set: declare it under "vars:" in dbt_project\.yml, pass --vars raw_schema=…, or give var\(\) a default/,
  );
  assert.match(
    out.stderr,
    /models\/src\.yml:5:15: sources\[0\]\.database: cannot render "\{\{ my_macro\(\) \}\}": unknown macro or function "my_macro\(\)": YAML values see target, env_var\(\), var\(\) and dbt's helpers, not the project's macros \(as in dbt\)/,
  );
  // dbt_project.yml's configs read --vars only, as dbt's do.
  assert.match(
    out.stderr,
    /dbt_project\.yml:8:14: models\.shop\.\+schema: cannot render "\{\{ var\('team'\) \}\}": var\("team"\) is not given: dbt_project\.yml reads only --vars \(as dbt does\), so pass --vars team=… or give var\(\) a default/,
  );
  // A rendered value is validated as if written.
  assert.match(
    out.stderr,
    /dbt_project\.yml:9:20: models\.shop\.\+materialized: unknown materialization "tabel"/,
  );
  assert.match(
    out.stderr,
    /models\/other\.sql: The relation of other would have the alias "\{\{ target\.name \}\}_other", Jinja that is not rendered/,
  );
  // Each problem once: nothing reads the value that did not render.
  assert.doesNotMatch(out.stderr, /neither the warehouse's database/);
  assert.match(out.stderr, /5 problems found/);
});
