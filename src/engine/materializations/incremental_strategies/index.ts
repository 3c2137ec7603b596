/**
 * The strategies an incremental model's `incremental_strategy:` may name,
 * in the order messages and the docs list them. A new one is a module
 * beside these (see `strategy.ts`) added here.
 *
 * @module
 */
import { append } from "./append.ts";
import { deleteInsert } from "./delete_insert.ts";
import { merge } from "./merge.ts";
import { microbatch } from "./microbatch.ts";
import type { IncrementalStrategy } from "./strategy.ts";

/** Every incremental strategy. */
export const STRATEGIES: readonly IncrementalStrategy[] = [append, merge, deleteInsert, microbatch];

/**
 * The strategy named `name`.
 *
 * @throws {Error} for a name no strategy has: a bug, not a user error (names are checked when the project is loaded).
 */
export function strategy(name: string): IncrementalStrategy {
  const found = STRATEGIES.find((s) => s.name === name);
  if (!found) throw new Error(`No incremental strategy "${name}"`);
  return found;
}
