/**
 * Attached databases end to end, with two local DuckDB files: a project
 * whose models read from `lake.duckdb` and build into it, and a model of the
 * warehouse that reads a model built there; what is built is read back
 * with a plain DuckDB connection on each file alone.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { holdWarehouse, runCli, tempProject } from "../helpers.ts";

/** The rows of `sql` on the DuckDB file `db`, opened alone and read-only. */
async function plainQuery(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(db, { access_mode: "READ_ONLY" });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Writes `sql` into the DuckDB file `db` (created when missing). */
async function plainExec(db: string, sql: string): Promise<void> {
  const instance = await DuckDBInstance.create(db);
  const connection = await instance.connect();
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A project attaching `lake.duckdb`, whose `raw.orders` another tool wrote. */
async function lakeProject() {
  const p = await tempProject({
    "wharf.config.ts": `export default { attach: { lake: "lake.duckdb" } };\n`,
    // Built into the lake: a table from the lake's own raw data, a view over it.
    "models/staging/stg_orders.sql":
      "select id, customer, amount_cents from lake.raw.orders where amount_cents is not null",
    "models/staging/stg_customers.sql":
      "select customer, count(*) as orders from lake.staging.stg_orders group by customer",
    "models/staging/staging.yml": [
      "models:",
      "  - name: stg_orders",
      "    config: { materialized: table, database: lake }",
      "    columns:",
      "      - name: id",
      "        tests: [unique, not_null]",
      "  - name: stg_customers",
      "    config: { database: lake }",
      "",
    ].join("\n"),
    // In the warehouse, reading what was built in the lake.
    "models/marts/customer_totals.sql":
      "select o.customer, c.orders, sum(o.amount_cents)::BIGINT as total_cents\nfrom lake.staging.stg_orders as o join lake.staging.stg_customers as c using (customer)\ngroup by all order by 1",
    "models/marts/marts.yml":
      "models:\n  - name: customer_totals\n    config: { materialized: table }\n",
  });
  await plainExec(
    join(p.root, "lake.duckdb"),
    "create schema raw; create table raw.orders as select * from (values (1, 'ann', 1200), (2, 'bob', 500), (3, 'ann', 300), (4, 'bob', NULL)) as t(id, customer, amount_cents)",
  );
  return p;
}

Deno.test("wharf build reads from and builds into an attached DuckDB file; each file reads back alone", async () => {
  await using p = await lakeProject();
  const build = await runCli(["build"], p.root);
  assert.equal(build.code, 0, build.stderr + build.stdout);
  assert.match(build.stdout, /OK +model lake\.staging\.stg_orders .*\[3 rows/);
  assert.match(build.stdout, /OK +model lake\.staging\.stg_customers /);
  assert.match(build.stdout, /OK +model marts\.customer_totals .*\[2 rows/);

  // The lake holds the models built into it, readable with nothing attached:
  // the view reads `lake.staging.stg_orders`, and a file named after its
  // attach name is that catalog when opened alone.
  const lake = join(p.root, "lake.duckdb");
  assert.deepEqual(await plainQuery(lake, "select id from staging.stg_orders order by id"), [
    { id: 1 },
    { id: 2 },
    { id: 3 },
  ]);
  assert.deepEqual(
    await plainQuery(
      lake,
      "select customer, orders::INT as orders from staging.stg_customers order by 1",
    ),
    [{ customer: "ann", orders: 2 }, { customer: "bob", orders: 1 }],
  );
  assert.deepEqual(
    await plainQuery(
      lake,
      "select table_schema, table_name from information_schema.tables order by all",
    ),
    [
      { table_schema: "raw", table_name: "orders" },
      { table_schema: "staging", table_name: "stg_customers" },
      { table_schema: "staging", table_name: "stg_orders" },
    ],
    "wharf writes nothing else into an attached database",
  );
  // The warehouse holds its own model (a table) and the run log, and no lake model.
  const db = join(p.root, "warehouse.duckdb");
  assert.deepEqual(
    await plainQuery(
      db,
      "select customer, orders::INT as orders, total_cents::INT as total_cents from marts.customer_totals",
    ),
    [{ customer: "ann", orders: 2, total_cents: 1500 }, {
      customer: "bob",
      orders: 1,
      total_cents: 500,
    }],
  );
  assert.deepEqual(
    await plainQuery(
      db,
      "select count(*)::INT as n from information_schema.tables where table_schema = 'staging'",
    ),
    [{ n: 0 }],
  );
  // The run log names the catalog.
  assert.deepEqual(
    await plainQuery(
      db,
      "select node_id, status from wharf.run_results where node_id not like 'test.%' order by 1",
    ),
    [
      { node_id: "lake.staging.stg_customers", status: "success" },
      { node_id: "lake.staging.stg_orders", status: "success" },
      { node_id: "marts.customer_totals", status: "success" },
    ],
  );
  // The SQL that ran, under the catalog's folder.
  assert.match(
    await Deno.readTextFile(join(p.root, "target", "run", "lake", "staging", "stg_orders.sql")),
    /^CREATE OR REPLACE TABLE "lake"\."staging"\."stg_orders" AS/,
  );
});

Deno.test("selection, wharf ls, wharf show and the docs manifest name the catalog", async () => {
  await using p = await lakeProject();
  const build = await runCli(["build", "-s", "catalog:lake+"], p.root);
  assert.equal(build.code, 0, build.stderr + build.stdout);
  assert.match(build.stdout, /marts\.customer_totals/, "the lake's descendants come along");

  const ls = await runCli([
    "ls",
    "--json",
    "-s",
    "+lake.staging.stg_customers",
    "--exclude",
    "type:test",
  ], p.root);
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(
    JSON.parse(ls.stdout).map((r: { id: string; type: string; layer: string }) => [
      r.id,
      r.type,
      r.layer,
    ]),
    [
      ["lake.raw.orders", "source", "raw"],
      ["lake.staging.stg_orders", "model", "staging"],
      ["lake.staging.stg_customers", "model", "staging"],
    ],
  );
  const glob = await runCli(["ls", "--json", "-s", "lake.*", "--exclude", "type:test"], p.root);
  assert.deepEqual(JSON.parse(glob.stdout).map((r: { id: string }) => r.id), [
    "lake.raw.orders",
    "lake.staging.stg_orders",
    "lake.staging.stg_customers",
  ]);
  const unknown = await runCli(["ls", "-s", "catalog:laek"], p.root);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /Selector "catalog:laek" matches no node \(did you mean "catalog:lake"\?\)/,
  );

  const show = await runCli(["show", "lake.staging.stg_customers"], p.root);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /\| ann +\| 2 +\|/);
  assert.match(show.stdout, /2 rows of lake\.staging\.stg_customers \(limit 10\)/);

  const docs = await runCli(["docs", "build", "--out", "site"], p.root);
  assert.equal(docs.code, 0, docs.stderr);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "site", "manifest.json")));
  const node = (id: string) => manifest.nodes.find((n: { id: string }) => n.id === id);
  const orders = node("lake.staging.stg_orders");
  assert.equal(orders.layer, "staging");
  assert.equal(orders.rows, 3);
  assert.deepEqual(
    orders.columns.map((c: { name: string; type: string }) => [c.name, c.type]),
    [["id", "INTEGER"], ["customer", "VARCHAR"], ["amount_cents", "INTEGER"]],
    "column types come from the lake",
  );
  assert.deepEqual(orders.upstream, ["lake.raw.orders"]);
  assert.equal(node("lake.raw.orders").layer, "raw");
  assert.deepEqual(node("marts.customer_totals").upstream, [
    "lake.staging.stg_orders",
    "lake.staging.stg_customers",
  ]);
  assert.ok(
    manifest.edges.some((e: string[]) =>
      e[0] === "lake.staging.stg_customers" && e[1] === "marts.customer_totals"
    ),
  );
});

Deno.test("a model's reference into an attached database resolves there, or names the database", async () => {
  await using p = await lakeProject();
  await p.write(
    "models/marts/wrong.sql",
    "select * from staging.stg_orders join lake.raw.ordrs using (id) join other.raw.x using (id)",
  );
  const ls = await runCli(["ls"], p.root);
  assert.equal(ls.code, 2);
  const lines = ls.stderr.split("\n").filter((l) => l.includes("models/marts/wrong.sql"));
  assert.deepEqual(lines, [
    `  models/marts/wrong.sql:1:15: Cannot resolve relation "staging.stg_orders" in models/marts/wrong.sql: it is built into the attached database "lake": write "lake.staging.stg_orders"`,
    `  models/marts/wrong.sql:1:39: Cannot resolve relation "lake.raw.ordrs" in models/marts/wrong.sql: no such table in the attached database "lake" (${
      join(p.root, "lake.duckdb")
    }) (did you mean "lake.raw.orders"?)`,
    `  models/marts/wrong.sql:1:70: Cannot resolve relation "other.raw.x" in models/marts/wrong.sql: no database "other" is attached (wharf.config.ts attaches "lake"): attach it there, e.g. attach: { other: "other.duckdb" }; relations of the warehouse itself are written without a database`,
  ]);
});

Deno.test("a build waits for, then names, the wharf command holding an attached database", async () => {
  await using p = await lakeProject();
  await using _holder = await holdWarehouse(join(p.root, "lake.duckdb"), "wharf build");
  const build = await runCli(["build"], p.root);
  assert.equal(build.code, 1);
  assert.match(
    build.stderr,
    /^error: Cannot open attached database "lake" \(".*lake\.duckdb"\): `wharf build` \(PID \d+\) has been writing to it since .*: wait for it to finish\n$/,
  );
  // Nothing was built.
  assert.deepEqual(
    await plainQuery(
      join(p.root, "warehouse.duckdb"),
      "select count(*)::INT as n from information_schema.tables where table_schema = 'marts'",
    ),
    [{ n: 0 }],
  );
});

Deno.test("incremental and checked models build into an attached database", async () => {
  await using p = await tempProject({
    "wharf.config.ts": `export default { attach: { lake: "lake.duckdb" } };\n`,
    "models/staging/events.sql": "select id, value, _batch_id from lake.raw.events",
    "models/staging/valid_events.sql": "select id, value from lake.raw.events",
    "models/staging/staging.yml": [
      "models:",
      "  - name: events",
      "    config: { materialized: incremental, unique_key: id, watermark: _batch_id, database: lake }",
      "  - name: valid_events",
      "    config: { materialized: table, database: lake }",
      "    checks:",
      "      has_value: value is not null",
      "",
    ].join("\n"),
  });
  const lake = join(p.root, "lake.duckdb");
  await plainExec(
    lake,
    "create schema raw; create table raw.events as select * from (values (1, 'a', 1), (2, NULL, 1)) as t(id, value, _batch_id)",
  );
  const first = await runCli(["build"], p.root);
  assert.equal(first.code, 0, first.stderr + first.stdout);
  assert.match(first.stdout, /lake\.staging\.valid_events .*1 rejected/);
  await plainExec(lake, "insert into raw.events values (2, 'b', 2), (3, 'c', 2)");
  const second = await runCli(["build"], p.root);
  assert.equal(second.code, 0, second.stderr + second.stdout);
  assert.match(
    second.stdout,
    /OK +model lake\.staging\.events .*delete\+insert: 1 replaced, 1 new/,
  );
  assert.deepEqual(
    await plainQuery(lake, "select id, value from staging.events order by id"),
    [{ id: 1, value: "a" }, { id: 2, value: "b" }, { id: 3, value: "c" }],
  );
  assert.deepEqual(
    await plainQuery(lake, "select id from staging.valid_events__rejected"),
    [{ id: 2 }],
    "the quarantine table is in the lake, beside its model",
  );
  assert.deepEqual(
    await plainQuery(lake, "select count(*)::INT as n from staging.valid_events"),
    [{ n: 3 }],
  );
});
