/**
 * Contracts, constraints, hooks, exposures and "not supported" in a dbt
 * project, end to end through the CLI on a real DuckDB file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

const PROJECT = `name: shop
config-version: 2
on-run-start: "create table if not exists {{ target.schema }}.audit (event varchar)"
on-run-end:
  - "insert into {{ target.schema }}.audit values ('run end')"
models:
  shop:
    +materialized: view
`;

const SCHEMA = `version: 2
models:
  - name: orders
    config:
      contract: { enforced: true }
      pre-hook: "delete from main.audit where event = 'stale'"
    columns:
      - name: id
        data_type: integer
        constraints: [{ type: primary_key }]
      - name: status
        data_type: varchar
        constraints:
          - type: not_null
          - type: check
            expression: "status in ('placed', 'shipped')"
  - name: customers
    config:
      contract: { enforced: true }
    columns:
      - name: id
        data_type: int
        constraints: [{ type: unique }]
exposures:
  - name: ops_dashboard
    label: Operations
    type: dashboard
    maturity: medium
    url: https://bi.example.com/ops
    owner: { name: Ops, email: ops@example.com }
    depends_on: [ref('orders'), ref('customers')]
`;

const ORDERS =
  `{{ config(materialized='table', post_hook="insert into main.audit select 'built ' || count(*) from {{ this }}") }}
select * from (values (1, 'placed'), (2, 'shipped')) t(id, status)
`;

async function shop() {
  return await tempProject({
    "dbt_project.yml": PROJECT,
    "models/schema.yml": SCHEMA,
    "models/orders.sql": ORDERS,
    "models/customers.sql": "select 1 as id union all select 1",
  });
}

Deno.test("dbt mode: contracts, constraints, hooks with {{ this }} and on-run-start/end build on a real DuckDB file", async () => {
  await using p = await shop();
  const db = join(p.root, "shop.duckdb");
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const built = await cli("build");
  // The view's unique constraint is a test, and it fails on the duplicated id.
  assert.equal(built.code, 1, built.stdout + built.stderr);
  assert.match(built.stdout, /OK\s+model main\.orders/);
  assert.match(built.stdout, /FAIL\s+test unique_customers_id/);
  // dbt's manifest says which models have an enforced contract, with the columns' types.
  const dbtManifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  const orders = Object.values(dbtManifest.nodes).find((n) =>
    (n as { name: string }).name === "orders"
  ) as { contract: { enforced: boolean }; columns: Record<string, { data_type: string }> };
  assert.equal(orders.contract.enforced, true);
  assert.equal(orders.columns.id!.data_type, "integer");
  assert.deepEqual(await query(db, "select event from main.audit"), [
    { event: "built 2" },
    { event: "run end" },
  ]);
  assert.deepEqual(
    await query(
      db,
      "select constraint_type from duckdb_constraints() where table_name = 'orders' order by 1",
    ),
    [
      { constraint_type: "CHECK" },
      { constraint_type: "NOT NULL" },
      { constraint_type: "NOT NULL" },
      { constraint_type: "PRIMARY KEY" },
    ],
  );

  // A model that breaks its contract replaces nothing, and says what differs.
  await p.write(
    "models/orders.sql",
    ORDERS.replace("t(id, status)", "t(id, state)"),
  );
  const broken = await cli("run", "-s", "orders");
  assert.equal(broken.code, 1);
  assert.match(
    broken.stdout,
    /main\.orders breaks its contract: missing column "status" \(VARCHAR\); extra column "state" \(VARCHAR\), not in the contract: nothing was replaced/,
  );
  await p.write("models/orders.sql", ORDERS.replace("'shipped'", "'lost'"));
  const check = await cli("run", "-s", "orders");
  assert.match(
    check.stdout,
    /main\.orders breaks a constraint of its contract: .*CHECK constraint failed/,
  );
  assert.deepEqual(await query(db, "select status from main.orders order by id"), [
    { status: "placed" },
    { status: "shipped" },
  ]);

  // A failing hook names itself, its SQL and where DuckDB says it failed.
  await p.write("models/orders.sql", ORDERS);
  await p.write(
    "models/schema.yml",
    SCHEMA.replace(
      `"delete from main.audit where event = 'stale'"`,
      `"delete from main.audit where evnt = 'stale'"`,
    ),
  );
  const hook = await cli("run", "-s", "orders");
  assert.equal(hook.code, 1);
  assert.match(
    hook.stdout,
    /pre_hook of main\.orders failed at line 1, column 30: Binder Error: Referenced column "evnt" not found in FROM clause!(.*\n)+\s+delete from main\.audit where evnt = 'stale'/,
  );
});

Deno.test("dbt mode: exposures are listed by ls, selectable and drawn in the docs graph; an unknown ref names the closest", async () => {
  await using p = await shop();
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const ls = await cli("--json", "ls", "-s", "type:exposure");
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(JSON.parse(ls.stdout), [{
    id: "exposure.ops_dashboard",
    type: "exposure",
    layer: "",
    materialized: "",
    tags: [],
    path: "models/schema.yml",
    depends_on: ["main.orders", "main.customers"],
  }]);
  // dbt's manifest lists it under exposures (validated against dbt's schema when p is disposed).
  const dbtManifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  const exposure = Object.values(dbtManifest.exposures)[0] as Record<string, unknown>;
  assert.deepEqual(Object.keys(dbtManifest.exposures), [exposure.unique_id]);
  assert.match(String(exposure.unique_id), /^exposure\.\w+\.ops_dashboard$/);
  assert.deepEqual(
    [exposure.type, exposure.owner, exposure.maturity, exposure.original_file_path],
    ["dashboard", { name: "Ops", email: "ops@example.com" }, "medium", "models/schema.yml"],
  );
  assert.deepEqual(
    (exposure.refs as { name: string }[]).map((r) => r.name).sort(),
    ["customers", "orders"],
  );
  assert.deepEqual(dbtManifest.parent_map[String(exposure.unique_id)].length, 2);
  const upstream = await cli("--json", "ls", "-s", "+exposure.ops_dashboard");
  assert.deepEqual(
    (JSON.parse(upstream.stdout) as { id: string }[]).map((n) => n.id).sort(),
    // A test comes along with the nodes it reads.
    ["exposure.ops_dashboard", "main.customers", "main.orders", "test.unique_customers_id"],
  );
  const out = join(p.root, "site");
  assert.equal((await cli("docs", "build", "--out", out)).code, 0);
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json")));
  const node = manifest.nodes.find((n: { id: string }) => n.id === "exposure.ops_dashboard");
  assert.deepEqual(
    [node.kind, node.upstream, node.exposure],
    ["exposure", ["main.orders", "main.customers"], {
      type: "dashboard",
      label: "Operations",
      owner: { name: "Ops", email: "ops@example.com" },
      url: "https://bi.example.com/ops",
      maturity: "medium",
    }],
  );
  assert.ok(
    manifest.edges.some(([a, b]: string[]) =>
      a === "main.orders" && b === "exposure.ops_dashboard"
    ),
  );
  assert.ok(
    manifest.layout.columns.some((c: { title: string; nodes: string[] }) =>
      c.title === "exposures" && c.nodes.includes("exposure.ops_dashboard")
    ),
  );

  await p.write("models/schema.yml", SCHEMA.replace("ref('customers')", "ref('customer')"));
  const bad = await cli("ls");
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /models\/schema\.yml:\d+:\d+: exposures\[0\]\.depends_on\[1\]: ref\("customer"\): no model or seed named "customer" \(did you mean "customers"\?\)/,
  );
});

Deno.test("dbt mode: Python models, versions, grants, metrics, semantic models and saved queries are not supported; --warn-unsupported leaves them out with a warning", async () => {
  await using p = await shop();
  await p.write("models/forecast.py", "def model(dbt, session):\n    return None\n");
  await p.write(
    "models/schema.yml",
    SCHEMA.replace(
      "      pre-hook:",
      "      grants: { select: [reporter] }\n      pre-hook:",
    ).replace("  - name: customers\n", "  - name: customers\n    versions: [{ v: 1 }]\n") +
      "metrics:\n  - name: revenue\nsemantic_models:\n  - name: orders\nsaved_queries:\n  - name: weekly\n",
  );
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const refused = await cli("run");
  assert.equal(refused.code, 2);
  for (
    const line of [
      /models\/forecast\.py: Python models are not supported by wharf: write the model in SQL/,
      /models\/schema\.yml:\d+:\d+: models\[0\]\.config\.grants: "grants" in a model's config is not supported by wharf/,
      /models\/schema\.yml:\d+:\d+: models\[1\]\.versions: "versions" \(model versions\) in model "customers" is not supported by wharf/,
      /models\/schema\.yml:\d+:\d+: metrics: "metrics" in a properties file is not supported by wharf/,
      /models\/schema\.yml:\d+:\d+: semantic_models: "semantic_models" in a properties file is not supported by wharf/,
      /models\/schema\.yml:\d+:\d+: saved_queries: "saved_queries" in a properties file is not supported by wharf/,
      /--warn-unsupported leaves out what wharf does not support/,
    ]
  ) assert.match(refused.stderr, line);
  // dbt_project.yml is read first: its problems are reported before the project's files are read.
  await p.write("dbt_project.yml", `${PROJECT}semantic-models:\n  shop:\n    +enabled: true\n`);
  const project = await cli("run");
  assert.equal(project.code, 2);
  assert.match(
    project.stderr,
    /dbt_project\.yml:\d+:\d+: semantic-models: "semantic-models" in dbt_project\.yml is not supported by wharf: remove it/,
  );
  const warned = await cli("--warn-unsupported", "run");
  assert.equal(warned.code, 0, warned.stdout + warned.stderr);
  assert.match(warned.stderr, /warning: models\/forecast\.py: Python models are not supported/);
  assert.match(warned.stderr, /warning: .*"grants" in a model's config/);
  assert.match(
    warned.stderr,
    /warning: dbt_project\.yml:\d+:\d+: semantic-models: "semantic-models" in dbt_project\.yml is not supported by wharf: remove it/,
  );
  assert.doesNotMatch(warned.stdout, /forecast/);
  assert.match(warned.stdout, /OK\s+model main\.orders/);
});

Deno.test("dbt mode: a failing on-run-start stops the run before any node; a failing on-run-end fails it, naming which hook, its SQL and position", async () => {
  await using p = await shop();
  const db = join(p.root, "shop.duckdb");
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  await p.write(
    "dbt_project.yml",
    PROJECT.replace(
      `on-run-start: "create table if not exists {{ target.schema }}.audit (event varchar)"`,
      `on-run-start: "create table if not exists {{ target.schema }}.audit (event varchar)\\nselect 1"`,
    ),
  );
  const start = await cli("run", "-s", "orders");
  assert.equal(start.code, 1, start.stdout + start.stderr);
  assert.match(
    start.stderr,
    /error: dbt_project\.yml:3:15: on-run-start failed at line 2, column 1: Parser Error: syntax error at or near "select"\n {2}create table if not exists main\.audit \(event varchar\)\n {2}select 1/,
  );
  assert.doesNotMatch(start.stdout, /model main\.orders/);

  await p.write(
    "dbt_project.yml",
    PROJECT.replace(
      `  - "insert into {{ target.schema }}.audit values ('run end')"`,
      `  - "insert into {{ target.schema }}.audit values ('run end')"\n  - "insert into {{ target.schema }}.audit select evnt from {{ target.schema }}.audit"`,
    ),
  );
  const end = await cli("run", "-s", "orders");
  assert.equal(end.code, 1, end.stdout + end.stderr);
  assert.match(end.stdout, /OK\s+model main\.orders/);
  assert.match(
    end.stderr,
    /error: dbt_project\.yml:6:5: on-run-end 2 of 2 failed at line 1, column 31: Binder Error: Referenced column "evnt" not found in FROM clause!(.*\n)+ {2}insert into main\.audit select evnt from main\.audit/,
  );
  // The first on-run-end ran, and the run is recorded as failed.
  assert.deepEqual(await query(db, "select event from main.audit"), [
    { event: "built 2" },
    { event: "run end" },
  ]);
  assert.deepEqual(
    await query(db, "select status from wharf.runs order by started_at desc limit 1"),
    [{ status: "error" }],
  );
});

Deno.test("dbt mode: a seed's hooks from the seeds: tree run in its load's transaction; a failing one rolls the load back", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
config-version: 2
seeds:
  shop:
    +post-hook: "create or replace table main.seed_log as select count(*) as n from {{ this }}"
`,
    "seeds/states.csv": "code,name\nNY,New York\nDC,District of Columbia\n",
  });
  const db = join(p.root, "shop.duckdb");
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const ok = await cli("seed");
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.deepEqual(await query(db, "select n::int as n from main.seed_log"), [{ n: 2 }]);
  await p.write(
    "seeds/states.csv",
    "code,name\nNY,New York\nDC,District of Columbia\nPR,Puerto Rico\n",
  );
  await p.write(
    "seeds/states.yml",
    `seeds:\n  - name: states\n    config:\n      post_hook: "select coed from {{ this }}"\n`,
  );
  const failed = await cli("seed");
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);
  assert.match(
    failed.stdout,
    /post_hook of main\.states 2 of 2 failed at line 1, column 8: Binder Error: Referenced column "coed" not found(.*\n)+\s+select coed from "main"\."states"/,
  );
  assert.deepEqual(await query(db, "select count(*)::int as n from main.states"), [{ n: 2 }]);
  assert.deepEqual(await query(db, "select n::int as n from main.seed_log"), [{ n: 2 }]);
});
