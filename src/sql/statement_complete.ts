/**
 * Whether typed SQL is ready to run: the shell reads lines until the input
 * ends with a `;` that is not inside a string, a quoted name or a comment.
 *
 * @module
 */
import { sqlTokens } from "./sql_tokens.ts";

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
  const last = sqlTokens(text)?.at(-1);
  return last?.kind === "other" && last.text === ";";
}
