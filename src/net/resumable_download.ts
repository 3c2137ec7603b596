/**
 * A body too large to hold in memory, as a stream that survives dropped
 * connections: when a connection drops, stalls or ends early, the download
 * goes on from the byte it reached with a `Range` request, sending
 * `If-Range` with the file's validator (a strong ETag, else Last-Modified)
 * so that a file that changed meanwhile is not spliced onto the old bytes.
 * A partial copy from earlier can be resumed the same way (`resumeFrom`),
 * and a complete copy revalidated (`revalidate`: `If-None-Match`,
 * `If-Modified-Since`, a 304 keeps it).
 *
 * Each request has a time limit for its answer to start, and the body one
 * for the longest pause between two chunks. Failures are retried as
 * `RetryOptions` in `retrier.ts` says (backoff with full jitter,
 * `Retry-After` up to a cap); the count of failures in a row starts again
 * each time the download gets further than ever before, so a long download
 * over a poor link finishes while a server that never delivers does not
 * keep it forever.
 *
 * When the server sends the whole file again instead of the rest (it
 * changed, or it ignores `Range`), the consumer decides: with `onRestart` it
 * drops what it has and the stream goes on from byte 0; without it, the
 * stream fails (kind `changed`), as a consumer that already parsed the
 * bytes must.
 *
 * @module
 */
import { AttemptFailure, attemptFailureOf, statusFailure } from "./attempt_failure.ts";
import { Deadline } from "./deadline.ts";
import { Retrier, type RetryInfo, type RetryOptions } from "./retrier.ts";

/** What identifies a version of a file on the server. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

/** What `onRetry` is told: {@linkcode RetryInfo} and the byte the download had reached. */
export interface DownloadRetryInfo extends RetryInfo {
  at: number;
}

/** Options of {@linkcode resumableDownload}. */
export interface ResumableDownloadOptions extends Omit<RetryOptions, "onRetry"> {
  /** A partial copy to go on from: its size and the validators it came with. */
  resumeFrom?: { offset: number; validators: Validators };
  /** The validators of a complete copy: asked conditionally, a 304 keeps it. */
  revalidate?: Validators;
  /** Time limit for an answer to start, ms. Default 30,000. */
  timeoutMs?: number;
  /** Longest pause in the middle of a body, ms. Default 30,000. */
  idleTimeoutMs?: number;
  /** Largest file, bytes (kind `too_large`). Default: no cap. */
  maxBytes?: number;
  /**
   * Called when the server sends the whole file again in the middle of the
   * stream: drop what was received; the stream goes on from byte 0. Without
   * it, that fails the stream (kind `changed`).
   */
  onRestart?: (validators: Validators) => void | Promise<void>;
  /** Called before each retry. */
  onRetry?: (info: DownloadRetryInfo) => void;
}

/** An open download; see {@linkcode resumableDownload}. */
export interface Download {
  /** The server answered 304 to `revalidate`: the copy is current, and `body` is empty. */
  readonly notModified: boolean;
  /** Where `body` starts in the file: the `resumeFrom` offset when the server resumed, else 0. */
  readonly offset: number;
  /** The file's size, when the server said. */
  readonly total: number | undefined;
  /** The validators of the version being received. */
  readonly validators: Validators;
  /** The file's bytes from `offset`; it fails with a {@linkcode FetchError} when the retries end. */
  readonly body: ReadableStream<Uint8Array>;
}

/** What one request came to. */
type Opened =
  | { kind: "body"; res: Response }
  | { kind: "complete" }
  | { kind: "not_modified" };

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;
const UNSATISFIED_RANGE = /^bytes \*\/(\d+)$/;

/**
 * Opens `url` as a stream of bytes that resumes on its own; resolves once
 * the first answer has started.
 *
 * @param url An http(s) URL.
 * @param options Where to start, validators, time limits, retries.
 * @throws {FetchError} when no usable answer came (kind `status` for a 404).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resumableDownload } from "./resumable_download.ts";
 * const bytes = new TextEncoder().encode("x".repeat(100_000));
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response(bytes, { headers: { etag: '"v1"' } }));
 * const download = await resumableDownload(`http://127.0.0.1:${server.addr.port}/big.bin`);
 * let received = 0;
 * for await (const chunk of download.body) received += chunk.length;
 * assert.deepEqual([received, download.total, download.validators.etag], [100_000, 100_000, '"v1"']);
 * ```
 */
export async function resumableDownload(
  url: string,
  options: ResumableDownloadOptions = {},
): Promise<Download> {
  const transfer = new Transfer(url, options);
  const first = await transfer.open(true);
  return transfer.download(first);
}

/** The state of one download across its requests. */
class Transfer {
  readonly #url: string;
  readonly #o: ResumableDownloadOptions;
  readonly #retrier: Retrier;
  /** Ends waits and requests when the consumer cancels or the caller's signal aborts. */
  readonly #closed = new AbortController();
  /** The next byte expected. */
  #position: number;
  /** The furthest the download has been. */
  #highWater: number;
  #total: number | undefined;
  #validators: Validators;
  /** The request under way, its body, and the timer of pauses in it. */
  #controller: AbortController | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #waitingSince = -1;
  #timedOut: string | undefined;
  /** Rejected when the body pauses too long: ends the read under way. */
  #stalled: PromiseWithResolvers<never> | undefined;
  /** The next body from byte 0 replaces what the consumer has: tell it (onRestart). */
  #mustRestart = false;

  constructor(url: string, options: ResumableDownloadOptions) {
    this.#url = url;
    this.#o = options;
    this.#position = this.#highWater = options.resumeFrom?.offset ?? 0;
    this.#validators = options.resumeFrom?.validators ?? {};
    options.signal?.addEventListener("abort", () => this.#closed.abort(), { once: true });
    const onRetry = options.onRetry;
    this.#retrier = new Retrier(url, {
      action: "download",
      ...options,
      signal: this.#closed.signal,
      onRetry: onRetry && ((info) => onRetry({ ...info, at: this.#position })),
    });
  }

  /** The {@linkcode Download} that the first answer opened. */
  download(first: Opened): Download {
    const offset = this.#position;
    if (first.kind === "body") this.#reader = first.res.body!.getReader();
    const done = first.kind !== "body";
    if (done) this.#retrier.succeeded();
    const total = () => this.#total;
    const validators = () => this.#validators;
    return {
      notModified: first.kind === "not_modified",
      offset,
      get total() {
        return total();
      },
      get validators() {
        return validators();
      },
      body: new ReadableStream<Uint8Array>({
        start: (ctl) => {
          if (done) ctl.close();
        },
        pull: (ctl) => this.#pull(ctl),
        cancel: (reason) => this.#close(reason),
      }, { highWaterMark: 0 }),
    };
  }

  /**
   * Asks for the bytes from the current position until an answer can be
   * used. `initial`: nothing was handed to the consumer yet, so a whole
   * file instead of the rest needs no restart.
   */
  async open(initial: boolean): Promise<Opened> {
    for (;;) {
      await this.#retrier.begin();
      let opened: Opened | "again";
      try {
        opened = await this.#ask(initial);
      } catch (err) {
        this.#endAttempt();
        await this.#retrier.failed(attemptFailureOf(err, this.#timedOut));
        continue;
      }
      if (opened === "again") continue;
      if (opened.kind === "body" && this.#mustRestart) {
        this.#mustRestart = false;
        await this.#o.onRestart!(this.#validators);
      }
      return opened;
    }
  }

  /** One request; "again" when the copy to resume turned out unusable and the file is asked whole. */
  async #ask(initial: boolean): Promise<Opened | "again"> {
    const o = this.#o;
    const resuming = this.#position > 0;
    const headers = new Headers();
    if (resuming) {
      headers.set("range", `bytes=${this.#position}-`);
      const match = ifRange(this.#validators);
      if (match) headers.set("if-range", match);
    } else if (o.revalidate && initial) {
      if (o.revalidate.etag) headers.set("if-none-match", o.revalidate.etag);
      if (o.revalidate.lastModified) headers.set("if-modified-since", o.revalidate.lastModified);
    }
    const controller = this.#controller = new AbortController();
    const timeoutMs = o.timeoutMs ?? 30_000;
    this.#timedOut = undefined;
    this.#stalled = Promise.withResolvers<never>();
    this.#stalled.promise.catch(() => {}); // settles only a read that waits
    const deadline = new Deadline(timeoutMs, `no answer within ${timeoutMs} ms`, () => {
      this.#timedOut = `no answer within ${timeoutMs} ms`;
      controller.abort();
    });
    let res: Response;
    try {
      res = await deadline.race(fetch(this.#url, { headers, signal: controller.signal }));
    } finally {
      deadline.clear();
    }
    const failure = statusFailure(res);
    if (failure) throw await discard(res, failure);
    if (res.status === 304 && !resuming && o.revalidate && initial) {
      await res.body?.cancel();
      return { kind: "not_modified" };
    }
    if (resuming && res.status === 416) {
      await res.body?.cancel();
      const size = UNSATISFIED_RANGE.exec(res.headers.get("content-range") ?? "");
      if (size && Number(size[1]) === this.#position) {
        this.#total = this.#position;
        return { kind: "complete" };
      }
      // What we have does not fit the file as it is now: ask for it whole.
      this.#startOver(initial, "the server has no bytes from there (HTTP 416)");
      return "again";
    }
    if (resuming && res.status === 206) {
      const range = CONTENT_RANGE.exec(res.headers.get("content-range") ?? "");
      const before = this.#validators.etag;
      const etag = res.headers.get("etag") ?? undefined;
      if (before !== undefined && etag !== undefined && etag !== before) {
        await res.body?.cancel();
        this.#startOver(
          initial,
          `it changed (ETag ${before}, now ${etag}), and the server sent the rest of the new version`,
        );
        return "again";
      }
      if (!range || Number(range[1]) !== this.#position) {
        await res.body?.cancel();
        this.#startOver(
          initial,
          `the server answered with Content-Range "${res.headers.get("content-range") ?? ""}"`,
        );
        return "again";
      }
      this.#total = range[3] === "*" ? undefined : Number(range[3]);
      this.#checkSize(res);
      return { kind: "body", res };
    }
    if (res.status >= 200 && res.status < 300 && res.status !== 206) {
      if (resuming) {
        try {
          this.#startOver(initial, whyWhole(this.#validators, validatorsOf(res)));
        } catch (err) {
          throw await discard(res, err as AttemptFailure);
        }
      }
      this.#validators = validatorsOf(res);
      this.#total = contentLength(res);
      this.#checkSize(res);
      return { kind: "body", res };
    }
    throw await discard(
      res,
      new AttemptFailure(
        "status",
        `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`,
        {
          status: res.status,
        },
      ),
    );
  }

  /**
   * Goes back to byte 0, as the server cannot give the rest of what was
   * received. Once the download is handed out, only a consumer with
   * `onRestart` can follow (it is called when the new body starts).
   *
   * @throws {AttemptFailure} kind `changed` (final) when it cannot.
   */
  #startOver(initial: boolean, why: string): void {
    if (!initial && !this.#o.onRestart) {
      throw new AttemptFailure("changed", `cannot resume at byte ${this.#position}: ${why}`);
    }
    // The furthest point stays: only getting past it again counts as progress.
    this.#position = 0;
    this.#validators = {};
    if (!initial) this.#mustRestart = true;
  }

  /** Fails at once when the announced size is over the cap. */
  #checkSize(res: Response): void {
    const max = this.#o.maxBytes;
    if (max !== undefined && this.#total !== undefined && this.#total > max) {
      res.body?.cancel().catch(() => {});
      throw tooLarge(max);
    }
  }

  async #pull(ctl: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (!this.#reader) {
        const opened = await this.open(false);
        if (opened.kind !== "body") {
          this.#finish();
          ctl.close();
          return;
        }
        this.#reader = opened.res.body!.getReader();
      }
      try {
        const { done, value } = await this.#read(this.#reader);
        if (done) {
          if (this.#total !== undefined && this.#position < this.#total) {
            throw new AttemptFailure(
              "connection",
              `connection closed after ${this.#position} of ${this.#total} bytes`,
            );
          }
          this.#finish();
          ctl.close();
          return;
        }
        this.#position += value.length;
        const max = this.#o.maxBytes;
        if (max !== undefined && this.#position > max) throw tooLarge(max);
        if (this.#total !== undefined && this.#position > this.#total) {
          throw new AttemptFailure(
            "too_large",
            `the server sent more than the ${this.#total} bytes it announced`,
          );
        }
        ctl.enqueue(value);
        return;
      } catch (err) {
        const failure = err instanceof AttemptFailure || this.#timedOut !== undefined
          ? attemptFailureOf(err, this.#timedOut)
          : new AttemptFailure(
            "connection",
            `connection lost after ${this.#position}${
              this.#total === undefined ? "" : ` of ${this.#total}`
            } bytes: ${err instanceof Error ? err.message : String(err)}`,
            {},
            { cause: err },
          );
        this.#endAttempt();
        const progressed = this.#position > this.#highWater;
        if (progressed) this.#highWater = this.#position;
        await this.#retrier.failed(failure, progressed);
      }
    }
  }

  /** The next chunk; a pause longer than the idle limit aborts the request. */
  async #read(
    reader: ReadableStreamDefaultReader<Uint8Array>,
  ): Promise<ReadableStreamReadResult<Uint8Array>> {
    this.#waitingSince = performance.now();
    if (this.#idleTimer === undefined) this.#armIdle(this.#o.idleTimeoutMs ?? 30_000);
    try {
      return await Promise.race([reader.read(), this.#stalled!.promise]);
    } finally {
      this.#waitingSince = -1;
    }
  }

  /**
   * One timer for the whole body: it checks, when it fires, how long the
   * current read waited, and stops when no read waits (so a stream left
   * unread holds it one pause limit at most).
   */
  #armIdle(ms: number): void {
    const limit = this.#o.idleTimeoutMs ?? 30_000;
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      if (this.#waitingSince < 0) return; // not waiting; the next read arms it again
      const waited = performance.now() - this.#waitingSince;
      if (waited < limit) return this.#armIdle(limit - waited);
      this.#timedOut = `no data for ${limit} ms after byte ${this.#position}`;
      // The abort alone does not always settle the read under way: settle it here.
      this.#stalled?.reject(new AttemptFailure("timeout", this.#timedOut));
      this.#controller?.abort();
    }, ms);
  }

  /** Forgets the request under way (its body is cancelled). */
  #endAttempt(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#reader?.cancel().catch(() => {});
    this.#reader = undefined;
    this.#controller = undefined;
  }

  #finish(): void {
    this.#endAttempt();
    this.#retrier.succeeded();
  }

  async #close(reason: unknown): Promise<void> {
    this.#closed.abort(reason);
    this.#controller?.abort();
    const reader = this.#reader;
    this.#endAttempt();
    await reader?.cancel(reason).catch(() => {});
  }
}

/** Why a server answered a Range request with the whole file. */
function whyWhole(before: Validators, now: Validators): string {
  if (before.etag && now.etag && before.etag !== now.etag) {
    return `it changed (ETag ${before.etag}, now ${now.etag})`;
  }
  if (before.lastModified && now.lastModified && before.lastModified !== now.lastModified) {
    return `it changed (Last-Modified ${before.lastModified}, now ${now.lastModified})`;
  }
  return "the server does not resume downloads (it answered a Range request with the whole file)";
}

/** The validator for If-Range: a strong ETag, else Last-Modified (a weak ETag may not be used). */
function ifRange(v: Validators): string | undefined {
  if (v.etag && !v.etag.startsWith("W/")) return v.etag;
  return v.lastModified;
}

function validatorsOf(res: Response): Validators {
  return {
    etag: res.headers.get("etag") ?? undefined,
    lastModified: res.headers.get("last-modified") ?? undefined,
  };
}

function contentLength(res: Response): number | undefined {
  const length = Number(res.headers.get("content-length") ?? NaN);
  return Number.isFinite(length) ? length : undefined;
}

function tooLarge(max: number): AttemptFailure {
  return new AttemptFailure("too_large", `the file is larger than the ${max}-byte cap`);
}

/** Cancels an answer's body and gives back the failure, to throw. */
async function discard(res: Response, failure: AttemptFailure): Promise<AttemptFailure> {
  await res.body?.cancel().catch(() => {});
  return failure;
}
