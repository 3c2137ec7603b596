/**
 * The health of each live upstream, shared by all requests. After
 * `failures` failures in a row (timeouts, refused connections, 5xx or
 * garbage) an upstream is down: requests skip it at once — naming it as
 * failed — instead of waiting on it. Once the cool-down has passed, the
 * next request that would have asked it sends one probe in the background
 * (that request does not wait for it); an answer brings the upstream back,
 * another failure keeps it down for another cool-down. No timers run while
 * nothing is asked.
 *
 * @module
 */
import { askUpstream, type SourceAnswer, type UpstreamOptions } from "./upstreams.ts";

/** Options of {@linkcode UpstreamHealth}. */
export interface UpstreamHealthOptions {
  /** Failures in a row that take an upstream down. Default 3. */
  failures?: number;
  /** How long a down upstream is skipped before a probe, ms. Default 10000. */
  cooldownMs?: number;
}

interface State {
  failures: number;
  lastError?: string;
  timeout?: boolean;
  downSince?: number;
  nextProbeAt?: number;
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
    if (!s) this.#states.set(url, s = { failures: 0 });
    return s;
  }

  /**
   * Asks `url` about a member, unless it is down: then answers at once with
   * a failure naming why, and probes it in the background when due.
   */
  ask(url: string, memberId: string, options: UpstreamOptions = {}): Promise<SourceAnswer> {
    const s = this.#state(url);
    if (s.downSince !== undefined) {
      if (!s.probing && Date.now() >= s.nextProbeAt!) {
        s.probing = askUpstream(url, memberId, { ...options, attempts: 1 }).then((a) => {
          s.probing = undefined;
          this.record(url, a);
        });
      }
      return Promise.resolve({
        source: url,
        status: "failed",
        error: `skipped: down since ${new Date(s.downSince).toISOString()} after ${s.failures} ${
          s.failures === 1 ? "failure" : "failures"
        } in a row (last: ${s.lastError}); probed in the background`,
        timeout: s.timeout,
      });
    }
    return askUpstream(url, memberId, options).then((a) => {
      this.record(url, a);
      return a;
    });
  }

  /** Counts an answer: a failure towards going down, anything else brings it back up. */
  record(url: string, answer: SourceAnswer): void {
    const s = this.#state(url);
    if (answer.status !== "failed" || answer.badValues) {
      s.failures = 0;
      s.downSince =
        s.nextProbeAt =
        s.lastError =
        s.timeout =
          undefined;
      return;
    }
    s.failures++;
    s.lastError = answer.error;
    s.timeout = answer.timeout;
    if (s.failures >= this.#failures) {
      s.downSince ??= Date.now();
      s.nextProbeAt = Date.now() + this.#cooldownMs;
    }
  }

  /** Every upstream asked so far, up or down. */
  status(): UpstreamStatus[] {
    return [...this.#states].map(([upstream, s]) => ({
      upstream,
      state: s.downSince === undefined ? "up" : "down",
      failures: s.failures,
      since: s.downSince === undefined ? null : new Date(s.downSince).toISOString(),
      last_error: s.lastError ?? null,
    }));
  }

  /** Waits for probes in flight (for a clean shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.#states.values()].map((s) => s.probing));
  }
}
