/**
 * The landing corpus: hostile and careless input, each case with the exact
 * outcome it must give (rows landed, rejected, failed, message) and the
 * invariant checked on the warehouse. Issue items are noted as `#14.2`
 * (issue 14, item 2).
 *
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { land } from "../../src/land/land.ts";
import { cliCommand, REPO, runCli, serveLocal, tempProject } from "../helpers.ts";
import { hostileCsv, readReference } from "./csv_oracle.ts";
import { LANDING_VOLATILE, landingBreakdown, warehouseDigest } from "./digest.ts";
import { killNote, killTrials } from "./kill.ts";
import { killTrialCount, seededRandom } from "./seed.ts";
import {
  ANY_SOURCES,
  assertLandingInvariant,
  assertOutcomes,
  landCase,
  rows,
} from "./land_harness.ts";
import { defineCase } from "./registry.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const gzip = (data: string | Uint8Array) =>
  new Uint8Array(gzipSync(typeof data === "string" ? enc(data) : data));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Lines `header`, then `n` rows made by `row(i)` (i from 1), LF-terminated. */
function lines(header: string, n: number, row: (i: number) => string): string {
  const out = [header];
  for (let i = 1; i <= n; i++) out.push(row(i));
  return out.join("\n") + "\n";
}

// --- #14.2: every line ends in raw or in the rejects ---------------------------------------------

landCase({
  name: "a stray quote then a quote never closed: the two good lines land, the bad one is rejected",
  issue: "#14.2",
  setup: async (p) => {
    await p.write("in/ruler.csv", 'id,desc\n1,12" ruler\n2,"unclosed\n3,fine\n');
  },
  expect: [{ file: "ruler.csv", status: "landed", rows: 2, rejected: 1 }],
  check: async (p) => {
    assert.deepEqual(
      await rows(p.db, 'SELECT _row_number::INT AS line, id, "desc" FROM raw.csv ORDER BY 1'),
      [{ line: 2, id: "1", desc: '12" ruler' }, { line: 4, id: "3", desc: "fine" }],
    );
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT line::INT AS line, byte_offset::INT AS off, error, original FROM wharf.rejects",
      ),
      [{
        line: 3,
        off: 20,
        error: "UNTERMINATED QUOTE: the quote opened in this line is never closed",
        original: '2,"unclosed',
      }],
    );
  },
});

/** Lands `count` hostile CSVs from `seed` on and compares each with the reference reader. */
async function fuzz(seed: number, count: number): Promise<void> {
  await using p = await tempProject({ "models/.keep": "" }, {
    sources: [{ name: "csv", pattern: /\.csv(\.gz)?$/, encoding: "utf-8" }],
  });
  const expected = new Map<string, ReturnType<typeof readReference>>();
  for (let i = 0; i < count; i++) {
    const bytes = hostileCsv(seed + i);
    // The seed in the name: a failure says which input to look at.
    const name = `fuzz_${seed + i}.csv${i % 5 === 4 ? ".gz" : ""}`;
    await p.write(`in/${name}`, i % 5 === 4 ? gzip(bytes) : bytes);
    expected.set(name, readReference(bytes));
  }
  const summary = await land(p.config, [`${p.root}/in`], { db: p.db });
  const got = await rows(
    p.db,
    "SELECT _file AS f, _row_number::INT AS line, a, b, c FROM raw.csv ORDER BY _file, line",
  );
  const rejects = await rows(
    p.db,
    "SELECT file AS f, line::INT AS line, error FROM wharf.rejects ORDER BY file, line",
  );
  for (const o of summary.outcomes) {
    const name = o.file.split("/").pop()!;
    const want = expected.get(name)!;
    const good = want.records.filter((r) => r.values);
    const bad = want.records.filter((r) => r.error);
    assert.deepEqual(
      [o.status, o.rows, o.rejectedRows],
      ["landed", good.length, bad.length],
      `${name}: ${o.message ?? ""}`,
    );
    assert.deepEqual(
      got.filter((r) => r.f === o.file).map((r) => [r.line, r.a, r.b, r.c]),
      good.map((r) => [r.line, ...r.values!]),
      `${name}: landed rows`,
    );
    assert.deepEqual(
      rejects.filter((r) => r.f === o.file).map((r) => [r.line, String(r.error).split(":")[0]]),
      bad.map((r) => [r.line, r.error]),
      `${name}: rejects`,
    );
  }
  assert.equal(summary.outcomes.length, count);
  await assertLandingInvariant(p.db);
}

defineCase({
  area: "land",
  name: "60 generated hostile CSVs land exactly as a reference reader reads them",
  issue: "#14.2",
  run: () => fuzz(1, 60),
});

defineCase({
  area: "land",
  name: "2,000 generated hostile CSVs land exactly as a reference reader reads them",
  issue: "#14.2",
  slow: true,
  run: () => fuzz(10_000, 2000),
});

// --- #14.3: the hash is of exactly the bytes landed ----------------------------------------------

defineCase({
  area: "land",
  name: "a file that grows while it lands is landed again whole, with the hash of what landed",
  issue: "#14.3",
  async run() {
    await using p = await tempProject({ "models/.keep": "" }, { sources: ANY_SOURCES });
    const path = await p.write("in/growing.csv", lines("id,v", 50_000, (i) => `${i},v${i}`));
    let appended = false;
    const summary = await land(p.config, [path], {
      db: p.db,
      onProgress: () => {
        if (appended) return;
        appended = true;
        Deno.writeTextFileSync(path, "50001,late\n", { append: true });
      },
    });
    assert.ok(appended);
    assertOutcomes(summary, [{ file: "growing.csv", status: "landed", rows: 50_001 }]);
    assert.equal(summary.outcomes[0]!.sha256, sha256(await Deno.readFile(path)));
    assert.deepEqual(
      await rows(p.db, "SELECT sha256, rows::INT AS n FROM wharf.files"),
      [{ sha256: sha256(await Deno.readFile(path)), n: 50_001 }],
    );
    await assertLandingInvariant(p.db);
  },
});

defineCase({
  area: "land",
  name:
    "a file that keeps growing fails after three attempts, nothing of it lands, and lands whole later",
  issue: "#14.3",
  async run() {
    await using p = await tempProject({ "models/.keep": "" }, { sources: ANY_SOURCES });
    const path = await p.write("in/growing.csv", lines("id,v", 50_000, (i) => `${i},v${i}`));
    let writing = true;
    let next = 50_001;
    const writer = (async () => {
      while (writing) {
        await Deno.writeTextFile(path, `${next++},more\n`, { append: true });
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    let summary;
    try {
      summary = await land(p.config, [path], { db: p.db });
    } finally {
      writing = false;
      await writer;
    }
    assertOutcomes(summary, [{
      file: "growing.csv",
      status: "failed",
      message:
        /^Cannot land ".*growing\.csv": it kept changing while it was being read \(3 attempts; \d+ bytes when staged, \d+ now\): land it again once it is complete$/,
    }]);
    assert.deepEqual(
      await rows(p.db, "SELECT status, sha256 FROM wharf.files"),
      [{ status: "failed", sha256: null }],
    );
    const again = await land(p.config, [path], { db: p.db });
    assertOutcomes(again, [{ file: "growing.csv", status: "landed", rows: next - 1 }]);
    assert.equal(again.outcomes[0]!.sha256, sha256(await Deno.readFile(path)));
    await assertLandingInvariant(p.db);
  },
});

// --- #14.4: paths are literal --------------------------------------------------------------------

landCase({
  name: "paths with glob characters are read literally, each with its own content and hash",
  issue: "#14.4",
  setup: async (p) => {
    await p.write("in[1]/a.csv", "id\nreal\n");
    await p.write("in1/a.csv", "id\nwrong\n");
    await p.write("g/b*.csv", "id\nstar\n");
    await p.write("g/b.csv", "id\nplain\n");
    await p.write("g/q?.csv", "id\nquestion\n");
    await p.write("g/qx.csv", "id\nqx\n");
    await p.write("g/{c,d}.csv", "id\nbraces\n");
    await p.write("g/c.csv", "id\nc\n");
    return [join(p.root, "in[1]", "a.csv"), join(p.root, "g")];
  },
  // Landing order is by name (locale order: punctuation first).
  expect: ["{c,d}.csv", "a.csv", "b.csv", "b*.csv", "c.csv", "q?.csv", "qx.csv"].map((file) => ({
    file,
    status: "landed" as const,
    rows: 1,
  })),
  check: async (p) => {
    const landed = await rows(
      p.db,
      "SELECT f.file_name AS name, f.sha256, r.id FROM wharf.files f JOIN raw.csv r ON r._batch_id = f.batch_id ORDER BY f.path",
    );
    const content: Record<string, string> = {
      "a.csv": "real",
      "b*.csv": "star",
      "b.csv": "plain",
      "q?.csv": "question",
      "qx.csv": "qx",
      "{c,d}.csv": "braces",
      "c.csv": "c",
    };
    for (const r of landed) {
      const name = String(r.name);
      assert.equal(r.id, content[name], name);
      assert.equal(r.sha256, sha256(enc(`id\n${content[name]}\n`)), name);
    }
    assert.equal(landed.length, 7);
  },
});

// --- #14.5: URLs are revalidated -----------------------------------------------------------------

/** The note of a delivery whose name landed before with other content (batch 1's). */
const OTHER_CONTENT = /^new delivery: batch 1 landed other content under this name at .* UTC$/;

defineCase({
  area: "land",
  name:
    "a URL is revalidated each time: 304 keeps the copy, new content lands as a new delivery, the first content again too",
  issue: "#14.5",
  async run() {
    await using p = await tempProject({ "models/.keep": "" }, { sources: ANY_SOURCES });
    let body = "id,name\n1,Ann\n";
    let version = 1;
    const asked: string[] = [];
    await using server = serveLocal((req) => {
      const etag = `"v${version}"`;
      asked.push(req.headers.get("if-none-match") ?? "-");
      if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304 });
      return new Response(body, { headers: { etag } });
    });
    const url = `${server.base}/members.csv`;
    assertOutcomes(await land(p.config, [url], { db: p.db }), [
      { file: "members.csv", status: "landed", rows: 1 },
    ]);
    assertOutcomes(await land(p.config, [url], { db: p.db }), [
      {
        file: "members.csv",
        status: "skipped",
        message: new RegExp(
          `^already landed in batch 1 at .* UTC from ${url} \\(1 row; same source, name and content\\): nothing was loaded again$`,
        ),
      },
    ]);
    body = "id,name\n1,Ann\n2,Bo\n";
    version = 2;
    assertOutcomes(await land(p.config, [url], { db: p.db }), [
      { file: "members.csv", status: "landed", rows: 2, message: OTHER_CONTENT },
    ]);
    // The first content again: the latest delivery is A once more, a batch of its own.
    body = "id,name\n1,Ann\n";
    version = 3;
    assertOutcomes(await land(p.config, [url], { db: p.db }), [
      {
        file: "members.csv",
        status: "landed",
        rows: 1,
        message:
          /^new delivery: same content as batch 1, after batch 2 landed other content under this name at .* UTC$/,
      },
    ]);
    // Then a 304: the latest landing holds this content.
    assertOutcomes(await land(p.config, [url], { db: p.db }), [
      {
        file: "members.csv",
        status: "skipped",
        message:
          /^already landed in batch 3 at .* UTC from .*\(1 row; same source, name and content\)/,
      },
    ]);
    assert.deepEqual(asked, ["-", '"v1"', '"v1"', '"v2"', '"v3"']);
    await assertLandingInvariant(p.db);
  },
});

defineCase({
  area: "land",
  name: "a URL whose server gives no validators is downloaded again every time",
  issue: "#14.5",
  async run() {
    await using p = await tempProject({ "models/.keep": "" }, { sources: ANY_SOURCES });
    let body = "id\n1\n";
    let requests = 0;
    await using server = serveLocal(() => {
      requests++;
      return new Response(body);
    });
    const url = `${server.base}/export/list.csv?token=abc`;
    assertOutcomes(await land(p.config, [url], { db: p.db }), [
      { file: "list.csv", status: "landed", rows: 1 },
    ]);
    body = "id\n1\n2\n3\n";
    assertOutcomes(await land(p.config, [url], { db: p.db }), [
      { file: "list.csv", status: "landed", rows: 3, message: OTHER_CONTENT },
    ]);
    assert.equal(requests, 2);
    assert.deepEqual(
      await rows(p.db, "SELECT count(*)::INT AS n, min(_file) AS f FROM raw.csv"),
      [{ n: 4, f: url }],
    );
  },
});

// --- #14.7: many new columns ---------------------------------------------------------------------

/** A header of `n` columns `c00001`…, and one row of their numbers. */
function wide(n: number, first = 1): string {
  const cols = Array.from({ length: n }, (_, i) => `c${String(first + i).padStart(5, "0")}`);
  return `id,${cols.join(",")}\n0,${cols.map((_, i) => first + i).join(",")}\n`;
}

landCase({
  name: "a delivery bringing 2,000 new columns adds them at once",
  issue: "#14.7",
  sources: [{ name: "csv", pattern: /\.csv$/, maxColumns: 5000 }],
  setup: async (p) => {
    await p.write("in/a_first.csv", "id,c00001\n1,x\n");
    await p.write("in/b_wide.csv", wide(2000));
  },
  expect: [
    { file: "a_first.csv", status: "landed", rows: 1 },
    { file: "b_wide.csv", status: "landed", rows: 1 },
  ],
  check: async (p) => {
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT count(*)::INT AS n FROM information_schema.columns WHERE table_name = 'csv' AND column_name NOT LIKE '\\_%' ESCAPE '\\'",
      ),
      [{ n: 2001 }],
    );
    assert.deepEqual(
      await rows(p.db, "SELECT id, c00001, c02000 FROM raw.csv ORDER BY id"),
      [{ id: "0", c00001: "1", c02000: "2000" }, { id: "1", c00001: "x", c02000: null }],
    );
  },
});

landCase({
  name: "a file of 1,001 columns is refused by the default cap of 1,000, naming the setting",
  issue: "#14.7",
  setup: async (p) => {
    await p.write("in/wide.csv", wide(1000));
  },
  expect: [{
    file: "wide.csv",
    status: "failed",
    message:
      /^Cannot land ".*\/in\/wide\.csv": raw\.csv would have 1001 columns, over the limit of 1000 for source "csv" \(the file brings 1001 new ones\); if that is right, raise "maxColumns" of the source in wharf\.config\.ts$/,
  }],
});

defineCase({
  area: "land",
  name: "10,000 new columns (a 220 KB file) land in one go with the cap raised",
  issue: "#14.7",
  slow: true,
  async run() {
    await using p = await tempProject({ "models/.keep": "" }, {
      sources: [{ name: "csv", pattern: /\.csv$/, maxColumns: 20_000 }],
    });
    await land(p.config, [await p.write("in/first.csv", "id\n1\n")], { db: p.db });
    const file = await p.write("in/wide.csv", wide(10_000));
    assert.ok((await Deno.stat(file)).size > 100_000);
    const t0 = performance.now();
    const summary = await land(p.config, [file], { db: p.db });
    const seconds = (performance.now() - t0) / 1000;
    assertOutcomes(summary, [{ file: "wide.csv", status: "landed", rows: 1 }]);
    assert.ok(seconds < 60, `10,000 new columns took ${seconds.toFixed(1)} s`);
    assert.deepEqual(
      await rows(p.db, "SELECT c10000 FROM raw.csv WHERE id = '0'"),
      [{ c10000: "10000" }],
    );
    await assertLandingInvariant(p.db);
    return `landed in ${seconds.toFixed(1)} s`;
  },
});

// --- #14.8: many bad lines -----------------------------------------------------------------------

landCase({
  name: "20,000 lines, every other one bad: exact line numbers for rows and rejects",
  issue: "#14.8",
  setup: async (p) => {
    await p.write(
      "in/half.csv",
      lines("id,v", 20_000, (i) => i % 2 ? `${i},ok` : `${i},bad,extra`),
    );
  },
  expect: [{ file: "half.csv", status: "landed", rows: 10_000, rejected: 10_000 }],
  check: async (p) => {
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT min(_row_number)::INT AS lo, max(_row_number)::INT AS hi, count(*) FILTER (WHERE _row_number <> id::INT + 1)::INT AS off FROM raw.csv",
      ),
      [{ lo: 2, hi: 20_000, off: 0 }],
    );
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT min(line)::INT AS lo, max(line)::INT AS hi, count(*) FILTER (WHERE original <> (line - 1) || ',bad,extra')::INT AS off, min(error) AS e FROM wharf.rejects",
      ),
      [{ lo: 3, hi: 20_001, off: 0, e: "TOO MANY COLUMNS: expected 2 fields, found 3" }],
    );
  },
});

landCase({
  name: "20,000 NDJSON lines, every other one bad: every line lands or is rejected",
  issue: "#14.8",
  setup: async (p) => {
    const out: string[] = [];
    for (let i = 1; i <= 20_000; i++) out.push(i % 2 ? JSON.stringify({ id: i }) : `{"id": ${i}`);
    await p.write("in/half.ndjson", out.join("\n") + "\n");
  },
  expect: [{ file: "half.ndjson", status: "landed", rows: 10_000, rejected: 10_000 }],
});

defineCase({
  area: "land",
  name: "1,000,000 rejects in 2,000,000 lines land in seconds, the good rows with them",
  issue: "#14.8",
  slow: true,
  async run() {
    await using p = await tempProject({ "models/.keep": "" }, { sources: ANY_SOURCES });
    const file = join(p.root, "half.csv");
    {
      using f = await Deno.open(file, { write: true, create: true });
      const w = f.writable.getWriter();
      await w.write(enc("id,v\n"));
      for (let start = 1; start <= 2_000_000; start += 100_000) {
        const chunk: string[] = [];
        for (let i = start; i < start + 100_000; i++) {
          chunk.push(i % 2 ? `${i},ok` : `${i},bad,extra`);
        }
        await w.write(enc(chunk.join("\n") + "\n"));
      }
      await w.close();
    }
    const t0 = performance.now();
    const summary = await land(p.config, [file], { db: p.db });
    const seconds = (performance.now() - t0) / 1000;
    assertOutcomes(summary, [{
      file: "half.csv",
      status: "landed",
      rows: 1_000_000,
      rejected: 1_000_000,
    }]);
    assert.ok(seconds < 120, `1,000,000 rejects took ${seconds.toFixed(1)} s`);
    await assertLandingInvariant(p.db);
    return `landed in ${seconds.toFixed(1)} s`;
  },
});

// --- #14.11: colliding header names --------------------------------------------------------------

landCase({
  name: "headers that differ only in case or spacing keep their columns in every delivery",
  issue: "#14.11",
  setup: async (p) => {
    await p.write("in/d1.csv", "Amount,amount\n1,2\n");
    await p.write("in/d2.csv", "amount,Amount\n3,4\n");
    await p.write("in/d3.csv", "amount\n5\n");
    await p.write("in/d4.csv", " Amount ,AMOUNT,Amount\n6,7,8\n");
  },
  expect: ["d1.csv", "d2.csv", "d3.csv", "d4.csv"].map((file) => ({
    file,
    status: "landed" as const,
    rows: 1,
  })),
  check: async (p) => {
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT regexp_extract(_file, '(d\\d)\\.csv$', 1) AS f, amount, amount_2, amount_3 FROM raw.csv ORDER BY 1",
      ),
      [
        { f: "d1", amount: "2", amount_2: "1", amount_3: null },
        { f: "d2", amount: "3", amount_2: "4", amount_3: null },
        { f: "d3", amount: "5", amount_2: null, amount_3: null },
        // No header is "amount" itself: code-point order, "AMOUNT" < "Amount" (twice: by position).
        { f: "d4", amount: "7", amount_2: "6", amount_3: "8" },
      ],
    );
  },
});

// --- #14.12: Excel and header traps --------------------------------------------------------------

landCase({
  name: "an xlsx with a blank header cell and a formula saved without its value",
  issue: "#14.12",
  setup: async (p) => {
    const { default: ExcelJS } = await import("exceljs");
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Sheet1");
    ws.getCell("A1").value = "id";
    ws.getCell("C1").value = "double";
    ws.getCell("A2").value = 21;
    ws.getCell("B2").value = "no header";
    ws.getCell("C2").value = { formula: "A2*2" } as unknown as number;
    ws.getCell("A3").value = 5;
    ws.getCell("C3").value = { formula: "A3*2", result: 10 } as unknown as number;
    await Deno.mkdir(join(p.root, "in"));
    await wb.xlsx.writeFile(join(p.root, "in", "book.xlsx"));
  },
  expect: [{ file: "book.xlsx", status: "landed", rows: 2 }],
  check: async (p) => {
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT _row_number::INT AS n, id, column_2, double FROM raw.xlsx ORDER BY n",
      ),
      [
        { n: 2, id: "21", column_2: "no header", double: "=A2*2" },
        { n: 3, id: "5", column_2: null, double: "10" },
      ],
    );
  },
});

landCase({
  name: "a CSV header with a quoted line break lands every row, numbered by file line",
  issue: "#14.12",
  setup: async (p) => {
    await p.write("in/head.csv", '"member\nid",name\n1,Ann\n2,Bo\n');
  },
  expect: [{ file: "head.csv", status: "landed", rows: 2 }],
  check: async (p) => {
    assert.deepEqual(
      await rows(p.db, "SELECT _row_number::INT AS n, member_id, name FROM raw.csv ORDER BY n"),
      [{ n: 3, member_id: "1", name: "Ann" }, { n: 4, member_id: "2", name: "Bo" }],
    );
  },
});

// --- #14.13: line endings, gzip, links, garbage, quotes ------------------------------------------

landCase({
  name: "one CRLF line in an LF file, and one LF line in a CRLF file, land whole",
  issue: "#14.13",
  setup: async (p) => {
    await p.write("in/lf.csv", "id,name\n1,a\r\n2,b\n3,c");
    await p.write("in/crlf.csv", "id,name\r\n4,d\r\n5,e\n6,f\r\n");
  },
  expect: [
    { file: "crlf.csv", status: "landed", rows: 3 },
    { file: "lf.csv", status: "landed", rows: 3 },
  ],
  check: async (p) => {
    assert.deepEqual(
      await rows(p.db, "SELECT id, name, _row_number::INT AS n FROM raw.csv ORDER BY id"),
      [
        { id: "1", name: "a", n: 2 },
        { id: "2", name: "b", n: 3 },
        { id: "3", name: "c", n: 4 },
        { id: "4", name: "d", n: 2 },
        { id: "5", name: "e", n: 3 },
        { id: "6", name: "f", n: 4 },
      ],
    );
  },
});

landCase({
  name: "a multi-member gzip lands every member",
  issue: "#14.13",
  setup: async (p) => {
    await p.write(
      "in/multi.csv.gz",
      new Uint8Array([...gzip("id,v\n1,a\n2,b\n"), ...gzip("3,c\n"), ...gzip("4,d\n")]),
    );
  },
  expect: [{ file: "multi.csv.gz", status: "landed", rows: 4 }],
});

landCase({
  name: "symbolic links in a landing folder are followed: to a file, to a folder",
  issue: "#14.13",
  setup: async (p) => {
    await p.write("elsewhere/x.csv", "id\nlinked file\n");
    await p.write("more/m.csv", "id\nlinked folder\n");
    await Deno.mkdir(join(p.root, "in"));
    await Deno.symlink(join(p.root, "elsewhere/x.csv"), join(p.root, "in/link.csv"));
    await Deno.symlink(join(p.root, "more"), join(p.root, "in/sub"));
  },
  expect: [
    { file: "link.csv", status: "landed", rows: 1 },
    { file: "m.csv", status: "landed", rows: 1 },
  ],
  check: async (p) => {
    assert.deepEqual(
      await rows(p.db, "SELECT id, _file FROM raw.csv ORDER BY 1"),
      [
        { id: "linked file", _file: join(p.root, "in/link.csv") },
        { id: "linked folder", _file: join(p.root, "in/sub/m.csv") },
      ],
    );
  },
});

landCase({
  name: "binary garbage without NUL bytes is refused as binary",
  issue: "#14.13",
  setup: async (p) => {
    const random = seededRandom(7);
    const bytes = Uint8Array.from({ length: 4096 }, () => 1 + Math.floor(random() * 255));
    await p.write("in/garbage.csv", bytes);
  },
  expect: [{
    file: "garbage.csv",
    status: "failed",
    message:
      /^Cannot land "garbage\.csv": it looks binary \(\d+ control bytes in its first 4096\), not delimited text$/,
  }],
});

landCase({
  name:
    "an unclosed quote mid-file rejects its line only; _row_number is the file line after quoted line breaks",
  issue: "#14.13",
  setup: async (p) => {
    await p.write("in/quotes.csv", 'id,note\n1,"a\nb\nc"\n2,"open\n3,x\n4,"y\nz"\n5,w\n');
  },
  expect: [{ file: "quotes.csv", status: "landed", rows: 4, rejected: 1 }],
  check: async (p) => {
    assert.deepEqual(
      await rows(p.db, "SELECT _row_number::INT AS n, id, note FROM raw.csv ORDER BY n"),
      [
        { n: 2, id: "1", note: "a\nb\nc" },
        { n: 6, id: "3", note: "x" },
        { n: 7, id: "4", note: "y\nz" },
        { n: 9, id: "5", note: "w" },
      ],
    );
    assert.deepEqual(
      await rows(p.db, "SELECT line::INT AS line, original FROM wharf.rejects"),
      [{ line: 5, original: '2,"open' }],
    );
  },
});

// --- #14.16: a bad timestamp says which field ----------------------------------------------------

defineCase({
  area: "land",
  name: "a bad timestamp in a multi-file run names the field, and nothing lands",
  issue: "#14.16",
  async run() {
    await using p = await tempProject({ "models/.keep": "" });
    await p.write(
      "wharf.config.ts",
      'export default { sources: [{ name: "stamped", pattern: /^(?<delivered_at>\\d{8}_\\d{6})_\\w+\\.csv$/ }] };\n',
    );
    await p.write("in/20240101_000000_good.csv", "id\n1\n");
    await p.write("in/20241340_000000_bad.csv", "id\n2\n");
    const r = await runCli(["--project", p.root, "land", join(p.root, "in")]);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr.split("\n").slice(0, 2).join("\n"),
      'error: 1 file cannot be landed as named (nothing was landed):\n  "20241340_000000_bad.csv": Cannot read the delivery time of "20241340_000000_bad.csv" (source "stamped"): field delivered_at is "20241340_000000", not a valid time: use YYYYMM (202307), YYYYMMDD (20240105) or YYYYMMDD_HHMMSS (20240105_101500), in UTC; the date may have dashes (2024-01-05), the time colons (10:15:00), and between them a T, a space, a dash or nothing',
    );
    assert.equal(await Deno.stat(p.db).then(() => true, () => false), false);
  },
});

// --- The corpus that already held: exact outcomes ------------------------------------------------

landCase({
  name: "empty, header-only and blank-header files",
  setup: async (p) => {
    await p.write("in/a_empty.csv", "");
    await p.write("in/b_header.csv", "id,name\n");
    await p.write("in/c_header_no_newline.csv", "id,name");
    await p.write("in/d_blank_first.csv", "\nid\n1\n");
    await p.write("in/e_blank_lines.csv", "id\n\n\n1\n\n");
  },
  expect: [
    {
      file: "a_empty.csv",
      status: "failed",
      message: 'Cannot land "a_empty.csv": the file is empty',
    },
    { file: "b_header.csv", status: "landed" },
    { file: "c_header_no_newline.csv", status: "landed" },
    {
      file: "d_blank_first.csv",
      status: "failed",
      message: 'Cannot land "d_blank_first.csv": the header line is empty',
    },
    { file: "e_blank_lines.csv", status: "landed", rows: 1 },
  ],
  check: async (p) => {
    assert.deepEqual(
      await rows(p.db, "SELECT id, name, _row_number::INT AS n FROM raw.csv"),
      [{ id: "1", name: null, n: 4 }],
    );
  },
});

landCase({
  name: "binary, gzip that is truncated or not gzip, UTF-16 with and without a byte-order mark",
  setup: async (p) => {
    await p.write(
      "in/a_png.csv",
      new Uint8Array([
        0x89,
        0x50,
        0x4e,
        0x47,
        0x0d,
        0x0a,
        0x1a,
        0x0a,
        0,
        0,
        0,
        13,
        0x49,
        0x48,
        0x44,
        0x52,
        0,
        0,
        1,
        0,
      ]),
    );
    const rowsText = lines("id,v", 20_000, (i) => `${i},${(i * 7919) % 104_729}`);
    const whole = gzip(rowsText);
    await p.write("in/b_truncated.csv.gz", whole.subarray(0, whole.length - 200));
    await p.write("in/c_junk.csv.gz", new Uint8Array([0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const utf16 = (s: string) => {
      const out = new Uint8Array(s.length * 2);
      for (let i = 0; i < s.length; i++) out[i * 2] = s.charCodeAt(i);
      return out;
    };
    await p.write("in/d_utf16_bom.csv", new Uint8Array([0xff, 0xfe, ...utf16("id,name\n1,a\n")]));
    await p.write("in/e_utf16.csv", utf16("id,name\n1,a\n2,b\n"));
  },
  expect: [
    {
      file: "a_png.csv",
      status: "failed",
      message:
        /^Cannot land "a_png\.csv": it looks binary \(\d+ control bytes in its first 20\), not delimited text$/,
    },
    {
      file: "b_truncated.csv.gz",
      status: "failed",
      message:
        'Cannot land "b_truncated.csv.gz": the gzip stream is truncated or corrupt (unexpected end of file)',
    },
    {
      file: "c_junk.csv.gz",
      status: "failed",
      message:
        'Cannot land "c_junk.csv.gz": it is not a valid gzip file (unknown compression method)',
    },
    {
      file: "d_utf16_bom.csv",
      status: "failed",
      message:
        'Cannot land "d_utf16_bom.csv": it is UTF-16LE text; wharf reads UTF-8 and Windows-1252 (Latin-1): convert it to UTF-8 (e.g. iconv -f UTF-16LE -t UTF-8)',
    },
    {
      file: "e_utf16.csv",
      status: "failed",
      message:
        'Cannot land "e_utf16.csv": it is UTF-16LE text; wharf reads UTF-8 and Windows-1252 (Latin-1): convert it to UTF-8 (e.g. iconv -f UTF-16LE -t UTF-8)',
    },
  ],
});

landCase({
  name: "Latin-1 text, a NUL byte in one line, invalid UTF-8 in one line",
  setup: async (p) => {
    await p.write(
      "in/a_latin1.csv",
      new Uint8Array([...enc("id,name\n1,Jos"), 0xe9, ...enc("\n")]),
    );
    await p.write("in/b_nul.csv", "id,name\n1,a\0b\n2,ok\n");
    await p.write(
      "in/c_bad_utf8.csv",
      new Uint8Array([...enc("id,name\n1,José\n2,"), 0xff, ...enc("\n3,ok\n")]),
    );
  },
  expect: [
    { file: "a_latin1.csv", status: "landed", rows: 1 },
    { file: "b_nul.csv", status: "landed", rows: 1, rejected: 1 },
    { file: "c_bad_utf8.csv", status: "landed", rows: 2, rejected: 1 },
  ],
  check: async (p) => {
    assert.deepEqual(
      await rows(p.db, "SELECT id, name FROM raw.csv ORDER BY _file, id"),
      [{ id: "1", name: "José" }, { id: "2", name: "ok" }, { id: "1", name: "José" }, {
        id: "3",
        name: "ok",
      }],
    );
    assert.deepEqual(
      await rows(p.db, "SELECT line::INT AS line, error FROM wharf.rejects ORDER BY file"),
      [
        { line: 2, error: "INVALID BYTE: a NUL byte" },
        { line: 3, error: "INVALID ENCODING: the line is not valid UTF-8" },
      ],
    );
    assert.deepEqual(
      await rows(p.db, "SELECT file_name, encoding FROM wharf.files ORDER BY 1"),
      [
        { file_name: "a_latin1.csv", encoding: "windows-1252" },
        { file_name: "b_nul.csv", encoding: "utf-8" },
        { file_name: "c_bad_utf8.csv", encoding: "utf-8" },
      ],
    );
  },
});

landCase({
  name:
    "empty fields past the header's land as the row (there is no data in them); filled ones are too many",
  setup: async (p) => {
    await p.write("in/a_trailing.csv", 'id,name\n1,a,\n2,b,,""\n3,c,x\n4,d\n');
    await p.write("in/b_trailing.csv", 'id,name\n1,a,\n2,"b\nb",, \n');
  },
  expect: [
    { file: "a_trailing.csv", status: "landed", rows: 3, rejected: 1 },
    { file: "b_trailing.csv", status: "landed", rows: 1, rejected: 1 },
  ],
  check: async (p) => {
    assert.deepEqual(
      await rows(p.db, "SELECT _row_number::INT AS n, id, name FROM raw.csv ORDER BY _file, n"),
      [
        { n: 2, id: "1", name: "a" },
        { n: 3, id: "2", name: "b" },
        { n: 5, id: "4", name: "d" },
        { n: 2, id: "1", name: "a" },
      ],
    );
    assert.deepEqual(
      await rows(p.db, "SELECT line::INT AS line, error FROM wharf.rejects ORDER BY file"),
      [
        { line: 4, error: "TOO MANY COLUMNS: expected 2 fields, found 3" },
        { line: 3, error: "TOO MANY COLUMNS: expected 2 fields, found 4" },
      ],
    );
  },
});

landCase({
  name: "5 MB lines land whole",
  setup: async (p) => {
    await p.write(
      "in/long.csv",
      `id,text\n1,${"x".repeat(5_000_000)}\n2,"${"y".repeat(5_000_000)}"\n3,short\n`,
    );
  },
  expect: [{ file: "long.csv", status: "landed", rows: 3 }],
  check: async (p) => {
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT id, length(text)::INT AS n, _row_number::INT AS line FROM raw.csv ORDER BY id",
      ),
      [{ id: "1", n: 5_000_000, line: 2 }, { id: "2", n: 5_000_000, line: 3 }, {
        id: "3",
        n: 5,
        line: 4,
      }],
    );
  },
});

landCase({
  name: "10,000 columns are refused by the default cap",
  setup: async (p) => {
    await p.write("in/wide.csv", wide(9999));
  },
  expect: [{
    file: "wide.csv",
    status: "failed",
    message: /raw\.csv would have 10000 columns, over the limit of 1000 for source "csv"/,
  }],
});

landCase({
  name: "duplicate, blank and SQL-laden headers get safe, stable names",
  setup: async (p) => {
    await p.write("in/a_dup.csv", "a,a,A\n1,2,3\n");
    await p.write("in/b_blank.csv", ",name,\nx,y,z\n");
    await p.write(
      "in/c_sql.csv",
      '"x""); DROP TABLE raw.csv; --",name\n"\'); DELETE FROM wharf.files; --",ok\n',
    );
  },
  expect: [
    { file: "a_dup.csv", status: "landed", rows: 1 },
    { file: "b_blank.csv", status: "landed", rows: 1 },
    { file: "c_sql.csv", status: "landed", rows: 1 },
  ],
  check: async (p) => {
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT a, a_2, a_3, column_1, name, column_3, x_drop_table_raw_csv FROM raw.csv ORDER BY _file",
      ),
      [
        {
          a: "1",
          a_2: "2",
          a_3: "3",
          column_1: null,
          name: null,
          column_3: null,
          x_drop_table_raw_csv: null,
        },
        {
          a: null,
          a_2: null,
          a_3: null,
          column_1: "x",
          name: "y",
          column_3: "z",
          x_drop_table_raw_csv: null,
        },
        {
          a: null,
          a_2: null,
          a_3: null,
          column_1: null,
          name: "ok",
          column_3: null,
          x_drop_table_raw_csv: "'); DELETE FROM wharf.files; --",
        },
      ],
    );
  },
});

landCase({
  name: "nested JSON lands as JSON text; JSON that is not an array of objects fails or is rejected",
  setup: async (p) => {
    await p.write(
      "in/a_nested.json",
      JSON.stringify([{ id: 1, tags: ["a", { b: [1, 2] }], deep: { x: { y: null } } }, 7]),
    );
    await p.write("in/b_object.json", '{"id": 1}');
    await p.write("in/c_syntax.json", '[{"id": 1},\n {"id": 2,]');
    await p.write("in/d_nested.ndjson", '{"id": 1, "o": {"k": [true, null]}}\n[1]\n"text"\n');
  },
  expect: [
    { file: "a_nested.json", status: "landed", rows: 1, rejected: 1 },
    {
      file: "b_object.json",
      status: "failed",
      message:
        'Cannot land "b_object.json": expected a JSON array of objects, got an object (for one object per line use .ndjson)',
    },
    {
      file: "c_syntax.json",
      status: "failed",
      message: /^Cannot land "c_syntax\.json": JSON syntax error at line 2: /,
    },
    { file: "d_nested.ndjson", status: "landed", rows: 1, rejected: 2 },
  ],
  check: async (p) => {
    assert.deepEqual(await rows(p.db, "SELECT id, tags, deep FROM raw.json"), [
      { id: "1", tags: '["a",{"b":[1,2]}]', deep: '{"x":{"y":null}}' },
    ]);
    assert.deepEqual(await rows(p.db, "SELECT id, o FROM raw.ndjson"), [
      { id: "1", o: '{"k":[true,null]}' },
    ]);
  },
});

landCase({
  name:
    "a symbolic-link loop of folders is walked once; a loop of file links and a broken link fail",
  setup: async (p) => {
    await p.write("in/a.csv", "id\n1\n");
    await Deno.symlink(join(p.root, "in"), join(p.root, "in/again"));
    await Deno.symlink(join(p.root, "in/y.csv"), join(p.root, "in/x.csv"));
    await Deno.symlink(join(p.root, "in/x.csv"), join(p.root, "in/y.csv"));
    await Deno.symlink(join(p.root, "nowhere.csv"), join(p.root, "in/broken.csv"));
  },
  expect: [
    { file: "a.csv", status: "landed", rows: 1 },
    {
      file: "broken.csv",
      status: "failed",
      message:
        /^Cannot land ".*\/in\/broken\.csv": it is a symbolic link to ".*\/nowhere\.csv", which does not exist$/,
    },
    {
      file: "x.csv",
      status: "failed",
      message: /^Cannot land ".*\/in\/x\.csv": its symbolic links form a loop$/,
    },
    {
      file: "y.csv",
      status: "failed",
      message: /^Cannot land ".*\/in\/y\.csv": its symbolic links form a loop$/,
    },
  ],
});

const ODD_NAMES = [
  "with space.csv",
  "quote'name.csv",
  'dq"name.csv',
  "é ñ 中.csv",
  "-dash.csv",
  "new\nline.csv",
  "%41%00.csv",
  "semi;colon.csv",
  "back\\slash.csv",
  `${"long".repeat(60)}.csv`,
];

landCase({
  name: "odd file names land under their exact names",
  setup: async (p) => {
    for (const [i, name] of ODD_NAMES.entries()) await p.write(`in/${name}`, `id\n${i}\n`);
  },
  expect: [...ODD_NAMES].sort((a, b) => a.localeCompare(b)).map((file) => ({
    file,
    status: "landed" as const,
    rows: 1,
  })),
  check: async (p) => {
    const got = await rows(p.db, "SELECT id, _file FROM raw.csv ORDER BY id::INT");
    assert.deepEqual(
      got,
      ODD_NAMES.map((n, i) => ({ id: String(i), _file: join(p.root, "in", n) })),
    );
  },
});

landCase({
  name: "a FIFO in a landing folder is reported, never opened",
  setup: async (p) => {
    await p.write("in/a.csv", "id\n1\n");
    const mk = await new Deno.Command("mkfifo", { args: [join(p.root, "in/pipe.csv")] }).output();
    assert.ok(mk.success, "mkfifo");
  },
  expect: [
    { file: "a.csv", status: "landed", rows: 1 },
    {
      file: "pipe.csv",
      status: "failed",
      message:
        /^Cannot land ".*\/in\/pipe\.csv": it is not a regular file \(a FIFO, socket or device\)$/,
    },
  ],
});

/**
 * The CLI as a user who cannot read what root could: as root, with the
 * capabilities that let root read any file dropped (setpriv), so permission
 * bits hold; otherwise as the user running the suite. Undefined when the
 * suite runs as root without setpriv (root reads every file).
 */
async function unprivileged(args: string[]): Promise<Deno.Command | undefined> {
  const cli = cliCommand(args);
  if (Deno.uid() !== 0) return cli;
  const setpriv = await new Deno.Command("setpriv", { args: ["--version"] }).output().then(
    (o) => o.success,
    () => false,
  );
  if (!setpriv) return undefined;
  return new Deno.Command("setpriv", {
    args: [
      "--bounding-set",
      "-dac_override,-dac_read_search",
      Deno.execPath(),
      "run",
      "--allow-all",
      join(REPO, "cli", "main.ts"),
      ...args,
    ],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  });
}

defineCase({
  area: "land",
  name:
    "a file or folder without read permission fails with the reason (as a user permissions bind)",
  async run() {
    await using p = await tempProject({ "models/.keep": "" });
    await p.write(
      "wharf.config.ts",
      'export default { sources: [{ name: "csv", pattern: /\\.csv$/ }] };\n',
    );
    const secret = await p.write("in/secret.csv", "id\n1\n");
    await p.write("in/open.csv", "id\n2\n");
    await Deno.chmod(secret, 0o000);
    const locked = await p.write("locked/x.csv", "id\n3\n");
    await Deno.chmod(join(p.root, "locked"), 0o000);
    try {
      const cmd = await unprivileged(["--project", p.root, "land", join(p.root, "in")]);
      if (!cmd) {
        // Root without setpriv reads anything: the honest outcome is that it lands.
        const summary = await land(p.config, [join(p.root, "in")], { db: p.db });
        assert.deepEqual(summary.outcomes.map((o) => o.status), ["landed", "landed"]);
        return;
      }
      const out = await cmd.output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 1, new TextDecoder().decode(out.stderr));
      assert.match(stdout, /^landed {2}csv .*\/in\/open\.csv: 1 row, 0 rejected, /m);
      assert.match(
        stdout,
        /^failed {2}csv .*\/in\/secret\.csv: Cannot land ".*\/in\/secret\.csv": permission denied: this user cannot read it$/m,
      );
      const folder =
        await (await unprivileged(["--project", p.root, "land", join(p.root, "locked")]))!
          .output();
      assert.equal(folder.code, 1);
      assert.match(
        new TextDecoder().decode(folder.stderr),
        /^error: Cannot read folder ".*\/locked": permission denied$/m,
      );
      assert.ok(locked);
    } finally {
      await Deno.chmod(join(p.root, "locked"), 0o755);
      await Deno.chmod(secret, 0o644);
    }
  },
});

// --- Kill -9 trials --------------------------------------------------------------------------------

/** Options of {@linkcode landKillCase}. */
interface LandKillOptions {
  slow: boolean;
  /** Lines of the big tab-separated delivery (a second one has a third as many). */
  lines: number;
  trials: number;
  /** Kills per trial before the run to the end. */
  kills: number;
}

/**
 * Kill -9 trials of `wharf land` over deliveries of two sources: a big
 * tab-separated one, one with bad lines and quoted line breaks, a CSV with
 * quoted delimiters and NDJSON with broken lines.
 */
function landKillCase(name: string, o: LandKillOptions): void {
  defineCase({
    area: "land",
    name,
    slow: o.slow,
    seeded: true,
    async run({ seed }) {
      await using p = await tempProject({ "models/.keep": "" });
      await p.write(
        "wharf.config.ts",
        `export default { sources: [
          { name: "visits", pattern: /^visits_.*\\.txt$/, delimiter: "\\t" },
          { name: "members", pattern: /^members_.*\\.(csv|ndjson)$/ },
        ] };\n`,
      );
      await p.write(
        "in/visits_1.txt",
        lines("id\tamount\tnote", o.lines, (i) => `${i}\t${(i * 7919) % 100_000}\tnote ${i % 97}`),
      );
      // Bad lines and quoted line breaks: this one lands through the copy.
      await p.write(
        "in/visits_2.txt",
        lines(
          "id\tamount\tnote",
          Math.round(o.lines / 3),
          (i) => i % 10 === 0 ? `${i}\tbad` : i % 7 === 0 ? `${i}\t1\t"two\nlines"` : `${i}\t2\tx`,
        ),
      );
      await p.write("in/members_1.csv", lines("id,name", 1000, (i) => `${i},"N, ${i}"`));
      await p.write(
        "in/members_2.ndjson",
        Array.from(
          { length: 5000 },
          (_, i) => i % 50 ? JSON.stringify({ id: i, name: `n${i}` }) : "{broken",
        ).join("\n") + "\n",
      );
      const staging = join(p.root, ".wharf", "staging");
      const report = await killTrials({
        dir: p.root,
        trials: o.trials,
        kills: o.kills,
        seed,
        command: (db) => cliCommand(["--project", p.root, "--db", db, "land", join(p.root, "in")]),
        digest: (db) =>
          warehouseDigest(db, {
            schemas: ["raw", "wharf"],
            exclude: LANDING_VOLATILE,
          }),
        after: async () => {
          // A killed run's work files are gone once a later run starts.
          assert.deepEqual(await Array.fromAsync(Deno.readDir(staging)), []);
        },
        explain: async (clean, rerun) =>
          `clean run:\n${await landingBreakdown(clean)}\nrerun:\n${await landingBreakdown(rerun)}`,
      });
      return killNote("land", report);
    },
  });
}

landKillCase(
  "kill -9 twice at random moments, then land again: equal to one clean run by counts and checksums",
  { slow: false, lines: 300_000, trials: 2, kills: 2 },
);

landKillCase(
  "kill -9 at random moments, then land again: equal to one clean run by counts and checksums",
  { slow: true, lines: 1_500_000, trials: killTrialCount(10), kills: 1 },
);
