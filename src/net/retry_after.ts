/**
 * The `Retry-After` header (RFC 9110 §10.2.3), read strictly: a server that
 * asks for a wait is obeyed to the millisecond, and one that sends what HTTP
 * does not allow gets the caller's own backoff instead of a guess.
 *
 * @module
 */

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
 * allows: a non-negative number of seconds (`120`), or an HTTP-date in
 * IMF-fixdate, RFC 850 or asctime form (a date in the past means no wait).
 * Anything else (`-5`, `1.5`, `soon`) is not a valid value and gives
 * `undefined`, so the caller falls back to its own backoff. The value is
 * not capped here: how long is too long is the caller's call (see
 * `maxRetryAfterMs` of `RetryOptions` in `retrier.ts`).
 *
 * @param value The header's value, or null when absent.
 * @param now The current time (ms since the epoch), for dates.
 * @returns Milliseconds to wait, or undefined when absent or invalid.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRetryAfter } from "./retry_after.ts";
 * assert.equal(parseRetryAfter("120"), 120_000);
 * const now = Date.UTC(1994, 10, 6, 8, 49, 7);
 * assert.equal(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now), 30_000);
 * assert.equal(parseRetryAfter("-5"), undefined);
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
