import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { CompileError } from "../../src/engine/errors.ts";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { loadProject } from "../../src/engine/project/load_project.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { runCli, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

/** Every file under `dir`, relative to it, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)));
    }
  };
  await walk(dir);
  return out.sort();
}

const ORDERS = (rows: string) =>
  `select id, state, zip, amount from (values ${rows}) t(id, state, zip, amount)`;

const EXPORT_YAML = [
  "models:",
  "  - name: orders",
  "    config:",
  "      materialized: external",
  "      location: exports/orders",
  "      partition_by: [state, zip]",
].join("\n");

Deno.test("an external model is written as hive-partitioned Parquet files that DuckDB and downstream models read back", async () => {
  await using p = await tempProject({
    "models/staging/orders.sql": ORDERS(
      "(1, 'NY', '02130', 1000), (2, 'NY', '10001', 250), (3, 'NJ', '07001', 99), (4, NULL, NULL, 5)",
    ),
    "models/marts/orders.sql": "select * from staging.orders",
    "models/marts/marts.yml": EXPORT_YAML,
    "models/marts/state_totals.sql":
      "select state, sum(amount)::int as total from marts.orders group by state",
  });
  const summary = await runProject("build", p.config, { db: p.db });
  assert.ok(summary.ok, JSON.stringify(summary.results));
  const built = summary.results.find((r) => r.id === "marts.orders")!;
  assert.equal(built.rows, 4);
  assert.equal(built.message, "4 Parquet files in exports/orders");

  const dir = join(p.root, "exports", "orders");
  assert.deepEqual(await filesUnder(dir), [
    "_wharf.json",
    "state=NJ/zip=07001/data_0.parquet",
    "state=NY/zip=02130/data_0.parquet",
    "state=NY/zip=10001/data_0.parquet",
    "state=__HIVE_DEFAULT_PARTITION__/zip=__HIVE_DEFAULT_PARTITION__/data_0.parquet",
  ]);
  // A plain DuckDB connection, not the warehouse, reads the files as any engine would.
  const duck = await openWarehouse(":memory:");
  try {
    assert.deepEqual(
      await duck.query(
        `select id, state, zip, amount from read_parquet('${dir}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false) order by id`,
      ),
      [
        { id: 1, state: "NY", zip: "02130", amount: 1000 },
        { id: 2, state: "NY", zip: "10001", amount: 250 },
        { id: 3, state: "NJ", zip: "07001", amount: 99 },
        { id: 4, state: null, zip: null, amount: 5 },
      ],
    );
    // The partition columns are not in the files: they are the folders.
    assert.deepEqual(
      (await duck.query(
        `select name from parquet_schema('${dir}/state=NY/zip=02130/data_0.parquet') where name <> 'duckdb_schema' order by name`,
      )).map((r) => r.name),
      ["amount", "id"],
    );
  } finally {
    duck.close();
  }
  // The view keeps the model's columns in order, the ZIP as text (02130, not 2130).
  assert.deepEqual(
    await query(
      p.db,
      "select column_name, data_type from information_schema.columns where table_schema = 'marts' and table_name = 'orders' order by ordinal_position",
    ),
    [
      { column_name: "id", data_type: "INTEGER" },
      { column_name: "state", data_type: "VARCHAR" },
      { column_name: "zip", data_type: "VARCHAR" },
      { column_name: "amount", data_type: "INTEGER" },
    ],
  );
  assert.deepEqual(
    await query(p.db, "select zip from marts.orders where id = 1"),
    [{ zip: "02130" }],
  );
  assert.deepEqual(
    await query(p.db, "select state, total from marts.state_totals order by state nulls last"),
    [{ state: "NJ", total: 99 }, { state: "NY", total: 1250 }, { state: null, total: 5 }],
  );

  // A rebuild with fewer rows leaves no file of the previous build.
  await p.write("models/staging/orders.sql", ORDERS("(3, 'NJ', '07001', 120)"));
  const again = await runProject("build", p.config, { db: p.db });
  assert.ok(again.ok, JSON.stringify(again.results));
  assert.deepEqual(await filesUnder(dir), ["_wharf.json", "state=NJ/zip=07001/data_0.parquet"]);
  assert.deepEqual(
    (await Array.fromAsync(Deno.readDir(join(p.root, "exports")))).map((e) => e.name),
    ["orders"],
  );
  assert.deepEqual(
    await query(p.db, "select state, total from marts.state_totals"),
    [{ state: "NJ", total: 120 }],
  );
});

Deno.test("an external model without partitions is one Parquet file; with partitions and no rows, an empty typed view", async () => {
  await using p = await tempProject({
    "models/marts/flat.sql": "select 1 as id, date '2024-01-31' as day",
    "models/marts/none.sql": "select 1 as id, 'NY' as state where false",
    "models/marts/marts.yml": [
      "models:",
      "  - name: flat",
      "    config: { materialized: external, location: out/flat }",
      "  - name: none",
      "    config: { materialized: external, location: out/none, partition_by: state }",
    ].join("\n"),
  });
  const summary = await runProject("build", p.config, { db: p.db });
  assert.ok(summary.ok, JSON.stringify(summary.results));
  assert.deepEqual(await filesUnder(join(p.root, "out", "flat")), [
    "_wharf.json",
    "data_0.parquet",
  ]);
  assert.deepEqual(await query(p.db, "select id, day::varchar as day from marts.flat"), [
    { id: 1, day: "2024-01-31" },
  ]);
  assert.deepEqual(await filesUnder(join(p.root, "out", "none")), ["_wharf.json"]);
  assert.deepEqual(
    await query(
      p.db,
      "select count(*)::int as n, any_value(typeof(state)) as t from (select * from marts.none union all select null, null where false)",
    ),
    [{ n: 0, t: null }],
  );
  assert.deepEqual(
    (await query(
      p.db,
      "select data_type from information_schema.columns where table_name = 'none' order by ordinal_position",
    )).map((r) => r.data_type),
    ["INTEGER", "VARCHAR"],
  );
});

Deno.test("an external model never replaces a folder of files wharf did not write", async () => {
  await using p = await tempProject({
    "models/marts/orders.sql": "select 1 as id, 'NY' as state",
    "models/marts/marts.yml": EXPORT_YAML.replace("[state, zip]", "[state]"),
    "exports/orders/keep.csv": "precious\n",
  });
  const summary = await runProject("build", p.config, { db: p.db });
  const r = summary.results.find((x) => x.id === "marts.orders")!;
  assert.equal(r.status, "error");
  assert.match(
    r.message!,
    /Cannot write marts\.orders to "exports\/orders": the folder holds files wharf did not write \("keep\.csv"\), and a build replaces everything in it: set "location" to a new or empty folder/,
  );
  assert.equal(await Deno.readTextFile(join(p.root, "exports/orders/keep.csv")), "precious\n");
});

Deno.test("an external model names a partition column it does not have", async () => {
  await using p = await tempProject({
    "models/marts/orders.sql": "select 1 as id, 'NY' as state",
    "models/marts/marts.yml": EXPORT_YAML.replace("[state, zip]", "[stat]"),
  });
  // A SELECT that names its columns: refused before anything runs, at the YAML line.
  await assert.rejects(
    () => runProject("build", p.config, { db: p.db }),
    (err: Error) =>
      err instanceof CompileError &&
      /marts\.yml:\d+:\d+: models\[0\]\.config\.partition_by\[0\]: "stat" is no column of marts\.orders \(did you mean "state"\?\)/
        .test(err.message),
  );
  // `select *`: the columns are known when it runs.
  await p.write("models/marts/orders.sql", "select * from (select 1 as id, 'NY' as state)");
  const summary = await runProject("build", p.config, { db: p.db });
  const r = summary.results.find((x) => x.id === "marts.orders")!;
  assert.equal(r.status, "error");
  assert.match(
    r.message!,
    /Cannot partition marts\.orders by "stat": it has no such column \(did you mean "state"\?\)/,
  );
});

Deno.test("an external model's unknown or misplaced config keys are errors naming them", async () => {
  await using p = await tempProject({
    "models/marts/a.sql": "select 1 as id",
    "models/marts/b.sql": "select 1 as id",
    "models/marts/c.sql": "select 1 as id",
    "models/marts/marts.yml": [
      "models:",
      "  - name: a",
      "    config: { materialized: external, location: exports/a, partiton_by: [id], format: csv }",
      "  - name: b",
      "    config: { materialized: external, partition_by: 3 }",
      "  - name: c",
      "    config: { materialized: table, location: exports/c }",
    ].join("\n"),
  });
  const project = await loadProject(p.config);
  assert.deepEqual(project.issues.map((i) => `${i.location.line}: ${i.message}`), [
    '3: models[0].config.partiton_by: unknown key "partiton_by" in a model\'s config (did you mean "partition_by"?)',
    `3: models[0].config.format: "format" in a model's config is not implemented by wharf: remove it (a model's config reads "materialized", "unique_key", "tags", "enabled", "database", "contract", "incremental_strategy", "watermark", "incremental_predicates", "on_schema_change", "full_refresh", "merge_update_columns", "merge_exclude_columns", "hard_deletes", "event_time", "batch_size", "lookback", "begin", "location", "partition_by", "pre_hook", "pre-hook", "post_hook", "post-hook")`,
    '5: models[1].config.location: an external model needs a "location": a folder, relative to the project root (e.g. "exports/orders"), where its Parquet files are written',
    "5: models[1].config.partition_by: expected a column name or a list of column names, got 3",
    '7: models[2].config.location: "location" applies to external models only',
  ]);
});

Deno.test("wharf compile shows an external model's COPY and its view", async () => {
  await using p = await tempProject({
    "models/marts/orders.sql": "select 1 as id, 'NY' as state",
    "models/marts/marts.yml": EXPORT_YAML.replace("[state, zip]", "state"),
  });
  const r = await runCli(["--project", p.root, "compile", "marts.orders"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^-- the Parquet files, written beside "exports\/orders" and then swapped in for the previous ones\nCOPY \(\nselect 1 as id, 'NY' as state\n\) TO '.*\/exports\/\.orders\.wharf-new' \(FORMAT parquet, PARTITION_BY \("state"\)\);\n/,
  );
  assert.match(
    r.stdout,
    /CREATE OR REPLACE VIEW "marts"\."orders" AS\nSELECT \* FROM read_parquet\('.*\/exports\/orders\/\*\*\/\*\.parquet', hive_partitioning = true\);\n$/,
  );
});

Deno.test("an external model whose rebuild fails keeps its previous files and view", async () => {
  await using p = await tempProject({
    "models/marts/orders.sql": "select 1 as id, 'NY' as state",
    "models/marts/marts.yml": EXPORT_YAML.replace("[state, zip]", "[state]"),
  });
  assert.ok((await runProject("build", p.config, { db: p.db })).ok);
  await p.write(
    "models/marts/orders.sql",
    "select cast('not a number' as integer) as id, 'NJ' as state",
  );
  const summary = await runProject("build", p.config, { db: p.db });
  const r = summary.results.find((x) => x.id === "marts.orders")!;
  assert.equal(r.status, "error");
  assert.match(r.message!, /Conversion Error/);
  assert.deepEqual(await filesUnder(join(p.root, "exports")), [
    "orders/_wharf.json",
    "orders/state=NY/data_0.parquet",
  ]);
  assert.deepEqual(await query(p.db, "select id, state from marts.orders"), [
    { id: 1, state: "NY" },
  ]);
});

Deno.test("external models never share a folder or write inside another's", async () => {
  await using p = await tempProject({
    "models/marts/a.sql": "select 1 as id",
    "models/marts/b.sql": "select 2 as id",
    "models/marts/c.sql": "select 3 as id",
    "models/marts/marts.yml": [
      "models:",
      "  - name: a",
      "    config: { materialized: external, location: exports/a }",
      "  - name: b",
      "    config: { materialized: external, location: exports/a }",
      "  - name: c",
      "    config: { materialized: external, location: exports/a/c }",
    ].join("\n"),
  });
  await runProject("build", p.config, { db: p.db, select: ["marts.a"] });
  const summary = await runProject("build", p.config, { db: p.db, select: ["marts.b", "marts.c"] });
  const message = (id: string) => summary.results.find((r) => r.id === id)?.message ?? "";
  assert.match(
    message("marts.b"),
    /Cannot write marts\.b to "exports\/a": the folder holds the files of marts\.a: give each external model its own folder/,
  );
  assert.match(
    message("marts.c"),
    /Cannot write marts\.c to "exports\/a\/c": it is inside the files of marts\.a \(.*exports\/a\)/,
  );
  assert.deepEqual(await filesUnder(join(p.root, "exports")), [
    "a/_wharf.json",
    "a/data_0.parquet",
  ]);
  assert.deepEqual(await query(p.db, "select id from marts.a"), [{ id: 1 }]);
});
