/**
 * How the user runs wharf's tasks: the demo's "Try it" lines print the
 * command that works for whoever started it.
 *
 * @module
 */

import { isAbsolute, join, relative, sep } from "node:path";

/**
 * The command that runs a task of this project with the Deno at `execPath`:
 * `npx -y deno@<version> task` when that Deno runs from npx's cache (a
 * folder `_npx` on its path), as for users without Deno installed;
 * `deno task` otherwise. Deno installed with npm elsewhere
 * (`npm install -g deno`, `node_modules/deno`) is on the `PATH` as `deno`.
 * From a folder outside `where.repo` (wharf's clone; `deno task` looks for
 * its deno.json from the folder it starts in, up), the task names it:
 * `deno task --config <repo>/deno.json`.
 *
 * @param execPath The running Deno's path (`Deno.execPath()`).
 * @param version The running Deno's version (`Deno.version.deno`).
 * @param where The folder the command is typed in and wharf's clone.
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
 * const repo = "/home/ann/wharf";
 * assert.equal(taskCommand("deno", "2.9.6", { cwd: "/home/ann/wharf/models", repo }), "deno task");
 * assert.equal(
 *   taskCommand("deno", "2.9.6", { cwd: "/home/ann/pharmacy", repo }),
 *   "deno task --config /home/ann/wharf/deno.json",
 * );
 * ```
 */
export function taskCommand(
  execPath: string,
  version: string,
  where?: { cwd: string; repo: string },
): string {
  const task = execPath.split(/[\\/]/).includes("_npx")
    ? `npx -y deno@${version} task`
    : "deno task";
  const up = where && relative(where.repo, where.cwd);
  const outside = up !== undefined && (up === ".." || up.startsWith(`..${sep}`) || isAbsolute(up));
  return outside ? `${task} --config ${shellArg(join(where!.repo, "deno.json"))}` : task;
}

/**
 * `text` as one argument of a POSIX shell command line: as it is when it
 * holds only characters no shell treats specially, single-quoted otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellArg } from "./task_command.ts";
 *
 * assert.equal(shellArg("in/a.csv"), "in/a.csv");
 * assert.equal(shellArg("in/Bob's file.csv"), `'in/Bob'\\''s file.csv'`);
 * ```
 */
export function shellArg(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
