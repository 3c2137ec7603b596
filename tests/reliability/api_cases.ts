/**
 * Hostile and careless clients and upstreams against a real `wharf serve`:
 * file names that are no file names, query keys that mean something to
 * JavaScript, SQL and paths in parameters, slow and dying uploads,
 * upstreams answering absurd figures or endless bodies, reads without a
 * token, a port in use. Each has its exact answer, and the server stays
 * healthy.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, serveLocal, tempProject } from "../helpers.ts";
import { fakeUpstream } from "../serve/fakes.ts";
import { generateDeliveries, healthcareProject, landAndBuild } from "./healthcare.ts";
import { rows } from "./land_harness.ts";
import { defineCase } from "./registry.ts";
import {
  benefits,
  BENEFITS_HEADER,
  benefitsProject,
  chunk,
  COALESCING_PROJECT,
  rawRequest,
  readResponse,
  serveArgs,
  startServe,
  TOKEN,
  uploadLeftovers,
  writeAll,
} from "./serve_harness.ts";

const auth = { authorization: `Bearer ${TOKEN}` };

/** The healthcare project, landed and built from a small generated delivery. */
async function builtHealthcare() {
  const p = await healthcareProject();
  await generateDeliveries(p, 0.3);
  await landAndBuild(p, p.db);
  return p;
}

defineCase({
  area: "api",
  name:
    "upload file names with NUL, control characters, over 255 bytes or `..` are 400, raw or multipart, and nothing lands; a path lands under its last segment",
  issue: "#14.16",
  async run() {
    await using p = await benefitsProject();
    await using server = await startServe(serveArgs(p.root, p.db), {
      env: { WHARF_API_TOKEN: TOKEN },
    });
    const body = benefits("N", 1);
    const raw: [string, RegExp][] = [
      [
        "benefits-x-20240501_000000%00.csv",
        /^Invalid file name "benefits-.*\\u0000\.csv": it holds a control character/,
      ],
      ["benefits%0A-x.csv", /holds a control character/],
      [`${"b".repeat(252)}.csv`, /^Invalid file name "b{40}…": 256 bytes long, the limit is 255$/],
      [`${"é".repeat(130)}.csv`, /264 bytes long, the limit is 255$/],
      ["..", /^Invalid file name "\.\."$/],
    ];
    for (const [name, error] of raw) {
      const res = await fetch(`${server.base}/api/ingest/benefits?filename=${name}`, {
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
      const res = await fetch(`${server.base}/api/ingest/benefits`, {
        method: "POST",
        body: form,
        headers: auth,
      });
      assert.equal(res.status, 400, name.slice(0, 10));
      assert.match((await res.json()).error, error);
    }
    // A path (as some clients send) lands under its last segment, and nothing is written where it points.
    const name = "benefits-dots-20240501_000000.csv";
    const path = await fetch(
      `${server.base}/api/ingest/benefits?filename=..%2F..%2F${name}`,
      { method: "POST", body: benefits("T", 2), headers: auth },
    );
    assert.equal(path.status, 200);
    assert.deepEqual(await path.json().then((b) => [b.status, b.rows]), ["landed", 2]);
    await assert.rejects(Deno.stat(join(p.root, "..", "..", name)), Deno.errors.NotFound);
    assert.equal((await server.stop()).code, 0, server.stderr());
    assert.deepEqual(await uploadLeftovers(p.root), []);
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT _file, count(*)::INT AS n FROM raw.benefits WHERE member_id IN ('N0', 'T0', 'T1') GROUP BY 1",
      ),
      [{ _file: `upload:${name}`, n: 2 }],
    );
  },
});

defineCase({
  area: "api",
  name:
    "no parameter reaches SQL or the file system, and keys JavaScript objects know (`__proto__` …) are unknown columns (400)",
  issue: "#14.16",
  async run() {
    await using p = await builtHealthcare();
    await using server = await startServe(serveArgs(p.root, p.db));
    const get = (path: string) => fetch(`${server.base}${path}`);
    const attacks = [
      "' OR '1'='1",
      "x'; DROP TABLE marts.members; --",
      "1) UNION SELECT * FROM wharf.files --",
    ];
    for (const a of attacks) {
      const res = await get(`/api/coalescence/max?member_id=${encodeURIComponent(a)}`);
      assert.equal(res.status, 404, a);
      assert.deepEqual(await res.json(), { error: `No info found for member ${a}` });
      const filtered = await get(
        `/api/models/marts/members/rows?member_id=${encodeURIComponent(a)}`,
      );
      assert.equal(filtered.status, 200, a);
      assert.deepEqual((await filtered.json()).rows, [], a);
    }
    const badColumn = await get(
      `/api/models/marts/members/rows?${encodeURIComponent('member_id" = member_id OR "1')}=1`,
    );
    assert.equal(badColumn.status, 400);
    assert.match((await badColumn.json()).error, /^Unknown column/);
    // Keys that mean something to JavaScript objects are columns like any other: unknown ones.
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      const res = await get(`/api/models/marts/members/rows?${key}=x`);
      assert.equal(res.status, 400, key);
      assert.match(
        (await res.json()).error,
        new RegExp(`^Unknown column "${key}" for marts\\.members: `),
      );
    }
    for (
      const path of [
        "/api/models/marts/members%3B%20drop/rows",
        "/api/models/raw/membership_client_a/rows",
        "/api/models/wharf/files/rows",
        "/api/models/..%2F..%2Fetc/passwd",
      ]
    ) {
      const res = await get(path);
      assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`);
      await res.body?.cancel();
    }
    for (const limit of ["100000", "-1"]) {
      const res = await get(`/api/models/marts/members/rows?limit=${limit}`);
      assert.equal(res.status, 400, limit);
      await res.body?.cancel();
    }
    for (
      const path of [
        "/docs/api/assets/..%2F..%2F..%2Fdeno.json",
        "/docs/api/assets/package.json",
        "/docs/api/assets/%2Fetc%2Fpasswd",
      ]
    ) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    assert.equal((await server.stop()).code, 0, server.stderr());
    assert.deepEqual(await rows(p.db, "SELECT count(*) > 0 AS ok FROM marts.members"), [{
      ok: true,
    }]);
  },
});

/**
 * Sends a benefits delivery of about `mb` MB chunked in 1 KB chunks (many
 * to a write) and returns the server's CPU time for it and the answer.
 */
async function chunkedUpload(
  server: Awaited<ReturnType<typeof startServe>>,
  name: string,
  mb: number,
): Promise<{ cpuMs: number; head: string }> {
  const before = server.cpuMs();
  const conn = await rawRequest(
    server.base,
    `POST /api/ingest/benefits?filename=${name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n`,
    chunk(BENEFITS_HEADER),
  );
  const line = (i: number) => `C${i},${100000 + (i % 1000)},${i % 997},2500,2024-02-01\n`;
  let text = "";
  let i = 0;
  let frames: string[] = [];
  for (let sent = 0; sent < mb * 1024 * 1024;) {
    while (text.length < 1024) text += line(i++);
    frames.push(chunk(text.slice(0, 1024)));
    text = text.slice(1024);
    sent += 1024;
    if (frames.length === 64) {
      await writeAll(conn, frames.join(""));
      frames = [];
    }
  }
  await writeAll(conn, frames.join("") + (text ? chunk(text) : "") + "0\r\n\r\n");
  const head = await readResponse(conn);
  conn.close();
  return { cpuMs: server.cpuMs() - before, head };
}

defineCase({
  area: "api",
  name:
    "slow chunked uploads of 10, 20 and 40 MB in 1 KB chunks cost the server CPU linear in size",
  issue: "#14.9",
  slow: true,
  async run() {
    await using p = await benefitsProject();
    await using server = await startServe(serveArgs(p.root, p.db), {
      env: { WHARF_API_TOKEN: TOKEN },
    });
    // A first upload warms the server up (JIT, DuckDB), so the figures compare like with like.
    await chunkedUpload(server, "benefits-warm-20240301_000000.csv", 2);
    const cpu: number[] = [];
    for (const [i, mb] of [10, 20, 40].entries()) {
      const { cpuMs, head } = await chunkedUpload(
        server,
        `benefits-chunked${mb}-2024030${i + 2}_000000.csv`,
        mb,
      );
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n/, head.split("\r\n\r\n")[1]);
      assert.match(head, /"status":"landed"/);
      cpu.push(cpuMs);
    }
    // Linear: four times the bytes cost about four times the CPU (quadratic work: sixteen).
    const [c10, c20, c40] = cpu as [number, number, number];
    const note = `server CPU: 10 MB ${c10} ms, 20 MB ${c20} ms, 40 MB ${c40} ms`;
    assert.ok(c40 <= 6 * c10, note);
    assert.equal((await server.stop()).code, 0, server.stderr());
    return note;
  },
});

defineCase({
  area: "api",
  name:
    "a client dying mid-upload: its partial file is removed and the server stays healthy; one that pauses gets 408",
  issue: "#14.9",
  async run() {
    await using p = await benefitsProject({ uploadIdleTimeoutMs: 300, uploadTimeoutMs: 60_000 });
    await using server = await startServe(serveArgs(p.root, p.db), {
      env: { WHARF_API_TOKEN: TOKEN },
    });
    const head = (name: string) =>
      `POST /api/ingest/benefits?filename=${name} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n`;
    // A client that dies mid-upload (2 MB sent in small chunks, so a block reached the disk).
    const dying = await rawRequest(
      server.base,
      head("benefits-dead-20240601_000000.csv"),
      chunk(BENEFITS_HEADER),
    );
    await writeAll(dying, chunk("D1,1,1,1,2024-01-01\n".repeat(50)).repeat(2000));
    dying.close();
    // A client that stops sending: 408 after the idle limit.
    const pausing = await rawRequest(
      server.base,
      head("benefits-idle-20240602_000000.csv"),
      chunk(BENEFITS_HEADER),
    );
    assert.match(await readResponse(pausing), /^HTTP\/1\.1 408 Request Timeout\r\n/);
    pausing.close();
    let left = await uploadLeftovers(p.root);
    for (let i = 0; i < 100 && left.length; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = await uploadLeftovers(p.root);
    }
    assert.deepEqual(left, []);
    const health = await fetch(`${server.base}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    // Healthy: a whole upload lands after them.
    const ok = await fetch(
      `${server.base}/api/ingest/benefits?filename=benefits-ok-20240603_000000.csv`,
      {
        method: "POST",
        body: benefits("K", 3),
        headers: auth,
      },
    );
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).rows, 3);
    assert.equal((await server.stop()).code, 0, server.stderr());
    assert.match(server.stderr(), /"path":"\/api\/ingest\/benefits","status":408/);
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT member_id, count(*)::INT AS n FROM raw.benefits WHERE member_id IN ('D1', 'K0') GROUP BY 1",
      ),
      [{ member_id: "K0", n: 1 }],
    );
  },
});

const A = { oop_max: 500000, remaining_oop_max: 100000, copay: 2500 };

defineCase({
  area: "api",
  name:
    "upstreams answering 1e308, 2^60, 12.5 or more than the size cap are each that source's error; with no good source, 502",
  issue: "#14.15",
  async run() {
    await using p = await tempProject(COALESCING_PROJECT);
    await using ok = fakeUpstream({ kind: "values", values: A });
    await using huge1 = fakeUpstream({
      kind: "garbage",
      body: '{"oop_max": 1e308, "remaining_oop_max": 1e308, "copay": 1e308}',
    });
    await using huge2 = fakeUpstream({
      kind: "garbage",
      body: '{"oop_max": 1e308, "remaining_oop_max": 1, "copay": 1}',
    });
    await using wide = fakeUpstream({
      kind: "garbage",
      body: '{"oop_max": 1152921504606846976, "remaining_oop_max": 1, "copay": 12.5}',
    });
    await using big = fakeUpstream({ kind: "huge", bytes: 200_000 });
    const upstreams = [ok, huge1, huge2, wide, big].flatMap((u) => ["--upstream", u.url]);
    await using server = await startServe(serveArgs(p.root, p.db, ...upstreams));
    const res = await fetch(`${server.base}/api/coalescence/avg?member_id=m1&explain=true`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual([body.oop_max, body.remaining_oop_max, body.copay], [
      A.oop_max,
      A.remaining_oop_max,
      A.copay,
    ]);
    const errors = Object.fromEntries(
      body.sources.map((s: { source: string; error?: string }) => [s.source, s.error]),
    );
    assert.equal(errors[ok.url], undefined);
    assert.match(errors[huge1.url], /^malformed answer: oop_max is 1e\+308, remaining_oop_max is /);
    assert.match(errors[huge2.url], /^malformed answer: oop_max is 1e\+308 \(/);
    assert.equal(
      errors[wide.url],
      "malformed answer: oop_max is 1152921504606847000, copay is 12.5 (oop_max, remaining_oop_max and copay must be integer amounts from 0 to 100000000000)",
    );
    assert.equal(errors[big.url], "answer too large: over 65536 bytes");
    assert.equal((await server.stop()).code, 0, server.stderr());

    // With only the two 1e308 sources, the answer is not a null average: it is unknown.
    await using only = await startServe(
      serveArgs(p.root, p.db, "--upstream", huge1.url, "--upstream", huge2.url),
    );
    const bad = await fetch(`${only.base}/api/coalescence/avg?member_id=m1`);
    assert.equal(bad.status, 502);
    assert.match((await bad.json()).error, /^Every source failed for member m1: /);
  },
});

defineCase({
  area: "api",
  name:
    "an upstream answering 150 MB is that source's error, and the server's memory stays bounded",
  issue: "#14.15",
  slow: true,
  async run() {
    await using p = await tempProject(COALESCING_PROJECT);
    await using ok = fakeUpstream({ kind: "values", values: A });
    let sent = 0;
    const block = new TextEncoder().encode("x".repeat(1 << 20));
    // 150 MB of one JSON string, streamed: this process never holds it.
    await using endless = serveLocal(() =>
      new Response(
        new ReadableStream({
          start: (ctl) => ctl.enqueue(new TextEncoder().encode('{"oop_max": 1, "pad": "')),
          pull(ctl) {
            if (sent >= 150) {
              ctl.enqueue(new TextEncoder().encode('"}'));
              return ctl.close();
            }
            sent++;
            ctl.enqueue(block);
          },
        }),
        { headers: { "content-type": "application/json" } },
      )
    );
    const url = `${endless.base}/benefits`;
    await using server = await startServe(
      serveArgs(p.root, p.db, "--upstream", ok.url, "--upstream", url),
    );
    const warm = await fetch(`${server.base}/health`);
    await warm.body?.cancel();
    const before = server.peakRssBytes();
    const res = await fetch(`${server.base}/api/coalescence/max?member_id=m1&explain=true`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.oop_max, A.oop_max);
    assert.deepEqual(body.sources.find((s: { source: string }) => s.source === url), {
      source: url,
      status: "failed",
      error: "answer too large: over 65536 bytes",
    });
    const grown = server.peakRssBytes() - before;
    const health = await fetch(`${server.base}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    assert.equal((await server.stop()).code, 0, server.stderr());
    const note = `peak memory grew ${(grown / 2 ** 20).toFixed(1)} MB; ${sent} MB of the body sent`;
    assert.ok(grown < 32 * 2 ** 20, note);
    return note;
  },
});

defineCase({
  area: "api",
  name:
    "with a token set, reads need it: 401 without, 403 with a wrong one; health, the API description and unknown paths (404) stay open",
  issue: "#14.17",
  async run() {
    await using p = await builtHealthcare();
    await using server = await startServe(
      serveArgs(p.root, p.db, "--host", "0.0.0.0"),
      {
        env: { WHARF_API_TOKEN: TOKEN, WHARF_API_READ_TOKEN: "reader" },
        until: /Reads need a token/,
      },
    );
    const get = (path: string, authorization?: string) =>
      fetch(`${server.base}${path}`, authorization ? { headers: { authorization } } : {});
    const reads = [
      "/api/coalescence/max?member_id=m1",
      "/api/models",
      "/api/models/marts/members",
      "/api/models/marts/members/rows",
      "/docs",
      "/docs/manifest.json",
    ];
    for (const path of reads) {
      const none = await get(path);
      assert.equal(none.status, 401, path);
      assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer realm="wharf", Basic /);
      assert.deepEqual(await none.json(), {
        error: "Missing token: reads need Authorization: Bearer <token>",
      });
      const wrong = await get(path, "Bearer nope");
      assert.equal(wrong.status, 403, path);
      await wrong.body?.cancel();
    }
    for (const token of [TOKEN, "reader"]) {
      for (const path of reads.slice(1)) {
        const res = await get(path, `Bearer ${token}`);
        assert.equal(res.status, 200, `${path} with ${token}`);
        await res.body?.cancel();
      }
    }
    const basic = await get(reads[1]!, `Basic ${btoa("anyone:reader")}`);
    assert.equal(basic.status, 200);
    await basic.body?.cancel();
    for (const path of ["/health", "/openapi.json", "/docs/api"]) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      await res.body?.cancel();
    }
    // A path no route answers is a 404, token or not.
    for (const authorization of [undefined, "Bearer nope", "Bearer reader"]) {
      const res = await get("/no/such/route", authorization);
      assert.equal(res.status, 404, authorization);
      await res.body?.cancel();
    }
    // The read token does not upload, and says so.
    const upload = await fetch(
      `${server.base}/api/ingest/benefits?filename=benefits-x-20240101_000000.csv`,
      { method: "POST", body: benefits("R", 1), headers: { authorization: "Bearer reader" } },
    );
    assert.equal(upload.status, 403);
    assert.match(
      (await upload.json()).error,
      /^This token only reads: uploads need the write token/,
    );
    assert.equal((await server.stop()).code, 0, server.stderr());

    // Without a token, reads are open (and the server listens on loopback only).
    await using open = await startServe(serveArgs(p.root, p.db));
    const res = await fetch(`${open.base}/api/models/marts/members/rows?limit=1`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).rows.length, 1);
  },
});

defineCase({
  area: "api",
  name: "wharf serve on a port in use says so and exits 2, without a stack trace",
  async run() {
    await using p = await tempProject({ "models/.keep": "" });
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (taken.addr as Deno.NetAddr).port;
    const r = await runCli(["--project", p.root, "serve", "--port", String(port)]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `error: port ${port} is in use; pass --port <n> (0 picks a free one)\n`);
    assert.equal(r.stdout, "");
  },
});
