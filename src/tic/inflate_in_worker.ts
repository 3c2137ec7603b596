/**
 * Decompression on a second core: the bytes of an index as stored go to a
 * worker (`inflate_worker.ts`) that hashes and gunzips them, and come back
 * decompressed in large chunks, so that gunzip runs beside the scan instead
 * of before it. The bytes cross through rings of slots in shared memory, a
 * few slots each way, so memory stays flat and no message is sent per
 * chunk (posting a message to a busy worker was measured to stall this
 * thread for about a millisecond each time).
 *
 * @module
 */
import { Counter, type FromInflater, type Rings, type StartInflater } from "./inflate_worker.ts";

/** Options of {@linkcode inflateInWorker}. */
export interface InflateOptions {
  /** Whether the bytes are gzipped (else they are only hashed). */
  gzip: boolean;
  /** Size of the decompressed chunks at most. */
  chunkBytes: number;
}

/** Decompressed chunks, and the hash of the bytes as stored. */
export interface Inflated {
  /**
   * Decompressed chunks, each valid until the next is asked for (its slot
   * then goes back to the worker). Throws what reading the input threw, or
   * an Error with zlib's message when the gzip stream is broken (after the
   * bytes decompressed before it).
   */
  chunks: AsyncIterable<Uint8Array>;
  /** SHA-256 of the bytes as stored, hex; once every chunk is read. */
  sha256(): string;
  /** Stops the worker (a read that ends early, or never starts, must call it; harmless twice). */
  close(): void;
}

/**
 * Slots per ring: enough decompressed bytes ahead that the reader seldom
 * waits when the worker is not scheduled for a moment (two cores shared).
 */
const IN_SLOTS = 2, IN_SLOT_BYTES = 1 << 20, OUT_SLOTS = 8;

/**
 * Reads `input` (the bytes as stored, in any chunks) through the worker,
 * starting at once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inflateInWorker } from "./inflate_in_worker.ts";
 *
 * const gzipped = new Uint8Array(
 *   await new Response(
 *     new Blob(["hello, wharf"]).stream().pipeThrough(new CompressionStream("gzip")),
 *   ).arrayBuffer(),
 * );
 * async function* stored() {
 *   yield gzipped;
 * }
 * const inflated = inflateInWorker(stored(), { gzip: true, chunkBytes: 1 << 16 });
 * let text = "";
 * for await (const chunk of inflated.chunks) text += new TextDecoder().decode(chunk);
 * assert.equal(text, "hello, wharf");
 * assert.match(inflated.sha256(), /^[0-9a-f]{64}$/);
 * ```
 */
export function inflateInWorker(
  input: AsyncIterable<Uint8Array>,
  options: InflateOptions,
): Inflated {
  const rings: Rings = {
    control: new SharedArrayBuffer(4 * (Counter.Lengths + IN_SLOTS + OUT_SLOTS)),
    input: new SharedArrayBuffer(IN_SLOTS * IN_SLOT_BYTES),
    output: new SharedArrayBuffer(OUT_SLOTS * options.chunkBytes),
    inSlots: IN_SLOTS,
    inSlotBytes: IN_SLOT_BYTES,
    outSlots: OUT_SLOTS,
    outSlotBytes: options.chunkBytes,
  };
  const control = new Int32Array(rings.control);
  const worker = new Worker(new URL("./inflate_worker.ts", import.meta.url).href, {
    type: "module",
  });
  worker.postMessage({ rings, gzip: options.gzip } satisfies StartInflater);

  let end: Exclude<FromInflater, { type: "wake" }> | undefined;
  let failure: { error: unknown } | undefined;
  let closed = false;
  // Whoever waits (the pump for an input slot, the reader for an output
  // slot) is woken by the worker's next change, its end or a failure, and
  // looks again.
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  worker.onmessage = (e: MessageEvent<FromInflater>) => {
    if (e.data.type !== "wake") end = e.data;
    wake();
  };
  worker.onerror = (e) => {
    e.preventDefault();
    failure ??= { error: new Error(e.message) };
    wake();
  };

  /** Waits until counter `i` no longer holds `value`, or something ends. */
  const change = async (i: number, value: number) => {
    const woken = new Promise<void>((r) => waiters.push(r));
    // Said before looking again, so that a change in between still wakes.
    Atomics.store(control, Counter.ReaderWaits, 1);
    if (Atomics.load(control, i) !== value || end || failure || closed) {
      wake();
      return;
    }
    await woken;
  };

  const pump = async () => {
    let written = 0;
    try {
      for await (const chunk of input) {
        for (let at = 0; at < chunk.length;) {
          for (;;) {
            if (closed || failure || end) return;
            const read = Atomics.load(control, Counter.InRead);
            if (written - read < IN_SLOTS) break;
            await change(Counter.InRead, read);
          }
          const slot = written % IN_SLOTS;
          const n = Math.min(chunk.length - at, IN_SLOT_BYTES);
          new Uint8Array(rings.input, slot * IN_SLOT_BYTES, n).set(chunk.subarray(at, at + n));
          at += n;
          Atomics.store(control, Counter.Lengths + slot, n);
          Atomics.store(control, Counter.InWritten, ++written);
          Atomics.notify(control, Counter.InWritten);
        }
      }
      Atomics.store(control, Counter.InEnded, 1);
      Atomics.notify(control, Counter.InWritten);
    } catch (err) {
      failure ??= { error: err };
      wake();
    }
  };

  const close = () => {
    if (closed) return;
    closed = true;
    Atomics.store(control, Counter.Closed, 1);
    for (const i of [Counter.InWritten, Counter.OutRead]) Atomics.notify(control, i);
    worker.terminate();
    wake();
  };

  // Reading starts now: the worker fills its ring while the caller gets
  // ready (the warehouse opens meanwhile).
  void pump();

  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      for (let read = 0;; read++) {
        // What was decompressed before a failure is read first.
        while (read === Atomics.load(control, Counter.OutWritten)) {
          if (failure) throw failure.error;
          if (end?.type === "error") throw new Error(end.message);
          if (end || closed) return;
          await change(Counter.OutWritten, read);
        }
        const slot = read % OUT_SLOTS;
        const length = Atomics.load(control, Counter.Lengths + IN_SLOTS + slot);
        yield new Uint8Array(rings.output, slot * options.chunkBytes, length);
        // Read: the slot goes back to the worker, which is woken only once
        // half the ring is free (Counter.OutWanted).
        Atomics.store(control, Counter.OutRead, read + 1);
        const wanted = Atomics.load(control, Counter.OutWanted);
        if (wanted !== 0 && read + 1 >= wanted) Atomics.notify(control, Counter.OutRead);
      }
    } finally {
      close();
    }
  }

  return {
    chunks: chunks(),
    sha256() {
      if (end?.type !== "done") throw new Error("the index is not read to its end yet");
      return end.sha256;
    },
    close,
  };
}
