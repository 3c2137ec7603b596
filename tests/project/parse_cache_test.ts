import assert from "node:assert/strict";
import { join } from "node:path";
import { loadProject } from "../../src/engine/project/load_project.ts";
import { PARSE_CACHE_FILE } from "../../src/engine/db/parse_cache.ts";
import { parseSql } from "../../src/engine/db/parse_sql.ts";
import { tempProject } from "../helpers.ts";

/** Loads the project at `config`, counting the texts DuckDB's parser was given. */
async function loadCounting(config: Parameters<typeof loadProject>[0]) {
  const parsed: string[] = [];
  const project = await loadProject(config, {
    parse: (texts) => (parsed.push(...texts), parseSql(texts)),
  });
  return { project, parsed };
}

Deno.test("a second load parses only the SQL that changed, and sees the change", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/staging/b.sql": "select 2 as id",
    "models/marts/c.sql": "select * from staging.a",
  });
  const first = await loadCounting(p.config);
  assert.equal(first.parsed.length, 3);
  const again = await loadCounting(p.config);
  assert.deepEqual(again.parsed, [], "nothing changed: nothing parsed");
  assert.deepEqual(
    again.project.models.map((m) => [m.id, m.refs.map((r) => r.relation)]),
    first.project.models.map((m) => [m.id, m.refs.map((r) => r.relation)]),
  );

  await p.write("models/marts/c.sql", "select * from staging.b");
  const edited = await loadCounting(p.config);
  assert.deepEqual(edited.parsed, ["select * from staging.b"]);
  assert.deepEqual(
    edited.project.models.find((m) => m.id === "marts.c")!.refs.map((r) => r.relation),
    ["staging.b"],
  );
  // The file keeps what the last load parsed: the old text of c is gone.
  const cached = JSON.parse(await Deno.readTextFile(join(p.root, "target", PARSE_CACHE_FILE)));
  assert.equal(Object.keys(cached.results).length, 3);
});

Deno.test("a parse error read from the cache is reported as when parsed, at its line", async () => {
  await using p = await tempProject({ "models/staging/a.sql": "select 1 as id\nfrom from" });
  const first = await loadCounting(p.config);
  const again = await loadCounting(p.config);
  assert.deepEqual(again.parsed, []);
  assert.equal(first.project.issues.length, 1);
  assert.deepEqual(again.project.issues, first.project.issues);
  assert.equal(again.project.issues[0]!.location.line, 2);
});

Deno.test("a cache file that is not whole, or from another DuckDB, is parsed again and rewritten", async () => {
  await using p = await tempProject({ "models/staging/a.sql": "select 1 as id" });
  const file = join(p.root, "target", PARSE_CACHE_FILE);
  await Deno.mkdir(join(p.root, "target"), { recursive: true });
  await Deno.writeTextFile(file, '{"format": 1, "duckdb": "v');
  assert.equal((await loadCounting(p.config)).parsed.length, 1);
  const cached = JSON.parse(await Deno.readTextFile(file));
  await Deno.writeTextFile(file, JSON.stringify({ ...cached, duckdb: "v0.0.1" }));
  assert.equal((await loadCounting(p.config)).parsed.length, 1);
  assert.equal((await loadCounting(p.config)).parsed.length, 0);
});
