/**
 * Prepares dbt's Jinja for minijinja. minijinja has no `return()` and no
 * objects that are both printable and have attributes, so calls are
 * rewritten before rendering, inside `{{ … }}` and `{% … %}` only (text,
 * comments and `{% raw %}` are left alone):
 *
 * - a call of a macro, `m(…)`, becomes `__wharf_value(m(…))`, which gives
 *   what the macro `return()`ed, or its text;
 * - `adapter.dispatch('x', 'ns')(…)` and `dbt.x(…)` look the macro up at
 *   render time: `__wharf_value(__wharf_macros[__wharf_dispatch('x', 'ns')](…))`;
 * - `this.schema`, `run_started_at.strftime(…)`, `config.get(…)` use
 *   objects of their own (`this` alone is the relation's text);
 * - in a render against the warehouse only, dbt's agate values (what
 *   `run_query()` gives) read as in dbt: see {@linkcode rewriteAgate};
 * - a mapping iterates in the order it was written (`map_order.ts`);
 * - a list or mapping changes in place (`rewrite_mutation.ts`);
 * - a macro reading `kwargs` or `varargs` takes extra arguments
 *   (`macro_extras.ts`);
 * - Python's methods minijinja lacks (`'{}'.format(x)`, `m.get(k, d)`) are
 *   wharf's (`py_methods.ts`);
 * - what is printed (`{{ … }}`, `~`, `| string`, `| join`), `| round` and
 *   tuple literals are Python's (`rewrite_print.ts`).
 *
 * And each line of text gets a marker with its line number, so the lines of
 * the rendered SQL map back to the file's (see {@linkcode readLineMarkers}).
 *
 * @module
 */

/** The macros a template may call, by how a call reaches them. */
export interface MacroNames {
  /** The project's macros, called by name. */
  project: ReadonlySet<string>;
  /** dbt's macros called by name (`x` → `__dbt__x`). */
  direct: ReadonlySet<string>;
  /** dbt's macros dispatched by adapter (`x` → `duckdb__x`, `default__x`). */
  dispatched: ReadonlySet<string>;
  /** Macros called by name that have another name in the macro module (a package's own). */
  rename?: ReadonlyMap<string, string>;
  /** For each package (and the project), its macros: `pkg.m(…)` calls the module's name. */
  packages?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** The package the template belongs to (its `adapter.dispatch` calls search it first). */
  package?: string;
  /** Macros that read `kwargs` or `varargs`, by the name a call gives (`macro_extras.ts`). */
  extras?: ReadonlyMap<string, MacroExtras>;
}

/** A rewritten template and the macros it names. */
export interface Rewritten {
  text: string;
  /** Names the template uses from the macro module: import these. */
  imports: Set<string>;
}

import { isModuleNamespace, MODULE_PATHS } from "./py_modules.ts";
import { rewriteMapOrder } from "./map_order.ts";
import { closingBracket, KEYWORDS, type Token, tokenize } from "./jinja_tokens.ts";
import { rewritePrinting } from "./rewrite_print.ts";
import { rewriteMutation } from "./rewrite_mutation.ts";
import { rewriteMethods } from "./py_methods.ts";
import { type MacroExtras, rewriteMacroExtras } from "./macro_extras.ts";

const OPEN_MARK = "\u0001";
const CLOSE_MARK = "\u0002";

/** Replaces the text of string literals with spaces so patterns only see code. */
function maskStrings(code: string): string {
  let out = "";
  let quote: string | undefined;
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (quote) {
      if (c === "\\") {
        out += "  ";
        i++;
      } else if (c === quote) {
        out += c;
        quote = undefined;
      } else out += c === "\n" ? "\n" : " ";
    } else {
      if (c === "'" || c === '"') quote = c;
      out += c;
    }
  }
  return out;
}

/**
 * String literals of Jinja code read as Python (Jinja2) reads them: an
 * escape Python does not know (`\d`, `\.`, `\/`) keeps its backslash, and
 * `\a`, `\v` and octal escapes are characters, where minijinja would
 * refuse them ("bad string escape") or drop the backslash. Regular
 * expressions in templates are written that way (`modules.re.match('\d+', x)`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pythonStrings } from "./rewrite_jinja.ts";
 *
 * assert.equal(pythonStrings(String.raw`f('\d+\.\n', "\1")`), String.raw`f('\\d+\\.\n', "\u0001")`);
 * ```
 */
export function pythonStrings(code: string): string {
  if (!code.includes("\\")) return code;
  let out = "";
  let quote: string | undefined;
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!;
    if (!quote) {
      if (c === "'" || c === '"') quote = c;
      out += c;
      continue;
    }
    if (c === quote) quote = undefined;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = code[i + 1] ?? "";
    const octal = /^[0-7]{1,3}/.exec(code.slice(i + 1))?.[0];
    if (octal && octal !== "0") {
      out += `\\u${parseInt(octal, 8).toString(16).padStart(4, "0")}`;
      i += octal.length;
    } else if (next === "a" || next === "v") {
      out += next === "a" ? "\\u0007" : "\\u000b";
      i++;
    } else if ("\\'\"nrtbfux0\n".includes(next)) {
      out += c + next;
      i++;
    } else out += "\\\\";
  }
  return out;
}

/** The index of the bracket closing the one at `open`, or -1. */
function closing(masked: string, open: number): number {
  let depth = 0;
  for (let i = open; i < masked.length; i++) {
    const c = masked[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

interface Edit {
  at: number;
  remove: number;
  insert: string;
}

/**
 * `code` with each keyword argument whose value is an inline `if … else`
 * in parentheses: Jinja takes `config(materialized='table' if x else
 * 'view')`, minijinja only `config(materialized=('table' if x else 'view'))`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parenthesizeConditionalArguments } from "./rewrite_jinja.ts";
 *
 * assert.equal(
 *   parenthesizeConditionalArguments("config(materialized='table' if p else 'view', tags=['a'])"),
 *   "config(materialized=('table' if p else 'view'), tags=['a'])",
 * );
 * ```
 */
export function parenthesizeConditionalArguments(code: string): string {
  const masked = maskStrings(code);
  const inserts: { at: number; text: string }[] = [];
  for (const m of masked.matchAll(/(?<=[(,]\s*)[A-Za-z_]\w*\s*=(?!=)\s*/g)) {
    const start = m.index + m[0].length;
    // The value runs to the next comma or closing bracket at its own depth.
    let depth = 0;
    let end = start;
    for (; end < masked.length; end++) {
      const c = masked[end]!;
      if (c === "(" || c === "[" || c === "{") depth++;
      else if (c === ")" || c === "]" || c === "}") {
        if (depth === 0) break;
        depth--;
      } else if (c === "," && depth === 0) break;
    }
    const value = masked.slice(start, end);
    const top = value.replace(/\([^()]*\)|\[[^[\]]*\]|\{[^{}]*\}/g, (x) => " ".repeat(x.length));
    if (/(?<![\w.])if(?!\w)/.test(top) && /(?<![\w.])else(?!\w)/.test(top)) {
      inserts.push({ at: start, text: "(" }, { at: end, text: ")" });
    }
  }
  let out = code;
  for (const i of inserts.sort((a, b) => b.at - a.at)) {
    out = `${out.slice(0, i.at)}${i.text}${out.slice(i.at)}`;
  }
  return out;
}

/** Rewrites the code of one tag (without its delimiters). */
function rewriteCode(code: string, names: MacroNames, imports: Set<string>): string {
  const masked = maskStrings(code);
  const edits: Edit[] = [];
  const wrap = (start: number, end: number) => {
    edits.push({ at: start, remove: 0, insert: "__wharf_value(" });
    edits.push({ at: end + 1, remove: 0, insert: ")" });
  };
  const statement = /^\s*([a-z_]+)/.exec(masked)?.[1];
  // `{% macro m(...) %}` defines m; `{% call m(...) %}` needs the bare call.
  const skipFirstCall = statement === "macro" || statement === "call";
  let firstCall = true;
  const call =
    /(?<![\w.])(adapter\s*\.\s*dispatch|dbt\s*\.\s*([A-Za-z_]\w*)|([A-Za-z_]\w*)\s*\.\s*([A-Za-z_]\w*)|([A-Za-z_]\w*))\s*\(/g;
  for (const m of masked.matchAll(call)) {
    const start = m.index;
    const open = start + m[0].length - 1;
    if (m[3] !== undefined && !names.packages?.has(m[3])) continue; // a method: `x.get(…)`
    // A filter or a test of that name (`x | replace('-', '_')`, `x is divisibleby(3)`) is not
    // the macro: dbt's `replace` macro does not shadow Jinja's filter.
    const before = masked.slice(0, start);
    if (/\|\s*$/.test(before) || /(?<![\w.])is\s+(?:not\s+)?$/.test(before)) continue;
    const end = closing(masked, open);
    if (end < 0) continue; // minijinja reports the syntax error
    // `{% call(v) m() %}`: the caller's arguments, not a call; `m()` is the call.
    if (statement === "call" && /^\s*$/.test(masked.slice(0, start))) continue;
    const isFirst = firstCall;
    firstCall = false;
    if (m[3] !== undefined) {
      // `pkg.macro(…)`: the package's macro by its name in the module.
      const key = names.packages!.get(m[3])!.get(m[4]!);
      if (key === undefined) {
        edits.push({
          at: start,
          remove: end + 1 - start,
          insert: `__wharf_no_macro(${JSON.stringify(m[3])}, ${JSON.stringify(m[4])})`,
        });
        continue;
      }
      imports.add(key);
      edits.push({ at: start, remove: 0, insert: "__wharf_value(" });
      edits.push({ at: start, remove: open - start, insert: key });
      edits.push({ at: end + 1, remove: 0, insert: ")" });
      continue;
    }
    if (m[1]!.startsWith("adapter")) {
      imports.add("__wharf_macros");
      edits.push({ at: start, remove: 0, insert: "__wharf_value(" });
      edits.push({
        at: start,
        remove: open - start + 1,
        insert: "__wharf_macros[__wharf_dispatch(",
      });
      edits.push({
        at: end,
        remove: 1,
        insert: names.package === undefined
          ? ")]"
          : `, __wharf_in=${JSON.stringify(names.package)})]`,
      });
      // The macro found is called with what follows: `(...)`.
      const next = /^\s*\(/.exec(masked.slice(end + 1));
      const argsEnd = next ? closing(masked, end + 1 + next[0].length - 1) : -1;
      edits.push({ at: argsEnd >= 0 ? argsEnd + 1 : end + 1, remove: 0, insert: ")" });
      continue;
    }
    const name = m[2] ?? m[5]!;
    const viaDbt = m[2] !== undefined;
    const renamed = viaDbt ? undefined : names.rename?.get(name);
    if (!viaDbt && isFirst && skipFirstCall) {
      // A package's macro is defined under its name in the module.
      if (statement === "macro" && renamed !== undefined) {
        edits.push({ at: start, remove: open - start, insert: renamed });
      }
      // `{% call set_sql_header(config) %}`: the macro called, by its name in the module.
      if (statement === "call") {
        if (renamed !== undefined) {
          imports.add(renamed);
          edits.push({ at: start, remove: open - start, insert: renamed });
        } else if (names.project.has(name)) imports.add(name);
        else if (names.direct.has(name)) {
          imports.add(`__dbt__${name}`);
          edits.push({ at: start, remove: open - start, insert: `__dbt__${name}` });
        }
      }
      continue;
    }
    if (renamed !== undefined) {
      imports.add(renamed);
      edits.push({ at: start, remove: 0, insert: "__wharf_value(" });
      edits.push({ at: start, remove: open - start, insert: renamed });
      edits.push({ at: end + 1, remove: 0, insert: ")" });
    } else if (!viaDbt && names.project.has(name)) {
      imports.add(name);
      wrap(start, end);
    } else if (names.direct.has(name)) {
      imports.add(`__dbt__${name}`);
      edits.push({ at: start, remove: 0, insert: "__wharf_value(" });
      edits.push({ at: start, remove: open - start, insert: `__dbt__${name}` });
      edits.push({ at: end + 1, remove: 0, insert: ")" });
    } else if (names.dispatched.has(name) || viaDbt) {
      imports.add("__wharf_macros");
      edits.push({ at: start, remove: 0, insert: "__wharf_value(" });
      edits.push({
        at: start,
        remove: open - start,
        insert: `__wharf_macros[__wharf_dispatch(${JSON.stringify(name)}, "dbt")]`,
      });
      edits.push({ at: end + 1, remove: 0, insert: ")" });
    }
  }
  // modules.<module>.<name>…: the flat table's entry, or an error naming what wharf lacks.
  for (const m of masked.matchAll(/(?<![\w.])modules((?:\s*\.\s*[A-Za-z_]\w*)+)/g)) {
    const parts = [...m[1]!.matchAll(/[A-Za-z_]\w*/g)];
    let path = "";
    let used = 0;
    for (const p of parts) {
      const next = path ? `${path}.${p[0]}` : p[0];
      if (!MODULE_PATHS.has(next)) break;
      path = next;
      used++;
    }
    const endOf = (k: number) => "modules".length + parts[k]!.index + parts[k]![0].length;
    if (used < parts.length && (used === 0 || isModuleNamespace(path))) {
      const missing = [...(path ? [path] : []), parts[used]![0]].join(".");
      edits.push({
        at: m.index,
        remove: endOf(used),
        insert: `__wharf_missing_module(${JSON.stringify(missing)})`,
      });
    } else if (used > 0) {
      edits.push({
        at: m.index,
        remove: endOf(used - 1),
        insert: `__wharf_modules[${JSON.stringify(path)}]`,
      });
    }
  }
  const renames: [RegExp, string][] = [
    [/(?<![\w.])this(?=\s*\.)/g, "__wharf_this"],
    // run_started_at is text; its attributes, methods and arithmetic are a datetime's.
    [/(?<![\w.])run_started_at(?=\s*[-+.])/g, "__wharf_run_started_at"],
    [/(?<=[-+]\s*)run_started_at(?!\w)/g, "__wharf_run_started_at"],
    [/(?<![\w.])config\s*\.\s*(?=(get|require)\s*\()/g, "__wharf_config_"],
    // dbt's context values wharf does not provide: an error naming them, not "undefined value".
    [/(?<![\w.])graph(?=\s*[.[])/g, '__wharf_unsupported("graph")'],
    [
      /(?<![\w.])selected_resources(?![\w])(?!\s*=(?!=))/g,
      '__wharf_unsupported("selected_resources")',
    ],
  ];
  for (const [re, to] of renames) {
    for (const m of masked.matchAll(re)) {
      edits.push({ at: m.index, remove: m[0].length, insert: to });
    }
  }
  if (edits.length === 0) return code;
  // Stable: at one position, edits apply in the order they were made (outer calls first).
  const ordered = edits.map((e, i) => ({ ...e, i })).sort((a, b) => a.at - b.at || a.i - b.i);
  let out = "";
  let last = 0;
  for (const e of ordered) {
    if (e.at < last) continue; // inside a removed span: never happens for valid input
    out += code.slice(last, e.at) + e.insert;
    last = e.at + e.remove;
  }
  return out + code.slice(last);
}

/** Where a tag ends: the index after its closing delimiter, or the text's end. */
function tagEnd(text: string, from: number, close: string): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (text.startsWith(close, i)) return i + close.length;
  }
  return text.length;
}

/** The text with a line marker after each line's indentation (unless a tag strips it). */
function markLines(data: string, firstLine: number, atLineStart: boolean, after: string): string {
  let out = "";
  let line = firstLine;
  let i = 0;
  const mark = (from: number) => {
    let j = from;
    while (j < data.length && (data[j] === " " || data[j] === "\t")) j++;
    const rest = j < data.length ? data.slice(j, j + 3) : after.slice(0, 3);
    out += data.slice(from, j);
    if (!/^\{[{%#]-/.test(rest)) out += `${OPEN_MARK}${line}${CLOSE_MARK}`;
    return j;
  };
  if (atLineStart) i = mark(0);
  for (;;) {
    const nl = data.indexOf("\n", i);
    if (nl < 0) break;
    out += data.slice(i, nl + 1);
    line++;
    i = mark(nl + 1);
  }
  return out + data.slice(i);
}

/**
 * `body` (a tag's code) with the names `aliases` holds written as the
 * module or class they stand for where an attribute follows (`dt.now()` →
 * `modules.datetime.datetime.now()`); a `{% set %}` tag (`statement`) of a
 * module or class adds its name to `aliases`, and of anything else drops it.
 */
function moduleAliases(body: string, aliases: Map<string, string>, statement: boolean): string {
  const set = statement ? /^\s*set\s+([A-Za-z_]\w*)\s*=\s*([\s\S]*?)\s*$/.exec(body) : null;
  let out = body;
  if (aliases.size) {
    const masked = maskStrings(body);
    const uses = [...masked.matchAll(/(?<![\w.])([A-Za-z_]\w*)(?=\s*\.)/g)].filter((m) =>
      aliases.has(m[1]!)
    );
    for (const m of uses.reverse()) {
      out = `${out.slice(0, m.index)}modules.${aliases.get(m[1]!)}${
        out.slice(m.index + m[1]!.length)
      }`;
    }
  }
  if (set) {
    const written = /^modules((?:\s*\.\s*[A-Za-z_]\w*)+)$/.exec(set[2]!.trim())?.[1];
    const path = written?.replace(/\s/g, "").slice(1);
    if (path !== undefined && isModuleNamespace(path)) aliases.set(set[1]!, path);
    else aliases.delete(set[1]!);
  }
  return out;
}

/**
 * Rewrites a template (see the module doc); with `lines`, marks each line
 * of text with its line number; with `agate`, reads dbt's agate values as
 * dbt does (see {@linkcode rewriteAgate}: for a render against the
 * warehouse). Mappings iterate in written order (`rewriteMapOrder`,
 * `map_order.ts`); `path` names the macro file the template is, for its
 * errors (absent: the template rendered).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewriteJinja } from "./rewrite_jinja.ts";
 *
 * const names = { project: new Set(["cents"]), direct: new Set<string>(), dispatched: new Set<string>() };
 * const { text, imports } = rewriteJinja("select {{ cents('amount') }}", names);
 * assert.equal(text, "select {{ (__wharf_value(cents('amount'))) | pprint | __wharf_str }}");
 * assert.deepEqual([...imports], ["cents"]);
 * ```
 */
export function rewriteJinja(
  source: string,
  names: MacroNames,
  options: { lines?: boolean; agate?: boolean; path?: string } = {},
): Rewritten {
  source = rewriteMutation(source, { packages: names.packages?.keys(), path: options.path });
  const imports = new Set<string>();
  /** How many values `rewriteAgate` has set. */
  let set = 0;
  // `{% set dt = modules.datetime.datetime %}`: later `dt.now()` is `modules.datetime.datetime.now()`.
  const aliases = new Map<string, string>();
  let out = "";
  let line = 1;
  let i = 0;
  const data = (end: number) => {
    const chunk = source.slice(i, end);
    out += options.lines ? markLines(chunk, line, i === 0, source.slice(end)) : chunk;
    line += chunk.split("\n").length - 1;
    i = end;
  };
  const verbatim = (end: number) => {
    const chunk = source.slice(i, end);
    out += chunk;
    line += chunk.split("\n").length - 1;
    i = end;
  };
  const tag = /\{([{%#])/g;
  while (i < source.length) {
    tag.lastIndex = i;
    const m = tag.exec(source);
    if (!m) {
      data(source.length);
      break;
    }
    data(m.index);
    const kind = m[1]!;
    if (kind === "#") {
      const end = source.indexOf("#}", i + 2);
      verbatim(end < 0 ? source.length : end + 2);
      continue;
    }
    const close = kind === "{" ? "}}" : "%}";
    const end = tagEnd(source, i + 2, close);
    const whole = source.slice(i, end);
    const inner = /^\{[{%][-+]?([\s\S]*?)[-+]?[}%]\}$/.exec(whole);
    if (!inner) {
      verbatim(end);
      continue;
    }
    if (kind === "%" && /^\s*raw\s*$/.test(inner[1]!)) {
      verbatim(end);
      const endraw = /\{%[-+]?\s*endraw\s*[-+]?%\}/g;
      endraw.lastIndex = i;
      const e = endraw.exec(source);
      verbatim(e ? e.index : source.length);
      continue;
    }
    const open = /^\{[{%][-+]/.test(whole) ? 3 : 2;
    const closeLen = /[-+][}%]\}$/.test(whole) ? 3 : 2;
    const body = moduleAliases(
      parenthesizeConditionalArguments(pythonStrings(whole.slice(open, whole.length - closeLen))),
      aliases,
      kind === "%",
    );
    const code = rewriteCode(rewriteMacroExtras(body, names.extras ?? new Map()), names, imports);
    const { before, code: read } = options.agate
      ? rewriteAgate(code, kind === "%", () => `__wharf_agate_${++set}`)
      : { before: [], code };
    const site = { line, ...(options.path === undefined ? {} : { path: options.path }) };
    // What the tag reads once is set just before it, which strips what the tag stripped.
    out += before.map((s, n) =>
      `{%${n === 0 ? whole.slice(2, open) : ""} ${
        rewritePrinting(
          rewriteArithmetic(rewriteMapOrder(rewriteMethods(s, site), true, site), true),
          true,
        )
      } %}`
    ).join("") + whole.slice(0, before.length ? 2 : open) +
      rewritePrinting(
        rewriteArithmetic(
          rewriteMapOrder(rewriteMethods(read, site), kind === "%", site),
          kind === "%",
        ),
        kind === "%",
      ) +
      whole.slice(whole.length - closeLen);
    line += whole.split("\n").length - 1;
    i = end;
  }
  return { text: out, imports };
}

/**
 * Removes the line markers of a rendered text and says, for each of its
 * lines, which line of the file it came from: the last marker at or before
 * it (text a macro wrote belongs to the line that called it).
 */
export function readLineMarkers(rendered: string): { text: string; sourceLines: number[] } {
  const lines = rendered.split("\n");
  const sourceLines: number[] = [];
  let current = 1;
  const marker = new RegExp(`${OPEN_MARK}(\\d+)${CLOSE_MARK}`, "g");
  const text = lines.map((l) => {
    let first: number | undefined;
    const clean = l.replace(marker, (_, n: string) => {
      first ??= Number(n);
      current = Number(n);
      return "";
    });
    sourceLines.push(first ?? current);
    return clean;
  }).join("\n");
  return { text, sourceLines };
}

/** Calls that give a query's result: reading it by name where it cannot be set first is an error. */
const QUERY_CALLS = new Set(["run_query", "load_result"]);

/** Filters that read the items of what they filter: of a run_query() table, its rows. */
const ITEM_FILTERS = new Set([
  "length",
  "count",
  "list",
  "first",
  "last",
  "reverse",
  "sort",
  "map",
  "select",
  "reject",
  "selectattr",
  "rejectattr",
  "join",
  "sum",
  "min",
  "max",
  "unique",
  "batch",
  "slice",
  "groupby",
]);

/** agate's Row methods (of a row; of anything else, its own). */
const ROW_METHODS = new Set(["keys", "values", "items", "dict", "get"]);

/**
 * Filters that read an attribute of each item, and which of their
 * arguments names it: the keyword `attribute`, or the first positional one.
 */
const ATTRIBUTE_FILTERS: ReadonlyMap<string, { keyword: boolean; positional: boolean }> = new Map([
  ["map", { keyword: true, positional: false }],
  ["sort", { keyword: true, positional: false }],
  ["unique", { keyword: true, positional: false }],
  ["groupby", { keyword: true, positional: true }],
  ["selectattr", { keyword: false, positional: true }],
  ["rejectattr", { keyword: false, positional: true }],
]);

/** Statements whose expression runs each time the tag is reached: a value it reads once may be set just before it. */
const SETTING = new Set(["set", "if", "do", "for"]);

/**
 * The code of one tag of a template rendered against the warehouse, made
 * to read dbt's agate values as agate (and Jinja's attribute lookup) does;
 * other values read as before:
 *
 * - `p[k]`: a table's `t[i]` is its row `i`, a row's `row['name']` its
 *   column's value, `columns['name']` the column of that name;
 * - `p.name`: of a row (a variable's, an attribute's or an item's value:
 *   `ns.row.name`, `d.r.name`), its column's value (Jinja falls back to
 *   the item);
 * - `row.keys()`, `values()`, `items()`, `dict()`, `get(k, default)`;
 * - `for x in t`, `x in t` and filters that read items (`t | length`): a
 *   table's rows;
 * - filters that read an attribute of each item (`map(attribute=k)`,
 *   `selectattr(k, …)`, `rejectattr`, `sort`, `unique`, `groupby`), of rows:
 *   the column named `k` (`__wharf_attribute(items, k)` gives its position);
 * - `t | tojson`: an error naming it (`__wharf_agate_json(t, written)`).
 *
 * A row and the columns are sequences (so `row[0]`, `for v in row` and
 * `row | length` are minijinja's own); `__wharf_index(p, k)` gives the
 * position of the name `k` in such a sequence, or `k` itself, and
 * `__wharf_row_method(row, m, …)` runs a row's method
 * (`warehouse_context.ts`). What is read this way is read more than once,
 * so a receiver that calls something is set first, in `before` (the
 * statements to run just before the tag), where that keeps when and in
 * what order it runs: in `{{ … }}`, `set`, `if`, `do` and a `for`'s
 * iterable, with no inline `if`, no `and`/`or` before it and no other call
 * before it. Elsewhere, a `run_query()` or `load_result()` read so is
 * `__wharf_agate_unset(written)` (an error naming it); other calls' values
 * read as before. `fresh` names the values set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewriteAgate } from "./rewrite_jinja.ts";
 *
 * assert.deepEqual(rewriteAgate(" row.id ", false, () => "v"), {
 *   before: [],
 *   code: ` (row[__wharf_index(row, "id")] if row is sequence else row.id) `,
 * });
 * assert.deepEqual(rewriteAgate(" for x in run_query(q) ", true, () => "v"), {
 *   before: ["set v = run_query(q)"],
 *   code: ` for x in (v.rows if v is mapping and v.__agate == "table" else v) `,
 * });
 * ```
 */
export function rewriteAgate(
  code: string,
  statement: boolean,
  fresh: () => string,
): { before: string[]; code: string } {
  const tokens = tokenize(code);
  const before: string[] = [];
  const match = (open: number): number => closingBracket(tokens, open);
  /** The first token from `from` at bracket depth 0 that `is` accepts, or the end. */
  const top = (from: number, is: (t: Token) => boolean): number => {
    let depth = 0;
    for (let k = from; k < tokens.length; k++) {
      const t = tokens[k]!;
      if (depth === 0 && is(t)) return k;
      if (t.kind === "open") depth++;
      else if (t.kind === "close") depth--;
    }
    return tokens.length;
  };
  const keyword = statement ? tokens[0]?.text : undefined;
  // The expression: after a statement's keyword, a `set`'s `=`, a `for`'s `in` (up to its `if`).
  let from = statement ? 1 : 0;
  let iterable = -1;
  if (keyword === "set") from = top(1, (t) => t.text === "=") + 1;
  if (keyword === "for") {
    from = top(1, (t) => t.text === "in") + 1;
    iterable = top(from, (t) => t.kind === "name" && (t.text === "if" || t.text === "recursive"));
  }
  const state = {
    /** A value read here may be set before the tag. */
    settable: (keyword === undefined || SETTING.has(keyword)) &&
      !tokens.slice(from, iterable < 0 ? undefined : iterable).some((t) =>
        t.kind === "name" && (t.text === "if" || t.text === "else")
      ),
    /** Something before here (in the tag, not set before it) calls something. */
    called: false,
  };
  /** The text of tokens `[a, b)` (from the first's start to the last's end), rewritten. */
  const span = (a: number, b: number, whole = -1): string => {
    let out = "";
    let last = tokens[a]?.start ?? 0;
    for (let i = a; i < b;) {
      const t = tokens[i]!;
      if (t.kind === "name" && (t.text === "and" || t.text === "or")) state.settable = false;
      if (t.kind === "name" && !KEYWORDS.has(t.text) && tokens[i - 1]?.text !== ".") {
        const c = chain(i, b, i === whole);
        out += code.slice(last, t.start) + c.text;
        last = tokens[c.end - 1]!.end;
        i = c.end;
      } else i++;
    }
    return out + code.slice(last, b > a ? tokens[b - 1]!.end : last);
  };
  /** What is between the bracket tokens `open` and `close`, rewritten. */
  const inner = (open: number, close: number): string =>
    code.slice(tokens[open]!.end, tokens[open + 1]!.start) + span(open + 1, close) +
    code.slice(tokens[close - 1]!.end, tokens[close]!.start);
  /** The tokens `[s, e)` of the argument of the filter call `(open, close)` that names an attribute. */
  const attributeArgument = (
    filter: string,
    open: number,
    close: number,
  ): [number, number] | [] => {
    const takes = ATTRIBUTE_FILTERS.get(filter);
    if (takes === undefined) return [];
    let positional = 0;
    for (let s = open + 1; s < close;) {
      const e = top(s, (t) => t.text === "," || t === tokens[close]);
      const keyword = tokens[s]?.kind === "name" && tokens[s + 1]?.text === "=" && s + 1 < e;
      if (keyword && takes.keyword && tokens[s]!.text === "attribute" && s + 2 < e) {
        return [s + 2, e];
      }
      if (!keyword && positional++ === 0 && takes.positional && s < e) return [s, e];
      s = e + 1;
    }
    return [];
  };
  /** The text of the tokens `[a, b)` rewritten, with the whitespace before `b` (nothing when empty). */
  const spanTo = (a: number, b: number): string =>
    a < b ? span(a, b) + code.slice(tokens[b - 1]!.end, tokens[b]!.start) : "";
  /**
   * The filters from token `k` (`| f`, `| f(…)`, up to `b`) of a chain whose
   * text `chain` holds, added to it; where it ends. A filter that reads an
   * attribute of each item reads a row's column by its name
   * (`__wharf_attribute(items, name)`); `tojson` of a table is
   * `__wharf_agate_json(table, written)`'s error. `chain.from`: its first token.
   */
  const filters = (
    k: number,
    b: number,
    chain: { from: number; text(): string; set(text: string): void; once(): string | undefined },
  ): number => {
    while (tokens[k]?.text === "|" && tokens[k + 1]?.kind === "name" && k + 1 < b) {
      const name = tokens[k + 1]!;
      const open = tokens[k + 2]?.text === "(" && k + 2 < b ? k + 2 : -1;
      const close = open < 0 ? -1 : match(open);
      if (open >= 0 && (close < 0 || close >= b)) break;
      const [s, e] = open < 0 ? [] : attributeArgument(name.text, open, close);
      const p = s !== undefined || name.text === "tojson" ? chain.once() : undefined;
      const filter = code.slice(tokens[k - 1]!.end, name.end);
      if (p !== undefined && name.text === "tojson") {
        const args = open < 0 ? "" : `(${inner(open, close)})`;
        const written = JSON.stringify(code.slice(tokens[chain.from]!.start, tokens[k - 1]!.end));
        chain.set(`(${p}${filter}${args} if __wharf_agate_json(${p}, ${written}) else none)`);
      } else if (p !== undefined && s !== undefined && e !== undefined) {
        chain.set(
          `${p}${filter}(${code.slice(tokens[open]!.end, tokens[open + 1]!.start)}${
            spanTo(open + 1, s)
          }__wharf_attribute(${p}, ${span(s, e)})${
            code.slice(tokens[e - 1]!.end, tokens[e]!.start)
          }${spanTo(e, close)})`,
        );
      } else chain.set(`${chain.text()}${filter}${open < 0 ? "" : `(${inner(open, close)})`}`);
      if (open >= 0) state.called = true;
      k = open < 0 ? k + 2 : close + 1;
    }
    return k;
  };
  /**
   * A chain `name(.name | (…) | […])*` from token `i` (up to `b`): its
   * rewritten text and where it ends; `iterable`: it starts a `for`'s iterable.
   */
  const chain = (i: number, b: number, iterable: boolean): { text: string; end: number } => {
    const head = tokens[i]!;
    // wharf's own values are no agate's; a macro's value (`__wharf_value(m(…))`) may be.
    // A filter's or a test's name is none.
    const prev = tokens[i - 1]?.text;
    const named = prev === "|" || prev === "is" || (prev === "not" && tokens[i - 2]?.text === "is");
    const agate = !named && (head.text === "__wharf_value" ||
      (!head.text.startsWith("__wharf_") && head.text !== "loop"));
    const calledBefore = state.called;
    state.called = false;
    let text = head.text;
    let pure = true;
    /** What the chain so far ends with (a method's value is no agate value). */
    let last: "name" | "call" | "method" | "subscript" | "attribute" = "name";
    let unset = false;
    /**
     * The chain so far as text that may be read more than once, or
     * undefined: a name or attribute as it is, else set first where it
     * can be (a call must), else as it is when it calls nothing.
     */
    const once = (): string | undefined => {
      if (pure && !/[[(]/.test(text)) return text;
      if (state.settable && !calledBefore) {
        const name = fresh();
        before.push(`set ${name} = ${text}`);
        state.called = false;
        text = name;
        pure = true;
        return name;
      }
      if (pure) return text;
      if (QUERY_CALLS.has(head.text)) unset = true;
      return undefined;
    };
    let k = i + 1;
    for (; k < b;) {
      const t = tokens[k]!;
      const gap = code.slice(tokens[k - 1]!.end, t.start);
      const attribute = tokens[k + 1];
      if (t.text === ".") {
        if (attribute?.kind !== "name" || k + 1 >= b) break;
        const name = attribute.text;
        const call = tokens[k + 2]?.text === "(" && k + 2 < b ? k + 2 : -1;
        // A row is a variable's value, an attribute's (`ns.row`), an item (`t.rows[0]`) or a
        // macro's value.
        const row = agate && (call < 0 || ROW_METHODS.has(name)) &&
          (last === "name" || last === "subscript" || last === "attribute" ||
            (last === "call" && head.text === "__wharf_value"));
        const p = row ? once() : undefined;
        if (p !== undefined && call < 0) {
          text = `(${p}[__wharf_index(${p}, "${name}")] if ${p} is sequence else ${p}.${name})`;
          k += 2;
          last = "attribute";
          continue;
        }
        if (p !== undefined) {
          const close = match(call);
          if (close < 0 || close >= b) break;
          const args = inner(call, close);
          state.called = true;
          text = `(__wharf_row_method(${p}, "${name}"${
            args.trim() ? `, ${args}` : ""
          }) if ${p} is sequence else ${p}.${name}(${args}))`;
          pure = false;
          last = "method";
          k = close + 1;
          continue;
        }
        text += gap + code.slice(t.start, attribute.end);
        k += 2;
        last = "attribute";
        continue;
      }
      if (t.kind !== "open" || t.text === "{") break;
      const close = match(k);
      if (close < 0 || close >= b) break;
      if (t.text === "(") {
        text += `${gap}(${inner(k, close)})`;
        state.called = true;
        pure = false;
        last = last === "attribute" ? "method" : "call";
      } else {
        const key = tokens.slice(k + 1, close);
        let depth = 0;
        const plainKey = key.length > 0 && key.every((x) => {
          if (x.kind === "open") depth++;
          else if (x.kind === "close") depth--;
          return x.text !== "(" && !(depth === 0 && (x.text === ":" || x.text === ","));
        });
        const wholeNumber = key.length === 1 && /^\d+$/.test(key[0]!.text);
        const p = agate && plainKey && (!wholeNumber || last === "name" || last === "call")
          ? once()
          : undefined;
        const q = inner(k, close).trim();
        if (p !== undefined) {
          text =
            `(${p}.rows[${q}] if ${p} is mapping and ${p}.__agate == "table" and ${q} is integer else ${p}[__wharf_index(${p}, ${q})] if ${p} is sequence and ${q} is string else ${p}[${q}])`;
        } else text += `${gap}[${inner(k, close)}]`;
        last = "subscript";
      }
      k = close + 1;
    }
    // `for x in t`, `x in t`, `t | length`: a table's rows.
    const filtered = tokens[k]?.text === "|" && k + 1 < b;
    const items = last !== "method" && ((iterable && k === b) ||
      (tokens[i - 1]?.text === "in" && !filtered) ||
      (filtered && ITEM_FILTERS.has(tokens[k + 1]!.text)));
    const p = agate && items ? once() : undefined;
    if (p !== undefined) {
      text = `(${p}.rows if ${p} is mapping and ${p}.__agate == "table" else ${p})`;
    }
    if (agate) k = filters(k, b, { from: i, text: () => text, set: (t) => (text = t), once });
    state.called ||= calledBefore;
    if (unset) {
      text = `__wharf_agate_unset(${JSON.stringify(code.slice(head.start, tokens[k - 1]!.end))})`;
    }
    return { text, end: k };
  };
  if (from >= tokens.length) return { before, code };
  const end = iterable < 0 ? tokens.length : iterable;
  let out = code.slice(0, tokens[from]!.start) + span(from, end, keyword === "for" ? from : -1);
  if (end < tokens.length) {
    state.settable = false;
    out += code.slice(tokens[end - 1]!.end, tokens[end]!.start) + span(end, tokens.length);
  }
  return { before, code: out + code.slice(tokens.at(-1)!.end) };
}

/** Words that end an operand of `+`/`-` (operators binding looser than they do). */
const LOOSER = new Set(["and", "or", "not", "if", "else", "in", "for", "recursive"]);
const LOOSER_OPS = new Set([",", ":", "=", "==", "!=", "<", ">", "<=", ">="]);

/**
 * `code` with each chain of `+`/`-` whose first operand may be a
 * `modules.datetime` value (not a literal) routed through the time
 * arithmetic when it is one: `a - b` becomes
 * `(__wharf_time_arith(a, "-", b) if __wharf_is_time(a) else a - b)`, so
 * minijinja's own `+` and `-` still apply to everything else (numbers keep
 * their kind, strings concatenate). `statement`: the code of a `{% … %}`
 * tag, whose first word is its keyword.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewriteArithmetic } from "./rewrite_jinja.ts";
 *
 * assert.equal(
 *   rewriteArithmetic(" set end = start + delta ", true),
 *   ' set end = (__wharf_time_arith(start, "+", delta) if __wharf_is_time(start) else start + delta) ',
 * );
 * assert.equal(rewriteArithmetic(" 'a' + b ~ c ", false), " 'a' + b ~ c ");
 * ```
 */
export function rewriteArithmetic(code: string, statement: boolean): string {
  if (!/[-+]/.test(maskStrings(code))) return code;
  const tokens = tokenize(code);
  let pos = 0;
  /** The rewritten text of the tokens up to the close of the current group (or the end). */
  const group = (from: number): string => {
    let out = "";
    let segment: Token[] = [];
    let segmentStart = from;
    let last = from;
    const flush = (to: number) => {
      out += rewriteSegment(code, segment, segmentStart, to);
      segment = [];
      segmentStart = to;
    };
    while (pos < tokens.length) {
      const t = tokens[pos]!;
      if (t.kind === "close") break;
      const first = statement && from === 0 && pos === 0 && t.kind === "name";
      const isNotAfterIs = t.text === "not" && tokens[pos - 1]?.text === "is";
      if (
        first || (t.kind === "name" && LOOSER.has(t.text) && !isNotAfterIs) ||
        (t.kind === "op" && LOOSER_OPS.has(t.text))
      ) {
        flush(t.start);
        out += code.slice(t.start, t.end);
        segmentStart = t.end;
        last = t.end;
        pos++;
        continue;
      }
      if (t.kind === "open") {
        pos++;
        const inner = group(t.end);
        const close = tokens[pos];
        const end = close ? close.end : code.length;
        segment.push({ ...t, text: `${t.text}${inner}${close ? close.text : ""}`, end });
        pos++;
        last = end;
        continue;
      }
      segment.push(t);
      last = t.end;
      pos++;
    }
    flush(pos < tokens.length ? tokens[pos]!.start : Math.max(last, code.length));
    return out;
  };
  /** A segment's text, its chain of binary `+`/`-` rewritten when it has one. */
  const rewriteSegment = (src: string, seg: Token[], start: number, end: number): string => {
    // The text of tokens with groups already rewritten: stitched from the source between them.
    const text = (ts: Token[]) =>
      ts.map((t, i) => (i === 0 ? "" : src.slice(ts[i - 1]!.end, t.start)) + t.text).join("");
    const lead = seg.length ? src.slice(start, seg[0]!.start) : src.slice(start, end);
    const trail = seg.length ? src.slice(seg.at(-1)!.end, end) : "";
    const operands: Token[][] = [[]];
    const ops: string[] = [];
    seg.forEach((t, i) => {
      const prev = seg[i - 1];
      const binary = (t.text === "+" || t.text === "-") && t.kind === "op" && prev !== undefined &&
        (prev.kind !== "op" || prev.text === ")");
      if (binary) {
        ops.push(t.text);
        operands.push([]);
      } else operands.at(-1)!.push(t);
    });
    const first = operands[0]!;
    const literal = first.length === 1 &&
      (first[0]!.kind === "string" || first[0]!.kind === "number" ||
        (first[0]!.kind === "open" && first[0]!.text[0] !== "("));
    if (!ops.length || literal || operands.some((o) => o.length === 0)) {
      return lead + text(seg) + trail;
    }
    const args = [
      text(first),
      ...operands.slice(1).flatMap((o, i) => [JSON.stringify(ops[i]), text(o)]),
    ];
    return `${lead}(__wharf_time_arith(${args.join(", ")}) if __wharf_is_time(${
      text(first)
    }) else ${text(seg)})${trail}`;
  };
  const out = group(0);
  // Unbalanced brackets: minijinja reports them; the rest is kept as written.
  return pos < tokens.length ? code : out;
}
