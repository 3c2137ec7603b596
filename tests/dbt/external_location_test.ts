/**
 * dbt-duckdb's `external_location` of a source: `source()` renders the file
 * (a quoted path, or a table function's call as written), formatted with
 * the table's `name`/`identifier`/… from the source's or the table's `meta`
 * or `config:`, or the `sources:` tree; relative paths are the project
 * folder's, wherever wharf runs from. The source's tests read the file,
 * it is never "not landed", and the manifest's `relation_name` is the file,
 * as dbt-duckdb records it. Through the CLI, with a real CSV and a Parquet
 * file DuckDB writes.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { queryRows, runCli, SHOP_PROFILE, tempProject } from "../helpers.ts";

const FILES = {
  "dbt_project.yml": `name: shop
config-version: 2
profile: shop
models:
  shop:
    +materialized: table
sources:
  shop:
    lake:
      +external_location: "read_parquet('lake/{schema}_{identifier}.parquet')"
`,
  "profiles.yml": SHOP_PROFILE,
  "models/sources.yml": `version: 2
sources:
  - name: files
    meta: { external_location: "data/{name}.csv" }
    loaded_at_field: loaded_at
    freshness: { warn_after: { count: 1, period: day } }
    tables:
      - name: ext
        columns:
          - name: id
            data_tests: [not_null, unique]
  - name: raw_files
    schema: raw
    config:
      external_location: "data/%(identifier)s.csv"
      formatter: oldstyle
    tables:
      - name: people
        identifier: ext
  - name: lake
    schema: cold
    tables:
      - name: events
        identifier: evts
`,
  "models/from_csv.sql": "select * from {{ source('files', 'ext') }}",
  "models/from_raw.sql": "select count(*)::int as n from {{ source('raw_files', 'people') }}",
  "models/from_parquet.sql": "select * from {{ source('lake', 'events') }} order by k",
  "data/ext.csv": "id,v,loaded_at\n1,a,2020-01-01 00:00:00\n2,b,2020-01-02 00:00:00\n",
};

Deno.test("a source's external_location reads the file: a CSV path quoted, a read_parquet() call as written", async () => {
  await using p = await tempProject(FILES);
  await Deno.mkdir(join(p.root, "lake"));
  const scratch = await openWarehouse(":memory:");
  try {
    await scratch.exec(
      `copy (select * from (values (1, 'x'), (2, 'y')) t(k, label)) to '${
        join(p.root, "lake", "cold_evts.parquet")
      }' (format parquet)`,
    );
  } finally {
    scratch.close();
  }
  // Compiled as dbt-duckdb compiles it.
  const compile = await runCli(["--project", p.root, "compile"]);
  assert.equal(compile.code, 0, compile.stderr);
  const compiled = (name: string) =>
    Deno.readTextFile(join(p.root, "target", "compiled", "shop", "models", `${name}.sql`));
  assert.equal((await compiled("from_csv")).trim(), "select * from 'data/ext.csv'");
  assert.equal(
    (await compiled("from_raw")).trim(),
    "select count(*)::int as n from 'data/ext.csv'",
  );
  assert.equal(
    (await compiled("from_parquet")).trim(),
    "select * from read_parquet('lake/cold_evts.parquet') order by k",
  );

  // Built from another folder (the CLI runs in the repository): the paths are the project's.
  const build = await runCli(["--project", p.root, "build"]);
  assert.equal(build.code, 0, build.stderr + build.stdout);
  assert.doesNotMatch(build.stdout, /not landed/);
  assert.match(build.stdout, /PASS\s+test source_not_null_files_ext_id/);
  const db = join(p.root, "dev.duckdb");
  assert.deepEqual(await queryRows(db, "select id::int as id, v from main.from_csv order by id"), [
    { id: 1, v: "a" },
    { id: 2, v: "b" },
  ]);
  assert.deepEqual(await queryRows(db, "select n from main.from_raw"), [{ n: 2 }]);
  assert.deepEqual(await queryRows(db, "select k, label from main.from_parquet"), [
    { k: 1, label: "x" },
    { k: 2, label: "y" },
  ]);

  // Its freshness is the file's newest row.
  const fresh = await runCli(["--project", p.root, "source", "freshness", "-s", "source:files"]);
  assert.match(fresh.stdout, /WARN\s+files\.ext .*newest loaded_at 2020-01-02T00:00:00\.000Z/);

  // The manifest: the file as the source's relation_name, the location in its meta or config.
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  const ext = manifest.sources["source.shop.files.ext"];
  assert.equal(ext.relation_name, "'data/ext.csv'");
  assert.equal(ext.meta.external_location, "data/{name}.csv");
  const events = manifest.sources["source.shop.lake.events"];
  assert.equal(events.relation_name, "read_parquet('lake/cold_evts.parquet')");
  assert.equal(
    events.config.external_location,
    "read_parquet('lake/{schema}_{identifier}.parquet')",
  );
});

Deno.test("an external_location wharf cannot fill, and a source plugin, are errors naming them", async () => {
  for (
    const [yaml, expected] of [
      [
        `meta: { external_location: "data/{nope}.csv" }`,
        /external_location "data\/\{nope\}\.csv": nothing fills "nope"/,
      ],
      [
        `config: { external_location: "data/{name}.csv", formatter: jinja }`,
        /formatter "jinja" \(of external_location\) is not newstyle, oldstyle or template/,
      ],
      [`meta: { plugin: excel }`, /"plugin" \(meta or config\) is dbt-duckdb's source plugin/],
      [`config: { plugin: excel }`, /"plugin" in a source's config is not run by wharf yet/],
    ] as const
  ) {
    await using p = await tempProject({
      "dbt_project.yml": "name: shop\nconfig-version: 2\n",
      "models/sources.yml": `version: 2
sources:
  - name: files
    ${yaml}
    tables: [ { name: ext } ]
`,
      "models/m.sql": "select * from {{ source('files', 'ext') }}",
    });
    const r = await runCli(["--project", p.root, "compile"]);
    assert.notEqual(r.code, 0, `${yaml}: ${r.stdout}`);
    assert.match(r.stderr, expected);
  }
});
