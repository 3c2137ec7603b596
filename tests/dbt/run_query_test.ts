/**
 * dbt's Jinja that reads the warehouse: `run_query()` and
 * `statement`/`load_result()` in models (rendered against the warehouse
 * just before they build). Through the CLI, on a
 * real warehouse file of a small project of the test's own.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, SHOP_PROFILE, tempProject } from "../helpers.ts";

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
  (1, 'placed', 10), (2, 'shipped', 20), (3, 'shipped', 5), (4, 'returned', 7)
) as t(id, status, amount)`,
  "models/by_status.sql":
    `{% set q %}select distinct status from {{ ref('orders') }} order by 1{% endset %}
{% if execute %}
{% set statuses = run_query(q).columns[0].values() %}
{% else %}
{% set statuses = [] %}
{% endif %}
select
  count(*) as orders
{%- for s in statuses %},
  sum(case when status = '{{ s }}' then amount else 0 end) as {{ s }}_amount
{%- endfor %}
from {{ ref('orders') }}`,
  "macros/totals.sql": `{% macro total_of(status) %}
{% call statement('total', fetch_result=True) %}
select sum(amount) as total from {{ ref('orders') }} where status = '{{ status }}'
{% endcall %}
{% if execute %}{{ return(load_result('total')['data'][0][0]) }}{% endif %}
{% endmacro %}`,
  // As in dbt, a ref() that only runs while executing is declared for the graph.
  "models/shipped_total.sql": `-- depends_on: {{ ref('orders') }}
select {{ total_of('shipped') or 0 }} as shipped_total`,
};

Deno.test("run_query() in a model pivots over an upstream model's distinct values, once it is built", async () => {
  await using p = await tempProject(FILES);
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const db = join(p.root, "dev.duckdb");
  const rows = await queryRows(db, "select * from main.by_status");
  assert.deepEqual(Object.keys(rows[0]!), [
    "orders",
    "placed_amount",
    "returned_amount",
    "shipped_amount",
  ]);
  assert.deepEqual(Object.values(rows[0]!).map(Number), [4, 10, 7, 25]);
  // What records the SQL that ran records the render against the warehouse, not the parse's.
  const ran = await Deno.readTextFile(join(p.root, "target/run/shop/models/by_status.sql"));
  assert.match(ran, /as shipped_amount/);
  const compiled = await Deno.readTextFile(
    join(p.root, "target/compiled/shop/models/by_status.sql"),
  );
  assert.match(compiled, /as placed_amount/);
  const results = JSON.parse(await Deno.readTextFile(join(p.root, "target/run_results.json")));
  const entry = results.results.find((e: { unique_id: string }) =>
    e.unique_id === "model.shop.by_status"
  );
  assert.match(entry.compiled_code, /as returned_amount/);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target/manifest.json")));
  assert.match(manifest.nodes["model.shop.by_status"].compiled_code, /as returned_amount/);
  // A new status upstream is a new column on the next build.
  await p.write(
    "models/orders.sql",
    "select * from (values (1, 'placed', 10), (2, 'lost', 3)) as t(id, status, amount)",
  );
  const again = await runCli(["--project", p.root, "build"]);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  const cols = Object.keys((await queryRows(db, "select * from main.by_status"))[0]!);
  assert.deepEqual(cols, ["orders", "lost_amount", "placed_amount"]);
});

Deno.test("statement() with fetch_result and load_result() in a macro give a model the query's rows", async () => {
  await using p = await tempProject(FILES);
  const r = await runCli(["--project", p.root, "build", "-s", "+shipped_total"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const rows = await queryRows(join(p.root, "dev.duckdb"), "select * from main.shipped_total");
  assert.equal(Number(rows[0]!.shipped_total), 25);
});

Deno.test("a model whose run_query() fails errors naming the model and DuckDB's message", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/broken.sql": `-- depends_on: {{ ref('orders') }}
{% if execute %}{% set r = run_query("select nothing_here from " ~ ref('orders')) %}{% endif %}
select 1 as x`,
  });
  const r = await runCli(["--project", p.root, "build", "-s", "+broken"]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  const out = r.stdout + r.stderr;
  assert.match(
    out,
    /Cannot render main\.broken against the warehouse: model main\.broken: a query it runs while it renders failed: Binder Error: Referenced column "nothing_here" not found/,
  );
  assert.match(out, /select nothing_here from "main"\."orders"/);
});

Deno.test("compile and show render a model that runs run_query() against the warehouse once what it reads is built", async () => {
  await using p = await tempProject(FILES);
  // No warehouse yet: compile prints the parse-time render and says why on stderr.
  const before = await runCli(["--project", p.root, "compile", "by_status"]);
  assert.equal(before.code, 0, before.stderr + before.stdout);
  assert.doesNotMatch(before.stdout, /_amount/);
  assert.match(
    before.stderr,
    /note: main\.by_status's Jinja reads the warehouse.*parse-time render/,
  );
  assert.match(before.stderr, /dev\.duckdb does not exist yet/);
  // So does the whole project's compile, for each such model.
  const beforeAll = await runCli(["--project", p.root, "compile"]);
  assert.equal(beforeAll.code, 0, beforeAll.stderr + beforeAll.stdout);
  assert.match(beforeAll.stderr, /note: main\.by_status's Jinja reads the warehouse/);
  // The warehouse without what it reads: named.
  const other = await runCli(["--project", p.root, "build", "-s", "shipped_total"]);
  assert.equal(other.code, 1, other.stderr + other.stdout); // orders is not built: its query fails
  const lacking = await runCli(["--project", p.root, "compile", "by_status"]);
  assert.match(lacking.stderr, /does not have main\.orders yet/);
  const noPreview = await runCli(["--project", p.root, "show", "by_status"]);
  assert.equal(noPreview.code, 1, noPreview.stderr + noPreview.stdout);
  assert.match(noPreview.stderr, /does not have main\.orders yet \(build its upstream first/);
  // Built: both give the SQL it builds from, one column per status.
  const built = await runCli(["--project", p.root, "build", "-s", "orders"]);
  assert.equal(built.code, 0, built.stderr + built.stdout);
  const compiled = await runCli(["--project", p.root, "compile", "by_status"]);
  assert.equal(compiled.code, 0, compiled.stderr + compiled.stdout);
  assert.match(compiled.stdout, /as placed_amount/);
  assert.doesNotMatch(compiled.stderr, /note:/);
  // The whole project's compile too: its file under target/compiled/ is the render that runs.
  const file = join(p.root, "target/compiled/shop/models/by_status.sql");
  await Deno.remove(file);
  const all = await runCli(["--project", p.root, "compile"]);
  assert.equal(all.code, 0, all.stderr + all.stdout);
  assert.doesNotMatch(all.stderr, /note: main\.by_status/);
  assert.match(await Deno.readTextFile(file), /as placed_amount/);
  const shown = await runCli(["--project", p.root, "--json", "show", "by_status"]);
  assert.equal(shown.code, 0, shown.stderr + shown.stdout);
  assert.deepEqual(JSON.parse(shown.stdout).columns, [
    "orders",
    "placed_amount",
    "returned_amount",
    "shipped_amount",
  ]);
});

Deno.test("show of a model whose run_query() writes errors naming the query: show only reads", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/writer.sql": `-- depends_on: {{ ref('orders') }}
{% if execute %}{% set r = run_query("create table main.scratch as select 1 as x") %}{% endif %}
select 1 as x`,
  });
  const built = await runCli(["--project", p.root, "build", "-s", "orders"]);
  assert.equal(built.code, 0, built.stderr + built.stdout);
  const r = await runCli(["--project", p.root, "show", "writer"]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(r.stderr, /create table main\.scratch as select 1/);
  assert.match(r.stderr, /wharf show opens the warehouse read-only/);
});

Deno.test("run_query()'s rows and columns read by position and by name, as agate's", async () => {
  await using p = await tempProject({
    ...FILES,
    "macros/first_name.sql":
      `{% macro first_name(r) %}{{ return(r.rows[0]['name']) }}{% endmacro %}`,
    "models/agate.sql": `{% if execute %}
{% set r = run_query("select 1 as id, 'a' as name union all select 2, 'b' order by id") %}
{% set by_name = r.rows[0]['name'] %}
{% set col = 'name' %}
{% set ns = namespace(names=[]) %}
{% for row in r.rows %}{% set ns.names = ns.names + [row[col] ~ row['id'] ~ row[0]] %}{% endfor %}
{% set names = ns.names %}
{% set n = r[1][0] %}
{% set cols = r.columns['name'].values() | join('') %}
{% set second = r.columns[1].name ~ r.columns['id'].index %}
{% set from_macro = first_name(r) %}
{% set width = r.rows[0] | length %}
{% else %}
{% set by_name = '' %}{% set names = [] %}{% set n = 0 %}{% set cols = '' %}{% set second = '' %}
{% set from_macro = '' %}{% set width = 0 %}
{% endif %}
select '{{ by_name }}' as by_name, '{{ names | join(",") }}' as names, {{ n }} as n,
  '{{ cols }}' as cols, '{{ second }}' as second, '{{ from_macro }}' as from_macro,
  {{ width }} as width`,
  });
  const r = await runCli(["--project", p.root, "build", "-s", "agate"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const [row] = await queryRows(join(p.root, "dev.duckdb"), "select * from main.agate");
  assert.deepEqual({ ...row, n: Number(row!.n), width: Number(row!.width) }, {
    by_name: "a",
    names: "a11,b22",
    n: 2,
    cols: "ab",
    second: "name0",
    from_macro: "a",
    width: 2,
  });
});

Deno.test("a column run_query()'s result lacks, by a row's name or columns', errors naming it, the columns and the line", async () => {
  for (
    const [code, what] of [
      ["r.rows[0]['nmae']", "a row"],
      ["r.columns['nmae'].values()", "the columns"],
    ]
  ) {
    await using p = await tempProject({
      ...FILES,
      "models/typo.sql": `{% if execute %}
{% set r = run_query("select 1 as id, 'a' as name") %}
{% set x = ${code} %}
{% endif %}
select 1 as x`,
    });
    const r = await runCli(["--project", p.root, "build", "-s", "typo"]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(
      r.stdout + r.stderr,
      new RegExp(
        `models/typo\\.sql:3: .*No column "nmae" in ${what} of run_query\\(\\)'s result: its columns are "id", "name"`,
      ),
    );
  }
});

Deno.test("run_query()'s table iterates and counts its rows, and a row reads its columns as attributes and by agate's methods", async () => {
  await using p = await tempProject({
    ...FILES,
    "macros/label.sql": `{% macro label(row) %}{{ return(row.name ~ row.id) }}{% endmacro %}`,
    "models/agate_rows.sql": `{% if execute %}
{% set r = run_query("select 1 as id, 'a' as name union all select 2, 'b' order by id") %}
{% set ns = namespace(names=[], items=[], later=[]) %}
{% for row in r %}{% set ns.names = ns.names + [row.name ~ row.id, label(row)] %}{% endfor %}
{% for k, v in r.rows[0].items() %}{% set ns.items = ns.items + [k ~ '=' ~ v] %}{% endfor %}
{% for row in run_query("select 'w' as name union all select 'x'") %}{% set ns.later = ns.later + [row.name] %}{% endfor %}
{% set counts = [r | length, r | count, r | list | length, run_query("select 1 union all select 2 union all select 3") | length] %}
{% set keys = r.rows[0].keys() | join(',') %}
{% set vals = r.rows[1].values() | join(',') %}
{% set d = r.rows[1].dict()['name'] ~ r.rows[1].dict() | length %}
{% set g = r.rows[0].get('name') ~ r.rows[0].get('nope', 'x') ~ r.rows[0].get(0) %}
{% set called = run_query("select 'z' as name").rows[0]['name'] ~ run_query("select 'y' as name").rows[0].name %}
{% else %}
{% set ns = namespace(names=[], items=[], later=[]) %}
{% set counts = [] %}{% set keys = '' %}{% set vals = '' %}{% set d = '' %}{% set g = '' %}{% set called = '' %}
{% endif %}
select '{{ ns.names | join(",") }}' as names, '{{ ns.items | join(",") }}' as items,
  '{{ ns.later | join(",") }}' as later, '{{ counts | join(",") }}' as counts, '{{ keys }}' as keys,
  '{{ vals }}' as vals, '{{ d }}' as d, '{{ g }}' as g, '{{ called }}' as called`,
  });
  const r = await runCli(["--project", p.root, "build", "-s", "agate_rows"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const [row] = await queryRows(join(p.root, "dev.duckdb"), "select * from main.agate_rows");
  assert.deepEqual(row, {
    names: "a1,a1,b2,b2",
    items: "id=1,name=a",
    later: "w,x",
    counts: "2,2,2,3",
    keys: "id,name",
    vals: "2,b",
    d: "b2",
    g: "ax1",
    called: "zy",
  });
});

Deno.test("ordinary attributes, loops and lengths read as before, with run_query() in the model or not", async () => {
  const body = `{% set cols = [{'name': 'a'}, {'name': 'b'}] %}
{% set pairs = [[1, 2], [3, 4]] %}
select '{% for c in cols %}{{ c.name }}{% endfor %}' as names, {{ pairs | length }} as n,
  '{{ target.name }}' as target_name, '{{ this.schema }}' as schema_name,
  '{{ config.get("materialized") }}' as materialized,
  '{% for p in pairs %}{{ p.name }}{{ p[1] }}{% endfor %}' as seconds`;
  await using p = await tempProject({
    ...FILES,
    "models/plain.sql": body,
    "models/reads.sql":
      `{% if execute %}{% set r = run_query("select 1 as name") %}{% endif %}\n${body}`,
  });
  const r = await runCli(["--project", p.root, "build", "-s", "plain", "reads"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  for (const model of ["plain", "reads"]) {
    const [row] = await queryRows(join(p.root, "dev.duckdb"), `select * from main.${model}`);
    assert.deepEqual({ ...row, n: Number(row!.n) }, {
      names: "ab",
      n: 2,
      target_name: "dev",
      schema_name: "main",
      materialized: "table",
      seconds: "24",
    });
  }
});

Deno.test("what wharf cannot read of run_query()'s result errors naming it and the line, never ''", async () => {
  for (
    const [code, message] of [
      [
        "r.rows[0].nmae",
        `No column "nmae" in a row of run_query\\(\\)'s result: its columns are "id", "name"`,
      ],
      ["r.print_table()", `"print_table\\(\\)" of a query's result is not supported by wharf`],
      [
        "l.keys()",
        `"keys\\(\\)" is a method of a row of run_query\\(\\)'s result, and this is a list that is no such row`,
      ],
      [
        "run_query('select 1 as n').rows[0]['n'] if true else 0",
        `run_query\\('select 1 as n'\\)\\.rows\\[0\\]\\['n'\\]: wharf reads a column of run_query\\(\\)'s result by name \\(or its rows\\) where it can set the result first, and cannot here .*set it first \\(\\{% set result = run_query\\(…\\) %\\}\\)`,
      ],
    ]
  ) {
    await using p = await tempProject({
      ...FILES,
      "models/unread.sql": `{% if execute %}
{% set r = run_query("select 1 as id, 'a' as name") %}{% set l = [1, 2] %}
{% set x = ${code} %}
{% endif %}
select 1 as x`,
    });
    const r = await runCli(["--project", p.root, "build", "-s", "unread"]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout + r.stderr, new RegExp(`models/unread\\.sql:3: .*${message}`));
  }
});

Deno.test("a row of run_query()'s result kept in a namespace, a dict or a variable reads its columns by name", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/kept.sql": `{% if execute %}
{% set results = run_query("select 1 as id, 'a' as name union all select 2, 'b' order by id") %}
{% set ns = namespace(row=none, rows=[]) %}
{% for r in run_query("select 1 as id, 'a' as name") %}{% set ns.row = r %}{% endfor %}
{% set first = results.rows[0] %}
{% set d = {'r': results.rows[1], 'rows': results.rows} %}
{% set kept = [ns.row.name, ns.row['name'], ns.row.get('id'), ns.row.keys() | join('+'), first['name'], first.name, d.r.name, d['r'].name, d.r['id'], d.r.values() | join('+'), d.rows[1].name] %}
{% else %}{% set kept = [] %}{% endif %}
select '{{ kept | join(",") }}' as kept`,
  });
  const r = await runCli(["--project", p.root, "build", "-s", "kept"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const [row] = await queryRows(join(p.root, "dev.duckdb"), "select * from main.kept");
  assert.equal(row!.kept, "a,a,1,id+name,a,a,b,b,2,2+b,b");
});

Deno.test("membership tests of run_query()'s result are agate's: a table holds its rows, a row and a column their values", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/member.sql": `{% if execute %}
{% set results = run_query("select 1 as id, 'a' as name union all select 2, 'b' order by id") %}
{% set tests = ['name' in results.column_names, 'nope' in results.column_names,
  'a' in results.columns['name'].values(), 'c' in results.columns['name'].values(),
  [1, 'a'] in results, [1, 'b'] in results, 'rows' in results, 'column_names' not in results,
  'a' in results.rows[0], 'name' in results.rows[0], [2, 'b'] in results.rows] %}
{% else %}{% set tests = [] %}{% endif %}
select '{{ tests | join(",") }}' as tests`,
  });
  const r = await runCli(["--project", p.root, "build", "-s", "member"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const [row] = await queryRows(join(p.root, "dev.duckdb"), "select * from main.member");
  assert.equal(row!.tests, "True,False,True,False,True,False,False,True,True,False,True");
});

Deno.test("filters that read an attribute of run_query()'s rows read the column of that name", async () => {
  await using p = await tempProject({
    ...FILES,
    "models/filtered.sql": `{% if execute %}
{% set results = run_query("select 1 as id, 'a' as name union all select 2, 'b' union all select 3, 'a' order by id") %}
{% set called = run_query("select 'x' as name") | map(attribute='name') | join('+') %}
{% set out = [
  results.rows | map(attribute='name') | join('+'),
  results | map(attribute='id') | join('+'),
  results | selectattr('name', 'eq', 'a') | map(attribute='id') | join('+'),
  results.rows | rejectattr('name', 'eq', 'a') | map(attribute='id') | join('+'),
  results | sort(attribute='name') | map(attribute='id') | join('+'),
  results | unique(attribute='name') | length,
  results.rows | reverse | map(attribute='id') | join('+'),
  called,
  results.columns['id'].values() | sum,
  results.rows | list | length,
  [{'name': 'm'}] | map(attribute='name') | join('+'),
] %}
{% set ns = namespace(groups=[]) %}
{% for name, rows in results | groupby('name') %}{% set ns.groups = ns.groups + [name ~ (rows | length)] %}{% endfor %}
{% else %}{% set out = [] %}{% set ns = namespace(groups=[]) %}{% endif %}
select '{{ out | join(",") }}' as out, '{{ ns.groups | join(",") }}' as groups`,
  });
  const r = await runCli(["--project", p.root, "build", "-s", "filtered"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const [row] = await queryRows(join(p.root, "dev.duckdb"), "select * from main.filtered");
  assert.deepEqual(row, { out: "a+b+a,1+2+3,1+3,2,1+3+2,2,3+2+1,x,6,3,m", groups: "a2,b1" });
});

Deno.test("what wharf cannot give of run_query()'s table through a filter errors naming it and the line", async () => {
  for (
    const [code, message] of [
      [
        "r | tojson",
        `Cannot write run_query\\(\\)'s table as JSON \\("r \\| tojson"\\): a table is no JSON value, as agate's is none in dbt: write "r\\.rows \\| map\\('list'\\) \\| list \\| tojson" for its rows' values`,
      ],
      [
        "tojson(r)",
        `Cannot write run_query\\(\\)'s table as JSON \\(tojson\\(…\\)\\): .*write tojson\\(result\\.rows \\| map\\('list'\\) \\| list\\)`,
      ],
      [
        "r.rows | map(attribute='nmae') | list",
        `No column "nmae" in a row of run_query\\(\\)'s result: its columns are "id", "name"`,
      ],
    ]
  ) {
    await using p = await tempProject({
      ...FILES,
      "models/unfiltered.sql": `{% if execute %}
{% set r = run_query("select 1 as id, 'a' as name") %}
{% set x = ${code} %}
{% endif %}
select 1 as x`,
    });
    const r = await runCli(["--project", p.root, "build", "-s", "unfiltered"]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout + r.stderr, new RegExp(`models/unfiltered\\.sql:3: .*${message}`));
  }
});
