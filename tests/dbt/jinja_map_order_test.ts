/**
 * A mapping in wharf's Jinja iterates in the order it was written, as
 * Jinja2's (Python's dicts) do, though minijinja keeps its keys sorted:
 * YAML order for vars, config and meta, literal order for `{…}` and
 * `dict(k=v)`, text order for `fromjson()`; where the order cannot be
 * known, iterating is an error naming the line, never another order.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { DbtJinja } from "../../src/engine/dbt/dbt_jinja.ts";
import { queryRows, runCli, SHOP_PROFILE, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

Deno.test("a mapping from vars iterates in YAML order: each claim lands in the band dbt gives it", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
vars:
  cost_bands:
    high: 'paid_amount > 1000'
    mid: 'paid_amount > 50'
    low: 'true'
`,
    "models/banded.sql": `select claim_id,
  case {% for name in var('cost_bands') %}when {{ var('cost_bands')[name] }} then '{{ name }}' {% endfor %}end as band,
  case {% for name, cond in var('cost_bands').items() %}when {{ cond }} then '{{ name }}' {% endfor %}end as band_items
from (values (1, 1500.00), (2, 90.00), (3, 10.00)) t(claim_id, paid_amount)`,
  });
  const config = await loadConfig(p.root);
  assert.equal((await runProject("run", config)).ok, true);
  assert.deepEqual(
    await query(config.warehouse, "select claim_id, band, band_items from main.banded order by 1"),
    [
      { claim_id: 1, band: "high", band_items: "high" },
      { claim_id: 2, band: "mid", band_items: "mid" },
      { claim_id: 3, band: "low", band_items: "low" },
    ],
  );
});

Deno.test("dict literals, dict(), nested vars, fromjson(), a macro's dict and tojson() keep the written order", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
vars:
  outer:
    zeta: {b: 1, a: 2}
    alpha: 0
`,
    "macros/bands.sql":
      `{% macro bands() %}{{ return({'high': 3, 'mid': 2, 'low': 1}) }}{% endmacro %}`,
    "models/orders.sql": `{% set d = {'high': 3, 'mid': 2, 'low': 1} %}
select
  '{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}' as items,
  '{{ d.keys() | join(",") }}' as keys,
  '{{ d.values() | join(",") }}' as vals,
  '{% for k in d %}{{ loop.index }}{{ k }} {% endfor %}' as loop_keys,
  '{{ (d | list)[0] }} {{ d | first }} {{ d | last }}' as list_first_last,
  '{{ d | join(",") }}' as joined,
  '{{ dict(b=1, a=2) | join(",") }}' as dict_call,
  '{{ var("outer") | join(",") }} {{ var("outer")["zeta"] | join(",") }}' as nested,
  '{{ fromjson('{"b": 1, "a": 2}') | join(",") }}' as from_json,
  '{{ bands() | join(",") }}' as macro_dict,
  '{{ tojson(d) }}' as to_json,
  '{{ d | tojson }}' as tojson_filter,
  '{{ d | dictsort | map("first") | join(",") }}' as sorted`,
  });
  const config = await loadConfig(p.root);
  assert.equal((await runProject("run", config)).ok, true);
  assert.deepEqual(await query(config.warehouse, "select * from main.orders"), [{
    items: "high=3;mid=2;low=1;",
    keys: "high,mid,low",
    vals: "3,2,1",
    loop_keys: "1high 2mid 3low ",
    list_first_last: "high high low",
    joined: "high,mid,low",
    dict_call: "b,a",
    nested: "zeta,alpha b,a",
    from_json: "b,a",
    macro_dict: "high,mid,low",
    // dbt's tojson() is json.dumps (insertion order); Jinja2's tojson filter sorts its keys.
    // Both write as Python's json.dumps: ", " and ": ".
    to_json: '{"high": 3, "mid": 2, "low": 1}',
    tojson_filter: '{"high": 3, "low": 1, "mid": 2}',
    sorted: "high,low,mid",
  }]);
});

Deno.test("a mapping whose written order wharf cannot know is an error naming the line, not sorted keys", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "models/ambiguous.sql": `{% set a = {'x': 1, 'y': 2} %}
{% set b = {'y': 1, 'x': 2} %}
select '{% for k in b %}{{ k }}{% endfor %}' as k`,
  });
  const out = await runCli(["--project", p.root, "compile", "-s", "ambiguous"]);
  assert.equal(out.code, 2, out.stderr);
  assert.match(out.stderr, /models\/ambiguous\.sql:3/);
  assert.match(
    out.stderr,
    /the mapping with keys "x", "y" is written in more than one order \("x", "y" and "y", "x"\)/,
  );
  assert.match(out.stderr, /\{% for k in \['x', 'y'\] %\} … m\[k\]/);
});

Deno.test("iterating a mapping of unknown order in a macro names the macro's file and line", () => {
  const jinja = new DbtJinja("shop", [{
    path: "macros/m.sql",
    text: `{% macro keys_of(m) %}
  {%- for k in m %}{{ k }}{% endfor -%}
{% endmacro %}`,
  }]);
  // A mapping a JavaScript value holds with keys in an order JavaScript decides ("10" before "b").
  assert.throws(
    () => jinja.render("models/a.sql", "{{ keys_of(m) }}", { m: { b: 1, "10": 2 } }),
    (err: Error) => {
      assert.match(err.message, /cannot know the order of the mapping with keys "10", "b"/);
      assert.match(err.message, /\(in a macro, macros\/m\.sql:2\)/);
      return true;
    },
  );
});

Deno.test("a run_query() row's dict() iterates in the columns' order", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nprofile: shop\n",
    "profiles.yml": SHOP_PROFILE,
    "models/row_dict.sql": `{% if execute %}
{% set row = run_query("select 2 as zeta, 1 as alpha").rows[0] %}
{% set keys = row.dict() | join(',') %}
{% else %}{% set keys = '' %}{% endif %}
select '{{ keys }}' as keys`,
  });
  const r = await runCli(["--project", p.root, "build", "-s", "row_dict"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(await queryRows(join(p.root, "dev.duckdb"), "select keys from main.row_dict"), [{
    keys: "zeta,alpha",
  }]);
});
