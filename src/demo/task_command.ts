/**
 * How the user runs wharf's tasks: the demo's "Try it" lines print the
 * command that works for whoever started it.
 *
 * @module
 */

/**
 * The command that runs a task of this project with the Deno at `execPath`:
 * `npx -y deno@<version> task` when that Deno runs from npx's cache (a
 * folder `_npx` on its path), as for users without Deno installed;
 * `deno task` otherwise. Deno installed with npm elsewhere
 * (`npm install -g deno`, `node_modules/deno`) is on the `PATH` as `deno`.
 *
 * @param execPath The running Deno's path (`Deno.execPath()`).
 * @param version The running Deno's version (`Deno.version.deno`).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskCommand } from "./task_command.ts";
 *
 * assert.equal(taskCommand("/usr/local/bin/deno", "2.9.6"), "deno task");
 * assert.equal(
 *   taskCommand("/home/ann/.npm/_npx/7a40be787520bede/node_modules/deno/deno", "2.9.6"),
 *   "npx -y deno@2.9.6 task",
 * );
 * ```
 */
export function taskCommand(execPath: string, version: string): string {
  return execPath.split(/[\\/]/).includes("_npx") ? `npx -y deno@${version} task` : "deno task";
}
