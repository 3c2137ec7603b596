import assert from "node:assert/strict";
import { join } from "node:path";
import { tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { served, TOKEN } from "./served.ts";

const HEADER = "member_id,oop_max,remaining_oop_max,copay,as_of\n";
const auth = { authorization: `Bearer ${TOKEN}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A benefits file of `rows` members named `<prefix><n>`. */
function benefits(prefix: string, rows: number): string {
  let text = HEADER;
  for (let i = 0; i < rows; i++) text += `${prefix}${i},${100000 + i},${i},2500,2024-02-01\n`;
  return text;
}

/** Writes an HTTP/1.1 request head and some body bytes on a raw connection to `base`. */
async function rawRequest(base: string, head: string, body = ""): Promise<Deno.TcpConn> {
  const url = new URL(base);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  await conn.write(new TextEncoder().encode(head + "\r\n" + body));
  return conn;
}

/** Reads what the server answers on a raw connection, until it closes or a status line is in. */
async function statusLine(conn: Deno.TcpConn): Promise<string> {
  const buf = new Uint8Array(4096);
  let text = "";
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) return text.split("\r\n")[0] ?? "";
    text += new TextDecoder().decode(buf.subarray(0, n));
    if (text.includes("\r\n\r\n")) return text.split("\r\n")[0]!;
  }
}

/** Files of uploads in progress left in the server's upload folders. */
async function leftovers(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(join(dir, e.name));
      else if (e.name !== ".lock") out.push(join(dir, e.name));
    }
  };
  await walk(join(root, ".wharf", "uploads")).catch(() => {});
  return out;
}

Deno.test("16 parallel uploads land as 16 batches with every row, through one landing queue", async () => {
  await using p = await tempProject();
  await using s = await served(p);
  const before = await query(p.db, "select count(*)::int as n from raw.benefits");
  const answers = await Promise.all(
    Array.from({ length: 16 }, (_, i) =>
      s.get(
        `/api/ingest/benefits?filename=benefits-par${i}-202403${
          String(i + 1).padStart(2, "0")
        }_000000.csv`,
        { method: "POST", body: benefits(`P${i}_`, 500), headers: auth },
      ).then(async (r) => ({ status: r.status, body: await r.json() }))),
  );
  assert.deepEqual(answers.map((a) => a.status), Array(16).fill(200));
  assert.deepEqual(
    answers.map((a) => [a.body.status, a.body.rows]),
    Array(16).fill(["landed", 500]),
  );
  const batches = new Set(answers.map((a) => a.body.batch_id));
  assert.equal(batches.size, 16);
  assert.equal(new Set(answers.map((a) => a.body.job_id)).size, 16);
  assert.deepEqual(
    await query(
      p.db,
      "select count(*)::int as n, count(distinct _batch_id)::int as batches from raw.benefits where member_id like 'P%\\_%' escape '\\'",
    ),
    [{ n: 16 * 500, batches: 16 }],
  );
  assert.deepEqual(await query(p.db, "select count(*)::int as n from raw.benefits"), [{
    n: Number(before[0]!.n) + 16 * 500,
  }]);
  assert.deepEqual(
    await query(
      p.db,
      "select count(*)::int as n from wharf.files where status = 'landed' and path like 'upload:benefits-par%'",
    ),
    [{ n: 16 }],
  );
  assert.deepEqual(await leftovers(p.root), []);
});

Deno.test("an upload that waits longer than ingestWaitMs answers 202 with a job to poll", async () => {
  await using p = await tempProject();
  await using s = await served(p, { ingestWaitMs: 0 });
  const res = await s.get("/api/ingest/benefits?filename=benefits-late-20240401_000000.csv", {
    method: "POST",
    body: benefits("L", 50),
    headers: auth,
  });
  assert.equal(res.status, 202);
  const accepted = await res.json();
  assert.match(accepted.job_id, /^[0-9a-f-]{36}$/);
  assert.ok(["queued", "landing"].includes(accepted.status));
  assert.equal(accepted.file, "benefits-late-20240401_000000.csv");
  const location = res.headers.get("location");
  assert.equal(location, `/api/ingest/jobs/${accepted.job_id}`);
  assert.equal((await s.fetch(location!)).status, 401);
  let job = accepted;
  for (let i = 0; i < 200 && !job.finished_at; i++) {
    await sleep(50);
    job = await (await s.get(location!)).json();
  }
  assert.equal(job.status, "landed");
  assert.equal(job.http_status, 200);
  assert.deepEqual([job.result.rows, job.result.status, job.result.job_id], [
    50,
    "landed",
    accepted.job_id,
  ]);
  const unknown = await s.get("/api/ingest/jobs/nope");
  assert.equal(unknown.status, 404);
  assert.match((await unknown.json()).error, /^No ingest job "nope"/);
});

Deno.test("upload file names with NUL, control characters or over 255 bytes are 400, raw or multipart", async () => {
  await using p = await tempProject();
  await using s = await served(p);
  const body = benefits("N", 1);
  const cases: [string, RegExp][] = [
    [
      "benefits-x-20240501_000000%00.csv",
      /^Invalid file name "benefits-.*\\u0000\.csv": it holds a control character/,
    ],
    ["benefits%0A-x.csv", /holds a control character/],
    [`${"b".repeat(252)}.csv`, /^Invalid file name "b{40}…": 256 bytes long, the limit is 255$/],
    [`${"é".repeat(130)}.csv`, /264 bytes long, the limit is 255$/],
    ["..", /^Invalid file name "\.\."$/],
  ];
  for (const [name, error] of cases) {
    const res = await s.get(`/api/ingest/benefits?filename=${name}`, {
      method: "POST",
      body,
      headers: auth,
    });
    assert.equal(res.status, 400, name);
    assert.match((await res.json()).error, error, name);
  }
  const multipart: [string, RegExp][] = [
    ["a\u0000.csv", /^Malformed multipart upload: Malformed part header$/],
    [`${"m".repeat(300)}.csv`, /^Invalid file name "m{40}…": 304 bytes long, the limit is 255$/],
  ];
  for (const [name, error] of multipart) {
    const form = new FormData();
    form.append("file", new Blob([body]), name);
    const res = await s.get("/api/ingest/benefits", { method: "POST", body: form, headers: auth });
    assert.equal(res.status, 400, name.slice(0, 10));
    assert.match((await res.json()).error, error);
  }
  assert.deepEqual(await leftovers(p.root), []);
  assert.deepEqual(
    await query(p.db, "select count(*)::int as n from raw.benefits where member_id = 'N0'"),
    [{ n: 0 }],
  );
});

Deno.test("an upload whose client dies or pauses is cut off, its partial file removed, and the server keeps answering", async () => {
  await using p = await tempProject();
  await using s = await served(p, { uploadIdleTimeoutMs: 300, uploadTimeoutMs: 60_000 });
  const head = (name: string) =>
    `POST /api/ingest/benefits?filename=${name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n`;
  const chunk = (text: string) =>
    `${new TextEncoder().encode(text).length.toString(16)}\r\n${text}\r\n`;

  // A client that dies mid-upload (2 MB sent in small chunks, so a block reached the disk).
  const dying = await rawRequest(s.base, head("benefits-dead-20240601_000000.csv"), chunk(HEADER));
  const line = "D1,1,1,1,2024-01-01\n".repeat(50);
  const frames = chunk(line).repeat(2000);
  await dying.write(new TextEncoder().encode(frames));
  dying.close();

  // A client that stops sending: 408 after the idle limit.
  const pausing = await rawRequest(
    s.base,
    head("benefits-idle-20240602_000000.csv"),
    chunk(HEADER),
  );
  assert.equal(await statusLine(pausing), "HTTP/1.1 408 Request Timeout");
  pausing.close();

  let left = await leftovers(p.root);
  for (let i = 0; i < 100 && left.length; i++) {
    await sleep(50);
    left = await leftovers(p.root);
  }
  assert.deepEqual(left, []);
  const health = await s.fetch("/health");
  assert.equal(health.status, 200);
  await health.body?.cancel();
  assert.deepEqual(
    await query(p.db, "select count(*)::int as n from raw.benefits where member_id = 'D1'"),
    [{ n: 0 }],
  );
  assert.ok(s.logs.some((l) => l.path === "/api/ingest/benefits" && l.status === 408));
});

Deno.test("snapshot and upload folders of dead servers are removed at start; a live server's are kept", async () => {
  await using p = await tempProject();
  const snapshots = join(p.root, ".wharf", "snapshots");
  await Deno.mkdir(join(snapshots, "999999999", "1"), { recursive: true });
  await Deno.writeTextFile(join(snapshots, "999999999", "1", "snapshot.duckdb"), "old copy");
  await Deno.mkdir(join(snapshots, "4242-deadbeef"), { recursive: true });
  await Deno.writeTextFile(join(snapshots, "4242-deadbeef", ".lock"), "");
  await Deno.mkdir(join(snapshots, "4343-alive"), { recursive: true });
  using alive = await Deno.open(join(snapshots, "4343-alive", ".lock"), {
    write: true,
    create: true,
  });
  await alive.lock(true);
  {
    await using s = await served(p);
    const names = (await Array.fromAsync(Deno.readDir(snapshots))).map((e) => e.name);
    assert.equal(names.length, 2, names.join(", "));
    const own = names.filter((n) => n !== "4343-alive");
    assert.equal(own.length, 1, names.join(", "));
    assert.match(own[0]!, new RegExp(`^${Deno.pid}-[0-9a-f]{8}$`));
    const res = await s.get("/health");
    assert.ok((await res.json()).snapshot);
  }
  // Stopped: its own folder is gone too.
  const after = (await Array.fromAsync(Deno.readDir(snapshots))).map((e) => e.name);
  assert.deepEqual(after, ["4343-alive"]);
  await alive.unlock();
});
