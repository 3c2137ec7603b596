/**
 * An upload on its way to disk. Chunks are gathered into 1 MB blocks and
 * each block is written in one synchronous call: awaiting a file write per
 * chunk makes Deno's request body reads slower the longer the upload runs
 * (quadratic CPU for a slow upload in small chunks), while a synchronous
 * 1 MB write costs about a millisecond. The size limit holds while the
 * bytes stream; a client that stops sending, disconnects, or outlasts the
 * time limit gets its partial file removed.
 *
 * @module
 */
import { HttpError } from "./errors.ts";

/** Bytes gathered before one write. */
const BLOCK = 1024 * 1024;

/** Limits of {@linkcode receiveUpload}. */
export interface UploadLimits {
  /** Largest upload, bytes (413 past it). */
  maxBytes: number;
  /** Longest pause between two chunks, ms (408 past it). */
  idleTimeoutMs: number;
  /** Longest whole upload, ms (408 past it). */
  timeoutMs: number;
  /** Aborts the upload (the server is stopping). */
  signal?: AbortSignal;
}

/** The 413 for an upload over `max` bytes. */
export function tooLarge(max: number): HttpError {
  return new HttpError(413, `Upload too large: the limit is ${max} bytes`);
}

/** A file written in 1 MB blocks, at most `maxBytes` long; see the module doc. */
export class UploadFile {
  readonly #file: Deno.FsFile;
  readonly #block = new Uint8Array(BLOCK);
  #used = 0;
  #size = 0;
  #open = true;

  private constructor(readonly path: string, readonly maxBytes: number, file: Deno.FsFile) {
    this.#file = file;
  }

  /** Creates (or truncates) the file at `path`. */
  static create(path: string, maxBytes: number): UploadFile {
    const file = Deno.openSync(path, { write: true, create: true, truncate: true });
    return new UploadFile(path, maxBytes, file);
  }

  /** Bytes received so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds a chunk.
   *
   * @throws {HttpError} 413 once the upload passes `maxBytes`.
   */
  push(chunk: Uint8Array): void {
    this.#size += chunk.length;
    if (this.#size > this.maxBytes) throw tooLarge(this.maxBytes);
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, BLOCK - this.#used);
      this.#block.set(chunk.subarray(off, off + n), this.#used);
      this.#used += n;
      off += n;
      if (this.#used === BLOCK) this.#flush();
    }
  }

  #flush(): void {
    let off = 0;
    while (off < this.#used) off += this.#file.writeSync(this.#block.subarray(off, this.#used));
    this.#used = 0;
  }

  /** Writes what is left and closes the file. */
  finish(): void {
    if (!this.#open) return;
    try {
      this.#flush();
    } finally {
      this.#open = false;
      this.#file.close();
    }
  }

  /** Closes and removes the partial file. */
  discard(): void {
    if (this.#open) {
      this.#open = false;
      this.#file.close();
    }
    try {
      Deno.removeSync(this.path);
    } catch { /* already gone */ }
  }
}

/**
 * Reads `body` chunk by chunk into `onChunk` within `limits`, and cancels
 * the body when a limit is passed or the signal aborts.
 *
 * @throws {HttpError} 408 when the client pauses or takes too long; 400
 * when the upload is cut off; whatever `onChunk` throws (413).
 */
export async function readBody(
  body: ReadableStream<Uint8Array>,
  limits: Omit<UploadLimits, "maxBytes">,
  onChunk: (chunk: Uint8Array) => void,
): Promise<void> {
  const reader = body.getReader();
  const deadline = Date.now() + limits.timeoutMs;
  let last = Date.now();
  let failure: HttpError | undefined;
  const fail = (err: HttpError) => {
    if (failure) return;
    failure = err;
    reader.cancel().catch(() => {});
  };
  // One timer for the whole upload, not one per chunk.
  const tick = setInterval(() => {
    const now = Date.now();
    if (now > deadline) {
      fail(new HttpError(408, `Upload timed out: it took longer than ${limits.timeoutMs} ms`));
    } else if (now - last > limits.idleTimeoutMs) {
      fail(new HttpError(408, `Upload timed out: no data for ${limits.idleTimeoutMs} ms`));
    }
  }, Math.max(10, Math.min(1000, limits.idleTimeoutMs / 4)));
  const onAbort = () =>
    fail(new HttpError(503, "Upload interrupted: the server is stopping; send it again later"));
  if (limits.signal?.aborted) onAbort();
  limits.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (err) {
        throw failure ?? new HttpError(400, `Upload interrupted: ${(err as Error).message}`);
      }
      if (failure) throw failure;
      if (next.done) return;
      last = Date.now();
      onChunk(next.value);
    }
  } catch (err) {
    reader.cancel().catch(() => {});
    throw err;
  } finally {
    clearInterval(tick);
    limits.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Streams a raw request body to `path` within `limits`; a partial file is
 * removed on any failure.
 *
 * @throws {HttpError} 413, 408 or 400 as {@linkcode readBody} says.
 */
export async function receiveUpload(
  body: ReadableStream<Uint8Array>,
  path: string,
  limits: UploadLimits,
): Promise<number> {
  const file = UploadFile.create(path, limits.maxBytes);
  try {
    await readBody(body, limits, (chunk) => file.push(chunk));
    file.finish();
    return file.size;
  } catch (err) {
    file.discard();
    throw err;
  }
}
