import assert from "node:assert/strict";
import type { SqlValue } from "../../src/engine/db/run_statements.ts";
import { formatValue, isNumericType, valueJson } from "../../src/sql/format_value.ts";
import {
  displayWidth,
  escapeControls,
  renderTable,
  truncateToWidth,
} from "../../src/sql/render_table.ts";
import { statementComplete } from "../../src/sql/statement_complete.ts";
import { type OutputFormat, type ResultSet, writeResult } from "../../src/sql/write_result.ts";

/** A result of one batch, as runStatements hands it over. */
function result(columns: string[], types: string[], rows: SqlValue[][]): ResultSet {
  return {
    columns,
    types,
    batches: (async function* () {
      yield rows;
    })(),
  };
}

async function written(
  r: ResultSet,
  format: OutputFormat,
  maxWidth?: number,
): Promise<{ text: string; rows: number; cut: boolean }> {
  let text = "";
  const summary = await writeResult(r, format, (t) => Promise.resolve(void (text += t)), {
    maxWidth,
  });
  return { text, ...summary };
}

const MIXED = () =>
  result(
    ["d", "b", "tz", "l", "s", "n", "e", "u"],
    [
      "DECIMAL(18,2)",
      "BIGINT",
      "TIMESTAMP WITH TIME ZONE",
      "VARCHAR[]",
      'STRUCT("a" INTEGER)',
      "VARCHAR",
      "VARCHAR",
      "VARCHAR",
    ],
    [[
      { number: "12.50" },
      { number: "9007199254740993" },
      { text: "2024-07-01 08:00:00-04" },
      ["it's", null],
      { struct: [["a", { number: "1" }]] },
      null,
      "",
      "日本👍",
    ]],
  );

Deno.test("formatValue writes nested values as SQL literals and keeps top-level text as is", () => {
  assert.equal(formatValue(null), null);
  assert.equal(formatValue(""), "");
  assert.equal(formatValue("it's"), "it's");
  assert.equal(formatValue(["it's", null, { text: "2024-01-31" }]), "['it''s', NULL, 2024-01-31]");
  assert.equal(
    formatValue({ struct: [["name", "x"], ["n", { number: "1.50" }]] }),
    "{'name': 'x', 'n': 1.50}",
  );
  assert.equal(formatValue({ pairs: [["k", [{ number: "1" }]]] }), "{'k': [1]}");
  assert.equal(formatValue(true), "true");
});

Deno.test("valueJson keeps every digit of BIGINT and DECIMAL and tells NULL from empty", () => {
  assert.equal(valueJson({ number: "9007199254740993" }), "9007199254740993");
  assert.equal(valueJson({ number: "12.50" }), "12.50");
  assert.equal(valueJson({ number: "-0.5" }), "-0.5");
  assert.equal(valueJson({ number: "nan" }), '"nan"');
  assert.equal(valueJson({ number: "-inf" }), '"-inf"');
  assert.equal(valueJson(null), "null");
  assert.equal(valueJson(""), '""');
  assert.equal(valueJson({ json: '{"a":[1]}' }), '{"a":[1]}');
  assert.equal(
    valueJson({ struct: [["at", { text: "2024-07-01 08:00:00-04" }], ["l", [null, "x"]]] }),
    '{"at":"2024-07-01 08:00:00-04","l":[null,"x"]}',
  );
  assert.equal(valueJson({ pairs: [[{ number: "1" }, "one"]] }), '{"1":"one"}');
});

Deno.test("isNumericType is true for numbers only, not for lists of them", () => {
  for (const t of ["INTEGER", "BIGINT", "DECIMAL(18,2)", "DOUBLE", "HUGEINT", "UBIGINT"]) {
    assert.ok(isNumericType(t), t);
  }
  for (const t of ["INTEGER[]", "VARCHAR", "DATE", 'STRUCT("a" INTEGER)', "INTERVAL"]) {
    assert.ok(!isNumericType(t), t);
  }
});

Deno.test("displayWidth counts CJK and emoji as two columns, combining marks as none", () => {
  assert.equal(displayWidth("abc"), 3);
  assert.equal(displayWidth("日本"), 4);
  assert.equal(displayWidth("👍"), 2);
  assert.equal(displayWidth("e\u0301"), 1);
  assert.equal(truncateToWidth("日本語のテキスト", 7), "日本語…");
  assert.equal(truncateToWidth("abcdef", 6), "abcdef");
  assert.equal(truncateToWidth("abcdefg", 6), "abcde…");
  // A grapheme is never split: the family emoji stays whole or goes whole.
  assert.equal(truncateToWidth("ab👨‍👩‍👧cd", 4), "ab…");
});

Deno.test("escapeControls makes line breaks and terminal escapes visible", () => {
  assert.equal(escapeControls("a\nb\tc\r"), "a\\nb\\tc\\r");
  assert.equal(escapeControls("\x1b[31mred"), "\\x1b[31mred");
});

Deno.test("renderTable aligns by display width, right-aligns numbers and cuts only when asked", () => {
  const { lines, cut } = renderTable([["name", "n"]], [["日本", "2"], ["x", "10"]], {
    align: ["left", "right"],
  });
  assert.deepEqual(lines, [
    "| name |  n |",
    "|------|----|",
    "| 日本 |  2 |",
    "| x    | 10 |",
  ]);
  assert.equal(cut, false);
  const narrow = renderTable([["v"]], [["https://example.org/a/very/long/path"]], { maxWidth: 10 });
  assert.deepEqual(narrow.lines, ["| v          |", "|------------|", "| https://e… |"]);
  assert.equal(narrow.cut, true);
});

Deno.test("table format shows names, types and a row count; NULL apart from the empty string", async () => {
  const { text, rows } = await written(MIXED(), "table");
  assert.equal(rows, 1);
  assert.equal(
    text,
    [
      "|             d |                b | tz                       | l               | s                   | n       | e       | u       |",
      '| DECIMAL(18,2) |           BIGINT | TIMESTAMP WITH TIME ZONE | VARCHAR[]       | STRUCT("a" INTEGER) | VARCHAR | VARCHAR | VARCHAR |',
      "|---------------|------------------|--------------------------|-----------------|---------------------|---------|---------|---------|",
      "|         12.50 | 9007199254740993 | 2024-07-01 08:00:00-04   | ['it''s', NULL] | {'a': 1}            | NULL    |         | 日本👍  |",
      "1 row",
      "",
    ].join("\n"),
  );
});

Deno.test("table format cuts wide values to maxWidth and says so", async () => {
  const r = () => result(["url"], ["VARCHAR"], [["https://example.org/in-network/NY_PPO_1.json"]]);
  const cut = await written(r(), "table", 12);
  assert.ok(cut.cut);
  assert.match(cut.text, /\| https:\/\/exa… \|/);
  const whole = await written(r(), "table");
  assert.ok(!whole.cut);
  assert.match(whole.text, /\| https:\/\/example\.org\/in-network\/NY_PPO_1\.json \|/);
});

Deno.test("csv format quotes what needs it and writes NULL as an empty field, '' as \"\"", async () => {
  const { text } = await written(
    result(["a", "b", "c", "d"], ["VARCHAR", "VARCHAR", "VARCHAR", "INTEGER[]"], [
      [null, "", 'say "hi", bye', [{ number: "1" }, { number: "2" }]],
      ["line\nbreak", "plain", "x", []],
    ]),
    "csv",
  );
  assert.equal(text, 'a,b,c,d\n,"","say ""hi"", bye","[1, 2]"\n"line\nbreak",plain,x,[]\n');
});

Deno.test("json and ndjson formats give objects with exact numbers and real nesting", async () => {
  const json = await written(MIXED(), "json");
  const parsed = JSON.parse(json.text);
  assert.equal(parsed.length, 1);
  assert.deepEqual(parsed[0].l, ["it's", null]);
  assert.deepEqual(parsed[0].s, { a: 1 });
  assert.equal(parsed[0].n, null);
  assert.equal(parsed[0].e, "");
  assert.match(json.text, /"b":9007199254740993,/);
  assert.match(json.text, /"d":12\.50,/);
  const nd = await written(MIXED(), "ndjson");
  assert.equal(nd.text.split("\n").length, 2);
  assert.deepEqual(JSON.parse(nd.text), parsed[0]);
  const empty = await written(result(["a"], ["INTEGER"], []), "json");
  assert.deepEqual(JSON.parse(empty.text), []);
});

Deno.test("json keys are the unique column names when names repeat", async () => {
  const r = result(["a", "a"], ["INTEGER", "INTEGER"], [[{ number: "1" }, { number: "2" }]]);
  r.keys = ["a", "a:1"];
  assert.deepEqual(JSON.parse((await written(r, "ndjson")).text), { a: 1, "a:1": 2 });
});

Deno.test("markdown format escapes pipes and line breaks and right-aligns numbers", async () => {
  const { text } = await written(
    result(["name", "n"], ["VARCHAR", "BIGINT"], [["a|b\nc", { number: "3" }], [null, null]]),
    "markdown",
  );
  assert.equal(
    text,
    "| name      |    n |\n|-----------|-----:|\n| a\\|b<br>c |    3 |\n| NULL      | NULL |\n",
  );
});

Deno.test("line format writes one column = value per line, records apart", async () => {
  const { text } = await written(
    result(["id", "first_name"], ["INTEGER", "VARCHAR"], [[{ number: "1" }, "Ann"], [
      { number: "2" },
      null,
    ]]),
    "line",
  );
  assert.equal(text, "        id = 1\nfirst_name = Ann\n\n        id = 2\nfirst_name = NULL\n");
});

Deno.test("statementComplete waits for a ; outside strings, quoted names and comments", () => {
  assert.equal(statementComplete("select 1;"), true);
  assert.equal(statementComplete("select 1"), false);
  assert.equal(statementComplete("select 1;\n"), true);
  assert.equal(statementComplete("select ';'"), false);
  assert.equal(statementComplete("select 'it''s;'"), false);
  assert.equal(statementComplete("select 'it''s';"), true);
  assert.equal(statementComplete('select 1 as ";"'), false);
  assert.equal(statementComplete("select E'\\';'"), false);
  assert.equal(statementComplete("select E'\\'';"), true);
  assert.equal(statementComplete("select $$;$$"), false);
  assert.equal(statementComplete("select $x$ ; $x$;"), true);
  assert.equal(statementComplete("select 1 -- done;"), false);
  assert.equal(statementComplete("select 1; -- done"), true);
  assert.equal(statementComplete("select 1 /* ; /* nested; */ ; */"), false);
  assert.equal(statementComplete("select 1 /* ; */;"), true);
  assert.equal(statementComplete("select 'open"), false);
  assert.equal(statementComplete(""), false);
});
