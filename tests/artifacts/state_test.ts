/**
 * State-aware runs through the real CLI on real DuckDB files, in the plain-SQL
 * and the dbt-layout jaffle shop: `--state` with state:modified, state:new and
 * `+`; `--defer`; result:error|fail and `wharf retry`; source_status:fresher
 * (a dbt project's in tests/dbt/source_freshness_state_test.ts);
 * `--fail-fast`; `--empty`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { queryRows, runCli, type TempProject, tempProject } from "../helpers.ts";
import { jaffleProject } from "./projects.ts";
import { readValid } from "./dbt_schemas.ts";

/** Runs the CLI on `p`; asserts the exit code. */
async function cli(p: TempProject, code: number, ...args: string[]): Promise<string> {
  const r = await runCli(["--project", p.root, ...args]);
  assert.equal(r.code, code, `wharf ${args.join(" ")}:\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

/** The ids `wharf ls` lists for a selection against a state (tests that come along left out). */
async function listed(p: TempProject, state: string, ...select: string[]): Promise<string[]> {
  const out = await cli(p, 0, "--json", "ls", "--state", state, "-s", ...select);
  return (JSON.parse(out) as { id: string; type: string }[])
    .filter((n) => !n.type.endsWith("_test") || select.some((s) => s.startsWith("result:")))
    .map((n) => n.id);
}

/** Keeps the project's target/ as it is now, as a state folder; returns its path. */
async function keepState(p: TempProject, name: string): Promise<string> {
  const dir = join(p.root, name);
  await Deno.mkdir(dir);
  for (const f of ["manifest.json", "run_results.json"]) {
    await Deno.copyFile(join(p.root, "target", f), join(dir, f));
  }
  return dir;
}

/** `text` as a literal part of a regular expression. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function count(db: string, relation: string): Promise<number> {
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    return Number((await wh.query(`select count(*)::int as n from ${relation}`))[0]!.n);
  } finally {
    wh.close();
  }
}

Deno.test("state:modified and state:new select what changed since the state, with + operators (plain SQL)", async () => {
  await using p = await jaffleProject("dbt_jaffle_shop_plain");
  await p.write("sql/macros/money.sql", "CREATE OR REPLACE MACRO dollars(c) AS c / 100;\n");
  await p.write("models/marts/order_dollars.sql", "select dollars(amount) as d from marts.orders");
  await cli(p, 0, "build");
  const state = await keepState(p, "prod");
  assert.deepEqual(await listed(p, state, "state:modified", "state:new"), []);
  const nothing = await cli(p, 0, "build", "--state", state, "-s", "state:modified+");
  assert.match(nothing, /Nothing to do: the selection holds nothing `wharf build` runs/);

  // The SQL of a model, a seed's content, a config, a macro, and a new model.
  const stg = join(p.root, "models/staging/stg_customers.sql");
  await p.write("models/staging/stg_customers.sql", (await Deno.readTextFile(stg)) + "\n-- x\n");
  const seed = join(p.root, "models/seeds/raw_orders.csv");
  await p.write(
    "models/seeds/raw_orders.csv",
    (await Deno.readTextFile(seed)) + "100,1,2018-04-10,placed\r\n",
  );
  await p.write("sql/macros/money.sql", "CREATE OR REPLACE MACRO dollars(c) AS c / 100.0;\n");
  await p.write("models/marts/new_model.sql", "select 1 as id");
  await p.write("models/marts/new_dollars.sql", "select dollars(2) as d");
  // As in dbt, a new node is modified: state:modified+ builds it too.
  assert.deepEqual(await listed(p, state, "state:modified"), [
    "marts.new_dollars",
    "marts.new_model",
    "seeds.raw_orders",
    "staging.stg_customers",
    "marts.order_dollars",
  ]);
  // ... in each part but its macros, which count when one it calls changed (or is new).
  assert.deepEqual(await listed(p, state, "state:modified.macros"), [
    "marts.new_dollars",
    "marts.order_dollars",
  ]);
  assert.deepEqual(await listed(p, state, "state:modified.body"), [
    "marts.new_dollars",
    "marts.new_model",
    "seeds.raw_orders",
    "staging.stg_customers",
  ]);
  for (const part of [".configs", ".relation", ".contract"]) {
    assert.deepEqual(await listed(p, state, `state:modified${part}`), [
      "marts.new_dollars",
      "marts.new_model",
    ], part);
  }
  assert.deepEqual(await listed(p, state, "state:new"), ["marts.new_dollars", "marts.new_model"]);
  const plus = await listed(p, state, "1+state:modified.macros+");
  assert.deepEqual(plus, ["marts.new_dollars", "marts.orders", "marts.order_dollars"]);
  const built = await cli(p, 0, "build", "--state", state, "-s", "state:modified+");
  assert.match(built, /Running 1 seed, 7 models, \d+ tests/);
  assert.match(built, /model marts\.new_model/);
  assert.match(built, /model marts\.new_dollars/);
  // The run's artifacts record the state it compared with.
  const results = await readValid(join(p.root, "target"), "run_results");
  assert.equal(results.args.state, state);
});

Deno.test("a seed whose content changed is state:modified, and so is a model whose config changed (dbt layout)", async () => {
  await using p = await jaffleProject("dbt_jaffle_shop");
  await cli(p, 0, "build");
  const state = await keepState(p, "prod");
  const seed = join(p.root, "data/raw_customers.csv");
  await p.write("data/raw_customers.csv", (await Deno.readTextFile(seed)) + "101,Ann,B.\n");
  const project = join(p.root, "dbt_project.yml");
  await p.write(
    "dbt_project.yml",
    // A config's change (a tag's is none, as in dbt).
    (await Deno.readTextFile(project)).replace(
      "+tags: marts",
      "+tags: [marts, nightly]\n      +meta: { tier: gold }",
    ),
  );
  // A new model is modified too, as in dbt.
  await p.write(
    "transform/marts/order_count.sql",
    "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('orders') }}\n",
  );
  assert.deepEqual(await listed(p, state, "state:modified"), [
    "main_raw_data.raw_customers",
    "main.orders",
    "main.customers",
    "main.order_count",
  ]);
  assert.deepEqual(await listed(p, state, "state:modified.configs"), [
    "main.orders",
    "main.customers",
    "main.order_count",
  ]);
  // A macro adapter.dispatch() reaches marks the model calling the dispatching macro.
  const macros = join(p.root, "macros/cents_to_dollars.sql");
  await p.write(
    "macros/cents_to_dollars.sql",
    (await Deno.readTextFile(macros)).replace("decimal(16,", "decimal(18,"),
  );
  assert.deepEqual(await listed(p, state, "state:modified.macros"), ["main_staging.stg_payments"]);
  const out = await cli(p, 0, "build", "--state", state, "-s", "state:modified.body+");
  assert.match(out, /Running 1 seed, 3 models, \d+ tests/);
  assert.equal(await count(join(p.root, "jaffle.duckdb"), "main.customers"), 101);
  assert.equal(await count(join(p.root, "jaffle.duckdb"), "main.order_count"), 1);
});

Deno.test("--defer takes unbuilt upstreams from the state's warehouse (plain SQL, and a dbt project's ci target)", async () => {
  await using plain = await jaffleProject("dbt_jaffle_shop_plain");
  await cli(plain, 0, "build");
  const state = await keepState(plain, "prod");
  await plain.write(
    "models/marts/big_spenders.sql",
    "select * from marts.customers where customer_lifetime_value > 50",
  );
  const ci = join(plain.root, "ci.duckdb");
  const noState = await cli(plain, 2, "--db", ci, "build", "--defer", "-s", "state:new");
  assert.match(noState, /pass --state DIR/);
  const out = await cli(
    plain,
    0,
    "--db",
    ci,
    "build",
    "--state",
    state,
    "--defer",
    "-s",
    "state:new",
  );
  assert.match(out, /Running 0 seeds, 1 model, 0 tests/);
  assert.match(out, /Deferred \(copied from the state's warehouse\): marts\.customers\./);
  assert.equal(
    await count(ci, "marts.big_spenders"),
    await count(
      join(plain.root, "jaffle.duckdb"),
      "marts.customers where customer_lifetime_value > 50",
    ),
  );

  // dbt: the ci target builds into schema ci of ci.duckdb; prod's relations are main_*.
  await using dbt = await jaffleProject("dbt_jaffle_shop");
  await cli(dbt, 0, "build");
  const prod = await keepState(dbt, "prod");
  await dbt.write(
    "transform/marts/big_spenders.sql",
    "select * from {{ ref('customers') }} where customer_lifetime_value > 50",
  );
  const built = await cli(
    dbt,
    0,
    "--target",
    "ci",
    "--db",
    join(dbt.root, "ci_wh.duckdb"),
    "build",
    "--state",
    prod,
    "--defer",
    "-s",
    "state:new",
  );
  // Tests are named as dbt names them, whatever the target: none is new, so only customers is read.
  assert.match(built, /Deferred \(copied from the state's warehouse\): ci\.customers\./);
  assert.equal(
    await count(join(dbt.root, "ci_wh.duckdb"), "ci.big_spenders"),
    await count(
      join(dbt.root, "jaffle.duckdb"),
      "main.customers where customer_lifetime_value > 50",
    ),
  );
});

Deno.test("--defer in plain SQL: a model over a raw table not landed in the CI warehouse is taken from the state, and what reads it is built; a relation the state's warehouse lacks is named", async () => {
  await using p = await tempProject({
    "models/marts/ord_tbl.sql": "select id, amount from raw.orders",
    "models/marts/ord_calc.sql": "select id, amount * 2 as doubled from marts.ord_tbl",
    "models/marts/marts.yml": "models:\n  - name: ord_tbl\n    config: { materialized: table }\n",
  });
  const prod = await openWarehouse(p.db);
  await prod.exec(
    "create schema raw; create table raw.orders as select range as id, range * 10 as amount from range(5)",
  );
  prod.close();
  await cli(p, 0, "build");
  const state = await keepState(p, "prod");
  await p.write(
    "models/marts/ord_calc.sql",
    "select id, amount * 3 as tripled from marts.ord_tbl",
  );
  const ci = join(p.root, "ci.duckdb");
  const out = await cli(p, 0, "--db", ci, "build", "-s", "ord_calc", "--state", state, "--defer");
  assert.match(out, /Deferred \(copied from the state's warehouse\): marts\.ord_tbl\./);
  const wh = await openWarehouse(ci, { readOnly: true });
  try {
    assert.deepEqual(
      (await wh.query("select sum(tripled)::int as s from marts.ord_calc"))[0]!.s,
      300,
    );
  } finally {
    wh.close();
  }

  // A state whose warehouse lacks what is to be copied: named, nothing half done.
  const gone = await openWarehouse(p.db);
  await gone.exec("drop table marts.ord_tbl cascade");
  gone.close();
  const fresh = join(p.root, "ci2.duckdb");
  const refused = await cli(
    p,
    2,
    "--db",
    fresh,
    "build",
    "-s",
    "ord_calc",
    "--state",
    state,
    "--defer",
  );
  assert.match(
    refused,
    /--defer takes marts\.ord_tbl from the state's warehouse .*does not have it/,
  );
});

Deno.test("--defer's copies are recorded: a run without --defer that reads one warns naming it, a later --defer copies it again from the newer state, and building it here drops the copy and its record", async () => {
  await using p = await tempProject({
    "models/marts/ord_tbl.sql":
      "select id, amount from raw.orders where not wharf_is_incremental() or id > (select max(id) from marts.ord_tbl)",
    "models/marts/ord_calc.sql": "select id, amount * 2 as doubled from marts.ord_tbl",
    "models/marts/marts.yml":
      "models:\n  - name: ord_tbl\n    config: { materialized: incremental, incremental_strategy: merge, unique_key: id }\n    columns:\n      - name: id\n        tests: [not_null]\n",
  });
  const sql = async (db: string, text: string) => {
    const wh = await openWarehouse(db);
    try {
      await wh.exec(text);
    } finally {
      wh.close();
    }
  };
  await sql(
    p.db,
    "create schema raw; create table raw.orders as select range as id, range * 10 as amount from range(5)",
  );
  await cli(p, 0, "build");
  const first = await keepState(p, "prod1");
  // The development warehouse has its own deliveries.
  const ci = join(p.root, "ci.duckdb");
  await sql(
    ci,
    "create schema raw; create table raw.orders as select * from (values (100, 1), (101, 2)) t(id, amount)",
  );
  const records = () =>
    queryRows(
      ci,
      "select relation, state, state_warehouse, state_relation, rows::int as rows from wharf.deferred_relations",
    );
  const doubled = async () =>
    (await queryRows(ci, "select sum(doubled)::int as s from marts.ord_calc"))[0]!.s;

  const deferred = await cli(
    p,
    0,
    "--db",
    ci,
    "build",
    "-s",
    "ord_calc",
    "--state",
    first,
    "--defer",
  );
  assert.match(deferred, /Deferred \(copied from the state's warehouse\): marts\.ord_tbl\./);
  assert.doesNotMatch(deferred, /Warning: this run read/);
  assert.deepEqual(await records(), [
    {
      relation: "marts.ord_tbl",
      state: first,
      state_warehouse: p.db,
      state_relation: "marts.ord_tbl",
      rows: 5,
    },
  ]);

  // Without --defer, the copy is read, and the run says so: what it is, whence, what to do.
  const plain = await cli(p, 0, "--db", ci, "build", "-s", "ord_calc");
  assert.match(plain, /Done in [\d.]+s: 1 ok,/);
  assert.match(
    plain,
    new RegExp(
      `Warning: this run read 1 relation that --defer copied from a state's warehouse, not built in this warehouse:\n  marts\\.ord_tbl: 5 rows of marts\\.ord_tbl in ${
        escape(p.db)
      } \\(--state ${
        escape(first)
      }\\), copied at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\n  Build it here \\(add \\+marts\\.ord_tbl to --select\\), or rerun with --defer --state <folder> \\(a run's target/\\) to copy it again from that run's warehouse\\.`,
    ),
  );
  // A test of the copy tests the state's rows: said too (--json gives the records).
  const tested = await runCli(["--project", p.root, "--json", "--db", ci, "test", "-s", "ord_tbl"]);
  assert.equal(tested.code, 0, tested.stderr);
  const json = JSON.parse(tested.stdout);
  assert.deepEqual(json.results.map((r: { id: string }) => r.id), ["test.not_null_ord_tbl_id"]);
  assert.deepEqual(
    (json.deferredReads as { relation: string; state: string }[]).map((c) => [c.relation, c.state]),
    [["marts.ord_tbl", first]],
  );

  // A newer state: a later --defer takes the copy again from it (not the first state's rows).
  await sql(p.db, "insert into raw.orders values (5, 50), (6, 60)");
  await cli(p, 0, "build");
  const second = await keepState(p, "prod2");
  const again = await cli(
    p,
    0,
    "--db",
    ci,
    "build",
    "-s",
    "ord_calc",
    "--state",
    second,
    "--defer",
  );
  assert.match(again, /Deferred \(copied from the state's warehouse\): marts\.ord_tbl\./);
  assert.equal(await doubled(), 2 * (0 + 10 + 20 + 30 + 40 + 50 + 60));
  assert.deepEqual((await records()).map((r) => [r.state, r.rows]), [[second, 7]]);

  // Built here: the incremental model starts from nothing, not from the copy's rows.
  const built = await cli(p, 0, "--db", ci, "build", "-s", "ord_tbl+");
  assert.doesNotMatch(built, /Warning: this run read|Deferred/);
  assert.deepEqual(await queryRows(ci, "select id::int as id from marts.ord_tbl order by id"), [
    { id: 100 },
    { id: 101 },
  ]);
  assert.equal(await doubled(), 6);
  assert.deepEqual(await records(), []);
  assert.doesNotMatch(await cli(p, 0, "--db", ci, "build", "-s", "ord_calc"), /Warning/);

  // A copy dropped by hand leaves no record behind to take a later build here for a copy.
  await sql(ci, "drop table marts.ord_tbl");
  await cli(p, 0, "--db", ci, "build", "-s", "ord_calc", "--state", second, "--defer");
  assert.equal((await records()).length, 1);
  await sql(ci, "drop table marts.ord_tbl");
  await cli(p, 0, "--db", ci, "run", "-s", "ord_tbl");
  assert.deepEqual(await records(), []);
  assert.doesNotMatch(await cli(p, 0, "--db", ci, "build", "-s", "ord_calc"), /Warning/);
});

Deno.test("--defer with the state's warehouse moved away, or named at a path that does not exist, is a usage error naming the path (plain SQL and dbt layout)", async () => {
  // Plain SQL: the state's warehouse file moved away.
  await using p = await tempProject({
    "models/marts/ord_tbl.sql": "select 1 as id, 10 as amount",
    "models/marts/ord_calc.sql": "select id, amount * 2 as doubled from marts.ord_tbl",
    "models/marts/marts.yml": "models:\n  - name: ord_tbl\n    config: { materialized: table }\n",
  });
  await cli(p, 0, "build");
  const state = await keepState(p, "prod");
  await Deno.rename(p.db, join(p.root, "moved.duckdb"));
  const ci = join(p.root, "ci.duckdb");
  const out = await cli(p, 2, "--db", ci, "build", "-s", "ord_calc", "--state", state, "--defer");
  assert.ok(
    out.includes(
      `error: --defer takes marts.ord_tbl from the state's warehouse "${p.db}" (named by ${
        join(state, "run_results.json")
      }), which does not exist: put the file back at that path, point --state at the target/ folder of a run whose warehouse is still in place, or build marts.ord_tbl in this run too (--select +<model>) instead`,
    ),
    out,
  );
  assert.doesNotMatch(out, /unexpected failure|IO Error/);

  // dbt layout: run_results.json names a path that does not exist.
  await using dbt = await jaffleProject("dbt_jaffle_shop");
  await cli(dbt, 0, "build");
  const prod = await keepState(dbt, "prod");
  const runResults = join(prod, "run_results.json");
  const results = JSON.parse(await Deno.readTextFile(runResults));
  const nowhere = join(dbt.root, "nowhere", "jaffle.duckdb");
  results.args.warehouse = nowhere;
  await Deno.writeTextFile(runResults, JSON.stringify(results));
  await dbt.write(
    "transform/marts/big_spenders.sql",
    "select * from {{ ref('customers') }} where customer_lifetime_value > 50\n",
  );
  const refused = await cli(
    dbt,
    2,
    "--db",
    join(dbt.root, "ci.duckdb"),
    "build",
    "--state",
    prod,
    "--defer",
    "-s",
    "state:new",
  );
  assert.match(
    refused,
    new RegExp(
      `error: --defer takes main\\.customers from the state's warehouse "${nowhere}" \\(named by .*run_results\\.json\\), which does not exist: `,
    ),
  );
  assert.doesNotMatch(refused, /unexpected failure|IO Error/);
});

Deno.test("result:error and result:fail select from the state's run results; wharf retry reruns what failed and what it skipped", async () => {
  for (const layout of ["dbt_jaffle_shop_plain", "dbt_jaffle_shop"] as const) {
    await using p = await jaffleProject(layout);
    const dbt = layout === "dbt_jaffle_shop";
    const model = dbt ? "transform/marts/broken.sql" : "models/marts/broken.sql";
    const after = dbt ? "transform/marts/after_broken.sql" : "models/marts/after_broken.sql";
    const test = dbt ? "tests/no_customers.sql" : "sql/tests/no_customers.sql";
    const ref = (name: string, schema: string) =>
      dbt ? `{{ ref('${name}') }}` : `${schema}.${name}`;
    await p.write(model, `select * from read_csv('missing.csv'), ${ref("stg_orders", "staging")}`);
    await p.write(after, `select * from ${ref("broken", "marts")}`);
    await p.write(test, `select * from ${ref("customers", "marts")} where customer_id > 99`);
    await cli(p, 1, "build");
    const state = await keepState(p, "last");
    const broken = dbt ? "main.broken" : "marts.broken";
    assert.deepEqual(await listed(p, state, "result:error"), [broken]);
    assert.deepEqual(await listed(p, state, "result:fail"), ["test.no_customers"]);
    assert.deepEqual(await listed(p, state, "result:error+"), [
      broken,
      dbt ? "main.after_broken" : "marts.after_broken",
    ]);

    // Fix both; retry runs exactly what did not get through.
    await p.write("missing.csv", "x\n1\n");
    await p.write(
      model,
      `select * from read_csv('${join(p.root, "missing.csv")}'), ${ref("stg_orders", "staging")}`,
    );
    await p.write(test, `select * from ${ref("customers", "marts")} where customer_id > 100`);
    const retried = await cli(p, 0, "retry");
    assert.match(retried, /Running 0 seeds, 2 models, 1 test/);
    assert.match(retried, /2 ok, 1 passed, 0 warned, 0 failed, 0 errored, 0 skipped/);
    const again = await cli(p, 0, "retry");
    assert.match(
      again,
      /Nothing to retry: the last `wharf build` had no node that errored, failed or was skipped/,
    );
  }
});

Deno.test("result: without the state's run_results.json, and source_status:fresher without sources.json, name the file they need", async () => {
  await using p = await jaffleProject("dbt_jaffle_shop_plain");
  await cli(p, 0, "ls");
  const state = join(p.root, "only_manifest");
  await Deno.mkdir(state);
  await Deno.copyFile(join(p.root, "target/manifest.json"), join(state, "manifest.json"));
  const noResults = await cli(p, 2, "ls", "--state", state, "-s", "result:error");
  assert.match(noResults, /reads run_results\.json in ".*only_manifest", which is not there/);
  const noSources = await cli(p, 2, "ls", "--state", state, "-s", "source_status:fresher+");
  assert.match(
    noSources,
    /sources\.json \(source freshness results\) in the state ".*only_manifest" and the target folder ".*target"/,
  );
  const noState = await cli(p, 2, "ls", "-s", "state:modified");
  assert.match(noState, /pass --state DIR/);
  const missing = await cli(p, 2, "ls", "--state", join(p.root, "nowhere"), "-s", "state:new");
  assert.match(missing, /holds no manifest\.json/);
  const typo = await cli(p, 2, "ls", "--state", state, "-s", "state:modifed");
  assert.match(typo, /Unknown selector "state:modifed": use state:new, state:modified/);
});

Deno.test("--fail-fast stops at the first failure; --empty builds every model with zero rows", async () => {
  for (const layout of ["dbt_jaffle_shop_plain", "dbt_jaffle_shop"] as const) {
    await using p = await jaffleProject(layout);
    const dbt = layout === "dbt_jaffle_shop";
    const file = dbt ? "transform/staging/broken.sql" : "models/staging/broken.sql";
    const broken = dbt ? "main_staging.broken" : "staging.broken";
    await p.write(file, "select * from read_csv('missing.csv')");
    const out = await cli(p, 1, "build", "--fail-fast", "--threads", "1");
    assert.match(out, new RegExp(`ERROR +model ${broken.replace(".", "\\.")}`));
    const results = await readValid(join(p.root, "target"), "run_results");
    const stopped = results.results.filter((r: { status: string; message: string | null }) =>
      r.status === "skipped" &&
      (r.message ?? "").includes(`--fail-fast: the run stopped when "${broken}" errored`)
    );
    assert.ok(stopped.length > 0, JSON.stringify(results.results));
    assert.equal(results.args.fail_fast, true);
    const without = await cli(p, 1, "build", "--threads", "1");
    assert.doesNotMatch(without, /--fail-fast/);
    assert.match(without, /OK +model (main|marts)\.customers/);

    await Deno.remove(join(p.root, file));
    const db = join(p.root, "empty.duckdb");
    const empty = await cli(p, 0, "--db", db, "build", "--empty");
    assert.match(empty, /8 ok, \d+ passed, 0 warned, 0 failed, 0 errored, 0 skipped/);
    assert.equal(await count(db, dbt ? "main.customers" : "marts.customers"), 0);
    assert.equal(await count(db, dbt ? "main_raw_data.raw_orders" : "seeds.raw_orders"), 99);
    // A model whose SQL does not bind fails with --empty too.
    await p.write(
      dbt ? "transform/marts/bad.sql" : "models/marts/bad.sql",
      `select no_such_column from ${dbt ? "{{ ref('orders') }}" : "marts.orders"}`,
    );
    const bad = await cli(p, 1, "--db", db, "run", "--empty", "-s", "bad");
    assert.match(bad, /no_such_column/);
  }
});

Deno.test("source_status:fresher selects a plain-SQL project's raw tables landed since the state's source freshness", async () => {
  await using p = await tempProject({
    "wharf.config.ts":
      'export default { sources: [{ name: "feed", pattern: /^feed_.*\\.csv$/ }] };\n',
    "models/staging/sources.yml":
      "sources:\n  - name: lake\n    schema: raw\n    freshness:\n      warn_after: { count: 1, period: day }\n    tables:\n      - name: feed\n",
    "models/staging/stg_feed.sql": "select * from raw.feed",
    "in/feed_1.csv": "id\n1\n",
  });
  await cli(p, 0, "land", join(p.root, "in"));
  await cli(p, 0, "ls");
  await cli(p, 0, "source", "freshness");
  const sources = await readValid(join(p.root, "target"), "sources");
  assert.equal(sources.results.length, 1);
  assert.match(sources.results[0].unique_id, /^source\.\w+\.raw\.feed$/);
  assert.equal(sources.results[0].status, "pass");
  const state = join(p.root, "prod");
  await Deno.mkdir(state);
  for (const f of ["manifest.json", "sources.json"]) {
    await Deno.copyFile(join(p.root, "target", f), join(state, f));
  }
  assert.deepEqual(await listed(p, state, "source_status:fresher+"), []);
  // A file landed since: the table's newest _landed_at is later than in the state.
  await p.write("in/feed_2.csv", "id\n2\n");
  await cli(p, 0, "land", join(p.root, "in"));
  await cli(p, 0, "source", "freshness");
  assert.deepEqual(await listed(p, state, "source_status:fresher+"), [
    "raw.feed",
    "staging.stg_feed",
  ]);
});
