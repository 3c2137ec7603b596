/**
 * Values printed as dbt's Jinja (Jinja2, Python) prints them. minijinja
 * prints `none`, `true`, `["a"]`, `{"a": 1}` and `100000000000000000000.0`
 * where Python prints `None`, `True`, `['a']`, `{'a': 1}` and `1e+20`, and
 * lets no finalizer be registered from JavaScript, so the template
 * rewriter (`rewrite_print.ts`) sends each printed value through
 * minijinja's `pprint` filter (which keeps every type apart: `3` and
 * `3.0`, `none` and undefined, text and numbers) to the filter
 * `__wharf_str`, which reads that text back and prints the value as
 * Python's `str()` does. `round` is Python's too (`__wharf_round`), and
 * tuple literals are remembered (`__wharf_tuple_item`) so they print as
 * tuples: see {@linkcode addPyPrinting}.
 *
 * @module
 */
import type { Environment } from "minijinja-js";
import { splitArgs } from "./jinja_args.ts";

/** A value as minijinja's `pprint` filter shows it. */
export type Shown =
  | { kind: "str"; value: string }
  | { kind: "int"; digits: string }
  | { kind: "float"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "none" }
  | { kind: "undefined" }
  | { kind: "seq"; items: Shown[] }
  | { kind: "map"; entries: [Shown, Shown][] }
  /** What has no literal form (`<macro m>`, a function): its text. */
  | { kind: "opaque"; text: string };

/** Reads the text of minijinja's `pprint` filter (Rust's `{:#?}` of its value). */
export function readShown(text: string): Shown {
  let i = 0;
  const space = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (): Shown => {
    space();
    const c = text[i];
    if (c === '"') return { kind: "str", value: string() };
    if (c === "[" || c === "{") {
      const close = c === "[" ? "]" : "}";
      i++;
      const items: Shown[] = [];
      const entries: [Shown, Shown][] = [];
      for (;;) {
        space();
        if (text[i] === close) {
          i++;
          break;
        }
        const first = value();
        space();
        if (c === "{") {
          if (text[i] !== ":") throw new Error(`cannot read ${JSON.stringify(text)}`);
          i++;
          entries.push([first, value()]);
          space();
        } else items.push(first);
        if (text[i] === ",") i++;
        else if (text[i] !== close) throw new Error(`cannot read ${JSON.stringify(text)}`);
      }
      return c === "[" ? { kind: "seq", items } : { kind: "map", entries };
    }
    // A word: a number, true/false/none/undefined, or what has no literal form.
    const start = i;
    let depth = 0;
    for (; i < text.length; i++) {
      const d = text[i]!;
      if (d === "<" || d === "{") depth++;
      else if ((d === ">" || d === "}") && depth > 0) depth--;
      else if (depth === 0 && (d === "," || d === "]" || d === "}" || d === "\n")) break;
    }
    const word = text.slice(start, i).trim();
    if (/^-?\d+$/.test(word)) return { kind: "int", digits: word };
    if (/^-?(\d+\.\d+|\d+(\.\d+)?e-?\d+|inf)$|^NaN$/.test(word)) {
      return { kind: "float", value: Number(word.replace("inf", "Infinity")) };
    }
    if (word === "true" || word === "false") return { kind: "bool", value: word === "true" };
    if (word === "none" || word === "undefined") return { kind: word };
    return { kind: "opaque", text: word };
  };
  /** A Rust debug string literal at `i`: `"…"` with `\"`, `\\`, `\n`, `\u{1f}` … */
  const string = (): string => {
    let out = "";
    for (i++; i < text.length; i++) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return out;
      }
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = text[++i]!;
      if (e === "u") {
        const end = text.indexOf("}", i);
        out += String.fromCodePoint(parseInt(text.slice(i + 2, end), 16));
        i = end;
      } else out += { n: "\n", r: "\r", t: "\t", "0": "\0" }[e] ?? e;
    }
    throw new Error(`cannot read ${JSON.stringify(text)}`);
  };
  const out = value();
  space();
  if (i < text.length) throw new Error(`cannot read ${JSON.stringify(text)}`);
  return out;
}

/**
 * A float as Python's `repr()` (and `str()`) prints it: the shortest
 * digits that read back, in scientific form below 1e-4 and from 1e16.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pyFloat } from "./py_print.ts";
 *
 * assert.deepEqual([1e20, 0.1 + 0.2, 3, 1e-5, 1e15].map(pyFloat), ["1e+20", "0.30000000000000004", "3.0", "1e-05", "1000000000000000.0"]);
 * ```
 */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mantissa, exp] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "");
  const e = Number(exp);
  const sign = x < 0 ? "-" : "";
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  if (e < 0) return `${sign}0.${"0".repeat(-e - 1)}${digits}`;
  const whole = digits.slice(0, e + 1).padEnd(e + 1, "0");
  const fraction = digits.slice(e + 1);
  return `${sign}${whole}.${fraction || "0"}`;
}

/**
 * Text as Python's `repr()` prints it: in single quotes unless it holds a
 * single quote and no double quote; backslashes, that quote, `\t`, `\n`,
 * `\r` and characters that do not print escaped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pyStrRepr } from "./py_print.ts";
 *
 * assert.deepEqual(["paid", "it's", `both ' "`, "a\\b\n"].map(pyStrRepr), ["'paid'", `"it's"`, `'both \\' "'`, "'a\\\\b\\n'"]);
 * ```
 */
export function pyStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const c of text) {
    if (c === quote || c === "\\") out += `\\${c}`;
    else if (c === "\t") out += "\\t";
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c !== " " && /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u.test(c)) {
      const code = c.codePointAt(0)!;
      out += code < 0x100
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : code < 0x10000
        ? `\\u${code.toString(16).padStart(4, "0")}`
        : `\\U${code.toString(16).padStart(8, "0")}`;
    } else out += c;
  }
  return out + quote;
}

/**
 * The key of a value for telling whether a tuple literal made it: the same
 * for a value as a JavaScript function receives it and as `pprint` shows
 * it (numbers as JavaScript numbers, none and undefined alike).
 */
function keyOf(value: unknown): string {
  if (value instanceof Map) {
    return `{${[...value].map(([k, v]) => `${keyOf(k)}:${keyOf(v)}`).join(",")}}`;
  }
  if (Array.isArray(value)) return `[${value.map(keyOf).join(",")}]`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "bigint") return String(Number(value));
  if (typeof value === "boolean") return String(value);
  if (value === undefined || value === null) return "null";
  if (typeof value === "function") return "fn";
  return `{${
    Object.entries(value as Record<string, unknown>).map(([k, v]) =>
      `${JSON.stringify(k)}:${keyOf(v)}`
    ).join(",")
  }}`;
}

/** {@linkcode keyOf} of a value as `pprint` shows it. */
function keyOfShown(s: Shown): string {
  switch (s.kind) {
    case "seq":
      return `[${s.items.map(keyOfShown).join(",")}]`;
    case "map":
      return `{${s.entries.map(([k, v]) => `${keyOfShown(k)}:${keyOfShown(v)}`).join(",")}}`;
    case "str":
      return JSON.stringify(s.value);
    case "int":
      return String(Number(s.digits));
    case "float":
      return String(s.value);
    case "bool":
      return String(s.value);
    case "none":
    case "undefined":
      return "null";
    case "opaque":
      return "fn";
  }
}

/** The text of a mapping's key `name`, when it has one. */
function entry(s: Shown & { kind: "map" }, name: string): string | undefined {
  const e = s.entries.find(([k]) => k.kind === "str" && k.value === name)?.[1];
  return e?.kind === "str" ? e.value : undefined;
}

/**
 * Prints values as Python does. minijinja has no tuples: a list prints
 * as a tuple when a tuple literal of the render had the same items. A
 * mapping prints its keys in written order when `orderOf` knows it (see
 * `map_order.ts`), else sorted, as minijinja keeps them.
 */
export class PyPrinter {
  readonly #orderOf: (keys: readonly unknown[]) => readonly unknown[] | undefined;

  constructor(orderOf: (keys: readonly unknown[]) => readonly unknown[] | undefined = () => {
    return undefined;
  }) {
    this.#orderOf = orderOf;
  }

  /** The items of each tuple literal the render made, the last one being read. */
  #tuples: unknown[][] = [];
  /** Their keys; undefined when an item came since. */
  #keys: Set<string> | undefined;

  /** A tuple literal's items follow. */
  openTuple(): void {
    this.#tuples.push([]);
    this.#keys = undefined;
  }

  /** An item of the tuple literal opened last. */
  tupleItem(value: unknown): void {
    this.#tuples.at(-1)?.push(value);
    this.#keys = undefined;
  }

  /** A tuple the render made other than by a literal (a mapping's `items()` pair). */
  tuple(items: readonly unknown[]): void {
    this.#tuples.push([...items]);
    this.#keys = undefined;
  }

  /** Forgets the tuples (a new render). */
  clear(): void {
    this.#tuples = [];
    this.#keys = undefined;
  }

  /** Python's `str()` of a value as `pprint` shows it (undefined prints nothing, as Jinja2's). */
  str(s: Shown): string {
    if (s.kind === "str") return s.value;
    if (s.kind === "undefined") return "";
    if (s.kind === "map" && entry(s, "__kind") !== undefined) {
      const text = entry(s, "__str");
      if (text !== undefined) return text; // a relation or a modules.datetime value
    }
    return this.repr(s);
  }

  /** Python's `repr()` of a value as `pprint` shows it. */
  repr(s: Shown): string {
    switch (s.kind) {
      case "str":
        return pyStrRepr(s.value);
      case "int":
        return s.digits;
      case "float":
        return pyFloat(s.value);
      case "bool":
        return s.value ? "True" : "False";
      case "none":
        return "None";
      case "undefined":
        return "Undefined";
      case "seq": {
        const items = s.items.map((v) => this.repr(v));
        this.#keys ??= new Set(this.#tuples.map(keyOf));
        if (!this.#keys.has(keyOfShown(s))) return `[${items.join(", ")}]`;
        return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
      }
      case "map": {
        const kind = entry(s, "__kind");
        if (kind !== undefined) {
          throw new Error(
            `a ${kind} value (${
              entry(s, "__str") ?? kind
            }) inside a list or mapping cannot be printed as dbt prints it (Python's repr): print the value itself`,
          );
        }
        return `{${
          this.#inWrittenOrder(s.entries).map(([k, v]) => `${this.repr(k)}: ${this.repr(v)}`)
            .join(", ")
        }}`;
      }
      case "opaque":
        throw new Error(
          `${s.text} cannot be printed as dbt prints it (it has no text of its own in wharf's Jinja)`,
        );
    }
  }

  /** A mapping's entries (keys sorted) in the order its keys were written, when that is known. */
  #inWrittenOrder(entries: [Shown, Shown][]): [Shown, Shown][] {
    if (entries.length < 2) return entries;
    const keys = entries.map(([k]) =>
      k.kind === "str" ? k.value : k.kind === "int" ? Number(k.digits) : undefined
    );
    if (keys.includes(undefined)) return entries;
    const order = this.#orderOf(keys);
    if (order === undefined) return entries;
    const at = (k: unknown) => order.indexOf(k);
    return entries.map((e, i) => [e, at(keys[i])] as const).sort((a, b) => a[1] - b[1]).map((
      [e],
    ) => e);
  }
}

/**
 * Python's `round(value, precision)` of a float (the decimal nearest the
 * binary value, ties to even), or Jinja2's `ceil`/`floor` methods.
 */
function roundFloat(x: number, precision: number, method: string): number {
  if (!Number.isFinite(x)) return x;
  if (method !== "common") {
    const scale = 10 ** precision;
    return (method === "ceil" ? Math.ceil(x * scale) : Math.floor(x * scale)) / scale;
  }
  // x exactly as a fraction num / den of BigInts.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  if (exponent !== 0) mantissa |= 1n << 52n;
  const e = (exponent === 0 ? 1 : exponent) - 1075;
  let num = mantissa * (e > 0 ? 1n << BigInt(e) : 1n);
  let den = e < 0 ? 1n << BigInt(-e) : 1n;
  // Scaled by 10^precision: round num / den to the nearest integer, ties to even.
  if (precision >= 0) num *= 10n ** BigInt(precision);
  else den *= 10n ** BigInt(-precision);
  let q = num / den;
  const twice = 2n * (num % den);
  if (twice > den || (twice === den && q % 2n === 1n)) q++;
  const text = precision >= 0 ? `${q}e-${precision}` : `${q}e${-precision}`;
  return (x < 0 ? -1 : 1) * Number(text);
}

/**
 * Jinja2's `round` filter as Python runs it, on a value as `pprint` shows
 * it: a float is rounded by Python's `round()` (`2.675` to 2 places is
 * `2.67`, `2.5` is `2.0`) or `math.ceil`/`math.floor`; an integer stays one
 * by `common` (`round(1234, -2)` is `1200`) and is a float by the others.
 *
 * @returns the number and whether it is a float.
 */
export function pyRound(
  s: Shown,
  precision: unknown = 0,
  method: unknown = "common",
): { value: number; float: boolean } {
  if (method !== "common" && method !== "ceil" && method !== "floor") {
    throw new Error(
      `round(method=${JSON.stringify(method)}): method must be common, ceil or floor`,
    );
  }
  if (typeof precision !== "number" || !Number.isInteger(precision)) {
    throw new Error(`round(${JSON.stringify(precision)}): the precision must be an integer`);
  }
  if (s.kind === "int" || s.kind === "bool") {
    const n = s.kind === "bool" ? Number(s.value) : Number(s.digits);
    if (method !== "common") return { value: roundFloat(n, precision, method), float: true };
    if (precision >= 0) return { value: n, float: false };
    const scale = 10n ** BigInt(-precision);
    const big = s.kind === "bool" ? BigInt(n) : BigInt(s.digits);
    const magnitude = big < 0n ? -big : big;
    let q = magnitude / scale;
    const twice = 2n * (magnitude % scale);
    if (twice > scale || (twice === scale && q % 2n === 1n)) q++;
    return { value: Number((big < 0n ? -q : q) * scale), float: false };
  }
  if (s.kind === "float") return { value: roundFloat(s.value, precision, method), float: true };
  throw new Error(`round() takes a number, not ${new PyPrinter().repr(s)}`);
}

/** The value that opens a tuple literal's items in `select('__wharf_tuple_item')`. */
export const TUPLE_OPEN = "\u0005tuple";

/**
 * Adds to `env` what the rewriter's printing uses (see the module doc):
 * the filters `__wharf_str` (Python's `str()` of a `pprint` text) and
 * `__wharf_round` (Python's round; `[value]` or, for a float holding a
 * whole number, `[0.5, -0.5, value]`, which `| sum` makes the float), and
 * the test `__wharf_tuple_item`, which keeps each item of a tuple literal
 * and remembers the tuple. What cannot be printed is reported with
 * `report`, with where it is when that is known (a function that throws
 * would stop minijinja without a message).
 *
 * @returns the printer: clear it before each render.
 */
export function addPyPrinting(
  env: Environment,
  report: (message: string, at?: RegExp) => void,
  orderOf?: (keys: readonly unknown[]) => readonly unknown[] | undefined,
): PyPrinter {
  const printer = new PyPrinter(orderOf);
  const guarded = <T>(fallback: T, f: () => T, at?: RegExp): T => {
    try {
      return f();
    } catch (err) {
      report(err instanceof Error ? err.message : String(err), at);
      return fallback;
    }
  };
  env.addFilter(
    "__wharf_str",
    (text: unknown) => guarded("", () => printer.str(readShown(String(text)))),
  );
  env.addFilter(
    "__wharf_round",
    (text: unknown, ...args: unknown[]) =>
      guarded<number[]>([], () => {
        const { positional, kwargs } = splitArgs(args);
        const { value, float } = pyRound(
          readShown(String(text)),
          kwargs.precision ?? positional[0],
          kwargs.method ?? positional[1],
        );
        return float && Number.isSafeInteger(value) ? [0.5, -0.5, value] : [value];
      }, /\|\s*round\b/),
  );
  env.addTest("__wharf_tuple_item", (value: unknown) => {
    if (value === TUPLE_OPEN) printer.openTuple();
    else printer.tupleItem(value);
    return value !== TUPLE_OPEN;
  });
  return printer;
}
