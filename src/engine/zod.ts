/**
 * The engine's one import of zod: every schema of the engine takes `z` from
 * here. A build loads the engine through a deferred import (`cli/load.ts`),
 * and Deno then resolves an npm package once for each module that imports
 * it (about 5 ms each); one importer per package keeps that to once.
 * `tests/startup_imports_test.ts` checks it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { z } from "./zod.ts";
 *
 * assert.equal(z.string().parse("x"), "x");
 * ```
 *
 * @module
 */
export { z } from "zod";
