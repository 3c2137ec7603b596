import assert from "node:assert/strict";
import { runProject } from "../../src/engine/run/run_project.ts";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { tempClinic, tempProject } from "../helpers.ts";

async function query(db: string, sql: string) {
  const wh = await openWarehouse(db);
  try {
    return await wh.query(sql);
  } finally {
    wh.close();
  }
}

Deno.test("runProject('build') builds the example project and records the run", async () => {
  await using p = await tempClinic();
  const summary = await runProject("build", p.config, { db: p.db });
  assert.ok(
    summary.ok,
    JSON.stringify(summary.results.filter((r) => r.status !== "success" && r.status !== "pass")),
  );
  assert.equal(summary.results.length, 31);
  const rows = await query(
    p.db,
    "select paid_cents::int as paid from marts.patient_visits where patient_id = 1",
  );
  assert.deepEqual(rows, [{ paid: 19000 }]);
  const runs = await query(p.db, "select command, status, nodes, errors from wharf.runs");
  assert.deepEqual(runs, [{ command: "build", status: "success", nodes: 31, errors: 0 }]);
  const results = await query(
    p.db,
    "select status, count(*)::int as n from wharf.run_results group by status order by status",
  );
  assert.deepEqual(results, [{ status: "pass", n: 21 }, { status: "success", n: 10 }]);
  const views = await query(
    p.db,
    "select table_name from information_schema.tables where table_schema = 'staging' and table_type = 'VIEW' order by 1",
  );
  assert.deepEqual(views.map((v) => v.table_name), [
    "stg_appointments",
    "stg_patients",
    "stg_payments",
  ]);
  const ephemeral = await query(
    p.db,
    "select count(*)::int as n from information_schema.tables where table_name = 'int_payments_by_appointment'",
  );
  assert.deepEqual(ephemeral, [{ n: 0 }]);
});

async function eventsProject() {
  const p = await tempProject({
    "models/marts/events.sql": "select id, value, _batch_id from raw.events",
    "models/marts/events.yml":
      "models:\n  - name: events\n    config:\n      materialized: incremental\n      unique_key: id\n      watermark: _batch_id\n",
  });
  const wh = await openWarehouse(p.db);
  await wh.exec(
    "create schema raw; create table raw.events (id int, value varchar, _batch_id int); insert into raw.events values (1, 'a', 1), (2, 'b', 1), (2, 'b2', 1)",
  );
  wh.close();
  return p;
}

Deno.test("an incremental model merges only new batches by unique key, deterministically", async () => {
  await using p = await eventsProject();
  const first = await runProject("run", p.config, { db: p.db });
  assert.equal(first.results[0]!.message, "full build");
  // Two rows share id 2 within one batch: the winner does not depend on chance.
  assert.deepEqual(await query(p.db, "select id, value from marts.events order by id"), [
    { id: 1, value: "a" },
    { id: 2, value: "b2" },
  ]);
  const wh = await openWarehouse(p.db);
  await wh.exec(
    "insert into raw.events values (2, 'new', 2), (3, 'c', 2), (3, 'c-later', 3), (1, 'old-batch-ignored', 1)",
  );
  wh.close();
  const second = await runProject("run", p.config, { db: p.db });
  assert.equal(second.results[0]!.message, "delete+insert: 1 replaced, 1 new");
  assert.deepEqual(await query(p.db, "select id, value, _batch_id from marts.events order by id"), [
    { id: 1, value: "a", _batch_id: 1 },
    { id: 2, value: "new", _batch_id: 2 },
    { id: 3, value: "c-later", _batch_id: 3 },
  ]);
  const refreshed = await runProject("run", p.config, { db: p.db, fullRefresh: true });
  assert.equal(refreshed.results[0]!.message, "full build");
  // Rebuilt from everything: within batch 1, id 1 has two rows and the tie
  // goes to the greater row value, as documented.
  assert.deepEqual(await query(p.db, "select id, value from marts.events order by id"), [
    { id: 1, value: "old-batch-ignored" },
    { id: 2, value: "new" },
    { id: 3, value: "c-later" },
  ]);
});

Deno.test("a model that fails at run time keeps its previous version and skips its dependents", async () => {
  await using p = await tempProject({
    "models/staging/base.sql": "select 1 as id",
    "models/marts/m.sql": "select id from staging.base",
    "models/marts/child.sql": "select * from marts.m",
    "models/marts/m.yml": "models:\n  - name: m\n    config: {materialized: table}\n",
  });
  assert.ok((await runProject("build", p.config, { db: p.db })).ok);
  await p.write(
    "models/marts/m.sql",
    "select cast('not a number' as integer) as id from staging.base",
  );
  const summary = await runProject("build", p.config, { db: p.db });
  assert.equal(summary.ok, false);
  const m = summary.results.find((r) => r.id === "marts.m")!;
  assert.equal(m.status, "error");
  assert.match(m.message!, /Conversion Error/);
  // DuckDB's LINE counts from its statement's start: the message names the run file's line.
  const castAt = (await Deno.readTextFile(`${p.root}/target/run/marts/m.sql`)).split("\n")
    .findIndex((l) => l.includes("cast('not a number'")) + 1;
  assert.ok(
    m.message!.endsWith(
      `(at line ${castAt} of the SQL that ran: target/run/marts/m.sql; DuckDB's LINE 2 counts from the start of its statement)`,
    ),
    m.message,
  );
  await p.write("models/marts/m.sql", "select id,\n  nope\nfrom staging.base");
  const binder = (await runProject("build", p.config, { db: p.db })).results.find((r) =>
    r.id === "marts.m"
  )!;
  assert.match(binder.message!, /\nLINE \d+:.*nope/);
  const nopeAt = (await Deno.readTextFile(`${p.root}/target/run/marts/m.sql`)).split("\n")
    .findIndex((l) => l.trim() === "nope") + 1;
  assert.ok(nopeAt > 0);
  assert.match(
    binder.message!,
    new RegExp(`\\(at line ${nopeAt} of the SQL that ran: target/run/marts/m\\.sql; DuckDB's LINE`),
  );
  const child = summary.results.find((r) => r.id === "marts.child")!;
  assert.deepEqual([child.status, child.message], ["skipped", 'upstream "marts.m" failed']);
  assert.deepEqual(await query(p.db, "select id from marts.m"), [{ id: 1 }]);
  const compiled = await Deno.readTextFile(`${p.root}/target/run/marts/m.sql`);
  assert.match(compiled, /CREATE OR REPLACE TABLE "marts"\."m" AS/);
});

Deno.test("failing tests store their rows in wharf_failures; error severity stops dependents, warn does not", async () => {
  await using p = await tempProject({
    "models/staging/people.sql":
      "select * from (values (1, 'NY'), (2, 'ZZ'), (2, 'NJ'), (null, 'NY')) t(id, state)",
    "models/marts/report.sql": "select count(*) as n from staging.people",
    "models/staging/s.yml": [
      "models:",
      "  - name: people",
      "    columns:",
      "      - name: id",
      "        tests: [unique, not_null]",
      "      - name: state",
      "        tests:",
      "          - accepted_values:",
      "              values: [NY, NJ]",
      "              config: {severity: warn}",
    ].join("\n"),
    "sql/tests/no_id_two.sql": "select * from staging.people where id = 2",
  });
  const summary = await runProject("build", p.config, { db: p.db });
  const status = Object.fromEntries(summary.results.map((r) => [r.id, [r.status, r.rows]]));
  assert.deepEqual(status, {
    "staging.people": ["success", undefined],
    "test.unique_people_id": ["fail", 1],
    "test.not_null_people_id": ["fail", 1],
    "test.accepted_values_people_state": ["warn", 1],
    "test.no_id_two": ["fail", 2],
    "marts.report": ["skipped", undefined],
  });
  assert.equal(summary.ok, false);
  assert.deepEqual(
    await query(
      p.db,
      "select unique_field, n_records::int as n from wharf_failures.unique_people_id",
    ),
    [
      { unique_field: 2, n: 2 },
    ],
  );
  // As dbt's: one row per value that is not accepted, with its count.
  assert.deepEqual(
    await query(
      p.db,
      "select value_field, n_records::int as n from wharf_failures.accepted_values_people_state",
    ),
    [
      { value_field: "ZZ", n: 1 },
    ],
  );
  // Only warnings left: the build succeeds.
  await p.write(
    "models/staging/people.sql",
    "select * from (values (1, 'NY'), (2, 'ZZ')) t(id, state)",
  );
  await p.remove("sql/tests/no_id_two.sql");
  const again = await runProject("build", p.config, { db: p.db });
  assert.ok(again.ok);
  assert.equal(again.results.find((r) => r.id === "marts.report")?.status, "success");
});

Deno.test("independent models build concurrently, never more than --threads at once", async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 12; i++) {
    files[`models/staging/m${i}.sql`] = `select range as x from range(200000) order by random()`;
    files[`models/marts/t${i}.sql`] = `select count(*) as n from staging.m${i}`;
  }
  files["models/marts/t.yml"] = `models:\n${
    Array.from({ length: 12 }, (_, i) => `  - name: t${i}\n    config: {materialized: table}\n`)
      .join("")
  }`;
  await using p = await tempProject(files);
  let running = 0;
  let peak = 0;
  const summary = await runProject("run", p.config, {
    db: p.db,
    threads: 3,
    onStart: () => {
      running++;
      peak = Math.max(peak, running);
    },
    onResult: () => running--,
  });
  assert.ok(summary.ok);
  assert.equal(summary.results.length, 24);
  assert.ok(peak > 1 && peak <= 3, `peak concurrency ${peak}`);
  assert.deepEqual(await query(p.db, "select n::int as n from marts.t7"), [{ n: 200000 }]);
});

Deno.test("ephemeral chains are inlined and run on DuckDB", async () => {
  await using p = await tempProject({
    "models/staging/e1.sql": "select 1 as x union all select 2",
    "models/staging/e2.sql": "with d as (select x * 10 as y from staging.e1) select * from d",
    "models/marts/m.sql":
      "select sum(y) as total, (select count(*) from staging.e1) as n from staging.e2",
    "models/staging/s.yml":
      "models:\n  - name: e1\n    config: {materialized: ephemeral}\n  - name: e2\n    config: {materialized: ephemeral}\n",
  });
  const summary = await runProject("build", p.config, { db: p.db });
  assert.ok(summary.ok);
  assert.deepEqual(summary.results.map((r) => r.id), ["marts.m"]);
  assert.deepEqual(await query(p.db, "select total::int as total, n::int as n from marts.m"), [{
    total: 30,
    n: 2,
  }]);
});

Deno.test("an incremental run that fails keeps the table as it was and says how to rebuild", async () => {
  await using p = await eventsProject();
  assert.ok((await runProject("run", p.config, { db: p.db })).ok);
  await p.write(
    "models/marts/events.sql",
    "select id, value, _batch_id, cast(value as integer) as n from raw.events",
  );
  const wh = await openWarehouse(p.db);
  await wh.exec("insert into raw.events values (9, 'z', 5)");
  wh.close();
  const summary = await runProject("run", p.config, { db: p.db });
  const r = summary.results[0]!;
  assert.equal(r.status, "error");
  assert.match(r.message!, /Conversion Error: Could not convert string/);
  assert.match(
    r.message!,
    /nothing was changed: fix the model, or run with --full-refresh to rebuild marts\.events from everything/,
  );
  assert.deepEqual(await query(p.db, "select count(*)::int as n from marts.events"), [{ n: 2 }]);
});

Deno.test("seed loads only seeds and test runs only tests, against what was built", async () => {
  await using p = await tempClinic();
  const seeded = await runProject("seed", p.config, { db: p.db });
  assert.deepEqual(seeded.results.map((r) => r.kind), ["seed", "seed", "seed"]);
  assert.ok((await runProject("run", p.config, { db: p.db })).ok);
  const tested = await runProject("test", p.config, { db: p.db, select: ["marts"] });
  assert.ok(tested.ok);
  assert.ok(
    tested.results.length > 0 &&
      tested.results.every((r) => r.kind === "test" && r.status === "pass"),
  );
});

Deno.test("checks quarantine failing rows into <model>__rejected with the failed check names", async () => {
  await using p = await tempProject({
    "models/seeds/states.csv": "code\nNY\nNJ\n",
    "models/staging/people.sql":
      "select * from (values (1, 'NY', '10001'), (2, 'ZZ', '10001'), (3, 'NJ', '123TY'), (4, '88', 'x'), (5, null, '07102')) t(id, state, zip)",
    "models/marts/report.sql": "select count(*) as n from staging.people",
    "models/staging/s.yml": [
      "models:",
      "  - name: people",
      "    checks:",
      "      valid_state: state in (select code from seeds.states)",
      "      valid_zip: \"regexp_full_match(people.zip, '\\\\d{5}')\"",
    ].join("\n"),
  });
  const summary = await runProject("build", p.config, { db: p.db });
  assert.ok(summary.ok, JSON.stringify(summary.results));
  const people = summary.results.find((r) => r.id === "staging.people")!;
  assert.deepEqual([people.rows, people.rejected, people.checks], [1, 4, {
    valid_state: 3,
    valid_zip: 2,
  }]);
  assert.deepEqual(await query(p.db, "select id from staging.people"), [{ id: 1 }]);
  assert.deepEqual(
    await query(p.db, "select id, _failed_checks from staging.people__rejected order by id"),
    [
      { id: 2, _failed_checks: ["valid_state"] },
      { id: 3, _failed_checks: ["valid_zip"] },
      { id: 4, _failed_checks: ["valid_state", "valid_zip"] },
      { id: 5, _failed_checks: ["valid_state"] },
    ],
  );
  assert.deepEqual(await query(p.db, "select n::int as n from marts.report"), [{ n: 1 }]);
  assert.deepEqual(
    await query(
      p.db,
      "select rejected_rows::int as r, check_counts::varchar as c from wharf.run_results where node_id = 'staging.people'",
    ),
    [{ r: 4, c: '{"valid_state":3,"valid_zip":2}' }],
  );
  // The seed the check reads is a dependency: it was built first.
  assert.ok(
    summary.results.findIndex((r) => r.id === "seeds.states") <
      summary.results.findIndex((r) => r.id === "staging.people"),
  );
});

Deno.test("wharf_var() gives models the config's vars, overridable per run; an undeclared name is an error where it is written", async () => {
  await using p = await tempProject({
    "models/marts/asof.sql": "select wharf_var('as_of')::date as d",
    "models/marts/typo.sql": "select 1 as id\nwhere wharf_var('as_off') is null",
  });
  const config = { ...p.config, vars: { as_of: "2023-09-01" } };
  await assert.rejects(
    () => runProject("run", config, { db: p.db }),
    /models\/marts\/typo\.sql:2:7: wharf_var\('as_off'\): the project declares no variable "as_off" \(did you mean "as_of"\?\), so it would read NULL: declare it under "vars" in wharf\.config\.ts \(declared: as_of\)/,
  );
  await Deno.remove(`${p.root}/models/marts/typo.sql`);
  // In a check's expression too, reported at the check.
  await Deno.writeTextFile(
    `${p.root}/models/marts/marts.yml`,
    "models:\n  - name: asof\n    checks:\n      recent: d >= wharf_var('since')::date\n",
  );
  await assert.rejects(
    () => runProject("run", config, { db: p.db }),
    /models\/marts\/marts\.yml:4:15: Check "recent" of marts\.asof: wharf_var\('since'\): the project declares no variable "since"/,
  );
  await Deno.remove(`${p.root}/models/marts/marts.yml`);
  assert.ok((await runProject("run", config, { db: p.db })).ok);
  assert.deepEqual(await query(p.db, "select d::varchar as d from marts.asof"), [{
    d: "2023-09-01",
  }]);
  assert.ok((await runProject("run", config, { db: p.db, vars: { as_of: "2024-01-31" } })).ok);
  assert.deepEqual(await query(p.db, "select d::varchar as d from marts.asof"), [{
    d: "2024-01-31",
  }]);
});

Deno.test("a raw table not landed yet: the nodes that need it are skipped the same way, selected or not", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/staging/b.sql": "select * from raw.not_landed",
    "models/marts/c.sql": "select * from staging.b",
  });
  const skipped = [
    ["marts.c", "skipped", "needs raw.not_landed, not landed yet"],
    ["staging.b", "skipped", "needs raw.not_landed, not landed yet"],
  ];
  const all = await runProject("build", p.config, { db: p.db });
  assert.ok(all.ok);
  assert.deepEqual(all.results.map((r) => [r.id, r.status, r.message ?? ""]).sort(), [
    skipped[0],
    ["staging.a", "success", ""],
    skipped[1],
  ]);
  assert.deepEqual(all.notLanded, ["raw.not_landed"]);
  for (const select of [["+marts.c"], ["layer:marts"]]) {
    const some = await runProject("build", p.config, { db: p.db, select });
    assert.ok(some.ok);
    assert.deepEqual(
      some.results.map((r) => [r.id, r.status, r.message ?? ""]).sort(),
      select[0] === "+marts.c" ? skipped : [skipped[0]],
    );
  }
  const a = await runProject("build", p.config, { db: p.db, select: ["staging.a"] });
  assert.deepEqual(a.results.map((r) => [r.id, r.status]), [["staging.a", "success"]]);
  assert.deepEqual(a.notLanded, []);
});

Deno.test("a raw table declared optional reads as an empty table of its columns until it is landed, then as landed", async () => {
  await using p = await tempProject({
    "models/staging/sources.yml": `sources:
  - name: clients
    schema: raw
    tables:
      - name: orders_a
      - name: orders_b
        optional: true
        columns:
          - { name: order_id }
          - { name: amount, data_type: INTEGER }
`,
    "models/staging/orders.sql":
      `select 'a' as client, order_id, amount::INTEGER as amount from raw.orders_a
union all
select 'b', b.order_id, b.amount from raw.orders_b as b`,
    "models/marts/totals.sql":
      "select client, sum(amount)::INTEGER as amount from staging.orders group by client order by client",
  });
  await openWarehouse(p.db).then(async (wh) => {
    await wh.query(
      "create schema raw; create table raw.orders_a as select '1' as order_id, '5' as amount",
    );
    wh.close();
  });
  const before = await runProject("build", p.config, { db: p.db });
  assert.ok(before.ok, JSON.stringify(before.results));
  assert.deepEqual(before.results.map((r) => [r.id, r.status]).sort(), [
    ["marts.totals", "success"],
    ["staging.orders", "success"],
  ]);
  assert.deepEqual(before.notLanded, []);
  assert.deepEqual(await query(p.db, "select * from marts.totals"), [{ client: "a", amount: 5 }]);
  // Client b lands: its rows are read.
  await openWarehouse(p.db).then(async (wh) => {
    await wh.query("create table raw.orders_b as select '2' as order_id, 7::INTEGER as amount");
    wh.close();
  });
  assert.ok((await runProject("build", p.config, { db: p.db })).ok);
  assert.deepEqual(await query(p.db, "select * from marts.totals"), [
    { client: "a", amount: 5 },
    { client: "b", amount: 7 },
  ]);
});

Deno.test("a raw table declared optional without columns is an error naming it", async () => {
  await using p = await tempProject({
    "models/staging/sources.yml":
      "sources:\n  - name: clients\n    schema: raw\n    tables:\n      - name: orders_b\n        optional: true\n",
    "models/staging/orders.sql": "select * from raw.orders_b",
  });
  await assert.rejects(
    () => runProject("build", p.config, { db: p.db }),
    /table "orders_b" of source "clients" is optional but lists no columns/,
  );
});

Deno.test("a build again leaves target/'s unchanged SQL files as they are and rewrites the changed ones", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/marts/b.sql": "select id from staging.a",
  });
  assert.ok((await runProject("build", p.config, { db: p.db })).ok);
  const file = (model: string) => `${p.root}/target/run/${model}.sql`;
  const before = {
    a: (await Deno.stat(file("staging/a"))).mtime,
    b: (await Deno.stat(file("marts/b"))).mtime,
  };
  await new Promise((resolve) => setTimeout(resolve, 20));
  await p.write("models/marts/b.sql", "select id + 1 as id from staging.a");
  assert.ok((await runProject("build", p.config, { db: p.db })).ok);
  assert.deepEqual(
    (await Deno.stat(file("staging/a"))).mtime,
    before.a,
    "a: the same SQL, not rewritten",
  );
  assert.match(await Deno.readTextFile(file("marts/b")), /select id \+ 1 as id from staging\.a/);
  assert.notDeepEqual((await Deno.stat(file("marts/b"))).mtime, before.b);
});
