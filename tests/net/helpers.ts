/**
 * Helpers of the network tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FetchError } from "../../src/engine/errors.ts";

/** The {@linkcode FetchError} that `p` rejects with; fails the test if it resolves or rejects otherwise. */
export async function fetchFailure(p: Promise<unknown>): Promise<FetchError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof FetchError) return err;
    throw err;
  }
  assert.fail("expected a FetchError");
}

/** Every byte of a stream, in one array. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of stream) chunks.push(c);
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return all;
}
