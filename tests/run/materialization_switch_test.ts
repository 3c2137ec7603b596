import assert from "node:assert/strict";
import { resolveConfig } from "../../src/config.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { join } from "node:path";
import { tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { cli, lineOf, sql } from "../snapshots/helpers.ts";

const kind = async (db: string) =>
  (await query(
    db,
    "select table_type as t from information_schema.tables where table_schema = 'marts' and table_name = 'a'",
  ))[0]?.t;

Deno.test("a model whose materialization changes between view and table is rebuilt as the new kind; a failing rebuild keeps the old relation", async () => {
  await using p = await tempProject({ "models/marts/a.sql": "select 1 as id" });
  const build = async (materialized: string, sql = "select 1 as id") => {
    await p.write(
      "models/marts/marts.yml",
      `models:\n  - name: a\n    config: { materialized: ${materialized} }\n`,
    );
    await p.write("models/marts/a.sql", sql);
    return await runProject("build", resolveConfig(p.root), { db: p.db });
  };
  assert.ok((await build("view")).ok);
  assert.equal(await kind(p.db), "VIEW");
  const toTable = await build("table");
  assert.ok(toTable.ok, JSON.stringify(toTable.results));
  assert.equal(await kind(p.db), "BASE TABLE");
  const toView = await build("view", "select 2 as id");
  assert.ok(toView.ok, JSON.stringify(toView.results));
  assert.equal(await kind(p.db), "VIEW");
  assert.deepEqual(await query(p.db, "select id from marts.a"), [{ id: 2 }]);

  // Back to a table whose SELECT fails: the view stays as it was.
  const failed = await build("table", "select 1 / 'x' as id");
  assert.equal(failed.ok, false);
  assert.equal(await kind(p.db), "VIEW");
  assert.deepEqual(await query(p.db, "select id from marts.a"), [{ id: 2 }]);
});

/** The kind of each relation of `db` named in `ids` (`schema.name`), by id. */
async function kinds(db: string, ids: readonly string[]): Promise<Record<string, unknown>> {
  const rows = await sql(
    db,
    "select table_schema || '.' || table_name as id, table_type as t from information_schema.tables",
  );
  return Object.fromEntries(ids.map((id) => [id, rows.find((r) => r.id === id)?.t]));
}

const ORDERS =
  "create schema raw; create table raw.orders as select * from (values ('ann', 10), ('bob', 5), ('ann', 7)) t(customer, amount)";

/** The plain project's models once switched: two incremental models and an external one. */
const SWITCHED = `models:
  - name: customer_totals
    config: {materialized: incremental, incremental_strategy: merge, unique_key: customer}
  - name: seen
    config: {materialized: incremental, incremental_strategy: append}
  - name: exported
    config: {materialized: external, location: exports/orders}
`;

const SEEN =
  "select customer, amount from raw.orders where not wharf_is_incremental() or amount > (select max(amount) from marts.seen)\n";

Deno.test("plain project: views that become an incremental model or a snapshot, and a table that becomes external, build through the CLI (first build and --full-refresh); a failing first build keeps the view", async () => {
  await using p = await tempProject({
    "models/marts/customer_totals.sql":
      "select customer, sum(amount) as total from raw.orders group by customer\n",
    "models/marts/seen.sql": "select customer, amount from raw.orders\n",
    "models/marts/exported.sql": "select customer, amount from raw.orders\n",
    "models/snapshots/customers.sql": "select distinct customer from raw.orders\n",
    "models/marts/marts.yml": "models:\n  - name: exported\n    config: { materialized: table }\n",
  });
  await sql(p.db, ORDERS);
  await cli(p.root, ["build"]);
  const ids = [
    "marts.customer_totals",
    "marts.seen",
    "marts.exported",
    "snapshots.customers",
  ];
  assert.deepEqual(Object.values(await kinds(p.db, ids)), [
    "VIEW",
    "VIEW",
    "BASE TABLE",
    "VIEW",
  ]);

  // The views' models change kind; customer_totals' first build fails: its view stays.
  await p.write(
    "models/marts/marts.yml",
    SWITCHED,
  );
  await p.write(
    "models/marts/customer_totals.sql",
    "select customer, sum(amount) / 'x' as total from raw.orders group by customer\n",
  );
  // seen reads itself (the readsItself first build).
  await p.write("models/marts/seen.sql", SEEN);
  await p.remove("models/snapshots/customers.sql");
  await p.write("snapshots/customers.sql", "select distinct customer from raw.orders\n");
  await p.write(
    "snapshots/snapshots.yml",
    "snapshots:\n  - name: customers\n    config: { unique_key: customer, strategy: check, check_cols: all }\n",
  );
  const failed = await cli(p.root, ["build"], 1);
  assert.match(failed.stdout, /Error in model marts\.customer_totals/, failed.stdout);
  assert.doesNotMatch(failed.stdout, /Existing object/);
  assert.deepEqual(await kinds(p.db, ids), {
    "marts.customer_totals": "VIEW",
    "marts.seen": "BASE TABLE",
    "marts.exported": "VIEW",
    "snapshots.customers": "BASE TABLE",
  });
  assert.deepEqual(
    await sql(p.db, "select customer, total::int as total from marts.customer_totals order by 1"),
    [{ customer: "ann", total: 17 }, { customer: "bob", total: 5 }],
  );
  assert.deepEqual(await sql(p.db, "select count(*)::int as n from marts.exported"), [{ n: 3 }]);
  assert.deepEqual(
    await sql(
      p.db,
      "select customer from snapshots.customers where dbt_valid_to is null order by 1",
    ),
    [{ customer: "ann" }, { customer: "bob" }],
  );

  await p.write(
    "models/marts/customer_totals.sql",
    "select customer, sum(amount) as total from raw.orders group by customer\n",
  );
  await cli(p.root, ["build"]);
  assert.equal((await kinds(p.db, ids))["marts.customer_totals"], "BASE TABLE");
  assert.deepEqual(
    await sql(p.db, "select customer, total::int as total from marts.customer_totals order by 1"),
    [{ customer: "ann", total: 17 }, { customer: "bob", total: 5 }],
  );

  // Back to a view, then incremental again with --full-refresh.
  await p.write(
    "models/marts/marts.yml",
    "models:\n  - name: exported\n    config: {materialized: external, location: exports/orders}\n",
  );
  await p.write("models/marts/seen.sql", "select customer, amount from raw.orders\n");
  await cli(p.root, ["run", "-s", "customer_totals", "seen"]);
  assert.deepEqual(Object.values(await kinds(p.db, ids.slice(0, 2))), ["VIEW", "VIEW"]);
  await p.write(
    "models/marts/marts.yml",
    SWITCHED,
  );
  await p.write("models/marts/seen.sql", SEEN);
  const refreshed = await cli(p.root, ["run", "--full-refresh", "-s", "customer_totals", "seen"]);
  assert.match(lineOf(refreshed.stdout, "marts.customer_totals"), /2 rows, full build/);
  assert.match(lineOf(refreshed.stdout, "marts.seen"), /3 rows, full build/);
  assert.deepEqual(Object.values(await kinds(p.db, ids.slice(0, 2))), ["BASE TABLE", "BASE TABLE"]);
});

Deno.test("dbt project: views that become an incremental model (first build and --full-refresh), a seed or a snapshot build through the CLI", async () => {
  const view = "{{ config(materialized='view') }}\n";
  const totals =
    "select customer, sum(amount) as total from {{ source('app', 'orders') }} group by customer\n";
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "models/sources.yml":
      "sources:\n  - name: app\n    schema: raw\n    tables:\n      - name: orders\n",
    "models/customer_totals.sql": view + totals,
    "models/tiers.sql": `${view}select 'ann' as customer, 'gold' as tier\n`,
    "models/customer_history.sql":
      `{{ config(materialized='view', schema='snapshots') }}\nselect distinct customer from {{ source('app', 'orders') }}\n`,
  });
  const db = join(p.root, "shop.duckdb");
  await sql(db, ORDERS);
  await cli(p.root, ["build"]);
  const ids = [
    "main.customer_totals",
    "main.tiers",
    "main_snapshots.customer_history",
  ];
  assert.deepEqual(Object.values(await kinds(db, ids)), ["VIEW", "VIEW", "VIEW"]);

  const incremental = "{{ config(materialized='incremental', unique_key='customer') }}\n";
  await p.write("models/customer_totals.sql", incremental + totals);
  await p.remove("models/tiers.sql");
  await p.write("seeds/tiers.csv", "customer,tier\nann,gold\nbob,silver\n");
  await p.remove("models/customer_history.sql");
  await p.write(
    "snapshots/customer_history.sql",
    `{% snapshot customer_history %}
{{ config(schema='snapshots', unique_key='customer', strategy='check', check_cols='all') }}
select distinct customer from {{ source('app', 'orders') }}
{% endsnapshot %}
`,
  );
  const built = await cli(p.root, ["build"]);
  assert.match(lineOf(built.stdout, "main.customer_totals"), /2 rows, full build/);
  assert.deepEqual(await kinds(db, ids), {
    "main.customer_totals": "BASE TABLE",
    "main.tiers": "BASE TABLE",
    "main_snapshots.customer_history": "BASE TABLE",
  });
  assert.deepEqual(
    await sql(db, "select customer, total::int as total from main.customer_totals order by 1"),
    [{ customer: "ann", total: 17 }, { customer: "bob", total: 5 }],
  );
  assert.deepEqual(await sql(db, "select count(*)::int as n from main.tiers"), [{ n: 2 }]);
  assert.deepEqual(
    await sql(db, "select count(*)::int as n from main_snapshots.customer_history"),
    [{ n: 2 }],
  );

  // A view again, then incremental with --full-refresh.
  await p.write("models/customer_totals.sql", view + totals);
  await cli(p.root, ["run", "-s", "customer_totals"]);
  assert.equal((await kinds(db, ids))["main.customer_totals"], "VIEW");
  await p.write("models/customer_totals.sql", incremental + totals);
  const refreshed = await cli(p.root, ["run", "--full-refresh", "-s", "customer_totals"]);
  assert.match(lineOf(refreshed.stdout, "main.customer_totals"), /2 rows, full build/);
  assert.equal((await kinds(db, ids))["main.customer_totals"], "BASE TABLE");
});
