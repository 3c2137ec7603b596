/**
 * Python's methods of `str`, `list` and `dict` that dbt projects call and
 * minijinja's pycompat lacks: `str.format()`, `zfill()`, `ljust()`,
 * `rjust()`, `center()`, `partition()`, `rpartition()`, `casefold()`,
 * `swapcase()`, `removeprefix()`, `removesuffix()`, `str.index()` and
 * `list.index()`, `dict.get(key, default)` (pycompat's `get` takes one
 * argument), and `copy()` of a mapping or a list. {@linkcode rewriteMethods} rewrites their calls in a tag's
 * code; {@linkcode addPyMethods} gives the function they call.
 *
 * @module
 */
import type { Environment } from "minijinja-js";
import { splitArgs } from "./jinja_args.ts";
import { KEYWORDS, type Token, tokenize } from "./jinja_tokens.ts";
import { braceFormat } from "./py_format.ts";

/** Where a tag is: its first line, and the macro file when it is not the template. */
export interface MethodSite {
  line: number;
  path?: string;
}

/** The methods of text (and `index`, of lists too) wharf gives, and how many arguments each takes. */
const METHODS: Record<string, [min: number, max: number]> = {
  format: [0, Infinity],
  zfill: [1, 1],
  ljust: [1, 2],
  rjust: [1, 2],
  center: [1, 2],
  partition: [1, 1],
  rpartition: [1, 1],
  casefold: [0, 0],
  swapcase: [0, 0],
  removeprefix: [1, 1],
  removesuffix: [1, 1],
  index: [1, 1],
};

/** Calls that only give a value: a receiver calling only these may be read twice. */
const PURE = new Set(["var", "env_var", "fromjson", "dict", "range"]);

/**
 * `code` (one tag's) with each call of a method of {@linkcode METHODS}
 * calling `__wharf_method(receiver, "name", line, path, …)`, and each
 * `m.get(key, default)` reading `m[key] | default(default)` when `m` is a
 * mapping without a `get` of its own (a receiver that calls a macro is
 * read once: there, a mapping's).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewriteMethods } from "./py_methods.ts";
 *
 * assert.equal(
 *   rewriteMethods(" '{}-{}'.format(a, b) ", { line: 2 }),
 *   ` __wharf_method('{}-{}', "format", 2, none, a, b) `,
 * );
 * assert.equal(
 *   rewriteMethods(" m.get('b', 0) ", { line: 1 }),
 *   " ((m['b'] | default(0)) if m is mapping and m.get is undefined else m.get('b', 0)) ",
 * );
 * ```
 */
export function rewriteMethods(code: string, site: MethodSite): string {
  if (
    !/\.\s*(?:get|copy|format|zfill|[lr]just|center|r?partition|casefold|swapcase|remove(?:prefix|suffix)|index)\s*\(/
      .test(code)
  ) return code;
  const path = site.path === undefined ? "none" : JSON.stringify(site.path);
  const lines = (text: string) => text.match(/\n/g)?.length ?? 0;
  /** `code` rewritten, its first line being `line`: the rightmost call first, then what is left of it. */
  const rewrite = (code: string, line: number): string => {
    const tokens = tokenize(code);
    const match = (open: number, step: 1 | -1): number => {
      let depth = 0;
      for (let k = open; k >= 0 && k < tokens.length; k += step) {
        const kind = tokens[k]!.kind;
        if (kind === (step === 1 ? "open" : "close")) depth++;
        else if (kind === (step === 1 ? "close" : "open") && --depth === 0) return k;
      }
      return -1;
    };
    for (let dot = tokens.length - 3; dot > 0; dot--) {
      const [d, name, open] = [tokens[dot]!, tokens[dot + 1]!, tokens[dot + 2]!];
      if (d.text !== "." || name.kind !== "name" || open.text !== "(") continue;
      if (!Object.hasOwn(METHODS, name.text) && name.text !== "get" && name.text !== "copy") {
        continue;
      }
      const close = match(dot + 2, 1);
      const first = receiverStart(tokens, dot, (k) => match(k, -1));
      if (close < 0 || first < 0) continue;
      const at = (k: number) => line + lines(code.slice(0, tokens[k]!.start));
      const receiver = rewrite(code.slice(tokens[first]!.start, tokens[dot - 1]!.end), at(first));
      const args = rewrite(code.slice(open.end, tokens[close]!.start), at(dot + 2));
      const call = name.text === "get"
        ? getCall(receiver, args, pureBetween(tokens, first, dot))
        : name.text === "copy"
        ? copyCall(receiver, args, pureBetween(tokens, first, dot))
        : `__wharf_method(${receiver}, ${JSON.stringify(name.text)}, ${at(dot + 1)}, ${path}${
          args.trim() ? `, ${args}` : ""
        })`;
      if (call === undefined) continue;
      return rewrite(code.slice(0, tokens[first]!.start), line) + call +
        code.slice(tokens[close]!.end);
    }
    return code;
  };
  return rewrite(code, site.line);
}

/** Tokens `[a, b)` call nothing but {@linkcode PURE}. */
function pureBetween(tokens: readonly Token[], a: number, b: number): boolean {
  for (let k = a + 1; k < b; k++) {
    const prev = tokens[k - 1]!;
    if (tokens[k]!.text === "(" && (prev.kind !== "name" || !PURE.has(prev.text))) return false;
  }
  return true;
}

/**
 * The token the receiver of the method whose `.` is token `dot` starts at
 * (a primary and what follows it: `.x`, `[…]`, `(…)`), or -1 when there is
 * none; `back(k)` is the index of the bracket opening the one at `k`.
 */
function receiverStart(tokens: readonly Token[], dot: number, back: (k: number) => number): number {
  let first = dot - 1;
  for (;;) {
    const t = tokens[first]!;
    if (t.kind === "close") {
      const o = back(first);
      if (o < 0) return -1;
      const prev = tokens[o - 1];
      if (
        t.text !== "}" && prev !== undefined &&
        ((prev.kind === "name" && !KEYWORDS.has(prev.text)) || prev.kind === "close" ||
          prev.kind === "string")
      ) {
        first = o - 1;
        continue;
      }
      return o;
    }
    if (t.kind === "op" || t.kind === "open" || (t.kind === "name" && KEYWORDS.has(t.text))) {
      return -1;
    }
    if (tokens[first - 1]?.text === "." && first >= 2) first -= 2;
    else return first;
  }
}

/**
 * `m.get(k, d)` as minijinja reads it (`receiver` and `args` rewritten), or
 * undefined when it has not two positional arguments; `pure`: reading the
 * receiver calls nothing but what only gives a value.
 */
function getCall(receiver: string, args: string, pure: boolean): string | undefined {
  const tokens = tokenize(args);
  let depth = 0;
  const commas: number[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind === "open") depth++;
    else if (t.kind === "close") depth--;
    else if (depth === 0 && t.text === ",") commas.push(k);
    else if (depth === 0 && t.text === "=" && tokens[k - 1]?.kind === "name") return undefined;
  }
  if (commas.length !== 1 || commas[0] === tokens.length - 1) return undefined;
  const key = args.slice(0, tokens[commas[0]!]!.start).trim();
  const fallback = args.slice(tokens[commas[0]!]!.end).trim();
  const read = `(${receiver}[${key}] | default(${fallback}))`;
  return pure
    ? `(${read} if ${receiver} is mapping and ${receiver}.get is undefined else ${receiver}.get(${args}))`
    : read;
}

/**
 * `receiver.copy()` of a mapping or a list, as Python's shallow copy: the
 * value itself (minijinja's values never change; a variable changed in
 * place is held apart, see `rewrite_mutation.ts`), a list as a new list.
 * Undefined (left to minijinja) with arguments or a receiver that calls
 * something, which would run twice.
 */
function copyCall(receiver: string, args: string, pure: boolean): string | undefined {
  if (args.trim() !== "" || !pure) return undefined;
  return `(${receiver} if ${receiver} is mapping else (${receiver} | list if (${receiver} is iterable and ${receiver} is not string) else ${receiver}.copy()))`;
}

/** What reports a problem of a render: the message, the line and the macro file it is in. */
export type MethodReport = (message: string, line?: number, path?: string) => void;

/** Python's `str(value)` of a plain template value, for messages. */
function shown(value: unknown): string {
  return typeof value === "string"
    ? JSON.stringify(value)
    : value === null || value === undefined
    ? "none"
    : Array.isArray(value)
    ? "a list"
    : typeof value === "object"
    ? "a mapping"
    : String(value);
}

/** Deep equality of plain template values (`==` of Python for lists, mappings, text, numbers). */
function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Python's `str.center` padding: the extra space goes left when the width is odd and the text's length even. */
function center(s: string, width: number, fill: string): string {
  const pad = width - s.length;
  if (pad <= 0) return s;
  const left = Math.floor(pad / 2) + (pad & width & 1);
  return fill.repeat(left) + s + fill.repeat(pad - left);
}

/**
 * `receiver.name(*args, **kwargs)` as Python computes it, or a problem
 * (reported) and undefined.
 */
function callMethod(
  receiver: unknown,
  name: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
): { value: unknown } | { problem: string } {
  const [min, max] = METHODS[name]!;
  if (name !== "format" && Object.keys(kwargs).length) {
    return { problem: `"${name}()" takes no keyword arguments` };
  }
  if (args.length < min || args.length > max) {
    return {
      problem: `"${name}()" takes ${min === max ? min : `${min} to ${max}`} argument${
        max === 1 ? "" : "s"
      }, got ${args.length}`,
    };
  }
  if (Array.isArray(receiver) && name === "index") {
    const at = receiver.findIndex((v) => equal(v, args[0]));
    return at < 0 ? { problem: `${shown(args[0])} is not in the list (index())` } : { value: at };
  }
  if (typeof receiver !== "string") {
    return {
      problem: `"${name}()" is a method of text${
        name === "index" ? " and lists" : ""
      }, and this is ${shown(receiver)}`,
    };
  }
  const s = receiver;
  const text = (i: number): string | undefined =>
    typeof args[i] === "string" ? args[i] as string : undefined;
  const width = (): number | undefined => Number.isInteger(args[0]) ? args[0] as number : undefined;
  const fill = args.length > 1 ? text(1) : " ";
  switch (name) {
    case "format":
      try {
        return { value: braceFormat(s, args, kwargs) };
      } catch (err) {
        return { problem: (err as Error).message };
      }
    case "casefold":
      return { value: s.toLowerCase().replaceAll("ß", "ss") };
    case "swapcase":
      return {
        value: [...s].map((c) => c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())
          .join(""),
      };
  }
  if (name === "zfill" || name === "ljust" || name === "rjust" || name === "center") {
    const w = width();
    if (w === undefined) {
      return { problem: `"${name}()" needs a whole number, got ${shown(args[0])}` };
    }
    if (fill === undefined || [...fill].length !== 1) {
      return { problem: `"${name}()"'s fill must be one character, got ${shown(args[1])}` };
    }
    if (name === "ljust") return { value: s.padEnd(w, fill) };
    if (name === "rjust") return { value: s.padStart(w, fill) };
    if (name === "center") return { value: center(s, w, fill) };
    const sign = /^[-+]/.test(s) ? s[0]! : "";
    return { value: sign + s.slice(sign.length).padStart(w - sign.length, "0") };
  }
  const sub = text(0);
  if (sub === undefined) return { problem: `"${name}()" needs text, got ${shown(args[0])}` };
  switch (name) {
    case "removeprefix":
      return { value: sub && s.startsWith(sub) ? s.slice(sub.length) : s };
    case "removesuffix":
      return { value: sub && s.endsWith(sub) ? s.slice(0, -sub.length) : s };
    case "index": {
      const at = s.indexOf(sub);
      return at < 0 ? { problem: `substring ${shown(sub)} not found (index())` } : { value: at };
    }
  }
  if (sub === "") return { problem: `"${name}()": empty separator` };
  const at = name === "partition" ? s.indexOf(sub) : s.lastIndexOf(sub);
  if (at < 0) return { value: name === "partition" ? [s, "", ""] : ["", "", s] };
  return { value: [s.slice(0, at), sub, s.slice(at + sub.length)] };
}

/**
 * Adds `__wharf_method(receiver, name, line, path, …args)`, which the
 * calls {@linkcode rewriteMethods} rewrites call, to `env`; a problem (an
 * argument of the wrong kind, a value not in a list for `index()`, a
 * format spec wharf does not support) is reported at the call's line.
 */
export function addPyMethods(env: Environment, report: MethodReport): void {
  env.addGlobal(
    "__wharf_method",
    (receiver: unknown, name: string, line: number, path: unknown, ...rest: unknown[]) => {
      const { positional, kwargs } = splitArgs(rest);
      const [plainReceiver] = splitArgs([receiver]).positional;
      const out = callMethod(plainReceiver, name, positional, kwargs);
      if ("value" in out) return out.value;
      report(out.problem, line, typeof path === "string" ? path : undefined);
      return null;
    },
  );
}
