/**
 * Suggestions for names that do not match: the closest known name to a
 * typo, for the "did you mean" of error messages.
 *
 * @module
 */

/** What an edit of case or of a word separator costs, where any other edit costs 1. */
const MINOR_EDIT = 1 / 8;

const SEPARATORS = new Set(["_", "-"]);

/** The cost of writing `b` where `a` is: 0 for the same character; minor for case or separators. */
function substitution(a: string, b: string): number {
  if (a === b) return 0;
  if (a.toLowerCase() === b.toLowerCase()) return MINOR_EDIT;
  return SEPARATORS.has(a) && SEPARATORS.has(b) ? MINOR_EDIT : 1;
}

/** The cost of a character added or left out: minor for a separator. */
function insertion(c: string): number {
  return SEPARATORS.has(c) ? MINOR_EDIT : 1;
}

/**
 * Edit distance between names, for "did you mean" suggestions: a letter
 * added, left out or changed costs 1; a change of case, or a word separator
 * (`_`, `-`) added, left out or changed, an eighth, so that
 * `orders_shopB` is nearer `orders_shop_b` than `orders_shop_a`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nameDistance } from "./suggest.ts";
 *
 * assert.equal(nameDistance("stg_membrs", "stg_members"), 1);
 * assert.equal(nameDistance("orders_shopB", "orders_shop_b"), 0.25);
 * assert.equal(nameDistance("orders_shopB", "orders_shop_a"), 1.125);
 * ```
 */
export function nameDistance(a: string, b: string): number {
  const prev = [0];
  for (let j = 1; j <= b.length; j++) prev[j] = prev[j - 1]! + insertion(b[j - 1]!);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = diag + insertion(a[i - 1]!);
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(
        up + insertion(a[i - 1]!),
        prev[j - 1]! + insertion(b[j - 1]!),
        diag + substitution(a[i - 1]!, b[j - 1]!),
      );
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The closest candidate to `name` ({@linkcode nameDistance}: case and word
 * separators count little), when one is close enough to be a typo: by the
 * whole name, by its last dotted part, or as the start of a longer name
 * (`stg_membrs` is close to `stg_members_client_a`); a whole-name match
 * wins a tie.
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 3));
  const startLimit = Math.max(1, Math.floor(name.length / 4));
  const last = name.split(".").pop()!;
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const cLast = c.split(".").pop()!;
    const whole = Math.min(
      nameDistance(name, c),
      nameDistance(last, cLast) + (name.includes(".") ? 1 : 0),
    );
    // With a schema typed, the start of the whole id; else of the name.
    const [typed, of] = name.includes(".") ? [name, c] : [last, cLast];
    const start = of.length > typed.length
      ? nameDistance(typed, of.slice(0, typed.length))
      : Infinity;
    // Ranked by distance; a match of the start only ranks after a whole match one edit away.
    const score = Math.min(
      whole <= limit ? whole : Infinity,
      start <= startLimit ? start + 1.5 : Infinity,
    );
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return bestScore === Infinity ? undefined : best;
}

/**
 * The known key a mistaken one means: the {@linkcode closest}, else the
 * longest known key it begins with before an underscore (`columns_old` is
 * `columns` with something after it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closestKey } from "./suggest.ts";
 *
 * assert.equal(closestKey("colums", ["columns", "config"]), "columns");
 * assert.equal(closestKey("columns_typo", ["columns", "config"]), "columns");
 * assert.equal(closestKey("owner", ["columns", "config"]), undefined);
 * ```
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  return closest(key, known) ??
    known.filter((k) => key.startsWith(`${k}_`)).sort((a, b) => b.length - a.length)[0];
}
