/**
 * Which way a `COPY` statement goes, read from its text: DuckDB reports
 * `COPY … TO 'file'` and `COPY table FROM 'file'` alike, as rows changed,
 * but only the second changes the warehouse.
 *
 * @module
 */

import { type SqlToken, sqlTokens } from "./sql_tokens.ts";

/** Where a `COPY` statement's rows go: out to `file`, or in from a file. */
export type CopyTarget = { to: string } | { from: true };

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
 * // A quoted name ";" ends no statement.
 * assert.deepEqual(copyTarget('select 1 as ";"; copy t to \'t.csv\'', 2, 2), { to: "t.csv" });
 * ```
 */
export function copyTarget(sql: string, index: number, count: number): CopyTarget | undefined {
  const tokens = sqlTokens(sql);
  if (!tokens) return undefined;
  const statements: SqlToken[][] = [[]];
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

function isWord(t: SqlToken | undefined, word: string): boolean {
  return t?.kind === "word" && t.text.toLowerCase() === word;
}
