import assert from "node:assert/strict";
import { runCli, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";

const ORDERS_YML = `models:
  - name: orders
    config:
      materialized: table
      contract: { enforced: true }
      pre_hook: "create table if not exists main.audit (note varchar)"
      post-hook:
        - "insert into main.audit values ('built orders')"
    columns:
      - name: id
        data_type: int
        constraints:
          - type: primary_key
      - name: name
        data_type: text
        constraints: [{ type: not_null }]
      - name: amount
        data_type: decimal(4,2)
        constraints:
          - type: check
            expression: "amount >= 0"
`;

/** The orders YAML with another post_hook. */
function withPostHook(sql: string): string {
  return ORDERS_YML.replace(`"insert into main.audit values ('built orders')"`, sql);
}

const GOOD = "select * from (values (1, 'a', 10.50), (2, 'b', 3.25)) t(id, name, amount)";

Deno.test("an enforced contract builds the table with its constraints, and a model that breaks it or a constraint replaces nothing", async () => {
  await using p = await tempProject({
    "models/marts/orders.sql": GOOD,
    "models/marts/marts.yml": ORDERS_YML,
  });
  const build = () => runCli(["--project", p.root, "--db", p.db, "build"]);
  const first = await build();
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.deepEqual(
    await query(
      p.db,
      "select column_name, data_type, is_nullable from information_schema.columns where table_name = 'orders' order by ordinal_position",
    ),
    [
      { column_name: "id", data_type: "INTEGER", is_nullable: "NO" },
      { column_name: "name", data_type: "VARCHAR", is_nullable: "NO" },
      { column_name: "amount", data_type: "DECIMAL(4,2)", is_nullable: "YES" },
    ],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select constraint_type from duckdb_constraints() where table_name = 'orders' and constraint_type <> 'NOT NULL' order by 1",
    ),
    [{ constraint_type: "CHECK" }, { constraint_type: "PRIMARY KEY" }],
  );
  assert.deepEqual(await query(p.db, "select note from main.audit"), [{ note: "built orders" }]);

  const broken = [
    [
      "select id::bigint as id, amount, 'x' as extra from (values (1, 'a', 10.50)) t(id, name, amount)",
      /marts\.orders breaks its contract: column "id" is BIGINT, the contract says INTEGER \("int"\); missing column "name" \(VARCHAR\); extra column "extra" \(VARCHAR\), not in the contract: nothing was replaced/,
    ],
    [
      "select * from (values (1, 'a', 10.50), (1, 'b', 3.25)) t(id, name, amount)",
      /breaks a constraint of its contract: .*PRIMARY KEY or UNIQUE constraint violation: duplicate key "1": nothing was replaced/,
    ],
    [
      "select * from (values (1, null::varchar, 10.50)) t(id, name, amount)",
      /breaks a constraint of its contract: .*NOT NULL constraint failed: orders\.name/,
    ],
    [
      "select * from (values (1, 'a', -1.00::decimal(4,2))) t(id, name, amount)",
      /breaks a constraint of its contract: .*CHECK constraint failed on table orders/,
    ],
  ] as const;
  for (const [sql, message] of broken) {
    await p.write("models/marts/orders.sql", sql);
    const out = await build();
    assert.equal(out.code, 1, sql);
    assert.match(out.stdout + out.stderr, message);
  }
  // Every failure left the first build in place, and ran no post_hook.
  assert.deepEqual(await query(p.db, "select id, name from marts.orders order by id"), [
    { id: 1, name: "a" },
    { id: 2, name: "b" },
  ]);
  assert.deepEqual(await query(p.db, "select count(*)::int as n from main.audit"), [{ n: 1 }]);
});

Deno.test("a failing hook fails its model with the hook's SQL and DuckDB's position, and the build is rolled back", async () => {
  await using p = await tempProject({
    "models/marts/orders.sql": GOOD,
    "models/marts/marts.yml": ORDERS_YML,
  });
  const build = () => runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal((await build()).code, 0);
  await p.write(
    "models/marts/orders.sql",
    "select * from (values (7, 'z', 1.00::decimal(4,2))) t(id, name, amount)",
  );
  await p.write(
    "models/marts/marts.yml",
    withPostHook(`"insert into main.audit\\nselect nothing_here"`),
  );
  const out = await build();
  assert.equal(out.code, 1);
  assert.match(
    out.stdout,
    /models\/marts\/marts\.yml:8:11: post_hook of marts\.orders failed at line 2, column 8: Binder Error: Referenced column "nothing_here" was not found.*\n(.*\n)*\s+insert into main\.audit\n\s+select nothing_here/,
  );
  // The table and the pre_hook's work are rolled back with the failed post_hook.
  assert.deepEqual(await query(p.db, "select id from marts.orders order by id"), [
    { id: 1 },
    { id: 2 },
  ]);
  await p.write("models/marts/marts.yml", withPostHook(`"insert into main.audit valuess (1)"`));
  const syntax = await build();
  assert.match(
    syntax.stdout,
    /post_hook of marts\.orders failed at line 1, column 24: Parser Error: syntax error at or near "valuess"/,
  );
});

Deno.test("on-run-start and on-run-end of wharf.config.ts run around every run; on-run-end runs after a failed node and its failure fails the run", async () => {
  await using p = await tempProject({
    "models/marts/ok.sql": "select 1 as id",
    "models/marts/bad.sql": "select 1 as id",
    "wharf.config.ts": `export default {
  onRunStart: "create table if not exists main.runs (event varchar)",
  onRunEnd: ["insert into main.runs values ('end')"],
};
`,
  });
  const build = () => runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal((await build()).code, 0);
  await p.write("models/marts/bad.sql", "select nothing_here");
  assert.equal((await build()).code, 1);
  assert.deepEqual(await query(p.db, "select event from main.runs"), [
    { event: "end" },
    { event: "end" },
  ]);
  await p.write("models/marts/bad.sql", "select 1 as id");
  await p.write(
    "wharf.config.ts",
    `export default { onRunEnd: "insert into main.nowhere values (1)" };\n`,
  );
  const failed = await build();
  assert.equal(failed.code, 1);
  assert.match(
    failed.stderr,
    /error: on-run-end failed: Catalog Error: Table with name nowhere does not exist!(.*\n)+ {2}insert into main\.nowhere values \(1\)/,
  );
  assert.deepEqual(
    await query(p.db, "select status from wharf.runs order by started_at desc limit 1"),
    [{ status: "error" }],
  );
});

Deno.test("a view's contract checks its columns, and constraints it cannot hold become tests", async () => {
  await using p = await tempProject({
    "models/marts/people.sql": "select * from (values (1, 'a'), (1, null)) t(id, name)",
    "models/marts/marts.yml": `models:
  - name: people
    config: { contract: { enforced: true } }
    columns:
      - name: id
        data_type: integer
        constraints: [{ type: primary_key }]
      - name: name
        data_type: varchar
        constraints: [{ type: check, expression: "name <> ''" }]
`,
  });
  const ls = await runCli(["--project", p.root, "--db", p.db, "ls", "--json"]);
  const tests = (JSON.parse(ls.stdout) as { id: string }[]).map((n) => n.id).filter((id) =>
    id.startsWith("test.")
  ).sort();
  assert.deepEqual(tests, [
    "test.expression_people_name_1",
    "test.not_null_people_id",
    "test.unique_people_id",
  ]);
  const out = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(out.code, 1);
  assert.match(out.stdout, /FAIL\s+test unique_people_id/);
  await p.write("models/marts/people.sql", "select 1 as id, 2 as name");
  const wrong = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.match(wrong.stdout, /column "name" is INTEGER, the contract says VARCHAR/);
});

Deno.test("an incremental model's contract holds on its first build and on later runs, whose constraint violations change nothing", async () => {
  await using p = await tempProject({
    "models/marts/events.sql": "select 1::bigint as id, 'a' as kind",
    "models/marts/marts.yml": `models:
  - name: events
    config:
      materialized: incremental
      incremental_strategy: append
      contract: { enforced: true }
    columns:
      - name: id
        data_type: bigint
        constraints: [{ type: unique }]
      - name: kind
        data_type: varchar
`,
  });
  const sql = async (text: string) => {
    const wh = await openWarehouse(p.db);
    try {
      await wh.exec(text);
    } finally {
      wh.close();
    }
  };
  await sql("create schema raw; create table raw.events as select 1::bigint as id, 'a' as kind");
  await p.write("models/marts/events.sql", "select * from raw.events");
  const build = () => runCli(["--project", p.root, "--db", p.db, "run"]);
  const first = await build();
  assert.equal(first.code, 0, first.stdout + first.stderr);
  await sql("insert into raw.events values (2, 'b')");
  await p.write(
    "models/marts/events.sql",
    "select * from raw.events where not wharf_is_incremental() or id > (select max(id) from marts.events)",
  );
  assert.equal((await build()).code, 0);
  assert.deepEqual(await query(p.db, "select id::int as id from marts.events order by id"), [
    { id: 1 },
    { id: 2 },
  ]);
  // A later run that repeats an id breaks the unique constraint: nothing is appended.
  await p.write("models/marts/events.sql", "select * from raw.events");
  const dup = await build();
  assert.equal(dup.code, 1);
  assert.match(
    dup.stdout,
    /Duplicate key "id: 1" violates unique constraint\.\n\s+\(nothing was changed/,
  );
  assert.deepEqual(await query(p.db, "select count(*)::int as n from marts.events"), [{ n: 2 }]);
});

Deno.test("a seed's hooks run in its load's transaction", async () => {
  await using p = await tempProject({
    "models/seeds/states.csv": "code,name\nNY,New York\nDC,District of Columbia\n",
    "models/seeds/seeds.yml": `seeds:
  - name: states
    config:
      post_hook: "create or replace table main.seed_log as select count(*) as n from seeds.states"
`,
  });
  const out = await runCli(["--project", p.root, "--db", p.db, "seed"]);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  assert.deepEqual(await query(p.db, "select n::int as n from main.seed_log"), [{ n: 2 }]);

  // A failing hook fails the seed, naming its SQL and position; the load is rolled back with it.
  await p.write(
    "models/seeds/states.csv",
    "code,name\nNY,New York\nDC,District of Columbia\nPR,Puerto Rico\n",
  );
  await p.write(
    "models/seeds/seeds.yml",
    `seeds:
  - name: states
    config:
      pre_hook: "create or replace table main.seed_log as select 0 as n"
      post_hook: "select coed from seeds.states"
`,
  );
  const failed = await runCli(["--project", p.root, "--db", p.db, "seed"]);
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);
  assert.match(
    failed.stdout,
    /post_hook of seeds\.states failed at line 1, column 8: Binder Error: Referenced column "coed" not found(.*\n)+\s+select coed from seeds\.states/,
  );
  assert.deepEqual(await query(p.db, "select count(*)::int as n from seeds.states"), [{ n: 2 }]);
  assert.deepEqual(await query(p.db, "select n::int as n from main.seed_log"), [{ n: 2 }]);
});

Deno.test("plain SQL: a Python model file, versions, grants and metrics are not supported; --warn-unsupported leaves them out", async () => {
  await using p = await tempProject({
    "models/marts/a.sql": "select 1 as id",
    "models/marts/forecast.py": "def model(dbt, session):\n    return None\n",
    "models/marts/marts.yml": `models:
  - name: a
    versions: [{ v: 1 }]
    config: { materialized: table, grants: { select: [reporter] } }
metrics:
  - name: revenue
semantic_models:
  - name: orders
saved_queries:
  - name: weekly
`,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, "--db", p.db, ...args]);
  const refused = await cli("build");
  assert.equal(refused.code, 2);
  for (
    const line of [
      /models\/marts\/forecast\.py: Python models are not supported by wharf: write the model in SQL/,
      /marts\.yml:3:\d+: models\[0\]\.versions: "versions" \(model versions\) in model "a" is not supported by wharf: remove it/,
      /marts\.yml:4:\d+: models\[0\]\.config\.grants: "grants" in a model's config is not supported by wharf/,
      /marts\.yml:5:1: metrics: "metrics" in this file is not supported by wharf/,
      /marts\.yml:7:1: semantic_models: "semantic_models" in this file is not supported by wharf/,
      /marts\.yml:9:1: saved_queries: "saved_queries" in this file is not supported by wharf/,
    ]
  ) assert.match(refused.stderr, line);
  const warned = await cli("--warn-unsupported", "build");
  assert.equal(warned.code, 0, warned.stdout + warned.stderr);
  assert.match(
    warned.stderr,
    /warning: models\/marts\/forecast\.py: Python models are not supported/,
  );
  assert.match(warned.stderr, /warning: models\/marts\/marts\.yml:5:1: metrics:/);
  // The rest of the model's config still applies: it is a table.
  assert.deepEqual(
    await query(p.db, "select table_type from information_schema.tables where table_name = 'a'"),
    [{ table_type: "BASE TABLE" }],
  );
});

Deno.test("plain SQL: exposures name relations or ref(), are listed by ls, selectable and drawn in the docs graph; an unknown relation names the closest", async () => {
  const yml = (deps: string) =>
    `models:
  - name: orders
exposures:
  - name: finance_board
    type: dashboard
    owner: { email: finance@example.com }
    depends_on: [${deps}]
`;
  await using p = await tempProject({
    "models/marts/orders.sql": "select 1 as id",
    "models/marts/other.sql": "select 2 as id",
    "models/marts/marts.yml": yml("marts.orders"),
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, "--db", p.db, ...args]);
  const ls = await cli("--json", "ls", "-s", "+finance_board");
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(
    (JSON.parse(ls.stdout) as { id: string; type: string }[]).map((n) => [n.id, n.type]),
    [["marts.orders", "model"], ["exposure.finance_board", "exposure"]],
  );
  await p.write("models/marts/marts.yml", yml("ref('other')"));
  const byRef = await cli("--json", "ls", "-s", "type:exposure");
  assert.deepEqual(JSON.parse(byRef.stdout)[0].depends_on, ["marts.other"]);
  // The docs graph draws it, in a column of its own, with an edge from what it reads.
  const site = `${p.root}/site`;
  const docs = await cli("docs", "build", "--out", site);
  assert.equal(docs.code, 0, docs.stdout + docs.stderr);
  const manifest = JSON.parse(await Deno.readTextFile(`${site}/manifest.json`));
  const node = manifest.nodes.find((n: { id: string }) => n.id === "exposure.finance_board");
  assert.deepEqual([node.kind, node.upstream, node.exposure.type, node.exposure.owner], [
    "exposure",
    ["marts.other"],
    "dashboard",
    { email: "finance@example.com" },
  ]);
  assert.ok(
    manifest.edges.some(([a, b]: string[]) =>
      a === "marts.other" && b === "exposure.finance_board"
    ),
  );
  assert.ok(
    manifest.layout.columns.some((c: { title: string; nodes: string[] }) =>
      c.title === "exposures" && c.nodes.includes("exposure.finance_board")
    ),
  );
  await p.write("models/marts/marts.yml", yml("marts.order"));
  const bad = await cli("ls");
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /marts\.yml:7: Cannot resolve relation "marts\.order" in models\/marts\/marts\.yml: no such model \(did you mean "marts\.orders"\?\)/,
  );
  await p.write("models/marts/marts.yml", yml("ref('ordrs')"));
  assert.match(
    (await cli("ls")).stderr,
    /exposures\[0\]\.depends_on\[0\]: ref\("ordrs"\): no model or seed named "ordrs" \(did you mean "orders"\?\)/,
  );
});

Deno.test("a snapshot has no contract: contract and constraints on a snapshot are errors naming them", async () => {
  await using p = await tempProject({
    "snapshots/people.sql": "select 1 as id, 'Ann' as name\n",
    "snapshots/snapshots.yml": `snapshots:
  - name: people
    config: { unique_key: id, strategy: check, check_cols: all, contract: { enforced: true } }
    columns:
      - name: id
        data_type: int
        constraints: [{ type: not_null }]
`,
  });
  const out = await runCli(["--project", p.root, "ls"]);
  assert.equal(out.code, 2, out.stdout + out.stderr);
  assert.match(out.stderr, /snapshots\.yml:3:\d+: snapshots\[0\]\.config\.contract: .*"contract"/);
  assert.match(
    out.stderr,
    /snapshots\.yml:7:\d+: snapshots\[0\]\.columns\[0\]\.constraints\[0\]: constraints apply to models: test a snapshot's columns with tests:/,
  );
});

Deno.test("dbt mode: a snapshot's config() may not enforce a contract", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "snapshots/people.sql": `{% snapshot people %}
{{ config(target_schema='snapshots', unique_key='id', strategy='check', check_cols='all', contract={'enforced': true}) }}
select 1 as id
{% endsnapshot %}
`,
  });
  const out = await runCli(["--project", p.root, "ls"]);
  assert.equal(out.code, 2, out.stdout + out.stderr);
  assert.match(
    out.stderr,
    /snapshots\/people\.sql:2: Cannot render the SQL: config\(contract=…\): a snapshot has no contract \(its table has dbt's validity columns besides its SELECT's\): contracts apply to models/,
  );
});
