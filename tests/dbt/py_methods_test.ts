/**
 * Python's methods dbt projects call that minijinja's pycompat lacks:
 * `dict.get(key, default)`, `str.format()` and its format specs, `zfill()`,
 * `ljust()`/`rjust()`/`center()`, `partition()`, `casefold()`, `swapcase()`,
 * `removeprefix()`/`removesuffix()`, `index()` of text and lists.
 */
import assert from "node:assert/strict";
import { DbtJinja } from "../../src/engine/dbt/dbt_jinja.ts";

const jinja = new DbtJinja("shop", [{
  path: "macros/m.sql",
  text: `{% macro opts() %}{{ return({'a': 1}) }}{% endmacro %}
{% macro where_of(x) %}
  {{- x.index('z') -}}
{% endmacro %}`,
}]);
const render = (text: string, context: Record<string, unknown> = {}) =>
  jinja.render("models/a.sql", text, context).text;

Deno.test("dict.get(key, default) gives the key's value, else the default; a key set to none stays none", () => {
  assert.equal(
    render(
      "{% set m = {'a': 1, 'n': none} %}{{ m.get('a', 0) }}|{{ m.get('b', 'x') }}|{{ m.get('n', 5) }}|{{ m.get('a') }}|{{ opts().get('b', [2]) }}",
    ),
    "1|x|None|1|[2]",
  );
});

Deno.test("copy() of a mapping or a list is a copy that changes apart from the original", () => {
  assert.equal(
    render(
      "{% set d = {'b': 1, 'a': 2} %}{% set e = d.copy() %}{% do e.update({'c': 3}) %}" +
        "{% set l = [1, 2] %}{% set k = l.copy() %}{% do k.append(3) %}" +
        "{{ d.keys() | join(',') }}|{{ e.keys() | join(',') }}|{{ l | join(',') }}|{{ k | join(',') }}",
    ),
    "b,a|b,a,c|1,2|1,2,3",
  );
});

Deno.test("on-run-end's results: adapter_response.get() reads it as a dict", () => {
  const results = [
    { adapter_response: { _message: "OK", rows_affected: 3 } },
    { adapter_response: {} },
  ];
  assert.equal(
    render(
      "{% for r in results %}{{ r.adapter_response.get('rows_affected') }},{{ r.adapter_response.get('rows_affected', 0) }};{% endfor %}",
      { results },
    ),
    "3,3;None,0;",
  );
});

Deno.test("str.format() takes {}, {0}, {name} and Python's format specs", () => {
  assert.equal(
    render(
      "{{ '{}-{}'.format('a', 1) }}|{{ '{1}{0}'.format('x', 'y') }}|{{ '{name}!'.format(name='n') }}|{{ '{:>5}|{:<4}|{:^6}|{:*^7}'.format('ab', 'c', 'mid', 'x') }}|{{ '{:.2f} {:,} {:05d} {:+.1%} {!r}'.format(2.675, 1234567, 42, 0.125, 'q') }}|{{ '{{}}'.format() }}",
    ),
    "a-1|yx|n!|   ab|c   | mid  |***x***|2.67 1,234,567 00042 +12.5% 'q'|{}",
  );
});

Deno.test("a format spec or field wharf does not support is an error naming it and the line", () => {
  assert.throws(
    () => render("select 1\n{{ '{:q}'.format(1) }}"),
    (err: Error & { line?: number }) => {
      assert.match(err.message, /format spec "q" is not supported by wharf/);
      assert.equal(err.line, 2);
      return true;
    },
  );
  assert.throws(() => render("{{ '{} {}'.format(1) }}"), /has more fields than the 1 arguments/);
  assert.throws(
    () => render("{{ '{0.x}'.format(1) }}"),
    /field \{0\.x\} of "\{0\.x\}" is not supported/,
  );
});

Deno.test("zfill, ljust, rjust, center, partition, casefold, swapcase, removeprefix, removesuffix as Python's", () => {
  assert.equal(
    render(
      "{{ '42'.zfill(5) }}|{{ '-42'.zfill(5) }}|{{ 'ab'.ljust(4, '.') }}|{{ 'ab'.rjust(4) }}|{{ 'ab'.center(5) }}|{{ 'a'.zfill(3).center(7, '*') }}|{{ 'k=v=w'.partition('=') }}|{{ 'k=v=w'.rpartition('=') }}|{{ 'k'.partition('=') }}|{{ 'Straße'.casefold() }}|{{ 'aB'.swapcase() }}|{{ 'stg_x'.removeprefix('stg_') }}|{{ 'x_tmp'.removesuffix('_tmp') }}|{{ 'x'.removeprefix('y') }}",
    ),
    "00042|-0042|ab..|  ab|  ab |**00a**|['k', '=', 'v=w']|['k=v', '=', 'w']|['k', '', '']|strasse|Ab|x|x|x",
  );
});

Deno.test("index() of a list and of text gives the position; a value not there is an error naming the line", () => {
  assert.equal(render("{{ ['a', 'b'].index('b') }}|{{ 'abc'.index('c') }}"), "1|2");
  assert.throws(
    () => render("select\n{{ ['a'].index('z') }}"),
    (err: Error & { line?: number }) => {
      assert.match(err.message, /"z" is not in the list \(index\(\)\)/);
      assert.equal(err.line, 2);
      return true;
    },
  );
  assert.throws(
    () => render("select\n{{ where_of('abc') }}"),
    /substring "z" not found \(index\(\)\) \(in a macro, macros\/m\.sql:3\)/,
  );
});

Deno.test("a method given arguments it does not take is an error naming the method", () => {
  assert.throws(
    () => render("{{ 'a'.upper(1) }}"),
    /unknown method: "upper\(\)" does not take the arguments given here/,
  );
  assert.throws(() => render("{{ 'ab'.zfill('x') }}"), /"zfill\(\)" needs a whole number, got "x"/);
});
