/**
 * dbt's `--resource-type` and `--exclude-resource-type`, as `wharf ls` and
 * `wharf build` take them: the resource types of wharf's nodes, and the check
 * of what the command line gives.
 *
 * @module
 */
import { UsageError } from "../src/engine/errors.ts";
import { closest } from "../src/engine/suggest.ts";

/** The resource types of wharf's nodes, as dbt's `--resource-type` names them. */
export const RESOURCE_TYPES: readonly string[] = [
  "model",
  "seed",
  "snapshot",
  "source",
  "test",
  "unit_test",
  "exposure",
  "analysis",
];

/**
 * The types given to `option`, each checked: one of
 * {@linkcode RESOURCE_TYPES}, `all` or `default` (dbt's words for every one).
 *
 * @throws {UsageError} naming a type that is none of them, with the closest.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkResourceTypes } from "./resource_types.ts";
 *
 * assert.deepEqual(checkResourceTypes(["model", "test"], "--resource-type"), ["model", "test"]);
 * assert.throws(() => checkResourceTypes(["modle"], "--resource-type"), /did you mean "model"/);
 * ```
 */
export function checkResourceTypes(
  types: readonly string[] | undefined,
  option: string,
): string[] | undefined {
  if (types === undefined) return undefined;
  for (const t of types) {
    if (t === "all" || t === "default" || RESOURCE_TYPES.includes(t)) continue;
    const guess = closest(t, RESOURCE_TYPES);
    throw new UsageError(
      `Invalid ${option} "${t}"${
        guess ? ` (did you mean "${guess}"?)` : ""
      }: wharf's nodes are of the types ${RESOURCE_TYPES.join(", ")} (or all)`,
    );
  }
  return [...types];
}
