import assert from "node:assert/strict";
import { land } from "../../src/land/land.ts";
import { ConfigError, FileNameError, LandingError } from "../../src/engine/errors.ts";
import { tempProject } from "../helpers.ts";
import { gzip, landingProject, query } from "./helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("malformed lines go to wharf.rejects with line, byte offset, error and text; the rest lands", async () => {
  await using p = await landingProject();
  const body = [
    "id,name,amount", // line 1
    "1,José,10", // 2
    "2,too,many,columns", // 3
    "3,few", // 4
    "4,ok,40", // 5
  ].join("\n");
  const bad = new Uint8Array([
    ...enc(body + "\n5,bad"),
    0xff,
    0xfe,
    ...enc('byte,50\n6,fine,60\n7,"unterminated,70'),
  ]);
  const file = await p.write("members-clientA-202307.csv", bad);
  const [outcome] = (await land(p.config, [file], { db: p.db })).outcomes;
  assert.deepEqual([outcome!.status, outcome!.rows, outcome!.rejectedRows], ["landed", 3, 4]);
  assert.deepEqual(
    await query(p.db, "select id, name, _row_number::int as line from raw.members order by line"),
    [
      { id: "1", name: "José", line: 2 },
      { id: "4", name: "ok", line: 5 },
      { id: "6", name: "fine", line: 7 },
    ],
  );
  const rejects = await query(
    p.db,
    "select line::int as line, byte_offset::int as off, error, original, file = '" + file +
      "' as f, source from wharf.rejects order by line",
  );
  assert.deepEqual(rejects.map((r) => r.line), [3, 4, 6, 8]);
  assert.equal(rejects[0]!.off, enc(body.slice(0, body.indexOf("2,too"))).length);
  assert.match(String(rejects[0]!.error), /TOO MANY COLUMNS/);
  assert.equal(rejects[0]!.original, "2,too,many,columns");
  assert.match(String(rejects[1]!.error), /MISSING COLUMNS/);
  assert.match(String(rejects[2]!.error), /INVALID ENCODING/);
  assert.match(String(rejects[3]!.error), /UNQUOTED VALUE|unterminated/i);
  assert.ok(rejects.every((r) => r.f === true && r.source === "members"));
  assert.deepEqual(
    await query(p.db, "select rows::int as r, rejected_rows::int as j from wharf.files"),
    [{ r: 3, j: 4 }],
  );
});

Deno.test("a rejected line keeps the fields it still splits into, by the header's columns in order; NULL when it does not split", async () => {
  await using p = await landingProject();
  const file = await p.write(
    "members-clientA-202307.csv",
    'id,name,amount\n1,"Smith, Ann"\n2,b,20,x\n3,ok,30\n4,"never closed,40',
  );
  assert.ok((await land(p.config, [file], { db: p.db })).ok);
  assert.deepEqual(
    await query(
      p.db,
      "select line::int as line, left(error, 15) as error, fields::varchar as fields from wharf.rejects order by line",
    ),
    [
      // The quoted comma is no delimiter; the missing amount is no field.
      { line: 2, error: "MISSING COLUMNS", fields: '{"id":"1","name":"Smith, Ann"}' },
      // Fields past the header's have no column.
      { line: 3, error: "TOO MANY COLUMN", fields: '{"id":"2","name":"b","amount":"20"}' },
      { line: 5, error: "UNTERMINATED QU", fields: null },
    ],
  );
});

Deno.test("NDJSON lines that are not JSON objects are rejected with line and byte offset", async () => {
  await using p = await landingProject();
  const file = await p.write(
    "members-clientA-202307.ndjson",
    '{"id":1}\n{"id":2\n[1,2]\n{"id":4}\n',
  );
  const [o] = (await land(p.config, [file], { db: p.db })).outcomes;
  assert.deepEqual([o!.rows, o!.rejectedRows], [2, 2]);
  assert.deepEqual(
    await query(
      p.db,
      "select line::int as line, byte_offset::int as off, original from wharf.rejects order by line",
    ),
    [{ line: 2, off: 9, original: '{"id":2' }, { line: 3, off: 17, original: "[1,2]" }],
  );
  assert.deepEqual(
    await query(p.db, "select id, _row_number::int as n from raw.members order by n"),
    [{ id: "1", n: 1 }, { id: "4", n: 4 }],
  );
});

Deno.test("a landed file's outcome lists its first 100 rejects in file order, each text cut to 1,000 characters; rejectedRows counts them all", async () => {
  await using p = await landingProject();
  const long = `1,${"x".repeat(3000)},2,3`;
  const lines = ["id,name,amount", long];
  for (let i = 0; i < 150; i++) lines.push(`${i},ok,${i}`, `${i},too,many,${i}`);
  const csv = await p.write("members-clientA-202307.csv", lines.join("\n") + "\n");
  const ndjson = await p.write(
    "members-clientA-202308.ndjson",
    Array.from({ length: 120 }, (_, i) => `{"id":${i}}\n{"id":`).join("\n") + "\n",
  );
  const [delimited, records] = (await land(p.config, [csv, ndjson], { db: p.db })).outcomes;
  assert.deepEqual([delimited!.rows, delimited!.rejectedRows], [150, 151]);
  assert.equal(delimited!.rejects!.length, 100);
  assert.deepEqual(delimited!.rejects![0], {
    line: 2,
    byteOffset: 15,
    error: "TOO MANY COLUMNS: expected 3 fields, found 4",
    text: long.slice(0, 1000),
  });
  assert.deepEqual(delimited!.rejects!.slice(1, 3).map((r) => [r.line, r.text]), [
    [4, "0,too,many,0"],
    [6, "1,too,many,1"],
  ]);
  assert.equal(delimited!.rejects![99]!.line, 200);
  assert.deepEqual([records!.rows, records!.rejectedRows], [120, 120]);
  assert.deepEqual(
    records!.rejects!.map((r) => r.line),
    Array.from({ length: 100 }, (_, i) => 2 * i + 2),
  );
  assert.equal(records!.rejects![0]!.text, '{"id":');
  // wharf.rejects holds every one, whole.
  assert.deepEqual(
    await query(
      p.db,
      "select count(*)::int as n, max(length(original))::int as longest from wharf.rejects",
    ),
    [{ n: 271, longest: long.length }],
  );
});

Deno.test("files that cannot be read are recorded as failed with a reason, nothing of them lands, the rest does", async () => {
  await using p = await landingProject();
  const good = await p.write("members-clientA-202301.csv", "id\n1\n");
  const rows = Array.from({ length: 50_000 }, (_, i) => `${i}\t${(i * 7919) % 104729}`).join("\n");
  const full = gzip(`a\tb\n${rows}\n`);
  const truncated = full.subarray(0, full.length - 500);
  const files = [
    await p.write("HospitalABC_Visit_20240101_000000.txt.gz", truncated),
    await p.write(
      "members-clientA-202302.csv",
      new Uint8Array([0x50, 0x4b, 0, 0, 1, 2, 3, 0, 0, 9]),
    ),
    await p.write("members-clientA-202303.csv", ""),
    await p.write("members-clientA-202304.json", '[{"id": 1}, {"id": 2,]'),
    await p.write("members-clientA-202305.json", '{"id": 1}'),
    await p.write("members-clientA-202306.xlsx", "id,name\n1,not a workbook\n"),
    good,
  ];
  const summary = await land(p.config, files, { db: p.db });
  assert.equal(summary.ok, false);
  const by = Object.fromEntries(
    summary.outcomes.map((o) => [o.file.split("/").pop(), [o.status, o.message ?? ""]]),
  );
  assert.deepEqual(by["members-clientA-202301.csv"], ["landed", ""]);
  assert.match(
    by["HospitalABC_Visit_20240101_000000.txt.gz"]![1],
    /Cannot land ".*\.txt\.gz": the gzip stream is truncated or corrupt/,
  );
  assert.equal(by["HospitalABC_Visit_20240101_000000.txt.gz"]![0], "failed");
  assert.match(by["members-clientA-202302.csv"]![1], /looks binary/);
  assert.match(by["members-clientA-202303.csv"]![1], /the file is empty/);
  assert.match(by["members-clientA-202304.json"]![1], /JSON syntax error at line 1/);
  assert.match(
    by["members-clientA-202305.json"]![1],
    /expected a JSON array of objects, got an object/,
  );
  assert.match(by["members-clientA-202306.xlsx"]![1], /not an Excel \.xlsx workbook/);
  // Nothing of a failed file landed; the manifest says why.
  assert.deepEqual(await query(p.db, "select count(*)::int as n from raw.members"), [{ n: 1 }]);
  assert.deepEqual(
    await query(
      p.db,
      "select count(*)::int as n from information_schema.tables where table_name = 'visits'",
    ),
    [{ n: 0 }],
  );
  const failed = await query(
    p.db,
    "select file_name, error from wharf.files where status = 'failed' order by file_name",
  );
  assert.equal(failed.length, 6);
  assert.ok(failed.every((f) => String(f.error).includes(String(f.file_name))));
  // Landing them again records each failure once: the new attempt replaces the
  // old one, whether the file was hashed before it failed or not.
  assert.equal((await land(p.config, files, { db: p.db })).ok, false);
  assert.deepEqual(
    await query(
      p.db,
      "select file_name, count(*)::int as n, count(sha256)::int as hashed from wharf.files where status = 'failed' group by all order by file_name",
    ),
    // Only the JSON files are read whole (and hashed) before they fail.
    failed.map((f) => ({
      file_name: f.file_name,
      n: 1,
      hashed: String(f.file_name).endsWith(".json") ? 1 : 0,
    })),
  );
});

Deno.test("a file that matches no source is refused with the known sources; --source forces one when the fields are named", async () => {
  await using p = await landingProject();
  const odd = await p.write("odd-name.csv", "id\n1\n");
  await assert.rejects(() => land(p.config, [odd], { db: p.db }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(
      e.message,
      /^File "odd-name\.csv" matches no source: rename it to fit a pattern, or pass --source NAME\. Known sources:\n {2}procedures: /,
    );
    return true;
  });
  const also = await p.write("members-clientA-202301.csv", "id\n2\n");
  const late = await p.write("HospitalABC_Visit_20241399_000000.txt", "id\n3\n");
  await assert.rejects(
    () => land(p.config, [odd, also, late], { db: p.db }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(
        e.message.split("\nRename")[0],
        '2 files cannot be landed as named (nothing was landed):\n  "odd-name.csv": matches no source\n  "HospitalABC_Visit_20241399_000000.txt": Cannot read the delivery time of "HospitalABC_Visit_20241399_000000.txt" (source "visits"): field delivered_at is "20241399_000000", not a valid time: use YYYYMM (202307), YYYYMMDD (20240105) or YYYYMMDD_HHMMSS (20240105_101500), in UTC; the date may have dashes (2024-01-05), the time colons (10:15:00), and between them a T, a space, a dash or nothing',
      );
      return true;
    },
  );
  // Forced, the name must fit the source's pattern, or the delivery fields be named.
  await assert.rejects(
    () => land(p.config, [odd], { db: p.db, source: "members" }),
    (e: unknown) => {
      assert.ok(e instanceof FileNameError);
      assert.equal(e.exitCode, 2);
      assert.equal(e.source, "members");
      assert.match(
        e.message,
        /^File "odd-name\.csv" does not match the pattern of source "members" \(.*\): rename it, or name its delivery fields \(--field client=… --field period=…\)$/,
      );
      return true;
    },
  );
  await assert.rejects(
    () => land(p.config, [odd], { db: p.db, source: "members", fields: { client: "clientA" } }),
    /its delivery field "period" is not given: name it too \(--field period=…\)/,
  );
  await assert.rejects(
    () =>
      land(p.config, [odd], {
        db: p.db,
        source: "members",
        fields: { client: "client_a", period: "202301" },
      }),
    /Delivery field client="client_a" does not fit source "members" \(expected client\[A-Z\]\)/,
  );
  await assert.rejects(
    () =>
      land(p.config, [also], {
        db: p.db,
        source: "members",
        fields: { client: "clientB" },
      }),
    /Delivery field client="clientB" contradicts the file name "members-clientA-202301\.csv" \(client "clientA"\)/,
  );
  await assert.rejects(
    () => land(p.config, [odd], { db: p.db, source: "members", fields: { region: "x" } }),
    /Unknown delivery field "region" for source "members": its fields are "client", "period"/,
  );
  const forced = await land(p.config, [odd], {
    db: p.db,
    source: "members",
    fields: { client: "clientA", period: "202301" },
  });
  assert.deepEqual(forced.outcomes.map((o) => [o.source, o.status]), [["members", "landed"]]);
  assert.deepEqual(
    await query(
      p.db,
      "select id, _client, _period, timezone('UTC', _delivered_at)::varchar as d from raw.members",
    ),
    [{ id: "1", _client: "clientA", _period: "202301", d: "2023-01-01 00:00:00" }],
  );
  await assert.rejects(
    () => land(p.config, [odd], { db: p.db, source: "nope" }),
    /Unknown source "nope": known sources are "procedures"/,
  );
  await assert.rejects(
    () => land(p.config, [odd], { db: p.db, source: "Members" }),
    /Unknown source "Members" \(did you mean "members"\?\): known sources are "procedures"/,
  );
  await assert.rejects(() => land(p.config, [`${p.root}/missing.csv`], { db: p.db }), LandingError);
});

Deno.test("rows after rejected lines keep their file line numbers, with quotes that pair up and with one never closed", async () => {
  await using p = await landingProject();
  const paired = await p.write(
    "members-clientA-202308.csv",
    'id,name\n1,"A, a"\n2,x,extra\n3,"C"\n4\n5,E\n',
  );
  const unclosed = await p.write(
    "members-clientA-202309.csv",
    'id,name\n1,"A, a"\n2,x,extra\n3,C\n4,"never closed\n',
  );
  const summary = await land(p.config, [paired, unclosed], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.rows, o.rejectedRows]), [[3, 2], [2, 2]]);
  assert.deepEqual(
    await query(
      p.db,
      "select _period, id, _row_number::int as line from raw.members order by _period, line",
    ),
    [
      { _period: "202308", id: "1", line: 2 },
      { _period: "202308", id: "3", line: 4 },
      { _period: "202308", id: "5", line: 6 },
      { _period: "202309", id: "1", line: 2 },
      { _period: "202309", id: "3", line: 4 },
    ],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select line::int as line from wharf.rejects where file like '%202309%' order by line",
    ),
    [{ line: 3 }, { line: 5 }],
  );
});

/** A project whose source declares its columns, and one whose source does not. */
function declaredProject() {
  return tempProject({ "models/.keep": "" }, {
    sources: [
      {
        name: "benefits",
        pattern: /^benefits-(?<delivered_at>\d{8}_\d{6})\.(json|ndjson)$/,
        columns: [{ name: "member_id", required: true }, "copay"],
      },
      { name: "loose", pattern: /^loose-(?<delivered_at>\d{8}_\d{6})\.ndjson$/ },
    ],
  });
}

Deno.test("a JSON record with a key its source does not declare is rejected naming the line (NDJSON) or element (JSON array) and the key; the rest lands", async () => {
  await using p = await declaredProject();
  const lines = [
    '{"member_id":"M1","copay":"10"}',
    '{"member_id":"M2","extra_field":1}',
    "",
    '{"member_id":"M3","copay":null}',
    '{"Member ID":"M4","a":1,"b":{"c":2}}',
  ];
  const ndjson = await p.write("benefits-20240101_000000.ndjson", lines.join("\n") + "\n");
  const json = await p.write(
    "benefits-20240102_000000.json",
    JSON.stringify(lines.filter(Boolean).map((l) => JSON.parse(l)), null, 1),
  );
  const outcomes = (await land(p.config, [ndjson, json], { db: p.db })).outcomes;
  assert.deepEqual(outcomes.map((o) => [o.status, o.rows, o.rejectedRows]), [
    ["landed", 2, 2],
    ["landed", 2, 2],
  ]);
  assert.deepEqual(outcomes[0]!.rejects!.map((r) => [r.line, r.error]), [
    [2, 'unexpected key "extra_field"'],
    [5, 'unexpected keys "Member ID", "a", "b"'],
  ]);
  const at = (n: number) => lines.slice(0, n - 1).join("\n").length + 1;
  assert.deepEqual(
    await query(
      p.db,
      "select file like '%.ndjson' as nd, line::int as line, byte_offset::int as off, error, original from wharf.rejects order by nd desc, line",
    ),
    [
      { nd: true, line: 2, off: at(2), error: 'unexpected key "extra_field"', original: lines[1] },
      {
        nd: true,
        line: 5,
        off: at(5),
        error: 'unexpected keys "Member ID", "a", "b"',
        original: lines[4],
      },
      {
        nd: false,
        line: 2,
        off: null,
        error: 'unexpected key "extra_field" in element 2',
        original: '{"member_id":"M2","extra_field":1}',
      },
      {
        nd: false,
        line: 4,
        off: null,
        error: 'unexpected keys "Member ID", "a", "b" in element 4',
        original: '{"Member ID":"M4","a":1,"b":{"c":2}}',
      },
    ],
  );
  // The raw table has the declared columns only, and the rows that fit them.
  assert.deepEqual(
    await query(
      p.db,
      "select member_id, copay, _row_number::int as n from raw.benefits order by _file, n",
    ),
    [
      { member_id: "M1", copay: "10", n: 1 },
      { member_id: "M3", copay: null, n: 4 },
      { member_id: "M1", copay: "10", n: 1 },
      { member_id: "M3", copay: null, n: 3 },
    ],
  );
  assert.deepEqual(
    (await query(
      p.db,
      "select column_name from information_schema.columns where table_name = 'benefits' and column_name not like '\\_%' escape '\\' order by ordinal_position",
    )).map((r) => r.column_name),
    ["member_id", "copay"],
  );
});

Deno.test("a key every JSON record has that the source does not declare is the file's shape: the file fails naming it; a source that declares no columns takes the key as a column", async () => {
  await using p = await declaredProject();
  const records = '{"member_id":"M1","extra_field":1}\n{"member_id":"M2","extra_field":2}\n';
  const wrong = await p.write("benefits-20240101_000000.ndjson", records);
  const loose = await p.write(
    "loose-20240101_000000.ndjson",
    '{"member_id":"M1"}\n{"member_id":"M2","extra_field":2}\n',
  );
  const [failed, landed] = (await land(p.config, [wrong, loose], { db: p.db })).outcomes;
  assert.equal(failed!.status, "failed");
  assert.match(failed!.message!, /does not fit source "benefits": unexpected column "extra_field"/);
  assert.deepEqual([landed!.status, landed!.rows, landed!.rejectedRows], ["landed", 2, 0]);
  assert.deepEqual(
    await query(p.db, "select member_id, extra_field from raw.loose order by member_id"),
    [{ member_id: "M1", extra_field: null }, { member_id: "M2", extra_field: "2" }],
  );
});
