/**
 * Lists and mappings change in place in wharf's Jinja as in dbt's
 * (`{% do cols.append(c) %}`, `{% do d.update({…}) %}`), the change seen in
 * every scope that holds the variable (after a for-loop, an if, in a macro's
 * result), though minijinja's values cannot change; what wharf cannot
 * change so is an error naming the line and what to write instead.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { compileProject } from "../../src/engine/compile/compile_project.ts";
import { CompileError } from "../../src/engine/errors.ts";
import { DbtJinja } from "../../src/engine/dbt/dbt_jinja.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

const CLAIMS =
  "(values (7, 'm1', 10.5, 'paid', 'gold', 'x')) t(claim_id, member_id, paid_amount, status, plan, junk)";

Deno.test("a model builds its columns with append in a for-loop's if, extend, insert, remove, pop and a dict's update", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "models/claims.sql": `{%- set wanted = ['claim_id', 'junk', 'member_id', 'paid_amount'] -%}
{%- set cols = [] -%}
{%- for c in wanted -%}
  {%- if c != 'junk' -%}{%- do cols.append(c) -%}{%- endif -%}
{%- endfor -%}
{%- do cols.extend(['status', 'junk']) -%}
{%- do cols.insert(1, 'plan') -%}
{%- do cols.remove('member_id') -%}
{%- do cols.pop() -%}
{%- set moved = cols.pop(-2) -%}
{%- set renames = {'status': 'x'} -%}
{%- do renames.update({'status': 'claim_status'}) -%}
{%- do renames.update(plan='plan_name') -%}
{%- for c in ['claim_id'] -%}{%- do renames.update({c: 'id'}) -%}{%- endfor -%}
{%- set kept = renames.setdefault('status', 'ignored') -%}
{%- do renames.setdefault('member_id', 'member') -%}
select {% for c in cols %}{{ c }} as {{ renames[c] if c in renames else c }}, {% endfor -%}
  {{ moved }} * 2 as doubled_{{ moved }},
  '{{ renames | join(",") }}' as rename_order,
  '{% for k, v in renames.items() %}{{ k }}={{ v }};{% endfor %}' as rename_items,
  '{{ kept }}' as kept,
  {{ cols | length }} as n_cols
from ${CLAIMS}`,
  });
  const config = await loadConfig(p.root);
  const result = await runProject("run", config);
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.deepEqual(await query(config.warehouse, "select * from main.claims"), [{
    id: 7,
    plan_name: "gold",
    claim_status: "paid",
    doubled_paid_amount: "21.0",
    rename_order: "status,plan,claim_id,member_id",
    rename_items: "status=claim_status;plan=plan_name;claim_id=id;member_id=member;",
    kept: "claim_status",
    n_cols: 3,
  }]);
  assert.deepEqual(
    (await query(
      config.warehouse,
      "select column_name from information_schema.columns where table_name = 'claims' order by ordinal_position",
    )).map((r) => r.column_name),
    [
      "id",
      "plan_name",
      "claim_status",
      "doubled_paid_amount",
      "rename_order",
      "rename_items",
      "kept",
      "n_cols",
    ],
  );
});

Deno.test("a macro that appends in a loop, changes a copy of its parameter and updates a dict gives the changed values to the model", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "macros/columns.sql": `{% macro keep_columns(all, drop) %}
  {%- set kept = [] -%}
  {%- for c in all -%}{%- if c not in drop -%}{%- do kept.append(c) -%}{%- endif -%}{%- endfor -%}
  {{- kept | join(', ') -}}
{% endmacro %}

{% macro with_member(cols) %}
  {%- set cols = cols | list -%}
  {%- do cols.append('member_id') -%}
  {{- cols | join(', ') -}}
{% endmacro %}

{% macro positions(names) %}
  {%- set out = {} -%}
  {%- for n in names -%}{%- do out.update({n: loop.index}) -%}{%- endfor -%}
  {{ return(out) }}
{% endmacro %}`,
    "models/kept.sql": `select {{ keep_columns(['claim_id', 'junk', 'status'], ['junk']) }},
  {{ with_member(['plan']) }},
  '{% for k, v in positions(['zeta', 'alpha', 'mid']).items() %}{{ k }}{{ v }} {% endfor %}' as positions
from ${CLAIMS}`,
  });
  const config = await loadConfig(p.root);
  assert.equal((await runProject("run", config)).ok, true);
  assert.deepEqual(await query(config.warehouse, "select * from main.kept"), [{
    claim_id: 7,
    status: "paid",
    plan: "gold",
    member_id: "m1",
    positions: "zeta1 alpha2 mid3 ",
  }]);
});

/** The problems compiling the project at `root` reports, as `file:line: message`. */
async function problems(root: string): Promise<string[]> {
  try {
    await compileProject(await loadConfig(root), { sources: [] });
  } catch (err) {
    if (err instanceof CompileError) {
      return err.issues.map((i) => `${i.location.file}:${i.location.line ?? ""}: ${i.message}`);
    }
    throw err;
  }
  return [];
}

Deno.test("what wharf cannot change in place is an error naming the line and what to write instead", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "macros/add.sql": `{% macro add_col(cols) %}
  {%- do cols.append('x') -%}
{% endmacro %}`,
    "models/param.sql": "select 1 as x {{ add_col(['a']) }}",
    "models/loop_var.sql":
      "{% for l in [[1]] %}\n{% do l.append(2) %}\n{% endfor %}\nselect 1 as x",
    "models/attribute.sql":
      "{% set ns = namespace(items=[]) %}\n{% do ns.items.append(1) %}\nselect 1 as x",
    "models/item.sql": "{% set d = {'k': []} %}\n\n{% do d['k'].append(1) %}\nselect 1 as x",
    "models/expression.sql": "{% set l = [] %}\nselect 1 as x {{ l.append(1) }}",
    // The same once the variable is changed in place elsewhere (held in a namespace).
    "models/held_expression.sql":
      "{% set m = {} %}\n{% do m.update({'a': 1}) %}\nselect '{{ m.setdefault('q', 100) }}' as x",
    "models/alias.sql": "{% set a = [1] %}\n{% set b = a %}\n{% do b.append(2) %}\nselect 1 as x",
    "models/unset.sql": "{% do nothing_set.append(2) %}\nselect 1 as x",
    "models/empty_pop.sql": "{% set l = [] %}\n{% do l.pop() %}\nselect 1 as x",
    "models/missing.sql": "{% set l = [1] %}\n{% do l.remove(9) %}\nselect 1 as x",
    "models/missing_key.sql": "{% set d = {'a': 1} %}\n{% do d.pop('b') %}\nselect 1 as x",
  });
  const found = await problems(p.root);
  const expected: [string, RegExp][] = [
    [
      "models/param.sql::",
      /"cols\.append\(\)": "cols" is a parameter of macro add_col, .*copy it first \(\{% set cols = cols \| list %\}, or dict\(cols\).*\(in a macro, macros\/add\.sql:2\)/,
    ],
    ["models/loop_var.sql:2", /"l\.append\(\)": "l" is a loop variable/],
    [
      "models/attribute.sql:2",
      /"ns\.items\.append\(\)": wharf changes in place only a variable set with \{% set %\}.*\{% set ns\.items = ns\.items \+ \[…\] %\}/,
    ],
    ["models/item.sql:3", /"d\['k'\]\.append\(\)": wharf changes in place only a variable/],
    [
      "models/expression.sql:2",
      /"l\.append\(\)" is used as a value: .*\{% do l\.append\(…\) %\}/,
    ],
    [
      "models/held_expression.sql:3",
      /"m\.setdefault\(\)" is used as a value: .*\{% do m\.setdefault\(…\) %\}/,
    ],
    ["models/alias.sql:3", /"b" is set to "a".*\{% set b = a \| list %\}/],
    ["models/unset.sql:1", /"nothing_set" is not set with \{% set nothing_set = … %\}/],
    ["models/empty_pop.sql:2", /l\.pop\(\): pop from an empty list/],
    ["models/missing.sql:2", /l\.remove\(\): 9 is not in the list/],
    ["models/missing_key.sql:2", /d\.pop\(\): no key 'b' in the mapping, and no default/],
  ];
  for (const [at, message] of expected) {
    assert.ok(
      found.some((f) => f.startsWith(at.endsWith(":") ? `${at} ` : `${at}: `) && message.test(f)),
      `${at} ${message}\n${found.join("\n")}`,
    );
  }
});

Deno.test("changing a list of dbt's context is an error saying to change a copy", () => {
  const jinja = new DbtJinja("shop", []);
  assert.throws(
    () =>
      jinja.render("models/a.sql", "select 1\n{% do model.tags.append('b') %}", {
        model: { tags: ["a"] },
      }),
    (err: Error & { line?: number }) => {
      assert.equal(err.line, 2);
      assert.match(
        err.message,
        /"append\(\)" changes a list of dbt's context here, which wharf does not: .*set a copy of this one and change that/,
      );
      return true;
    },
  );
});

Deno.test("a macro defined in the file reads the changed list of the file, and one it sets itself is its own", () => {
  const jinja = new DbtJinja("shop", []);
  const text = `{% set cols = [] %}{% do cols.append('a') %}
{%- macro shown() %}{{ cols | join(',') }}{% endmacro %}
{%- macro own() %}{% set cols = ['x'] %}{% do cols.pop() %}{{ cols | length }}{% endmacro %}
{%- do cols.append('b') %}{{ shown() }} {{ own() }} {{ cols | join(',') }}`;
  assert.equal(jinja.render("models/a.sql", text, {}).text, "a,b 0 a,b");
});
