/**
 * Jinja's `kwargs` and `varargs` of a macro, which minijinja's macros do
 * not have: a macro whose body reads `kwargs` takes keyword arguments it
 * does not name (a mapping of them, in the order of the call), and one
 * whose body reads `varargs` takes positional arguments beyond its own (a
 * tuple). {@linkcode rewriteMacroExtras} rewrites a tag's code before the
 * other rewrites of `rewrite_jinja.ts`: such a macro's definition takes
 * `__wharf_kwargs` and `__wharf_varargs`, a call of it passes the extra
 * arguments in them, and `kwargs` and `varargs` read them.
 *
 * @module
 */
import { KEYWORDS, tokenize } from "./jinja_tokens.ts";

/** A macro that reads `kwargs` or `varargs`, as a call names it (`m`, `pkg.m`): the arguments it names. */
export interface MacroExtras {
  args: readonly string[];
  kwargs: boolean;
  varargs: boolean;
}

/** `code` with `kwargs` and `varargs` read where a macro keeps them (a keyword argument so named is left). */
function renameExtras(code: string): string {
  if (!/\b(?:kwargs|varargs)\b/.test(code)) return code;
  const tokens = tokenize(code);
  let out = code;
  for (let k = tokens.length - 1; k >= 0; k--) {
    const t = tokens[k]!;
    if (t.kind !== "name" || (t.text !== "kwargs" && t.text !== "varargs")) continue;
    const prev = tokens[k - 1]?.text;
    if (prev === "." || (tokens[k + 1]?.text === "=" && (prev === "(" || prev === ","))) continue;
    out = `${out.slice(0, t.start)}__wharf_${t.text}${out.slice(t.end)}`;
  }
  return out;
}

/**
 * `code` (one tag's) with the definitions and calls of the macros of
 * `extras` (by the name a call gives) taking their extra arguments, and
 * `kwargs`/`varargs` read where the macro keeps them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewriteMacroExtras } from "./macro_extras.ts";
 *
 * const extras = new Map([["kw", { args: ["a"], kwargs: true, varargs: true }]]);
 * assert.equal(
 *   rewriteMacroExtras(" kw(1, 2, c=3, a=4) ", extras),
 *   " kw(1, a=4, __wharf_varargs=(2,), __wharf_kwargs={'c': 3}) ",
 * );
 * assert.equal(
 *   rewriteMacroExtras(" macro kw(a) ", extras),
 *   " macro kw(a, __wharf_varargs=(), __wharf_kwargs={}) ",
 * );
 * assert.equal(rewriteMacroExtras(" kwargs.b ", extras), " __wharf_kwargs.b ");
 * ```
 */
export function rewriteMacroExtras(
  code: string,
  extras: ReadonlyMap<string, MacroExtras>,
): string {
  if (![...extras.keys()].some((n) => code.includes(n))) return renameExtras(code);
  code = renameExtras(code);
  const tokens = tokenize(code);
  const edits: { at: number; remove: number; insert: string }[] = [];
  const isMacroTag = tokens[0]?.text === "macro";
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== "name") continue;
    const prev = tokens[k - 1]?.text;
    if (prev === "|" || prev === "is") continue;
    // `pkg.m(…)`: a package's macro by its package's name.
    const qualifier = prev === "." && tokens[k - 2]?.kind === "name" && tokens[k - 3]?.text !== "."
      ? tokens[k - 2]!.text
      : undefined;
    if (prev === "." && qualifier === undefined) continue;
    const macro = extras.get(qualifier === undefined ? t.text : `${qualifier}.${t.text}`);
    if (macro === undefined || tokens[k + 1]?.text !== "(" || KEYWORDS.has(t.text)) continue;
    // The call's arguments, split at their top-level commas.
    let depth = 0;
    let close = -1;
    const parts: [number, number][] = [];
    let from = k + 2;
    for (let j = k + 1; j < tokens.length; j++) {
      const c = tokens[j]!;
      if (c.kind === "open") depth++;
      else if (c.kind === "close" && --depth === 0) {
        close = j;
        break;
      } else if (depth === 1 && c.text === ",") {
        parts.push([from, j]);
        from = j + 1;
      }
    }
    if (close < 0) continue;
    if (from < close) parts.push([from, close]);
    const text = ([a, b]: [number, number]) => code.slice(tokens[a]!.start, tokens[b - 1]!.end);
    if (isMacroTag && k === 1) {
      const added = [
        ...(macro.varargs ? ["__wharf_varargs=()"] : []),
        ...(macro.kwargs ? ["__wharf_kwargs={}"] : []),
      ].join(", ");
      edits.push({
        at: tokens[close]!.start,
        remove: 0,
        insert: parts.length ? `, ${added}` : added,
      });
      continue;
    }
    const kept: string[] = [];
    const extraPositional: string[] = [];
    const extraKeywords: string[] = [];
    let positional = 0;
    for (const part of parts) {
      const [a] = part;
      const named = tokens[a]!.kind === "name" && tokens[a + 1]?.text === "=";
      if (named && macro.kwargs && !macro.args.includes(tokens[a]!.text)) {
        extraKeywords.push(
          `'${tokens[a]!.text}': ${code.slice(tokens[a + 2]!.start, tokens[part[1] - 1]!.end)}`,
        );
      } else if (
        !named && tokens[a]!.text !== "*" && tokens[a]!.text !== "**" &&
        macro.varargs && positional++ >= macro.args.length
      ) {
        extraPositional.push(text(part));
      } else kept.push(text(part));
    }
    // Given even when empty: a positional argument too many then is not taken for them.
    const args = [
      ...kept,
      ...(macro.varargs
        ? [`__wharf_varargs=(${extraPositional.join(", ")}${extraPositional.length ? "," : ""})`]
        : []),
      ...(macro.kwargs ? [`__wharf_kwargs={${extraKeywords.join(", ")}}`] : []),
    ];
    edits.push({
      at: tokens[k + 1]!.end,
      remove: tokens[close]!.start - tokens[k + 1]!.end,
      insert: args.join(", "),
    });
    k = close;
  }
  let out = code;
  for (const e of edits.sort((a, b) => b.at - a.at)) {
    out = out.slice(0, e.at) + e.insert + out.slice(e.at + e.remove);
  }
  return out;
}
