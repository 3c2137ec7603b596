/**
 * One request to the CMS NPPES NPI Registry API (v2.1), classified: what to
 * keep, what to retry, what is final. The registry answers validation
 * errors with HTTP 200 and an `Errors` body, an unknown NPI with
 * `result_count: 0`, and maintenance pages as HTML.
 *
 * @module
 */

/** The public registry. */
export const NPI_REGISTRY = "https://npiregistry.cms.hhs.gov/api/";

/** What one request came to. */
export type RegistryOutcome =
  | { kind: "enriched"; status: number; body: unknown }
  | { kind: "not_found"; status: number; body: unknown }
  | { kind: "rejected"; status: number; body: unknown; error: string }
  | {
    kind: "retry";
    status?: number;
    error: string;
    /** The wait the registry asked for (a valid Retry-After), ms. */
    retryAfterMs?: number;
    /** The Retry-After header as sent, valid or not. */
    retryAfter?: string;
  };

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = `(${MONTHS.join("|")})`;
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";
/** IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
/** Obsolete RFC 850 date: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
/** Obsolete asctime date: `Sun Nov  6 08:49:37 1994` (GMT). */
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/** Milliseconds since the epoch of a valid UTC date and time, else NaN. */
function utc(year: number, month: string, day: number, h: string, m: string, s: string): number {
  const mon = MONTHS.indexOf(month);
  const ms = Date.UTC(year, mon, day, Number(h), Number(m), Number(s));
  const d = new Date(ms);
  const valid = d.getUTCFullYear() === year && d.getUTCMonth() === mon && d.getUTCDate() === day &&
    Number(h) < 24 && Number(m) < 60 && Number(s) < 61;
  return valid ? ms : NaN;
}

/**
 * Reads a `Retry-After` header as milliseconds to wait, in every form HTTP
 * allows (RFC 9110 §10.2.3): a non-negative number of seconds (`120`), or an
 * HTTP-date in IMF-fixdate, RFC 850 or asctime form (a date in the past means
 * no wait). Anything else (`-5`, `1.5`, `soon`) is not a valid value and
 * gives `undefined`, so the caller falls back to its own backoff.
 *
 * @param value The header's value, or null when absent.
 * @param now The current time (ms since the epoch), for dates.
 * @returns Milliseconds to wait, or undefined when absent or invalid.
 * @example
 * ```ts
 * import { parseRetryAfter } from "./registry.ts";
 * parseRetryAfter("120"); // 120000
 * parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", Date.UTC(1994, 10, 6, 8, 49, 7)); // 30000
 * parseRetryAfter("-5"); // undefined
 * ```
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  let at = NaN;
  let m: RegExpExecArray | null;
  if ((m = IMF_FIXDATE.exec(v))) at = utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  else if ((m = RFC850_DATE.exec(v))) {
    // A two-digit year more than 50 years ahead is the last such year in the past.
    const thisYear = new Date(now).getUTCFullYear();
    let year = thisYear - (thisYear % 100) + Number(m[3]);
    if (year > thisYear + 50) year -= 100;
    at = utc(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  } else if ((m = ASCTIME_DATE.exec(v))) {
    at = utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  }
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Asks the registry about one NPI.
 *
 * @example
 * ```ts ignore
 * const outcome = await queryRegistry(NPI_REGISTRY, "1234567893", { timeoutMs: 10_000 });
 * ```
 */
export async function queryRegistry(
  base: string,
  npi: string,
  options: { timeoutMs: number },
): Promise<RegistryOutcome> {
  const url = new URL(base);
  url.searchParams.set("version", "2.1");
  url.searchParams.set("number", npi);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { signal: controller.signal, headers: { accept: "application/json" } });
    text = await res.text();
  } catch (err) {
    return {
      kind: "retry",
      error: controller.signal.aborted
        ? `timed out after ${options.timeoutMs} ms`
        : `connection failed: ${(err as Error).message}`,
    };
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 429 || res.status >= 500) {
    const header = res.headers.get("retry-after");
    const wait = parseRetryAfter(header);
    return {
      kind: "retry",
      status: res.status,
      error: header === null
        ? `HTTP ${res.status}`
        : `HTTP ${res.status} with Retry-After "${header}"${
          wait === undefined ? " (not a valid value: normal backoff)" : ""
        }`,
      retryAfterMs: wait,
      retryAfter: header ?? undefined,
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {
      kind: "retry",
      status: res.status,
      error: `HTTP ${res.status} with a body that is not JSON (maintenance page?)`,
    };
  }
  if (!res.ok) return { kind: "rejected", status: res.status, body, error: `HTTP ${res.status}` };
  const o = (body ?? {}) as {
    Errors?: { description?: string; field?: string }[];
    result_count?: unknown;
    results?: { number?: unknown }[];
  };
  if (Array.isArray(o.Errors) && o.Errors.length) {
    return {
      kind: "rejected",
      status: res.status,
      body,
      error: o.Errors.map((e) => `${e.field ?? "?"}: ${e.description ?? "error"}`).join("; "),
    };
  }
  if (!Array.isArray(o.results)) {
    return { kind: "retry", status: res.status, error: "answer without results" };
  }
  if (Number(o.result_count ?? o.results.length) === 0 || o.results.length === 0) {
    return { kind: "not_found", status: res.status, body };
  }
  // The models read the result whose number is the NPI asked for: an answer
  // without one is about someone else (a search endpoint, a wrong URL).
  if (!o.results.some((r) => String(r?.number) === npi)) {
    return {
      kind: "retry",
      status: res.status,
      error: `the answer holds no result for NPI ${npi} (${o.results.length} other${
        o.results.length === 1 ? "" : "s"
      }): is --registry the NPI Registry API?`,
    };
  }
  return { kind: "enriched", status: res.status, body };
}
