/**
 * dbt's adapter methods that read the warehouse's catalog:
 * `adapter.get_columns_in_relation()`, `adapter.get_relation()`,
 * `load_relation()`, `load_cached_relation()` and `get_columns_in_query()`,
 * in models rendered against the warehouse just before they build. Through
 * the CLI, on a real warehouse file of a small project of the test's own.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { columnTypes, queryRows, runCli, SHOP_PROFILE, tempProject } from "../helpers.ts";

const FILES = {
  "dbt_project.yml": `name: shop
config-version: 2
profile: shop
models:
  shop:
    +materialized: table
`,
  "profiles.yml": SHOP_PROFILE,
  "models/orders.sql": `select * from (values
  (1, 'placed', 10.50::decimal(10,2), 'gift'), (2, 'shipped', 20.25::decimal(10,2), null)
) as t(id, Status, amount, note)`,
  "models/refunds.sql": "select 7 as id",
  // A star()-like macro reached through adapter.dispatch, as dbt_utils' are.
  "macros/star_except.sql": `{% macro star_except(relation, except) -%}
{{ return(adapter.dispatch('star_except')(relation, except)) }}
{%- endmacro %}
{% macro default__star_except(relation, except) -%}
{%- for col in adapter.get_columns_in_relation(relation) if col.name | lower not in except -%}
{{ col.quoted }}{{ ", " if not loop.last }}
{%- endfor -%}
{%- endmacro %}`,
  "models/orders_slim.sql": `select {{ star_except(ref('orders'), ['note']) }}
from {{ ref('orders') }}`,
};

Deno.test("adapter.get_columns_in_relation() gives a model the columns of an upstream model, once it is built", async () => {
  await using p = await tempProject(FILES);
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const db = join(p.root, "dev.duckdb");
  const rows = await queryRows(db, "select * from main.orders_slim order by id");
  assert.deepEqual(rows.map((row) => Object.keys(row)), [
    ["id", "Status", "amount"],
    ["id", "Status", "amount"],
  ]);
  assert.deepEqual(rows.map((row) => [row.id, row.Status, String(row.amount)]), [
    [1, "placed", "10.50"],
    [2, "shipped", "20.25"],
  ]);
  assert.deepEqual(await columnTypes(db, "main.orders_slim"), [
    "id INTEGER",
    "Status VARCHAR",
    "amount DECIMAL(10,2)",
  ]);
  // A column added upstream is a column on the next build.
  await p.write("models/orders.sql", "select 1 as id, 'x' as note, true as paid");
  const again = await runCli(["--project", p.root, "build"]);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  const cols = Object.keys((await queryRows(db, "select * from main.orders_slim"))[0]!);
  assert.deepEqual(cols, ["id", "paid"]);
});

Deno.test("a column of adapter.get_columns_in_relation() has dbt's Column attributes and methods", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/described.sql": `-- depends_on: {{ ref('orders') }}
{% set cols = adapter.get_columns_in_relation(ref('orders')) if execute else [] %}
select
{%- for c in cols %}
  '{{ c.name }}|{{ c.column }}|{{ c.dtype }}|{{ c.data_type }}|{{ c.quoted }}|{{ c.char_size }}|{{ c.numeric_precision }}|{{ c.numeric_scale }}|{{ c.is_string() }}|{{ c.is_number() }}|{{ c.is_numeric() }}|{{ c.is_integer() }}|{{ c.is_float() }}' as c{{ loop.index }},
{%- endfor %}
  {{ cols[1].string_size() if execute else 0 }} as size,
  {{ cols[1].literal("'x'") if execute else "''" }} as lit,
  '{{ cols[0] if execute else "" }}' as printed,
  {{ cols | length }} as n`,
  });
  const r = await runCli(["--project", p.root, "build", "-s", "+described"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const [row] = await queryRows(join(p.root, "dev.duckdb"), "select * from main.described");
  assert.deepEqual(row, {
    c1: 'id|id|INTEGER|INTEGER|"id"|None|32|0|False|True|False|True|False',
    c2:
      'Status|Status|VARCHAR|character varying(256)|"Status"|None|None|None|True|False|False|False|False',
    c3:
      'amount|amount|DECIMAL(10,2)|DECIMAL(10,2)|"amount"|None|10|2|False|False|False|False|False',
    c4:
      'note|note|VARCHAR|character varying(256)|"note"|None|None|None|True|False|False|False|False',
    size: 256,
    lit: "x",
    printed: "<Column id (INTEGER)>",
    n: 4,
  });
});

Deno.test("adapter.get_relation() and load_relation() give the relation when it exists and none when not, case-insensitively", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/all_ids.sql": `-- depends_on: {{ ref('orders') }} {{ ref('refunds') }}
{% set ns = namespace(rels=[]) %}
{% for name in ['ORDERS', 'no_such_table', 'Refunds'] %}
  {% set r = adapter.get_relation(database=target.database, schema='MAIN', identifier=name) %}
  {% if r is not none %}{% set ns.rels = ns.rels + [r] %}{% endif %}
{% endfor %}
{% set positional = adapter.get_relation(target.database, target.schema, 'refunds') %}
{% if execute and positional is none %}{{ exceptions.raise_compiler_error('no positional') }}{% endif %}
{% for r in ns.rels %}
select id, '{{ r }}' as printed, '{{ r.schema }}.{{ r.identifier }}' as parts from {{ r }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
{% if not execute %}select 1 as id, '' as printed, '' as parts{% endif %}`,
    "models/self_seen.sql": `{% set me = load_relation(this) %}
{% set cached = load_cached_relation(this) %}
select {{ adapter.get_columns_in_relation(this) | length }} as cols_before,
  {{ me is none }} as missing,
  {{ cached is none }} as cached_missing`,
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const db = join(p.root, "dev.duckdb");
  assert.deepEqual(await queryRows(db, "select * from main.all_ids order by id"), [
    { id: 1, printed: '"main"."orders"', parts: "main.orders" },
    { id: 2, printed: '"main"."orders"', parts: "main.orders" },
    { id: 7, printed: '"main"."refunds"', parts: "main.refunds" },
  ]);
  // Its own relation does not exist on the first build: no columns, none.
  assert.deepEqual(await queryRows(db, "select * from main.self_seen"), [
    { cols_before: 0, missing: true, cached_missing: true },
  ]);
  const again = await runCli(["--project", p.root, "build", "-s", "self_seen"]);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  assert.deepEqual(await queryRows(db, "select * from main.self_seen"), [
    { cols_before: 3, missing: false, cached_missing: false },
  ]);
});

Deno.test("get_columns_in_query() gives the names of a query's columns", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/query_cols.sql": `-- depends_on: {{ ref('orders') }}
{% set names = get_columns_in_query("select id, Status as state from " ~ ref('orders')) %}
select '{{ names | join(",") }}' as names, {{ names | length }} as n`,
  });
  const r = await runCli(["--project", p.root, "build", "-s", "+query_cols"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(
    await queryRows(join(p.root, "dev.duckdb"), "select * from main.query_cols"),
    [{ names: "id,state", n: 2 }],
  );
});

Deno.test("a method of dbt's Column that wharf does not give errors naming it and the line", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/expands.sql": `{% set cols = adapter.get_columns_in_relation(ref('orders')) %}
select 1 as x
{% if cols %}{{ cols[0].can_expand_to(cols[1]) }}{% endif %}`,
  });
  const r = await runCli(["--project", p.root, "build", "-s", "+expands"]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(
    r.stdout + r.stderr,
    /models\/expands\.sql:3: .*"can_expand_to\(\)" of a column \(adapter\.get_columns_in_relation\(\)\) is not supported by wharf: its name, column, dtype, data_type, quoted, char_size, numeric_precision, numeric_scale, is_string\(\), is_number\(\), is_numeric\(\), is_integer\(\), is_float\(\), string_size\(\) and literal\(\) are/,
  );
});
