import assert from "node:assert/strict";
import { land } from "../../src/land/land.ts";
import { answer, cutOff, faultyServer, rangeAnswer, rangeStart } from "../net/faulty_server.ts";
import { landingProject, query } from "./helpers.ts";

/**
 * A real HTTP server on 127.0.0.1 speaking raw HTTP/1.1, so it can cut a
 * response off mid-body. The first full request is cut after half the body;
 * Range requests are answered with 206.
 */
function flakyServer(body: Uint8Array) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const requests: string[] = [];
  const enc = new TextEncoder();
  (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(8192);
        const n = await conn.read(buf);
        const head = new TextDecoder().decode(buf.subarray(0, n ?? 0));
        const [requestLine] = head.split("\r\n");
        const range = /range: bytes=(\d+)-/i.exec(head);
        requests.push(`${requestLine}${range ? ` range=${range[1]}` : ""}`);
        try {
          if (requestLine!.includes("/missing")) {
            await conn.write(
              enc.encode(
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
              ),
            );
          } else if (range) {
            const from = Number(range[1]);
            const rest = body.subarray(from);
            await conn.write(
              enc.encode(
                `HTTP/1.1 206 Partial Content\r\nContent-Length: ${rest.length}\r\nContent-Range: bytes ${from}-${
                  body.length - 1
                }/${body.length}\r\nConnection: close\r\n\r\n`,
              ),
            );
            await conn.write(rest);
          } else {
            await conn.write(
              enc.encode(
                `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n`,
              ),
            );
            await conn.write(body.subarray(0, Math.floor(body.length / 2)));
          }
        } finally {
          conn.close();
        }
      })();
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  return { base: `http://127.0.0.1:${port}`, requests, close: () => listener.close() };
}

Deno.test("land() downloads a URL, resumes a dropped download with Range, and keeps the URL as lineage", async () => {
  await using p = await landingProject();
  const lines = ["id,name", ...Array.from({ length: 2000 }, (_, i) => `${i},name ${i}`)];
  const server = flakyServer(new TextEncoder().encode(lines.join("\n") + "\n"));
  try {
    const url = `${server.base}/exports/members-clientA-202307.csv?sig=abc`;
    const summary = await land(p.config, [url], { db: p.db });
    assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows, o.file]), [[
      "landed",
      2000,
      url,
    ]], summary.outcomes[0]!.message + server.requests.join(";"));
    assert.equal(server.requests.length, 2);
    assert.match(
      server.requests[1]!,
      /^GET \/exports\/members-clientA-202307\.csv\?sig=abc HTTP\/1\.1 range=\d+$/,
    );
    assert.deepEqual(
      await query(p.db, "select count(distinct id)::int as n, min(_file) as f from raw.members"),
      [{ n: 2000, f: url }],
    );
    // A second run asks again (the server gives no validators: a full download, resumed
    // again), finds the same content under the same name, and skips it.
    const again = await land(p.config, [url], { db: p.db });
    assert.deepEqual(again.outcomes.map((o) => o.status), ["skipped"]);
    assert.equal(server.requests.length, 4);
  } finally {
    server.close();
  }
});

Deno.test("land() records a URL that cannot be downloaded as failed, with the HTTP status", async () => {
  await using p = await landingProject();
  const server = flakyServer(new Uint8Array());
  try {
    const summary = await land(p.config, [`${server.base}/missing/members-clientA-202307.csv`], {
      db: p.db,
    });
    assert.equal(summary.ok, false);
    assert.match(summary.outcomes[0]!.message!, /Cannot download ".*": HTTP 404 Not Found/);
  } finally {
    server.close();
  }
});

/** A members CSV of `rows` rows whose names say which version they come from. */
function members(version: string, rows: number): Uint8Array {
  const lines = ["id,name", ...Array.from({ length: rows }, (_, i) => `${i},${version} ${i}`)];
  return new TextEncoder().encode(lines.join("\n") + "\n");
}

Deno.test("land() resumes a download an earlier run left half done, when the server can match it (If-Range)", async () => {
  await using p = await landingProject();
  const body = members("v1", 3000);
  let broken = true;
  await using server = faultyServer((req) => {
    const from = rangeStart(req);
    if (broken) return from === undefined ? cutOff(body, 20_000, { etag: '"v1"' }) : answer(404);
    return from !== undefined && req.headers["if-range"] === '"v1"'
      ? rangeAnswer(body, from, { etag: '"v1"' })
      : answer(200, body, { etag: '"v1"' });
  });
  const url = `${server.base}/members-clientA-202307.csv`;
  const first = await land(p.config, [url], { db: p.db });
  assert.equal(first.outcomes[0]!.status, "failed");
  assert.match(
    first.outcomes[0]!.message!,
    /^Cannot download ".*" after 2 attempts: HTTP 404 Not Found$/,
  );
  broken = false;
  const second = await land(p.config, [url], { db: p.db });
  assert.deepEqual(second.outcomes.map((o) => [o.status, o.rows]), [["landed", 3000]]);
  const asked = server.requests.map((r) =>
    `${r.headers.range ?? "-"} ${r.headers["if-range"] ?? "-"}`
  );
  assert.deepEqual(asked, ["- -", 'bytes=20000- "v1"', 'bytes=20000- "v1"']);
  assert.deepEqual(
    await query(p.db, "select count(*)::int as n, max(name) as last from raw.members"),
    [{ n: 3000, last: "v1 999" }],
  );
});

Deno.test("land() starts a download over when the file changed before the resume: no rows of the old version", async () => {
  await using p = await landingProject();
  const v1 = members("v1", 3000);
  const v2 = members("v2", 2500);
  await using server = faultyServer((req, n) => {
    if (n === 1) return cutOff(v1, 20_000, { etag: '"v1"' });
    // Changed meanwhile: the If-Range for v1 gets the whole of v2.
    const from = rangeStart(req);
    return from !== undefined && req.headers["if-range"] === '"v2"'
      ? rangeAnswer(v2, from, { etag: '"v2"' })
      : answer(200, v2, { etag: '"v2"' });
  });
  const url = `${server.base}/members-clientA-202307.csv`;
  const summary = await land(p.config, [url], { db: p.db });
  assert.deepEqual(summary.outcomes.map((o) => [o.status, o.rows]), [["landed", 2500]]);
  assert.equal(server.requests[1]!.headers["if-range"], '"v1"');
  assert.deepEqual(
    await query(
      p.db,
      "select count(*)::int as n, count(*) filter (where name like 'v1%')::int as old from raw.members",
    ),
    [{ n: 2500, old: 0 }],
  );
});
