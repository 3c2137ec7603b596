/**
 * The code of a template's tags rewritten so values print as dbt's Jinja
 * (Python) prints them (see `py_print.ts`):
 *
 * - what `{{ … }}` prints, each operand of `~` (but a string literal) and
 *   what `| string` reads go through `| pprint | __wharf_str`;
 * - `| join(…)` joins its items as they print: `| map("pprint") | map("__wharf_str") | join(…)`
 *   (not with `attribute=`, whose values print as minijinja prints them);
 * - `| round(…)` is Python's: `| pprint | __wharf_round(…) | sum`;
 * - a tuple literal, `('a', 'b')`, is the list of its items that tells the
 *   printing it is a tuple: `(["\u0005tuple", 'a', 'b'] | select("__wharf_tuple_item"))`
 *   (not after `in`, where it is only looked in, nor as a `for`'s or a
 *   `set`'s target).
 *
 * @module
 */
import { KEYWORDS, type Token, tokenize } from "./jinja_tokens.ts";
import { TUPLE_OPEN } from "./py_print.ts";

/**
 * Words that end an operand of `~` (Jinja operators binding looser than it):
 * Jinja's keywords and `elif`, but `is`, whose test binds tighter.
 */
const BOUNDARY_WORDS = new Set([...KEYWORDS, "elif"].filter((w) => w !== "is"));
/** Operators that end an operand of `~`. */
const BOUNDARY_OPS = new Set(["~", "+", "-", "==", "!=", "<", ">", "<=", ">=", ",", ":", "="]);

/** What prints a value as Python's str() does, after what gives it. */
const PRINTED = "pprint | __wharf_str";
const PRINT = ` | ${PRINTED}`;

interface Insert {
  at: number;
  /** Removed from `at` on. */
  remove: number;
  text: string;
  /** At one position: openings (0, outer first), replacements (1), closings (2, inner first). */
  rank: number;
  /** Orders openings by their span's end (outer first) and closings by their start (inner first). */
  tie: number;
}

/**
 * `code`, one tag's code without its delimiters, rewritten as the module
 * doc says; `statement`: a `{% … %}` tag's (else a `{{ … }}`'s, whose
 * value is printed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewritePrinting } from "./rewrite_print.ts";
 *
 * assert.equal(rewritePrinting(" x ", false), " (x) | pprint | __wharf_str ");
 * assert.equal(rewritePrinting(" 'a' ~ n ", false), " 'a' ~ (n | pprint | __wharf_str) ");
 * assert.equal(rewritePrinting(" set r = v | round(2) ", true), " set r = v | pprint | __wharf_round(2) | sum ");
 * ```
 */
export function rewritePrinting(code: string, statement: boolean): string {
  const tokens = tokenize(code);
  if (tokens.length === 0) return code;
  const matching = new Map<number, number>();
  const stack: number[] = [];
  tokens.forEach((t, i) => {
    if (t.kind === "open") stack.push(i);
    else if (t.kind === "close" && stack.length) {
      const open = stack.pop()!;
      matching.set(open, i);
      matching.set(i, open);
    }
  });
  if (stack.length) return code; // unbalanced: minijinja reports it
  const inserts: Insert[] = [];
  const wrap = (from: Token, to: Token, open: string, close: string) => {
    inserts.push({ at: from.start, remove: 0, text: open, rank: 0, tie: -to.end });
    inserts.push({ at: to.end, remove: 0, text: close, rank: 2, tie: -from.start });
  };
  const keyword = statement ? tokens[0]!.text : undefined;
  /** The first token after the keyword at depth 0 whose text is `text`, or the end. */
  const topLevel = (text: string): number => {
    for (let i = 1; i < tokens.length; i++) {
      if (tokens[i]!.text === text) return i;
      if (tokens[i]!.kind === "open") i = matching.get(i)!;
    }
    return tokens.length;
  };
  // A `for`'s and a `set`'s targets are no values.
  const targetsEnd = keyword === "for" ? topLevel("in") : keyword === "set" ? topLevel("=") : 0;
  const isWord = (t: Token | undefined, ...words: string[]) =>
    t?.kind === "name" && words.includes(t.text);
  /** True when token `i` ends an operand of `~`. */
  const boundary = (i: number): boolean => {
    const t = tokens[i]!;
    if (statement && i === 0) return true;
    if (t.kind === "op") return BOUNDARY_OPS.has(t.text);
    if (t.kind !== "name" || !BOUNDARY_WORDS.has(t.text)) return false;
    // `x is not defined`: a test, part of the operand.
    return !(t.text === "not" && isWord(tokens[i - 1], "is"));
  };
  /** A unary `-`/`+` at `i` (after an operator, an opening bracket, a keyword or nothing). */
  const unary = (i: number): boolean => {
    const t = tokens[i]!;
    if (t.kind !== "op" || (t.text !== "-" && t.text !== "+")) return false;
    const p = tokens[i - 1];
    return p === undefined || p.kind === "op" || p.kind === "open" ||
      (p.kind === "name" && BOUNDARY_WORDS.has(p.text)) || (statement && i === 1);
  };
  const operands = new Set<string>();
  const operand = (from: number, to: number) => {
    if (from > to || (from === to && tokens[from]!.kind === "string")) return;
    const key = `${from}:${to}`;
    if (operands.has(key)) return;
    operands.add(key);
    wrap(tokens[from]!, tokens[to]!, "(", `${PRINT})`);
  };
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const prev = tokens[k - 1];
    if (t.kind === "op" && t.text === "~") {
      let s = k - 1;
      for (; s >= 0; s--) {
        const u = tokens[s]!;
        if (u.kind === "close") s = matching.get(s)!;
        else if (u.kind === "open") break;
        else if (boundary(s)) {
          if (!unary(s)) break;
        }
      }
      let e = k + 1;
      while (e < tokens.length && unary(e)) e++;
      for (; e < tokens.length; e++) {
        const u = tokens[e]!;
        if (u.kind === "open") e = matching.get(e)!;
        else if (u.kind === "close" || boundary(e)) break;
      }
      operand(s + 1, k - 1);
      operand(k + 1, e - 1);
    } else if (t.kind === "name" && prev?.text === "|" && t.text === "string") {
      inserts.push({ at: t.start, remove: t.text.length, text: PRINTED, rank: 1, tie: 0 });
    } else if (t.kind === "name" && prev?.text === "|" && t.text === "join") {
      const args = tokens[k + 1]?.text === "(" ? matching.get(k + 1)! : k;
      if (!tokens.slice(k + 1, args).some((a) => a.text === "attribute")) {
        const text = 'map("pprint") | map("__wharf_str") | ';
        inserts.push({ at: t.start, remove: 0, text, rank: 1, tie: 0 });
      }
    } else if (t.kind === "name" && prev?.text === "|" && t.text === "round") {
      inserts.push({ at: t.start, remove: 0, text: "pprint | __wharf_", rank: 1, tie: 0 });
      const args = tokens[k + 1]?.text === "(" ? matching.get(k + 1)! : k;
      inserts.push({ at: tokens[args]!.end, remove: 0, text: " | sum", rank: 1.5, tie: 0 });
    } else if (t.kind === "open" && t.text === "(" && k >= targetsEnd) {
      const called = prev !== undefined &&
        (prev.kind === "close" || prev.kind === "string" ||
          (prev.kind === "name" && !BOUNDARY_WORDS.has(prev.text) && prev.text !== "is"));
      const close = matching.get(k)!;
      let comma = close === k + 1;
      for (let i = k + 1; i < close && !comma; i++) {
        if (tokens[i]!.kind === "open") i = matching.get(i)!;
        else if (tokens[i]!.text === ",") comma = true;
      }
      if (!called && comma && !isWord(prev, "in")) {
        const first = `([${JSON.stringify(TUPLE_OPEN)}${close === k + 1 ? "" : ", "}`;
        inserts.push({ at: t.start, remove: 1, text: first, rank: 1, tie: 0 });
        inserts.push({
          at: tokens[close]!.start,
          remove: 1,
          text: '] | select("__wharf_tuple_item"))',
          rank: 1,
          tie: 0,
        });
      }
    }
  }
  if (!statement && !printsText(tokens, matching)) {
    wrap(tokens[0]!, tokens.at(-1)!, "(", `)${PRINT}`);
  }
  if (inserts.length === 0) return code;
  inserts.sort((a, b) => a.at - b.at || a.rank - b.rank || a.tie - b.tie);
  let out = "";
  let last = 0;
  for (const e of inserts) {
    out += code.slice(last, e.at) + e.text;
    last = Math.max(last, e.at + e.remove);
  }
  return out + code.slice(last);
}

/**
 * True when an expression's value is text as it prints: a string literal,
 * or operands joined by `~` alone.
 */
function printsText(tokens: Token[], matching: Map<number, number>): boolean {
  if (tokens.length === 1 && tokens[0]!.kind === "string") return true;
  let concat = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "open") i = matching.get(i)!;
    else if (t.text === "~") concat = true;
    else if (
      (t.kind === "op" && BOUNDARY_OPS.has(t.text)) ||
      (t.kind === "name" && BOUNDARY_WORDS.has(t.text))
    ) return false;
  }
  return concat;
}
