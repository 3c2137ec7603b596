/**
 * A delimited file's encoding is decided on the whole file, not its first
 * megabyte; what is read as Windows-1252 says so; a rejected line keeps the
 * bytes that are not UTF-8 visible.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { land } from "../../src/land/land.ts";
import { SAMPLE } from "../../src/land/formats/text.ts";
import { healthcareProject, runCli } from "../helpers.ts";
import { gzip, landingProject, query } from "./helpers.ts";

/** Bytes of text with `\xNN` escapes for single bytes (ASCII text otherwise). */
function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

/**
 * A file of `id,name` records past the sample, with `early` as line 3's
 * name and `late` as the name of a line past the sample (both bytes).
 */
function longFile(early: Uint8Array, late: Uint8Array): { file: Uint8Array; lateLine: number } {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode("id,name\n1,a\n2,"), early, enc.encode("\n")];
  let size = 0;
  let line = 4;
  while (size < SAMPLE + 100_000) {
    const row = enc.encode(`${line - 1},desc ${line}\n`);
    parts.push(row);
    size += row.length;
    line++;
  }
  parts.push(enc.encode(`${line - 1},`), late, enc.encode("\n"));
  const file = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    file.set(p, at);
    at += p.length;
  }
  return { file, lateLine: line };
}

Deno.test("land() reads a UTF-8 file whose first megabyte has a bad byte and no multi-byte character as UTF-8: the late José lands, the bad line is rejected with its byte as \\xff", async () => {
  await using p = await landingProject();
  const { file, lateLine } = longFile(bytes("bad \xff early"), new TextEncoder().encode("José"));
  const plain = await p.write("members-clientA-202307.csv", file);
  const zipped = await p.write("members-clientB-202307.csv.gz", gzip(file));
  const summary = await land(p.config, [plain, zipped], { db: p.db });
  assert.deepEqual(
    summary.outcomes.map((o) => [o.status, o.rejectedRows, o.encoding]),
    [["landed", 1, "utf-8"], ["landed", 1, "utf-8"]],
  );
  assert.deepEqual(
    await query(p.db, `select name from raw.members where _row_number = ${lateLine}`),
    [{ name: "José" }, { name: "José" }],
  );
  assert.deepEqual(
    await query(p.db, "select distinct line::int as line, error, original from wharf.rejects"),
    [{
      line: 3,
      error: "INVALID ENCODING: the line is not valid UTF-8",
      original: "2,bad \\xff early",
    }],
  );
  assert.deepEqual(await query(p.db, "select distinct encoding from wharf.files"), [{
    encoding: "utf-8",
  }]);
});

Deno.test("land() reads a file whose first megabyte is ASCII and whose later bytes are not UTF-8 (no multi-byte character anywhere) as Windows-1252", async () => {
  await using p = await landingProject();
  const { file, lateLine } = longFile(bytes("plain"), bytes("Jos\xe9 \x93q\x94"));
  const path = await p.write("latin-a.csv", file);
  const [o] = (await land(p.config, [path], { db: p.db })).outcomes;
  assert.deepEqual([o!.status, o!.rejectedRows, o!.encoding], ["landed", 0, "windows-1252"]);
  assert.deepEqual(
    await query(p.db, `select name from raw.latin where _row_number = ${lateLine}`),
    [{ name: "José “q”" }],
  );
  assert.deepEqual(await query(p.db, "select encoding from wharf.files"), [{
    encoding: "windows-1252",
  }]);
});

Deno.test("wharf land says when a file is read as Windows-1252, and not for a UTF-8 one", async () => {
  await using p = await healthcareProject();
  await p.write(
    "in/HospitalENC_VisitPay_Procedure_20240105_101500.txt",
    bytes("ProcedureId\tProcedureDescription\n777\xff0004\tx\n"),
  );
  await p.write(
    "in/HospitalENC_VisitPay_Procedure_20240106_101500.txt",
    "ProcedureId\tProcedureDescription\n7770004\tJosé\n",
  );
  const r = await runCli(["--project", p.root, "land", join(p.root, "in")]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.split("\n").filter((l) => l.startsWith("landed"));
  assert.equal(lines.length, 2, r.stdout);
  assert.match(
    lines[0]!,
    /_20240105_101500\.txt: 1 row, .*, read as Windows-1252 \(it is not UTF-8\)$/,
  );
  assert.doesNotMatch(lines[1]!, /Windows-1252/);
  assert.deepEqual(
    await query(p.db, "select procedure_id from raw.visitpay_procedure order by _delivered_at"),
    [{ procedure_id: "777ÿ0004" }, { procedure_id: "7770004" }],
  );
});
