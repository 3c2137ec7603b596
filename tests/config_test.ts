import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig, resolveConfig, type WharfConfig } from "../src/config.ts";
import { ConfigError, WharfError } from "../src/engine/errors.ts";
import { runProject } from "../src/engine/run/run_project.ts";
import { REPO, runCli, tempProject } from "./helpers.ts";

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

Deno.test("a typo in wharf.config.ts names the unknown key, its path and the closest known key, in every section", () => {
  for (
    const [config, message] of [
      [
        { sources: [{ name: "a", patern: /x/ }] },
        '"sources[0].patern" in wharf.config.ts (did you mean "pattern"?)',
      ],
      [
        { sources: [{ name: "a", pattern: /x/, columns: [{ name: "b", requird: true }] }] },
        '"sources[0].columns[0].requird" in wharf.config.ts (did you mean "required"?)',
      ],
      [{ serve: { prot: 8080 } }, '"serve.prot" in wharf.config.ts (did you mean "port"?)'],
      [
        { serve: { upstreamTimeoutMS: 10 } },
        '"serve.upstreamTimeoutMS" in wharf.config.ts (did you mean "upstreamTimeoutMs"?)',
      ],
      [
        { npi: { registy: "https://x" } },
        '"npi.registy" in wharf.config.ts (did you mean "registry"?)',
      ],
      [
        { tic: { lookupURL: "https://x/{ein}" } },
        '"tic.lookupURL" in wharf.config.ts (did you mean "lookupUrl"?)',
      ],
      [{ paths: { model: "m" } }, '"paths.model" in wharf.config.ts (did you mean "models"?)'],
      [
        { attach: { lake: { path: "lake.duckdb", readonly: true } } },
        '"attach.lake.readonly" in wharf.config.ts (did you mean "readOnly"?)',
      ],
      [
        { vars: { d: { default: "x", typ: "text" } } },
        '"vars.d.typ" in wharf.config.ts (did you mean "type"?)',
      ],
      [{ wareouse: "w.duckdb" }, '"wareouse" in wharf.config.ts (did you mean "warehouse"?)'],
    ] as const
  ) {
    assert.throws(
      () => resolveConfig("/tmp", config as unknown as WharfConfig),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith(`Unknown key ${message}: `),
      JSON.stringify(config),
    );
  }
});

Deno.test("wharf land with a misspelt source key says which key and which it means", async () => {
  await using p = await tempProject({
    "wharf.config.ts":
      'export default { sources: [{ name: "visitpay_procedure", patern: /^x_.*\\.txt$/ }] };\n',
    "in/x_1.txt": "a\n1\n",
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "land", join(p.root, "in")]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stderr,
    /^error: Unknown key "sources\[0\]\.patern" in wharf\.config\.ts \(did you mean "pattern"\?\): source "visitpay_procedure" takes "name", "pattern", /,
  );
  assert.doesNotMatch(r.stderr, /Missing "pattern"/);
});

Deno.test("wharf land refuses a delimiter written as a backslash and a t before landing anything", async () => {
  await using p = await tempProject({
    "wharf.config.ts":
      'export default { sources: [{ name: "visits", pattern: /^visits_.*\\.txt$/, delimiter: "\\\\t" }] };\n',
    "in/visits_1.txt": "id\tamount\n1\t2\n",
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "land", join(p.root, "in")]);
  assert.equal(r.code, 2, r.stdout);
  assert.equal(
    r.stderr.trim(),
    'error: Invalid delimiter "\\\\t" in sources[0] ("visits") in wharf.config.ts: a delimiter is one character, and this is 2 (a backslash and "t"): write delimiter: "\\t" for a tab',
  );
});

Deno.test("a wharf.config.ts whose import is not found names the file and line and says how to import wharf", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    // The README's import, copied into a project outside wharf's folder.
    "wharf.config.ts":
      'import { defineConfig } from "./mod.ts";\nexport default defineConfig({ threads: 2 });\n',
  });
  const failed = await runCli(["--project", p.root, "ls"]);
  assert.equal(failed.code, 2, failed.stdout);
  const config = join(p.root, "wharf.config.ts");
  const fix = `import { defineConfig } from "${join(REPO, "mod.ts")}"`;
  assert.equal(
    failed.stderr.trim(),
    `error: Cannot load "${config}": line 1 imports a module that is not found (Module not found "file://${
      join(p.root, "mod.ts")
    }"): to import wharf, give the path of its mod.ts, ${fix}, or export the configuration without an import, export default { … }`,
  );
  // Both ways the message gives load.
  for (
    const text of [
      `${fix};\nexport default defineConfig({ threads: 2 });\n`,
      "export default { threads: 2 };\n",
    ]
  ) {
    await p.write("wharf.config.ts", text);
    const r = await runCli(["--project", p.root, "ls", "--output", "name"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "a");
    assert.equal((await loadConfig(p.root)).threads, 2);
  }
});
