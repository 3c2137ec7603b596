/**
 * A circuit breaker: the shared health of one server, so that many requests
 * stop hammering a server that is failing and find out together when it is
 * back.
 *
 * - **closed**: requests go. Each outcome is remembered; when at least
 *   `threshold` of the last `window` outcomes are failures, it opens.
 *   (`window: 3, threshold: 1` is "three failures in a row".)
 * - **open**: no request goes until `cooldownMs` has passed; then one
 *   request is let through as a probe (**half_open**).
 * - **half_open**: the probe's success closes it; a failure opens it for
 *   another cool-down. A probe that never reports is replaced by another
 *   after a cool-down, so a lost probe cannot block everyone.
 *
 * Callers choose how to meet an open circuit: wait for it
 * ({@linkcode CircuitBreaker.ready}: a batch job pauses), or skip the server
 * at once ({@linkcode CircuitBreaker.tryAcquire}: a live request answers from
 * others). A server's `Retry-After` holds every request until then
 * ({@linkcode CircuitBreaker.hold}). No timer runs while nobody asks.
 *
 * @module
 */
import { sleep } from "./sleep.ts";

/** Options of {@linkcode CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Recent outcomes looked at. Default 5. */
  window?: number;
  /** Share of failures among them that opens the circuit, 0 to 1. Default 1 (all). */
  threshold?: number;
  /** How long an open circuit waits before a probe, ms. Default 10,000. */
  cooldownMs?: number;
  /** The clock, ms (tests pass their own). Default `Date.now`. */
  now?: () => number;
}

/** See the module documentation. */
export type CircuitState = "closed" | "open" | "half_open";

/**
 * See the module documentation. `F` is what a failure carries (its message
 * by default), kept as {@linkcode CircuitBreaker.lastFailure}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CircuitBreaker } from "./circuit_breaker.ts";
 * let now = 0;
 * const breaker = new CircuitBreaker({ window: 2, threshold: 1, cooldownMs: 1000, now: () => now });
 * breaker.failure("HTTP 503");
 * breaker.failure("HTTP 503");
 * assert.equal(breaker.state, "open");
 * assert.equal(breaker.tryAcquire(), false);
 * now = 1000;
 * assert.equal(breaker.tryAcquire(), true); // the probe
 * breaker.success();
 * assert.equal(breaker.state, "closed");
 * ```
 */
export class CircuitBreaker<F = string> {
  readonly #window: number;
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  /** Recent outcomes (1 = failure) in a ring. */
  readonly #outcomes: Uint8Array;
  #count = 0;
  #next = 0;
  #failuresInWindow = 0;
  #state: CircuitState = "closed";
  #since: number | undefined;
  #probeAt = 0;
  #heldUntil = 0;
  #failuresInARow = 0;
  #lastFailure: F | undefined;
  #opened = 0;
  /** Wakes {@linkcode ready} callers when the state changes. */
  #changed: PromiseWithResolvers<void> | undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#window = Math.max(1, options.window ?? 5);
    this.#threshold = options.threshold ?? 1;
    this.#cooldownMs = options.cooldownMs ?? 10_000;
    this.#now = options.now ?? Date.now;
    this.#outcomes = new Uint8Array(this.#window);
  }

  /** closed, open or half_open (a probe is out). */
  get state(): CircuitState {
    return this.#state;
  }

  /** When the circuit opened (ms since the epoch), while it is not closed. */
  get since(): number | undefined {
    return this.#since;
  }

  /** Times the circuit opened (a failed probe opens it again). */
  get opened(): number {
    return this.#opened;
  }

  /** Failures since the last success. */
  get failuresInARow(): number {
    return this.#failuresInARow;
  }

  /** What the last failure since the last success carried. */
  get lastFailure(): F | undefined {
    return this.#lastFailure;
  }

  /** Records a success: the server answers, so the circuit closes. */
  success(): void {
    this.#failuresInARow = 0;
    this.#lastFailure = undefined;
    if (this.#state !== "closed") {
      this.#state = "closed";
      this.#since = undefined;
      this.#clearWindow();
      this.#wake();
    }
    this.#push(0);
  }

  /** Records a failure; it may open the circuit (or open it again after a probe). */
  failure(failure: F): void {
    this.#failuresInARow++;
    this.#lastFailure = failure;
    if (this.#state === "half_open") return this.#open();
    if (this.#state === "open") return;
    this.#push(1);
    if (this.#count >= this.#window && this.#failuresInWindow >= this.#threshold * this.#count) {
      this.#open();
    }
  }

  /** Holds every request until `until` (ms since the epoch), as a server's Retry-After asks. */
  hold(until: number): void {
    if (until > this.#heldUntil) this.#heldUntil = until;
  }

  /**
   * Whether a request may go now: the circuit is closed and not held, or it
   * has been open for a cool-down and this request is the probe (the state
   * is then half_open).
   */
  tryAcquire(): boolean {
    const now = this.#now();
    if (now < this.#heldUntil) return false;
    if (this.#state === "closed") return true;
    if (now < this.#probeAt) return false;
    this.#state = "half_open";
    this.#probeAt = now + this.#cooldownMs;
    return true;
  }

  /**
   * Waits until a request may go ({@linkcode tryAcquire}), or `signal`
   * aborts (it resolves then too: the caller checks the signal).
   */
  async ready(signal?: AbortSignal): Promise<void> {
    while (!signal?.aborted && !this.tryAcquire()) {
      const now = this.#now();
      const until = Math.max(this.#heldUntil, this.#state === "closed" ? 0 : this.#probeAt);
      this.#changed ??= Promise.withResolvers<void>();
      const wake = new AbortController();
      const onAbort = () => wake.abort();
      signal?.addEventListener("abort", onAbort, { once: true });
      await Promise.race([sleep(until - now, wake.signal), this.#changed.promise]);
      wake.abort();
      signal?.removeEventListener("abort", onAbort);
    }
  }

  #open(): void {
    const now = this.#now();
    this.#state = "open";
    this.#since ??= now;
    this.#probeAt = now + this.#cooldownMs;
    this.#opened++;
    this.#clearWindow();
    this.#wake();
  }

  #push(outcome: 0 | 1): void {
    if (this.#count === this.#window) this.#failuresInWindow -= this.#outcomes[this.#next]!;
    else this.#count++;
    this.#outcomes[this.#next] = outcome;
    this.#failuresInWindow += outcome;
    this.#next = (this.#next + 1) % this.#window;
  }

  #clearWindow(): void {
    this.#count = this.#next = this.#failuresInWindow = 0;
  }

  #wake(): void {
    this.#changed?.resolve();
    this.#changed = undefined;
  }
}
