/**
 * Where what templates say goes: `log(…, info=True)` and
 * `exceptions.warn()` of models, hooks and macros, whichever stage renders
 * them. To stderr by default (a warning as `warning: …`); a command sets
 * its own with {@linkcode setSay}, as the CLI does for `--log-level` and
 * `--quiet`.
 *
 * @module
 */
import type { Said } from "./types.ts";

/** Prints `said` to stderr: a warning as `warning: …`, a log line as it is. */
function toStderr(said: Said): void {
  console.error(said.warning ? `warning: ${said.text}` : said.text);
}

let sink: (said: Said) => void = toStderr;

/**
 * Says what a template said, where the command sends it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { say, setSay } from "./say.ts";
 * import type { Said } from "./types.ts";
 *
 * const heard: Said[] = [];
 * setSay((s) => heard.push(s));
 * say({ text: "loaded 3 rows" });
 * setSay(undefined);
 * assert.deepEqual(heard, [{ text: "loaded 3 rows" }]);
 * ```
 */
export function say(said: Said): void {
  sink(said);
}

/** Sends what templates say to `to` from now on; undefined: to stderr again. */
export function setSay(to: ((said: Said) => void) | undefined): void {
  sink = to ?? toStderr;
}
