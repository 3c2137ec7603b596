import assert from "node:assert/strict";
import { guardConnections, RequestFramer } from "../../src/serve/connection_guard.ts";
import { serveLocal } from "../helpers.ts";

const enc = new TextEncoder();

/** Feeds `text` to a framer in pieces of `size` bytes; returns what it saw after each piece. */
function follow(text: string, size: number): { inHead: boolean[]; framer: RequestFramer } {
  const framer = new RequestFramer();
  const bytes = enc.encode(text);
  const inHead: boolean[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    framer.feed(bytes.subarray(i, i + size));
    inHead.push(framer.inHead);
  }
  return { inHead, framer };
}

const GET = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
const POST_LENGTH = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello\r\n\r\nxy";
const POST_CHUNKED = "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "5;ext=1\r\nab\r\n\r\r\n" + "3\r\n\r\n\r\r\n0\r\nX-Trailer: 1\r\n\r\n";

Deno.test("the framer follows heads, Content-Length and chunked bodies (with CRLFs inside) however the bytes are cut", () => {
  const stream = GET + POST_LENGTH + POST_CHUNKED + "\r\n" + GET;
  for (const size of [1, 2, 3, 7, 64, 100_000]) {
    const { inHead, framer } = follow(stream, size);
    assert.equal(framer.lost, false, `size ${size}`);
    assert.equal(framer.requests, 4, `size ${size}`);
    assert.equal(inHead.at(-1), false, `size ${size}`);
  }
  // Body bytes that look like a head's end are not taken for one.
  const body = follow("POST /a HTTP/1.1\r\nContent-Length: 8\r\n\r\n\r\n\r\nGET ", 1);
  assert.deepEqual([body.framer.requests, body.framer.inHead], [1, false]);
  const partial = follow("GET /health HTTP/1.1\r\nHost: x\r\n", 5);
  assert.deepEqual([partial.framer.requests, partial.framer.inHead], [0, true]);
});

Deno.test("the framer stops watching what it cannot frame for sure, and never cuts it", () => {
  for (
    const head of [
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
      "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      `GET / HTTP/1.1\r\nX: ${"a".repeat(70_000)}`,
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
      "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    ]
  ) {
    const { framer } = follow(head, 1000);
    assert.equal(framer.lost, true, head.slice(0, 60));
    assert.equal(framer.inHead, false);
  }
});

Deno.test("a connection whose request head does not arrive in time is closed; whole requests pass, kept alive", async () => {
  const app = serveLocal(async (req) => {
    const body = req.body ? await req.text() : "";
    return new Response(`${req.method} ${new URL(req.url).pathname} ${body.length}`);
  });
  const target = {
    transport: "tcp" as const,
    hostname: "127.0.0.1",
    port: Number(new URL(app.base).port),
  };
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = guardConnections(listener, target, { headerTimeoutMs: 300 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    // Requests through the guard, on one kept-alive connection, one of them chunked.
    const base = `http://127.0.0.1:${port}`;
    assert.equal(await (await fetch(`${base}/a`)).text(), "GET /a 0");
    const chunked = await fetch(`${base}/b`, {
      method: "POST",
      body: new ReadableStream({
        start(ctl) {
          ctl.enqueue(enc.encode("x\r\n\r\n".repeat(1000)));
          ctl.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    assert.equal(await chunked.text(), "POST /b 5000");

    // A head that trickles: closed with a 408 at the deadline.
    const slow = await Deno.connect({ hostname: "127.0.0.1", port });
    await slow.write(enc.encode("GET /a HTTP/1.1\r\nHost: x\r\n"));
    const buf = new Uint8Array(1024);
    const n = await slow.read(buf);
    assert.match(
      new TextDecoder().decode(buf.subarray(0, n ?? 0)),
      /^HTTP\/1\.1 408 Request Timeout\r\n/,
    );
    assert.equal(await slow.read(buf).catch(() => null), null);
    slow.close();

    // A second head that trickles after a whole request: closed too.
    const second = await Deno.connect({ hostname: "127.0.0.1", port });
    await second.write(enc.encode("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n"));
    let text = "";
    for (;;) {
      const m = await second.read(buf).catch(() => null);
      if (m === null) break;
      text += new TextDecoder().decode(buf.subarray(0, m));
    }
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*GET \/a 0$/);
    second.close();
  } finally {
    // As `wharf serve` stops: no new connections, then the server ends the kept-alive ones.
    listener.close();
    await app[Symbol.asyncDispose]();
    await done;
  }
});
