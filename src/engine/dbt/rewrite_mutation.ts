/**
 * Lists and mappings that change in place, as dbt's Jinja (Python) lets
 * them: `{% do cols.append(c) %}`, `{% do d.update({'k': v}) %}`,
 * `{% set y = cols.pop() %}`. minijinja's values cannot change, so a
 * template is rewritten before it renders: each variable `X` a template
 * (or one macro's body) changes so is held in a namespace, whose attribute
 * a `{% set %}` changes across loop scopes, as Python's change is seen:
 *
 * - `{% set X = E %}` → `{% set __wharf_mut_X = namespace(v=E) %}`;
 * - every read of `X` → `__wharf_mut_X.v` (in the macros the file defines
 *   too, unless they set or take an `X` of their own);
 * - `{% do X.append(x) %}` (and `{% set y = X.m(…) %}`) → `{% set
 *   __wharf_mut_X.v = … %}` with the new value, its arguments evaluated once,
 *   in order (`y` gets what Python's method returns: the item `pop()`
 *   removes, the value `setdefault()` gives, else none).
 *
 * Lists: `append`, `extend`, `insert`, `pop`, `remove`, `clear`; mappings:
 * `update`, `pop`, `setdefault`, `clear` (the helpers of
 * `mutation_globals.ts` check what Python checks and keep a mapping's
 * written order, new keys after old ones). A change wharf cannot make so
 * (of a macro parameter, a loop variable, an attribute or item, a variable
 * set otherwise or set to another variable, or a call used as a value)
 * becomes `__wharf_mutation_error(message, line, path)`: an error naming
 * the line and what to write instead when it runs.
 *
 * @module
 */
import { closingBracket, KEYWORDS, type Token, tokenize } from "./jinja_tokens.ts";

/** Methods that change a list or a mapping in place. */
const MUTATING = new Set([
  "append",
  "extend",
  "insert",
  "pop",
  "remove",
  "clear",
  "update",
  "setdefault",
]);

/** dbt's context objects: a method of theirs (`adapter.…`, `modules.…`) is no change of a value. */
const CONTEXT_OBJECTS = new Set([
  "adapter",
  "api",
  "builtins",
  "config",
  "context",
  "dbt",
  "exceptions",
  "graph",
  "model",
  "modules",
  "this",
]);

/** A tag of the template: where it is, its delimiters and its code's tokens. */
interface Tag {
  start: number;
  end: number;
  statement: boolean;
  /** The opening and closing delimiters as written (`{%-`, `%}`). */
  open: string;
  close: string;
  code: string;
  /** Where the code starts in the template. */
  codeAt: number;
  tokens: Token[];
}

/** The body of a macro (or the template outside macros), where a variable is one variable. */
interface Scope {
  macro?: string;
  params: Set<string>;
  tags: Tag[];
  /** The scope the macro is defined in. */
  parent?: Scope;
}

/** A change of a variable wharf makes (`X.m(…)` as a statement) or reports. */
interface Site {
  tag: Tag;
  /** The receiver's first token and the method's `(` and `)`. */
  from: number;
  paren: number;
  closing: number;
  method: string;
  receiver: string;
  /** `{% do X.m(…) %}`, `{% set y = X.m(…) %}`, or anything else (a value). */
  form: "do" | "set" | "value";
}

/** The tags of `source` (comments and `{% raw %}` left out), in order. */
function tagsOf(source: string): Tag[] {
  const tags: Tag[] = [];
  const opening = /\{([{%#])/g;
  let i = 0;
  while (i < source.length) {
    opening.lastIndex = i;
    const m = opening.exec(source);
    if (!m) break;
    if (m[1] === "#") {
      const end = source.indexOf("#}", m.index + 2);
      i = end < 0 ? source.length : end + 2;
      continue;
    }
    const closer = m[1] === "{" ? "}}" : "%}";
    let end = source.length;
    let quote: string | undefined;
    for (let k = m.index + 2; k < source.length; k++) {
      const c = source[k]!;
      if (quote) {
        if (c === "\\") k++;
        else if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"') quote = c;
      else if (source.startsWith(closer, k)) {
        end = k + 2;
        break;
      }
    }
    const whole = source.slice(m.index, end);
    const openLen = /^\{[{%][-+]/.test(whole) ? 3 : 2;
    const closeLen = /[-+][}%]\}$/.test(whole) && whole.length >= openLen + 3 ? 3 : 2;
    const code = whole.slice(openLen, Math.max(openLen, whole.length - closeLen));
    const tag: Tag = {
      start: m.index,
      end,
      statement: m[1] === "%",
      open: whole.slice(0, openLen),
      close: whole.slice(whole.length - closeLen),
      code,
      codeAt: m.index + openLen,
      tokens: tokenize(code),
    };
    i = end;
    if (tag.statement && tag.tokens[0]?.text === "raw") {
      const endraw = /\{%[-+]?\s*endraw\s*[-+]?%\}/g;
      endraw.lastIndex = end;
      const e = endraw.exec(source);
      i = e ? e.index + e[0].length : source.length;
      continue;
    }
    tags.push(tag);
  }
  return tags;
}

/** The scopes of `tags`: the template outside macros, then each macro's body. */
function scopesOf(tags: readonly Tag[]): Scope[] {
  const top: Scope = { params: new Set(), tags: [] };
  const scopes = [top];
  const stack = [top];
  for (const tag of tags) {
    const [head, name] = tag.tokens;
    if (tag.statement && head?.text === "macro" && name?.kind === "name") {
      stack[stack.length - 1]!.tags.push(tag);
      const params = new Set<string>();
      const open = tag.tokens.findIndex((t) => t.text === "(");
      const close = open < 0 ? -1 : closingBracket(tag.tokens, open);
      let depth = 0;
      for (let k = open + 1; open >= 0 && k < close; k++) {
        const t = tag.tokens[k]!;
        if (t.kind === "open") depth++;
        else if (t.kind === "close") depth--;
        else if (depth === 0 && t.kind === "name" && /^[(,]$/.test(tag.tokens[k - 1]!.text)) {
          params.add(t.text);
        }
      }
      const scope: Scope = { macro: name.text, params, tags: [], parent: stack[stack.length - 1] };
      scopes.push(scope);
      stack.push(scope);
      continue;
    }
    stack[stack.length - 1]!.tags.push(tag);
    if (tag.statement && head?.text === "endmacro" && stack.length > 1) stack.pop();
  }
  return scopes;
}

/** How a scope sets a variable: `{% set X = E %}` (and whether E is another variable), or otherwise. */
interface Setting {
  plain: boolean;
  other: boolean;
  loop: boolean;
  alias?: string;
}

/** What the scope's tags do to each name: set it, loop over it. */
function settingsOf(scope: Scope): Map<string, Setting> {
  const settings = new Map<string, Setting>();
  const of = (name: string) => {
    let s = settings.get(name);
    if (!s) settings.set(name, s = { plain: false, other: false, loop: false });
    return s;
  };
  for (const tag of scope.tags) {
    const t = tag.tokens;
    if (!tag.statement) continue;
    if (t[0]?.text === "set" && t[1]?.kind === "name") {
      if (t[2]?.text === "=") {
        const s = of(t[1].text);
        s.plain = true;
        if (t.length === 4 && t[3]!.kind === "name" && !KEYWORDS.has(t[3]!.text)) {
          if (!/^(none|None|true|false|True|False)$/.test(t[3]!.text)) s.alias = t[3]!.text;
        }
      } else if (t[2]?.text !== ".") {
        // `{% set X %}…{% endset %}`, `{% set a, b = … %}`.
        for (let k = 1; k < t.length && t[k]!.text !== "="; k++) {
          if (t[k]!.kind === "name") of(t[k]!.text).other = true;
        }
      }
    }
    if (t[0]?.text === "for") {
      for (let k = 1; k < t.length && t[k]!.text !== "in"; k++) {
        if (t[k]!.kind === "name") of(t[k]!.text).loop = true;
      }
    }
  }
  return settings;
}

/** The changes (`….append(…)` and the like) in a tag: where they are and how they are used. */
function sitesOf(tag: Tag, packages: ReadonlySet<string>): Site[] {
  const t = tag.tokens;
  const sites: Site[] = [];
  for (let k = 1; k + 2 < t.length; k++) {
    if (t[k]!.text !== "." || !MUTATING.has(t[k + 1]!.text) || t[k + 2]!.text !== "(") continue;
    if (t[k + 1]!.kind !== "name") continue;
    // The receiver: a name and what follows it (`.b`, `[…]`, `(…)`).
    let from = k - 1;
    for (;;) {
      const cur = t[from]!;
      if (cur.kind === "close") {
        let depth = 0;
        let j = from;
        for (; j >= 0; j--) {
          if (t[j]!.kind === "close") depth++;
          else if (t[j]!.kind === "open" && --depth === 0) break;
        }
        if (j <= 0 || !(t[j - 1]!.kind === "name" || t[j - 1]!.kind === "close")) {
          from = Math.max(j, 0);
          break;
        }
        from = j - 1;
      } else if (cur.kind === "name" && t[from - 1]?.text === ".") from -= 2;
      else break;
    }
    if (t[from]!.kind !== "name" && t[from]!.kind !== "open") continue;
    const simple = from === k - 1;
    if (simple && (CONTEXT_OBJECTS.has(t[from]!.text) || packages.has(t[from]!.text))) continue;
    if (!simple && t[from]!.kind === "name" && CONTEXT_OBJECTS.has(t[from]!.text)) continue;
    const closing = closingBracket(t, k + 2);
    if (closing < 0) continue;
    const whole = closing === t.length - 1 && tag.statement;
    const form = whole && t[0]!.text === "do" && from === 1
      ? "do"
      : whole && t[0]!.text === "set" && t[1]?.kind === "name" && t[2]?.text === "=" && from === 3
      ? "set"
      : "value";
    sites.push({
      tag,
      from,
      paren: k + 2,
      closing,
      method: t[k + 1]!.text,
      receiver: tag.code.slice(t[from]!.start, t[k - 1]!.end),
      form,
    });
  }
  // One change a statement: one inside another's arguments is a value, and so is the other then.
  return sites.length > 1 ? sites.map((s) => ({ ...s, form: "value" as const })) : sites;
}

/** A mutable copy hint: `X | list` (a list) or `dict(X)` (a mapping). */
function copyHint(target: string, source: string): string {
  return `{% set ${target} = ${source} | list %}, or dict(${source}) for a mapping`;
}

/** Why wharf cannot make the change at `site` (of the scope's `settings`), or undefined. */
function problemOf(site: Site, scope: Scope, settings: Map<string, Setting>): string | undefined {
  const x = site.receiver;
  const call = `"${x}.${site.method}()"`;
  const where = scope.macro === undefined ? "this file" : `macro ${scope.macro}`;
  const only =
    `wharf changes in place only a variable set with {% set ${x} = … %} in the same file or macro`;
  if (!/^[A-Za-z_]\w*$/.test(x)) {
    const attr = /^([A-Za-z_][\w.]*)\.([A-Za-z_]\w*)$/.exec(x);
    const item = /^([A-Za-z_]\w*)\[(.+)\]$/.exec(x);
    const grow = site.method === "append" || site.method === "extend" ? ` + […]` : "";
    const instead = attr
      ? `{% set ${x} = ${grow ? x + grow : "…"} %}`
      : item
      ? `{% do ${item[1]}.update({${item[2]}: ${grow ? x + grow : "…"}}) %}`
      : `{% set %} the changed value`;
    return `${call}: wharf changes in place only a variable set with {% set %} in the same file or macro, not an attribute or an item: write ${instead}`;
  }
  const s = settings.get(x);
  const setHere = s !== undefined && s.plain && !s.other && !s.loop && s.alias === undefined;
  if (scope.params.has(x) && !setHere) {
    return `${call}: "${x}" is a parameter of macro ${scope.macro}, and ${only} (in dbt the caller's value would change too): copy it first (${
      copyHint(x, x)
    }) and change the copy, or return the changed value`;
  }
  if (s?.loop) {
    return `${call}: "${x}" is a loop variable, and ${only}: set a copy first (${
      copyHint(`${x}2`, x)
    }) and change it`;
  }
  if (!s?.plain || s.other) {
    return `${call}: "${x}" is not set with {% set ${x} = … %} in ${where}, and wharf changes in place only such a variable: set it there first`;
  }
  if (s.alias !== undefined) {
    return `${call}: "${x}" is set to "${s.alias}", another variable, which dbt changes too and wharf does not: set a copy (${
      copyHint(x, s.alias)
    })`;
  }
  if (site.form === "value") {
    const gives = site.method === "pop" || site.method === "setdefault"
      ? ` (or {% set y = ${x}.${site.method}(…) %} for what it gives)`
      : "";
    return `${call} is used as a value: wharf changes a list or mapping in place only in a statement of its own: write {% do ${x}.${site.method}(…) %}${gives}`;
  }
  return undefined;
}

/** The namespace holding the variable `x`. */
const held = (x: string) => `__wharf_mut_${x}`;

/**
 * Rewrites `source` (a template, or the macro file `path`) so that lists
 * and mappings change in place (see the module doc). `packages` names the
 * packages (`pkg.m(…)` is a macro call, not a change). The text keeps its
 * lines: each tag rewritten keeps the newlines it had.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rewriteMutation } from "./rewrite_mutation.ts";
 *
 * assert.equal(
 *   rewriteMutation("{% set c = [] %}{% do c.append(1) %}{{ c }}"),
 *   "{% set __wharf_mut_c = namespace(v=([])) %}{% set __wharf_mut_1 = (1) %}" +
 *     "{% set __wharf_mut_c.v = __wharf_mut_c.v + [__wharf_mut_1] %}{{ __wharf_mut_c.v }}",
 * );
 * ```
 */
export function rewriteMutation(
  source: string,
  options: { packages?: Iterable<string>; path?: string } = {},
): string {
  if (!/\.\s*(append|extend|insert|pop|remove|clear|update|setdefault)\s*\(/.test(source)) {
    return source;
  }
  const packages = new Set(options.packages ?? []);
  const pathArg = options.path === undefined ? "" : `, ${JSON.stringify(options.path)}`;
  const lineAt = (index: number) => source.slice(0, index).split("\n").length;
  /** Each tag's new text, by its start. */
  const replaced = new Map<number, string>();
  /** Edits of tags' code (by the tag's start): at, remove, insert. */
  const edits = new Map<number, { at: number; remove: number; insert: string }[]>();
  const edit = (tag: Tag, at: number, remove: number, insert: string) => {
    const list = edits.get(tag.start) ?? [];
    list.push({ at, remove, insert });
    edits.set(tag.start, list);
  };
  let temps = 0;
  /** Each scope's variables held in namespaces, its own and those of the scopes around it it reads. */
  const heldIn = new Map<Scope, Set<string>>();
  for (const scope of scopesOf(tagsOf(source))) {
    const settings = settingsOf(scope);
    // A macro defined in the file reads the file's variables that it does not set itself.
    const mutated = new Set(
      [...(scope.parent ? heldIn.get(scope.parent) ?? [] : [])].filter((x) =>
        !settings.has(x) && !scope.params.has(x)
      ),
    );
    heldIn.set(scope, mutated);
    const sites = scope.tags.flatMap((tag) => sitesOf(tag, packages));
    const fine: Site[] = [];
    for (const site of sites) {
      const problem = problemOf(site, scope, settings);
      if (problem === undefined) {
        mutated.add(site.receiver);
        fine.push(site);
        continue;
      }
      const t = site.tag.tokens;
      const start = t[site.from]!.start;
      const line = lineAt(site.tag.codeAt + start);
      edit(
        site.tag,
        start,
        t[site.closing]!.end - start,
        `__wharf_mutation_error(${JSON.stringify(problem)}, ${line}${pathArg})`,
      );
    }
    if (mutated.size === 0) continue;
    /**
     * A read of the held variable `x`: of a macro's parameter set again in
     * its body (`{% set cols = cols | list %}`), the parameter until then.
     */
    const readOf = (x: string) =>
      scope.params.has(x) ? `(${held(x)}.v if ${held(x)} is defined else ${x})` : `${held(x)}.v`;
    /** The text of tokens `[a, b)` of `tag` with each read of a held variable reading its namespace. */
    const reads = (tag: Tag, a: number, b: number): string => {
      const t = tag.tokens;
      if (a >= b) return "";
      let out = "";
      let last = t[a]!.start;
      for (let k = a; k < b; k++) {
        if (isRead(t, k, mutated)) {
          out += tag.code.slice(last, t[k]!.start) + readOf(t[k]!.text);
          last = t[k]!.end;
        }
      }
      return out + tag.code.slice(last, t[b - 1]!.end);
    };
    const siteOf = new Map(fine.map((s) => [s.tag, s]));
    for (const tag of scope.tags) {
      const site = siteOf.get(tag);
      if (site) {
        replaced.set(
          tag.start,
          changeTags(tag, site, { reads, mutated, lineAt, pathArg, temp: () => ++temps }),
        );
        continue;
      }
      const t = tag.tokens;
      const setsHeld = tag.statement && t[0]?.text === "set" && t[2]?.text === "=" &&
        mutated.has(t[1]!.text);
      for (let k = setsHeld ? 3 : 0; k < t.length; k++) {
        if (isRead(t, k, mutated)) {
          edit(tag, t[k]!.start, t[k]!.text.length, readOf(t[k]!.text));
        }
      }
      if (setsHeld) {
        const x = t[1]!.text;
        edit(tag, t[1]!.start, (t[3] ?? t[2]!).start - t[1]!.start, `${held(x)} = namespace(v=(`);
        edit(tag, t[t.length - 1]!.end, 0, "))");
      }
    }
  }
  if (replaced.size === 0 && edits.size === 0) return source;
  let out = "";
  let last = 0;
  for (const tag of tagsOf(source)) {
    const whole = replaced.get(tag.start);
    const changes = edits.get(tag.start);
    if (whole === undefined && changes === undefined) continue;
    out += source.slice(last, tag.start);
    if (whole !== undefined) out += whole;
    else {
      let code = "";
      let at = 0;
      for (const e of changes!.sort((a, b) => a.at - b.at)) {
        // An edit inside text another replaced (a read within a call made an error) is gone with it.
        if (e.at < at) continue;
        code += tag.code.slice(at, e.at) + e.insert;
        at = e.at + e.remove;
      }
      out += tag.open + code + tag.code.slice(at) + tag.close;
    }
    last = tag.end;
  }
  return out + source.slice(last);
}

/** Whether token `k` reads a variable of `names` (not an attribute, a keyword argument, a filter or a test). */
function isRead(t: readonly Token[], k: number, names: ReadonlySet<string>): boolean {
  const token = t[k]!;
  if (token.kind !== "name" || !names.has(token.text)) return false;
  const prev = t[k - 1]?.text;
  if (prev === "." || prev === "|" || prev === "is") return false;
  if (prev === "not" && t[k - 2]?.text === "is") return false;
  return !(t[k + 1]?.text === "=" && (prev === "(" || prev === ","));
}

/** What {@linkcode changeTags} needs of the template around the change. */
interface ChangeContext {
  /** The text of a tag's tokens `[a, b)`, its reads of changed variables rewritten. */
  reads: (tag: Tag, a: number, b: number) => string;
  /** The variables of the scope held in namespaces. */
  mutated: ReadonlySet<string>;
  /** The template's line of an index. */
  lineAt: (index: number) => number;
  /** `, "path"` for a macro file, else nothing. */
  pathArg: string;
  /** A new number for a name the change sets. */
  temp: () => number;
}

/**
 * The tags that make the change at `site` (the whole of its tag): its
 * arguments set once, in order, then what it gives (a `{% set y = … %}`'s
 * `y`) and the variable's new value.
 */
function changeTags(tag: Tag, site: Site, how: ChangeContext): string {
  const { reads, mutated, lineAt, pathArg, temp } = how;
  const t = tag.tokens;
  const x = site.receiver;
  const v = `${held(x)}.v`;
  const line = lineAt(tag.codeAt + t[site.from]!.start);
  const what = JSON.stringify(`${x}.${site.method}()`);
  const at = `${what}, ${line}${pathArg}`;
  // The arguments, positional and by keyword, each set to a name of its own first.
  const statements: string[] = [];
  const positional: string[] = [];
  const keywords: string[] = [];
  let a = site.paren + 1;
  let depth = 0;
  for (let k = a; k <= site.closing; k++) {
    const tok = t[k]!;
    if (k < site.closing && tok.kind === "open") depth++;
    else if (k < site.closing && tok.kind === "close") depth--;
    if ((k === site.closing || (tok.text === "," && depth === 0)) && k > a) {
      const keyword = t[a]!.kind === "name" && t[a + 1]?.text === "=" ? t[a]!.text : undefined;
      const name = `__wharf_mut_${temp()}`;
      statements.push(`set ${name} = (${reads(tag, keyword ? a + 2 : a, k)})`);
      if (keyword) keywords.push(`${JSON.stringify(keyword)}: ${name}`);
      else positional.push(name);
      a = k + 1;
    } else if (tok.text === "," && depth === 0) a = k + 1;
  }
  const [first, second] = positional;
  let value = "none";
  let next: string;
  switch (site.method) {
    case "append":
      next = `${v} + [${first}]`;
      break;
    case "extend":
      next = `${v} + (${first} | list)`;
      break;
    case "insert":
      next = `${v}[:${first}] + [${second}] + ${v}[${first}:]`;
      break;
    case "remove": {
      const i = `__wharf_mut_${temp()}`;
      statements.push(`set ${i} = __wharf_remove(${v}, ${first}, ${at})`);
      next = `${v}[:${i}] + ${v}[${i} + 1:]`;
      break;
    }
    case "pop": {
      const p = `__wharf_mut_${temp()}`;
      statements.push(`set ${p} = __wharf_pop(${v}, [${positional.join(", ")}], ${at})`);
      // minijinja's `is sequence` is false for what `+` and slices give: test for a mapping.
      value = `(${p}[0] if ${v} is mapping else ${v}[${p}])`;
      next =
        `((${p}[1] if ${p}[1] is not none else ${v}) if ${v} is mapping else ${v}[:${p}] + ${v}[${p} + 1:])`;
      break;
    }
    case "clear":
      next = `({} if ${v} is mapping else [])`;
      break;
    case "update":
      next = `__wharf_update(${v}, [${positional.join(", ")}], {${keywords.join(", ")}}, ${at})`;
      break;
    default: {
      // setdefault(key, default=None)
      const d = second ?? "none";
      value = `(${v}[${first}] if ${first} in ${v} else ${d})`;
      next = `(${v} if ${first} in ${v} else __wharf_update(${v}, [{${first}: ${d}}], {}, ${at}))`;
    }
  }
  if (site.form === "set") {
    const y = t[1]!.text;
    statements.push(
      mutated.has(y) ? `set ${held(y)} = namespace(v=${value})` : `set ${y} = ${value}`,
    );
  }
  // `{% set x = x.pop() %}`: x is what it gives; the changed list is no one's.
  if (site.form !== "set" || t[1]!.text !== x) statements.push(`set ${v} = ${next}`);
  const newlines = "\n".repeat(tag.code.split("\n").length - 1);
  return statements.map((s, n) =>
    `${n === 0 ? tag.open : "{%"} ${s} ${n === statements.length - 1 ? newlines : ""}${
      n === statements.length - 1 ? tag.close : "%}"
    }`
  ).join("");
}
