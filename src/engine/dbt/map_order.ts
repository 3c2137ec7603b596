/**
 * Mappings in the order they were written. Jinja2's mappings are Python
 * dicts, which iterate in insertion order; minijinja-js keeps a mapping's
 * keys sorted. So wharf records, while a template renders, each mapping's
 * written order under its set of keys ({@linkcode MapOrders}): a `{…}`
 * literal's and a `dict(k=v, …)` call's as they are evaluated, and those of
 * the values JavaScript hands the template (vars, config and meta from
 * YAML, `fromjson()`, the context) as they are handed over. The places that
 * iterate a mapping are rewritten ({@linkcode rewriteMapOrder}) to take its
 * keys in that order from JavaScript; a mapping whose order is not known,
 * or whose keys were written in two orders, is an error naming the line.
 *
 * @module
 */
import { plain } from "./jinja_args.ts";
import { closingBracket, KEYWORDS, type Token, tokenize } from "./jinja_tokens.ts";

/** Where a template iterates a mapping: the line, and the macro file when it is not the template. */
export interface MapSite {
  line: number;
  path?: string;
}

/** Filters that read the items of what they filter: of a mapping, its keys. */
const ITERATING = new Set([
  "list",
  "join",
  "first",
  "last",
  "reverse",
  "map",
  "select",
  "reject",
  "selectattr",
  "rejectattr",
  "unique",
  "batch",
  "slice",
]);

/** A mapping's methods that iterate it, and the helper giving their value in written order. */
const METHODS: Record<string, string> = {
  keys: "__wharf_keys",
  values: "__wharf_values",
  items: "__wharf_items",
};

/** Calls that do nothing but give a value: an operand calling only these may be read twice. */
const PURE_CALLS = new Set([
  "var",
  "fromjson",
  "tojson",
  "env_var",
  "range",
  "dict",
  "zip",
  "__wharf_config_get",
  "__wharf_config_require",
  "__wharf_index",
  "__wharf_row_method",
  "__wharf_order",
  "__wharf_keys",
  "__wharf_values",
  "__wharf_items",
]);

/**
 * The code of one tag with each place that iterates a mapping taking its
 * keys in written order, and each mapping the code writes recording its
 * order (run after the other rewrites of `rewrite_jinja.ts`):
 *
 * - `{'b': 1, 'a': 2}` and `dict(b=1, a=2)` (two keys or more, each a
 *   literal or a name) become `(__wharf_order('b', 'a') and {…})`;
 * - `m.items()`, `m.keys()`, `m.values()` and `m | items` become
 *   `__wharf_items(m, …)` (and so on) when `m` is a mapping without such a
 *   method of its own;
 * - the iterable of `{% for %}` and what `| list`, `| join`, `| first` and
 *   the other filters that read items filter become its keys in order
 *   when it is a mapping: `(__wharf_keys(m, …) if m is mapping else m)`,
 *   or `__wharf_iter(m, …)` when reading `m` twice would call something
 *   twice (a macro).
 *
 * `statement`: the code is a `{% … %}` tag's. `site`: the tag's first line
 * (and the macro file it is in), handed to the helpers for their errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewriteMapOrder } from "./map_order.ts";
 *
 * assert.equal(
 *   rewriteMapOrder(" for k in d ", true, { line: 3 }),
 *   ' for k in (__wharf_keys(d, "for", 3) if d is mapping else d) ',
 * );
 * assert.equal(
 *   rewriteMapOrder(" set d = {'b': 1, 'a': 2} ", true, { line: 1 }),
 *   " set d = (__wharf_order('b', 'a') and {'b': 1, 'a': 2}) ",
 * );
 * ```
 */
export function rewriteMapOrder(code: string, statement: boolean, site: MapSite): string {
  if (!/[{|]|\bfor\b|\.\s*(?:items|keys|values)\s*\(|\bdict\s*\(/.test(code)) return code;
  const tokens = tokenize(code);
  if (tokens.length === 0) return code;
  const match = (open: number): number => closingBracket(tokens, open);
  /** The helper's arguments after the value: what iterates, the line, the macro file. */
  const at = (what: string, token: Token): string => {
    const line = site.line + (code.slice(0, token.start).match(/\n/g)?.length ?? 0);
    return `${JSON.stringify(what)}, ${line}${
      site.path === undefined ? "" : `, ${JSON.stringify(site.path)}`
    }`;
  };
  /** Tokens `[a, b)` call nothing but {@linkcode PURE_CALLS} (methods are read, not run). */
  const pure = (a: number, b: number): boolean => {
    for (let k = a; k < b; k++) {
      if (tokens[k]!.text !== "(") continue;
      const prev = tokens[k - 1];
      if (prev === undefined || k === a) continue;
      if (prev.kind === "close") return false;
      if (prev.kind === "name" && !KEYWORDS.has(prev.text) && tokens[k - 2]?.text !== ".") {
        if (!PURE_CALLS.has(prev.text)) return false;
      }
    }
    return true;
  };
  /** The value `value` (tokens `[a, b)`) as its keys in order when it is a mapping. */
  const keysOf = (value: string, a: number, b: number, what: string): string =>
    pure(a, b)
      ? `(__wharf_keys(${value}, ${at(what, tokens[a]!)}) if ${value} is mapping else ${value})`
      : `__wharf_iter(${value}, ${at(what, tokens[a]!)})`;
  /** The text of tokens `[a, b)`, rewritten. */
  const span = (a: number, b: number): string => {
    if (a >= b) return "";
    let out = "";
    let last = tokens[a]!.start;
    for (let i = a; i < b;) {
      const t = tokens[i]!;
      const prev = tokens[i - 1]?.text;
      if (
        t.kind === "name" && (prev === "|" || prev === "is" ||
          (prev === "not" && tokens[i - 2]?.text === "is"))
      ) {
        // A filter's or a test's name, and its arguments.
        const close = tokens[i + 1]?.text === "(" && i + 1 < b ? match(i + 1) : -1;
        if (close < 0 || close >= b) {
          i++;
          continue;
        }
        out += code.slice(last, t.start) + code.slice(t.start, tokens[i + 1]!.start) + "(" +
          inner(i + 1, close) + ")";
        last = tokens[close]!.end;
        i = close + 1;
        continue;
      }
      const operand = t.kind === "string" || t.kind === "number" || t.kind === "open" ||
        (t.kind === "name" && !KEYWORDS.has(t.text));
      if (!operand) {
        i++;
        continue;
      }
      const o = chain(i, b);
      out += code.slice(last, t.start) + o.text;
      last = tokens[o.end - 1]!.end;
      i = o.end;
    }
    return out + code.slice(last, tokens[b - 1]!.end);
  };
  /** What is between the bracket tokens `open` and `close`, rewritten. */
  const inner = (open: number, close: number): string =>
    close === open + 1
      ? code.slice(tokens[open]!.end, tokens[close]!.start)
      : code.slice(tokens[open]!.end, tokens[open + 1]!.start) + span(open + 1, close) +
        code.slice(tokens[close - 1]!.end, tokens[close]!.start);
  /** The parts of the bracket's content `(open, close)` split at its top-level commas. */
  const parts = (open: number, close: number): [number, number][] => {
    const out: [number, number][] = [];
    let depth = 0;
    let from = open + 1;
    for (let k = open + 1; k < close; k++) {
      const t = tokens[k]!;
      if (t.kind === "open") depth++;
      else if (t.kind === "close") depth--;
      else if (depth === 0 && t.text === ",") {
        out.push([from, k]);
        from = k + 1;
      }
    }
    if (from < close) out.push([from, close]);
    return out;
  };
  /** The keys a `{…}` literal writes, or undefined when one is no literal or name. */
  const literalKeys = (open: number, close: number): string[] | undefined => {
    const keys: string[] = [];
    for (const [a, b] of parts(open, close)) {
      let colon = a;
      while (colon < b && tokens[colon]!.text !== ":") colon++;
      if (colon === b || !pure(a, colon)) return undefined;
      keys.push(code.slice(tokens[a]!.start, tokens[colon - 1]!.end));
    }
    return keys;
  };
  /** The keyword names of a call's arguments `(open, close)`, when it has only those. */
  const keywordNames = (open: number, close: number): string[] | undefined => {
    const names: string[] = [];
    for (const [a, b] of parts(open, close)) {
      const [name, eq] = [tokens[a]!, tokens[a + 1]];
      if (name.kind !== "name" || eq?.text !== "=" || a + 1 >= b) return undefined;
      names.push(JSON.stringify(name.text));
    }
    return names;
  };
  /**
   * An operand from token `i` (a primary and what follows it: `.name`,
   * `[…]`, `(…)`, then a filter that reads items), rewritten, and where it ends.
   */
  const chain = (i: number, b: number): { text: string; end: number; listed: boolean } => {
    const head = tokens[i]!;
    let text: string;
    let k: number;
    /** The operand so far is a method's list of a mapping's keys, values or items. */
    let listed = false;
    if (head.kind === "open") {
      const close = match(i);
      if (close < 0 || close >= b) {
        return { text: code.slice(head.start, head.end), end: i + 1, listed };
      }
      text = `${head.text}${inner(i, close)}${tokens[close]!.text}`;
      if (head.text === "{") {
        const keys = literalKeys(i, close);
        if (keys !== undefined && keys.length > 1) {
          text = `(__wharf_order(${keys.join(", ")}) and ${text})`;
        }
      }
      k = close + 1;
    } else {
      text = head.text;
      k = i + 1;
    }
    while (k < b) {
      const t = tokens[k]!;
      const gap = code.slice(tokens[k - 1]!.end, t.start);
      if (t.text === "." && tokens[k + 1]?.kind === "name" && k + 1 < b) {
        const name = tokens[k + 1]!.text;
        const helper = Object.hasOwn(METHODS, name) ? METHODS[name] : undefined;
        if (helper && tokens[k + 2]?.text === "(" && tokens[k + 3]?.text === ")" && k + 3 < b) {
          const where = at(`.${name}()`, tokens[k + 1]!);
          text = pure(i, k)
            ? `(${helper}(${text}, ${where}) if ${text} is mapping and ${text}.${name} is undefined else ${text}.${name}())`
            : `${helper}(${text}, ${where})`;
          listed = true;
          k += 4;
          continue;
        }
        text += `${gap}.${code.slice(tokens[k + 1]!.start, tokens[k + 1]!.end)}`;
        listed = false;
        k += 2;
        continue;
      }
      if (t.kind !== "open" || t.text === "{") break;
      const close = match(k);
      if (close < 0 || close >= b) break;
      const args = `${t.text}${inner(k, close)}${tokens[close]!.text}`;
      const names = k === i + 1 && head.text === "dict" && t.text === "("
        ? keywordNames(k, close)
        : undefined;
      text = names !== undefined && names.length > 1
        ? `(__wharf_order(${names.join(", ")}) and ${text}${gap}${args})`
        : `${text}${gap}${args}`;
      listed = false;
      k = close + 1;
    }
    const filter = tokens[k]?.text === "|" && k + 1 < b ? tokens[k + 1]! : undefined;
    if (filter?.text === "items" && tokens[k + 2]?.text !== "(") {
      const where = at("| items", filter);
      text = pure(i, k)
        ? `(__wharf_items(${text}, ${where}) if ${text} is mapping else ${text} | items)`
        : `__wharf_items(${text}, ${where})`;
      listed = true;
      k += 2;
    } else if (filter !== undefined && ITERATING.has(filter.text) && !listed) {
      text = keysOf(text, i, k, `| ${filter.text}`);
    }
    return { text, end: k, listed };
  };
  const keyword = statement ? tokens[0]!.text : undefined;
  if (keyword !== "for") {
    return code.slice(0, tokens[0]!.start) + span(0, tokens.length) +
      code.slice(tokens.at(-1)!.end);
  }
  // `{% for x in m if … %}`: the iterable ends at its `if` (or `recursive`).
  let depth = 0;
  let from = -1;
  let end = tokens.length;
  for (let k = 1; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind === "open") depth++;
    else if (t.kind === "close") depth--;
    else if (depth === 0 && t.kind === "name") {
      if (from < 0 && t.text === "in") from = k + 1;
      else if (from >= 0 && (t.text === "if" || t.text === "recursive")) {
        end = k;
        break;
      }
    }
  }
  if (from < 0 || from >= end) return code;
  const one = chain(from, end);
  const whole = one.end === end;
  // An expression of several operands is one value to the helpers (`a + b is mapping` would test `b`).
  const iterable = whole ? one.text : `(${span(from, end)})`;
  // A list written out, or one method's list (`m.items()`), is no mapping.
  const list = whole && (one.listed || tokens[from]!.kind === "string" ||
    (tokens[from]!.text === "[" && match(from) === end - 1));
  const tail = end < tokens.length
    ? code.slice(tokens[end - 1]!.end, tokens[end]!.start) + span(end, tokens.length) +
      code.slice(tokens.at(-1)!.end)
    : code.slice(tokens[end - 1]!.end);
  return code.slice(0, tokens[from]!.start) +
    (list ? iterable : keysOf(iterable, from, end, "for")) +
    tail;
}

/** How a mapping's key is written in Jinja: `'a'`, `1`. */
function jinjaKey(key: unknown): string {
  return typeof key === "string"
    ? `'${key.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`
    : String(key);
}

/** How a mapping's keys are named in a message: `"a", "b"`. */
function quoted(keys: readonly unknown[]): string {
  return keys.map((k) => typeof k === "string" ? JSON.stringify(k) : String(k)).join(", ");
}

/** A set of keys as one text, the same whatever their order. */
function signature(keys: readonly unknown[]): string {
  return JSON.stringify(
    keys.map((k) => typeof k === "string" ? k : `\u0000${String(k)}`).sort(),
  );
}

/** A key JavaScript puts first in an object, ascending, wherever it was written (`"10"`). */
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,8})$/;

/** What reports a problem of a render: the message, the line and the macro file it is in. */
export type MapOrderReport = (message: string, line?: number, path?: string) => void;

/**
 * The written orders of the mappings of one render, by their sets of keys,
 * and the functions templates call to iterate a mapping in its order
 * (`__wharf_keys`, `__wharf_values`, `__wharf_items`, `__wharf_iter`) and to
 * record one (`__wharf_order`); see the module doc. A set of keys written
 * in two orders has none: iterating a mapping of it is an error, as is
 * iterating a mapping of two keys or more whose order was not recorded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MapOrders } from "./map_order.ts";
 *
 * const orders = new MapOrders(() => {});
 * orders.begin();
 * orders.recordValue({ bands: { high: 3, mid: 2, low: 1 } });
 * const keys = orders.globals().__wharf_keys as (m: unknown, what: string, line: number) => unknown;
 * assert.deepEqual(keys(new Map([["high", 3], ["low", 1], ["mid", 2]]), "for", 1), ["high", "mid", "low"]);
 * ```
 */
export class MapOrders {
  /** Orders every render starts with (values lent to the environment). */
  #base = new Map<string, unknown[][]>();
  #orders = new Map<string, unknown[][]>();
  readonly #report: MapOrderReport;
  readonly #onItem: ((pair: readonly [unknown, unknown]) => void) | undefined;

  /**
   * @param report where an order that cannot be known is reported
   * @param onItem told of each `(key, value)` pair `.items()` gives: a
   *   tuple in Python (it prints as one, see `py_print.ts`)
   */
  constructor(report: MapOrderReport, onItem?: (pair: readonly [unknown, unknown]) => void) {
    this.#report = report;
    this.#onItem = onItem;
  }

  /** Starts a render: the orders recorded are the base's only. */
  begin(): void {
    this.#orders = new Map(this.#base);
  }

  /**
   * Records the orders of `value` (lent to the environment for many
   * renders) for every render until the function returned is called.
   */
  lend(value: unknown): () => void {
    const base = new Map(this.#base);
    this.recordValue(value, true);
    return () => {
      this.#base = base;
    };
  }

  /** Records that `keys` were written in this order (in the base too, with `base`). */
  record(keys: readonly unknown[], base = false): void {
    if (keys.length < 2) return;
    for (const orders of base ? [this.#base, this.#orders] : [this.#orders]) {
      const sig = signature(keys);
      const known = orders.get(sig);
      if (known === undefined) orders.set(sig, [[...keys]]);
      else if (!known.some((o) => o.every((k, i) => k === keys[i]))) {
        orders.set(sig, [...known, [...keys]]);
      }
    }
  }

  /**
   * Records the order of each plain object in `value` (a JavaScript value
   * handed to a template), nested ones included; one whose keys JavaScript
   * may have reordered (`"10"` before `"b"`) is left unknown.
   */
  recordValue(value: unknown, base = false, seen = new Set<object>()): void {
    if (value === null || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) {
      for (const v of value) this.recordValue(v, base, seen);
      return;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return;
    const keys = Object.keys(value);
    if (keys.length > 1 && !keys.some((k) => ARRAY_INDEX.test(k))) this.record(keys, base);
    for (const k of keys) this.recordValue((value as Record<string, unknown>)[k], base, seen);
  }

  /**
   * `context` with the order of its objects recorded, and each of its
   * functions recording the order of what it gives (`var()`,
   * `fromjson()`, `config.get()`): a copy, `context` is left as it is.
   */
  watched(context: Record<string, unknown>): Record<string, unknown> {
    const wrap = (value: unknown, seen: Map<object, unknown>): unknown => {
      if (typeof value === "function") {
        const f = value as (...args: unknown[]) => unknown;
        return (...args: unknown[]) => {
          const out = f(...args);
          this.recordValue(out);
          return out;
        };
      }
      if (value === null || typeof value !== "object") return value;
      const done = seen.get(value);
      if (done !== undefined) return done;
      if (Array.isArray(value)) {
        const out: unknown[] = [];
        seen.set(value, out);
        for (const v of value) out.push(wrap(v, seen));
        return out;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return value;
      const keys = Object.keys(value);
      if (keys.length > 1 && !keys.some((k) => ARRAY_INDEX.test(k))) this.record(keys);
      const out: Record<string, unknown> = {};
      seen.set(value, out);
      for (const k of keys) out[k] = wrap((value as Record<string, unknown>)[k], seen);
      return out;
    };
    return wrap(context, new Map()) as Record<string, unknown>;
  }

  /** The written order of a mapping with these keys, when this render knows one order of them. */
  known(keys: readonly unknown[]): unknown[] | undefined {
    const orders = this.#orders.get(signature(keys));
    return orders?.length === 1 ? orders[0] : undefined;
  }

  /**
   * The keys of `map` (a mapping as minijinja hands it over, keys sorted) in
   * written order; when that is not known, reports it (`what` iterates it,
   * at `line` of the template or of the macro file `path`) and gives them sorted.
   */
  keys(map: Map<unknown, unknown>, what: string, line?: number, path?: string): unknown[] {
    const keys = [...map.keys()];
    if (keys.length < 2) return keys;
    const orders = this.#orders.get(signature(keys));
    if (orders?.length === 1) return orders[0]!;
    const write = `{% for k in [${(orders?.[0] ?? keys).map(jinjaKey).join(", ")}] %}`;
    this.#report(
      orders === undefined
        ? `${what}: wharf cannot know the order of the mapping with keys ${
          quoted(keys)
        }: minijinja keeps a mapping's keys sorted, and wharf knows the order of mappings written in the template ({…} with literal keys, dict(k=v)), in YAML (vars, config, meta) and in fromjson() text, not of this one: iterate its keys in the order you want (${write} … m[k]), or use | dictsort for sorted order`
        : `${what}: the mapping with keys ${quoted(keys)} is written in more than one order (${
          orders.map(quoted).join(" and ")
        }), and minijinja keeps it sorted, so wharf cannot tell which order this one has: iterate its keys in the order you want (${write} … m[k]), or use | dictsort for sorted order`,
      line,
      path,
    );
    return keys;
  }

  /**
   * `value` (as minijinja hands it over) as plain JavaScript values, each
   * mapping an object with its keys in written order (reported as `what`
   * when that is not known, see {@linkcode MapOrders.keys}).
   */
  plain(value: unknown, what: string, line?: number, path?: string): unknown {
    if (value instanceof Map) {
      return Object.fromEntries(
        this.keys(value, what, line, path).map((k) => [
          String(k),
          this.plain(value.get(k), what, line, path),
        ]),
      );
    }
    if (Array.isArray(value)) return value.map((v) => this.plain(v, what, line, path));
    return value;
  }

  /** The functions templates call (see the class doc), to add as globals. */
  globals(): Record<string, unknown> {
    /** A mapping's entries in written order, or undefined (reported) when `map` is none. */
    const entries = (map: unknown, what: string, line?: number, path?: string) => {
      if (!(map instanceof Map)) {
        this.#report(`${what} of a value that is no mapping`, line, path);
        return undefined;
      }
      return this.keys(map, what, line, path).map((k) => [k, map.get(k)] as const);
    };
    // A value handed back (minijinja reads a Map given back as an empty mapping).
    const back = plain;
    return {
      __wharf_order: (...keys: unknown[]) => {
        this.record(keys);
        return true;
      },
      __wharf_keys: (map: unknown, what: string, line?: number, path?: string) =>
        entries(map, what, line, path)?.map(([k]) => k) ?? [],
      __wharf_values: (map: unknown, what: string, line?: number, path?: string) =>
        entries(map, what, line, path)?.map(([, v]) => back(v)) ?? [],
      __wharf_items: (map: unknown, what: string, line?: number, path?: string) =>
        entries(map, what, line, path)?.map(([k, v]) => {
          this.#onItem?.([k, v]);
          return [k, back(v)];
        }) ?? [],
      __wharf_iter: (value: unknown, what: string, line?: number, path?: string) =>
        value instanceof Map ? this.keys(value, what, line, path) : back(value),
    };
  }
}
