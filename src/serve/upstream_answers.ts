/**
 * Upstream answers shared between requests. Identical concurrent requests
 * for one key share one call per upstream (single flight), always. With a
 * cache (`serve.upstreamCacheTtlMs` > 0), an upstream's answer (its figures,
 * or that it does not know the key; never a failure) is reused for the TTL;
 * after it, for `staleMs` more, the old answer is still given at once while
 * one call in the background refreshes it (stale-while-revalidate). Entries
 * beyond `maxEntries` are dropped oldest first. An answer from the cache
 * carries its age (`ageMs`), which `?explain=true` shows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UpstreamAnswers } from "./upstream_answers.ts";
 * import type { SourceAnswer } from "./upstreams.ts";
 *
 * let calls = 0;
 * let now = 0;
 * const answers = new UpstreamAnswers(async (url): Promise<SourceAnswer> => {
 *   calls++;
 *   return { source: url, status: "ok", values: { price: calls } };
 * }, { ttlMs: 1000, staleMs: 1000, now: () => now });
 * // Three requests at once: one call.
 * await Promise.all([1, 2, 3].map(() => answers.get("http://up", "k1")));
 * assert.equal(calls, 1);
 * now = 1500; // stale: answered at once from the cache, refreshed behind
 * assert.deepEqual(await answers.get("http://up", "k1"), {
 *   source: "http://up", status: "ok", values: { price: 1 }, ageMs: 1500,
 * });
 * await answers.settle();
 * assert.equal(calls, 2);
 * ```
 *
 * @module
 */
import type { SourceAnswer } from "./upstreams.ts";

/** Options of {@linkcode UpstreamAnswers}. */
export interface UpstreamCacheOptions {
  /** How long an answer is reused, ms; 0 (the default): no cache, single flight only. */
  ttlMs?: number;
  /** After the TTL, how long the old answer is still given while it is refreshed, ms. Default 0. */
  staleMs?: number;
  /** Most answers kept. Default 100,000. */
  maxEntries?: number;
  /** The clock, ms (tests). */
  now?: () => number;
}

interface Entry {
  answer: SourceAnswer;
  at: number;
}

/** See the module doc. */
export class UpstreamAnswers {
  readonly #ask: (url: string, value: string) => Promise<SourceAnswer>;
  readonly #ttlMs: number;
  readonly #staleMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #inFlight = new Map<string, Promise<SourceAnswer>>();
  /** In insertion order: the first is the oldest. */
  readonly #cache = new Map<string, Entry>();

  constructor(
    ask: (url: string, value: string) => Promise<SourceAnswer>,
    options: UpstreamCacheOptions = {},
  ) {
    this.#ask = ask;
    this.#ttlMs = options.ttlMs ?? 0;
    this.#staleMs = options.staleMs ?? 0;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** What `url` says about `value`: from the cache, a call under way, or a new call. */
  get(url: string, value: string): Promise<SourceAnswer> {
    const key = `${url}\n${value}`;
    const entry = this.#ttlMs > 0 ? this.#cache.get(key) : undefined;
    if (entry) {
      const ageMs = this.#now() - entry.at;
      if (ageMs <= this.#ttlMs + this.#staleMs) {
        if (ageMs > this.#ttlMs) this.#call(key, url, value).catch(() => {});
        return Promise.resolve({ ...entry.answer, ageMs });
      }
      this.#cache.delete(key);
    }
    return this.#call(key, url, value);
  }

  /** One call per key at a time; its answer cached when it is one. */
  #call(key: string, url: string, value: string): Promise<SourceAnswer> {
    let call = this.#inFlight.get(key);
    if (!call) {
      call = this.#ask(url, value).then((answer) => {
        if (this.#ttlMs > 0 && answer.status !== "failed") this.#store(key, answer);
        return answer;
      }).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, call);
    }
    return call;
  }

  #store(key: string, answer: SourceAnswer): void {
    this.#cache.delete(key);
    this.#cache.set(key, { answer, at: this.#now() });
    if (this.#cache.size > this.#maxEntries) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
  }

  /** Waits for the calls under way, refreshes included (for a clean shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#inFlight.values()]);
  }
}
