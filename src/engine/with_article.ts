/**
 * A noun with its indefinite article, for messages that name a kind given as
 * a value (a variable's type, a materialization): `an integer`, `a date`.
 *
 * @module
 */

/**
 * `noun` after `an` when it starts with a vowel, else after `a` (a `u` as
 * wharf's kinds start with it reads "you": `a unique`, `a union`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withArticle } from "./with_article.ts";
 *
 * assert.equal(withArticle("integer"), "an integer");
 * assert.equal(withArticle("ephemeral"), "an ephemeral");
 * assert.equal(withArticle("date"), "a date");
 * assert.equal(withArticle("unique"), "a unique");
 * ```
 */
export function withArticle(noun: string): string {
  return `${/^[aeio]/i.test(noun) ? "an" : "a"} ${noun}`;
}
