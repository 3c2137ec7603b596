import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { ConfigError, WharfError } from "../src/engine/errors.ts";
import { runProject } from "../src/engine/run/run_project.ts";
import { REPO, tempProject } from "./helpers.ts";

Deno.test("loadConfig() fills every default for a folder with only models/", async () => {
  await using p = await tempProject({ "models/staging/a.sql": "select 1" });
  const config = await loadConfig(p.root);
  assert.equal(config.warehouse, join(p.root, "warehouse.duckdb"));
  assert.equal(config.threads, 4);
  assert.deepEqual(config.paths, {
    models: join(p.root, "models"),
    macros: join(p.root, "sql/macros"),
    tests: join(p.root, "sql/tests"),
    target: join(p.root, "target"),
    cache: join(p.root, ".wharf/cache"),
    staging: join(p.root, ".wharf/staging"),
    snapshots: join(p.root, "snapshots"),
  });
  assert.deepEqual(config.sources, []);
});

Deno.test("loadConfig() reads wharf.config.ts and resolves its paths", async () => {
  await using p = await tempProject({
    "wharf.config.ts": `import { defineConfig } from "${
      join(REPO, "mod.ts")
    }";\nexport default defineConfig({ warehouse: "data/wh.duckdb", threads: 2, paths: { models: "m" } });\n`,
  });
  const config = await loadConfig(p.root);
  assert.equal(config.warehouse, join(p.root, "data/wh.duckdb"));
  assert.equal(config.threads, 2);
  assert.equal(config.paths.models, join(p.root, "m"));
});

Deno.test("loadConfig() rejects a config without a default export and bad settings", async () => {
  await using p = await tempProject({ "wharf.config.ts": "export const x = 1;\n" });
  await assert.rejects(
    () => loadConfig(p.root),
    (e: unknown) => e instanceof ConfigError && /must `export default defineConfig/.test(e.message),
  );
  await p.write("wharf.config.ts", "export default { threads: 0 };\n");
  await assert.rejects(
    () => loadConfig(p.root),
    /Invalid "threads" in wharf\.config\.ts: expected a positive integer, got 0/,
  );
});

Deno.test("a macro that fails to apply stops the run with the macro's file named", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as x",
    "sql/macros/bad.sql": "create or replace macro broken(a) as a +;",
  });
  await assert.rejects(
    () => runProject("run", p.config, { db: p.db }),
    (e: unknown) =>
      e instanceof WharfError &&
      /^Cannot apply macro file sql\/macros\/bad\.sql: Parser Error/.test(e.message),
  );
});
