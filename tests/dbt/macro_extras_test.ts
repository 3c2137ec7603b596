/**
 * Jinja's `kwargs` and `varargs` of a macro, and a `{% call(args) %}`
 * block whose macro calls `caller(x)`: as Jinja2 has them, in DbtJinja
 * renders and through `wharf run-operation --args`.
 */
import assert from "node:assert/strict";
import { DbtJinja } from "../../src/engine/dbt/dbt_jinja.ts";
import { runCli, SHOP_PROFILE, tempProject } from "../helpers.ts";

const jinja = new DbtJinja("shop", [{
  path: "macros/m.sql",
  text:
    `{% macro kw(a) %}{{ a }}|{% for k, v in kwargs.items() %}{{ k }}={{ v }};{% endfor %}{{ kwargs.get('d', 'no d') }}{% endmacro %}
{% macro va(a) -%}
{{ a }}|{{ varargs }}|{{ varargs | length }}
{%- endmacro %}
{% macro each(items) %}{% for i in items %}[{{ caller(i, loop.index) }}]{% endfor %}{% endmacro %}`,
}]);
const render = (text: string) => jinja.render("models/a.sql", text, {}).text;

Deno.test("a macro reading kwargs takes keyword arguments it does not name, in the order of the call", () => {
  assert.equal(render("{{ kw(1, c=3, b=2) }}"), "1|c=3;b=2;no d");
  assert.equal(render("{{ kw(a=1, d=4) }}"), "1|d=4;4");
  assert.equal(render("{{ kw(1) }}"), "1|no d");
});

Deno.test("a macro reading varargs takes positional arguments beyond its own, as a tuple", () => {
  assert.equal(render("{{ va(1, 2, 'x') }}"), "1|(2, 'x')|2");
  assert.equal(render("{{ va(1) }}"), "1|()|0");
});

Deno.test("a positional argument too many for a macro reading kwargs only is an error saying so", () => {
  assert.throws(
    () => render("{{ kw(1, 2) }}"),
    /too many positional arguments: a macro called here takes no more than it names/,
  );
});

Deno.test("{% call(v) m() %}: the macro's caller(x) hands its arguments to the block", () => {
  assert.equal(
    render("{% call(v, n) each(['a', 'b']) %}{{ n }}:{{ v }}{% endcall %}"),
    "[1:a][2:b]",
  );
});

Deno.test("run-operation --args gives a macro reading kwargs the arguments it does not name, a package's too", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\n",
    "profiles.yml": SHOP_PROFILE,
    "packages.yml": "packages:\n  - local: tools\n",
    "tools/dbt_project.yml": "name: tools\nconfig-version: 2\n",
    "tools/macros/kw.sql": `{% macro tool_op(a) %}
{{ log("tool a=" ~ a ~ " z=" ~ kwargs.z, info=True) }}
{% endmacro %}`,
    "macros/kw.sql": `{% macro kw_op(a) %}
{{ log("a=" ~ a ~ " b=" ~ kwargs['b'] ~ " c=" ~ kwargs.get('c', 'none'), info=True) }}
{% endmacro %}
{% macro va_op(a) %}{{ log("varargs: " ~ varargs, info=True) }}{% endmacro %}`,
  });
  const args = ["--project", p.root, "run-operation"];
  const r = await runCli([...args, "kw_op", "--args", "{a: 1, b: 2}"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(r.stdout, "a=1 b=2 c=none\n");
  const tool = await runCli([...args, "tools.tool_op", "--args", "{a: 1, z: 2}"]);
  assert.equal(tool.code, 0, tool.stderr + tool.stdout);
  assert.equal(tool.stdout, "tool a=1 z=2\n");
  const va = await runCli([...args, "va_op", "--args", "{a: 1}"]);
  assert.equal(va.code, 0, va.stderr + va.stdout);
  assert.equal(va.stdout, "varargs: ()\n");
});
