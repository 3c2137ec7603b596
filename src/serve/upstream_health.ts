/**
 * The health of each live upstream, shared by all requests: a
 * {@linkcode CircuitBreaker} per upstream. After `failures` failures in a
 * row (timeouts, refused connections, 5xx or garbage) an upstream is down:
 * requests skip it at once — naming it as failed — instead of waiting on
 * it. Once the cool-down has passed, the next request that would have
 * asked it sends one probe in the background (that request does not wait
 * for it); an answer brings the upstream back, another failure keeps it
 * down for another cool-down. No timers run while nothing is asked.
 *
 * @module
 */
import { CircuitBreaker } from "../net/circuit_breaker.ts";
import type { CoalesceSpec } from "./coalesce_config.ts";
import { askUpstream, type SourceAnswer, type UpstreamOptions } from "./upstreams.ts";

/** Options of {@linkcode UpstreamHealth}. */
export interface UpstreamHealthOptions {
  /** Failures in a row that take an upstream down. Default 3. */
  failures?: number;
  /** How long a down upstream is skipped before a probe, ms. Default 10000. */
  cooldownMs?: number;
}

/** What a failure of an upstream is remembered by. */
interface Failure {
  error: string;
  timeout?: boolean;
}

/** One upstream: its breaker, and the probe in flight. */
interface State {
  breaker: CircuitBreaker<Failure>;
  probing?: Promise<void>;
}

/** One upstream's health, as `/health` shows it. */
export interface UpstreamStatus {
  upstream: string;
  state: "up" | "down";
  failures: number;
  since: string | null;
  last_error: string | null;
}

/** Tracks upstream health and asks through it; see the module doc. */
export class UpstreamHealth {
  readonly #states = new Map<string, State>();
  readonly #failures: number;
  readonly #cooldownMs: number;

  constructor(options: UpstreamHealthOptions = {}) {
    this.#failures = options.failures ?? 3;
    this.#cooldownMs = options.cooldownMs ?? 10_000;
  }

  #state(url: string): State {
    let s = this.#states.get(url);
    if (!s) {
      const breaker = new CircuitBreaker<Failure>({
        window: this.#failures,
        threshold: 1,
        cooldownMs: this.#cooldownMs,
      });
      this.#states.set(url, s = { breaker });
    }
    return s;
  }

  /**
   * Asks `url` about a key's value (see {@linkcode askUpstream}), unless it
   * is down: then answers at once with a failure naming why, and probes it
   * in the background when due.
   */
  ask(
    url: string,
    spec: Pick<CoalesceSpec, "key" | "fields">,
    value: string,
    options: UpstreamOptions = {},
  ): Promise<SourceAnswer> {
    const s = this.#state(url);
    const { breaker } = s;
    if (breaker.state === "closed") {
      return askUpstream(url, spec, value, options).then((a) => {
        this.record(url, a);
        return a;
      });
    }
    if (!s.probing && breaker.tryAcquire()) {
      s.probing = askUpstream(url, spec, value, { ...options, attempts: 1 }).then((a) => {
        s.probing = undefined;
        this.record(url, a);
      });
    }
    const failures = breaker.failuresInARow;
    return Promise.resolve({
      source: url,
      status: "failed",
      error: `skipped: down since ${new Date(breaker.since!).toISOString()} after ${failures} ${
        failures === 1 ? "failure" : "failures"
      } in a row (last: ${breaker.lastFailure?.error}); probed in the background`,
      timeout: breaker.lastFailure?.timeout,
      down: true,
    });
  }

  /** Counts an answer: a failure towards going down, anything else brings it back up. */
  record(url: string, answer: SourceAnswer): void {
    const { breaker } = this.#state(url);
    if (answer.status !== "failed" || answer.badValues) breaker.success();
    else breaker.failure({ error: answer.error, timeout: answer.timeout });
  }

  /** Every upstream asked so far, up or down. */
  status(): UpstreamStatus[] {
    return [...this.#states].map(([upstream, { breaker }]) => ({
      upstream,
      state: breaker.state === "closed" ? "up" : "down",
      failures: breaker.failuresInARow,
      since: breaker.since === undefined ? null : new Date(breaker.since).toISOString(),
      last_error: breaker.lastFailure?.error ?? null,
    }));
  }

  /** Waits for probes in flight (for a clean shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.#states.values()].map((s) => s.probing));
  }
}
