/**
 * How delivered files are read: text encodings, line endings, gzip streams
 * cut short.
 *
 * @module
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import type { HeaderMismatchError } from "../../src/engine/errors.ts";
import { land } from "../../src/land/land.ts";
import { healthcareProject, runCli, tempProject } from "../helpers.ts";
import { gzip, landingProject, query } from "./helpers.ts";

/** Bytes of text with `\xNN` escapes for single bytes (ASCII text otherwise). */
function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

Deno.test("wharf land reads a Windows-1252 VisitPay file: Can\x92t lands as Can’t, with its row numbers", async () => {
  await using p = await healthcareProject();
  await p.write(
    "in/HospitalENC_VisitPay_Procedure_20240105_101500.txt",
    bytes("ProcedureId\tProcedureDescription\n1\tCan\x92t remember\n2\tok\n"),
  );
  const r = await runCli(["--project", p.root, "land", join(p.root, "in")]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(
    await query(
      p.db,
      "select procedure_id, procedure_description, _row_number::int as line from raw.visitpay_procedure order by line",
    ),
    [
      { procedure_id: "1", procedure_description: "Can’t remember", line: 2 },
      { procedure_id: "2", procedure_description: "ok", line: 3 },
    ],
  );
  assert.deepEqual(await query(p.db, "select encoding from wharf.files"), [{
    encoding: "windows-1252",
  }]);
});

Deno.test("land() reads Windows-1252's 0x80–0x9F characters, gzipped too, and rejects a record with a byte it leaves undefined", async () => {
  await using p = await tempProject({ "models/.keep": "" }, {
    sources: [{ name: "latin", pattern: /^latin.*\.csv(\.gz)?$/ }],
  });
  const text = bytes(
    "id,name\n1,\x93quoted\x94 \x80 5\x85\n2,bad \x81 byte\n3,Jos\xe9\n4,\x96 \x97 \x99\n",
  );
  const plain = await p.write("latin-a.csv", text);
  const zipped = await p.write("latin-b.csv.gz", gzip(text));
  const summary = await land(p.config, [plain, zipped], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows, o.rejectedRows]), [
    ["landed", 3, 1],
    ["landed", 3, 1],
  ]);
  assert.deepEqual(
    await query(
      p.db,
      "select _file like '%.gz' as gz, id, name, _row_number::int as line from raw.latin order by gz, line",
    ),
    [false, true].flatMap((gz) => [
      { gz, id: "1", name: "“quoted” € 5…", line: 2 },
      { gz, id: "3", name: "José", line: 4 },
      { gz, id: "4", name: "– — ™", line: 5 },
    ]),
  );
  assert.deepEqual(
    await query(
      p.db,
      "select line::int as line, byte_offset::int as byte_offset, error, original from wharf.rejects order by file",
    ),
    [0, 1].map(() => ({
      line: 3,
      byte_offset: 24, // in the bytes as delivered, not as UTF-8
      error:
        "INVALID ENCODING: byte 0x81 is no character in Windows-1252, the encoding of this file (it is not UTF-8)",
      original: "2,bad \u0081 byte",
    })),
  );
  assert.deepEqual(await query(p.db, "select distinct encoding from wharf.files"), [{
    encoding: "windows-1252",
  }]);
});

Deno.test("land() reads a file as Windows-1252 when its source says cp1252, even when it starts as UTF-8", async () => {
  await using p = await tempProject({ "models/.keep": "" }, {
    sources: [{ name: "s", pattern: /^s.*\.csv$/, encoding: "cp1252" }],
  });
  // "Ã©" in Windows-1252 is the UTF-8 of "é": the setting decides.
  const file = await p.write("s1.csv", bytes("id,name\n1,\xc3\xa9\x92\n"));
  const summary = await land(p.config, [file], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows]), [["landed", 1]]);
  assert.deepEqual(await query(p.db, "select name from raw.s"), [{ name: "Ã©’" }]);
});

Deno.test("land() refuses a Windows-1252 header with a byte Windows-1252 leaves undefined", async () => {
  await using p = await landingProject();
  const file = await p.write("latin-h.csv", bytes("id,na\x8dme\n1,a\xe9\n"));
  const summary = await land(p.config, [file], { db: p.db });
  assert.equal(summary.outcomes[0]!.status, "failed");
  assert.equal(
    summary.outcomes[0]!.message,
    'Cannot land "latin-h.csv": its header holds byte 0x8D, which is no character in Windows-1252, the encoding of text that is not UTF-8: convert the file to UTF-8',
  );
});

Deno.test("land() reads a file whose lines end with CR alone (Excel's CSV for Macintosh), with its row numbers", async () => {
  await using p = await tempProject({ "models/.keep": "" }, {
    sources: [{
      name: "procedures",
      pattern: /^HospitalX_VisitPay_Procedure_\d{8}_\d{6}\.txt(\.gz)?$/,
      columns: [{ name: "procedure_id", required: true }, "procedure_description"],
    }],
  });
  const text = 'ProcedureId\tProcedureDescription\r1\tA\r\r2\t"two\rlines"\r3\tB\tx\r4\tC';
  const plain = await p.write("HospitalX_VisitPay_Procedure_20240105_101500.txt", text);
  const zipped = await p.write("HospitalX_VisitPay_Procedure_20240106_101500.txt.gz", gzip(text));
  const summary = await land(p.config, [plain, zipped], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows, o.rejectedRows, o.message]), [
    ["landed", 3, 1, undefined],
    ["landed", 3, 1, undefined],
  ]);
  assert.deepEqual(
    await query(
      p.db,
      "select _file like '%.gz' as gz, procedure_id as id, procedure_description as d, _row_number::int as line from raw.procedures order by gz, line",
    ),
    [false, true].flatMap((gz) => [
      { gz, id: "1", d: "A", line: 2 },
      // A line break inside quotes is a CR too: it lands as a line feed.
      { gz, id: "2", d: "two\nlines", line: 4 },
      { gz, id: "4", d: "C", line: 7 },
    ]),
  );
  assert.deepEqual(
    await query(p.db, "select distinct line::int as line, error from wharf.rejects"),
    [{ line: 6, error: "TOO MANY COLUMNS: expected 2 fields, found 3" }],
  );
});

Deno.test("land() reports a gzip stream cut off inside the header as truncated, not as the wrong columns", async () => {
  await using p = await tempProject({ "models/.keep": "" }, {
    sources: [{
      name: "benefits",
      pattern: /^benefits-(?<benefit_source>[a-z0-9_]+)-(?<delivered_at>\d{8}_\d{6})\.csv(\.gz)?$/,
      columns: ["member_id", "oop_max", "remaining_oop_max", "copay", "as_of"],
    }],
  });
  const text = "member_id,oop_max,remaining_oop_max,copay,as_of\nm1,100,50,3,2024-01-01\n";
  // Stored (level 0): the text's first 38 bytes come out before the stream ends ("…,cop").
  const cut = new Uint8Array(gzipSync(new TextEncoder().encode(text), { level: 0 })).subarray(
    0,
    10 + 5 + 38,
  );
  const file = await p.write("benefits-payer_c-20240105_101500.csv.gz", cut);
  const summary = await land(p.config, [file], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.message]), [[
    "failed",
    'Cannot land "benefits-payer_c-20240105_101500.csv.gz": the gzip stream is truncated or corrupt (unexpected end of file)',
  ]]);
});

/** A project whose source `members` declares its columns (`member_id` required). */
function membersProject(columns: string[], sheet?: string) {
  return tempProject({ "models/.keep": "" }, {
    sources: [{
      name: "members",
      pattern: /^members-(?<client>client[A-Z])-(?<period>\d{6})\.xlsx$/,
      columns: [{ name: "member_id", required: true }, ...columns],
      ...(sheet === undefined ? {} : { sheet }),
    }],
  });
}

Deno.test("land() writes Excel numbers as Excel keeps them: 15 significant digits, ids whole", async () => {
  const { default: ExcelJS } = await import("exceljs");
  await using p = await membersProject(["total_billed", "ratio"]);
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("Claims");
  ws.addRow(["member id", "total billed", "ratio"]);
  ws.addRow([123456789012, 0.1 + 0.2, 1 / 3]);
  ws.addRow([75524163, { formula: "0.1+0.2", result: 0.1 + 0.2 }, 1e-7]);
  ws.addRow([999999999999999, 1234.5, -0]);
  ws.addRow([1, 19.99 * 3, 1e21]);
  const file = `${p.root}/members-clientA-202307.xlsx`;
  await wb.xlsx.writeFile(file);
  const summary = await land(p.config, [file], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows, o.message]), [[
    "landed",
    4,
    undefined,
  ]]);
  assert.deepEqual(
    await query(
      p.db,
      "select member_id, total_billed, ratio from raw.members order by _row_number",
    ),
    [
      { member_id: "123456789012", total_billed: "0.3", ratio: "0.333333333333333" },
      { member_id: "75524163", total_billed: "0.3", ratio: "1e-7" },
      { member_id: "999999999999999", total_billed: "1234.5", ratio: "0" },
      { member_id: "1", total_billed: "59.97", ratio: "1e+21" },
    ],
  );
});

Deno.test("land() names the sheet it read, the workbook's other sheets and the sheet setting when the header does not fit", async () => {
  const { default: ExcelJS } = await import("exceljs");
  await using p = await membersProject(["member_first_name"]);
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet("Summary").addRow(["Membership export for client A"]);
  const data = wb.addWorksheet("Members");
  data.addRow(["member id", "member first name"]);
  data.addRow(["M1", "Ann"]);
  wb.addWorksheet("Notes");
  const file = `${p.root}/members-clientA-202307.xlsx`;
  await wb.xlsx.writeFile(file);
  const summary = await land(p.config, [file], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.message]), [[
    "failed",
    'File "members-clientA-202307.xlsx" does not fit source "members": missing required column member_id; unexpected column "Membership export for client A" (membership_export_for_client_a). It was read from sheet "Summary" (the first; the workbook also has "Members", "Notes"): to read another, set sheet: "<name>" on source "members" in wharf.config.ts. Is it the right kind of file for this source? (Its columns are declared in wharf.config.ts.)',
  ]]);

  // With the setting, the sheet lands.
  await using q = await membersProject(["member_first_name"], "Members");
  const again = await land(q.config, [file], { db: q.db });
  assert.deepEqual(again.outcomes.map((o) => [o.status, o.rows]), [["landed", 1]]);
});

Deno.test("land() tells apart a merged two-row Excel header's repeated names with _2 and says the header row has merged cells", async () => {
  const { default: ExcelJS } = await import("exceljs");
  await using p = await membersProject(["member_first_name"]);
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("Members");
  ws.addRow(["Member", null, "Plan"]);
  ws.mergeCells("A1:B1");
  ws.addRow(["id", "first name", "code"]);
  ws.addRow(["M1", "Ann", "P1"]);
  const file = `${p.root}/members-clientA-202307.xlsx`;
  await wb.xlsx.writeFile(file);
  const summary = await land(p.config, [file], { db: p.db });
  assert.equal(summary.outcomes[0]!.status, "failed");
  assert.equal(
    summary.outcomes[0]!.message,
    'File "members-clientA-202307.xlsx" does not fit source "members": missing required column member_id; unexpected columns "Member" (member), "Member" (member_2), "Plan" (plan). It was read from sheet "Members". Its header row has merged cells (A1:B1): wharf reads one header row, so a header over two rows gives each column the text above it (repeated names get _2, _3 …) and lands its second row as data; give each column one header cell. Is it the right kind of file for this source? (Its columns are declared in wharf.config.ts.)',
  );
  assert.deepEqual(
    (summary.outcomes[0]!.error as HeaderMismatchError).unexpected,
    ["Member", "Member", "Plan"],
  );
});

Deno.test("land() names the cell of a stray value beyond an Excel header, and makes no column of the empty ones before it", async () => {
  const { default: ExcelJS } = await import("exceljs");
  await using p = await membersProject(["member_first_name"]);
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("Members");
  ws.addRow(["member id", "member first name"]);
  for (let r = 2; r <= 12; r++) ws.addRow([`M${r}`, "Ann"]);
  ws.getCell("D12").value = "oops";
  const file = `${p.root}/members-clientA-202307.xlsx`;
  await wb.xlsx.writeFile(file);
  const summary = await land(p.config, [file], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.message]), [[
    "failed",
    'File "members-clientA-202307.xlsx" does not fit source "members": unexpected column "column_4" (first value in cell D12). It was read from sheet "Members". Is it the right kind of file for this source? (Its columns are declared in wharf.config.ts.)',
  ]]);

  // Without declared columns, the value lands in column_4, and no empty column_3 is made.
  await using q = await tempProject({ "models/.keep": "" }, {
    sources: [{ name: "members", pattern: /^members-.*\.xlsx$/ }],
  });
  const landed = await land(q.config, [file], { db: q.db });
  assert.deepEqual(landed.outcomes.map((o) => [o.status, o.rows]), [["landed", 11]]);
  assert.deepEqual(
    await query(
      q.db,
      "select column_name from information_schema.columns where table_name = 'members' and column_name not like '\\_%' escape '\\' order by ordinal_position",
    ),
    [{ column_name: "member_id" }, { column_name: "member_first_name" }, {
      column_name: "column_4",
    }],
  );
  assert.deepEqual(
    await query(
      q.db,
      "select _row_number::int as n, column_4 from raw.members where column_4 is not null",
    ),
    [{ n: 12, column_4: "oops" }],
  );
});

Deno.test("land() keeps a quote after leading spaces as part of the value (a quote opens a field only at its start), as Python's csv reads it", async () => {
  await using p = await tempProject({ "models/.keep": "" }, {
    sources: [{ name: "claims", pattern: /^claims.*\.csv$/ }],
  });
  const file = await p.write(
    "claims-a.csv",
    [
      "client,line,claim_number,date,amount",
      "A,1,C1,2023-01-01,5",
      'A,2, "C2" ,2023-01-01,5',
      'A,3,"C3" ,2023-01-01,5',
      'A,4,  "C""4",2023-01-01,5',
      '"A",6, "C6" ,"2023-01-01",5',
    ].join("\n"),
  );
  const summary = await land(p.config, [file], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows, o.rejectedRows]), [[
    "landed",
    4,
    1,
  ]]);
  assert.deepEqual(
    await query(
      p.db,
      "select client, line, claim_number, date, _row_number::int as n from raw.claims order by n",
    ),
    [
      { client: "A", line: "1", claim_number: "C1", date: "2023-01-01", n: 2 },
      { client: "A", line: "2", claim_number: ' "C2" ', date: "2023-01-01", n: 3 },
      { client: "A", line: "4", claim_number: '  "C""4"', date: "2023-01-01", n: 5 },
      { client: "A", line: "6", claim_number: ' "C6" ', date: "2023-01-01", n: 6 },
    ],
  );
  assert.deepEqual(await query(p.db, "select line::int as line, error from wharf.rejects"), [{
    line: 4,
    error: 'UNQUOTED VALUE: a closing quote is followed by " ", not a delimiter or a line end',
  }]);
});
