/**
 * A dbt project's problems are reported at their root: a node that could
 * not be read adds no errors through what reads it (models, snapshots,
 * tests, unit tests, exposures), and a key wharf does not support in a
 * model's `{{ config(...) }}` is what it is in YAML: an error that
 * `--warn-unsupported` turns into a warning.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

/** A dbt project where everything reads stg_orders, and stg_orders' config has `grants`. */
function shop(stgOrders: string): Record<string, string> {
  return {
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "seeds/raw_orders.csv": "id,amount\n1,10\n2,20\n",
    "models/stg_orders.sql": stgOrders,
    "models/orders.sql": "select id, amount from {{ ref('stg_orders') }}",
    "models/order_totals.sql": "select sum(amount) as total from {{ ref('orders') }}",
    "models/calendar.sql": "select 1 as id",
    "snapshots/orders_history.sql":
      "{% snapshot orders_history %}{{ config(unique_key='id', strategy='check', check_cols='all') }}select * from {{ ref('orders') }}{% endsnapshot %}",
    "tests/no_negative_total.sql": "select * from {{ ref('order_totals') }} where total < 0",
    "models/schema.yml": `version: 2
models:
  - name: orders
    columns:
      - name: id
        data_tests: [unique]
  - name: calendar
    columns:
      - name: id
        data_tests:
          - relationships: { to: ref('stg_orders'), field: id }
unit_tests:
  - name: orders_pass_through
    model: orders
    given:
      - input: ref('stg_orders')
        rows: [{ id: 1, amount: 5 }]
    expect:
      rows: [{ id: 1, amount: 5 }]
  - name: staging_pass_through
    model: stg_orders
    given:
      - input: ref('raw_orders')
        rows: [{ id: 1, amount: 5 }]
    expect:
      rows: [{ id: 1, amount: 5 }]
exposures:
  - name: revenue
    type: dashboard
    owner: { name: Finance }
    depends_on: [ref('stg_orders'), ref('calendar')]
`,
  };
}

Deno.test("a model whose config() fails is the one error: nothing that reads it adds one", async () => {
  await using p = await tempProject({
    ...shop("{{ config(materialised='table') }}\nselect * from {{ ref('raw_orders') }}"),
    // A seed dbt-duckdb cannot load, and a model reading it.
    "seeds/rates.csv": "code,rate\n1,3000000000\n",
    "models/rated.sql": "select * from {{ ref('rates') }}",
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.match(lines[0]!, /Cannot compile the project: 2 problems found/);
  assert.match(
    r.stderr,
    /models\/stg_orders\.sql:1: Cannot render the SQL: config\(materialised=…\): unknown config "materialised" \(did you mean "materialized"\?\)/,
  );
  assert.match(r.stderr, /seeds\/rates\.csv: seed rates: column "rate"/);
  assert.equal(lines.length, 3, r.stderr);
  for (
    const spurious of [
      /did you mean "stg_orders"/,
      /give it as an input/,
      /could not be read/,
      /Cannot resolve relation/,
      /is not built/,
      /refers to/,
    ]
  ) {
    assert.doesNotMatch(r.stderr, spurious);
  }

  // Fixed, everything that was left out is there again.
  await p.write(
    "models/stg_orders.sql",
    "{{ config(materialized='table') }}\nselect * from {{ ref('raw_orders') }}",
  );
  await p.remove("seeds/rates.csv");
  await p.remove("models/rated.sql");
  const ls = await runCli(["--project", p.root, "--json", "ls"]);
  assert.equal(ls.code, 0, ls.stderr);
  const ids = (JSON.parse(ls.stdout) as { id: string }[]).map((n) => n.id);
  for (
    const id of [
      "main.orders",
      "main.order_totals",
      "main.orders_history",
      "test.no_negative_total",
      "test.relationships_calendar_id__id__ref_stg_orders_",
      "unit_test.orders.orders_pass_through",
      "unit_test.stg_orders.staging_pass_through",
      "exposure.revenue",
    ]
  ) assert.ok(ids.includes(id), `${id} in ${ids.join(", ")}`);
});

Deno.test("an unsupported key in config() is an error, and --warn-unsupported leaves it out with a warning, as in YAML", async () => {
  await using p = await tempProject(
    shop(
      "{{ config(materialized='table', grants={'select': ['reporter']}) }}\n\nselect * from {{ ref('raw_orders') }}",
    ),
  );
  const refused = await runCli(["--project", p.root, "build"]);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(
    refused.stderr,
    /Cannot compile the project: 1 problem found \(nothing was run\):\n {2}models\/stg_orders\.sql:1: config\(grants=…\): "grants" in a model's config is not supported by wharf: remove it\n\(--warn-unsupported leaves out what wharf does not support, with a warning each\)/,
  );
  const built = await runCli(["--project", p.root, "--warn-unsupported", "build"]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  assert.match(
    built.stderr,
    /^warning: models\/stg_orders\.sql:1: config\(grants=…\): "grants" in a model's config is not supported by wharf: remove it$/m,
  );
  // The rest of its config() holds: it is a table.
  assert.deepEqual(
    await queryRows(
      join(p.root, "shop.duckdb"),
      "select table_type from information_schema.tables where table_name = 'stg_orders'",
    ),
    [{ table_type: "BASE TABLE" }],
  );
});

Deno.test("dbt_project.yml's problems that do not keep the project from loading are listed with the project's; one that does stops there", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      'name: shop\nconfig-version: 2\non-run-strat: "select 1"\nclean-targets: target\n',
    "models/a.sql": "select 1 as id",
    "models/bad.sql": "select * from {{ ref('nowhere') }}",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  for (const args of [["ls"], ["build"], ["compile", "a"]]) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `wharf ${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /Cannot compile the project: 3 problems found/);
    assert.match(
      r.stderr,
      /dbt_project\.yml:3:\d+: on-run-strat: unknown key "on-run-strat" \(did you mean "on-run-start"\?\)/,
    );
    assert.match(r.stderr, /dbt_project\.yml:4:\d+: clean-targets: expected a list of folders/);
    assert.match(r.stderr, /models\/bad\.sql:1: .*"nowhere"/);
  }
  // A command that compiles nothing still stops at them; so does debug.
  const sql = await cli("sql", "select 1");
  assert.equal(sql.code, 2, sql.stdout + sql.stderr);
  assert.match(
    sql.stderr,
    /Invalid dbt_project\.yml: 2 problems found:\n {2}dbt_project\.yml:3:\d+: on-run-strat/,
  );
  const debug = await cli("debug");
  assert.equal(debug.code, 1);
  assert.match(
    debug.stdout,
    /ERROR project +Invalid dbt_project\.yml: 2 problems found:\n {2}dbt_project\.yml:3/,
  );

  // Folders the project is read from: the rest cannot be loaded without them.
  await p.write(
    "dbt_project.yml",
    'name: shop\nconfig-version: 2\non-run-strat: "select 1"\nmodel-paths: 7\n',
  );
  const stopped = await cli("ls");
  assert.equal(stopped.code, 2);
  assert.match(stopped.stderr, /^error: Invalid dbt_project\.yml: /);
  assert.match(stopped.stderr, /on-run-strat: unknown key/);
  assert.match(stopped.stderr, /model-paths: expected a list of folders/);
  assert.doesNotMatch(stopped.stderr, /nowhere/);
});
