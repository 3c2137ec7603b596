/**
 * A schema named like a catalog DuckDB knows (the warehouse file's own, an
 * attached database's alias): DuckDB refuses `"dev"."a"` in dev.duckdb as
 * ambiguous, so wharf names such relations in full (`"dev"."dev"."a"`), as
 * dbt-duckdb does, in every statement it writes: models, seeds, tests,
 * incremental merges, snapshots, unit tests, sources, `show`, docs and the
 * artifacts. A plain-SQL layer named so is refused at load, naming the fix.
 * Through the CLI on real DuckDB files.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const files = {
  "profiles.yml":
    "amb: {target: dev, outputs: {dev: {type: duckdb, path: dev.duckdb, schema: dev}}}\n",
  "dbt_project.yml": "name: amb\nprofile: amb\n",
  "seeds/people.csv": "id,name\n1,ann\n2,bob\n",
  "models/a.sql": "select 1 as id",
  "models/b.sql": "select * from {{ ref('a') }}",
  "models/inc.sql":
    "{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge') }}\nselect id, name from {{ ref('people') }}\n{% if is_incremental() %}where id >= (select max(id) from {{ this }}){% endif %}",
  "models/from_source.sql": "select * from {{ source('own', 'people') }}",
  "models/schema.yml": `version: 2
sources:
  - name: own
    schema: dev
    tables:
      - name: people
models:
  - name: b
    columns:
      - name: id
        data_tests: [unique, not_null]
unit_tests:
  - name: b_reads_a
    model: b
    given:
      - input: ref('a')
        rows: [{id: 5}]
    expect:
      rows: [{id: 5}]
`,
  "snapshots/snap.sql":
    "{% snapshot snap %}\n{{ config(unique_key='id', strategy='check', check_cols='all') }}\nselect * from {{ ref('people') }}\n{% endsnapshot %}\n",
  "tests/no_null_ids.sql": "select * from {{ ref('inc') }} where id is null",
};

Deno.test("dbt: a target schema named like the warehouse file's catalog (dev.duckdb, schema dev) builds everything, named dev.dev.*", async () => {
  await using p = await tempProject(files);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  for (const round of [1, 2]) {
    const build = await cli("build");
    assert.equal(build.code, 0, `round ${round}: ${build.stdout}${build.stderr}`);
    assert.doesNotMatch(build.stdout + build.stderr, /Ambiguous/);
    assert.match(build.stdout, /Done in .*: 6 ok, 4 passed, 0 warned, 0 failed, 0 errored/);
    assert.match(build.stdout, /OK {4}model dev\.dev\.inc/);
  }
  const db = join(p.root, "dev.duckdb");
  assert.deepEqual(
    await queryRows(db, 'select id, name from "dev"."dev"."inc" order by id'),
    [{ id: 1, name: "ann" }, { id: 2, name: "bob" }],
  );
  assert.deepEqual(
    await queryRows(db, 'select count(*)::INTEGER as n from "dev"."dev"."snap"'),
    [{ n: 2 }],
  );
  assert.deepEqual(
    await queryRows(db, 'select count(*)::INTEGER as n from "dev"."dev"."from_source"'),
    [{ n: 2 }],
  );

  const shown = await cli("--json", "show", "b");
  assert.equal(shown.code, 0, shown.stderr);
  assert.deepEqual(JSON.parse(shown.stdout).rows, [{ id: 1 }]);
  const compiled = await Deno.readTextFile(
    join(p.root, "target", "compiled", "amb", "models", "b.sql"),
  );
  assert.match(compiled, /"dev"\."dev"\."a"/);

  const docs = await cli("docs", "build");
  assert.equal(docs.code, 0, docs.stderr);
  const catalog = JSON.parse(await Deno.readTextFile(join(p.root, "target", "catalog.json")));
  assert.deepEqual(Object.keys(catalog.nodes["model.amb.inc"].columns), ["id", "name"]);
  assert.equal(catalog.sources["source.amb.own.people"].metadata.database, "dev");
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.equal(manifest.nodes["model.amb.a"].relation_name, '"dev"."dev"."a"');
  assert.equal(manifest.nodes["seed.amb.people"].relation_name, '"dev"."dev"."people"');
  assert.equal(manifest.sources["source.amb.own.people"].relation_name, '"dev"."dev"."people"');
});

Deno.test("dbt: a schema named like an attached database's alias builds in the warehouse, named in full", async () => {
  await using p = await tempProject({
    ...files,
    "profiles.yml":
      "amb: {target: dev, outputs: {dev: {type: duckdb, path: wh.duckdb, schema: lake, attach: [{path: lake.duckdb}]}}}\n",
    "models/schema.yml": "version: 2\n",
    "models/from_source.sql": "select 1 as id",
  });
  const build = await runCli(["--project", p.root, "build"]);
  assert.equal(build.code, 0, build.stdout + build.stderr);
  assert.match(build.stdout, /OK {4}model wh\.lake\.b/);
  assert.deepEqual(
    await queryRows(join(p.root, "wh.duckdb"), 'select id from "wh"."lake"."b"'),
    [{ id: 1 }],
  );
});

Deno.test("plain SQL: a layer folder named like the warehouse's catalog is refused at load, naming the fix", async () => {
  await using p = await tempProject({
    "wharf.config.ts": 'export default { warehouse: "staging.duckdb" };\n',
    "models/staging/stg_a.sql": "select 1 as id",
    "models/marts/fct.sql": "select * from staging.stg_a",
  });
  const build = await runCli(["--project", p.root, "build"]);
  assert.equal(build.code, 2, build.stdout + build.stderr);
  assert.match(
    build.stderr,
    /models\/staging\/stg_a\.sql: Layer folder "staging" is named like the warehouse's own database "staging" \(DuckDB names it after staging\.duckdb\): DuckDB cannot tell the schema "staging" from the database in "staging\.stg_a" and refuses both as ambiguous; rename the folder, or the warehouse file \(warehouse: in wharf\.config\.ts\)/,
  );
});
