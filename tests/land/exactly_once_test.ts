import assert from "node:assert/strict";
import { join } from "node:path";
import { ContentConflictError } from "../../src/engine/errors.ts";
import { land } from "../../src/land/land.ts";
import { gzip, landingProject, query } from "./helpers.ts";

Deno.test("a rerun lands nothing twice: the same name with the same content is skipped; new content, or known content under a new name, is a new delivery", async () => {
  await using p = await landingProject();
  const a = await p.write("in/HospitalABC_Visit_20240101_000000.txt", "id\tv\n1\ta\n2\tb\n");
  const first = await land(p.config, [`${p.root}/in`], { db: p.db });
  assert.deepEqual(first.outcomes.map((o) => o.status), ["landed"]);
  const again = await land(p.config, [`${p.root}/in`], { db: p.db });
  assert.deepEqual(again.outcomes.map((o) => [o.status, o.batchId]), [[
    "skipped",
    first.outcomes[0]!.batchId,
  ]]);
  assert.match(
    again.outcomes[0]!.message!,
    /^already landed in batch 1 at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC from .*\/in\/HospitalABC_Visit_20240101_000000\.txt \(2 rows; same source, name and content\): nothing was loaded again$/,
  );
  // The same bytes delivered again under a new name: a delivery of its own (A, B, then A again ends at A).
  const copy = await p.write(
    "in/HospitalABC_Visit_20240102_000000.txt",
    await Deno.readTextFile(a),
  );
  const redelivered = await land(p.config, [copy], { db: p.db });
  assert.deepEqual(redelivered.outcomes.map((o) => [o.status, o.rows]), [["landed", 2]]);
  assert.match(
    redelivered.outcomes[0]!.message!,
    /^same content as .*\/in\/HospitalABC_Visit_20240101_000000\.txt \(batch 1\)$/,
  );
  assert.deepEqual(
    await query(
      p.db,
      "select file_name, note from wharf.files where status = 'landed' order by batch_id",
    ),
    [
      { file_name: "HospitalABC_Visit_20240101_000000.txt", note: null },
      {
        file_name: "HospitalABC_Visit_20240102_000000.txt",
        note: `same content as ${a} (batch 1)`,
      },
    ],
  );
  // The same name from another folder is the same delivery.
  const elsewhere = await p.write(
    "archive/HospitalABC_Visit_20240102_000000.txt",
    await Deno.readTextFile(a),
  );
  assert.deepEqual(
    (await land(p.config, [elsewhere], { db: p.db })).outcomes.map((o) => o.status),
    [
      "skipped",
    ],
  );
  // The same name with other content: a new delivery, and it says so (not silently mixed in).
  await p.write("in/HospitalABC_Visit_20240101_000000.txt", "id\tv\n1\tA\n");
  const renewed = (await land(p.config, [a], { db: p.db })).outcomes;
  assert.deepEqual(renewed.map((o) => [o.status, o.rows, o.sameName?.batchId]), [["landed", 1, 1]]);
  const note =
    /^new delivery: batch 1 landed other content under this name at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/;
  assert.match(renewed[0]!.message!, note);
  const [row] = await query(
    p.db,
    `select note from wharf.files where batch_id = ${renewed[0]!.batchId}`,
  );
  assert.equal(row!.note, renewed[0]!.message);
  assert.deepEqual(
    await query(
      p.db,
      "select count(*)::int as n, count(distinct _batch_id)::int as b from raw.visits",
    ),
    [{ n: 5, b: 3 }],
  );
  assert.deepEqual(
    await query(p.db, "select count(*)::int as n from wharf.files where status = 'landed'"),
    [{ n: 3 }],
  );
});

Deno.test("a JSON delivery under a name landed before with other content says which batch it follows", async () => {
  await using p = await landingProject();
  const file = join(p.root, "members-clientA-202301.ndjson");
  const deliver = async (text: string) => {
    await Deno.writeTextFile(file, text);
    return (await land(p.config, [file], { db: p.db })).outcomes[0]!;
  };
  const first = await deliver('{"id":"1"}\n');
  assert.deepEqual([first.status, first.message], ["landed", undefined]);
  const second = await deliver('{"id":"2"}\n');
  assert.equal(second.status, "landed");
  assert.match(
    second.message!,
    /^new delivery: batch 1 landed other content under this name at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
  );
  // Another name, known with other content, receiving the first content: both notes.
  const other = join(p.root, "members-clientA-202302.ndjson");
  await Deno.writeTextFile(other, '{"id":"3"}\n');
  await land(p.config, [other], { db: p.db });
  await Deno.writeTextFile(other, '{"id":"1"}\n');
  const both = (await land(p.config, [other], { db: p.db })).outcomes[0]!;
  assert.equal(both.status, "landed");
  assert.match(
    both.message!,
    /^same content as .*\/members-clientA-202301\.ndjson \(batch 1\); new delivery: batch 3 landed other content under this name at .* UTC$/,
  );
});

Deno.test("content that landed as another source is refused, naming that source", async () => {
  await using p = await landingProject();
  const text = "id\tv\n1\ta\n";
  await land(p.config, [await p.write("HospitalABC_Visit_20240101_000000.txt", text)], {
    db: p.db,
  });
  const misrouted = await p.write("HospitalABC_Procedure_20240101_000000.txt", text);
  const summary = await land(p.config, [misrouted], { db: p.db });
  const [o] = summary.outcomes;
  assert.equal(summary.ok, false);
  assert.equal(o!.status, "failed");
  assert.ok(o!.error instanceof ContentConflictError);
  assert.deepEqual(
    [o!.error.source, o!.error.otherSource, o!.error.batchId],
    ["procedures", "visits", 1],
  );
  assert.match(
    o!.message!,
    /^Cannot land ".*HospitalABC_Procedure_20240101_000000\.txt" as source "procedures": the same content already landed as source "visits" \(.*HospitalABC_Visit_20240101_000000\.txt, batch 1\); one of the two deliveries is misrouted$/,
  );
  assert.deepEqual(
    await query(
      p.db,
      "select count(*)::int as n from information_schema.tables where table_name = 'procedures'",
    ),
    [{ n: 0 }],
  );
  assert.deepEqual(
    await query(p.db, "select status, source from wharf.files order by batch_id"),
    [{ status: "landed", source: "visits" }, { status: "failed", source: "procedures" }],
  );
});

Deno.test("files land in source order, then by the delivery time in their names; a late file still lands", async () => {
  await using p = await landingProject();
  const files = [
    await p.write("HospitalABC_Visit_20240103_000000.txt", "id\n3\n"),
    await p.write("HospitalABC_Visit_20240101_120000.txt", "id\n1\n"),
    await p.write("HospitalABC_Procedure_20240109_000000.txt", "id\nP\n"),
  ];
  const summary = await land(p.config, files, { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => o.file.split("/").pop()), [
    "HospitalABC_Procedure_20240109_000000.txt",
    "HospitalABC_Visit_20240101_120000.txt",
    "HospitalABC_Visit_20240103_000000.txt",
  ]);
  // Delivered late: older than what is landed, it lands all the same, with its own delivery time.
  const late = await p.write("HospitalABC_Visit_20240102_000000.txt", "id\n2\n");
  assert.deepEqual((await land(p.config, [late], { db: p.db })).outcomes.map((o) => o.status), [
    "landed",
  ]);
  assert.deepEqual(
    await query(
      p.db,
      "select id, timezone('UTC', _delivered_at)::varchar as d from raw.visits order by _batch_id",
    ),
    [
      { id: "1", d: "2024-01-01 12:00:00" },
      { id: "3", d: "2024-01-03 00:00:00" },
      { id: "2", d: "2024-01-02 00:00:00" },
    ],
  );
});

Deno.test("columns that appear, vanish or move between deliveries land by name", async () => {
  await using p = await landingProject();
  await land(p.config, [await p.write("members-clientA-202301.csv", "member id,name\n1,Ann\n")], {
    db: p.db,
  });
  await land(p.config, [
    await p.write("members-clientA-202302.csv", "Name,Member ID,phone\nBo,2,555\n"),
  ], { db: p.db });
  await land(p.config, [await p.write("members-clientA-202303.csv", "member_id\n3\n")], {
    db: p.db,
  });
  assert.deepEqual(
    await query(p.db, "select member_id, name, phone, _period from raw.members order by member_id"),
    [
      { member_id: "1", name: "Ann", phone: null, _period: "202301" },
      { member_id: "2", name: "Bo", phone: "555", _period: "202302" },
      { member_id: "3", name: null, phone: null, _period: "202303" },
    ],
  );
  const [cols] = await query(
    p.db,
    "select columns::varchar as c from wharf.files where file_name like '%202302%'",
  );
  assert.equal(
    cols!.c,
    '[{"header":"Name","column":"name"},{"header":"Member ID","column":"member_id"},{"header":"phone","column":"phone"}]',
  );
});

Deno.test("content A, then B, then A again under one name lands A as the latest batch; a rerun then skips", async () => {
  await using p = await landingProject();
  const a = "id,name\n1,Ann\n2,Bo\n3,Cy\n";
  const b = "id,name\n1,Ann\n2,Bob\n";
  const file = join(p.root, "in", "members-clientA-202311.csv");
  await Deno.mkdir(join(p.root, "in"));
  const deliver = async (text: string) => {
    await Deno.writeTextFile(file, text);
    return (await land(p.config, [file], { db: p.db })).outcomes[0]!;
  };
  assert.equal((await deliver(a)).status, "landed");
  const second = await deliver(b);
  assert.equal(second.status, "landed");
  const again = await deliver(a);
  assert.deepEqual(
    [again.status, again.batchId, again.rows, again.sameAs?.batchId, again.sameName?.batchId],
    ["landed", 3, 3, 1, 2],
  );
  assert.match(
    again.message!,
    /^new delivery: same content as batch 1, after batch 2 landed other content under this name at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
  );
  // The rerun right after: the latest landing of the name holds this content.
  const rerun = await land(p.config, [file], { db: p.db });
  assert.deepEqual(rerun.outcomes.map((o) => [o.status, o.batchId]), [["skipped", 3]]);
  assert.match(
    rerun.outcomes[0]!.message!,
    /^already landed in batch 3 at .* UTC from .*members-clientA-202311\.csv \(3 rows; same source, name and content\): nothing was loaded again$/,
  );
  assert.deepEqual(
    await query(
      p.db,
      "select batch_id::int as batch, rows::int as rows, note from wharf.files where status = 'landed' order by batch_id",
    ),
    [
      { batch: 1, rows: 3, note: null },
      { batch: 2, rows: 2, note: second.message },
      { batch: 3, rows: 3, note: again.message },
    ],
  );
  // The raw table's latest batch holds A.
  assert.deepEqual(
    await query(
      p.db,
      "select id, name from raw.members where _batch_id = (select max(_batch_id) from raw.members) order by _row_number",
    ),
    [{ id: "1", name: "Ann" }, { id: "2", name: "Bo" }, { id: "3", name: "Cy" }],
  );
});

Deno.test("each file takes one batch id: a file read again through the copy (its bad lines rejected) or failed leaves no gap in the numbering", async () => {
  await using p = await landingProject();
  // A line with a field too many: DuckDB's read is rolled back and the copy lands the good lines.
  await p.write("in/HospitalABC_Visit_20240101_000000.txt", "id\tv\n1\ta\n2\tb\tc\n3\td\n");
  // Cut off inside the compressed stream: both reads fail, and the file is recorded as failed.
  const whole = gzip(
    `id\tv\n${Array.from({ length: 5000 }, (_, i) => `${i}\tv${i}`).join("\n")}\n`,
  );
  await p.write("in/HospitalABC_Visit_20240102_000000.txt.gz", whole.slice(0, whole.length / 2));
  await p.write("in/members-clientA-202401.csv", "id,name\n1,Ann\n");
  const r = await land(p.config, [`${p.root}/in`], { db: p.db });
  assert.deepEqual(r.outcomes.map((o) => [o.status, o.rejectedRows]), [
    ["landed", 1],
    ["failed", 0],
    ["landed", 0],
  ]);
  assert.deepEqual(
    await query(p.db, "select batch_id::int as b, status from wharf.files order by batch_id"),
    [{ b: 1, status: "landed" }, { b: 2, status: "failed" }, { b: 3, status: "landed" }],
  );
  // The rows and the rejected line carry their file's batch.
  assert.deepEqual(
    await query(
      p.db,
      `select 'visits' as t, list(distinct _batch_id::int) as b from raw.visits
       union all select 'members', list(distinct _batch_id::int) from raw.members
       union all select 'rejects', list(distinct batch_id::int) from wharf.rejects order by 1`,
    ),
    [
      { t: "members", b: [3] },
      { t: "rejects", b: [1] },
      { t: "visits", b: [1] },
    ],
  );
});
