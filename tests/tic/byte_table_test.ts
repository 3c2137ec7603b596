import assert from "node:assert/strict";
import { ByteTable, hashBytes } from "../../src/tic/byte_table.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function put(t: ByteTable, tag: number, s: string, value: number, hash?: number): void {
  const b = enc(s);
  t.set(tag, hash ?? hashBytes(b, new DataView(b.buffer), 0, b.length, tag), b, 0, b.length, value);
}

function lookup(t: ByteTable, tag: number, s: string, hash?: number): number {
  // At an odd offset inside a larger buffer, as references are read.
  const b = enc(`xyz${s}!`);
  const view = new DataView(b.buffer);
  const h = hash ?? hashBytes(b, view, 3, b.length - 1, tag);
  return t.get(tag, h, b, view, 3, b.length - 1);
}

Deno.test("a byte table maps byte strings to values exactly, across growth, blocks and tags", () => {
  const t = new ByteTable();
  const n = 50_000;
  // Long enough values to fill several 1 MB blocks; one longer than a block.
  const key = (i: number) =>
    `https://host-${i % 7}.example.com/dir/${i}/${"p".repeat(i % 40)}.json.gz`;
  for (let i = 0; i < n; i++) put(t, i % 2, key(i), i);
  put(t, 0, "L".repeat(1_500_000), -7);
  assert.equal(t.size, n + 1);
  for (let i = 0; i < n; i += 997) assert.equal(lookup(t, i % 2, key(i)), i);
  assert.equal(lookup(t, 0, "L".repeat(1_500_000)), -7);
  assert.equal(lookup(t, 1, key(0)), -1, "another tag is another key");
  assert.equal(lookup(t, 0, key(0).slice(0, -1)), -1);
  assert.equal(lookup(t, 0, ""), -1);
});

Deno.test("a byte table tells apart byte strings whose hashes collide", () => {
  const t = new ByteTable();
  for (let i = 0; i < 3000; i++) put(t, 0, `same-hash-${i}`, i, 42);
  for (const i of [0, 1, 1500, 2999]) assert.equal(lookup(t, 0, `same-hash-${i}`, 42), i);
  assert.equal(lookup(t, 0, "same-hash-3000", 42), -1);
});

Deno.test("put returns the value of a byte string held, else adds it with the value given", () => {
  const t = new ByteTable();
  const b = enc("xx/a/b.json/a/b.json");
  const view = new DataView(b.buffer);
  const h = hashBytes(b, view, 2, 11, 1);
  assert.equal(t.put(1, h, b, view, 2, 11, 7), 7);
  // The same bytes elsewhere: held.
  assert.equal(t.put(1, hashBytes(b, view, 11, 20, 1), b, view, 11, 20, 8), 7);
  assert.equal(t.put(0, hashBytes(b, view, 2, 11, 0), b, view, 2, 11, 9), 9, "another tag");
  assert.equal(t.size, 2);
  // Across the growth of the slots, and of the pages of entries (65,536 each).
  for (let i = 0; i < 70_000; i++) put(t, 2, `k${i}`, i);
  assert.equal(t.put(1, h, b, view, 2, 11, 10), 7);
  assert.equal(lookup(t, 2, "k69999"), 69999);
  assert.equal(lookup(t, 2, "k0"), 0);
});

Deno.test("similar paths hash apart: a million of them, fewer than a hundred shared hashes", () => {
  const seen = new Set<number>();
  for (let e = 0; e < 200; e++) {
    for (let f = 0; f < 5000; f++) {
      const b = enc(`/d${e}/file_${f}.json.gz`);
      seen.add(hashBytes(b, new DataView(b.buffer), 0, b.length, 0));
    }
  }
  assert.ok(seen.size > 1_000_000 - 100, `${1_000_000 - seen.size} shared`);
});
