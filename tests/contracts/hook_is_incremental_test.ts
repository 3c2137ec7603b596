/**
 * dbt's is_incremental() in an incremental model's pre_hook and post_hook,
 * through the CLI on a DuckDB file: a hook renders with the build's
 * is_incremental(), as dbt renders hooks in the build: false on the first
 * build and on --full-refresh, true on a later run; both a hook rendered as
 * the project loads and one that calls run_query() (rendered as it runs).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const PROJECT = {
  "dbt_project.yml": `name: shop
config-version: 2
on-run-start:
  - "create table if not exists main.hook_log (n integer, what varchar)"
`,
  "macros/note.sql": `{% macro note(what) %}
  {% set n = run_query("select count(*) from main.hook_log").rows[0][0] %}
  insert into main.hook_log values ({{ n }}, '{{ what }} ' || {{ 'true' if is_incremental() else 'false' }})
{% endmacro %}
`,
  "models/events.sql": `{{ config(
  materialized='incremental',
  unique_key='id',
  pre_hook="insert into main.hook_log select count(*), 'pre {{ 'later' if is_incremental() else 'full' }}' from main.hook_log",
  post_hook=[
    "{% if is_incremental() %}delete from {{ this }} where id = 0{% endif %}",
    "{{ note('queried') }}",
  ],
) }}
select * from range(3) t(id)
`,
};

/** What the hooks wrote, in order. */
async function log(db: string): Promise<string[]> {
  return (await queryRows(db, "select what from main.hook_log order by n")).map((r) =>
    String(r.what)
  );
}

Deno.test("dbt project: an incremental model's hooks render with the build's is_incremental(): false on the first build and --full-refresh, true on a later run", async () => {
  await using p = await tempProject(PROJECT);
  const db = join(p.root, "shop.duckdb");
  const build = async (...args: string[]) => {
    const r = await runCli(["--project", p.root, "build", ...args]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  };
  const ids = async () =>
    (await queryRows(db, "select id from main.events order by id")).map((r) => Number(r.id));

  await build();
  assert.deepEqual(await log(db), ["pre full", "queried false"]);
  assert.deepEqual(await ids(), [0, 1, 2]);

  await build();
  assert.deepEqual((await log(db)).slice(2), ["pre later", "queried true"]);
  // The later run's post_hook deleted the row its is_incremental() branch names.
  assert.deepEqual(await ids(), [1, 2]);

  await build("--full-refresh");
  assert.deepEqual((await log(db)).slice(4), ["pre full", "queried false"]);
  assert.deepEqual(await ids(), [0, 1, 2]);
});

Deno.test("dbt project: compile shows an incremental model's hooks as each run renders them, when is_incremental() changes them", async () => {
  await using p = await tempProject(PROJECT);
  const r = await runCli(["--project", p.root, "compile", "events"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /^-- pre_hook, first build or --full-refresh \(is_incremental\(\) false\)\ninsert into main\.hook_log select count\(\*\), 'pre full' from main\.hook_log;\n-- pre_hook, later runs \(is_incremental\(\) true\)\ninsert into main\.hook_log select count\(\*\), 'pre later' from main\.hook_log;\n/,
  );
  assert.match(
    r.stdout,
    /\n-- post_hook, first build or --full-refresh \(is_incremental\(\) false\)\n-- \(rendered as it runs, against the warehouse\)\n\{\{ note\('queried'\) \}\}\n-- post_hook, later runs \(is_incremental\(\) true\)\ndelete from "main"\."events" where id = 0;\n-- \(rendered as it runs, against the warehouse\)\n\{\{ note\('queried'\) \}\}\n$/,
  );
});
