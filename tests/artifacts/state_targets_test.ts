/**
 * Slim CI across targets: `state:modified` against the artifacts of a
 * build on another target of the profile selects what changed in the
 * project, not every node whose rendered schema, database, config or test
 * SQL the target changes (dbt compares configs and relations as written).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, type TempProject, tempProject } from "../helpers.ts";

const PROJECT: Record<string, string> = {
  "dbt_project.yml": `name: shop
config-version: 2
profile: shop
models:
  shop:
    +materialized: view
    marts:
      +materialized: table
`,
  "profiles.yml": `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: dev.duckdb
      schema: dev
    prod:
      type: duckdb
      path: prod.duckdb
      schema: prod
`,
  "seeds/people.csv": "id,name\n1,ann\n2,bob\n",
  "models/staging/stg_people.sql": "select * from {{ ref('people') }}\n",
  "models/staging/stg_names.sql":
    "{{ config(meta={'env': target.name}) }}\nselect name from {{ ref('stg_people') }}\n",
  "models/staging/names.yml": `models:
  - name: stg_names
    config:
      docs: { node_color: red }
`,
  "models/marts/counts.sql": "select id, count(*) as n from {{ ref('stg_people') }} group by id\n",
  "models/marts/names.sql": "select * from {{ ref('stg_names') }}\n",
  "models/marts/report.sql": "select * from {{ ref('counts') }}\n",
  "models/staging/staging.yml": `version: 2
models:
  - name: stg_people
    columns:
      - name: id
        data_tests:
          - unique:
              config:
                severity: "{{ 'warn' if target.name == 'dev' else 'error' }}"
  - name: counts
    columns:
      - name: id
        data_tests:
          - relationships:
              to: ref('stg_people')
              field: id
`,
};

/** Runs the CLI on `p`; asserts it succeeds; returns stdout and stderr. */
async function cli(p: TempProject, ...args: string[]) {
  const r = await runCli(["--project", p.root, ...args]);
  assert.equal(r.code, 0, `wharf ${args.join(" ")}:\n${r.stdout}${r.stderr}`);
  return r;
}

/** The unique ids (models, seeds, tests) `wharf ls` selects on the prod target against `state`. */
async function selected(p: TempProject, state: string, select: string): Promise<string[]> {
  const r = await cli(
    p,
    "ls",
    "--state",
    state,
    "--target",
    "prod",
    "-s",
    select,
    "--output",
    "json",
    "--output-keys",
    "unique_id",
  );
  assert.equal(r.stderr, "", select);
  return r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).unique_id).sort();
}

/** Builds on dev and keeps its target/ as the state `st`; returns its path. */
async function devState(p: TempProject): Promise<string> {
  await cli(p, "build");
  const st = join(p.root, "st");
  await Deno.mkdir(st);
  for (const f of ["manifest.json", "run_results.json"]) {
    await Deno.copyFile(join(p.root, "target", f), join(st, f));
  }
  return st;
}

Deno.test("state:modified across targets: another target is no change; a changed SQL, config or +schema selects that node (and + its descendants)", async () => {
  await using p = await tempProject(PROJECT);
  const st = await devState(p);
  // The state was built on dev: its relations are dev's.
  const manifest = JSON.parse(await Deno.readTextFile(join(st, "manifest.json")));
  assert.equal(manifest.nodes["model.shop.counts"].schema, "dev");
  assert.deepEqual(manifest.nodes["model.shop.stg_names"].unrendered_config, {
    materialized: "view",
    docs: { node_color: "red" },
    // Its config() call's, as written.
    meta: "{'env': target.name}",
  });
  for (const part of ["", ".body", ".configs", ".relation", ".macros", ".contract"]) {
    assert.deepEqual(await selected(p, st, `state:modified${part}`), [], part);
  }

  // One model's SQL, one config value, one +schema.
  await p.write(
    "models/marts/counts.sql",
    PROJECT["models/marts/counts.sql"]!.replace("as n", "as rows"),
  );
  await p.write(
    "models/staging/names.yml",
    PROJECT["models/staging/names.yml"]!.replace("red", "blue"),
  );
  await p.write(
    "dbt_project.yml",
    PROJECT["dbt_project.yml"]!.replace(
      "      +materialized: table\n",
      "      +materialized: table\n      report:\n        +schema: reporting\n",
    ),
  );
  // The tests of a selected model come with it (eager indirect selection), as in dbt.
  const relationships = "test.shop.relationships_counts_id__id__ref_stg_people_";
  assert.deepEqual(await selected(p, st, "state:modified"), [
    "model.shop.counts",
    "model.shop.report",
    "model.shop.stg_names",
    relationships,
  ]);
  assert.deepEqual(await selected(p, st, "state:modified.body"), [
    "model.shop.counts",
    relationships,
  ]);
  assert.deepEqual(await selected(p, st, "state:modified.configs"), ["model.shop.stg_names"]);
  assert.deepEqual(await selected(p, st, "state:modified.relation"), ["model.shop.report"]);
  assert.deepEqual(await selected(p, st, "state:modified+"), [
    "model.shop.counts",
    "model.shop.names",
    "model.shop.report",
    "model.shop.stg_names",
    relationships,
  ]);

  // A tag added is no change, as in dbt.
  await p.write("models/marts/names.sql", PROJECT["models/marts/names.sql"]!);
  await p.write(
    "models/staging/names.yml",
    PROJECT["models/staging/names.yml"]!.replace("red", "blue") +
      "  - name: names\n    config: { tags: [pii] }\n",
  );
  assert.deepEqual(await selected(p, st, "state:modified.configs"), ["model.shop.stg_names"]);

  // A test's severity as written changed: that test's configs.
  await p.write(
    "models/staging/staging.yml",
    PROJECT["models/staging/staging.yml"]!.replace("'warn' if", "'error' if"),
  );
  assert.deepEqual(await selected(p, st, "state:modified.configs"), [
    "model.shop.stg_names",
    "test.shop.unique_stg_people_id",
  ]);
});

Deno.test("state:modified against a state of an older wharf (no configs as written): compared as rendered, with a note", async () => {
  await using p = await tempProject(PROJECT);
  const st = await devState(p);
  // What an older wharf wrote: no configs as written, a generic test's checksum of its resolved arguments.
  const file = join(st, "manifest.json");
  const manifest = JSON.parse(await Deno.readTextFile(file));
  for (const node of Object.values(manifest.nodes) as Record<string, unknown>[]) {
    node.unrendered_config = {};
    if (node.test_metadata) node.checksum = { name: "sha256", checksum: "resolved" };
  }
  await Deno.writeTextFile(file, JSON.stringify(manifest));

  const r = await cli(p, "ls", "--state", st, "-s", "state:modified", "--output", "name");
  assert.equal(r.stdout.trim(), "");
  assert.match(
    r.stderr,
    /^note: the state ".*st" was written by an older wharf, which did not record configs as written: configs and relations are compared as the state's target rendered them \(another target changes them\); rebuild the state to compare them as dbt does\n$/,
  );
  await p.write("models/marts/counts.sql", "select 1 as id\n");
  const changed = await cli(p, "ls", "--state", st, "-s", "state:modified", "--output", "name");
  assert.deepEqual(changed.stdout.trim().split("\n"), [
    "counts",
    "relationships_counts_id__id__ref_stg_people_",
  ]);
});

Deno.test("configs written as Jinja in dbt_project.yml and in a properties file are compared as written: a change of target is no change, a change of the text is", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      "name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: \"{{ 'table' if target.name == 'prod' else 'view' }}\"\n    staging:\n      +schema: \"{{ target.name }}_staging\"\n",
    "profiles.yml": PROJECT["profiles.yml"]!,
    "models/staging/stg.sql": "select 1 as id\n",
    "models/staging/stg.yml":
      "models:\n  - name: stg\n    config:\n      alias: \"{{ 'stg_' ~ target.name }}\"\n",
    "models/other.sql": "select 2 as id\n",
    // A source whose schema is the target's, and a snapshot whose target_schema depends on it.
    "models/sources.yml":
      'sources:\n  - name: app\n    schema: "{{ target.schema }}"\n    tables:\n      - name: people\n        columns:\n          - name: id\n            data_tests: [not_null]\n',
    "models/from_app.sql": "select * from {{ source('app', 'people') }}\n",
    "snapshots/snap.sql":
      "{% snapshot snap %}\n{{ config(unique_key='id', strategy='check', check_cols='all') }}\nselect 1 as id\n{% endsnapshot %}\n",
  });
  await p.write(
    "dbt_project.yml",
    `${await Deno.readTextFile(
      join(p.root, "dbt_project.yml"),
    )}snapshots:\n  shop:\n    +target_schema: "{{ 'snapshots' if target.name == 'prod' else target.schema ~ '_snapshots' }}"\n`,
  );
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  // The application's table, in the dev warehouse (its schema is named like the file: dev.dev).
  await cli(
    "sql",
    "--write",
    "create schema if not exists dev.dev; create table dev.dev.people as select 1 as id",
  );
  const built = await cli("build");
  assert.equal(built.code, 0, built.stdout + built.stderr);
  await Deno.rename(join(p.root, "target"), join(p.root, "dev-state"));
  const modified = async (...args: string[]) => {
    const r = await cli(
      "ls",
      "-s",
      "state:modified",
      "--state",
      join(p.root, "dev-state"),
      "--output",
      "name",
      ...args,
    );
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim().split("\n").filter((l) => l !== "").sort();
  };
  assert.deepEqual(await modified("--target", "prod"), []);
  // The text as written changes: that node is modified, on any target.
  await p.write(
    "models/staging/stg.yml",
    "models:\n  - name: stg\n    config:\n      alias: \"{{ 'staging_' ~ target.name }}\"\n",
  );
  assert.deepEqual(await modified("--target", "prod"), ["stg"]);
});
