/**
 * What a new user's first trial of wharf on their own dbt-duckdb project
 * ran into, end to end through the real CLI on a real DuckDB file: a dbt
 * project (staging views, an ephemeral model, an incremental model that
 * reads it, a snapshot that invalidates hard deletes) and, where the
 * feature exists there, its plain-SQL twin, both on the real jaffle shop
 * seeds.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, REAL, runCli, type TempProject, tempProject } from "../helpers.ts";

/** The real jaffle shop seeds: `raw_orders` with its rows changed by `edit`, and `raw_customers`. */
async function seeds(
  edit: (lines: string[]) => string[] = (l) => l,
): Promise<Record<string, string>> {
  const read = (name: string) => Deno.readTextFile(join(REAL, "jaffle_shop", `${name}.csv`));
  // The files end their lines with CRLF, the last one included.
  const orders = (await read("raw_orders")).split("\r\n").filter((l) => l !== "");
  return {
    raw_orders: `${edit(orders).join("\r\n")}\r\n`,
    raw_customers: await read("raw_customers"),
  };
}

/** Replaces the order of id `id` (its line) in the jaffle shop orders, or adds it. */
function order(id: number, line: string): (lines: string[]) => string[] {
  return (lines) => {
    const at = lines.findIndex((l) => l.startsWith(`${id},`));
    return at < 0 ? [...lines, line] : lines.map((l, i) => (i === at ? line : l));
  };
}

const DBT_PROJECT = `name: shop
version: "1.0.0"
config-version: 2
profile: shop
seed-paths: ["seeds"]
vars:
  min_orders: 1
models:
  shop:
    +materialized: view
    intermediate:
      +materialized: ephemeral
    marts:
      +schema: marts
      +materialized: table
`;

/** The user's dbt-duckdb project, on the real jaffle shop seeds. */
async function dbtShop(): Promise<TempProject & { db: string }> {
  const csv = await seeds();
  const p = await tempProject({
    "dbt_project.yml": DBT_PROJECT,
    "profiles.yml":
      "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n",
    "seeds/raw_orders.csv": csv.raw_orders!,
    "seeds/raw_customers.csv": csv.raw_customers!,
    "models/staging/sources.yml":
      "version: 2\nsources:\n  - name: app\n    schema: app\n    tables:\n      - name: customers\n",
    "models/staging/stg_orders.sql":
      "select id as order_id, user_id as customer_id, order_date, status,\n  order_date::timestamp as updated_at\nfrom {{ ref('raw_orders') }}\n",
    "models/staging/stg_customers.sql":
      "select id as customer_id, first_name, last_name from {{ ref('raw_customers') }}\n",
    "models/staging/staging.yml": `version: 2
models:
  - name: stg_orders
    columns:
      - name: order_id
        data_tests: [unique, not_null]
      - name: customer_id
        data_tests:
          - relationships:
              to: ref('stg_customers')
              field: customer_id
`,
    "models/intermediate/int_orders_enriched.sql":
      "select o.*, c.first_name, c.last_name\nfrom {{ ref('stg_orders') }} o\nleft join {{ ref('stg_customers') }} c using (customer_id)\n",
    "models/marts/customers.sql":
      "select customer_id, first_name, last_name, count(*) as orders\nfrom {{ ref('int_orders_enriched') }}\ngroup by all\nhaving count(*) >= {{ var('min_orders') }}\n",
    "models/marts/fct_orders.sql":
      `{{ config(materialized='incremental', incremental_strategy='merge', unique_key='order_id') }}
select order_id, customer_id, order_date, status, updated_at, first_name
from {{ ref('int_orders_enriched') }}
{% if is_incremental() %}
where updated_at > (select coalesce(max(updated_at), '1900-01-01') from {{ this }})
{% endif %}
`,
    "snapshots/customers_snapshot.sql": `{% snapshot customers_snapshot %}
{{ config(unique_key='customer_id', strategy='check', check_cols='all', hard_deletes='invalidate', target_schema='snapshots') }}
select * from {{ ref('stg_customers') }}
{% endsnapshot %}
`,
  });
  return Object.assign(p, { db: join(p.root, "shop.duckdb") });
}

/** The same project in plain SQL. */
async function plainShop(): Promise<TempProject> {
  const csv = await seeds();
  return await tempProject({
    "models/seeds/raw_orders.csv": csv.raw_orders!,
    "models/seeds/raw_customers.csv": csv.raw_customers!,
    "models/staging/stg_orders.sql":
      "select id as order_id, user_id as customer_id, order_date, status,\n  order_date::timestamp as updated_at\nfrom seeds.raw_orders\n",
    "models/staging/stg_customers.sql":
      "select id as customer_id, first_name, last_name from seeds.raw_customers\n",
    "models/staging/staging.yml": `models:
  - name: stg_orders
    columns:
      - name: order_id
        tests: [unique, not_null]
      - name: customer_id
        tests:
          - relationships: { to: staging.stg_customers, field: customer_id }
`,
    "models/intermediate/int_orders_enriched.sql":
      "select o.*, c.first_name, c.last_name\nfrom staging.stg_orders o\nleft join staging.stg_customers c using (customer_id)\n",
    "models/intermediate/intermediate.yml":
      "models:\n  - name: int_orders_enriched\n    config: { materialized: ephemeral }\n",
    "wharf.config.ts": 'export default { vars: { min_orders: "1" } };\n',
    "models/marts/customers.sql":
      "select customer_id, first_name, last_name, count(*) as orders\nfrom intermediate.int_orders_enriched\ngroup by all\nhaving count(*) >= wharf_var('min_orders')::int\n",
    "models/marts/fct_orders.sql":
      "select order_id, customer_id, order_date, status, updated_at, first_name\nfrom intermediate.int_orders_enriched\nwhere not wharf_is_incremental()\n  or updated_at > (select coalesce(max(updated_at), '1900-01-01') from marts.fct_orders)\n",
    "models/marts/marts.yml": `models:
  - name: customers
    config: { materialized: table }
  - name: fct_orders
    config: { materialized: incremental, incremental_strategy: merge, unique_key: order_id }
`,
    "snapshots/customers_snapshot.sql": "select * from staging.stg_customers\n",
    "snapshots/snapshots.yml": `snapshots:
  - name: customers_snapshot
    config: { unique_key: customer_id, strategy: check, check_cols: all, hard_deletes: invalidate }
`,
  });
}

const rows = queryRows;

/** Runs the CLI on project `p`, and checks the exit code. */
async function cli(p: TempProject, args: string[], code = 0) {
  const r = await runCli(["--project", p.root, ...args]);
  assert.equal(r.code, code, `wharf ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  return r;
}

/** Order 99 updated (a later updated_at) and a new order 100. */
const LATER_ORDERS = (lines: string[]) =>
  order(100, "100,1,2018-05-01,placed")(order(99, "99,85,2018-04-20,shipped")(lines));

Deno.test("an incremental model that reads an ephemeral model builds the first time, then merges (dbt)", async () => {
  await using p = await dbtShop();
  let r = await cli(p, ["build"]);
  assert.match(r.stdout, /OK +model main_marts\.fct_orders \.+ \[99 rows, full build in/);
  assert.deepEqual(
    await rows(
      p.db,
      "select count(*)::int as n, max(order_id)::int as last from main_marts.fct_orders",
    ),
    [{ n: 99, last: 99 }],
  );
  // The first build runs the render with is_incremental() false alone: no read of {{ this }}.
  const run = await Deno.readTextFile(join(p.root, "target/run/shop/models/marts/fct_orders.sql"));
  const first = run.slice(0, run.indexOf("-- later runs"));
  assert.match(first, /is_incremental\(\) false, alone/);
  assert.doesNotMatch(first, /"main_marts"\."fct_orders"\)/);

  const csv = await seeds(LATER_ORDERS);
  await p.write("seeds/raw_orders.csv", csv.raw_orders!);
  r = await cli(p, ["build"]);
  assert.match(
    r.stdout,
    /OK +model main_marts\.fct_orders \.+ \[100 rows, merge: 1 new, 1 updated in/,
  );
  assert.deepEqual(
    await rows(
      p.db,
      "select order_id::int as id, status, updated_at::varchar as at from main_marts.fct_orders where order_id >= 98 order by 1",
    ),
    [
      { id: 98, status: "placed", at: "2018-04-07 00:00:00" },
      { id: 99, status: "shipped", at: "2018-04-20 00:00:00" },
      { id: 100, status: "placed", at: "2018-05-01 00:00:00" },
    ],
  );
});

Deno.test("a plain-SQL incremental model that reads itself and an ephemeral model: its first build sees the ephemeral's columns", async () => {
  await using p = await plainShop();
  let r = await cli(p, ["build"]);
  assert.match(r.stdout, /OK +model marts\.fct_orders \.+ \[99 rows, full build in/);
  // The stand-in for marts.fct_orders had the ephemeral model's columns, updated_at among them.
  const run = await Deno.readTextFile(join(p.root, "target/run/marts/fct_orders.sql"));
  assert.match(run, /created empty first \(with the columns of intermediate\.int_orders_enriched/);

  const csv = await seeds(LATER_ORDERS);
  await p.write("models/seeds/raw_orders.csv", csv.raw_orders!);
  r = await cli(p, ["build"]);
  assert.match(r.stdout, /OK +model marts\.fct_orders \.+ \[100 rows, merge: 1 new, 1 updated in/);
  assert.deepEqual(
    await rows(p.db, "select status from marts.fct_orders where order_id = 99"),
    [{ status: "shipped" }],
  );
});

/** The jaffle shop customers without customer 1, whom orders 1 and 37 name. */
async function customersWithoutOne(): Promise<string> {
  const csv = (await seeds()).raw_customers!;
  return csv.split("\n").filter((l) => !l.startsWith("1,")).join("\n");
}

for (
  const [kind, shop, customers] of [
    ["dbt", dbtShop, "seeds/raw_customers.csv"],
    ["plain SQL", plainShop, "models/seeds/raw_customers.csv"],
  ] as const
) {
  Deno.test(`wharf retry runs a test that still fails before the models it blocks, which stay skipped (${kind})`, async () => {
    await using p = await shop();
    await p.write(customers, await customersWithoutOne());
    const built = await cli(p, ["build"], 1);
    const failing = /FAIL +test (relationships_stg_orders_customer_id__\w+)/.exec(built.stdout)
      ?.[1];
    assert.ok(failing, built.stdout);
    for (const m of ["customers", "fct_orders"]) {
      assert.match(
        built.stdout,
        new RegExp(
          `SKIP +model \\w+\\.${m} \\.+ \\[upstream "test\\.${failing}" failed its test\\]`,
        ),
      );
    }

    // As in dbt, the snapshot reads stg_customers only, not both relations the test reads.
    assert.match(built.stdout, /OK +snapshot \w+\.customers_snapshot /);

    const retried = await cli(p, ["retry"], 1);
    const lines = retried.stdout.split("\n").filter((l) => / of \d+ /.test(l));
    assert.match(lines[0]!, new RegExp(`^ ?1 of ${lines.length} FAIL +test ${failing} `));
    assert.equal(lines.length, 3, retried.stdout);
    for (const m of ["customers", "fct_orders"]) {
      assert.match(
        retried.stdout,
        new RegExp(
          `SKIP +model \\w+\\.${m} \\.+ \\[upstream "test\\.${failing}" failed its test\\]`,
        ),
      );
    }
    assert.match(retried.stdout, /0 ok, 0 passed, 0 warned, 1 failed, 0 errored, 2 skipped/);
  });
}

/** What `--empty` must leave alone: the snapshot's history and the incremental tables' rows. */
async function kept(db: string, snapshot: string, tables: readonly string[]) {
  return {
    history: await rows(
      db,
      `select count(*)::int as versions, count(dbt_valid_to)::int as closed, count(distinct dbt_scd_id)::int as ids from ${snapshot}`,
    ),
    tables: await Promise.all(
      tables.map((t) => rows(db, `select * from ${t} order by all`)),
    ),
  };
}

Deno.test("build --empty leaves a snapshot's history and an incremental model's rows as they were (dbt)", async () => {
  await using p = await dbtShop();
  await cli(p, ["build"]);
  const before = await kept(p.db, "snapshots.customers_snapshot", ["main_marts.fct_orders"]);
  assert.deepEqual(before.history, [{ versions: 100, closed: 0, ids: 100 }]);

  const empty = await cli(p, ["build", "--empty"]);
  assert.deepEqual(
    await kept(p.db, "snapshots.customers_snapshot", ["main_marts.fct_orders"]),
    before,
  );
  assert.match(
    empty.stdout,
    /OK +snapshot snapshots\.customers_snapshot \.+ \[100 rows, --empty: history left as it was \(a run checked on no row, then rolled back\) in/,
  );
  assert.match(
    empty.stdout,
    /OK +model main_marts\.fct_orders \.+ \[99 rows, --empty: left as it was \(a later run checked on no row, then rolled back\) in/,
  );
  // Tables and views are built with no row, as dbt builds them.
  assert.deepEqual(await rows(p.db, "select count(*)::int as n from main_marts.customers"), [{
    n: 0,
  }]);

  const again = await cli(p, ["build"]);
  assert.match(again.stdout, /snapshot: 0 new, 0 changed, 0 deleted, 100 unchanged/);
  assert.deepEqual(
    await kept(p.db, "snapshots.customers_snapshot", ["main_marts.fct_orders"]),
    before,
  );
});

Deno.test("build --empty leaves a snapshot's history and incremental rows as they were, whatever the strategy (plain SQL)", async () => {
  await using p = await plainShop();
  // Two strategies that would lose rows on a later run with no row: hard deletes, and batches replaced.
  await p.write("models/marts/orders_merged.sql", "select * from staging.stg_orders\n");
  await p.write("models/marts/orders_batched.sql", "select * from staging.stg_orders\n");
  await p.write(
    "models/marts/marts.yml",
    `${await Deno.readTextFile(join(p.root, "models/marts/marts.yml"))}  - name: orders_merged
    config: { materialized: incremental, incremental_strategy: merge, unique_key: order_id, hard_deletes: delete }
  - name: orders_batched
    config:
      materialized: incremental
      incremental_strategy: microbatch
      event_time: updated_at
      batch_size: month
      lookback: 1
      begin: "2018-01-01"
`,
  );
  const tables = ["marts.fct_orders", "marts.orders_merged", "marts.orders_batched"];
  await cli(p, ["build"]);
  const before = await kept(p.db, "snapshots.customers_snapshot", tables);
  assert.deepEqual(before.history, [{ versions: 100, closed: 0, ids: 100 }]);
  assert.deepEqual(before.tables.map((t) => t.length), [99, 99, 99]);

  const empty = await cli(p, ["build", "--empty"]);
  assert.deepEqual(await kept(p.db, "snapshots.customers_snapshot", tables), before);
  for (const t of tables) {
    assert.match(
      empty.stdout,
      new RegExp(`OK +model ${t.replace(".", "\\.")} \\.+ \\[99 rows, --empty: left as it was`),
    );
  }
  assert.match(
    empty.stdout,
    /snapshot snapshots\.customers_snapshot \.+ \[100 rows, --empty: history left as it was/,
  );

  const again = await cli(p, ["build"]);
  assert.match(again.stdout, /snapshot: 0 new, 0 changed, 0 deleted, 100 unchanged/);
  assert.deepEqual(await kept(p.db, "snapshots.customers_snapshot", tables), before);

  // --full-refresh --empty asks for the table to be rebuilt: it is, with no row.
  await cli(p, ["build", "--empty", "--full-refresh", "--select", "orders_merged"]);
  assert.deepEqual(await rows(p.db, "select count(*)::int as n from marts.orders_merged"), [{
    n: 0,
  }]);
});

Deno.test("wharf retry after build --empty keeps --empty", async () => {
  await using p = await plainShop();
  await cli(p, ["build"]);
  const yml = await Deno.readTextFile(join(p.root, "models/marts/marts.yml"));
  await p.write(
    "models/marts/marts.yml",
    yml.replace(
      "config: { materialized: table }",
      `config: { materialized: table, pre_hook: "select error('not yet')" }`,
    ),
  );
  const failed = await cli(p, ["build", "--empty"], 1);
  assert.match(failed.stdout, /ERROR +model marts\.customers /);
  await p.write("models/marts/marts.yml", yml);
  const retried = await cli(p, ["retry"]);
  assert.match(retried.stdout, /OK +model marts\.customers \.+ \[0 rows in/);
  const results = JSON.parse(await Deno.readTextFile(join(p.root, "target/run_results.json")));
  assert.equal(results.args.empty, true);
  const compiled = await Deno.readTextFile(join(p.root, "target/compiled/marts/customers.sql"));
  assert.match(compiled, /AS __wharf_empty LIMIT 0/);
});

Deno.test("a bare name means the model before a source of that name, and a seed or snapshot before anything else", async () => {
  await using p = await dbtShop();
  await cli(p, ["build"]);
  // app.customers is a source, main_marts.customers a model: the name means the model, as in dbt.
  const compiled = await cli(p, ["compile", "customers"]);
  assert.match(compiled.stdout, /^CREATE OR REPLACE TABLE "main_marts"\."customers" AS/);
  const shown = await cli(p, ["show", "customers", "--limit", "1"]);
  assert.match(shown.stdout, /1 row of main_marts\.customers \(limit 1\)/);
  const source = await cli(p, ["compile", "app.customers"]);
  assert.match(source.stdout, /nothing to compile/);
  // A seed is meant before a source too; a snapshot by its name.
  await cli(p, ["compile", "raw_orders"]);
  assert.match(
    (await cli(p, ["compile", "customers_snapshot"])).stdout,
    /snapshots"\."customers_snapshot"/,
  );
});

Deno.test("a bare name two models have is still ambiguous; a model is meant before a seed of its name (plain SQL)", async () => {
  await using p = await plainShop();
  await p.write("models/staging/customers.sql", "select * from staging.stg_customers\n");
  await p.write("models/staging/raw_orders.sql", "select * from seeds.raw_orders\n");
  const ambiguous = await cli(p, ["compile", "customers"], 2);
  assert.match(
    ambiguous.stderr,
    /Node name "customers" is ambiguous: use one of "(staging|marts)\.customers", "(staging|marts)\.customers"/,
  );
  const model = await cli(p, ["compile", "raw_orders"]);
  assert.match(model.stdout, /^CREATE OR REPLACE VIEW "staging"\."raw_orders" AS/);
});

for (const [kind, shop] of [["dbt", dbtShop], ["plain SQL", plainShop]] as const) {
  Deno.test(`show and compile take --vars as run does (${kind})`, async () => {
    await using p = await shop();
    await cli(p, ["build"]);
    const shown = async (...vars: string[]) =>
      JSON.parse((await cli(p, ["--json", "show", "customers", "-n", "1000", ...vars])).stdout)
        .rows.map((r: { orders: number }) => Number(r.orders));
    const all = await shown();
    assert.equal(all.length, 62);
    const three = all.filter((n: number) => n >= 3).length;
    assert.ok(three > 0 && three < 62);
    assert.equal((await shown("--vars", "min_orders=3")).length, three);
    assert.equal((await shown("--vars", "{min_orders: 3}")).length, three);
    // Without --vars, the project's value again (not the last --vars).
    assert.equal((await shown()).length, 62);

    const compiled = await cli(p, ["compile", "customers", "--vars", "{min_orders: 3}"]);
    assert.match(
      compiled.stdout,
      kind === "dbt" ? /having count\(\*\) >= 3/ : /wharf_var\('min_orders'\)/,
    );
    // A name the project does not declare: refused in plain SQL; dbt takes any, and wharf warns
    // when nothing reads it.
    const typo = await cli(
      p,
      ["compile", "customers", "--vars", "min_order=3"],
      kind === "dbt" ? 0 : 2,
    );
    assert.match(
      typo.stderr,
      kind === "dbt"
        ? /warning: --vars "min_order": dbt_project\.yml declares no such variable and no var\('min_order'\) reads it \(did you mean "min_orders"\?\)/
        : /Unknown variable "min_order" in --vars \(did you mean "min_orders"\?\)/,
    );
    const bad = await cli(p, ["show", "customers", "--vars", "nothing"], 2);
    assert.match(bad.stderr, /Invalid --vars "nothing": expected name=value or '\{name: value\}'/);
  });
}

Deno.test("before the first build of a dbt project, sql --write creates the profile's warehouse, and reading says to build", async () => {
  await using p = await dbtShop();
  const hint =
    /error: Warehouse ".*shop\.duckdb" does not exist yet: build it with `wharf build` \(or load the seeds alone with `wharf seed`\), create it with `wharf sql --write`, or pass --db with an existing file/;
  const read = await cli(p, ["sql", "select 1"], 1);
  assert.match(read.stderr, hint);
  assert.doesNotMatch(read.stderr, /demo|wharf land/);
  assert.match((await cli(p, ["show", "customers"], 1)).stderr, hint);

  // The user's source, app.customers, made before the first build.
  const written = await cli(p, [
    "sql",
    "--write",
    "create schema app; create table app.customers as select * from (values (1, 'Michael')) t(id, name)",
  ]);
  assert.match(written.stderr, /^Created the warehouse .*shop\.duckdb: it did not exist yet\.\n$/);
  await cli(p, ["build"]);
  assert.deepEqual(await rows(p.db, "select name from app.customers"), [{ name: "Michael" }]);
  assert.deepEqual(await rows(p.db, "select count(*)::int as n from main_marts.fct_orders"), [{
    n: 99,
  }]);
});
