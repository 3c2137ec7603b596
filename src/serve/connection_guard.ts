/**
 * Request header timeouts, which `Deno.serve` does not have: a client that
 * opens connections and sends request headers a byte at a time (or never)
 * would hold them forever. The API listens here; each connection is relayed
 * to the Hono app's server on a private loopback port, and the bytes from
 * the client are followed through HTTP/1.1's framing (heads, then
 * `Content-Length` or chunked bodies) so that every request head must be
 * complete within `headerTimeoutMs` of its first byte — and a new
 * connection's first head within `headerTimeoutMs` of the connection.
 * A client past it gets its connection closed (with a 408 when no answer
 * is owed on it yet). Bodies have their own limits where they are read.
 *
 * Whatever the follower cannot frame for sure (both or neither of
 * `Content-Length` and chunked with an odd coding, an oversized head, a
 * malformed chunk) ends the watch for that connection: its bytes still pass,
 * unguarded, and the HTTP server judges them. So a mistake here can only
 * leave a connection unguarded, never cut a request that is well formed.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;
/** Heads longer than this are left to the HTTP server (which refuses them). */
const MAX_HEAD = 64 * 1024;

/** Follows request framing in the bytes a client sends; see the module doc. */
export class RequestFramer {
  #state: "head" | "length" | "size" | "data" | "data-end" | "trailers" | "opaque" = "head";
  #head: number[] = [];
  #remaining = 0;
  #line: number[] = [];
  /** Requests whose head was complete. */
  requests = 0;

  /** True once the framing could not be followed: the connection is no longer watched. */
  get lost(): boolean {
    return this.#state === "opaque";
  }

  /** True while a request head has begun and is not complete. */
  get inHead(): boolean {
    return this.#state === "head" && this.#head.length > 0;
  }

  /** Follows `bytes`, the next ones the client sent. */
  feed(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length && this.#state !== "opaque") {
      switch (this.#state) {
        case "head": {
          if (this.#head.length === 0) {
            // Blank lines between requests are allowed.
            while (i < bytes.length && (bytes[i] === CR || bytes[i] === LF)) i++;
            if (i === bytes.length) break;
          }
          const lf = bytes.indexOf(LF, i);
          const end = lf === -1 ? bytes.length : lf + 1;
          for (let k = i; k < end; k++) this.#head.push(bytes[k]!);
          i = end;
          const n = this.#head.length;
          if (n > MAX_HEAD) this.#state = "opaque";
          else if (lf !== -1 && n >= 4 && this.#head[n - 2] === CR && this.#head[n - 3] === LF) {
            this.#endHead();
          }
          break;
        }
        case "length": {
          const take = Math.min(this.#remaining, bytes.length - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = "head";
          break;
        }
        case "data": {
          const take = Math.min(this.#remaining, bytes.length - i);
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) {
            this.#state = "data-end";
            this.#line = [];
          }
          break;
        }
        case "size":
        case "data-end":
        case "trailers": {
          const b = bytes[i++]!;
          if (b !== LF) {
            this.#line.push(b);
            if (this.#line.length > 1024) this.#state = "opaque";
            break;
          }
          const line = this.#line;
          this.#line = [];
          if (line.at(-1) !== CR) {
            this.#state = "opaque";
            break;
          }
          line.pop();
          this.#endLine(line);
          break;
        }
      }
    }
  }

  #endLine(line: number[]): void {
    if (this.#state === "data-end") {
      this.#state = line.length === 0 ? "size" : "opaque";
    } else if (this.#state === "trailers") {
      if (line.length === 0) this.#state = "head";
    } else {
      const text = String.fromCharCode(...line).split(";")[0]!.trim();
      if (!/^[0-9a-fA-F]{1,12}$/.test(text)) {
        this.#state = "opaque";
        return;
      }
      this.#remaining = parseInt(text, 16);
      this.#state = this.#remaining === 0 ? "trailers" : "data";
    }
  }

  #endHead(): void {
    const text = new TextDecoder("latin1").decode(Uint8Array.from(this.#head));
    this.#head = [];
    this.requests++;
    // HTTP/2 with prior knowledge, CONNECT: what follows is not HTTP/1.1 framing.
    if (/^(PRI \* HTTP\/2|CONNECT )/.test(text)) {
      this.#state = "opaque";
      return;
    }
    const lengths = new Set<string>();
    let codings: string | undefined;
    for (const line of text.split("\r\n").slice(1)) {
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === "upgrade") {
        // The connection may switch protocols after this request.
        this.#state = "opaque";
        return;
      }
      if (name === "content-length") lengths.add(value);
      else if (name === "transfer-encoding") {
        codings = codings === undefined ? value : `${codings}, ${value}`;
      }
    }
    if (codings !== undefined) {
      const last = codings.split(",").at(-1)!.trim().toLowerCase();
      this.#state = lengths.size === 0 && last === "chunked" ? "size" : "opaque";
      return;
    }
    if (lengths.size > 1) {
      this.#state = "opaque";
      return;
    }
    const [length] = lengths;
    if (length === undefined) return; // no body: the next head follows
    if (!/^\d{1,15}$/.test(length)) {
      this.#state = "opaque";
      return;
    }
    this.#remaining = Number(length);
    if (this.#remaining > 0) this.#state = "length";
  }
}

/** Options of {@linkcode guardConnections}. */
export interface GuardOptions {
  /** How long a request head may take, ms. */
  headerTimeoutMs: number;
}

const TIMEOUT_BODY = JSON.stringify({
  error: "Request timed out: the request headers took too long",
});
const TIMEOUT_RESPONSE = new TextEncoder().encode(
  `HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${TIMEOUT_BODY.length}\r\n\r\n${TIMEOUT_BODY}`,
);

async function relay(
  client: Deno.Conn,
  target: Deno.NetAddr,
  options: GuardOptions,
): Promise<void> {
  let server: Deno.TcpConn;
  try {
    server = await Deno.connect({ hostname: target.hostname, port: target.port });
  } catch {
    client.close();
    return;
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    try {
      client.close();
    } catch { /* already */ }
    try {
      server.close();
    } catch { /* already */ }
  };
  const framer = new RequestFramer();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expire = async () => {
    if (framer.requests === 0) await client.write(TIMEOUT_RESPONSE).catch(() => {});
    close();
  };
  timer = setTimeout(expire, options.headerTimeoutMs); // the first head
  let armed = true;
  const answers = (async () => {
    const out = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await server.read(out);
        if (n === null) break;
        let off = 0;
        while (off < n) off += await client.write(out.subarray(off, n));
      }
    } catch { /* either side closed */ }
    close();
  })();
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await client.read(buf);
      if (n === null) break;
      const bytes = buf.subarray(0, n);
      if (!framer.lost) {
        const before = framer.requests;
        framer.feed(bytes);
        if (framer.lost || framer.requests > before) {
          // A head was completed (or the watch ends): its deadline is met.
          clearTimeout(timer);
          armed = false;
        }
        if (!framer.lost && framer.inHead && !armed) {
          timer = setTimeout(expire, options.headerTimeoutMs);
          armed = true;
        }
      }
      let off = 0;
      while (off < n) off += await server.write(bytes.subarray(off));
    }
    // The client is done sending: let the answers finish.
    await server.closeWrite().catch(() => {});
  } catch {
    close();
  }
  clearTimeout(timer);
  await answers;
}

/**
 * Accepts connections on `listener` and relays each to `target` (the HTTP
 * server), with request header timeouts; see the module doc. Resolves when
 * the listener is closed and every connection has ended.
 */
export async function guardConnections(
  listener: Deno.Listener,
  target: Deno.NetAddr,
  options: GuardOptions,
): Promise<void> {
  const open = new Set<Promise<void>>();
  try {
    for await (const conn of listener) {
      const p = relay(conn, target, options).finally(() => open.delete(p));
      open.add(p);
    }
  } catch {
    // The listener was closed.
  }
  await Promise.all(open);
}
