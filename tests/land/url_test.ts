import assert from "node:assert/strict";
import { land } from "../../src/land/land.ts";
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
