/**
 * SQL text as DuckDB reads it, in tokens: what the shell and `wharf sql`
 * need to know of a statement before DuckDB runs it (where it ends, which
 * way a COPY goes).
 *
 * @module
 */

/** A token of SQL text. */
export interface SqlToken {
  kind: "word" | "string" | "name" | "other";
  /** A word as written, a string's value, a quoted name's, or the character. */
  text: string;
}

/**
 * The tokens of `sql` as DuckDB reads them, comments and whitespace left
 * out: words, strings (`'…'`, `E'…'`, `$tag$…$tag$`), quoted names (`"…"`)
 * and single characters. Undefined when a string, quoted name or
 * comment does not end.
 */
export function sqlTokens(sql: string): SqlToken[] | undefined {
  const out: SqlToken[] = [];
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
      out.push({ kind: c === "'" ? "string" : "name", text });
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
