import assert from "node:assert/strict";
import { land } from "../../src/land/land.ts";
import { tempProject } from "../helpers.ts";
import { query } from "./helpers.ts";

const COLUMNS = [{ name: "member_id", required: true }, "copay"];

/** Sources that declare required columns, in JSON, NDJSON and CSV. */
function project() {
  return tempProject({ "models/.keep": "" }, {
    sources: [
      {
        name: "benefits",
        pattern: /^benefits-(?<payer>[a-z]+)-(?<delivered_at>\d{8}_\d{6})\.(json|ndjson|csv)$/,
        columns: COLUMNS,
      },
      { name: "plans", pattern: /^plans-(?<delivered_at>\d{8}_\d{6})\.json$/, columns: COLUMNS },
    ],
  });
}

Deno.test("an empty JSON array is a delivery of no rows, as a CSV file with its header alone is; a rerun skips it", async () => {
  await using p = await project();
  const files = [
    await p.write("in/benefits-csv-20240101_000000.csv", "member_id,copay\n"),
    await p.write("in/benefits-json-20240101_000000.json", "[]"),
    await p.write("in/benefits-ndjson-20240101_000000.ndjson", "\n\n"),
    await p.write("in/benefits-spaced-20240102_000000.json", " [ ]\n"),
  ];
  const first = await land(p.config, files, { db: p.db });
  assert.deepEqual(
    first.outcomes.map((o) => [o.file.split("/").pop(), o.status, o.rows, o.message ?? ""]),
    [
      ["benefits-csv-20240101_000000.csv", "landed", 0, ""],
      ["benefits-json-20240101_000000.json", "landed", 0, ""],
      ["benefits-ndjson-20240101_000000.ndjson", "landed", 0, ""],
      ["benefits-spaced-20240102_000000.json", "landed", 0, ""],
    ],
  );
  assert.equal(first.ok, true);
  const again = await land(p.config, files, { db: p.db });
  assert.deepEqual(again.outcomes.map((o) => o.status), [
    "skipped",
    "skipped",
    "skipped",
    "skipped",
  ]);
  // Another day's empty array is another delivery; another source's is no misrouting.
  const next = await p.write("benefits-json-20240102_000000.json", "[]");
  const plans = await p.write("plans-20240102_000000.json", "[]");
  const later = await land(p.config, [next, plans], { db: p.db });
  assert.deepEqual(later.outcomes.map((o) => [o.source, o.status, o.rows]), [
    ["benefits", "landed", 0],
    ["plans", "landed", 0],
  ]);
  // The raw tables exist with their declared columns, so models can read them.
  assert.deepEqual(
    await query(
      p.db,
      "select table_name, count(*) filter (where column_name in ('member_id', 'copay'))::int as n from information_schema.columns where table_schema = 'raw' group by all order by all",
    ),
    [{ table_name: "benefits", n: 2 }, { table_name: "plans", n: 2 }],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select count(*)::int as files, sum(rows)::int as rows from wharf.files where status = 'landed'",
    ),
    [{ files: 6, rows: 0 }],
  );
  // A file with no bytes at all is still refused, whatever its format: it says nothing.
  const nothing = await p.write("benefits-empty-20240103_000000.json", "");
  const refused = await land(p.config, [nothing], { db: p.db });
  assert.equal(refused.outcomes[0]!.status, "failed");
  assert.match(refused.outcomes[0]!.message!, /the file is empty/);
  // An array of records still has to fit the declared columns.
  const misfit = await p.write("benefits-misfit-20240103_000000.json", '[{"copay": 5}]');
  assert.match(
    (await land(p.config, [misfit], { db: p.db })).outcomes[0]!.message!,
    /missing required column member_id/,
  );
});
