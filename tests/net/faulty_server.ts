/**
 * A faulty HTTP server: a real TCP listener on 127.0.0.1 (random port) that
 * speaks raw HTTP/1.1, so it can do what a well-behaved server library
 * never does: cut a body off mid-way, stall in the middle, hang before the
 * headers, send more than it announced. Each request gets the steps its
 * handler returns, then the connection closes.
 *
 * @module
 */

/** A request as the server read it; header names in lower case. */
export interface FaultyRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** One thing the server does on a connection, in order. */
export type Step =
  /** The status line and headers (`Connection: close` is added). */
  | { status: number; reason?: string; headers?: Record<string, string | number> }
  /** Bytes of the body. */
  | { body: Uint8Array | string }
  /** A pause, ms (ends early when the server stops). */
  | { wait: number }
  /** Nothing more until the server stops or the client closes the connection (counted in `clientClosed`). */
  | { hang: true };

/** A running {@linkcode faultyServer}. */
export interface FaultyServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** Every request so far. */
  requests: FaultyRequest[];
  /** Answers cut short because the client closed the connection. */
  readonly clientClosed: number;
}

const enc = new TextEncoder();
const REASONS: Record<number, string> = {
  200: "OK",
  206: "Partial Content",
  304: "Not Modified",
  404: "Not Found",
  416: "Range Not Satisfiable",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** Starts a server answering each request (the n-th, from 1) with `handler`'s steps. */
export function faultyServer(
  handler: (req: FaultyRequest, n: number) => Step[],
): FaultyServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const stop = new AbortController();
  const requests: FaultyRequest[] = [];
  let clientClosed = 0;
  const conns = new Set<Deno.Conn>();
  const handling = new Set<Promise<void>>();
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        const p = serveConn(conn).finally(() => {
          conns.delete(conn);
          handling.delete(p);
        });
        handling.add(p);
      }
    } catch {
      // The listener was closed.
    }
  })();

  async function serveConn(conn: Deno.Conn): Promise<void> {
    try {
      const req = await readRequest(conn);
      if (!req) return;
      requests.push(req);
      for (const step of handler(req, requests.length)) {
        if (stop.signal.aborted) break;
        if ("status" in step) {
          const lines = [`HTTP/1.1 ${step.status} ${step.reason ?? REASONS[step.status] ?? "X"}`];
          for (const [k, v] of Object.entries(step.headers ?? {})) lines.push(`${k}: ${v}`);
          lines.push("Connection: close", "", "");
          await writeAll(conn, enc.encode(lines.join("\r\n")));
        } else if ("body" in step) {
          await writeAll(conn, typeof step.body === "string" ? enc.encode(step.body) : step.body);
        } else if ("wait" in step) {
          await pause(step.wait, stop.signal);
        } else {
          await Promise.race([pause(Infinity, stop.signal), closedByClient(conn)]);
        }
      }
    } catch {
      if (!stop.signal.aborted) clientClosed++;
    } finally {
      try {
        conn.close();
      } catch { /* closed already */ }
    }
  }

  return {
    base: `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    requests,
    get clientClosed() {
      return clientClosed;
    },
    async [Symbol.asyncDispose]() {
      stop.abort();
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed already */ }
      }
      await accepting;
      await Promise.all(handling);
    },
  };
}

/** A whole answer: status, headers, a body with its Content-Length. */
export function answer(
  status: number,
  body: Uint8Array | string = "",
  headers: Record<string, string | number> = {},
): Step[] {
  const bytes = typeof body === "string" ? enc.encode(body) : body;
  return [{ status, headers: { "content-length": bytes.length, ...headers } }, { body: bytes }];
}

/** An answer that announces all of `body` and sends its first `at` bytes, then closes. */
export function cutOff(
  body: Uint8Array,
  at: number,
  headers: Record<string, string | number> = {},
): Step[] {
  return [
    { status: 200, headers: { "content-length": body.length, ...headers } },
    { body: body.subarray(0, at) },
  ];
}

/** The answer to a `Range: bytes=<from>-` request: 206 with the rest from `from`. */
export function rangeAnswer(
  body: Uint8Array,
  from: number,
  headers: Record<string, string | number> = {},
): Step[] {
  const rest = body.subarray(from);
  return [
    {
      status: 206,
      headers: {
        "content-length": rest.length,
        "content-range": `bytes ${from}-${body.length - 1}/${body.length}`,
        ...headers,
      },
    },
    { body: rest },
  ];
}

/** The start of a `Range: bytes=<n>-` header, or undefined. */
export function rangeStart(req: FaultyRequest): number | undefined {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  return m ? Number(m[1]) : undefined;
}

/** Reads one request's head (a GET has no body). */
async function readRequest(conn: Deno.Conn): Promise<FaultyRequest | undefined> {
  const buf = new Uint8Array(16384);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null) return undefined;
    head += new TextDecoder().decode(buf.subarray(0, n));
  }
  const [requestLine, ...lines] = head.slice(0, head.indexOf("\r\n\r\n")).split("\r\n");
  const [method, path] = requestLine!.split(" ");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method: method!, path: path!, headers };
}

/** Rejects when the client closes the connection (end of stream or reset). */
async function closedByClient(conn: Deno.Conn): Promise<never> {
  const buf = new Uint8Array(1024);
  while (await conn.read(buf) !== null) { /* a client sends nothing more after its request */ }
  throw new Error("the client closed the connection");
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    signal.addEventListener("abort", done, { once: true });
  });
}
