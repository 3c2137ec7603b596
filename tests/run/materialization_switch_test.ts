import assert from "node:assert/strict";
import { resolveConfig } from "../../src/config.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

const kind = async (db: string) =>
  (await query(
    db,
    "select table_type as t from information_schema.tables where table_schema = 'marts' and table_name = 'a'",
  ))[0]?.t;

Deno.test("a model whose materialization changes between view and table is rebuilt as the new kind; a failing rebuild keeps the old relation", async () => {
  await using p = await tempProject({ "models/marts/a.sql": "select 1 as id" });
  const build = async (materialized: string, sql = "select 1 as id") => {
    await p.write(
      "models/marts/marts.yml",
      `models:\n  - name: a\n    config: { materialized: ${materialized} }\n`,
    );
    await p.write("models/marts/a.sql", sql);
    return await runProject("build", resolveConfig(p.root), { db: p.db });
  };
  assert.ok((await build("view")).ok);
  assert.equal(await kind(p.db), "VIEW");
  const toTable = await build("table");
  assert.ok(toTable.ok, JSON.stringify(toTable.results));
  assert.equal(await kind(p.db), "BASE TABLE");
  const toView = await build("view", "select 2 as id");
  assert.ok(toView.ok, JSON.stringify(toView.results));
  assert.equal(await kind(p.db), "VIEW");
  assert.deepEqual(await query(p.db, "select id from marts.a"), [{ id: 2 }]);

  // Back to a table whose SELECT fails: the view stays as it was.
  const failed = await build("table", "select 1 / 'x' as id");
  assert.equal(failed.ok, false);
  assert.equal(await kind(p.db), "VIEW");
  assert.deepEqual(await query(p.db, "select id from marts.a"), [{ id: 2 }]);
});
