import assert from "node:assert/strict";
import { land } from "../../src/land/land.ts";
import { gzip, landingProject, query } from "./helpers.ts";

Deno.test("land() reads CSV with a BOM, CRLF, quoted delimiters and no final newline", async () => {
  await using p = await landingProject();
  const file = await p.write(
    "in/members-clientA-202307.csv",
    '\uFEFFmember id,Member First Name,address\r\n1,Ann,"12 Main St, Apt 2"\r\n2,"Bo ""B"" Li",\r\n3,Cy,"x"',
  );
  const summary = await land(p.config, [file], { db: p.db });
  assert.ok(summary.ok);
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows, o.rejectedRows]), [[
    "landed",
    3,
    0,
  ]]);
  const rows = await query(
    p.db,
    "select member_id, member_first_name, address, _row_number::int as line, _client, _period, timezone('UTC', _delivered_at)::varchar as d, _file = '" +
      file + "' as f from raw.members order by line",
  );
  assert.deepEqual(rows, [
    {
      member_id: "1",
      member_first_name: "Ann",
      address: "12 Main St, Apt 2",
      line: 2,
      _client: "clientA",
      _period: "202307",
      d: "2023-07-01 00:00:00",
      f: true,
    },
    {
      member_id: "2",
      member_first_name: 'Bo "B" Li',
      address: null,
      line: 3,
      _client: "clientA",
      _period: "202307",
      d: "2023-07-01 00:00:00",
      f: true,
    },
    {
      member_id: "3",
      member_first_name: "Cy",
      address: "x",
      line: 4,
      _client: "clientA",
      _period: "202307",
      d: "2023-07-01 00:00:00",
      f: true,
    },
  ]);
  const [manifest] = await query(
    p.db,
    "select status, rows::int as rows, delimiter, encoding, columns->>'$[0].header' as h from wharf.files",
  );
  assert.deepEqual(manifest, {
    status: "landed",
    rows: 3,
    delimiter: ",",
    encoding: "utf-8",
    h: "member id",
  });
});

Deno.test("land() sniffs tab and pipe delimiters in .txt files and keeps every value as text", async () => {
  await using p = await landingProject();
  const tab = await p.write(
    "HospitalABC_Visit_20240105_101500.txt",
    "VisitIdentifier\tAdmitDate\tNote\n321000001\t1/1/2021\tCan't remember\n321000002\t5/10/2020\t007",
  );
  const pipe = await p.write(
    "HospitalABC_Procedure_20240105_101500.txt",
    "ProcedureId|ProcedureDescription\n1|ACL thing\n2|Beard|ish",
  );
  const summary = await land(p.config, [tab, pipe], { db: p.db });
  // Procedures land first: the source order says so, whatever the order given.
  assert.deepEqual(summary.outcomes.map((o) => [o.source, o.rows, o.rejectedRows]), [[
    "procedures",
    1,
    1,
  ], ["visits", 2, 0]]);
  assert.deepEqual(
    await query(
      p.db,
      "select visit_identifier, admit_date, note, _hospital from raw.visits order by 1",
    ),
    [
      {
        visit_identifier: "321000001",
        admit_date: "1/1/2021",
        note: "Can't remember",
        _hospital: "HospitalABC",
      },
      {
        visit_identifier: "321000002",
        admit_date: "5/10/2020",
        note: "007",
        _hospital: "HospitalABC",
      },
    ],
  );
  const types = await query(
    p.db,
    "select distinct data_type from information_schema.columns where table_name = 'visits' and column_name not like '\\_%' escape '\\'",
  );
  assert.deepEqual(types, [{ data_type: "VARCHAR" }]);
});

Deno.test("land() detects Latin-1 text and decodes it as Windows-1252", async () => {
  await using p = await landingProject();
  const file = await p.write(
    "latin1.csv",
    new Uint8Array([
      ...new TextEncoder().encode("id,name\n1,Jos"),
      0xe9,
      ...new TextEncoder().encode("\n2,M"),
      0xfc,
      ...new TextEncoder().encode("ller\n"),
    ]),
  );
  const summary = await land(p.config, [file], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows]), [["landed", 2]]);
  assert.deepEqual(await query(p.db, "select name from raw.latin order by id"), [{ name: "José" }, {
    name: "Müller",
  }]);
  assert.deepEqual(await query(p.db, "select encoding from wharf.files"), [{
    encoding: "windows-1252",
  }]);
});

Deno.test("land() reads JSON arrays, NDJSON and gzipped files, nested values as JSON text", async () => {
  await using p = await landingProject();
  const json = await p.write(
    "members-clientA-202301.json",
    JSON.stringify([{ id: 1, name: "Ann", tags: ["a", "b"], active: true }, {
      id: 2,
      name: null,
      extra: { x: 1 },
    }]),
  );
  const ndjson = await p.write(
    "members-clientB-202302.ndjson.gz",
    gzip('{"id": 3, "name": "Cy"}\n\n{"id": 4, "name": "Di"}\n'),
  );
  const csv = await p.write("HospitalABC_Visit_20240101_000000.txt.gz", gzip("a\tb\n1\t2\n3\t4\n"));
  const summary = await land(p.config, [json, ndjson, csv], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows]), [["landed", 2], ["landed", 2], [
    "landed",
    2,
  ]]);
  assert.deepEqual(
    await query(
      p.db,
      "select id, name, tags, active, extra, _row_number::int as n, _client from raw.members order by id::int",
    ),
    [
      {
        id: "1",
        name: "Ann",
        tags: '["a","b"]',
        active: "true",
        extra: null,
        n: 1,
        _client: "clientA",
      },
      { id: "2", name: null, tags: null, active: null, extra: '{"x":1}', n: 2, _client: "clientA" },
      { id: "3", name: "Cy", tags: null, active: null, extra: null, n: 1, _client: "clientB" },
      { id: "4", name: "Di", tags: null, active: null, extra: null, n: 3, _client: "clientB" },
    ],
  );
  assert.deepEqual(await query(p.db, "select a, b from raw.visits order by a"), [
    { a: "1", b: "2" },
    { a: "3", b: "4" },
  ]);
});

Deno.test("land() keeps JSON and NDJSON numbers as written: long ids, trailing zeros, exponents, -0", async () => {
  await using p = await landingProject();
  const record =
    '{"id": 9007199254740993, "big": 12345678901234567890123, "amount": 10.50, "neg": -0.0, "e": 1E5, "small": 0.0000001, "plain": 42, "nested": {"card": 6011000990139424, "x": 1.10}}';
  const ndjson = await p.write("members-clientB-202302.ndjson", `${record}\n{"id": 7}\n`);
  const json = await p.write("members-clientA-202301.json", `[${record}]`);
  const summary = await land(p.config, [ndjson, json], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows]), [["landed", 1], ["landed", 2]]);
  const written = {
    id: "9007199254740993",
    big: "12345678901234567890123",
    amount: "10.50",
    neg: "-0.0",
    e: "1E5",
    small: "0.0000001",
    plain: "42",
    nested: '{"card":6011000990139424,"x":1.10}',
  };
  assert.deepEqual(
    await query(
      p.db,
      "select id, big, amount, neg, e, small, plain, nested from raw.members order by _client, _row_number",
    ),
    [
      written,
      written,
      {
        id: "7",
        big: null,
        amount: null,
        neg: null,
        e: null,
        small: null,
        plain: null,
        nested: null,
      },
    ],
  );
});

Deno.test("land() reads Excel: real dates as ISO text, text dates as text, formatted empty rows skipped", async () => {
  const { default: ExcelJS } = await import("exceljs");
  await using p = await landingProject();
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("Members");
  ws.addRow(["member id", "date of birth", "membership end date", "zip"]);
  ws.addRow([75524163, "April 4, 2003", new Date(Date.UTC(2023, 9, 31)), 2130]);
  ws.addRow(["A2", new Date(Date.UTC(1990, 0, 2)), "11/31/2023", "02130"]);
  for (let r = 4; r < 200; r++) ws.getRow(r).getCell(1).style = { font: { bold: true } };
  ws.getRow(150).getCell(2).value = "";
  const file = `${p.root}/members-clientA-202307.xlsx`;
  await wb.xlsx.writeFile(file);
  const summary = await land(p.config, [file], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows]), [["landed", 2]]);
  assert.deepEqual(
    await query(
      p.db,
      "select member_id, date_of_birth, membership_end_date, zip, _row_number::int as n from raw.members order by n",
    ),
    [
      {
        member_id: "75524163",
        date_of_birth: "April 4, 2003",
        membership_end_date: "2023-10-31",
        zip: "2130",
        n: 2,
      },
      {
        member_id: "A2",
        date_of_birth: "1990-01-02",
        membership_end_date: "11/31/2023",
        zip: "02130",
        n: 3,
      },
    ],
  );
});
