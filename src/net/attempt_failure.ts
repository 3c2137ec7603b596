/**
 * Why one attempt at a request failed, and whether another attempt may do
 * better. Attempts throw it; `Retrier` (`retrier.ts`) decides
 * what comes next. The messages are the vocabulary every wharf job shows:
 * `HTTP 503`, `HTTP 429 with Retry-After "120"`, `timed out after 2000 ms`,
 * `connection failed: …`, `answer too large: over 65536 bytes`.
 *
 * @module
 */
import type { FetchFailureKind } from "../engine/errors.ts";
import { parseRetryAfter } from "./retry_after.ts";

/** What an {@linkcode AttemptFailure} carries besides its kind and message. */
export interface AttemptFailureData {
  /** Whether another attempt may do better. Default: true, except for too_large, changed and status. */
  retryable?: boolean;
  status?: number;
  /** The Retry-After header as sent. */
  retryAfter?: string;
  /** The wait it asks for, ms, when valid. */
  retryAfterMs?: number;
}

/**
 * One failed attempt. Throw it from a `read` callback of
 * `fetchWithRetry` (`fetch_with_retry.ts`) to retry an answer
 * that came but cannot be used (kind `invalid`), or to end the retries
 * (`retryable: false`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AttemptFailure } from "./attempt_failure.ts";
 * const f = new AttemptFailure("invalid", "HTTP 200 with a body that is not JSON", { status: 200 });
 * assert.equal(f.retryable, true);
 * ```
 */
export class AttemptFailure extends Error {
  readonly kind: FetchFailureKind;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfter?: string;
  readonly retryAfterMs?: number;
  constructor(
    kind: FetchFailureKind,
    message: string,
    data: AttemptFailureData = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "AttemptFailure";
    this.kind = kind;
    this.retryable = data.retryable ??
      (kind !== "too_large" && kind !== "changed" && kind !== "status");
    this.status = data.status;
    this.retryAfter = data.retryAfter;
    this.retryAfterMs = data.retryAfterMs;
  }
}

/** Whether an HTTP status is worth another attempt: 408, 429 and 5xx. */
export function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * The failure a retryable status (408, 429, 5xx) stands for, with its
 * Retry-After read; undefined for any other status.
 */
export function statusFailure(res: Response): AttemptFailure | undefined {
  if (!retryableStatus(res.status)) return undefined;
  const header = res.headers.get("retry-after");
  const wait = parseRetryAfter(header);
  return new AttemptFailure(
    "status",
    header === null
      ? `HTTP ${res.status}`
      : `HTTP ${res.status} with Retry-After "${header}"${
        wait === undefined ? " (not a valid value: normal backoff)" : ""
      }`,
    { retryable: true, status: res.status, retryAfter: header ?? undefined, retryAfterMs: wait },
  );
}

/**
 * What an error thrown while asking or reading comes to: an
 * {@linkcode AttemptFailure} as it is, a timeout when `timedOut` says so,
 * else a failed connection.
 */
export function attemptFailureOf(err: unknown, timedOut: string | undefined): AttemptFailure {
  if (err instanceof AttemptFailure) return err;
  if (timedOut !== undefined) return new AttemptFailure("timeout", timedOut, {}, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new AttemptFailure("connection", `connection failed: ${message}`, {}, { cause: err });
}
