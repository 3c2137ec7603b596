/**
 * Python's `datetime` module as dbt templates use it (`modules.datetime`):
 * `datetime`, `date`, `timedelta` and `timezone` values, made, compared,
 * added and subtracted, formatted (`strftime`, `isoformat`, printed as
 * Python prints them) and parsed (`strptime`, `fromisoformat`), with Python's
 * rules: naive and aware datetimes, a date plus a timedelta adds its days,
 * a datetime's `replace()`, a timezone's offset.
 *
 * A value is a plain object minijinja can hold (see {@linkcode PyValue}):
 * its fields (`year`, `days`, …), its methods as functions, and three keys
 * of wharf's that sort first: `__cmp` (a number that orders values of a
 * kind, so `<` and `==` work on them as minijinja compares mappings),
 * `__kind` and `__str` (what Python prints). Functions never throw: they
 * report a problem and return null.
 *
 * @module
 */
import { plain, splitArgs } from "./jinja_args.ts";

/** What a template holds for a Python value: see the module doc. */
export type PyValue = Record<string, unknown> & { __cmp: number; __kind: string; __str: string };

/** Reports a problem of the render under way (the function then returns null). */
export type Report = (message: string) => void;

/** A time zone: a fixed offset (`timezone(timedelta(hours=1))`, UTC) or an IANA zone (pytz). */
export interface Tz {
  /** Its name as Python gives it (`UTC`, `UTC+01:00`, `America/New_York`). */
  name: string;
  /** A fixed offset, in minutes east of UTC. */
  offset?: number;
  /** An IANA zone (its offset depends on the instant). */
  zone?: string;
}

/** A datetime's fields: a wall clock, and its time zone when it is aware. */
export interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  tz: Tz | null;
}

const US_PER_DAY = 86_400_000_000n;
const UTC: Tz = { name: "UTC", offset: 0 };

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date `days` after 1970-01-01. */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp + (mp < 10 ? 3 : -9);
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year: number, month: number): number {
  return [
    31,
    year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ][
    month - 1
  ]!;
}

/** Microseconds as whole days and the microseconds of the day after them (0 or more). */
function splitDays(us: bigint): { days: bigint; rest: bigint } {
  const rest = ((us % US_PER_DAY) + US_PER_DAY) % US_PER_DAY;
  return { days: (us - rest) / US_PER_DAY, rest };
}

/** The wall clock of `c` as microseconds from 1970-01-01 00:00 (as if it were UTC). */
function wallUs(c: Civil): bigint {
  return BigInt(daysFromCivil(c.year, c.month, c.day)) * US_PER_DAY +
    BigInt(((c.hour * 60 + c.minute) * 60 + c.second) * 1_000_000 + c.microsecond);
}

/** The wall clock `us` microseconds from 1970-01-01 00:00, in zone `tz`. */
function fromWallUs(us: bigint, tz: Tz | null): Civil {
  const { days, rest } = splitDays(us);
  const r = Number(rest);
  return {
    ...civilFromDays(Number(days)),
    hour: Math.floor(r / 3_600_000_000),
    minute: Math.floor(r / 60_000_000) % 60,
    second: Math.floor(r / 1_000_000) % 60,
    microsecond: r % 1_000_000,
    tz,
  };
}

/** The offset (minutes east of UTC) of IANA zone `zone` at the UTC instant `utcMs`. */
function zoneOffsetAt(zone: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const local = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return Math.round((local - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

/** True for an IANA time zone name this machine knows. */
export function knownZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The UTC offset, in minutes, of an aware wall clock (its zone's offset at that local time). */
function offsetOf(c: Civil): number | undefined {
  if (!c.tz) return undefined;
  if (c.tz.offset !== undefined) return c.tz.offset;
  const wallMs = Number(wallUs(c) / 1000n);
  // The local time's offset: the zone's at the instant it names (first guess, then corrected).
  const first = zoneOffsetAt(c.tz.zone!, wallMs);
  return zoneOffsetAt(c.tz.zone!, wallMs - first * 60_000);
}

/** The UTC instant of an aware datetime, or the wall clock of a naive one, in microseconds. */
function instantUs(c: Civil): bigint {
  return wallUs(c) - BigInt((offsetOf(c) ?? 0) * 60) * 1_000_000n;
}

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, "0");
/** English names of weekdays (Monday first) and months, as Python's C locale gives them. */
const WEEKDAYS = Array.from(
  { length: 7 },
  (_, i) =>
    new Date(Date.UTC(2024, 0, 1 + i)).toLocaleString("en-US", {
      weekday: "long",
      timeZone: "UTC",
    }),
);
const MONTHS = Array.from(
  { length: 12 },
  (_, i) =>
    new Date(Date.UTC(2024, i, 1)).toLocaleString("en-US", { month: "long", timeZone: "UTC" }),
);

/** Monday 0 … Sunday 6, as Python's `weekday()`. */
function weekday(c: { year: number; month: number; day: number }): number {
  return (((daysFromCivil(c.year, c.month, c.day) + 3) % 7) + 7) % 7;
}

/** ISO year, week and weekday (1-7), as Python's `isocalendar()`. */
function isoCalendar(c: { year: number; month: number; day: number }): [number, number, number] {
  const days = daysFromCivil(c.year, c.month, c.day);
  const wd = weekday(c);
  const thursday = civilFromDays(days - wd + 3);
  const week = Math.floor((days - wd + 3 - daysFromCivil(thursday.year, 1, 1)) / 7) + 1;
  return [thursday.year, week, wd + 1];
}

/** `+HH:MM` (or with `sep` "" `+HHMM`) for an offset in minutes. */
function offsetText(minutes: number, sep = ":"): string {
  return `${minutes < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(minutes) / 60))}${sep}${
    pad(Math.abs(minutes) % 60)
  }`;
}

/**
 * Python's `strftime` for a datetime (or a date: its time is midnight):
 * `%a %A %b %B %c %d %f %H %I %j %m %M %p %S %U %w %W %x %X %y %Y %z %Z
 * %G %u %V %e %%`, in English.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCivil } from "./py_datetime.ts";
 *
 * const c = { year: 2024, month: 2, day: 17, hour: 9, minute: 5, second: 3, microsecond: 120, tz: null };
 * assert.equal(formatCivil(c, "%a %d %b %Y %H:%M:%S.%f %j %p"), "Sat 17 Feb 2024 09:05:03.000120 048 AM");
 * ```
 */
export function formatCivil(c: Civil, format: string): string {
  const offset = offsetOf(c);
  const yday = daysFromCivil(c.year, c.month, c.day) - daysFromCivil(c.year, 1, 1) + 1;
  const wd = weekday(c);
  const sundayFirst = (wd + 1) % 7;
  return format.replace(/%([a-zA-Z%])/g, (all, d: string) => {
    switch (d) {
      case "a":
        return WEEKDAYS[wd]!.slice(0, 3);
      case "A":
        return WEEKDAYS[wd]!;
      case "b":
      case "h":
        return MONTHS[c.month - 1]!.slice(0, 3);
      case "B":
        return MONTHS[c.month - 1]!;
      case "c":
        return formatCivil(c, "%a %b %e %H:%M:%S %Y");
      case "d":
        return pad(c.day);
      case "e":
        return String(c.day).padStart(2, " ");
      case "f":
        return pad(c.microsecond, 6);
      case "H":
        return pad(c.hour);
      case "I":
        return pad(c.hour % 12 || 12);
      case "j":
        return pad(yday, 3);
      case "m":
        return pad(c.month);
      case "M":
        return pad(c.minute);
      case "p":
        return c.hour < 12 ? "AM" : "PM";
      case "S":
        return pad(c.second);
      case "U":
        return pad(Math.floor((yday + 6 - sundayFirst) / 7));
      case "w":
        return String(sundayFirst);
      case "W":
        return pad(Math.floor((yday + 6 - wd) / 7));
      case "x":
        return formatCivil(c, "%m/%d/%y");
      case "X":
        return formatCivil(c, "%H:%M:%S");
      case "y":
        return pad(c.year % 100);
      case "Y":
        return String(c.year).padStart(4, "0");
      case "z":
        return offset === undefined ? "" : offsetText(offset, "");
      case "Z":
        return c.tz ? tzName(c.tz, offset!) : "";
      case "G":
        return String(isoCalendar(c)[0]);
      case "V":
        return pad(isoCalendar(c)[1]);
      case "u":
        return String(wd + 1);
      case "%":
        return "%";
      default:
        return all;
    }
  });
}

/** A zone's name at an offset: `UTC`, `UTC+01:00`, or the IANA zone's abbreviation. */
function tzName(tz: Tz, offset: number): string {
  if (tz.zone === undefined) return tz.name;
  if (tz.zone === "UTC") return "UTC";
  const name = new Intl.DateTimeFormat("en-US", { timeZone: tz.zone, timeZoneName: "short" })
    .formatToParts(Date.now()).find((p) => p.type === "timeZoneName")?.value;
  return name && !name.startsWith("GMT") ? name : offsetText(offset);
}

/** Python's `isoformat()`: `2024-01-31T12:00:00`, `.ffffff` when set, `+HH:MM` when aware. */
function isoText(c: Civil, sep = "T"): string {
  const offset = offsetOf(c);
  return `${formatCivil(c, "%Y-%m-%d")}${sep}${formatCivil(c, "%H:%M:%S")}${
    c.microsecond ? `.${pad(c.microsecond, 6)}` : ""
  }${offset === undefined ? "" : offsetText(offset)}`;
}

/** Python's `str(timedelta)`: `1 day, 2:03:04`, `-1 day, 23:59:59.500000`. */
function deltaText(us: bigint): string {
  const { days, rest } = splitDays(us);
  const r = Number(rest);
  const time = `${Math.floor(r / 3_600_000_000)}:${pad(Math.floor(r / 60_000_000) % 60)}:${
    pad(Math.floor(r / 1_000_000) % 60)
  }${r % 1_000_000 ? `.${pad(r % 1_000_000, 6)}` : ""}`;
  return days === 0n ? time : `${days} day${days === 1n || days === -1n ? "" : "s"}, ${time}`;
}

/**
 * A call's positional and keyword arguments. minijinja passes keywords as a
 * last Map, as it passes a mapping: a last Map that is one of these values
 * (it has `__kind`) is an argument.
 */
export function splitPyArgs(args: readonly unknown[]): {
  positional: unknown[];
  kwargs: Record<string, unknown>;
} {
  const last = args[args.length - 1];
  if (last instanceof Map && last.has("__kind")) return { positional: args.map(plain), kwargs: {} };
  return splitArgs(args);
}

/**
 * A call's arguments by name: positional ones in the order of `names`, then
 * keywords; more positional arguments than names, or a keyword not among
 * them, is reported (undefined).
 */
export function readArgs(
  args: readonly unknown[],
  names: readonly string[],
  what: string,
  report: Report,
): Record<string, unknown> | undefined {
  const { positional, kwargs } = splitPyArgs(args);
  if (positional.length > names.length) {
    report(
      `${what} takes at most ${names.length} positional arguments (${
        names.join(", ")
      }), got ${positional.length}`,
    );
    return undefined;
  }
  const out: Record<string, unknown> = {};
  positional.forEach((v, i) => out[names[i]!] = v);
  for (const [k, v] of Object.entries(kwargs)) {
    if (!names.includes(k)) {
      report(`${what} got an unexpected keyword argument "${k}" (it takes ${names.join(", ")})`);
      return undefined;
    }
    out[k] = v;
  }
  return out;
}

/** A whole number argument, or a report. */
function int(value: unknown, name: string, what: string, report: Report): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  report(`${what}: ${name} must be a whole number, got ${JSON.stringify(value) ?? String(value)}`);
  return undefined;
}

/** Checks a datetime's fields as Python's constructor does; the problem, or undefined. */
function civilProblem(c: Omit<Civil, "tz">): string | undefined {
  if (c.year < 1 || c.year > 9999) return `year ${c.year} is out of range`;
  if (c.month < 1 || c.month > 12) return "month must be in 1..12";
  if (c.day < 1 || c.day > daysInMonth(c.year, c.month)) return "day is out of range for month";
  if (c.hour < 0 || c.hour > 23) return "hour must be in 0..23";
  if (c.minute < 0 || c.minute > 59) return "minute must be in 0..59";
  if (c.second < 0 || c.second > 59) return "second must be in 0..59";
  if (c.microsecond < 0 || c.microsecond > 999_999) return "microsecond must be in 0..999999";
  return undefined;
}

/** The JavaScript values a template gives back for a value of this module, or undefined. */
function kindOf(value: unknown): string | undefined {
  const v = value instanceof Map ? value.get("__kind") : (value as PyValue | null)?.__kind;
  return typeof v === "string" ? v : undefined;
}

/** A field of a value handed back by a template (a Map) or made here (an object). */
function field(value: unknown, key: string): unknown {
  return value instanceof Map ? value.get(key) : (value as Record<string, unknown>)[key];
}

/** A time zone as a template handed it back. */
export function readTz(value: unknown): Tz | null | undefined {
  if (value === null || value === undefined) return null;
  if (kindOf(value) !== "tzinfo") return undefined;
  const offset = field(value, "_offset");
  const zone = field(value, "_zone");
  return {
    name: String(field(value, "__str")),
    ...(typeof offset === "number" ? { offset } : {}),
    ...(typeof zone === "string" ? { zone } : {}),
  };
}

/** A datetime (or a date, at midnight, naive) as a template handed it back. */
export function readCivil(value: unknown): Civil | undefined {
  const kind = kindOf(value);
  if (kind !== "datetime" && kind !== "date") return undefined;
  const n = (k: string) => Number(field(value, k) ?? 0);
  return {
    year: n("year"),
    month: n("month"),
    day: n("day"),
    hour: n("hour"),
    minute: n("minute"),
    second: n("second"),
    microsecond: n("microsecond"),
    tz: kind === "datetime" ? readTz(field(value, "tzinfo")) ?? null : null,
  };
}

/** A timedelta's microseconds, as a template handed it back. */
export function readDelta(value: unknown): bigint | undefined {
  if (kindOf(value) !== "timedelta") return undefined;
  const n = (k: string) => BigInt(Number(field(value, k) ?? 0));
  return n("days") * US_PER_DAY + n("seconds") * 1_000_000n + n("microseconds");
}

/** Everything this module makes, sharing one way to report. */
export class PyDatetime {
  constructor(private readonly report: Report) {}

  /** A time zone value. */
  tz(tz: Tz): PyValue {
    const value: PyValue = {
      __cmp: tz.offset ?? 0,
      __kind: "tzinfo",
      __str: tz.name,
      ...(tz.offset === undefined ? {} : { _offset: tz.offset }),
      ...(tz.zone === undefined ? {} : { _zone: tz.zone }),
      zone: tz.zone ?? tz.name,
      utcoffset: (dt: unknown) => {
        if (tz.offset !== undefined) return this.delta(BigInt(tz.offset) * 60_000_000n);
        const c = readCivil(dt);
        return c ? this.delta(BigInt(offsetOf({ ...c, tz })!) * 60_000_000n) : null;
      },
      tzname: () => tz.name,
      localize: (dt: unknown) => {
        const c = readCivil(dt);
        if (!c || c.tz) {
          this.report(
            `localize(): expected a naive datetime, got ${c ? "an aware one" : "something else"}`,
          );
          return null;
        }
        return this.datetime({ ...c, tz });
      },
      normalize: (dt: unknown) => {
        const c = readCivil(dt);
        return c ? this.datetime(this.#inZone(c, tz)) : null;
      },
    };
    return value;
  }

  /** The UTC instant of `c` as a wall clock in `tz`. */
  #inZone(c: Civil, tz: Tz): Civil {
    const utc = instantUs(c);
    const offset = tz.offset ?? zoneOffsetAt(tz.zone!, Number(utc / 1000n));
    return fromWallUs(utc + BigInt(offset * 60) * 1_000_000n, tz);
  }

  /** What a date and a datetime both have: the date's fields and the methods of the calendar. */
  #calendar(c: Civil): Record<string, unknown> {
    return {
      year: c.year,
      month: c.month,
      day: c.day,
      strftime: (format: unknown) => formatCivil(c, String(format)),
      weekday: () => weekday(c),
      isoweekday: () => weekday(c) + 1,
      isocalendar: () => isoCalendar(c),
      ctime: () => formatCivil(c, "%a %b %e %H:%M:%S %Y"),
    };
  }

  /** A datetime value. */
  datetime(c: Civil): PyValue {
    const offset = offsetOf(c);
    return {
      __cmp: Number(instantUs(c)),
      __kind: "datetime",
      __str: isoText(c, " "),
      ...this.#calendar(c),
      hour: c.hour,
      minute: c.minute,
      second: c.second,
      microsecond: c.microsecond,
      tzinfo: c.tz ? this.tz(c.tz) : null,
      isoformat: (...args: unknown[]) => {
        const a = readArgs(args, ["sep"], "isoformat()", this.report);
        return a ? isoText(c, a.sep === undefined ? "T" : String(a.sep)) : null;
      },
      replace: (...args: unknown[]) => this.#replace(c, args, true),
      date: () => this.date(c),
      timestamp: () => Number(instantUs(c.tz ? c : { ...c, tz: localTz(c) })) / 1e6,
      utcoffset: () => offset === undefined ? null : this.delta(BigInt(offset) * 60_000_000n),
      tzname: () => c.tz ? tzName(c.tz, offset!) : null,
      astimezone: (tz: unknown) => {
        const to = tz === undefined ? localTz(c) : readTz(plain(tz));
        if (!to) {
          this.report(
            "astimezone(): expected a time zone (modules.pytz.timezone('…'), modules.datetime.timezone.utc)",
          );
          return null;
        }
        return this.datetime(this.#inZone(c.tz ? c : { ...c, tz: localTz(c) }, to));
      },
    };
  }

  /** A date value. */
  date(d: { year: number; month: number; day: number }): PyValue {
    const c: Civil = {
      year: d.year,
      month: d.month,
      day: d.day,
      hour: 0,
      minute: 0,
      second: 0,
      microsecond: 0,
      tz: null,
    };
    return {
      __cmp: Number(wallUs(c)),
      __kind: "date",
      __str: formatCivil(c, "%Y-%m-%d"),
      ...this.#calendar(c),
      isoformat: () => formatCivil(c, "%Y-%m-%d"),
      replace: (...args: unknown[]) => this.#replace(c, args, false),
    };
  }

  /** A timedelta value of `us` microseconds. */
  delta(us: bigint): PyValue {
    const { days, rest } = splitDays(us);
    return {
      __cmp: Number(us),
      __kind: "timedelta",
      __str: deltaText(us),
      days: Number(days),
      seconds: Number(rest / 1_000_000n),
      microseconds: Number(rest % 1_000_000n),
      total_seconds: () => Number(us) / 1e6,
    };
  }

  #replace(c: Civil, args: readonly unknown[], isDatetime: boolean): PyValue | null {
    const names = isDatetime
      ? ["year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo"]
      : ["year", "month", "day"];
    const a = readArgs(args, names, "replace()", this.report);
    if (!a) return null;
    const next: Civil = { ...c };
    for (const k of names) {
      if (!(k in a)) continue;
      if (k === "tzinfo") {
        const tz = readTz(plain(a[k]));
        if (tz === undefined) {
          this.report("replace(tzinfo=…): expected a time zone or none");
          return null;
        }
        next.tz = tz;
        continue;
      }
      const v = int(a[k], k, "replace()", this.report);
      if (v === undefined) return null;
      (next as unknown as Record<string, number>)[k] = v;
    }
    const problem = civilProblem(next);
    if (problem) {
      this.report(`replace(): ${problem}`);
      return null;
    }
    return isDatetime ? this.datetime(next) : this.date(next);
  }

  /**
   * Adds and subtracts, left to right, as Python does: `datetime ± timedelta`,
   * `date ± timedelta` (its days), `timedelta ± timedelta`,
   * `datetime - datetime` and `date - date` (a timedelta).
   */
  arithmetic(first: unknown, rest: readonly unknown[]): PyValue | null {
    let acc: unknown = plain(first);
    for (let i = 0; i + 1 < rest.length; i += 2) {
      const op = rest[i];
      const right = plain(rest[i + 1]);
      const next = this.#operate(acc, String(op), right);
      if (next === null) return null;
      acc = next;
    }
    return acc as PyValue;
  }

  #operate(left: unknown, op: string, right: unknown): PyValue | null {
    const lk = kindOf(left);
    const rk = kindOf(right);
    const sign = op === "-" ? -1n : 1n;
    const name = (v: unknown, k: string | undefined) =>
      k ??
        (typeof v === "string"
          ? "a string"
          : typeof v === "number"
          ? "a number"
          : v === null
          ? "none"
          : "a value");
    const bad = () => {
      this.report(
        `unsupported operand for ${op}: ${name(left, lk)} and ${
          name(right, rk)
        } (modules.datetime adds and subtracts datetimes, dates and timedeltas)`,
      );
      return null;
    };
    if (lk === "timedelta" && rk === "timedelta") {
      return this.delta(readDelta(left)! + sign * readDelta(right)!);
    }
    if ((lk === "datetime" || lk === "date") && rk === "timedelta") {
      const c = readCivil(left)!;
      const d = readDelta(right)!;
      if (lk === "date") {
        // A date adds a timedelta's days only, as Python's does.
        const { days } = splitDays(d);
        const moved = fromWallUs(wallUs(c) + sign * days * US_PER_DAY, null);
        return moved.year < 1 || moved.year > 9999 ? this.#overflow() : this.date(moved);
      }
      const moved = fromWallUs(wallUs(c) + sign * d, c.tz);
      return moved.year < 1 || moved.year > 9999 ? this.#overflow() : this.datetime(moved);
    }
    if (lk === "timedelta" && rk === "datetime" && op === "+") {
      return this.#operate(right, "+", left);
    }
    if (op === "-" && lk === rk && (lk === "datetime" || lk === "date")) {
      const a = readCivil(left)!;
      const b = readCivil(right)!;
      if (!a.tz !== !b.tz) {
        this.report("cannot subtract a naive datetime and an aware one");
        return null;
      }
      return this.delta(a.tz ? instantUs(a) - instantUs(b) : wallUs(a) - wallUs(b));
    }
    return bad();
  }

  #overflow(): null {
    this.report("date value out of range (years 1 to 9999)");
    return null;
  }
}

/** The machine's local time zone as a fixed offset at `c` (what a naive datetime means to Python). */
function localTz(c: Civil): Tz {
  const offset = -new Date(c.year, c.month - 1, c.day, c.hour, c.minute, c.second)
    .getTimezoneOffset();
  return { name: offset === 0 ? "UTC" : `UTC${offsetText(offset)}`, offset };
}

// Python's strptime directives, as regular expressions (its `_strptime` patterns).
const DIRECTIVES: Record<string, string> = {
  d: "(?<d>3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])",
  f: "(?<f>\\d{1,6})",
  H: "(?<H>2[0-3]|[01]\\d|\\d)",
  I: "(?<I>1[0-2]|0[1-9]|[1-9])",
  j: "(?<j>36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])",
  m: "(?<m>1[0-2]|0[1-9]|[1-9])",
  M: "(?<M>[0-5]\\d|\\d)",
  S: "(?<S>6[01]|[0-5]\\d|\\d)",
  y: "(?<y>\\d\\d)",
  Y: "(?<Y>\\d\\d\\d\\d)",
  z: "(?<z>[+-]\\d\\d:?[0-5]\\d(?::?[0-5]\\d(?:\\.\\d{1,6})?)?|Z)",
  b: `(?<b>${MONTHS.map((m) => m.slice(0, 3)).join("|")})`,
  B: `(?<B>${MONTHS.join("|")})`,
  a: `(?<a>${WEEKDAYS.map((d) => d.slice(0, 3)).join("|")})`,
  A: `(?<A>${WEEKDAYS.join("|")})`,
  p: "(?<p>am|pm)",
  "%": "%",
};

/**
 * Python's `datetime.strptime(text, format)`: the directives of
 * {@linkcode DIRECTIVES}, whitespace in the format matching any run of
 * whitespace, the whole text matched. A naive datetime, or an aware one
 * with `%z`; the problem when the text does not match.
 */
export function parseCivil(text: string, format: string): Civil | string {
  let source = "";
  const seen = new Set<string>();
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch === "%" && i + 1 < format.length) {
      const d = format[++i]!;
      const re = DIRECTIVES[d];
      if (re === undefined) return `"%${d}" is not a directive wharf's strptime reads`;
      if (seen.has(d) && d !== "%") return `"%${d}" appears twice in the format`;
      seen.add(d);
      source += re;
    } else if (/\s/.test(ch)) {
      while (i + 1 < format.length && /\s/.test(format[i + 1]!)) i++;
      source += "\\s+";
    } else source += ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }
  const m = new RegExp(`^${source}$`, "i").exec(text);
  if (!m) {
    return `time data ${JSON.stringify(text)} does not match format ${JSON.stringify(format)}`;
  }
  const g = m.groups ?? {};
  const n = (k: string, fallback: number) => g[k] === undefined ? fallback : Number(g[k]);
  const year = g.Y !== undefined
    ? Number(g.Y)
    : g.y !== undefined
    ? (Number(g.y) < 69 ? 2000 : 1900) + Number(g.y)
    : 1900;
  let month = g.m !== undefined
    ? Number(g.m)
    : g.b !== undefined
    ? MONTHS.findIndex((x) => x.slice(0, 3).toLowerCase() === g.b!.toLowerCase()) + 1
    : g.B !== undefined
    ? MONTHS.findIndex((x) => x.toLowerCase() === g.B!.toLowerCase()) + 1
    : 1;
  let day = n("d", 1);
  let hour = n("H", 0);
  if (g.I !== undefined) {
    hour = Number(g.I) % 12 + (g.p?.toLowerCase() === "pm" ? 12 : 0);
  }
  if (g.j !== undefined && g.m === undefined && g.d === undefined) {
    const c = civilFromDays(daysFromCivil(year, 1, 1) + Number(g.j) - 1);
    month = c.month;
    day = c.day;
  }
  let tz: Tz | null = null;
  if (g.z !== undefined) {
    if (g.z.toUpperCase() === "Z") tz = UTC;
    else {
      const z = /^([+-])(\d\d):?(\d\d)/.exec(g.z)!;
      const minutes = (z[1] === "-" ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3]));
      tz = minutes === 0 ? UTC : { name: `UTC${offsetText(minutes)}`, offset: minutes };
    }
  }
  const c: Civil = {
    year,
    month,
    day,
    hour,
    minute: n("M", 0),
    second: n("S", 0),
    microsecond: g.f === undefined ? 0 : Number(g.f.padEnd(6, "0")),
    tz,
  };
  return civilProblem(c) ?? c;
}

/** Python's `fromisoformat`: `YYYY-MM-DD`, with a time after `T` or a space, a fraction and an offset (or `Z`). */
function parseIso(text: string): Civil | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d{1,6})\d*)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/
      .exec(text.trim());
  if (!m) return undefined;
  let tz: Tz | null = null;
  if (m[8] === "Z") tz = UTC;
  else if (m[8]) {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(m[8])!;
    const minutes = (z[1] === "-" ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
    tz = minutes === 0 ? UTC : { name: `UTC${offsetText(minutes)}`, offset: minutes };
  }
  const c: Civil = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    microsecond: Number((m[7] ?? "").padEnd(6, "0")),
    tz,
  };
  return civilProblem(c) ? undefined : c;
}

/** The wall clock of `date` (a JavaScript instant) in the machine's zone, naive. */
function localCivil(date: Date): Civil {
  return {
    year: date.getFullYear(),
    month: date.getMonth() + 1,
    day: date.getDate(),
    hour: date.getHours(),
    minute: date.getMinutes(),
    second: date.getSeconds(),
    microsecond: date.getMilliseconds() * 1000,
    tz: null,
  };
}

/** The wall clock of `date` (a JavaScript instant) in UTC, naive. */
export function utcCivil(date: Date): Civil {
  return fromWallUs(BigInt(date.getTime()) * 1000n, null);
}

/**
 * `modules.datetime`, flattened: each name a template may reach (`datetime`,
 * `datetime.now`, `timedelta`, `timezone.utc`, …) to its value. A class is
 * a function (its constructor) with its attributes beside it.
 */
export function datetimeModule(
  report: Report,
  now: () => Date = () => new Date(),
): Record<string, unknown> {
  const py = new PyDatetime(report);
  const ctor = (names: string[], what: string, required: number, args: readonly unknown[]) => {
    const a = readArgs(args, names, what, report);
    if (!a) return undefined;
    const missing = names.slice(0, required).find((k) => a[k] === undefined);
    if (missing) {
      report(`${what} needs "${missing}"`);
      return undefined;
    }
    return a;
  };
  const nums = (a: Record<string, unknown>, names: string[], what: string) => {
    const out: Record<string, number> = {};
    for (const k of names) {
      if (a[k] === undefined) continue;
      const v = int(a[k], k, what, report);
      if (v === undefined) return undefined;
      out[k] = v;
    }
    return out;
  };
  const tzArg = (value: unknown, what: string): Tz | null | undefined => {
    const tz = readTz(plain(value));
    if (tz === undefined) {
      report(
        `${what}: expected a time zone (modules.pytz.timezone('…'), modules.datetime.timezone.utc) or none`,
      );
    }
    return tz;
  };
  const fromInstant = (date: Date, tz: unknown, what: string) => {
    if (tz === undefined || tz === null) return py.datetime(localCivil(date));
    const zone = tzArg(tz, what);
    if (zone === undefined) return null;
    const c = utcCivil(date);
    const offset = zone?.offset ?? zoneOffsetAt(zone!.zone!, date.getTime());
    return py.datetime(fromWallUs(wallUs(c) + BigInt(offset * 60) * 1_000_000n, zone));
  };
  const datetime = (...args: unknown[]) => {
    const names = ["year", "month", "day", "hour", "minute", "second", "microsecond", "tzinfo"];
    const a = ctor(names, "datetime()", 3, args);
    const n = a && nums(a, names.slice(0, -1), "datetime()");
    if (!a || !n) return null;
    const tz = a.tzinfo === undefined ? null : tzArg(a.tzinfo, "datetime(tzinfo=…)");
    if (tz === undefined) return null;
    const c: Civil = { hour: 0, minute: 0, second: 0, microsecond: 0, ...n, tz } as Civil;
    const problem = civilProblem(c);
    if (problem) {
      report(`datetime(): ${problem}`);
      return null;
    }
    return py.datetime(c);
  };
  const date = (...args: unknown[]) => {
    const a = ctor(["year", "month", "day"], "date()", 3, args);
    const n = a && nums(a, ["year", "month", "day"], "date()");
    if (!n) return null;
    const problem = civilProblem({ ...n, hour: 0, minute: 0, second: 0, microsecond: 0 } as Civil);
    if (problem) {
      report(`date(): ${problem}`);
      return null;
    }
    return py.date(n as { year: number; month: number; day: number });
  };
  const timedelta = (...args: unknown[]) => {
    const names = ["days", "seconds", "microseconds", "milliseconds", "minutes", "hours", "weeks"];
    const a = ctor(names, "timedelta()", 0, args);
    if (!a) return null;
    const scale: Record<string, number> = {
      days: 86_400e6,
      seconds: 1e6,
      microseconds: 1,
      milliseconds: 1e3,
      minutes: 60e6,
      hours: 3_600e6,
      weeks: 604_800e6,
    };
    let us = 0;
    for (const k of names) {
      if (a[k] === undefined) continue;
      if (typeof a[k] !== "number") {
        report(`timedelta(): ${k} must be a number, got ${JSON.stringify(a[k])}`);
        return null;
      }
      us += (a[k] as number) * scale[k]!;
    }
    return py.delta(BigInt(Math.round(us)));
  };
  const timezone = (...args: unknown[]) => {
    const a = ctor(["offset", "name"], "timezone()", 1, args);
    if (!a) return null;
    const us = readDelta(plain(a.offset));
    if (us === undefined || us % 60_000_000n !== 0n || us <= -US_PER_DAY || us >= US_PER_DAY) {
      report("timezone(): expected a timedelta of whole minutes, less than a day");
      return null;
    }
    const minutes = Number(us / 60_000_000n);
    return py.tz({
      name: a.name === undefined
        ? minutes === 0 ? "UTC" : `UTC${offsetText(minutes)}`
        : String(a.name),
      offset: minutes,
    });
  };
  const strptime = (text: unknown, format: unknown) => {
    const c = parseCivil(String(text), String(format));
    if (typeof c === "string") {
      report(`datetime.strptime(): ${c}`);
      return null;
    }
    return py.datetime(c);
  };
  const fromisoformat = (kind: "datetime" | "date") => (text: unknown) => {
    const c = parseIso(String(text));
    if (!c || (kind === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(String(text).trim()))) {
      report(`${kind}.fromisoformat(): invalid isoformat string ${JSON.stringify(text)}`);
      return null;
    }
    return kind === "date" ? py.date(c) : py.datetime(c);
  };
  const seconds = (ts: unknown, what: string) => {
    if (typeof ts === "number") return new Date(ts * 1000);
    report(`${what}: expected a number of seconds, got ${JSON.stringify(ts)}`);
    return undefined;
  };
  const utcTz = py.tz(UTC);
  return {
    datetime,
    "datetime.now": (tz?: unknown) => fromInstant(now(), tz, "datetime.now()"),
    "datetime.utcnow": () => py.datetime(utcCivil(now())),
    "datetime.today": () => py.datetime(localCivil(now())),
    "datetime.strptime": strptime,
    "datetime.fromisoformat": fromisoformat("datetime"),
    "datetime.fromtimestamp": (ts: unknown, tz?: unknown) => {
      const d = seconds(ts, "datetime.fromtimestamp()");
      return d ? fromInstant(d, tz, "datetime.fromtimestamp()") : null;
    },
    "datetime.utcfromtimestamp": (ts: unknown) => {
      const d = seconds(ts, "datetime.utcfromtimestamp()");
      return d ? py.datetime(utcCivil(d)) : null;
    },
    "datetime.combine": (d: unknown, t: unknown) => {
      const c = readCivil(plain(d));
      if (!c || kindOf(plain(t)) !== "datetime") {
        report(
          "datetime.combine(): expected a date and a datetime (wharf has no time values: use replace())",
        );
        return null;
      }
      const time = readCivil(plain(t))!;
      return py.datetime({
        ...c,
        hour: time.hour,
        minute: time.minute,
        second: time.second,
        microsecond: time.microsecond,
        tz: time.tz,
      });
    },
    "datetime.min": py.datetime({
      year: 1,
      month: 1,
      day: 1,
      hour: 0,
      minute: 0,
      second: 0,
      microsecond: 0,
      tz: null,
    }),
    "datetime.max": py.datetime({
      year: 9999,
      month: 12,
      day: 31,
      hour: 23,
      minute: 59,
      second: 59,
      microsecond: 999_999,
      tz: null,
    }),
    date,
    "date.today": () => py.date(localCivil(now())),
    "date.fromisoformat": fromisoformat("date"),
    "date.fromtimestamp": (ts: unknown) => {
      const d = seconds(ts, "date.fromtimestamp()");
      return d ? py.date(localCivil(d)) : null;
    },
    "date.min": py.date({ year: 1, month: 1, day: 1 }),
    "date.max": py.date({ year: 9999, month: 12, day: 31 }),
    timedelta,
    "timedelta.min": py.delta(-999_999_999n * US_PER_DAY),
    "timedelta.max": py.delta(999_999_999n * US_PER_DAY + US_PER_DAY - 1n),
    timezone,
    "timezone.utc": utcTz,
    MINYEAR: 1,
    MAXYEAR: 9999,
    __py: py,
    __utc: utcTz,
  };
}

/** The value of an IANA zone's time zone (pytz's `timezone(name)`). */
export function zoneValue(py: PyDatetime, name: string): PyValue {
  return py.tz(name === "UTC" ? { ...UTC, zone: "UTC" } : { name, zone: name });
}
