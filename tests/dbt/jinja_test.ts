/**
 * dbt's Jinja context as wharf renders it (minijinja): dbt's cross-database
 * macros give the right answers on DuckDB, and `this`, `model`, `target`,
 * `var`, `env_var`, `is_incremental()`, `run_started_at`, `invocation_id`,
 * `modules.datetime`, `return()` and `adapter.dispatch` behave as in dbt.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { previewNode } from "../../src/engine/run/preview.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { rewriteJinja } from "../../src/engine/dbt/rewrite_jinja.ts";
import { DbtJinja } from "../../src/engine/dbt/dbt_jinja.ts";
import { runCli, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

Deno.test("dbt's cross-database macros give DuckDB's answers", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "models/x.sql": `select
  {{ dbt.dateadd('day', 3, "date '2024-01-30'") }} as d_add,
  {{ dbt.datediff("date '2024-01-31'", "date '2024-03-01'", 'month') }} as d_diff,
  {{ dbt.date_trunc('month', "date '2024-02-17'") }} as d_trunc,
  {{ dbt.last_day("date '2024-02-17'", 'month') }} as d_last,
  cast('42' as {{ dbt.type_int() }}) as i,
  cast('x' as {{ type_string() }}) as s,
  {{ dbt.safe_cast("'abc'", dbt.type_int()) }} as bad_int,
  {{ dbt.concat(["'a'", "null", "'b'"]) }} as ab,
  {{ dbt.hash("'x'") }} as h,
  {{ dbt.split_part("'a-b-c'", "'-'", 2) }} as part,
  {{ dbt.current_timestamp() }} is not null as has_now,
  (select {{ dbt.listagg('v', "', '", "order by v") }} from (values ('b'), ('a')) t(v)) as agg,
  {{ dbt.position("'c'", "'abc'") }} as pos,
  {{ dbt.right("'abcdef'", 2) }} as r,
  {{ dbt.string_literal("it's") }} as lit,
  '{{ dbt.escape_single_quotes("it's") }}' as esc,
  {{ dbt.replace("'aXa'", "'X'", "'-'") }} as rep,
  {{ dbt.length("'four'") }} as len,
  {{ dbt.cast("'7'", dbt.type_bigint()) }} + cast('0.5' as {{ dbt.type_float() }}) as num,
  cast('1.25' as {{ dbt.type_numeric() }}) as dec,
  cast('2024-01-01 10:00:00' as {{ dbt.type_timestamp() }}) = timestamp '2024-01-01 10:00:00' as ts,
  cast('true' as {{ dbt.type_boolean() }}) as b,
  {{ dbt.cast_bool_to_text('true') }} as bt,
  (select {{ dbt.any_value('v') }} from (values (1)) t(v)) as anyv,
  (select {{ dbt.bool_or('v') }} from (values (true), (false)) t(v)) as boolor,
  (select count(*) from (select 1 {{ dbt.except() }} select 2)) as exc,
  (select count(*) from (select 1 {{ dbt.intersect() }} select 1)) as inter,
  {{ dbt.array_concat(dbt.array_append(dbt.array_construct(['1', '2']), '3'), '[4]') }} as arr,
  '{{ tojson({'a': [1, 2]}) }}' as json_text,
  '{{ {"b": "<é>", "a": 1} | tojson }}' as json_filter,
  {{ fromjson('{"k": 3}')['k'] }} as from_json,
  {{ adapter.quote('Mixed Case') }} is null as quoted,
  '{{ generate_schema_name_for_env('custom', none) }}' as env_schema,
  {{ execute }} as executing,
  '{{ config.get('materialized', 'view') }}' as materialized
  {{- exceptions.warn('just a warning') }}
from (select null as "Mixed Case")`,
  });
  const config = await loadConfig(p.root);
  assert.equal((await runProject("run", config)).ok, true);
  const { result } = await previewNode(config, "x", { db: config.warehouse, limit: 1 });
  const row = result.rows[0]!;
  assert.deepEqual({ ...row, d_add: String(row.d_add), d_trunc: String(row.d_trunc) }, {
    d_add: "2024-02-02 00:00:00",
    d_diff: "2",
    d_trunc: "2024-02-01 00:00:00",
    d_last: "2024-02-29",
    i: 42,
    s: "x",
    bad_int: null,
    ab: "ab",
    h: "9dd4e461268c8034f5c8564e155c67a6",
    part: "b",
    has_now: true,
    agg: "a, b",
    pos: "3",
    r: "ef",
    lit: "it's",
    esc: "it's",
    rep: "a-a",
    len: "4",
    num: 7.5,
    dec: "1.250000",
    ts: true,
    b: true,
    bt: "true",
    anyv: 1,
    boolor: true,
    exc: "1",
    inter: "1",
    arr: [1, 2, 3, 4],
    json_text: '{"a": [1, 2]}',
    // Jinja2's filter: sorted keys, HTML's characters and non-ASCII escaped, as Python writes them.
    json_filter: '{"a": 1, "b": "\\u003c\\u00e9\\u003e"}',
    from_json: 3,
    quoted: true,
    env_schema: "main",
    executing: true,
    materialized: "view",
  });
});

Deno.test("this, model, target, var, env_var, is_incremental(), run_started_at, invocation_id and modules.datetime", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nvars:\n  n: 5\n  shop:\n    label: mine\n",
    "models/marts/x.sql": `{{ config(schema='reports') }}
select
  '{{ this }}' as this_rel,
  '{{ this.schema }}.{{ this.identifier }}' as this_parts,
  '{{ model.name }}' as model_name,
  '{{ target.name }}/{{ target.schema }}/{{ target.type }}' as target,
  {{ var('n') }} + {{ var('absent', 10) }} as n,
  '{{ var('label') }}' as label,
  '{{ env_var("WHARF_DBT_TEST_UNSET", "fallback") }}' as env,
  {{ 'true' if is_incremental() else 'false' }} as incremental,
  '{{ run_started_at.strftime("%Y") }}' = strftime(now(), '%Y') as started_this_year,
  length('{{ invocation_id }}') as id_length,
  '{{ modules.datetime.date.today().strftime("%Y-%m-%d") }}'::date = current_date as today
{{ log('rendered ' ~ this) }}`,
  });
  const config = await loadConfig(p.root);
  const summary = await runProject("run", config, { vars: { n: "6" } });
  assert.equal(summary.ok, true, JSON.stringify(summary.results));
  const { id, result } = await previewNode(config, "x", { db: config.warehouse, limit: 1 });
  assert.equal(id, "main_reports.x");
  // The preview renders without --vars; the build had n=6.
  assert.equal(result.rows[0]!.n, 15);
  const wh = await openWarehouse(config.warehouse, { readOnly: true });
  const [built] = await wh.query("select * from main_reports.x").finally(() => wh.close());
  assert.deepEqual(built, {
    this_rel: '"main_reports"."x"',
    this_parts: "main_reports.x",
    model_name: "x",
    target: "default/main/duckdb",
    n: 16,
    label: "mine",
    env: "fallback",
    incremental: false,
    started_this_year: true,
    id_length: "36",
    today: true,
  });
});

Deno.test("return() hands a macro's value to its caller, and adapter.dispatch finds duckdb__ before default__", () => {
  const jinja = new DbtJinja("shop", [{
    path: "macros/m.sql",
    text:
      `{% macro columns() %}{% if true %}{{ return(['a', 'b']) }}{% endif %}{{ return(['never']) }}{% endmacro %}
{% macro quoted(x) %}{{ return(adapter.dispatch('quoted', 'shop')(x)) }}{% endmacro %}
{% macro default__quoted(x) %}'{{ x }}'{% endmacro %}
{% macro duckdb__quoted(x) %}"{{ x }}"{% endmacro %}
{% macro only_default(x) %}{{ adapter.dispatch('only_default')(x) }}{% endmacro %}
{% macro default__only_default(x) %}<{{ x }}>{% endmacro %}`,
  }]);
  assert.deepEqual(jinja.issues, []);
  const out = jinja.render(
    "models/a.sql",
    "{% for c in columns() %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}\n{{ quoted('q') }} {{ only_default(1) }}",
    {},
  );
  assert.deepEqual(out, { text: 'a, b\n"q" <1>', sourceLines: [1, 2] });
});

Deno.test("return() hands back a mapping whole: its keys, its values, mappings inside lists and mappings", () => {
  const jinja = new DbtJinja("shop", [{
    path: "macros/m.sql",
    text: `{% macro rates() %}{{ return({'GOLD': 0.1, 'SILVER': {'cap': 2}}) }}{% endmacro %}
{% macro plans() %}{{ return([{'code': 'A'}, {'code': 'B'}]) }}{% endmacro %}`,
  }]);
  assert.deepEqual(jinja.issues, []);
  const out = jinja.render(
    "models/a.sql",
    "{{ rates()['GOLD'] }} {{ rates().SILVER.cap }} {{ rates() | length }}\n{% for p in plans() %}{{ p.code }}{% endfor %}",
    {},
  );
  assert.deepEqual(out, { text: "0.1 2 2\nAB", sourceLines: [1, 2] });
});

Deno.test("adapter.dispatch that finds nothing, called in a macro, names the macro's file and line", () => {
  const jinja = new DbtJinja("shop", [{
    path: "macros/m.sql",
    text: `{% macro money(x) %}
  {{ return(adapter.dispatch('money', 'shop')(x)) }}
{% endmacro %}
{% macro default__mony(x) %}{{ x }}{% endmacro %}`,
  }]);
  assert.throws(
    () => jinja.render("models/a.sql", "select\n  {{ money(1) }} as m", {}),
    (err: Error & { line?: number }) => {
      assert.equal(
        err.message,
        'adapter.dispatch("money", "shop") found no macro "duckdb__money" or "default__money" in the project (shop) (did you mean "default__mony"?) (in a macro, macros/m.sql:2)',
      );
      return true;
    },
  );
});

Deno.test("a problem in a macro names the line of the macro the template calls, not the first like it in another file", () => {
  const jinja = new DbtJinja("shop", [
    {
      path: "macros/audit.sql",
      text: `{% macro audit() %}
  {{ boom() }}
{% endmacro %}`,
    },
    {
      path: "macros/grants.sql",
      text: `{% macro grant_all() %}
  select 1
  {{ boom() }}
{% endmacro %}
{% macro grants() %}{{ grant_all() }}{% endmacro %}`,
    },
  ]);
  assert.throws(
    () =>
      jinja.render("models/a.sql", "select 1\n{{ grants() }}", {
        // A function of the context that reports a problem where it is called (as run_query()).
        boom: () => {
          jinja.problem("boom() is not allowed here", /boom\(/);
          return "";
        },
      }),
    (err: Error) => {
      assert.equal(err.message, "boom() is not allowed here (in a macro, macros/grants.sql:3)");
      return true;
    },
  );
});

Deno.test("rendered lines map back to the lines of the file, through loops, ifs and macros", () => {
  const jinja = new DbtJinja("shop", [{
    path: "macros/m.sql",
    text: "{% macro three() %}1,\n2,\n3{% endmacro %}",
  }]);
  const out = jinja.render(
    "models/a.sql",
    "select\n{%- if false %}\nnope,\n{%- endif %}\n  {{ three() }},\n{% for i in [1, 2] %}\n  {{ i }} as c{{ i }},\n{% endfor %}\n  0 as z",
    {},
  );
  assert.equal(out.text, "select\n  1,\n2,\n3,\n\n  1 as c1,\n\n  2 as c2,\n\n  0 as z");
  assert.deepEqual(out.sourceLines, [1, 5, 5, 5, 6, 7, 8, 7, 8, 9]);
});

Deno.test("rewriteJinja() leaves text, comments, raw blocks and macro definitions alone", () => {
  const names = {
    project: new Set(["m"]),
    direct: new Set<string>(),
    dispatched: new Set(["dateadd"]),
  };
  const source =
    "m(1) {# m(2) #} {% raw %}{{ m(3) }}{% endraw %} {% macro m(x) %}{{ m(x) }}{% endmacro %} {{ 'm(4)' ~ dbt.dateadd('day', 1, 'x') }}";
  assert.equal(
    rewriteJinja(source, names).text,
    `m(1) {# m(2) #} {% raw %}{{ m(3) }}{% endraw %} {% macro m(x) %}{{ (__wharf_value(m(x))) | pprint | __wharf_str }}{% endmacro %} {{ 'm(4)' ~ (__wharf_value(__wharf_macros[__wharf_dispatch("dateadd", "dbt")]('day', 1, 'x')) | pprint | __wharf_str) }}`,
  );
});

Deno.test("a filter or test named as a dbt macro is Jinja's (x | replace(…) is the filter, not dbt's replace macro)", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "models/src.sql": "select 1 as id\n",
    "models/x.sql": `select '{{ "a-b" | replace("-", "_") }}' as f,
  '{{ "a-b" | upper | replace("-", "_") }}' as g,
  '{{ ref("src") | replace('"', '') }}' as r,
  '{{ this | upper }}' as u,
  '{{ (ref("src") | string).split(".") | length }}' as n,
  '{{ 6 is divisibleby(3) }}' as t,
  {{ replace("'aXa'", "'X'", "'-'") }} as m
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await query(p.db, "select * from main.x"), [
    // (A boolean prints as Python's: True.)
    { f: "a_b", g: "A_B", r: "main.src", u: '"MAIN"."X"', n: "2", t: "True", m: "a-a" },
  ]);
});

Deno.test("Jinja's format filter formats as Python's % does, and zip() pairs lists", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "models/x.sql": `{% set cols = ['a', 'b'] %}
select {% for c, v in zip(cols, [1, 2]) %}{{ v }} as {{ c }}, {% endfor %}
  '{{ "%s has %d rows (%.1f%%)" | format(this, 3, 7.25) }}' as f,
  '{{ "%05.2f|%-4s|%x" | format(2.675, "ab", 255) }}' as g
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await query(p.db, "select * from main.x"), [
    // (Python: 7.25 → 7.2, the tie to the even digit; 2.675 is 2.67499… as a double.)
    { a: 1, b: 2, f: '"main"."x" has 3 rows (7.2%)', g: "02.67|ab  |ff" },
  ]);
  await p.write("models/x.sql", `select '{{ "%s %s" | format(1) }}' as f\n`);
  const bad = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(bad.code, 2, bad.stdout);
  assert.match(bad.stderr, /format: not enough arguments for the format string/);
});

Deno.test("an inline if … else as a keyword argument's value, as Jinja takes it (minijinja needs it in parentheses)", () => {
  const jinja = new DbtJinja("shop", [{
    path: "macros/m.sql",
    text: "{% macro pick(kind='view', n=0) %}{{ kind }}/{{ n }}{% endmacro %}",
  }]);
  const out = jinja.render(
    "models/a.sql",
    "{{ pick(kind='table' if prod else 'view', n=(1 if prod else 2)) }} {{ pick(n=3 if not prod else 4) }}",
    { prod: true },
  );
  assert.equal(out.text, "table/1 view/4");
});
