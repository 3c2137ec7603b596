/**
 * `database:` in a dbt-duckdb target of profiles.yml: the warehouse file's
 * own catalog (its name without extension), or, as dbt-duckdb allows, an
 * attached database's alias, which models, seeds and sources then use by
 * default (a node's `database` config, or a source's `database:`, names
 * another); any other name is an error naming both. Through the CLI on two
 * real DuckDB files.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const profile = (database: string, extra = "") =>
  `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      database: ${database}
      path: data/shop.duckdb
      schema: analytics${extra}
`;

Deno.test("profiles.yml: database naming the warehouse file's catalog is taken as dbt-duckdb takes it", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\n",
    "profiles.yml": profile("shop"),
    "models/whoami.sql": "select '{{ target.database }}' as db, '{{ this.database }}' as this_db",
    "data/.keep": "",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const build = await cli("build");
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const shown = await cli("--json", "sql", "select * from analytics.whoami");
  assert.deepEqual(JSON.parse(shown.stdout), [{ db: "shop", this_db: "shop" }]);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.equal(manifest.nodes["model.shop.whoami"].database, "shop");

  await p.write("profiles.yml", profile("warehouse"));
  const other = await cli("ls");
  assert.equal(other.code, 2);
  assert.match(
    other.stderr,
    /profiles\.yml:6:17: shop\.outputs\.dev\.database: "warehouse" is not the warehouse's database "shop" \(DuckDB names it after the file data\/shop\.duckdb\) nor an attached database's alias: set database: shop, or leave it out, or name the file warehouse\.duckdb in path:/,
  );

  await p.write(
    "profiles.yml",
    profile("lake", "\n      attach: [{ path: data/lake.duckdb, read_only: true }]"),
  );
  const readOnly = await cli("ls");
  assert.equal(readOnly.code, 2);
  assert.match(
    readOnly.stderr,
    /database: "lake" is attached read-only, so nothing can be built into it: drop read_only from its attach: entry, or set database: shop \(the warehouse data\/shop\.duckdb\)/,
  );
});

Deno.test("profiles.yml: database naming an attached database builds models, seeds and sources' reads there, as dbt-duckdb does", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\n",
    "profiles.yml": profile("lake", "\n      attach: [{ path: data/lake.duckdb }]"),
    "data/.keep": "",
    "seeds/codes.csv": "code,label\nA,alpha\nB,beta\n",
    "models/_props.yml": `version: 2
sources:
  - name: pos
    schema: landing
    tables:
      - name: tills
  - name: crm
    database: shop
    schema: landing
    tables:
      - name: people
models:
  - name: orders
    columns:
      - name: id
        data_tests: [unique]
`,
    "models/stg_orders.sql":
      "select 1 as id, 'A' as code, '{{ target.database }}' as db, '{{ this.database }}' as this_db",
    "models/orders.sql":
      "{{ config(materialized='table') }}\nselect o.*, c.label from {{ ref('stg_orders') }} o join {{ ref('codes') }} c using (code)",
    "models/counts.sql": `{{ config(materialized='table', database='shop') }}
select (select count(*) from {{ ref('orders') }}) as orders,
  (select count(*) from {{ source('pos', 'tills') }}) as tills,
  (select count(*) from {{ source('crm', 'people') }}) as people`,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const lake = join(p.root, "data", "lake.duckdb");
  const warehouse = join(p.root, "data", "shop.duckdb");
  // A source reads the target's database (the lake) unless its database: says otherwise.
  const landed = await cli(
    "sql",
    "--write",
    "create schema lake.landing; create table lake.landing.tills as select 1 as till; create schema landing; create table landing.people as select 1 as person union all select 2",
  );
  assert.equal(landed.code, 0, landed.stderr);
  const build = await cli("build");
  assert.equal(build.code, 0, build.stdout + build.stderr);
  assert.match(build.stdout, /OK +model lake\.analytics\.orders/);
  assert.match(build.stdout, /OK +seed lake\.analytics\.codes/);
  assert.match(build.stdout, /OK +model analytics\.counts/);

  // The lake file holds what was built into it, as plain DuckDB reads it.
  assert.deepEqual(await queryRows(lake, "select * from analytics.orders"), [
    { id: 1, code: "A", db: "lake", this_db: "lake", label: "alpha" },
  ]);
  assert.deepEqual(
    await queryRows(
      lake,
      "select table_name from information_schema.tables where table_schema = 'analytics' order by 1",
    ),
    [{ table_name: "codes" }, { table_name: "orders" }, { table_name: "stg_orders" }],
  );
  assert.deepEqual(await queryRows(warehouse, "select * from analytics.counts"), [
    { orders: "1", tills: "1", people: "2" },
  ]);
  const compiled = await cli("compile", "counts");
  assert.match(compiled.stdout, /from "lake"\."analytics"\."orders"/);
  assert.match(compiled.stdout, /from "lake"\."landing"\."tills"/);
  assert.match(compiled.stdout, /from "landing"\."people"/);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.equal(manifest.nodes["model.shop.orders"].database, "lake");
  assert.equal(manifest.nodes["model.shop.orders"].relation_name, '"lake"."analytics"."orders"');
  assert.equal(manifest.nodes["model.shop.counts"].database, "shop");
  assert.equal(manifest.sources["source.shop.pos.tills"].database, "lake");
  assert.equal(manifest.sources["source.shop.crm.people"].database, "shop");

  // A database neither the warehouse's nor attached is an error naming it.
  await p.write("models/bad.sql", "{{ config(database='lakes') }}\nselect 1 as x");
  const bad = await cli("ls");
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /models\/bad\.sql: bad would build into the database "lakes" \(did you mean "lake"\?\), which is neither the warehouse's \("shop"\) nor attached \(the profile attaches lake\)/,
  );
});
