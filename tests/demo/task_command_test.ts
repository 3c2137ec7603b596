import assert from "node:assert/strict";
import { taskCommand } from "../../src/demo/task_command.ts";

Deno.test("the demo's hints run tasks with npx when Deno runs from npx's cache, with deno task otherwise", () => {
  for (
    const execPath of [
      "/home/ann/.npm/_npx/7a40be787520bede/node_modules/@deno/linux-x64-glibc/deno",
      "/home/ann/.npm/_npx/7a40be787520bede/node_modules/deno/deno",
      "C:\\Users\\ann\\AppData\\Local\\npm-cache\\_npx\\1f2e\\node_modules\\@deno\\win32-x64\\deno.exe",
    ]
  ) {
    assert.equal(taskCommand(execPath, "2.9.6"), "npx -y deno@2.9.6 task", execPath);
  }
  for (
    const execPath of [
      "/usr/local/bin/deno",
      "/home/ann/.deno/bin/deno",
      // Installed with npm (npm install -g deno): on the PATH as deno.
      "/usr/lib/node_modules/deno/deno",
      // A folder merely named like npx's is not npx's cache.
      "/opt/_npx_backup/deno",
    ]
  ) {
    assert.equal(taskCommand(execPath, "2.9.6"), "deno task", execPath);
  }
});
