/**
 * Whether typed SQL is ready to run: the shell reads lines until the input
 * ends with a `;` that is not inside a string, a quoted name or a comment.
 *
 * @module
 */

/**
 * True when `text`, read as DuckDB SQL, ends with `;` outside quotes
 * (`'…'`, `E'…'`, `"…"`, `$tag$…$tag$`) and comments (`-- …`, nested
 * `/* … *\/`); a comment after that `;` is fine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statementComplete } from "./statement_complete.ts";
 *
 * assert.equal(statementComplete("select 1;"), true);
 * assert.equal(statementComplete("select ';"), false);
 * assert.equal(statementComplete("select 1; -- done"), true);
 * ```
 */
export function statementComplete(text: string): boolean {
  let last = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === "-" && next === "-") {
      const end = text.indexOf("\n", i);
      if (end < 0) break;
      i = end + 1;
    } else if (c === "/" && next === "*") {
      let depth = 1;
      i += 2;
      while (i < text.length && depth > 0) {
        if (text.startsWith("/*", i)) (depth++, i += 2);
        else if (text.startsWith("*/", i)) (depth--, i += 2);
        else i++;
      }
      if (depth > 0) return false;
    } else if (c === "'" || c === '"') {
      const escapes = c === "'" && /[eE]/.test(text[i - 1] ?? "") &&
        !/[\w$]/.test(text[i - 2] ?? "");
      i++;
      for (;;) {
        if (i >= text.length) return false;
        if (escapes && text[i] === "\\") i += 2;
        else if (text[i] === c && text[i + 1] === c) i += 2;
        else if (text[i] === c) break;
        else i++;
      }
      i++;
      last = c;
    } else if (c === "$" && !/[\w$]/.test(text[i - 1] ?? "")) {
      const tag = /^\$([A-Za-z_][A-Za-z_0-9]*)?\$/.exec(text.slice(i))?.[0];
      if (tag) {
        const end = text.indexOf(tag, i + tag.length);
        if (end < 0) return false;
        i = end + tag.length;
        last = "$";
      } else {
        i++;
        last = c;
      }
    } else {
      if (!/\s/.test(c)) last = c;
      i++;
    }
  }
  return last === ";";
}
