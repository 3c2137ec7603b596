/**
 * The worker behind {@linkcode inflateInWorker}: it hashes the bytes of an
 * index as stored (SHA-256) and gunzips them with node:zlib, on a thread of
 * its own, so that decompression runs beside the scan.
 *
 * Bytes cross between the threads through two rings of slots in shared
 * memory ({@linkcode Rings}): the reading thread writes the stored bytes
 * into the input ring, this worker writes the decompressed bytes into the
 * output ring, and each side waits on the other's counters, so no message
 * is sent per chunk: the worker waits with `Atomics.wait`; the reading
 * thread, whose event loop does not run `Atomics.waitAsync` (Deno issue
 * 15358), says it waits in a counter and the worker then wakes it with a
 * message. A message starts the worker and one ends it: the hash, or what
 * failed. The worker, usually ahead, finds the output ring full and waits
 * until half of it is free again ({@linkcode Counter.OutWanted}), so the
 * reading thread wakes it once per half ring rather than at every slot it
 * reads: each wake-up costs that thread the core for a moment (measured on
 * two busy cores: 1–2 ms of its time per `Atomics.notify` that woke the
 * worker, a fifth of its reading time on a plan-heavy index).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { createHash } from "node:crypto";
import { createGunzip, type Gunzip } from "node:zlib";

/** Indexes of the shared counters ({@linkcode Rings.control}). */
export const enum Counter {
  /** Slots of the input ring written (by the reader), and read (by the worker). */
  InWritten = 0,
  InRead = 1,
  /** 1 once the reader has written its last input slot. */
  InEnded = 2,
  /** Slots of the output ring written (by the worker), and read (by the reader). */
  OutWritten = 3,
  OutRead = 4,
  /** 1 once the reader wants the worker to stop. */
  Closed = 5,
  /** 1 while the reader waits for a counter to change (it wants a "wake" message). */
  ReaderWaits = 6,
  /**
   * While the worker waits for room in the output ring: the value of
   * `OutRead` at which it wants to be woken (half the ring free), else 0.
   */
  OutWanted = 7,
  /** Then the length of each input slot, then of each output slot. */
  Lengths = 8,
}

/** The shared memory of a worker: see the module documentation. */
export interface Rings {
  control: SharedArrayBuffer;
  input: SharedArrayBuffer;
  output: SharedArrayBuffer;
  inSlots: number;
  inSlotBytes: number;
  outSlots: number;
  outSlotBytes: number;
}

/** What the reading thread sends, once. */
export interface StartInflater {
  rings: Rings;
  gzip: boolean;
}

/** What the worker sends: a wake-up, and once, after its last output slot, how it ended. */
export type FromInflater =
  | { type: "wake" }
  | { type: "done"; sha256: string }
  | { type: "error"; message: string };

/** How long to wait on a counter before looking whether the reader closed, ms. */
const POLL_MS = 100;

class Stopped extends Error {}

self.onmessage = (e: MessageEvent<StartInflater>) => {
  self.onmessage = null;
  run(e.data).then(
    (sha256) => self.postMessage({ type: "done", sha256 } satisfies FromInflater),
    (err) => {
      if (err instanceof Stopped) return;
      const message = err instanceof Error ? err.message : String(err);
      self.postMessage({ type: "error", message } satisfies FromInflater);
    },
  );
};

async function run({ rings, gzip }: StartInflater): Promise<string> {
  const control = new Int32Array(rings.control);
  const inLength = (slot: number) => Counter.Lengths + slot;
  const outLength = (slot: number) => Counter.Lengths + rings.inSlots + slot;

  /** Changes counter `i` to `value`, and wakes the reader if it waits. */
  const advance = (i: number, value: number) => {
    Atomics.store(control, i, value);
    if (Atomics.exchange(control, Counter.ReaderWaits, 0)) {
      self.postMessage({ type: "wake" } satisfies FromInflater);
    }
  };

  /**
   * Waits while counter `i` holds `value`, or until counter `or` (if given)
   * is set; throws when the reader closed.
   */
  const waitWhile = (i: number, value: number, or?: number) => {
    while (Atomics.load(control, i) === value) {
      if (Atomics.load(control, Counter.Closed)) throw new Stopped();
      if (or !== undefined && Atomics.load(control, or)) return;
      Atomics.wait(control, i, value, POLL_MS);
    }
  };

  // The output slot being filled, and how far.
  let outWritten = 0;
  let fill = 0;
  const publish = () => {
    Atomics.store(control, outLength(outWritten % rings.outSlots), fill);
    advance(Counter.OutWritten, ++outWritten);
    fill = 0;
  };
  /**
   * Waits, the output ring being full, until the reader has freed half of
   * it (see {@linkcode Counter.OutWanted}); throws when the reader closed.
   */
  const waitForRoom = () => {
    const wanted = outWritten - rings.outSlots + Math.max(1, rings.outSlots >> 1);
    // Said before looking, so that the reader either sees it or its read is seen here.
    Atomics.store(control, Counter.OutWanted, wanted);
    try {
      for (;;) {
        const read = Atomics.load(control, Counter.OutRead);
        if (read >= wanted) return;
        if (Atomics.load(control, Counter.Closed)) throw new Stopped();
        Atomics.wait(control, Counter.OutRead, read, POLL_MS);
      }
    } finally {
      Atomics.store(control, Counter.OutWanted, 0);
    }
  };
  /** Copies `bytes` into the output ring, waiting for room when it is full. */
  const put = (bytes: Uint8Array) => {
    for (let at = 0; at < bytes.length;) {
      if (outWritten - Atomics.load(control, Counter.OutRead) >= rings.outSlots) waitForRoom();
      const slot = outWritten % rings.outSlots;
      const n = Math.min(bytes.length - at, rings.outSlotBytes - fill);
      new Uint8Array(rings.output, slot * rings.outSlotBytes + fill, n).set(
        bytes.subarray(at, at + n),
      );
      fill += n;
      at += n;
      if (fill === rings.outSlotBytes) publish();
    }
  };

  const hash = createHash("sha256");
  let gunzip: Gunzip | undefined;
  let failure: Error | undefined;
  let ended: Promise<void> = Promise.resolve();
  if (gzip) {
    gunzip = createGunzip({ chunkSize: 1 << 18 });
    const g = gunzip;
    ended = new Promise((resolve, reject) => {
      g.on("data", (out: Uint8Array) => {
        try {
          put(out);
          // zlib gives its output as views of buffers it fills in turn, and
          // starts a new one once one is full: a view of a whole buffer is
          // the last one of it, so the buffer is freed now rather than left
          // to the garbage collector (which let up to 64 MB of them pile up).
          if (out.byteOffset === 0 && out.byteLength === out.buffer.byteLength) {
            (out.buffer as ArrayBuffer).transfer(0);
          }
        } catch (err) {
          // Closed by the reader: stop zlib, quietly.
          g.destroy(err as Error);
        }
      });
      g.on("end", resolve);
      g.on("error", (err) => {
        failure ??= err;
        reject(err);
      });
    });
    ended.catch(() => {});
  }

  const input = new Uint8Array(rings.inSlotBytes);
  for (let inRead = 0;; inRead++) {
    // The next input slot, or the end (said after the last slot is written).
    let last = false;
    while (inRead === Atomics.load(control, Counter.InWritten)) {
      if (last) break;
      last = Atomics.load(control, Counter.InEnded) === 1;
      if (!last) waitWhile(Counter.InWritten, inRead, Counter.InEnded);
    }
    if (inRead === Atomics.load(control, Counter.InWritten)) break;
    const slot = inRead % rings.inSlots;
    const length = Atomics.load(control, inLength(slot));
    // Copied out of the ring, so that its slot goes back to the reader at
    // once, into one buffer, reused: each input is consumed before the next.
    const bytes = input.subarray(0, length);
    bytes.set(new Uint8Array(rings.input, slot * rings.inSlotBytes, length));
    advance(Counter.InRead, inRead + 1);
    hash.update(bytes);
    if (!gunzip) {
      put(bytes);
      continue;
    }
    await new Promise<void>((resolve) => gunzip!.write(bytes, () => resolve()));
    if (failure) break;
    // What this input gave goes now, full or not: the reader need not wait
    // for more input (a slow connection) to read it.
    if (fill > 0) publish();
  }
  if (gunzip && !failure) gunzip.end();
  try {
    await ended;
  } finally {
    // What was decompressed before a failure is read first.
    if (fill > 0) publish();
  }
  if (Atomics.load(control, Counter.Closed)) throw new Stopped();
  return hash.digest("hex");
}
