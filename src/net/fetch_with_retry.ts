/**
 * One HTTP answer, read whole, with retries: each attempt has a time limit
 * (answer and body), a cap on the body's size, and is retried on a refused
 * or dropped connection, a timeout, 408, 429 and 5xx (honoring
 * `Retry-After`), with exponential backoff and full jitter — see
 * `RetryOptions` in `retrier.ts`. The caller's `read` judges an answer that
 * came and may ask for another attempt. For bodies too large to hold in
 * memory, see `resumable_download.ts`.
 *
 * @module
 */
import { AttemptFailure, attemptFailureOf, statusFailure } from "./attempt_failure.ts";
import { Deadline } from "./deadline.ts";
import { Retrier, type RetryOptions } from "./retrier.ts";

/** An answer read whole. */
export interface HttpAnswer {
  status: number;
  statusText: string;
  headers: Headers;
  bytes: Uint8Array;
  /** The body as UTF-8 text. */
  text(): string;
}

/** Options of {@linkcode fetchWithRetry}. */
export interface FetchWithRetryOptions<T> extends RetryOptions {
  /** Request headers. */
  headers?: HeadersInit;
  /** Time limit of one attempt, the body included, ms. Default 30,000. */
  timeoutMs?: number;
  /** Largest body, bytes: a larger one fails at once (kind `too_large`). Default: no cap. */
  maxBytes?: number;
  /**
   * Judges an answer whose status is not retried by itself (408, 429 and
   * 5xx are): returns what the caller wants, or throws an
   * {@linkcode AttemptFailure} (kind `invalid` to retry, `retryable: false`
   * to end). Default: a 2xx answer as it is; any other status ends the
   * retries (kind `status`).
   */
  read?: (answer: HttpAnswer) => T;
}

const decoder = new TextDecoder();

/** The default `read`: a 2xx answer, else a final failure naming the status. */
function okAnswer(answer: HttpAnswer): HttpAnswer {
  if (answer.status >= 200 && answer.status < 300) return answer;
  throw new AttemptFailure(
    "status",
    `HTTP ${answer.status}${answer.statusText ? ` ${answer.statusText}` : ""}`,
    { status: answer.status },
  );
}

/**
 * Asks `url` until an answer is read, or the retries end.
 *
 * @param url What to GET.
 * @param options Time limit, size cap, retries, and how to read the answer.
 * @returns What `read` made of the answer.
 * @throws {FetchError} when an attempt failed for good or the last attempt
 *   failed; its `kind` and `detail` say how.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetchWithRetry } from "./fetch_with_retry.ts";
 * let calls = 0;
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   ++calls === 1
 *     ? new Response("busy", { status: 503, headers: { "retry-after": "0" } })
 *     : Response.json({ ok: true }));
 * const answer = await fetchWithRetry(`http://127.0.0.1:${server.addr.port}/`, {
 *   timeoutMs: 5000,
 *   read: (a) => JSON.parse(a.text()),
 * });
 * assert.deepEqual([answer, calls], [{ ok: true }, 2]);
 * ```
 */
export async function fetchWithRetry<T = HttpAnswer>(
  url: string | URL,
  options: FetchWithRetryOptions<T> = {},
): Promise<T> {
  const retrier = new Retrier(String(url), options);
  const read = options.read ?? (okAnswer as (answer: HttpAnswer) => T);
  for (;;) {
    await retrier.begin();
    let answer: HttpAnswer;
    try {
      answer = await answerOnce(url, options);
    } catch (err) {
      await retrier.failed(err as AttemptFailure);
      continue;
    }
    let value: T;
    try {
      value = read(answer);
    } catch (err) {
      if (!(err instanceof AttemptFailure)) throw err;
      await retrier.failed(err);
      continue;
    }
    retrier.succeeded();
    return value;
  }
}

/** One attempt: the answer and its whole body within the time limit, or an {@linkcode AttemptFailure}. */
async function answerOnce(
  url: string | URL,
  options: FetchWithRetryOptions<unknown>,
): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const controller = new AbortController();
  const deadline = new Deadline(
    timeoutMs,
    `timed out after ${timeoutMs} ms`,
    () => controller.abort(),
  );
  const stop = () => controller.abort();
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    const res = await deadline.race(
      fetch(url, { headers: options.headers, signal: controller.signal }),
    );
    const failure = statusFailure(res);
    if (failure) {
      await res.body?.cancel();
      throw failure;
    }
    const bytes = await deadline.race(readBody(res, options.maxBytes));
    return {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
      bytes,
      text: () => decoder.decode(bytes),
    };
  } catch (err) {
    throw attemptFailureOf(err, deadline.expired ? `timed out after ${timeoutMs} ms` : undefined);
  } finally {
    deadline.clear();
    options.signal?.removeEventListener("abort", stop);
  }
}

/** A body whole, at most `max` bytes. */
async function readBody(res: Response, max: number | undefined): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array();
  const declared = Number(res.headers.get("content-length") ?? NaN);
  const tooLarge = () =>
    new AttemptFailure("too_large", `answer too large: over ${max} bytes`, { status: res.status });
  // A declared length is the framing: no more bytes than that can come.
  if (max === undefined || declared <= max) return await res.bytes();
  if (declared > max) {
    await res.body.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.length;
    if (size > max) throw tooLarge(); // leaving the loop cancels the body
    chunks.push(chunk);
  }
  return await new Blob(chunks).bytes();
}
