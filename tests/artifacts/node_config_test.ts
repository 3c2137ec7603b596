/**
 * The `config` of each node in target/manifest.json and in `wharf ls
 * --output json` is dbt's: the configs as written (a custom schema, not
 * the schema it resolves to; `unique_key` a column or a list as written;
 * `incremental_strategy` null unless set), hooks as lists of
 * `{sql, transaction, index}`, a snapshot's `schema`/`target_schema` as
 * dbt records them; and target/catalog.json's comments are DuckDB's own.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, type TempProject, tempProject } from "../helpers.ts";
import { readValid } from "./dbt_schemas.ts";

/** A small dbt project: a model with a custom schema and hooks, two incremental models, three snapshots. */
function shop(): Promise<TempProject> {
  return tempProject({
    "dbt_project.yml": [
      "name: shop",
      "profile: shop",
      "models:",
      "  shop:",
      "    +materialized: view",
      "    staged:",
      "      +schema: staging",
      "      +post-hook: \"select 'folder'\"",
      "",
    ].join("\n"),
    "profiles.yml": [
      "shop:",
      "  target: dev",
      "  outputs:",
      "    dev: { type: duckdb, path: shop.duckdb, schema: main }",
      "",
    ].join("\n"),
    "models/staged/people.sql": [
      `{{ config(materialized='table', pre_hook="select 1", post_hook=["select 2", {"sql": "select 3", "transaction": false}]) }}`,
      "select 1 as id, 'ann' as name",
    ].join("\n"),
    "models/by_id.sql": [
      "{{ config(materialized='incremental', unique_key='id') }}",
      "select * from {{ ref('people') }}",
    ].join("\n"),
    "models/by_id_name.sql": [
      "{{ config(materialized='incremental', unique_key=['id', 'name'], incremental_strategy='merge') }}",
      "select * from {{ ref('people') }}",
    ].join("\n"),
    "snapshots/legacy.sql": [
      "{% snapshot legacy %}",
      "{{ config(target_schema='snaps', unique_key='id', strategy='check', check_cols='all') }}",
      "select * from {{ ref('people') }}",
      "{% endsnapshot %}",
    ].join("\n"),
    "snapshots/custom.sql": [
      "{% snapshot custom %}",
      "{{ config(schema='snaps', unique_key=['id', 'name'], strategy='check', check_cols=['name']) }}",
      "select * from {{ ref('people') }}",
      "{% endsnapshot %}",
    ].join("\n"),
    "snapshots/plain.sql": [
      "{% snapshot plain %}",
      "{{ config(unique_key='id', strategy='check', check_cols='all') }}",
      "select * from {{ ref('people') }}",
      "{% endsnapshot %}",
    ].join("\n"),
  });
}

/** `wharf ls --output json`'s nodes by unique id. */
async function listed(p: TempProject): Promise<Map<string, Record<string, unknown>>> {
  const ls = await runCli(["--project", p.root, "ls", "--output", "json"]);
  assert.equal(ls.code, 0, ls.stderr);
  const lines = ls.stdout.trim().split("\n").map((l) => JSON.parse(l));
  return new Map(lines.map((n) => [n.unique_id, n]));
}

Deno.test("manifest.json and ls --output json record a model's schema, unique_key and incremental_strategy as configured", async () => {
  await using p = await shop();
  const ls = await listed(p);
  const manifest = await readValid(join(p.root, "target"), "manifest");
  const people = manifest.nodes["model.shop.people"];
  // The custom schema as written; the node's own schema is the one it resolves to.
  assert.equal(people.schema, "main_staging");
  assert.equal(people.config.schema, "staging");
  assert.equal(people.config.alias, null);
  assert.equal(people.config.database, null);
  const byId = manifest.nodes["model.shop.by_id"];
  assert.equal(byId.schema, "main");
  assert.equal(byId.config.schema, null);
  // unique_key as written; incremental_strategy null unless set (not the default wharf runs).
  assert.equal(byId.config.unique_key, "id");
  assert.equal(byId.config.incremental_strategy, null);
  const byIdName = manifest.nodes["model.shop.by_id_name"];
  assert.deepEqual(byIdName.config.unique_key, ["id", "name"]);
  assert.equal(byIdName.config.incremental_strategy, "merge");
  assert.equal(people.config.unique_key, null);
  // ls prints the same config.
  for (const id of ["model.shop.people", "model.shop.by_id", "model.shop.by_id_name"]) {
    assert.deepEqual(ls.get(id)!.config, manifest.nodes[id].config);
  }
});

Deno.test("manifest.json records pre-hook and post-hook as dbt's lists of {sql, transaction, index}", async () => {
  await using p = await shop();
  const ls = await listed(p);
  const manifest = await readValid(join(p.root, "target"), "manifest");
  const config = manifest.nodes["model.shop.people"].config;
  // A single string is a list of one; the folder's hook comes first, as dbt merges them.
  assert.deepEqual(config["pre-hook"], [{ sql: "select 1", transaction: true, index: null }]);
  assert.deepEqual(config["post-hook"], [
    { sql: "select 'folder'", transaction: true, index: null },
    { sql: "select 2", transaction: true, index: null },
    { sql: "select 3", transaction: false, index: null },
  ]);
  assert.equal(config.pre_hook, undefined);
  assert.deepEqual(manifest.nodes["model.shop.by_id"].config["pre-hook"], []);
  assert.deepEqual(manifest.nodes["model.shop.by_id"].config["post-hook"], []);
  assert.deepEqual(ls.get("model.shop.people")!.config, config);
});

Deno.test("manifest.json records a snapshot's schema and target_schema as dbt does", async () => {
  await using p = await shop();
  const ls = await listed(p);
  const manifest = await readValid(join(p.root, "target"), "manifest");
  // target_schema (dbt's older config): the schema as is, no custom schema.
  const legacy = manifest.nodes["snapshot.shop.legacy"];
  assert.equal(legacy.schema, "snaps");
  assert.equal(legacy.config.schema, null);
  assert.equal(legacy.config.target_schema, "snaps");
  assert.equal(legacy.config.target_database, null);
  assert.equal(legacy.config.unique_key, "id");
  // schema (dbt 1.9's): a custom schema, resolved as a model's.
  const custom = manifest.nodes["snapshot.shop.custom"];
  assert.equal(custom.schema, "main_snaps");
  assert.equal(custom.config.schema, "snaps");
  assert.equal(custom.config.target_schema, null);
  assert.deepEqual(custom.config.unique_key, ["id", "name"]);
  assert.deepEqual(custom.config.check_cols, ["name"]);
  // Neither: the target's schema.
  const plain = manifest.nodes["snapshot.shop.plain"];
  assert.equal(plain.schema, "main");
  assert.equal(plain.config.schema, null);
  assert.equal(plain.config.target_schema, null);
  assert.equal(plain.config.incremental_strategy, null);
  for (const id of ["snapshot.shop.legacy", "snapshot.shop.custom", "snapshot.shop.plain"]) {
    assert.deepEqual(ls.get(id)!.config, manifest.nodes[id].config);
  }
});

Deno.test("a plain-SQL project's manifest records unique_key as written, no custom schema, hooks as dbt's lists", async () => {
  await using p = await tempProject({
    "wharf.config.ts": 'export default { name: "shop" };\n',
    "models/staging/people.sql": "select 1 as id, 'ann' as name",
    "models/marts/by_id.sql": "select * from staging.people",
    "models/marts/by_id_name.sql": "select * from staging.people",
    "models/marts/marts.yml": [
      "models:",
      "  - name: by_id",
      "    config:",
      "      materialized: incremental",
      "      incremental_strategy: merge",
      "      unique_key: id",
      '      post_hook: ["select 1", { sql: "select 2", transaction: false }]',
      "  - name: by_id_name",
      "    config: { materialized: incremental, incremental_strategy: merge, unique_key: [id, name] }",
      "",
    ].join("\n"),
  });
  const ls = await runCli(["--project", p.root, "ls"]);
  assert.equal(ls.code, 0, ls.stderr);
  const manifest = await readValid(join(p.root, "target"), "manifest");
  const byId = manifest.nodes["model.shop.by_id"];
  assert.equal(byId.schema, "marts");
  assert.equal(byId.config.schema, null);
  assert.equal(byId.config.unique_key, "id");
  assert.equal(byId.config.incremental_strategy, "merge");
  assert.deepEqual(byId.config["post-hook"], [
    { sql: "select 1", transaction: true, index: null },
    { sql: "select 2", transaction: false, index: null },
  ]);
  assert.deepEqual(byId.config["pre-hook"], []);
  assert.deepEqual(manifest.nodes["model.shop.by_id_name"].config.unique_key, ["id", "name"]);
  assert.equal(manifest.nodes["model.shop.people"].config.unique_key, null);
});

Deno.test("catalog.json's table and column comments are DuckDB's own (persist_docs, COMMENT ON), null without", async () => {
  await using p = await shop();
  await p.write(
    "models/staged/people.yml",
    [
      "models:",
      "  - name: people",
      "    description: One row a person.",
      "    config: { persist_docs: { relation: true, columns: true } }",
      "    columns:",
      "      - name: id",
      "        description: The person's id.",
      "",
    ].join("\n"),
  );
  await p.write(
    "models/by_id.sql",
    [
      `{{ config(materialized='table', post_hook="comment on column {{ this }}.name is 'Set by a hook.'") }}`,
      "select * from {{ ref('people') }}",
    ].join("\n"),
  );
  const built = await runCli(["--project", p.root, "build", "--select", "people", "by_id"]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const docs = await runCli(["--project", p.root, "docs", "build"]);
  assert.equal(docs.code, 0, docs.stderr);
  const catalog = await readValid(join(p.root, "target"), "catalog");
  const people = catalog.nodes["model.shop.people"];
  assert.equal(people.metadata.comment, "One row a person.");
  assert.equal(people.columns.id.comment, "The person's id.");
  assert.equal(people.columns.name.comment, null);
  const byId = catalog.nodes["model.shop.by_id"];
  assert.equal(byId.metadata.comment, null);
  assert.equal(byId.columns.id.comment, null);
  assert.equal(byId.columns.name.comment, "Set by a hook.");
  // What DuckDB itself holds, read back from the warehouse file.
  const [row] = await queryRows(
    join(p.root, "shop.duckdb"),
    "select comment from duckdb_columns() where table_name = 'by_id' and column_name = 'name'",
  );
  assert.equal(row!.comment, "Set by a hook.");
});
