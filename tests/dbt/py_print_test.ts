/**
 * Values print as dbt's Jinja (Jinja2, Python) prints them: a tuple as a
 * tuple (`where status in {{ statuses }}` is SQL's list), `None`, `True`,
 * Python's floats, reprs inside lists and mappings, Python's `round`; and
 * what wharf cannot print as Python does is an error naming it.
 */
import assert from "node:assert/strict";
import { DbtJinja } from "../../src/engine/dbt/dbt_jinja.ts";
import { runCli, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

Deno.test("a tuple prints as Python's: `where status in {{ statuses }}` selects the rows of those statuses", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nvars:\n  flag: true\n  kinds: [a, b]\n  ratio: 1.0e+20\n",
    "macros/among.sql":
      "{% macro among(column, values=('paid', 'pending')) %}{{ column }} in {{ values }}{% endmacro %}",
    // Columns named like the statuses: printed as ["paid", "pending"] (minijinja), they were read
    // as those columns, and the query gave other rows.
    "models/orders.sql": `{% set statuses = ('paid', 'pending') %}
select order_id from (values
  (1, 'paid', 'refunded', 'x'), (2, 'pending', 'x', 'x'), (3, 'refunded', 'refunded', 'x'),
  (4, 'paid', 'x', 'x')
) t(order_id, status, paid, pending)
where status in {{ statuses }}
order by order_id
`,
    "models/among.sql":
      `select order_id from {{ ref('orders') }} where {{ among('order_id', (1, 4)) }}
  and {{ among("'paid'") }}
`,
    "models/printed.sql":
      `select '{{ var("flag") }}' as flag, '{{ var("missing", none) }}' as missing,
  {{ var("kinds") }} as kinds, '{{ var("ratio") }}' as ratio, {{ 2.675 | round(2) }} as r
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await query(p.db, "select * from main.orders"), [
    { order_id: 1 },
    { order_id: 2 },
    { order_id: 4 },
  ]);
  assert.deepEqual(await query(p.db, "select * from main.among"), [{ order_id: 1 }, {
    order_id: 4,
  }]);
  // A YAML list is a Python list: `['a', 'b']`, DuckDB's list literal.
  assert.deepEqual(await query(p.db, "select * from main.printed"), [
    { flag: "True", missing: "None", kinds: ["a", "b"], ratio: "1e+20", r: "2.67" },
  ]);
  const compiled = await Deno.readTextFile(
    `${p.root}/target/compiled/shop/models/orders.sql`,
  );
  assert.match(compiled, /where status in \('paid', 'pending'\)\n/);
});

Deno.test("values print as Python 3's str() prints them (Jinja2's {{ }}, ~, | string, | join)", () => {
  const jinja = new DbtJinja("shop", []);
  // Each expected text is what Python 3's str() gives (Jinja2 3.1 prints so).
  const table: [string, string][] = [
    ["none", "None"],
    ["true", "True"],
    ["false", "False"],
    ["undefined_name", ""],
    ["3", "3"],
    ["3.0", "3.0"],
    ["-0.0", "-0.0"],
    ["1e20", "1e+20"],
    ["1e16", "1e+16"],
    ["1e15", "1000000000000000.0"],
    ["0.1 + 0.2", "0.30000000000000004"],
    ["0.0001", "0.0001"],
    ["0.00001", "1e-05"],
    ["1.5e-10", "1.5e-10"],
    ["-1e100", "-1e+100"],
    ["4 / 2", "2.0"],
    ["'inf' | float", "inf"],
    ["-('inf' | float)", "-inf"],
    ["'nan' | float", "nan"],
    ["'paid'", "paid"],
    ["('paid', 'pending')", "('paid', 'pending')"],
    ["['paid', 'pending']", "['paid', 'pending']"],
    ["('x',)", "('x',)"],
    ["()", "()"],
    ["(1, (2.0, none), [true])", "(1, (2.0, None), [True])"],
    ["[1, [2.0, none], {'k': (1,)}]", "[1, [2.0, None], {'k': (1,)}]"],
    ["{'a': 1}", "{'a': 1}"],
    // A mapping prints its keys in the order written (minijinja keeps them sorted).
    ["{'b': 2, 'a': (1, 'x')}", "{'b': 2, 'a': (1, 'x')}"],
    ["[{'zeta': none, 'alpha': true}]", "[{'zeta': None, 'alpha': True}]"],
    // items() gives tuples.
    ["{'b': 2, 'a': 1}.items() | list", "[('b', 2), ('a', 1)]"],
    [
      `["it's", 'say "hi"', "both ' \\"", 'back\\\\slash', 'tab\\tnl\\n', 'é', '\\x07']`,
      `["it's", 'say "hi"', 'both \\' "', 'back\\\\slash', 'tab\\tnl\\n', 'é', '\\x07']`,
    ],
    ["'x' ~ none", "xNone"],
    ["'x' ~ [1]", "x[1]"],
    ["'x' ~ true", "xTrue"],
    ["'x' ~ 1e20", "x1e+20"],
    ["'x' ~ ('a', \"b'c\")", `x('a', "b'c")`],
    ["-1 ~ 'a'", "-1a"],
    ["'a' ~ 1 * 2.0", "a2.0"],
    ["undefined_name ~ 'y'", "y"],
    ["none | string", "None"],
    ["1e20 | string", "1e+20"],
    ["[1, 'a'] | string", "[1, 'a']"],
    ["(none | string).lower()", "none"],
    ["[1, none, 2.0] | join(', ')", "1, None, 2.0"],
    ["('a', 'b') | join(',')", "a,b"],
    ["2.675 | round(2)", "2.67"],
    ["0.125 | round(2)", "0.12"],
    ["2.5 | round", "2.0"],
    ["-2.5 | round", "-2.0"],
    ["3 | round", "3"],
    ["1234 | round(-2)", "1200"],
    ["1250.0 | round(-2)", "1200.0"],
    ["3 | round(method='ceil')", "3.0"],
    ["2.5 | round(method='floor')", "2.0"],
    ["2.4 | round(1, 'ceil')", "2.4"],
    ["(2.5 | round) is float", "True"],
    ["(3 | round) + 1", "4"],
    ["3.9 | int", "3"],
    ["3 | float", "3.0"],
    ["'1e3' | float", "1000.0"],
    ["true | int", "1"],
    ["none | int", "0"],
  ];
  for (const [expr, python] of table) {
    assert.equal(jinja.render("models/x.sql", `{{ ${expr} }}`, {}).text, python, expr);
  }
  // A list printed by a macro, and a tuple in a statement, print alike.
  const out = jinja.render(
    "models/x.sql",
    "{% set t = ('a', 1.5) %}{% set s = 'in ' ~ t %}{{ s }} {{ t[1] }} {% for v in t %}{{ v }};{% endfor %}",
    {},
  );
  assert.equal(out.text, "in ('a', 1.5) 1.5 a;1.5;");
});

Deno.test("what wharf cannot print as dbt does is an error naming it", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "models/x.sql": "select 1 as id -- {{ [this] }}\n",
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /models\/x\.sql: .*a relation value \(.*"x"\) inside a list or mapping cannot be printed as dbt prints it \(Python's repr\): print the value itself/,
  );
  const jinja = new DbtJinja("shop", []);
  assert.throws(
    () => jinja.render("models/y.sql", "{{ 2.5 | round(method='up') }}", {}),
    /round\(method="up"\): method must be common, ceil or floor/,
  );
  assert.throws(
    () => jinja.render("models/y.sql", "\n{{ 'x' | round }}", {}),
    (err: Error & { line?: number }) =>
      /round\(\) takes a number, not 'x'/.test(err.message) && err.line === 2,
  );
});

Deno.test("a test argument rendered from a tuple or a Python float reads back as dbt's native rendering reads it", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "models/orders.sql":
      "select * from (values (1, 'paid', 5), (2, 'pending', 7)) t(order_id, status, n)",
    "models/orders.yml": `version: 2
models:
  - name: orders
    columns:
      - name: status
        data_tests:
          - accepted_values:
              values: "{{ ('paid', 'pending') }}"
      - name: n
        data_tests:
          - accepted_values:
              values: "{{ [5, 7] }}"
              quote: false
              config:
                where: "n < {{ 1e20 }}"
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2 passed, 0 warned, 0 failed, 0 errored/);
});
