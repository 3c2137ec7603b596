import assert from "node:assert/strict";
import { join } from "node:path";
import type { PlainFile } from "../../src/tic/files.ts";
import { PLAN_KEYS, PlanField, type StructureRead } from "../../src/tic/reader.ts";
import { type StagedFile, StagedRows } from "../../src/tic/staged_rows.ts";
import { tempProject } from "../helpers.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** A structure as the reader hands it over: plans named `names` (plain text), linking `fileIds`. */
function structure(names: string[], ids: number[]): StructureRead {
  const bytes = enc(names.join(""));
  const planFields = new Int32Array(PLAN_KEYS.length * 3 * names.length);
  let at = 0;
  names.forEach((name, plan) => {
    planFields.set([at, at + name.length, PlanField.Plain], PLAN_KEYS.length * 3 * plan);
    at += name.length;
  });
  return { offset: 0, bytes, planCount: names.length, planFields, fileIds: Int32Array.from(ids) };
}

/** A new file whose location is `url` (`https://h/<key>`), as the registry hands it over. */
function plainFile(id: number, url: string): PlainFile {
  const bytes = enc(url);
  return {
    id,
    kind: 0,
    bytes,
    urlStart: 0,
    urlEnd: bytes.length,
    hostStart: 8,
    hostEnd: 9,
    keyStart: 9,
    keyEnd: bytes.length,
    nameStart: url.lastIndexOf("/") + 1,
    descriptionStart: -1,
    descriptionEnd: -1,
  };
}

/** Each file handed over: its table, its rows as text (separators shown as "|"), and their count. */
async function contents(files: StagedFile[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    await f.written;
    const text = await Deno.readTextFile(f.path);
    out.push(`${f.table} ${f.rows}: ${text.replaceAll("\x1f", "|").replaceAll("\x02", "~")}`);
  }
  return out;
}

Deno.test("staged rows go in segments of a row group per table, a row of links split where its segment ends", async () => {
  await using p = await tempProject();
  const rows = new StagedRows({ dir: p.root, unit: 3, segmentBytes: 1 << 20 });
  rows.structure(1, structure(["a", "b"], [1, 2, 3, 4, 5]));
  rows.plain(plainFile(1, "https://h/d/one.json"));
  rows.structure(2, structure(["c", "d"], [6, 7]));
  assert.equal(rows.readyRows, 3 + 6);
  assert.equal(rows.rows, 4 + 7 + 1);
  // The complete segments only; the rows staged since start new ones.
  assert.deepEqual(await contents(rows.take(false)), [
    "links 3: 1|1,2,3\n",
    "plans 3: 1|a|~|~|~|~|~\n1|b|~|~|~|~|~\n2|c|~|~|~|~|~\n",
    "links 3: 1|4,5\n2|6\n",
  ]);
  assert.equal(rows.readyRows, 0);
  rows.structure(3, structure([], [8, 9]));
  assert.deepEqual(await contents(rows.take(false)), ["links 3: 2|7\n3|8,9\n"]);
  // Everything, complete or not.
  assert.deepEqual((await contents(rows.take(true))).sort(), [
    "files 1: 1|0|/d/one.json|https://h/d/one.json|h|one.json|~\n",
    "plans 1: 2|d|~|~|~|~|~\n",
  ]);
  assert.deepEqual(rows.take(true), []);
});

Deno.test("a segment's bytes reach its file as they are staged, a buffer at a time; a segment ends at its byte limit too", async () => {
  await using p = await tempProject();
  const rows = new StagedRows({ dir: p.root, unit: 1_000_000, segmentBytes: 3 << 20 });
  const name = "n".repeat(1000);
  for (let i = 0; i < 2500; i++) rows.structure(i, structure([name], []));
  await rows.settle();
  // Two buffers of rows (1 MB at most each) written, the third being filled.
  const [file] = [...Deno.readDirSync(p.root)].filter((f) => f.name.endsWith("_plans.csv"));
  const size = (await Deno.stat(join(p.root, file!.name))).size;
  assert.ok(size > 2_000_000 && size <= 2 << 20, `${size} bytes written`);
  for (let i = 2500; i < 4000; i++) rows.structure(i, structure([name], []));
  const files = rows.take(true);
  // Rows of 1,013 to 1,016 bytes: the first segment ends at 3 MB.
  assert.deepEqual(files.map((f) => [f.table, f.rows]), [["plans", 3098], ["plans", 902]]);
  for (const f of files) await f.written;
  const first = (await Deno.stat(files[0]!.path)).size;
  assert.ok(first >= 3 << 20 && first < (3 << 20) + 1016, `${first} bytes`);
  assert.equal((await Deno.readTextFile(files[0]!.path)).split("\n").length, 3099);
  assert.equal(files[0]!.longest, 1016);
});

Deno.test("plain enum values are staged trimmed and lower-cased, names, ids, sponsors and issuers as written", async () => {
  await using p = await tempProject();
  const rows = new StagedRows({ dir: p.root, unit: 10, segmentBytes: 1 << 20 });
  const fields = ["  Name  X ", " 0042 ", "  EIN ", "GROUP", " Acme Sponsor ", "Issuer INC"];
  const bytes = enc(fields.join(""));
  const planFields = new Int32Array(PLAN_KEYS.length * 3);
  let at = 0;
  fields.forEach((f, k) => {
    planFields.set([at, at + f.length, PlanField.Plain], 3 * k);
    at += f.length;
  });
  rows.structure(7, { offset: 0, bytes, planCount: 1, planFields, fileIds: new Int32Array() });
  assert.deepEqual(await contents(rows.take(true)), [
    "plans 1: 7|  Name  X | 0042 |ein|group| Acme Sponsor |Issuer INC\n",
  ]);
});
