/**
 * A time limit that settles a wait itself. Aborting a `fetch` is not
 * enough on its own: a body read pending when the signal aborts does not
 * always settle (seen here with a server that stalls mid-body), so every
 * wait of the network module races its deadline as well as aborting.
 *
 * @module
 */
import { AttemptFailure } from "./attempt_failure.ts";

/**
 * A deadline: after `ms` it rejects every {@linkcode Deadline.race} with an
 * {@linkcode AttemptFailure} of kind `timeout` carrying `message`, and calls
 * `onExpire` (to abort the request).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Deadline } from "./deadline.ts";
 * const deadline = new Deadline(10, "timed out after 10 ms");
 * await assert.rejects(deadline.race(new Promise(() => {})), { message: "timed out after 10 ms" });
 * assert.equal(deadline.expired, true);
 * ```
 */
export class Deadline {
  readonly #expired = Promise.withResolvers<never>();
  readonly #timer: ReturnType<typeof setTimeout>;
  #done = false;

  constructor(ms: number, message: string, onExpire?: () => void) {
    this.#expired.promise.catch(() => {}); // a deadline nobody races is not an error
    this.#timer = setTimeout(() => {
      this.#done = true;
      this.#expired.reject(new AttemptFailure("timeout", message));
      onExpire?.();
    }, ms);
  }

  /** Whether the time is up. */
  get expired(): boolean {
    return this.#done;
  }

  /** `p`, unless the deadline passes first. */
  race<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.#expired.promise]);
  }

  /** Stops the clock (the wait ended in time). */
  clear(): void {
    clearTimeout(this.#timer);
  }
}
