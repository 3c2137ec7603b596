import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { inflateInWorker } from "../../src/tic/inflate_in_worker.ts";

/** `bytes` in chunks of the given sizes (cycled), each a view of a larger buffer. */
async function* chunked(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, bytes.length - at);
    const padded = new Uint8Array(n + 2);
    padded.set(bytes.subarray(at, at + n), 1);
    yield padded.subarray(1, n + 1);
    at += n;
    await Promise.resolve();
  }
}

async function readAll(
  input: AsyncIterable<Uint8Array>,
  gzip: boolean,
  chunkBytes: number,
  slow = false,
) {
  const inflated = inflateInWorker(input, { gzip, chunkBytes });
  const parts: Uint8Array[] = [];
  for await (const c of inflated.chunks) {
    assert.ok(c.length > 0 && c.length <= chunkBytes, `chunk of ${c.length}`);
    parts.push(c.slice());
    // A slow reader: the worker fills the ring and waits.
    if (slow) await new Promise((r) => setTimeout(r, 1));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return { out, sha256: inflated.sha256() };
}

// Bytes that compress well but not trivially, a few MB decompressed.
const text = new TextEncoder().encode(
  Array.from(
    { length: 60_000 },
    (_, i) => `{"n":${i},"s":"${(i * 2654435761 >>> 0).toString(36)}"}`,
  )
    .join(",\n"),
);
const packed = new Uint8Array(gzipSync(text));
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

Deno.test("the worker gives back exactly the decompressed bytes and the hash of the stored ones, whatever the chunking", async () => {
  for (
    const [sizes, chunkBytes, slow] of [
      [[1 << 20], 1 << 19, false],
      [[1, 7, 4096, 65_536, 3], 1 << 16, false],
      [[100_000], 4096, true],
      [[packed.length], 1 << 20, false],
    ] as const
  ) {
    const { out, sha256 } = await readAll(chunked(packed, [...sizes]), true, chunkBytes, slow);
    assert.equal(out.length, text.length);
    assert.ok(out.every((b, i) => b === text[i]), `sizes ${sizes}, chunks of ${chunkBytes}`);
    assert.equal(sha256, sha(packed));
  }
  // Not gzipped: only hashed, the bytes as they are.
  const plain = await readAll(chunked(text, [3000, 1 << 20]), false, 1 << 16);
  assert.ok(plain.out.length === text.length && plain.out.every((b, i) => b === text[i]));
  assert.equal(plain.sha256, sha(text));
  // Nothing at all.
  const none = await readAll(chunked(new Uint8Array(0), [1]), false, 1 << 16);
  assert.deepEqual([none.out.length, none.sha256], [0, sha(new Uint8Array(0))]);
});

Deno.test("a broken gzip stream fails after the bytes decompressed before it; a failed input fails as it failed", async () => {
  const cut = packed.slice(0, Math.floor(packed.length * 0.7));
  const inflated = inflateInWorker(chunked(cut, [50_000]), { gzip: true, chunkBytes: 1 << 16 });
  let read = 0;
  await assert.rejects(
    async () => {
      for await (const c of inflated.chunks) read += c.length;
    },
    /unexpected end of file/,
  );
  assert.ok(read > text.length / 2, `${read} bytes before the failure`);
  assert.throws(() => inflated.sha256(), /not read to its end/);

  class Dropped extends Error {}
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield packed.subarray(0, 10_000);
    throw new Dropped("connection dropped");
  }
  const failed = inflateInWorker(failing(), { gzip: true, chunkBytes: 1 << 16 });
  await assert.rejects(async () => {
    for await (const _ of failed.chunks) { /* read on */ }
  }, Dropped);
});

Deno.test("a reader that stops early stops the worker and its input", async () => {
  let pulled = 0;
  async function* endless(): AsyncGenerator<Uint8Array> {
    for (;;) {
      pulled++;
      yield new Uint8Array(1 << 16).fill(0x20);
    }
  }
  const inflated = inflateInWorker(endless(), { gzip: false, chunkBytes: 1 << 16 });
  let chunks = 0;
  for await (const _ of inflated.chunks) if (++chunks === 5) break;
  const after = pulled;
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(pulled <= after + 1, `the input was read on: ${after} then ${pulled}`);
  inflated.close();
});
