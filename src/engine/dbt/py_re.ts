/**
 * Python's `re` module as dbt templates use it (`modules.re`): `match`,
 * `search`, `fullmatch`, `findall`, `sub`, `split`, `compile` and `escape`,
 * with Python's results (`None` for no match, match objects with `group()`,
 * `groups()`, `groupdict()`, `start()`, `end()`, `span()`; `findall` giving
 * strings or lists of groups; `sub` templates `\1`, `\g<name>`; `split`
 * keeping groups), and flags `I`/`IGNORECASE`, `M`/`MULTILINE`,
 * `S`/`DOTALL`, `A`/`ASCII`.
 *
 * Patterns run on JavaScript's regular expressions, translated: `(?P<n>…)`,
 * `(?P=n)`, `\A`, `\Z`, Python's `$` (also before a final newline), leading
 * inline flags (`(?i)`). Where they differ, JavaScript's rules hold: `\d`,
 * `\w` and `\b` know ASCII only (Python's know every script); verbose
 * patterns (`re.X`), atomic groups and possessive quantifiers are errors.
 *
 * @module
 */
import { plain } from "./jinja_args.ts";
import { type PyValue, readArgs, type Report } from "./py_datetime.ts";

/** Flag values, as Python numbers them. */
const FLAGS = { I: 2, M: 8, S: 16, X: 64, A: 256 } as const;

/** A compiled pattern: the JavaScript regular expression, its groups' names, and how it was written. */
interface Compiled {
  source: string;
  flags: number;
  /** Global and sticky variants are made from this one. */
  re: RegExp;
  groups: number;
  names: string[];
  /** Each named group's number. */
  numbers: Map<string, number>;
}

/** The number of each named group of a JavaScript pattern (groups count from 1, left to right). */
function groupNumbers(source: string): Map<string, number> {
  const out = new Map<string, number>();
  let n = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") i++;
    else if (inClass) inClass = c !== "]";
    else if (c === "[") inClass = true;
    else if (c === "(") {
      if (source[i + 1] !== "?") n++;
      else {
        const named = /^\(\?<([A-Za-z_]\w*)>/.exec(source.slice(i));
        if (named) out.set(named[1]!, ++n);
      }
    }
  }
  return out;
}

/**
 * A Python pattern as a JavaScript one, or the problem (a construct
 * JavaScript does not have).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { translatePattern } from "./py_re.ts";
 *
 * const t = translatePattern("(?i)^(?P<year>\\d{4})-(?P=year)$", 0);
 * assert.ok(typeof t !== "string");
 * assert.equal(t.source, "^(?<year>\\d{4})-\\k<year>(?=\\n?(?![\\s\\S]))");
 * assert.equal(t.flags & 2, 2);
 * ```
 */
export function translatePattern(
  pattern: string,
  flags: number,
): { source: string; flags: number } | string {
  let i = 0;
  let out = "";
  const leading = /^\(\?([aiLmsux]+)\)/.exec(pattern);
  if (leading) {
    for (const f of leading[1]!) {
      flags |= f === "i"
        ? FLAGS.I
        : f === "m"
        ? FLAGS.M
        : f === "s"
        ? FLAGS.S
        : f === "x"
        ? FLAGS.X
        : f === "a"
        ? FLAGS.A
        : 0;
    }
    i = leading[0].length;
  }
  if (flags & FLAGS.X) {
    return "verbose patterns (re.X, (?x)) are not read by wharf: write the pattern without comments and spaces";
  }
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (!inClass && next === "A") out += "(?<![\\s\\S])";
      else if (!inClass && next === "Z") out += "(?![\\s\\S])";
      else out += c + next;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === "[") {
      inClass = true;
      out += c;
      // A `]` first in a class is a character of it, in Python.
      if (pattern[i + 1] === "]") {
        out += "\\]";
        i += 2;
        continue;
      }
      if (pattern[i + 1] === "^" && pattern[i + 2] === "]") {
        out += "^\\]";
        i += 3;
        continue;
      }
      i++;
      continue;
    }
    if (pattern.startsWith("(?P<", i)) {
      out += "(?<";
      i += 4;
      continue;
    }
    if (pattern.startsWith("(?P=", i)) {
      const end = pattern.indexOf(")", i);
      out += `\\k<${pattern.slice(i + 4, end)}>`;
      i = end + 1;
      continue;
    }
    if (pattern.startsWith("(?#", i)) {
      i = pattern.indexOf(")", i) + 1 || pattern.length;
      continue;
    }
    if (pattern.startsWith("(?>", i) || pattern.startsWith("(?(", i)) {
      return `${
        pattern.startsWith("(?>", i) ? "atomic groups" : "conditional groups"
      } are not in JavaScript's regular expressions, which wharf runs`;
    }
    if ((c === "+" || c === "*" || c === "?" || c === "}") && pattern[i + 1] === "+") {
      return "possessive quantifiers are not in JavaScript's regular expressions, which wharf runs";
    }
    if (c === "$" && !(flags & FLAGS.M)) {
      // Python's $ also matches before a newline that ends the text.
      out += "(?=\\n?(?![\\s\\S]))";
      i++;
      continue;
    }
    out += c;
    i++;
  }
  return { source: out, flags };
}

/** Everything this module makes, sharing one way to report. */
class PyRe {
  readonly #cache = new Map<string, Compiled | undefined>();
  constructor(private readonly report: Report) {}

  /** A pattern given as text or as a compiled pattern value, with extra flags. */
  compile(pattern: unknown, flags: unknown, what: string): Compiled | undefined {
    const p = plain(pattern);
    let source: string;
    let f = typeof flags === "number" ? flags : 0;
    if (p instanceof Map || (typeof p === "object" && p !== null)) {
      const get = (k: string) => p instanceof Map ? p.get(k) : (p as Record<string, unknown>)[k];
      if (get("__kind") !== "re.Pattern") {
        this.report(`${what}: expected a pattern (text or modules.re.compile(…))`);
        return undefined;
      }
      source = String(get("pattern"));
      f |= Number(get("flags") ?? 0);
    } else if (typeof p === "string") source = p;
    else {
      this.report(`${what}: expected a pattern (text), got ${JSON.stringify(p) ?? String(p)}`);
      return undefined;
    }
    const key = `${f}:${source}`;
    if (this.#cache.has(key)) return this.#cache.get(key);
    const t = translatePattern(source, f);
    let compiled: Compiled | undefined;
    if (typeof t === "string") this.report(`${what}: ${t}`);
    else {
      try {
        const re = new RegExp(
          t.source,
          `${t.flags & FLAGS.I ? "i" : ""}${t.flags & FLAGS.M ? "m" : ""}${
            t.flags & FLAGS.S ? "s" : ""
          }d`,
        );
        const numbers = groupNumbers(t.source);
        const groups = new RegExp(`${t.source}|`).exec("")!.length - 1;
        compiled = { source, flags: t.flags, re, groups, names: [...numbers.keys()], numbers };
      } catch (err) {
        this.report(
          `${what}: the pattern ${JSON.stringify(source)} is not valid: ${
            err instanceof Error ? err.message : String(err)
          }`,
        );
      }
    }
    this.#cache.set(key, compiled);
    return compiled;
  }

  /** A match object for `m`, a match of `c` on `text`. */
  match(c: Compiled, m: RegExpExecArray, text: string): PyValue {
    const spans = m.indices!;
    const groupAt = (n: unknown): number | undefined => {
      if (typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= c.groups) return n;
      if (typeof n === "string" && c.names.includes(n)) return c.numbers.get(n);
      this.report(
        `group(${JSON.stringify(n)}): no such group (the pattern has ${c.groups} group${
          c.groups === 1 ? "" : "s"
        }${c.names.length ? `, named ${c.names.join(", ")}` : ""})`,
      );
      return undefined;
    };
    const value = (n: number) => m[n] ?? null;
    const str = `<re.Match object; span=(${m.index}, ${m.index + m[0].length}), match=${
      pyRepr(m[0])
    }>`;
    return {
      __cmp: 0,
      __kind: "re.Match",
      __str: str,
      string: text,
      pos: 0,
      lastindex: (() => {
        let last: number | null = null;
        spans.forEach((s, i) => {
          if (i > 0 && s) last = i;
        });
        return last;
      })(),
      group: (...args: unknown[]) => {
        const which = args.length ? args.map(plain) : [0];
        const indexes = which.map(groupAt);
        if (indexes.some((x) => x === undefined)) return null;
        return indexes.length === 1 ? value(indexes[0]!) : indexes.map((x) => value(x!));
      },
      groups: (fallback: unknown = null) =>
        Array.from({ length: c.groups }, (_, i) => m[i + 1] ?? plain(fallback)),
      groupdict: (fallback: unknown = null) =>
        Object.fromEntries(c.names.map((n) => [n, m.groups?.[n] ?? plain(fallback)])),
      start: (n: unknown = 0) => {
        const at = groupAt(plain(n));
        return at === undefined ? null : spans[at]?.[0] ?? -1;
      },
      end: (n: unknown = 0) => {
        const at = groupAt(plain(n));
        return at === undefined ? null : spans[at]?.[1] ?? -1;
      },
      span: (n: unknown = 0) => {
        const at = groupAt(plain(n));
        return at === undefined ? null : spans[at] ? [...spans[at]!] : [-1, -1];
      },
    };
  }

  /** `match` (at the start), `search` (anywhere) or `fullmatch` (the whole text). */
  find(how: "match" | "search" | "fullmatch", args: readonly unknown[]): PyValue | null {
    const a = readArgs(args, ["pattern", "string", "flags"], `re.${how}()`, this.report);
    if (!a) return null;
    const c = this.compile(a.pattern, a.flags, `re.${how}()`);
    if (!c) return null;
    return this.#find(c, how, String(a.string ?? ""));
  }

  #find(c: Compiled, how: "match" | "search" | "fullmatch", text: string): PyValue | null {
    const source = how === "fullmatch" ? `(?:${c.re.source})(?![\\s\\S])` : c.re.source;
    const re = new RegExp(source, c.re.flags.replace("g", "") + (how === "search" ? "" : "y"));
    re.lastIndex = 0;
    const m = re.exec(text);
    return m ? this.match(c, m, text) : null;
  }

  /** Every match of `c` in `text`, left to right, empty ones included (as Python finds them). */
  *#all(c: Compiled, text: string): Generator<RegExpExecArray> {
    const re = new RegExp(c.re.source, `${c.re.flags}g`);
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      yield m;
      if (m[0] === "") re.lastIndex++;
    }
  }

  findall(args: readonly unknown[]): unknown[] | null {
    const a = readArgs(args, ["pattern", "string", "flags"], "re.findall()", this.report);
    const c = a && this.compile(a.pattern, a.flags, "re.findall()");
    if (!a || !c) return null;
    return [...this.#all(c, String(a.string ?? ""))].map((m) =>
      c.groups === 0 ? m[0] : c.groups === 1 ? m[1] ?? "" : m.slice(1).map((g) => g ?? "")
    );
  }

  sub(args: readonly unknown[], what = "re.sub()"): string | null {
    const a = readArgs(args, ["pattern", "repl", "string", "count", "flags"], what, this.report);
    const c = a && this.compile(a.pattern, a.flags, what);
    if (!a || !c) return null;
    if (typeof a.repl !== "string") {
      this.report(
        `${what}: the replacement must be text (a function is not called from wharf's Jinja)`,
      );
      return null;
    }
    const template = replacement(a.repl, c);
    if (typeof template === "string") {
      this.report(`${what}: ${template}`);
      return null;
    }
    const text = String(a.string ?? "");
    const count = typeof a.count === "number" ? a.count : 0;
    let out = "";
    let last = 0;
    let n = 0;
    for (const m of this.#all(c, text)) {
      if (count > 0 && n >= count) break;
      out += text.slice(last, m.index) + template(m);
      last = m.index + m[0].length;
      n++;
    }
    return out + text.slice(last);
  }

  split(args: readonly unknown[]): (string | null)[] | null {
    const a = readArgs(args, ["pattern", "string", "maxsplit", "flags"], "re.split()", this.report);
    const c = a && this.compile(a.pattern, a.flags, "re.split()");
    if (!a || !c) return null;
    const text = String(a.string ?? "");
    const max = typeof a.maxsplit === "number" ? a.maxsplit : 0;
    const out: (string | null)[] = [];
    let last = 0;
    let n = 0;
    for (const m of this.#all(c, text)) {
      if (max > 0 && n >= max) break;
      out.push(text.slice(last, m.index), ...m.slice(1).map((g) => g ?? null));
      last = m.index + m[0].length;
      n++;
    }
    out.push(text.slice(last));
    return out;
  }

  /** A compiled pattern value (`re.compile(…)`): its methods take the text, as Python's do. */
  pattern(args: readonly unknown[]): PyValue | null {
    const a = readArgs(args, ["pattern", "flags"], "re.compile()", this.report);
    const c = a && this.compile(a.pattern, a.flags, "re.compile()");
    if (!c) return null;
    const self = { __kind: "re.Pattern", pattern: c.source, flags: c.flags };
    const withSelf = (rest: readonly unknown[]) => [self, ...rest];
    return {
      __cmp: 0,
      __kind: "re.Pattern",
      __str: `re.compile(${pyRepr(c.source)})`,
      pattern: c.source,
      flags: c.flags,
      groups: c.groups,
      match: (...rest: unknown[]) => this.#find(c, "match", String(plain(rest[0]) ?? "")),
      search: (...rest: unknown[]) => this.#find(c, "search", String(plain(rest[0]) ?? "")),
      fullmatch: (...rest: unknown[]) => this.#find(c, "fullmatch", String(plain(rest[0]) ?? "")),
      findall: (...rest: unknown[]) => this.findall(withSelf(rest)),
      sub: (...rest: unknown[]) => this.sub(withSelf(rest), "sub()"),
      split: (...rest: unknown[]) => this.split(withSelf(rest)),
    };
  }
}

/** Python's `repr()` of a string: single quotes unless it holds one and no double quote. */
function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  return q +
    s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t").replaceAll(q, `\\${q}`) +
    q;
}

/** A `sub()` replacement template as a function of a match, or the problem (Python's "bad escape"). */
function replacement(repl: string, c: Compiled): ((m: RegExpExecArray) => string) | string {
  const parts: (string | number | ((m: RegExpExecArray) => string))[] = [];
  let text = "";
  for (let i = 0; i < repl.length; i++) {
    const ch = repl[i]!;
    if (ch !== "\\") {
      text += ch;
      continue;
    }
    const next = repl[i + 1];
    if (next === undefined) return "a replacement ending in a backslash";
    const digits = /^\d{1,2}/.exec(repl.slice(i + 1));
    let group: number | undefined;
    if (digits) {
      group = Number(digits[0]);
      i += digits[0].length;
    } else if (next === "g") {
      const m = /^g<([^>]*)>/.exec(repl.slice(i + 1));
      if (!m) return "\\g needs a group: \\g<1> or \\g<name>";
      const ref = m[1]!;
      group = /^\d+$/.test(ref)
        ? Number(ref)
        : c.names.includes(ref)
        ? -1 - c.names.indexOf(ref)
        : undefined;
      if (group === undefined) return `unknown group name "${ref}" in the replacement`;
      i += m[0].length;
    } else {
      const escapes: Record<string, string> = {
        n: "\n",
        t: "\t",
        r: "\r",
        "\\": "\\",
        a: "\x07",
        b: "\b",
        f: "\f",
        v: "\v",
      };
      if (!(next in escapes)) return `bad escape \\${next} in the replacement`;
      text += escapes[next];
      i++;
      continue;
    }
    if (group > c.groups) return `invalid group reference ${group} in the replacement`;
    if (text) parts.push(text);
    text = "";
    parts.push(group);
  }
  if (text) parts.push(text);
  return (m) =>
    parts.map((p) =>
      typeof p === "string"
        ? p
        : typeof p === "number"
        ? (p >= 0 ? m[p] : m.groups?.[c.names[-1 - p]!]) ?? ""
        : p(m)
    ).join("");
}

/**
 * `modules.re`, flattened: each name a template may reach (`match`,
 * `IGNORECASE`, …) to its value.
 */
export function reModule(report: Report): Record<string, unknown> {
  const re = new PyRe(report);
  return {
    match: (...args: unknown[]) => re.find("match", args),
    search: (...args: unknown[]) => re.find("search", args),
    fullmatch: (...args: unknown[]) => re.find("fullmatch", args),
    findall: (...args: unknown[]) => re.findall(args),
    sub: (...args: unknown[]) => re.sub(args),
    split: (...args: unknown[]) => re.split(args),
    compile: (...args: unknown[]) => re.pattern(args),
    // Python 3.7's: only what has a meaning in a pattern.
    escape: (s: unknown) =>
      String(s).replace(/[()[\]{}?*+\-|^$\\.&~# \t\n\r\v\f]/g, (c) => `\\${c}`),
    I: FLAGS.I,
    IGNORECASE: FLAGS.I,
    M: FLAGS.M,
    MULTILINE: FLAGS.M,
    S: FLAGS.S,
    DOTALL: FLAGS.S,
    X: FLAGS.X,
    VERBOSE: FLAGS.X,
    A: FLAGS.A,
    ASCII: FLAGS.A,
  };
}
