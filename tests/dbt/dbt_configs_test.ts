/**
 * dbt configs projects commonly set, run as dbt runs them: `event_time` on
 * any node (a microbatch model's batches read only their time range of
 * it), `full_refresh`, `sql_header`, `persist_docs`, and `access`, `group`
 * and `groups:` (metadata, in the manifest).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

/** The date `n` days before today (UTC), `YYYY-MM-DD`. */
function daysAgo(n: number): string {
  return new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
}

Deno.test("a microbatch model's batches read only their day of an upstream view, seed and source with event_time", async () => {
  await using p = await tempProject({
    // The source's table is the application's, made before the run.
    "dbt_project.yml": `name: shop
config-version: 2
on-run-start:
  - "create or replace table main.app_visits as select * from (values (1, timestamp '${
      daysAgo(2)
    } 08:00:00'), (2, timestamp '${daysAgo(1)} 08:00:00'), (3, timestamp '${
      daysAgo(1)
    } 09:00:00')) t(id, visited_at)"
seeds:
  shop:
    raw_refunds:
      +event_time: refunded_at
`,
    "seeds/raw_events.csv": `id,occurred_at,amount\n1,${daysAgo(2)} 10:00:00,5\n2,${
      daysAgo(1)
    } 11:00:00,7\n3,${daysAgo(1)} 23:59:59,9\n`,
    "seeds/raw_refunds.csv": `id,refunded_at,amount\n1,${daysAgo(2)} 12:00:00,1\n2,${
      daysAgo(1)
    } 09:00:00,2\n`,
    // A view whose rows have a time (event_time on a model that is not incremental: dbt 1.9's place).
    "models/events.sql":
      "{{ config(event_time='occurred_at') }}\nselect id, occurred_at, amount from {{ ref('raw_events') }}",
    "models/sources.yml": `version: 2
sources:
  - name: app
    schema: main
    tables:
      - name: visits
        identifier: app_visits
        config:
          event_time: visited_at
`,
    // Each batch aggregates what it reads: with its inputs filtered, one row per day, as in dbt.
    "models/daily.sql": `{{ config(
    materialized='incremental',
    incremental_strategy='microbatch',
    event_time='day',
    batch_size='day',
    begin='${daysAgo(3)}',
) }}
select
  min(occurred_at)::date as day,
  count(*) as events,
  sum(amount) as amount,
  (select sum(amount) from {{ ref('raw_refunds') }}) as refunded,
  (select count(*) from {{ source('app', 'visits') }}) as visits
from {{ ref('events') }}`,
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(
    await queryRows(
      join(p.root, "shop.duckdb"),
      "select day::varchar as day, events, amount, refunded, visits from main.daily order by day",
    ),
    [
      { day: daysAgo(2), events: "1", amount: "5", refunded: "1", visits: "1" },
      { day: daysAgo(1), events: "2", amount: "16", refunded: "2", visits: "2" },
    ],
  );
  const compiled = await runCli(["--project", p.root, "compile", "daily"]);
  assert.equal(compiled.code, 0, compiled.stderr);
  assert.match(
    compiled.stdout,
    /from \(select \* from "main"\."events" where occurred_at >= <batch start> and occurred_at < <batch end>\)/,
  );
  assert.match(
    compiled.stdout,
    /it reads main\.raw_refunds where refunded_at is in the batch, source\.app\.visits where visited_at is in the batch, main\.events where occurred_at is in the batch/,
  );
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.equal(manifest.nodes["model.shop.events"].config.event_time, "occurred_at");
});

Deno.test("full_refresh: false keeps an incremental model from --full-refresh; true always rebuilds it", async () => {
  const model = (fullRefresh: boolean) =>
    `{{ config(materialized='incremental', unique_key='id', full_refresh=${
      fullRefresh ? "true" : "false"
    }) }}
select id, amount from {{ ref('raw_orders') }}
{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}`;
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "seeds/raw_orders.csv": "id,amount\n1,10\n2,20\n",
    "models/kept.sql": model(false),
    "models/rebuilt.sql": model(true),
  });
  const db = join(p.root, "shop.duckdb");
  const first = await runCli(["--project", p.root, "build"]);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  // The source changes a row already built, and gains one.
  await p.write("seeds/raw_orders.csv", "id,amount\n1,11\n2,20\n3,30\n");
  const full = await runCli(["--project", p.root, "build", "--full-refresh"]);
  assert.equal(full.code, 0, full.stdout + full.stderr);
  assert.match(full.stdout, /model main\.kept .*delete\+insert: 0 replaced, 1 new/);
  assert.match(full.stdout, /model main\.rebuilt .*full build/);
  const rows = (relation: string) =>
    queryRows(db, `select id, amount from ${relation} order by id`);
  // Not rebuilt: row 1 keeps the amount it was built with; the new row came in incrementally.
  assert.deepEqual(await rows("main.kept"), [
    { id: 1, amount: 10 },
    { id: 2, amount: 20 },
    { id: 3, amount: 30 },
  ]);
  assert.deepEqual(await rows("main.rebuilt"), [
    { id: 1, amount: 11 },
    { id: 2, amount: 20 },
    { id: 3, amount: 30 },
  ]);
  // full_refresh: true rebuilds without the flag too.
  const again = await runCli(["--project", p.root, "run"]);
  assert.match(again.stdout, /model main\.rebuilt .*full build/);
  assert.match(again.stdout, /model main\.kept .*delete\+insert: 0 replaced, 0 new/);
});

Deno.test("full_refresh: false in a plain-SQL project's YAML keeps an incremental model from --full-refresh", async () => {
  await using p = await tempProject({
    "models/seeds/raw_orders.csv": "id,amount\n1,10\n2,20\n",
    "models/staging/orders.sql":
      "select * from seeds.raw_orders where not wharf_is_incremental() or id > (select max(id) from staging.orders)",
    "models/staging/staging.yml": `models:
  - name: orders
    config:
      materialized: incremental
      incremental_strategy: append
      full_refresh: false
`,
  });
  assert.equal((await runCli(["--project", p.root, "build"])).code, 0);
  await p.write("models/seeds/raw_orders.csv", "id,amount\n1,11\n2,20\n3,30\n");
  const full = await runCli(["--project", p.root, "build", "--full-refresh"]);
  assert.equal(full.code, 0, full.stdout + full.stderr);
  assert.match(full.stdout, /model staging\.orders .*append: \+1 row/);
  assert.deepEqual(
    await queryRows(
      join(p.root, "warehouse.duckdb"),
      "select id, amount from staging.orders order by id",
    ),
    [{ id: "1", amount: "10" }, { id: "2", amount: "20" }, { id: "3", amount: "30" }],
  );
});

Deno.test("sql_header runs before the model in its session; persist_docs writes the descriptions as DuckDB comments", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
config-version: 2
models:
  shop:
    +persist_docs: { relation: true, columns: true }
seeds:
  shop:
    +persist_docs: { relation: true }
`,
    "seeds/raw_orders.csv": "id,amount\n1,10\n2,20\n",
    "models/orders.sql": `{{ config(materialized='table') }}
{% call set_sql_header(config) %}
create or replace temp macro doubled(x) as x * 2;
{%- endcall %}
select id, doubled(amount) as amount from {{ ref('raw_orders') }}`,
    "models/regions.sql":
      `{{ config(materialized='incremental', unique_key='id', sql_header="set variable region = 'north'") }}
select 1 as id, getvariable('region') as region`,
    "models/order_view.sql": "select id from {{ ref('orders') }}",
    "models/schema.yml": `version: 2
models:
  - name: orders
    description: "Orders, amounts doubled."
    columns:
      - name: id
        description: "The order's number."
      - name: amount
      - name: gone
        description: "Documented, not built."
  - name: order_view
    description: "A view's description."
seeds:
  - name: raw_orders
    description: "Orders as the shop exports them."
    columns:
      - name: id
        description: "Not persisted: the seeds' tree persists the relation's only."
`,
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /model main\.orders .*persist_docs: "gone" documented but not in main\.orders/,
  );
  const db = join(p.root, "shop.duckdb");
  assert.deepEqual(await queryRows(db, "select id, amount from main.orders order by id"), [
    { id: 1, amount: 20 },
    { id: 2, amount: 40 },
  ]);
  // An incremental model's build runs the header in each of its sessions.
  assert.deepEqual(await queryRows(db, "select region from main.regions"), [{ region: "north" }]);
  const again = await runCli(["--project", p.root, "run", "-s", "regions"]);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.deepEqual(
    await queryRows(
      db,
      "select table_name, comment from duckdb_tables() where schema_name = 'main' union all select view_name, comment from duckdb_views() where schema_name = 'main' and not internal order by 1",
    ),
    [
      { table_name: "order_view", comment: "A view's description." },
      { table_name: "orders", comment: "Orders, amounts doubled." },
      { table_name: "raw_orders", comment: "Orders as the shop exports them." },
      { table_name: "regions", comment: null },
    ],
  );
  assert.deepEqual(
    await queryRows(
      db,
      "select table_name, column_name, comment from duckdb_columns() where schema_name = 'main' and comment is not null order by 1, 2",
    ),
    [{ table_name: "orders", column_name: "id", comment: "The order's number." }],
  );
  const compiled = await runCli(["--project", p.root, "compile", "orders"]);
  assert.match(
    compiled.stdout,
    /^-- sql_header \(run first in each session of the build\)\n\s*create or replace temp macro doubled\(x\) as x \* 2;\n/,
  );
});

Deno.test("access, group and groups: are read, checked and written to the manifest", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      "name: shop\nconfig-version: 2\nmodels:\n  shop:\n    marts:\n      +group: finance\n",
    "models/marts/revenue.sql": "{{ config(access='public') }}\nselect 1 as id",
    "models/marts/ledger.sql": "select 1 as id",
    "models/staging/stg_orders.sql": "select 1 as id",
    "models/groups.yml": `version: 2
groups:
  - name: finance
    owner: { name: Finance team, email: finance@example.com }
    description: Revenue reporting.
models:
  - name: ledger
    access: private
  - name: stg_orders
    config:
      group: finance
      access: protected
`,
  });
  const ls = await runCli(["--project", p.root, "ls"]);
  assert.equal(ls.code, 0, ls.stdout + ls.stderr);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  const node = (name: string) => manifest.nodes[`model.shop.${name}`];
  assert.deepEqual(
    ["revenue", "ledger", "stg_orders"].map((n) => [node(n).access, node(n).group]),
    [["public", "finance"], ["private", "finance"], ["protected", "finance"]],
  );
  assert.deepEqual(manifest.groups["group.shop.finance"], {
    name: "finance",
    resource_type: "group",
    package_name: "shop",
    path: "models/groups.yml",
    original_file_path: "models/groups.yml",
    unique_id: "group.shop.finance",
    owner: { name: "Finance team", email: "finance@example.com" },
    description: "Revenue reporting.",
    config: { meta: {} },
  });
  assert.deepEqual(manifest.group_map.finance.sort(), [
    "model.shop.ledger",
    "model.shop.revenue",
    "model.shop.stg_orders",
  ]);

  // A group no properties file declares, and an access dbt does not have, are errors.
  await p.write(
    "models/staging/stg_orders.sql",
    "{{ config(group='finanse', access='open') }}\nselect 1 as id",
  );
  const bad = await runCli(["--project", p.root, "ls"]);
  assert.equal(bad.code, 2, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /config\(access=…\): expected private, protected or public, got "open"/);
  await p.write("models/staging/stg_orders.sql", "{{ config(group='finanse') }}\nselect 1 as id");
  const unknown = await runCli(["--project", p.root, "ls"]);
  assert.match(
    unknown.stderr,
    /models\/staging\/stg_orders\.sql: stg_orders is in group "finanse", which no properties file declares \(did you mean "finance"\?\): declare it under groups: \(name and owner\)/,
  );
});

Deno.test("configs of the project's own (dbt takes any key): config.get reads them, the manifest records them; a key one typo from wharf's is an error", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nmodels:\n  shop:\n    +sla_hours: 4\n",
    "macros/owner.sql":
      "{% macro owner_note() %}'{{ config.get('owner_team', 'nobody') }}/{{ config.get('sla_hours') }}'{% endmacro %}",
    "models/orders.sql":
      "{{ config(materialized='table', owner_team='billing') }}\nselect {{ owner_note() }} as note",
    "models/other.sql": "select {{ owner_note() }} as note",
  });
  const r = await runCli(["--project", p.root, "run"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const db = join(p.root, "shop.duckdb");
  assert.deepEqual(await queryRows(db, "select note from main.orders"), [{
    note: "billing/4",
  }]);
  assert.deepEqual(await queryRows(db, "select note from main.other"), [{ note: "nobody/4" }]);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.equal(manifest.nodes["model.shop.orders"].config.owner_team, "billing");
  assert.equal(manifest.nodes["model.shop.orders"].config.sla_hours, 4);
  // config.<key>: selects by them, as by any config.
  const ls = async (selector: string) =>
    (await runCli(["--project", p.root, "ls", "-s", selector, "--output", "name"])).stdout.trim()
      .split("\n");
  assert.deepEqual(await ls("config.owner_team:billing"), ["orders"]);
  assert.deepEqual((await ls("config.sla_hours:4")).sort(), ["orders", "other"]);
  // Every problem of the call is named in one run, the unsupported with the typo.
  await p.write(
    "models/other.sql",
    "{{ config(materialzed='table', grants={'select': ['x']}) }}\nselect 1 as x",
  );
  const typo = await runCli(["--project", p.root, "ls"]);
  assert.equal(typo.code, 2, typo.stdout);
  assert.match(
    typo.stderr,
    /models\/other\.sql:1: .*config\(materialzed=…\): unknown config "materialzed" \(did you mean "materialized"\?\)/,
  );
  assert.match(typo.stderr, /models\/other\.sql:1: config\(grants=…\): "grants" .* not supported/);
});
