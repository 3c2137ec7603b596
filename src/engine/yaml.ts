/**
 * The engine's one import of the yaml package, and its ES module build.
 *
 * Deno takes an npm package's `node` export, which for yaml is its
 * CommonJS build: 74 files that Deno's `require` resolves one by one
 * (~45 ms of CPU as a build starts). The package ships the same code as ES
 * modules for browsers (`browser/`), which load in ~15 ms; its exports map
 * does not name them, so they are imported from the project's
 * `node_modules/` (deno.json's `nodeModulesDir: "auto"` puts the package
 * there), typed by the package's own declarations. The two builds parse
 * alike; they differ in how a warning the parser logs is printed (the ES
 * build with `console.warn`, the CommonJS one with `process.emitWarning`).
 * `tests/startup_imports_test.ts` checks that a build loads this build
 * alone, through this module.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parse } from "./yaml.ts";
 *
 * assert.deepEqual(parse("a: [1, two]"), { a: [1, "two"] });
 * ```
 *
 * @module
 */
// @ts-types="yaml"
export {
  isCollection,
  isMap,
  isNode,
  isScalar,
  LineCounter,
  parse,
  parseDocument,
  visit,
} from "../../node_modules/yaml/browser/index.js";
