import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { ConfigError, FileNameError, LandingError } from "../../src/engine/errors.ts";
import { assertRecordCounts } from "../../src/land/land_file.ts";
import { compileSources, groupPatterns, matchSource } from "../../src/land/sources.ts";
import { REPO } from "../helpers.ts";

Deno.test("compileSources() checks declared columns, maxColumns and delimiters, naming the source", () => {
  const [s] = compileSources([{
    name: "members",
    pattern: /^m-(?<client>client[AB])-(?<period>\d{6})\.csv$/,
    columns: [{ name: "member_id", required: true }, "zip"],
  }]);
  assert.deepEqual(s!.columns, [
    { name: "member_id", required: true },
    { name: "zip", required: false },
  ]);
  assert.equal(s!.maxColumns, 1000);
  const bad = (config: Record<string, unknown>, message: RegExp) =>
    assert.throws(
      () => compileSources([{ name: "s", pattern: /x/, ...config }]),
      (e: unknown) => e instanceof ConfigError && message.test(e.message),
    );
  bad(
    { columns: ["Member ID"] },
    /^Invalid column "Member ID" in columns\[0\] of sources\[0\] \("s"\) in wharf\.config\.ts: use the raw name \("member_id"\)/,
  );
  bad({ columns: [{ name: "a", required: "yes" }] }, /Invalid "required" of column "a"/);
  bad(
    { columns: [{ name: "a", type: "int" }] },
    /^Unknown key "sources\[0\]\.columns\[0\]\.type" in wharf\.config\.ts: a column takes "name", "required"$/,
  );
  bad(
    { patern: /x/ },
    /^Unknown key "sources\[0\]\.patern" in wharf\.config\.ts \(did you mean "pattern"\?\): source "s" takes "name", "pattern", /,
  );
  bad({ encoding: "latin1" }, /^Invalid encoding "latin1" in .*\(did you mean "latin-1"\?\)/);
  bad({ columns: ["a", "a"] }, /Duplicate column "a"/);
  bad({ maxColumns: 0 }, /Invalid "maxColumns" in sources\[0\] \("s"\).*got 0/);
  bad(
    { delimiter: '"' },
    /^Invalid delimiter "\\"" in sources\[0\] \("s"\) in wharf\.config\.ts: a quote, a digit or a line break cannot delimit fields: /,
  );
  // One character: a word or an escape written out is refused with what to write.
  bad(
    { delimiter: "\\t" },
    /^Invalid delimiter "\\\\t" in sources\[0\] \("s"\) in wharf\.config\.ts: a delimiter is one character, and this is 2 \(a backslash and "t"\): write delimiter: "\\t" for a tab$/,
  );
  bad(
    { delimiter: "tab" },
    /: a delimiter is one character, and this is 3: write delimiter: "\\t" for a tab$/,
  );
  bad({ delimiter: "Pipe" }, /: write delimiter: "\|"$/);
  bad(
    { delimiter: "||" },
    /this is 2: write the character, e.g\. delimiter: "\|" or ";", or "\\t" for a tab$/,
  );
  bad({ delimiter: "" }, /Invalid delimiter "" in sources\[0\] \("s"\).*this is 0/);
  for (const delimiter of ["\t", "|", ";", "\u00a6"]) {
    assert.equal(compileSources([{ name: "s", pattern: /x/, delimiter }])[0]!.delimiter, delimiter);
  }
});

Deno.test("groupPatterns() gives each named group its own anchored pattern", () => {
  const groups = groupPatterns(
    /^(?<hospital>[A-Za-z0-9]+)_VisitPay_(?<delivered_at>\d{8}_\d{6})(?:\.txt|[(]x[)])$/i,
  );
  assert.deepEqual(Object.keys(groups), ["hospital", "delivered_at"]);
  assert.ok(groups.hospital!.test("hospitalABC"));
  assert.ok(!groups.hospital!.test("A_B"));
  assert.ok(groups.delivered_at!.test("20240101_000000"));
  assert.ok(!groups.delivered_at!.test("2024"));
});

Deno.test("assertRecordCounts() fails a landing whose records are not all landed or rejected", () => {
  assertRecordCounts("a.csv", 3, 2, 1);
  assert.throws(
    () => assertRecordCounts("a.csv", 3, 2, 0),
    (e: unknown) =>
      e instanceof LandingError &&
      e.message ===
        'Cannot land "a.csv": wharf read 3 records but 2 rows landed and 0 were rejected (every record must be one or the other), so nothing of it was landed',
  );
});

Deno.test("the README's table of the healthcare project's sources names each source of wharf.config.ts, in order, with a file name that lands in it", async () => {
  const readme = await Deno.readTextFile(join(REPO, "README.md"));
  const start = readme.indexOf("- **The healthcare project's sources**");
  assert.ok(start >= 0, "the README lists the healthcare project's sources");
  // The table's rows: | `source` | file names | `example` |
  const rows = [...readme.slice(start).matchAll(/^ {2}\| `(\w+)` +\|.*\| `([^`]+)` +\|$/gm)]
    .map((m) => ({ source: m[1]!, example: m[2]! }));
  const config = await loadConfig(REPO);
  assert.deepEqual(rows.map((r) => r.source), config.sources.map((s) => s.name));
  for (const { source, example } of rows) {
    const match = matchSource(example, config.sources);
    assert.equal(match.source.name, source, example);
    assert.equal(match.source.table, source, example);
  }
});

Deno.test("a delivery time that cannot be read lists every form file names may carry, and each reads", () => {
  const sources = compileSources([
    { name: "sales", pattern: /^Store\d{3}_Sales_(?<delivered_at>[\d_T :-]+)\.csv$/ },
  ]);
  assert.throws(
    () => matchSource("Store001_Sales_20241340.csv", sources),
    (e: unknown) =>
      e instanceof FileNameError &&
      e.message ===
        'Cannot read the delivery time of "Store001_Sales_20241340.csv" (source "sales"): field delivered_at is "20241340", not a valid time: use YYYYMM (202307), YYYYMMDD (20240105) or YYYYMMDD_HHMMSS (20240105_101500), in UTC; the date may have dashes (2024-01-05), the time colons (10:15:00), and between them a T, a space, a dash or nothing',
  );
  const read = (stamp: string) =>
    matchSource(`Store001_Sales_${stamp}.csv`, sources).deliveredAt?.toISOString();
  assert.equal(read("202307"), "2023-07-01T00:00:00.000Z");
  assert.equal(read("2023-07"), "2023-07-01T00:00:00.000Z");
  for (const day of ["20240105", "2024-01-05"]) assert.equal(read(day), "2024-01-05T00:00:00.000Z");
  for (
    const time of [
      "20240105_101500",
      "20240105T101500",
      "20240105 101500",
      "20240105-101500",
      "20240105101500",
      "2024-01-05T10:15:00",
      "2024-01-05 10:15:00",
    ]
  ) {
    assert.equal(read(time), "2024-01-05T10:15:00.000Z", time);
  }
});

Deno.test("a source's pattern given as a string is read as new RegExp(text): case-sensitive, matching anywhere unless anchored", () => {
  const [anchored, loose] = compileSources([
    { name: "sales", pattern: "^sales_(?<delivered_at>\\d{8})\\.csv$" },
    { name: "returns", pattern: "returns_\\d{8}" },
  ]);
  assert.deepEqual([anchored!.pattern.source, anchored!.pattern.flags], [
    "^sales_(?<delivered_at>\\d{8})\\.csv$",
    "",
  ]);
  const sources = [anchored!, loose!];
  assert.equal(matchSource("in/sales_20240105.csv", sources).source.name, "sales");
  assert.throws(() => matchSource("SALES_20240105.csv", sources), /matches no source/);
  assert.throws(() => matchSource("old_sales_20240105.csv", sources), /matches no source/);
  assert.equal(matchSource("old_returns_20240105.csv.bak", sources).source.name, "returns");
});
