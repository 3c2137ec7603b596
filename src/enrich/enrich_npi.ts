/**
 * `wharf enrich npi`: every NPI of a list ends enriched, not found, invalid,
 * or in the failure ledger with its last error — never lost. Requests run
 * with bounded concurrency and an optional rate limit; 429, 5xx, timeouts,
 * dropped connections and non-JSON bodies are retried with exponential
 * backoff and full jitter (honoring Retry-After); when most recent requests
 * fail, a circuit breaker pauses everyone, then resumes on its own.
 * Responses and ledger updates are written together in batches, so a kill
 * loses at most the requests in flight, and a rerun picks up what is left.
 *
 * @module
 */
import type { ResolvedConfig } from "../config.ts";
import { openWarehouse, type Session, type Warehouse } from "../db/warehouse.ts";
import { quoteIdent } from "../db/sql.ts";
import { WharfError } from "../errors.ts";
import { fetchToCache } from "../land/fetch_url.ts";
import { isValidNpi } from "./npi_check.ts";
import { queryRegistry, type RegistryOutcome } from "./registry.ts";

/** Ledger states. */
export type NpiState = "pending" | "enriched" | "not_found" | "invalid" | "failed";

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
  /** Retry only the NPIs in the failure ledger (permanent failures included). */
  retryFailed?: boolean;
  /** Fetch again NPIs enriched longer ago than this, ms. */
  refreshOlderThanMs?: number;
  /** Results per write (responses and ledger together). Default 200. */
  batchSize?: number;
  /** Called about every request with the counts so far. */
  onProgress?: (p: EnrichProgress) => void;
  /** Random numbers for jitter (tests pass a fixed one). */
  random?: () => number;
}

/** Counts while enriching. */
export interface EnrichProgress {
  total: number;
  done: number;
  enriched: number;
  notFound: number;
  failed: number;
  requests: number;
  retries: number;
  elapsedMs: number;
}

/** What a run did. */
export interface EnrichSummary extends EnrichProgress {
  /** Distinct NPIs in the list. */
  distinct: number;
  /** Lines that repeated an NPI. */
  duplicates: number;
  invalid: number;
  /** NPIs this run asked for (the rest were done before). */
  fetched: number;
  /** Ledger states of the list's NPIs after the run. */
  states: Record<string, number>;
  breakerOpened: number;
}

const DDL = `
  CREATE SCHEMA IF NOT EXISTS raw;
  CREATE SCHEMA IF NOT EXISTS wharf;
  CREATE TABLE IF NOT EXISTS raw.npi_responses (npi VARCHAR, fetched_at TIMESTAMPTZ, http_status INTEGER, body JSON);
  CREATE TABLE IF NOT EXISTS wharf.npi_ledger (
    npi VARCHAR PRIMARY KEY, state VARCHAR NOT NULL, attempts INTEGER NOT NULL, retryable BOOLEAN,
    last_error VARCHAR, http_status INTEGER, updated_at TIMESTAMPTZ NOT NULL
  );
`;

/** Reads an NPI list: a file (one per line, an optional header), a URL, or a `raw.<table>` column `npi`. */
export async function readNpiList(
  input: string,
  options: { wh: Warehouse; cacheDir: string },
): Promise<{ npis: string[]; lines: number }> {
  let values: string[];
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
    values = rows.map((r) => String(r.v ?? ""));
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
    values = text.split(/\r?\n/);
    if (values.length && !/^\s*\d/.test(values[0]!)) values.shift(); // a header line
  }
  const all = values.map((v) => v.trim().replace(/^"|"$/g, "")).filter((v) => v !== "");
  return { npis: [...new Set(all)], lines: all.length };
}

/** Remembers recent outcomes and pauses everyone when too many failed. */
class CircuitBreaker {
  #recent: boolean[] = [];
  #pausedUntil = 0;
  opened = 0;
  constructor(readonly window: number, readonly threshold: number, readonly pauseMs: number) {}
  record(failed: boolean): void {
    this.#recent.push(failed);
    if (this.#recent.length > this.window) this.#recent.shift();
    const failures = this.#recent.filter(Boolean).length;
    if (this.#recent.length >= this.window && failures / this.#recent.length >= this.threshold) {
      this.#pausedUntil = Date.now() + this.pauseMs;
      this.#recent = [];
      this.opened++;
    }
  }
  async ready(): Promise<void> {
    const wait = this.#pausedUntil - Date.now();
    if (wait > 0) await sleep(wait);
  }
}

/** Spaces request starts at least `1000 / rps` ms apart. */
class RateLimiter {
  #next = 0;
  constructor(readonly rps?: number) {}
  async take(): Promise<void> {
    if (!this.rps) return;
    const now = Date.now();
    const at = Math.max(now, this.#next);
    this.#next = at + 1000 / this.rps;
    if (at > now) await sleep(at - now);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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
      responses.map((r) => [r.npi, r.fetchedAt.toISOString(), r.status, r.body!]) as never,
    );
  }
  const row = "(?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ)";
  await s.exec(
    `INSERT OR REPLACE INTO wharf.npi_ledger VALUES ${results.map(() => row).join(", ")}`,
    results.flatMap((
      r,
    ) => [r.npi, r.state, r.attempts, r.retryable, r.error, r.status, r.fetchedAt.toISOString()]),
  );
}

/**
 * Enriches the NPIs of `input` (see {@linkcode readNpiList}) from the
 * registry into `raw.npi_responses` and `wharf.npi_ledger`.
 */
export async function enrichNpis(
  config: ResolvedConfig,
  input: string,
  options: EnrichOptions,
): Promise<EnrichSummary> {
  const started = performance.now();
  const wh = await openWarehouse(options.db, { holder: "wharf enrich npi" });
  try {
    await wh.exec(DDL);
    const { npis, lines } = await readNpiList(input, { wh, cacheDir: config.paths.cache });
    const invalid = npis.filter((n) => !isValidNpi(n));
    // Every NPI of the list gets a ledger row; invalid ones never cost a request.
    // Lists are bound as JSON text: DuckDB cannot type an empty list parameter.
    const list = JSON.stringify(npis);
    const bad = JSON.stringify(invalid);
    await wh.exec(
      `INSERT INTO wharf.npi_ledger
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
      `SELECT l.npi, l.attempts FROM wharf.npi_ledger AS l WHERE l.npi IN (SELECT unnest(from_json(?, '["VARCHAR"]'))) AND (${condition}) ORDER BY l.npi`,
      [list],
    )).map((r) => ({ npi: String(r.npi), attempts: Number(r.attempts) }));

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
    const breaker = new CircuitBreaker(
      options.breaker?.window ?? 20,
      options.breaker?.threshold ?? 0.8,
      options.breaker?.pauseMs ?? 3000,
    );
    const limiter = new RateLimiter(options.rps);
    const random = options.random ?? Math.random;
    const maxAttempts = options.maxAttempts ?? 6;
    const batchSize = options.batchSize ?? 200;
    let buffer: Result[] = [];
    let writing = Promise.resolve();
    const flush = () => {
      if (buffer.length === 0) return writing;
      const batch = buffer;
      buffer = [];
      writing = writing.then(() => wh.transaction((s) => writeResults(s, batch)));
      return writing;
    };
    const finish = (r: Result) => {
      progress.done++;
      if (r.state === "enriched") progress.enriched++;
      else if (r.state === "not_found") progress.notFound++;
      else progress.failed++;
      progress.elapsedMs = performance.now() - started;
      options.onProgress?.({ ...progress });
      buffer.push(r);
      if (buffer.length >= batchSize) flush();
    };
    const work = async (item: { npi: string; attempts: number }) => {
      let attempts = item.attempts;
      for (let tryNo = 1;; tryNo++) {
        await breaker.ready();
        await limiter.take();
        attempts++;
        progress.requests++;
        const outcome: RegistryOutcome = await queryRegistry(options.registry, item.npi, {
          timeoutMs: options.timeoutMs ?? 10_000,
        });
        breaker.record(outcome.kind === "retry");
        const fetchedAt = new Date();
        if (outcome.kind === "retry") {
          if (tryNo < maxAttempts) {
            progress.retries++;
            const cap = Math.min(
              options.backoffCapMs ?? 10_000,
              (options.backoffMs ?? 250) * 2 ** (tryNo - 1),
            );
            await sleep(outcome.retryAfterMs ?? random() * cap);
            continue;
          }
          return finish({
            npi: item.npi,
            state: "failed",
            attempts,
            retryable: true,
            error: outcome.error,
            status: outcome.status ?? null,
            fetchedAt,
          });
        }
        const body = JSON.stringify(outcome.body);
        if (outcome.kind === "rejected") {
          return finish({
            npi: item.npi,
            state: "failed",
            attempts,
            retryable: false,
            error: outcome.error,
            status: outcome.status,
            body,
            fetchedAt,
          });
        }
        return finish({
          npi: item.npi,
          state: outcome.kind,
          attempts,
          retryable: null,
          error: null,
          status: outcome.status,
          body,
          fetchedAt,
        });
      }
    };
    const queue = [...todo];
    const timer = setInterval(() => flush(), 1000);
    try {
      await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 16) }, async () => {
        for (let item = queue.shift(); item; item = queue.shift()) await work(item);
      }));
      await flush();
    } finally {
      clearInterval(timer);
      await writing.catch(() => {});
    }
    const states = Object.fromEntries(
      (await wh.query(
        `SELECT state, count(*)::INT AS n FROM wharf.npi_ledger WHERE npi IN (SELECT unnest(from_json(?, '["VARCHAR"]'))) GROUP BY 1 ORDER BY 1`,
        [list],
      ))
        .map((r) => [String(r.state), Number(r.n)]),
    );
    progress.elapsedMs = performance.now() - started;
    return {
      ...progress,
      distinct: npis.length,
      duplicates: lines - npis.length,
      invalid: invalid.length,
      fetched: todo.length,
      states,
      breakerOpened: breaker.opened,
    };
  } finally {
    wh.close();
  }
}
