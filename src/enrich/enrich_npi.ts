/**
 * `wharf enrich npi`: every NPI of a list ends enriched, not found, invalid,
 * or in the failure ledger with its last error — never lost. Requests run
 * with bounded concurrency and an optional rate limit; 408, 429, 5xx, timeouts,
 * failed connections and non-JSON bodies are retried with exponential
 * backoff and full jitter (honoring Retry-After), through `src/net/`; when
 * most recent requests fail, a circuit breaker pauses everyone, then lets
 * one request through and resumes when it succeeds. A Retry-After longer
 * than the cap stops the run instead of hanging it, and so does a registry no
 * request can connect to (an error naming it).
 * `concurrency` bounds the requests in flight, not the NPIs: an NPI waiting
 * out its backoff holds no slot, so retries do not idle the connections.
 * Results (response and ledger row) are committed as they come, all those
 * that finished during the previous commit together, and at most
 * `concurrency` of them wait uncommitted: a kill loses at most the requests
 * under way and those results (2 × `concurrency`), and a rerun asks only for
 * what is left.
 *
 * @module
 */
import type { EngineConfig } from "../engine/config.ts";
import { ensureTables } from "../engine/db/schema/warehouse_schema.ts";
import { openWarehouse, type Session, type Warehouse } from "../engine/db/warehouse.ts";
import { quoteIdent } from "../engine/db/sql.ts";
import { FetchError, UpstreamError, WharfError } from "../engine/errors.ts";
import { fetchToCache } from "../land/fetch_url.ts";
import { CircuitBreaker } from "../net/circuit_breaker.ts";
import { fetchWithRetry } from "../net/fetch_with_retry.ts";
import { formatDuration } from "../net/format_duration.ts";
import { sleep } from "../net/sleep.ts";
import { Slots } from "../net/slots.ts";
import { isValidNpi } from "./npi_check.ts";
import { readRegistryAnswer, REGISTRY_HEADERS, registryUrl } from "./registry.ts";

/** Ledger states. */
export type NpiState = "pending" | "enriched" | "not_found" | "invalid" | "failed";

/** The `last_error` of an NPI the registry answered with no result for (`not_found`). */
const NOT_FOUND = "not found in the registry: it answered no result for this NPI";

/** Options of {@linkcode enrichNpis}. */
export interface EnrichOptions {
  db: string;
  /** Registry base URL. */
  registry: string;
  /** Requests in flight at most. Default 16. */
  concurrency?: number;
  /** Requests started per second at most; unlimited by default. */
  rps?: number;
  /** Per-request time limit, ms. Default 10,000. */
  timeoutMs?: number;
  /** Attempts per NPI in one run. Default 6. */
  maxAttempts?: number;
  /** First backoff, ms (doubled per attempt, capped, with full jitter). Default 250. */
  backoffMs?: number;
  /** Longest backoff, ms. Default 10,000. */
  backoffCapMs?: number;
  /** Circuit breaker: recent requests looked at, failure share that opens it, pause. */
  breaker?: { window?: number; threshold?: number; pauseMs?: number };
  /**
   * Longest Retry-After honored, ms. Default 60,000. A registry asking for
   * longer stops the run: that NPI and the ones not requested yet end
   * failed (retryable), saying so, and the summary tells when to rerun.
   */
  maxRetryWaitMs?: number;
  /** Retry only the NPIs in the failure ledger (permanent failures included). */
  retryFailed?: boolean;
  /** Fetch again NPIs enriched longer ago than this, ms. */
  refreshOlderThanMs?: number;
  /** Called after every committed result with the counts so far. */
  onProgress?: (p: EnrichProgress) => void;
  /** Random numbers for jitter (tests pass a fixed one). */
  random?: () => number;
  /**
   * Stops the run when aborted (Ctrl-C): no new request starts, those under
   * way end and are saved; the NPIs not asked stay as they were, for the
   * next run. The summary's `interrupted` says by what.
   */
  signal?: AbortSignal;
  /**
   * Called once when `signal` aborts, with the requests then in flight: each
   * ends within `timeoutMs` (the CLI says so on the first Ctrl-C).
   */
  onInterrupt?: (inFlight: number) => void;
  /**
   * Aborted after `signal` (a second Ctrl-C): the requests under way are cut
   * off too, their NPIs end failed (retryable); every answer already in is
   * still saved, so a rerun asks for exactly the NPIs left.
   */
  abortRequests?: AbortSignal;
}

/** Counts while enriching. */
export interface EnrichProgress {
  /** NPIs this run has to ask for (new, pending, failed and retryable, or due a refresh). */
  total: number;
  /** Of those, the ones whose result is saved. */
  done: number;
  /** Of those, the ones this run saved as enriched, not found, and failed. */
  enriched: number;
  notFound: number;
  failed: number;
  requests: number;
  retries: number;
  elapsedMs: number;
}

/**
 * What a run did. The list's values add up: `lines = distinct + duplicates`,
 * and `distinct = invalid + alreadyDone + total`, where this run's `total`
 * (the NPIs it had to ask for) `= enriched + notFound + failed + notAsked`.
 */
export interface EnrichSummary extends EnrichProgress {
  /** Values in the list (blank lines and a header not counted). */
  lines: number;
  /** Distinct NPIs in the list. */
  distinct: number;
  /** Lines that repeated an NPI. */
  duplicates: number;
  /** NPIs of the list that fail the check digit: never asked. */
  invalid: number;
  /** NPIs the ledger already held as done (enriched, not found, failed for good): not asked. */
  alreadyDone: number;
  /** NPIs this run had to ask for but did not: interrupted, or stopped early (they stay pending, or failed saying why). */
  notAsked: number;
  /** NPIs this run asked for (the rest were done before, or not asked after a stop). */
  fetched: number;
  /** Ledger states of the list's NPIs after the run. */
  states: Record<string, number>;
  breakerOpened: number;
  /** The most common last errors of the list's failed NPIs (at most three), with their counts. */
  failures: { error: string; count: number }[];
  /** How many different last errors the list's failed NPIs have (`failures` shows the first three). */
  failureReasons: number;
  /** Set when a Retry-After over the cap stopped the run. */
  stopped?: EnrichStop;
  /** Set when the run was interrupted (`signal`): by what, e.g. "SIGINT (Ctrl-C)". */
  interrupted?: string;
}

/** Why and when a run stopped early: the registry asked to wait longer than the cap. */
export interface EnrichStop {
  /** The NPI whose answer carried the Retry-After. */
  npi: string;
  /** The Retry-After header as sent. */
  retryAfter: string;
  /** The wait asked for and the cap, ms. */
  waitMs: number;
  capMs: number;
  /** When the registry said to come back (ISO 8601). */
  retryAt: string;
  /** NPIs of this run that were not requested because of it. */
  notRequested: number;
}

/** An NPI list as read: its distinct values, and where each first appears. */
export interface NpiList {
  /** Distinct values, in their order. */
  npis: string[];
  /** Values read (duplicates included, blank ones not). */
  lines: number;
  /** Where each value first appears: `line 3` (a file) or `row 3` (a CSV or table). */
  where: Map<string, string>;
}

/** Column separators that make a list file a CSV. */
const SEPARATORS = [",", "\t", ";", "|"];

/**
 * Reads an NPI list: a file (one per line, an optional header), a CSV whose
 * header names an `npi` column, a URL of either, or a `raw.<table>` column `npi`.
 *
 * @throws {WharfError} when the file cannot be read, or is a CSV without an
 *   `npi` column or without a header.
 */
export async function readNpiList(
  input: string,
  options: { wh: Warehouse; cacheDir: string },
): Promise<NpiList> {
  let values: { v: string; at: string }[];
  const table = /^raw\.([a-z_][a-z0-9_]*)$/i.exec(input);
  if (table) {
    const cols = await options.wh.query(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
      [table[1]!.toLowerCase()],
    );
    if (cols.length === 0) {
      throw new WharfError(`No table ${input} in the warehouse: land the NPI list first`);
    }
    const col = cols.find((c) => String(c.column_name).toLowerCase() === "npi") ??
      cols.find((c) => !String(c.column_name).startsWith("_"));
    const rows = await options.wh.query(
      `SELECT ${quoteIdent(String(col!.column_name))}::VARCHAR AS v FROM raw.${
        quoteIdent(table[1]!.toLowerCase())
      }`,
    );
    values = rows.map((r, i) => ({ v: String(r.v ?? ""), at: `row ${i + 1}` }));
  } else {
    const path = /^https?:\/\//i.test(input)
      ? await fetchToCache(input, { cacheDir: options.cacheDir })
      : input;
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      throw new WharfError(`Cannot read the NPI list "${input}": ${(err as Error).message}`, {
        cause: err,
      });
    }
    const lines = text.split(/\r?\n/);
    const first = lines.findIndex((l) => l.trim() !== "");
    const separator = SEPARATORS.find((d) => lines[first]?.includes(d));
    if (separator !== undefined) values = await readCsvList(input, path, separator, options.wh);
    else {
      values = lines.map((v, i) => ({ v, at: `line ${i + 1}` }));
      if (first >= 0 && !/^\s*"?\d/.test(lines[first]!)) values.splice(0, first + 1); // a header line
    }
  }
  const all = values.map((e) => ({ ...e, v: e.v.trim().replace(/^"|"$/g, "") }))
    .filter((e) => e.v !== "");
  const where = new Map<string, string>();
  for (const e of all) if (!where.has(e.v)) where.set(e.v, e.at);
  return { npis: [...where.keys()], lines: all.length, where };
}

/** The `npi` column of a CSV list (its header names it, in any case). */
async function readCsvList(
  input: string,
  path: string,
  separator: string,
  wh: Warehouse,
): Promise<{ v: string; at: string }[]> {
  const { columns, rows } = await wh.withConnection((s) =>
    s.read(
      "SELECT * FROM read_csv(?, delim = ?, header = true, all_varchar = true, quote = '\"')",
      [path, separator],
    )
  );
  const npi = columns.find((c) => c.trim().toLowerCase() === "npi");
  if (npi === undefined) {
    const header = columns.map((c) => JSON.stringify(c)).join(", ");
    throw new WharfError(
      /^\d/.test(columns[0] ?? "")
        ? `Cannot read the NPI list "${input}": it looks like a CSV (${
          JSON.stringify(separator)
        } between values) without a header row; expected one NPI per line, or a header row naming an "npi" column`
        : `Cannot read the NPI list "${input}": it looks like a CSV (${
          JSON.stringify(separator)
        } between values) and its header (${header}) names no "npi" column; name the column of NPIs "npi", or give one NPI per line`,
    );
  }
  return rows.map((r, i) => ({ v: String(r[npi] ?? ""), at: `row ${i + 1}` }));
}

/** "1 NPI", "2 NPIs". */
function npiCount(n: number): string {
  return `${n} NPI${n === 1 ? "" : "s"}`;
}

/** Spaces request starts at least `1000 / rps` ms apart. */
class RateLimiter {
  #next = 0;
  constructor(readonly rps?: number) {}
  /** Waits for the next start; an aborted `signal` ends the wait early. */
  async take(signal: AbortSignal): Promise<void> {
    if (!this.rps) return;
    const now = Date.now();
    const at = Math.max(now, this.#next);
    this.#next = at + 1000 / this.rps;
    if (at > now) await sleep(at - now, signal);
  }
}

interface Result {
  npi: string;
  state: NpiState;
  attempts: number;
  retryable: boolean | null;
  error: string | null;
  status: number | null;
  body?: string;
  fetchedAt: Date;
}

/** Writes results (responses and ledger rows) in one transaction. */
async function writeResults(s: Session, results: readonly Result[]): Promise<void> {
  const responses = results.filter((r) => r.body !== undefined);
  if (responses.length) {
    await s.append(
      "raw",
      "npi_responses",
      responses.map((r) => [r.npi, r.fetchedAt.toISOString(), r.status, r.body!]),
    );
  }
  // Every NPI asked for has its ledger row (written pending before any request): an UPDATE
  // in place costs about half of INSERT OR REPLACE's delete and insert.
  const row = "(?, ?, ?::INTEGER, ?::BOOLEAN, ?, ?::INTEGER, ?::TIMESTAMPTZ)";
  const updated = await s.count(
    `UPDATE wharf.npi_ledger AS l SET state = v.state, attempts = v.attempts, retryable = v.retryable,
       last_error = v.last_error, http_status = v.http_status, updated_at = v.updated_at
     FROM (VALUES ${results.map(() => row).join(", ")})
       AS v(npi, state, attempts, retryable, last_error, http_status, updated_at)
     WHERE l.npi = v.npi`,
    results.flatMap((
      r,
    ) => [r.npi, r.state, r.attempts, r.retryable, r.error, r.status, r.fetchedAt.toISOString()]),
  );
  if (updated !== results.length) {
    throw new WharfError(
      `wharf.npi_ledger has ${updated} of the ${results.length} NPIs just answered: their rows were removed while enrich ran; run it again`,
    );
  }
}

/**
 * Commits results as they come: one transaction at a time, each taking every
 * result that finished while the previous one was being written. At most
 * `limit` results wait uncommitted: {@linkcode ResultWriter.add} returns
 * once its result is queued within that limit.
 */
class ResultWriter {
  #queue: Result[] = [];
  #writing = 0;
  #waiting: (() => void)[] = [];
  #drained: Promise<void> = Promise.resolve();
  #draining = false;
  #error: unknown;
  constructor(
    readonly wh: Warehouse,
    readonly limit: number,
    readonly onCommitted: (batch: readonly Result[]) => void,
  ) {}
  async add(result: Result): Promise<void> {
    while (this.#error === undefined && this.#queue.length + this.#writing >= this.limit) {
      await new Promise<void>((r) => this.#waiting.push(r));
    }
    if (this.#error !== undefined) throw this.#error;
    this.#queue.push(result);
    if (!this.#draining) this.#drained = this.#drain();
  }
  async #drain(): Promise<void> {
    this.#draining = true;
    while (this.#queue.length && this.#error === undefined) {
      const batch = this.#queue;
      this.#queue = [];
      this.#writing = batch.length;
      try {
        await this.wh.transaction((s) => writeResults(s, batch));
        this.onCommitted(batch);
      } catch (err) {
        this.#error = err;
      }
      this.#writing = 0;
      for (const wake of this.#waiting.splice(0)) wake();
    }
    this.#draining = false;
  }
  /** Resolves when every result added is committed; throws a write's error. */
  async flush(): Promise<void> {
    await this.#drained;
    if (this.#error !== undefined) throw this.#error;
  }
}

/**
 * Enriches the NPIs of `input` (see {@linkcode readNpiList}) from the
 * registry into `raw.npi_responses` and `wharf.npi_ledger`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "../config.ts";
 * import { enrichNpis } from "./enrich_npi.ts";
 *
 * // A registry on 127.0.0.1 answering every NPI with one real registry answer.
 * const body = await Deno.readFile("tests/fixtures/real/npi/1003101296_npi2.json");
 * await using registry = Deno.serve({ port: 0, onListen() {} }, () => new Response(body));
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/npi-list.txt`, "1003101296\n1234567890\n");
 * const summary = await enrichNpis(await loadConfig("."), `${dir}/npi-list.txt`, {
 *   db: `${dir}/warehouse.duckdb`,
 *   registry: `http://127.0.0.1:${registry.addr.port}/api/`,
 * });
 * assert.equal(summary.states.enriched, 1);
 * assert.equal(summary.invalid, 1, "1234567890 fails the NPI check digit: never requested");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function enrichNpis(
  config: EngineConfig,
  input: string,
  options: EnrichOptions,
): Promise<EnrichSummary> {
  const started = performance.now();
  const wh = await openWarehouse(options.db, { holder: "wharf enrich npi" });
  try {
    await wh.withConnection((s) => ensureTables(s, "npi"));
    const { npis, lines, where } = await readNpiList(input, { wh, cacheDir: config.paths.cache });
    const invalid = npis.filter((n) => !isValidNpi(n));
    if (invalid.length === npis.length) {
      throw new WharfError(
        npis.length === 0
          ? `No NPI in "${input}": expected one NPI per line (a header line allowed), or a CSV with an "npi" column`
          : `No valid NPI in "${input}": ${
            invalid.length === 1 ? "its one value fails" : `all ${invalid.length} values fail`
          } the NPI check (10 digits, the last a Luhn check digit over 80840 and the first nine): ${
            invalid.slice(0, 3).map((n) => `${where.get(n)} ${JSON.stringify(n)}`).join(", ")
          }${
            invalid.length > 3 ? ", …" : ""
          }; expected one NPI per line (a header line allowed), or a CSV with an "npi" column`,
      );
    }
    // Every NPI of the list gets a ledger row; invalid ones never cost a request.
    // Lists are bound as JSON text: DuckDB cannot type an empty list parameter.
    const list = JSON.stringify(npis);
    const bad = JSON.stringify(invalid);
    await wh.exec(
      `INSERT INTO wharf.npi_ledger (npi, state, attempts, retryable, last_error, http_status, updated_at)
       SELECT n.npi, CASE WHEN n.npi IN (SELECT unnest(from_json($2, '["VARCHAR"]'))) THEN 'invalid' ELSE 'pending' END, 0, false,
              CASE WHEN n.npi IN (SELECT unnest(from_json($2, '["VARCHAR"]'))) THEN 'not a valid NPI: 10 digits with a Luhn check digit (prefix 80840)' END,
              NULL, $3::TIMESTAMPTZ
       FROM (SELECT unnest(from_json($1, '["VARCHAR"]')) AS npi) AS n ANTI JOIN wharf.npi_ledger AS l USING (npi)`,
      [list, bad, new Date().toISOString()],
    );
    const cutoff = options.refreshOlderThanMs === undefined
      ? null
      : new Date(Date.now() - options.refreshOlderThanMs).toISOString();
    const condition = options.retryFailed
      ? "l.state = 'failed'"
      : `l.state = 'pending' OR (l.state = 'failed' AND l.retryable)${
        cutoff
          ? ` OR (l.state IN ('enriched', 'not_found') AND l.updated_at < '${cutoff}'::TIMESTAMPTZ)`
          : ""
      }`;
    const todo = (await wh.query(
      `SELECT l.npi, l.attempts, l.state FROM wharf.npi_ledger AS l WHERE l.npi IN (SELECT unnest(from_json(?, '["VARCHAR"]'))) AND (${condition}) ORDER BY l.npi`,
      [list],
    )).map((r) => ({ npi: String(r.npi), attempts: Number(r.attempts), state: String(r.state) }));

    const progress: EnrichProgress = {
      total: todo.length,
      done: 0,
      enriched: 0,
      notFound: 0,
      failed: 0,
      requests: 0,
      retries: 0,
      elapsedMs: 0,
    };
    const breaker = new CircuitBreaker({
      window: options.breaker?.window ?? 20,
      threshold: options.breaker?.threshold ?? 0.8,
      cooldownMs: options.breaker?.pauseMs ?? 3000,
    });
    const limiter = new RateLimiter(options.rps);
    const maxAttempts = options.maxAttempts ?? 6;
    const maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000;
    const concurrency = Math.max(1, options.concurrency ?? 16);
    const writer = new ResultWriter(wh, concurrency, (batch) => {
      for (const r of batch) {
        progress.done++;
        if (r.state === "enriched") progress.enriched++;
        else if (r.state === "not_found") progress.notFound++;
        else progress.failed++;
      }
      progress.elapsedMs = performance.now() - started;
      options.onProgress?.({ ...progress });
    });
    let stopped: EnrichStop | undefined;
    // Ends every wait (backoff, breaker pause, rate limit) when the run stops: interrupted,
    // stopped by a long Retry-After, or the registry unreachable.
    const halt = new AbortController();
    /** Requests under way (sent, their answer not yet in). */
    let inFlight = 0;
    const onAbort = () => {
      halt.abort();
      options.onInterrupt?.(inFlight);
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    /** Whether any request of this run got further than a failed connection (an answer, a timeout). */
    let reached = false;
    /** Set when every request of this run failed to connect, the last NPI's or probe's included. */
    let unreachable: { npi: string; error: string } | undefined;
    const connectionFailed = (npi: string, error: string, final: boolean) => {
      // Unreachable: no request got through, and either an NPI used all its attempts or the
      // breaker's probe after its pause failed too (it opened twice).
      if (reached || !(final || breaker.opened >= 2)) return;
      unreachable ??= { npi, error };
      halt.abort();
    };
    const stopReason = () =>
      `the registry asked to wait ${formatDuration(stopped!.waitMs)} (Retry-After "${
        stopped!.retryAfter
      }"), longer than the ${
        formatDuration(stopped!.capMs)
      } cap (--max-retry-wait): run again after ${stopped!.retryAt}`;
    const finish = (r: Result) => writer.add(r);
    const signal = options.signal;
    /** NPIs an interruption left unasked (besides those never taken from the queue). */
    let unasked = 0;
    /** An NPI this run will not ask for: a new or failed one is failed (retryable) with the reason; a refresh keeps its state. */
    const skip = async (item: (typeof todo)[number]) => {
      stopped!.notRequested++;
      if (item.state !== "pending" && item.state !== "failed") return;
      await finish({
        npi: item.npi,
        state: "failed",
        attempts: item.attempts,
        retryable: true,
        error: `not requested: ${stopReason()}`,
        status: null,
        fetchedAt: new Date(),
      });
    };
    const slots = new Slots(concurrency);
    const work = async (item: (typeof todo)[number]) => {
      let attempts = item.attempts;
      // This NPI's waits end when the run halts; a request under way is not aborted: it
      // ends (within --timeout) and its answer is saved.
      const waits = new AbortController();
      let requesting = false;
      /** Whether `abortRequests` cut this NPI's request off. */
      let cut = false;
      const onHalt = () => {
        if (!requesting) waits.abort();
      };
      const onCut = () => {
        cut = requesting;
        waits.abort();
      };
      const requestEnded = () => {
        if (requesting) inFlight--;
        requesting = false;
        if (halt.signal.aborted) waits.abort();
      };
      halt.signal.addEventListener("abort", onHalt, { once: true });
      options.abortRequests?.addEventListener("abort", onCut, { once: true });
      // A slot is held from each request's start until its result is queued for
      // commit, not through a backoff: answered-but-uncommitted NPIs stay within
      // the writer's limit plus the slots (2 × concurrency), as the kill bound says.
      let holding = false;
      const letGo = () => {
        if (holding) slots.release();
        holding = false;
      };
      try {
        const outcome = await fetchWithRetry(registryUrl(options.registry, item.npi), {
          headers: REGISTRY_HEADERS,
          timeoutMs: options.timeoutMs ?? 10_000,
          attempts: maxAttempts,
          baseDelayMs: options.backoffMs ?? 250,
          maxDelayMs: options.backoffCapMs ?? 10_000,
          random: options.random,
          maxRetryAfterMs: maxRetryWaitMs,
          // A valid Retry-After holds everyone (the registry said so).
          breaker,
          signal: waits.signal,
          beforeAttempt: async () => {
            if (!holding) await slots.acquire();
            holding = true;
            await limiter.take(halt.signal);
            if (halt.signal.aborted) {
              letGo();
              return false;
            }
            attempts++;
            progress.requests++;
            inFlight++;
            requesting = true;
            return true;
          },
          onRetry: ({ kind, error }) => {
            requestEnded();
            if (kind === "connection") connectionFailed(item.npi, error, false);
            else reached = true;
            // A request that timed out may still be running at the registry: its slot is
            // kept through the backoff; any other failure ended its request.
            if (kind !== "timeout") letGo();
            progress.retries++;
          },
          read: (answer) => {
            requestEnded();
            reached = true;
            return readRegistryAnswer(answer, item.npi);
          },
        });
        return await finish({
          npi: item.npi,
          state: outcome.kind === "rejected" ? "failed" : outcome.kind,
          attempts,
          retryable: outcome.kind === "rejected" ? false : null,
          error: outcome.kind === "rejected"
            ? outcome.error
            : outcome.kind === "not_found"
            ? NOT_FOUND
            : null,
          status: outcome.status,
          body: JSON.stringify(outcome.body),
          fetchedAt: new Date(),
        });
      } catch (err) {
        if (!(err instanceof FetchError)) throw err;
        const fetchedAt = new Date();
        const failed = (error: string) =>
          finish({
            npi: item.npi,
            state: "failed",
            attempts,
            retryable: true,
            error,
            status: err.status ?? null,
            fetchedAt,
          });
        requestEnded();
        if (err.kind === "stopped" && stopped) {
          return err.attempts === 0
            ? await skip(item)
            : await failed(`${err.detail}; then stopped: ${stopReason()}`);
        }
        if (err.kind === "stopped") {
          // Interrupted, or the registry is unreachable: an NPI not asked yet stays as it
          // was; one asked ends failed (retryable).
          if (err.attempts === 0) return void unasked++;
          return await failed(
            unreachable
              ? `${err.detail}; then stopped: the registry is unreachable`
              : cut
              ? `request cut off: interrupted twice by ${signal?.reason}`
              : `${err.detail}; then interrupted by ${signal?.reason}`,
          );
        }
        if (err.kind === "connection") connectionFailed(item.npi, err.detail, true);
        else reached = true;
        if (err.kind === "wait") {
          stopped ??= {
            npi: item.npi,
            retryAfter: err.retryAfter!,
            waitMs: err.retryAfterMs!,
            capMs: maxRetryWaitMs,
            retryAt: new Date(fetchedAt.getTime() + err.retryAfterMs!).toISOString(),
            notRequested: 0,
          };
          halt.abort();
          return await failed(`${err.detail}; not retried: ${stopReason()}`);
        }
        return await failed(err.detail);
      } finally {
        letGo();
        halt.signal.removeEventListener("abort", onHalt);
        options.abortRequests?.removeEventListener("abort", onCut);
      }
    };
    // A failed write stops every worker before the error is thrown.
    const queue = [...todo];
    let broken = false;
    const settled = await Promise.allSettled(
      // Twice as many NPIs as slots are under way, so those backing off leave none idle.
      Array.from({ length: 2 * concurrency }, async () => {
        try {
          for (let item = queue.shift(); item && !broken; item = queue.shift()) {
            if (signal?.aborted || unreachable) {
              queue.unshift(item);
              break;
            }
            await work(item);
          }
        } catch (err) {
          broken = true;
          throw err;
        }
      }),
    );
    options.signal?.removeEventListener("abort", onAbort);
    const failure = settled.find((r) => r.status === "rejected");
    if (failure) throw (failure as PromiseRejectedResult).reason;
    await writer.flush();
    if (unreachable) {
      const notAsked = unasked + queue.length;
      throw new UpstreamError(
        options.registry,
        `Cannot reach the NPI registry "${options.registry}": ${unreachable.error} (NPI ${unreachable.npi}), and no request of this run (${progress.requests}) got an answer; in wharf.npi_ledger, ${
          npiCount(progress.failed)
        } asked now failed (retryable), ${
          npiCount(notAsked)
        } not asked still pending. Check the network and the address (--registry URL, or npi.registry in wharf.config.ts), then run the same command again: it asks for every NPI left.`,
      );
    }
    const states = Object.fromEntries(
      (await wh.query(
        `SELECT state, count(*)::INT AS n FROM wharf.npi_ledger WHERE npi IN (SELECT unnest(from_json(?, '["VARCHAR"]'))) GROUP BY 1 ORDER BY 1`,
        [list],
      ))
        .map((r) => [String(r.state), Number(r.n)]),
    );
    // Why NPIs failed, most common first: the reasons a run's output names.
    const reasons = await wh.query(
      `SELECT last_error AS error, count(*)::INT AS n, count(*) OVER ()::INT AS reasons
       FROM wharf.npi_ledger
       WHERE state = 'failed' AND npi IN (SELECT unnest(from_json(?, '["VARCHAR"]')))
       GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3`,
      [list],
    );
    const failures = reasons.map((r) => ({
      error: String(r.error ?? "unknown"),
      count: Number(r.n),
    }));
    progress.elapsedMs = performance.now() - started;
    return {
      ...progress,
      failures,
      failureReasons: Number(reasons[0]?.reasons ?? 0),
      lines,
      distinct: npis.length,
      duplicates: lines - npis.length,
      invalid: invalid.length,
      alreadyDone: npis.length - invalid.length - todo.length,
      notAsked: todo.length - progress.done,
      fetched: todo.length - (stopped?.notRequested ?? 0) - unasked - queue.length,
      states,
      breakerOpened: breaker.opened,
      ...(stopped ? { stopped } : {}),
      ...(signal?.aborted ? { interrupted: String(signal.reason) } : {}),
    };
  } finally {
    wh.close();
  }
}
