/**
 * Loading a command's modules when it runs, not when wharf starts.
 *
 * Deno prepares every module a literal `import("…")` names, and everything
 * those import (npm packages included), before the program starts: with
 * every command's action importing its job that way, `wharf --version` took
 * 0.25 s and each command paid for all the others. A specifier passed as a
 * value is prepared only when it is imported. The caller names the module's
 * type, `load<typeof import("../src/x.ts")>("../src/x.ts")`, and
 * `tests/startup_imports_test.ts` checks that both name the same module.
 *
 * @module
 */

/**
 * Imports `specifier` (relative to `cli/`, or a bare name from deno.json's
 * imports) at run time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { load } from "./load.ts";
 *
 * const { counted } = await load<typeof import("./output.ts")>("./output.ts");
 * assert.equal(counted(2, "model"), "2 models");
 * ```
 */
export function load<T>(specifier: string): Promise<T> {
  const url = specifier.startsWith(".") ? new URL(specifier, import.meta.url).href : specifier;
  return import(url) as Promise<T>;
}
