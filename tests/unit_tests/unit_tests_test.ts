/**
 * Unit tests (`unit_tests:`), end to end through the CLI on a real DuckDB
 * file: a plain-SQL project and a dbt-layout twin, each with passing tests,
 * a failing one (its row diff), CSV and SQL rows, fixtures, overrides of
 * vars and is_incremental, an input that is a source, and the errors of a
 * test that names an unknown model, input or key.
 */
import assert from "node:assert/strict";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { healthcareProject, runCli, tempProject } from "../helpers.ts";

/** The plain-SQL project: a landed raw table, a staging view, a mart, an incremental model. */
const PLAIN: Record<string, string> = {
  "wharf.config.ts": `export default { vars: { min_amount: "0" } };\n`,
  "models/staging/stg_orders.sql": `select
    id::integer as id,
    customer,
    amount::decimal(10, 2) as amount,
    status,
    ordered_at::date as ordered_at
from raw.orders
`,
  "models/seeds/statuses.csv": "status,counts\npaid,true\ncancelled,false\n",
  "models/marts/revenue.sql": `select o.customer, sum(o.amount) as total, count(*) as orders
from staging.stg_orders as o
join seeds.statuses as s using (status)
where s.counts and o.amount >= wharf_var('min_amount')::decimal
group by o.customer
`,
  "models/marts/events.sql": `select id, ordered_at, amount from staging.stg_orders
where not wharf_is_incremental() or ordered_at > (select max(ordered_at) from marts.events)
`,
  "sql/tests/fixtures/orders.csv": [
    "id,customer,amount,status,ordered_at",
    "1,a,10,paid,2024-02-01",
    "2,a,3,paid,2023-12-01",
    "3,b,8,cancelled,2024-02-01",
    "4,c,,paid,2024-02-03",
  ].join("\n") + "\n",
  "models/marts/marts.yml": `models:
  - name: events
    config: { materialized: incremental, incremental_strategy: append }
    columns:
      - name: id
        tests: [not_null]
unit_tests:
  - name: revenue_counts_paid_orders
    description: Cancelled orders do not count; an order without an amount is not summed.
    model: revenue
    given:
      - input: ref('stg_orders')
        format: csv
        fixture: orders
    expect:
      rows:
        - {customer: a, total: 13, orders: 2}
  - name: revenue_min_amount
    model: marts.revenue
    overrides:
      vars: { min_amount: 5 }
    given:
      - input: staging.stg_orders
        format: csv
        fixture: orders
      - input: ref('statuses')
        format: sql
        rows: select 'paid' as status, true as counts union all select 'cancelled', true
    expect:
      format: csv
      rows: |
        customer,total,orders
        a,10,1
        b,8,1
  - name: revenue_null_status
    model: revenue
    given:
      - input: staging.stg_orders
        rows:
          - {id: 1, customer: a, amount: 10, status: paid}
          - {id: 2, customer: b, amount: 7}
    expect:
      rows:
        - {customer: a, total: 10, orders: 1}
        - {customer: b, total: 7, orders: 1}
  - name: events_full_refresh
    model: events
    overrides:
      macros: { is_incremental: false }
    given:
      - input: staging.stg_orders
        rows:
          - {id: 1, ordered_at: 2024-01-01}
          - {id: 2, ordered_at: 2024-01-03}
      - input: this
        rows:
          - {id: 9, ordered_at: 2024-01-02}
    expect:
      rows: [{id: 1}, {id: 2}]
  - name: events_new_rows_only
    model: events
    overrides:
      macros: { is_incremental: true }
    given:
      - input: staging.stg_orders
        rows:
          - {id: 1, ordered_at: 2024-01-01}
          - {id: 2, ordered_at: 2024-01-03}
      - input: this
        rows:
          - {id: 9, ordered_at: 2024-01-02}
    expect:
      rows: [{id: 2}]
  - name: switched_off
    model: stg_orders
    config: { enabled: false }
    given: []
    expect: { rows: [] }
  - name: stg_orders_types_text
    model: stg_orders
    config: { tags: [typing] }
    given:
      - input: source('raw', 'orders')
        rows:
          - {id: "7", customer: z, amount: "1.50", ordered_at: "2024-03-01"}
    expect:
      rows:
        - {id: 7, customer: z, amount: 1.5, status: null, ordered_at: 2024-03-01}
`,
};

/** Creates the warehouse `db` with `sql` run in it (a landed table the unit tests never read). */
async function warehouseWith(db: string, sql: string): Promise<void> {
  const wh = await openWarehouse(db);
  try {
    await wh.exec(sql);
  } finally {
    wh.close();
  }
}

/** raw.orders as \`wharf land\` would leave it (text columns), with a row the unit tests never see. */
const RAW_ORDERS = `create schema raw;
create table raw.orders (id varchar, customer varchar, amount varchar, status varchar, ordered_at varchar);
insert into raw.orders values ('100', 'warehouse', '999', 'paid', '2020-01-01')`;

Deno.test("plain SQL: wharf test runs unit tests on their given rows only, with the inputs' real types", async () => {
  await using p = await tempProject(PLAIN);
  await warehouseWith(p.db, RAW_ORDERS);
  const r = await runCli(["--project", p.root, "--db", p.db, "test", "-s", "test_type:unit"]);
  const out = r.stdout + r.stderr;
  // Six unit tests and nothing else (not the data test of events).
  assert.match(out, /Running 0 seeds, 0 models, 6 tests/);
  for (
    const name of [
      "revenue_counts_paid_orders",
      "revenue_min_amount",
      "events_full_refresh",
      "events_new_rows_only",
      "stg_orders_types_text",
    ]
  ) assert.match(out, new RegExp(`PASS +test unit_test\\.\\w+\\.${name} `), out);
  // The trap: a NULL status is not "<> cancelled" nor paid: the join drops the row.
  assert.match(out, /FAIL +test unit_test\.revenue\.revenue_null_status /);
  assert.match(
    out,
    /actual rows differ from expected \(2 expected, 1 actual: 1 missing, 0 extra\):\n +\| customer \| total \| orders\n +- \| b +\| 7\.00 +\| 1\n/,
  );
  assert.equal(r.code, 1);
  // Nothing was built or read: the warehouse holds the landed table only.
  const tables = await runCli([
    "--project",
    p.root,
    "--db",
    p.db,
    "sql",
    "--format",
    "csv",
    "select table_schema || '.' || table_name as t from information_schema.tables where table_schema not in ('wharf') order by 1",
  ]);
  assert.equal(tables.stdout.trim(), "t\nraw.orders");
});

Deno.test("plain SQL: a failing unit test stops the build of its model; ls lists unit tests", async () => {
  await using p = await tempProject(PLAIN);
  await warehouseWith(p.db, RAW_ORDERS);
  const ls = await runCli(["--project", p.root, "--db", p.db, "--json", "ls", "-s", "tag:typing"]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(
    JSON.parse(ls.stdout).map((n: Record<string, unknown>) => [n.id, n.type, n.path, n.tags]),
    [[
      "unit_test.stg_orders.stg_orders_types_text",
      "unit_test",
      "models/marts/marts.yml",
      ["typing"],
    ]],
  );
  const all = await runCli(["--project", p.root, "--db", p.db, "--json", "ls"]);
  const ids = JSON.parse(all.stdout).map((n: Record<string, string>) => n.id);
  assert.equal(ids.filter((id: string) => id.startsWith("unit_test.")).length, 6);
  assert.ok(!ids.includes("unit_test.stg_orders.switched_off"));
  const data = await runCli([
    "--project",
    p.root,
    "--db",
    p.db,
    "--json",
    "ls",
    "-s",
    "test_type:data",
  ]);
  assert.deepEqual(JSON.parse(data.stdout).map((n: Record<string, string>) => n.id), [
    "test.not_null_events_id",
  ]);
  // Selecting a model brings its unit tests along.
  const revenue = await runCli([
    "--project",
    p.root,
    "--db",
    p.db,
    "--json",
    "ls",
    "-s",
    "revenue",
  ]);
  assert.deepEqual(JSON.parse(revenue.stdout).map((n: Record<string, string>) => n.id), [
    "marts.revenue",
    "unit_test.revenue.revenue_counts_paid_orders",
    "unit_test.revenue.revenue_min_amount",
    "unit_test.revenue.revenue_null_status",
  ]);
  const build = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(build.code, 1, build.stdout);
  const lines = build.stdout.split("\n");
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  // The unit tests of revenue run after its parents are built, before revenue, which is skipped.
  assert.ok(
    at(/OK +model staging\.stg_orders /) < at(/test unit_test\.revenue\.revenue_min_amount/),
  );
  assert.match(
    build.stdout,
    /SKIP +model marts\.revenue .*upstream "unit_test\.revenue\.revenue_null_status" failed its test/,
  );
  assert.match(build.stdout, /OK +model marts\.events /);
  assert.match(build.stdout, /PASS +test not_null_events_id /);
});

Deno.test("plain SQL: a unit test naming an unknown model, input or key is a compile error with the closest name", async () => {
  await using p = await tempProject({
    ...PLAIN,
    "models/marts/bad.yml": `unit_tests:
  - name: typo_model
    model: revenu
    given: []
    expect: {rows: []}
  - name: typo_input
    model: revenue
    given:
      - input: ref('stg_order')
        rows: []
    expect: {rows: []}
  - name: typo_key
    model: revenue
    given:
      - input: staging.stg_orders
        rows: []
    expect: {rows: [], formt: csv}
  - name: not_given
    model: revenue
    overrides: {vars: {min_amout: 1}, env_vars: {A: b}}
    given: []
    expect: {rows: []}
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "test"]);
  assert.equal(r.code, 2);
  for (
    const re of [
      /bad\.yml:3:\d+: unit_tests\[0\]\.model: no model "revenu" \(did you mean "revenue"\?\)/,
      /bad\.yml:9:\d+: unit_tests\[1\]\.given\[0\]\.input: ref\('stg_order'\): no model or seed named "stg_order" \(did you mean "stg_orders"\?\)/,
      /bad\.yml:17:\d+: unit_tests\[2\]\.expect\.formt: unknown key "formt" in a unit test's expect \(did you mean "format"\?\)/,
      /unit_tests\[3\]\.overrides\.vars\.min_amout: unknown variable "min_amout" \(did you mean "min_amount"\?\)/,
      /unit_tests\[3\]\.overrides\.env_vars: plain-SQL models read no environment variables/,
      /unit_tests\[3\]\.given: marts\.revenue reads "staging\.stg_orders": give it as an input/,
    ]
  ) assert.match(r.stderr, re);
});

Deno.test("plain SQL: a given or expected value that does not fit its column's type, or a column the input lacks, errors the test naming the row, column and type", async () => {
  await using p = await tempProject({
    ...PLAIN,
    "models/marts/events.sql": "select 1 as id",
    "models/marts/marts.yml": `unit_tests:
  - name: bad_value
    model: revenue
    given:
      - input: staging.stg_orders
        rows:
          - {id: 1, customer: a, amount: 10, status: paid}
          - {id: 2, customer: a, amount: ten, status: paid}
          - {id: abc, customer: a, amount: 1, status: paid}
    expect: {rows: []}
  - name: bad_date
    model: revenue
    given:
      - input: staging.stg_orders
        format: csv
        rows: |
          id,customer,amount,status,ordered_at
          1,a,10,paid,2024-02-01
          2,a,3,paid,2024-02-30
    expect: {rows: []}
  - name: bad_expected_value
    model: revenue
    given:
      - input: staging.stg_orders
        rows: []
    expect: {rows: [{customer: a, orders: 1}, {customer: b, orders: two}]}
  - name: bad_column
    model: revenue
    given:
      - input: staging.stg_orders
        rows: [{id: 1, custommer: a}]
    expect: {rows: []}
  - name: bad_expect
    model: revenue
    given:
      - input: staging.stg_orders
        rows: []
    expect: {rows: [{totl: 1}]}
`,
  });
  await warehouseWith(p.db, RAW_ORDERS);
  const r = await runCli(["--project", p.root, "--db", p.db, "test"]);
  assert.equal(r.code, 1);
  // The first misfit in the order given (row 2's amount), though DuckDB may name another.
  assert.match(
    r.stdout,
    /Error in test unit_test\.revenue\.bad_value:\n +input "staging\.stg_orders", row 2, column "amount": "ten" is not a value of its type, DECIMAL\(10,2\): give one that is, or null\n/,
  );
  assert.match(
    r.stdout,
    /Error in test unit_test\.revenue\.bad_date:\n +input "staging\.stg_orders", row 2, column "ordered_at": "2024-02-30" is not a value of its type, DATE: give one that is, or null\n/,
  );
  assert.match(
    r.stdout,
    /Error in test unit_test\.revenue\.bad_expected_value:\n +expect, row 2, column "orders": "two" is not a value of its type, BIGINT: give one that is, or null\n/,
  );
  assert.match(
    r.stdout,
    /input "staging\.stg_orders" has no column "custommer" \(did you mean "customer"\?\): its columns are id, customer, amount, status, ordered_at/,
  );
  assert.match(
    r.stdout,
    /expect names "totl", which marts\.revenue does not give \(did you mean "total"\?\): it gives customer, total, orders/,
  );
});

Deno.test("plain SQL: an ephemeral model given as an input replaces its inlined SELECT", async () => {
  await using p = await tempProject({
    "models/marts/eph.sql": "select 1 as id, 'x' as name",
    "models/marts/final.sql": "select id, upper(name) as name from marts.eph",
    "models/marts/m.yml": `models:
  - name: eph
    config: { materialized: ephemeral }
unit_tests:
  - name: upper_names
    model: final
    given:
      - input: ref('eph')
        rows: [{id: 2, name: ab}]
    expect:
      rows: [{id: 2, name: AB}]
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /1 of 2 PASS +test unit_test\.final\.upper_names .*\n2 of 2 OK +model marts\.final /,
  );
});

/** A unit test of marts.charged on a bill of 100, with `macros` overridden, expecting `charged`. */
function unitTest(name: string, macros: string, charged: number): string {
  return `  - name: ${name}
    model: charged
${macros ? `    overrides:\n      macros: { ${macros} }\n` : ""}    given:
      - input: raw.bills
        rows: [{id: 1, amount: 100}]
    expect:
      rows: [{id: 1, charged: ${charged}}]
`;
}

Deno.test("plain SQL: overrides.macros replaces a macro of sql/macros for the test only; an unknown one names the closest", async () => {
  await using p = await tempProject({
    "sql/macros/money.sql":
      "create or replace macro fee_rate() as 0.1;\ncreate or replace macro with_fee(x) as x * (1 + fee_rate());\n",
    "models/marts/charged.sql": "select id, with_fee(amount) as charged from raw.bills\n",
    "models/marts/m.yml": `unit_tests:\n${
      [
        unitTest("fee_as_written", "", 110),
        unitTest("no_fee", 'fee_rate: "0"', 100),
        unitTest("doubled", 'with_fee: "x * 2"', 200),
        unitTest("typo", 'fee_rat: "0"', 100),
      ].join("")
    }`,
  });
  await warehouseWith(
    p.db,
    "create schema raw; create table raw.bills (id integer, amount decimal(10, 2)); insert into raw.bills values (7, 50)",
  );
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  for (const name of ["fee_as_written", "no_fee", "doubled"]) {
    assert.match(r.stdout, new RegExp(`PASS +test unit_test\\.charged\\.${name} `));
  }
  assert.match(
    r.stdout,
    /overrides\.macros: no macro "fee_rat" \(did you mean "fee_rate"\?\): a plain-SQL model's macros are those of sql\/macros and is_incremental/,
  );
  // The model itself skipped (its test failed); rebuilt without it, its macros are the project's.
  assert.match(r.stdout, /SKIP +model marts\.charged /);
  const ok = await runCli([
    "--project",
    p.root,
    "--db",
    p.db,
    "build",
    "--exclude",
    "unit_test.charged.typo",
  ]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const wh = await openWarehouse(p.db);
  try {
    assert.deepEqual(await wh.query("select id, charged::double as charged from marts.charged"), [
      { id: 7, charged: 55 },
    ]);
  } finally {
    wh.close();
  }
});

/** The dbt-layout twin: a declared source, a seed, ref(), var(), env_var(), is_incremental(). */
const DBT: Record<string, string> = {
  "dbt_project.yml": "name: shop\nconfig-version: 2\nvars:\n  min_amount: 0\n",
  "seeds/statuses.csv": "status,counts\npaid,true\ncancelled,false\n",
  "models/staging/sources.yml":
    "sources:\n  - name: shop\n    schema: landing\n    tables:\n      - name: orders\n",
  "models/staging/stg_orders.sql":
    "select id, customer, amount, status, ordered_at from {{ source('shop', 'orders') }}\n",
  "models/marts/revenue.sql": `select o.customer, sum(o.amount) as total, count(*) as orders,
    '{{ env_var("REGION", "eu") }}' as region
from {{ ref('stg_orders') }} as o
join {{ ref('statuses') }} as s using (status)
where s.counts and o.amount >= {{ var('min_amount') }}
{% if is_incremental() %} and o.ordered_at > '2024-01-01' {% endif %}
group by o.customer
`,
  "tests/fixtures/orders.csv": PLAIN["sql/tests/fixtures/orders.csv"]!,
  "tests/fixtures/revenue_paid.sql": "select 'a' as customer, 13 as total, 2 as orders\n",
  "models/marts/marts.yml": `unit_tests:
  - name: revenue_counts_paid_orders
    model: revenue
    given:
      - input: ref('stg_orders')
        format: csv
        fixture: orders
    expect:
      format: sql
      fixture: revenue_paid
  - name: revenue_overrides
    model: revenue
    overrides:
      vars: {min_amount: 5}
      macros: {is_incremental: true}
      env_vars: {REGION: us}
    given:
      - input: ref('stg_orders')
        format: csv
        fixture: orders
      - input: ref('statuses')
        rows:
          - {status: paid, counts: true}
          - {status: cancelled, counts: true}
    expect:
      rows:
        - {customer: a, total: 10, orders: 1, region: us}
        - {customer: b, total: 8, orders: 1, region: us}
  - name: revenue_wrong
    model: revenue
    given:
      - input: ref('stg_orders')
        rows:
          - {customer: a, amount: 2, status: paid}
    expect:
      rows:
        - {customer: a, total: 3, region: eu}
  - name: stg_orders_from_source
    model: stg_orders
    given:
      - input: source('shop', 'orders')
        rows:
          - {id: 1, customer: a, ordered_at: 2024-01-31}
    expect:
      rows:
        - {id: 1, customer: a, amount: null, ordered_at: 2024-01-31}
`,
};

Deno.test("dbt layout: unit tests with ref() and source() inputs, fixtures, overrides of vars, is_incremental and env_vars", async () => {
  await using p = await tempProject(DBT);
  const db = `${p.root}/shop.duckdb`;
  await warehouseWith(
    db,
    "create schema landing; create table landing.orders (id integer, customer varchar, amount decimal(10, 2), status varchar, ordered_at date)",
  );
  const r = await runCli(["--project", p.root, "test", "--select", "test_type:unit"]);
  assert.equal(r.code, 1, r.stderr);
  for (
    const name of ["revenue_counts_paid_orders", "revenue_overrides", "stg_orders_from_source"]
  ) {
    assert.match(r.stdout, new RegExp(`PASS +test unit_test\\.\\w+\\.${name} `), r.stdout);
  }
  assert.match(r.stdout, /FAIL +test unit_test\.revenue\.revenue_wrong /);
  assert.match(
    r.stdout,
    /1 expected, 1 actual: 1 missing, 1 extra\):\n +\| customer \| total \| region\n +\+ \| a +\| 2\.00 +\| eu\n +- \| a +\| 3\.00 +\| eu\n/,
  );
  const ls = await runCli(["--project", p.root, "ls", "-s", "test_type:unit"]);
  assert.equal(ls.stdout.match(/unit_test\./g)?.length, 4, ls.stdout);
});

Deno.test("dbt layout: an unknown input names the closest ref() or source()", async () => {
  await using p = await tempProject({
    ...DBT,
    "models/marts/marts.yml": `unit_tests:
  - name: t
    model: stg_orders
    given:
      - input: source('shop', 'order')
        rows: []
    expect: {rows: []}
  - name: u
    model: revenue
    given:
      - input: ref('stg_orders')
        rows: []
      - input: ref('stg_orders_x')
        rows: []
    expect: {rows: []}
  - name: v
    model: stg_orders
    overrides: {macros: {is_incremantal: true}}
    given:
      - input: source('shop', 'orders')
        rows: []
    expect: {rows: []}
  - name: w
    model: stg_orders
    overrides: {macros: {shop.cent: "1"}}
    given:
      - input: source('shop', 'orders')
        rows: []
    expect: {rows: []}
`,
    "macros/cents.sql": "{% macro cents(x) %}{{ x }} * 100{% endmacro %}\n",
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /unit_tests\[0\]\.given\[0\]\.input: source\('shop', 'order'\): no such table in the project's sources \(did you mean "source\('shop', 'orders'\)"\?\)/,
  );
  assert.match(
    r.stderr,
    /unit_tests\[1\]\.given\[1\]\.input: ref\('stg_orders_x'\): no model or seed named "stg_orders_x" \(did you mean "stg_orders"\?\)/,
  );
  assert.match(
    r.stderr,
    /unit_tests\[2\]\.overrides: Cannot render models\/staging\/stg_orders\.sql with these overrides: overrides\.macros: no macro "is_incremantal" the model can call \(did you mean "is_incremental"\?\)/,
  );
  assert.match(
    r.stderr,
    /unit_tests\[3\]\.overrides: .*no macro "shop\.cent" the model can call \(did you mean "cents"\?\)/,
  );
});

Deno.test("dbt layout: overrides.macros replaces the project's macros and dbt's, wherever they are called", async () => {
  await using p = await tempProject({
    ...DBT,
    "macros/money.sql": `{% macro multiplier() %}100{% endmacro %}
{% macro to_cents(column) %}({{ column }} * {{ multiplier() }})::integer{% endmacro %}
{% macro since() %}{{ return("date '2024-01-01'") }}{% endmacro %}
`,
    "models/marts/cents.sql": `select id, {{ to_cents('amount') }} as cents,
    {{ dbt.current_timestamp() }} > timestamp '2030-01-01' as late
from {{ ref('stg_orders') }}
where ordered_at >= {{ since() }}
`,
    "models/marts/marts.yml": `unit_tests:
  - name: cents_as_written
    model: cents
    given:
      - input: ref('stg_orders')
        rows:
          - {id: 1, amount: 2.5, ordered_at: 2024-02-01}
          - {id: 2, amount: 1, ordered_at: 2023-12-01}
    expect:
      rows: [{id: 1, cents: 250, late: false}]
  - name: cents_overridden
    model: cents
    overrides:
      macros:
        multiplier: 1000
        since: "date '2023-01-01'"
        current_timestamp: "timestamp '2031-01-01'"
    given:
      - input: ref('stg_orders')
        rows:
          - {id: 1, amount: 2.5, ordered_at: 2024-02-01}
          - {id: 2, amount: 1, ordered_at: 2023-12-01}
    expect:
      rows:
        - {id: 1, cents: 2500, late: true}
        - {id: 2, cents: 1000, late: true}
`,
  });
  const db = `${p.root}/shop.duckdb`;
  await warehouseWith(
    db,
    "create schema landing; create table landing.orders (id integer, customer varchar, amount decimal(10, 2), status varchar, ordered_at date)",
  );
  const r = await runCli(["--project", p.root, "test", "--select", "cents"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /PASS +test unit_test\.cents\.cents_as_written /);
  assert.match(r.stdout, /PASS +test unit_test\.cents\.cents_overridden /);
  // The model itself is built with the macros as written.
  const built = await runCli(["--project", p.root, "build", "--select", "+cents"]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const manifest = JSON.parse(await Deno.readTextFile(`${p.root}/target/manifest.json`));
  assert.match(
    manifest.nodes["model.shop.cents"].compiled_code,
    /\(amount \* 100\)::integer as cents,\s+now\(\) > timestamp '2030-01-01'[^]*>= date '2024-01-01'/,
  );
});

Deno.test("the healthcare project's unit tests pass on a fresh clone (no warehouse yet)", async () => {
  await using p = await healthcareProject();
  const r = await runCli(["--project", p.root, "--db", p.db, "test", "--select", "test_type:unit"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const passed = r.stdout.match(/PASS +test unit_test\./g)?.length ?? 0;
  assert.ok(passed >= 8, r.stdout);
  assert.match(r.stdout, /0 failed, 0 errored, 0 skipped/);
});
