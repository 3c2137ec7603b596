/**
 * The retry loop's bookkeeping, shared by `fetchWithRetry` (one
 * answer) and `resumableDownload` (a body that resumes):
 * attempts in a row, exponential backoff with full jitter, `Retry-After`
 * honored up to a cap, an optional circuit breaker, and one error when it
 * ends.
 *
 * @module
 */
import { FetchError } from "../engine/errors.ts";
import type { AttemptFailure } from "./attempt_failure.ts";
import { backoff, type BackoffOptions } from "./backoff.ts";
import type { CircuitBreaker } from "./circuit_breaker.ts";
import { formatDuration } from "./format_duration.ts";
import { sleep } from "./sleep.ts";

/** What {@linkcode RetryOptions.onRetry} is told. */
export interface RetryInfo {
  /** The attempt about to be made (2 for the first retry), counting every request. */
  attempt: number;
  /** The wait before it, ms. */
  delayMs: number;
  /** Why the last attempt failed. */
  error: string;
  /** The kind of failure (`timeout`, `status`, `connection`, …). */
  kind: AttemptFailure["kind"];
  status?: number;
}

/** How to retry; every field has a default. */
export interface RetryOptions extends BackoffOptions {
  /**
   * Failed attempts in a row before giving up, the first included. Default
   * 5. A download that got further than ever before starts the count again.
   */
  attempts?: number;
  /**
   * Longest `Retry-After` waited for, ms. Default 60,000. A server asking
   * for longer ends the retries at once (kind `wait`), rather than hang.
   */
  maxRetryAfterMs?: number;
  /** Whether a timeout is worth another attempt. Default true. */
  retryTimeouts?: boolean;
  /**
   * The server's shared health: each attempt waits until it lets requests
   * through, and tells it the outcome (a retryable failure is a failure; any
   * answer used or refused for good is a success). A valid `Retry-After`
   * holds it.
   */
  breaker?: CircuitBreaker;
  /**
   * Called before each request (after the breaker let it through), with its
   * number; `false` stops before it (kind `stopped`).
   */
  beforeAttempt?: (attempt: number) => boolean | Promise<boolean>;
  /** Called when an attempt failed and another follows. */
  onRetry?: (info: RetryInfo) => void;
  /** Stops everything: waits end, requests are aborted, and the error is kind `stopped`. */
  signal?: AbortSignal;
  /** What is being done, for messages: `Cannot <action> "<url>"`. Default "fetch". */
  action?: string;
}

/**
 * Counts the attempts of one request and decides, after each failure,
 * whether to wait and try again or to end with a {@linkcode FetchError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttemptFailure } from "./attempt_failure.ts";
 * import { Retrier } from "./retrier.ts";
 * const retrier = new Retrier("https://example.com/x", { attempts: 2, baseDelayMs: 1 });
 * await retrier.begin();
 * await retrier.failed(new AttemptFailure("connection", "connection failed: reset"));
 * await retrier.begin();
 * await assert.rejects(
 *   retrier.failed(new AttemptFailure("status", "HTTP 503", { retryable: true, status: 503 })),
 *   { name: "FetchError", message: 'Cannot fetch "https://example.com/x" after 2 attempts: HTTP 503' },
 * );
 * ```
 */
export class Retrier {
  readonly url: string;
  readonly #o: RetryOptions;
  #attempts = 0;
  #inARow = 0;
  #last: AttemptFailure | undefined;

  constructor(url: string, options: RetryOptions = {}) {
    this.url = url;
    this.#o = options;
  }

  /** Requests made so far. */
  get attempts(): number {
    return this.#attempts;
  }

  /**
   * Call before each request: waits for the breaker, asks `beforeAttempt`,
   * counts the attempt.
   *
   * @throws {FetchError} kind `stopped` when stopped.
   */
  async begin(): Promise<void> {
    const { breaker, beforeAttempt, signal } = this.#o;
    if (breaker) await breaker.ready(signal);
    if (signal?.aborted) throw this.#stopped();
    if (beforeAttempt && !(await beforeAttempt(this.#attempts + 1))) throw this.#stopped();
    this.#attempts++;
  }

  /** Call when an attempt succeeded (its answer is used). */
  succeeded(): void {
    this.#inARow = 0;
    this.#o.breaker?.success();
  }

  /**
   * Call when an attempt failed: resolves, after the backoff, when another
   * attempt may begin.
   *
   * @param failure Why it failed.
   * @param progressed Whether it got somewhere first (bytes of a body): the
   *   count of failures in a row starts again.
   * @throws {FetchError} when the failure is final, the attempts are used up,
   *   the server asks to wait longer than the cap, or the signal aborted.
   */
  async failed(failure: AttemptFailure, progressed = false): Promise<void> {
    const o = this.#o;
    this.#last = failure;
    if (o.signal?.aborted) throw this.#stopped();
    this.#inARow = progressed ? 1 : this.#inARow + 1;
    const retryable = failure.retryable &&
      !(failure.kind === "timeout" && o.retryTimeouts === false);
    if (retryable) o.breaker?.failure(failure.message);
    else o.breaker?.success();
    if (!retryable) throw this.#error(failure.kind, failure);
    const asked = failure.retryAfterMs;
    const cap = o.maxRetryAfterMs ?? 60_000;
    if (asked !== undefined && asked > cap) {
      throw this.#error(
        "wait",
        failure,
        `: the server asked to wait ${formatDuration(asked)}, longer than the ${
          formatDuration(cap)
        } cap`,
      );
    }
    if (this.#inARow >= (o.attempts ?? 5)) throw this.#error(failure.kind, failure);
    const delayMs = Math.max(backoff(this.#inARow, o), asked ?? 0);
    if (asked !== undefined) o.breaker?.hold(Date.now() + asked);
    o.onRetry?.({
      attempt: this.#attempts + 1,
      delayMs,
      error: failure.message,
      kind: failure.kind,
      status: failure.status,
    });
    await sleep(delayMs, o.signal);
    if (o.signal?.aborted) throw this.#stopped();
  }

  /** The error that ends the retries now, naming the last failure. */
  #stopped(): FetchError {
    return this.#error("stopped", this.#last, this.#last ? "; then stopped" : "");
  }

  #error(kind: FetchError["kind"], last: AttemptFailure | undefined, tail = ""): FetchError {
    const detail = last?.message ?? "stopped before the first attempt";
    const tries = this.#attempts > 1 ? ` after ${this.#attempts} attempts` : "";
    return new FetchError(
      this.url,
      `Cannot ${this.#o.action ?? "fetch"} "${this.url}"${tries}: ${detail}${tail}`,
      {
        kind,
        detail,
        attempts: this.#attempts,
        status: last?.status,
        retryAfter: last?.retryAfter,
        retryAfterMs: last?.retryAfterMs,
      },
      { cause: last },
    );
  }
}
