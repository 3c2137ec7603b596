/**
 * Which way a `COPY` statement goes, read from its text: DuckDB reports
 * `COPY … TO 'file'` and `COPY table FROM 'file'` alike, as rows changed,
 * but only the second changes the warehouse.
 *
 * @module
 */

/** Where a `COPY` statement's rows go: out to `file`, or in from a file. */
export type CopyTarget = { to: string } | { from: true };

interface Token {
  kind: "word" | "string" | "other";
  /** A word as written, a string's value, or the character. */
  text: string;
}

/**
 * The tokens of `sql` as DuckDB reads them, comments and whitespace left
 * out: words, strings (`'…'`, `E'…'`, `$tag$…$tag$`) and single characters
 * (a quoted name `"…"` is one). Undefined when a string, quoted name or
 * comment does not end.
 */
function tokenize(sql: string): Token[] | undefined {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) i++;
    else if (sql.startsWith("--", i)) {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith("/*", i)) {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql.startsWith("/*", i)) (depth++, i += 2);
        else if (sql.startsWith("*/", i)) (depth--, i += 2);
        else i++;
      }
      if (depth > 0) return undefined;
    } else if (c === "'" || c === '"') {
      // E'…' takes backslash escapes; the E was read as a word just before.
      const prev = out.at(-1);
      const escapes = c === "'" && prev?.kind === "word" && /^[eE]$/.test(prev.text) &&
        sql[i - 1] === prev.text;
      if (escapes) out.pop();
      let text = "";
      i++;
      for (;;) {
        if (i >= sql.length) return undefined;
        if (escapes && sql[i] === "\\") (text += sql[i + 1] ?? "", i += 2);
        else if (sql[i] === c && sql[i + 1] === c) (text += c, i += 2);
        else if (sql[i] === c) break;
        else text += sql[i++];
      }
      i++;
      out.push({ kind: c === "'" ? "string" : "other", text });
    } else if (c === "$" && /^\$([A-Za-z_]\w*)?\$/.test(sql.slice(i))) {
      const tag = /^\$([A-Za-z_]\w*)?\$/.exec(sql.slice(i))![0];
      const end = sql.indexOf(tag, i + tag.length);
      if (end < 0) return undefined;
      out.push({ kind: "string", text: sql.slice(i + tag.length, end) });
      i = end + tag.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const word = /^[A-Za-z_][\w$]*/.exec(sql.slice(i))![0];
      out.push({ kind: "word", text: word });
      i += word.length;
    } else {
      out.push({ kind: "other", text: c });
      i++;
    }
  }
  return out;
}

/**
 * Where the rows of statement `index` (1-based) of `sql` go, when it is a
 * `COPY`: `{ to: file }` for `COPY table|(query) TO 'file'`, `{ from: true }`
 * for `COPY table FROM …`. Undefined when that cannot be read from the text:
 * not a `COPY`, or `sql` does not split into `count` statements as DuckDB
 * split it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTarget } from "./copy_target.ts";
 *
 * const sql = "select 1; copy (select 'a;b' from t) to 'out.csv' (header)";
 * assert.deepEqual(copyTarget(sql, 2, 2), { to: "out.csv" });
 * assert.deepEqual(copyTarget("COPY t FROM 'in.csv'", 1, 1), { from: true });
 * assert.equal(copyTarget(sql, 1, 2), undefined);
 * ```
 */
export function copyTarget(sql: string, index: number, count: number): CopyTarget | undefined {
  const tokens = tokenize(sql);
  if (!tokens) return undefined;
  const statements: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === "other" && t.text === ";") statements.push([]);
    else statements.at(-1)!.push(t);
  }
  const nonEmpty = statements.filter((s) => s.length > 0);
  if (nonEmpty.length !== count) return undefined;
  const statement = nonEmpty[index - 1];
  if (!statement || !isWord(statement[0], "copy")) return undefined;
  let depth = 0;
  for (let i = 1; i < statement.length; i++) {
    const t = statement[i]!;
    if (t.kind === "other" && t.text === "(") depth++;
    else if (t.kind === "other" && t.text === ")") depth--;
    else if (depth === 0 && isWord(t, "from")) return { from: true };
    else if (depth === 0 && isWord(t, "to")) {
      const file = statement[i + 1];
      return file?.kind === "string" ? { to: file.text } : undefined;
    }
  }
  return undefined;
}

function isWord(t: Token | undefined, word: string): boolean {
  return t?.kind === "word" && t.text.toLowerCase() === word;
}
