/**
 * dbt's on-run-end context (`results`, `schemas`, `database_schemas`),
 * through the CLI on a DuckDB file: a hook reading them is rendered once the
 * run's nodes are done, with what the run did; one that cannot be rendered
 * then fails the run, naming it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const PROJECT = `name: shop
config-version: 2
on-run-start:
  - "create table if not exists main.audit (node_id varchar, status varchar, failures integer)"
  - "create table if not exists main.db_schemas (db varchar, schema_name varchar)"
on-run-end:
  - "{% for r in results %}insert into main.audit values ('{{ r.node.unique_id }}', '{{ r.status }}', {{ r.failures if r.failures is not none else 'null' }});{% endfor %}"
  - "create or replace table main.built as select '{{ schemas | sort | join(',') }}' as schemas"
  - "{% for (database, schema) in database_schemas %}insert into main.db_schemas values ('{{ database }}', '{{ schema }}');{% endfor %}"
  - "{{ record_nodes() }}"
  - "create or replace table main.loaded as select '{{ project_name }}' as project"
models:
  shop:
    staging:
      +schema: staging
    broken:
      +schema: broken
    later:
      +schema: later
`;

const FILES = {
  "dbt_project.yml": PROJECT,
  // A macro reading `results` itself: the hook calling it is rendered at the run's end too.
  "macros/record_nodes.sql": `{% macro record_nodes() %}
create or replace table main.nodes as
select * from (values {% for r in results %}('{{ r.node.name }}', '{{ r.node.resource_type }}', '{{ r.node.schema }}', '{{ r.node.relation_name }}', {{ r.execution_time >= 0 }}){{ "," if not loop.last }}{% endfor %}) as t(name, resource_type, schema_name, relation_name, timed)
{% endmacro %}
`,
  "models/orders.sql": "select 1 as id union all select 2",
  "models/staging/stg_payments.sql": "select 1 as id union all select 2",
  "models/staging/staging.yml": `version: 2
models:
  - name: stg_payments
    columns:
      - name: id
        data_tests:
          - accepted_values:
              values: [1]
`,
  "models/schema.yml": `version: 2
models:
  - name: orders
    columns:
      - name: id
        data_tests: [not_null]
`,
  "models/broken/broken.sql": "select nothing_here from {{ ref('orders') }}",
  "models/later/after_broken.sql": "select * from {{ ref('broken') }}",
};

Deno.test("dbt project: an on-run-end hook gets the run's results, one per node with its status, and the schemas it built", async () => {
  await using p = await tempProject(FILES);
  const db = join(p.root, "shop.duckdb");
  const built = await runCli(["--project", p.root, "build"]);
  assert.equal(built.code, 1, built.stdout + built.stderr);
  const recorded = JSON.parse(
    await Deno.readTextFile(join(p.root, "target", "run_results.json")),
  ) as {
    results: { unique_id: string; status: string; failures: number | null }[];
  };
  const ids = (prefix: string) =>
    recorded.results.map((r) => r.unique_id).filter((id) => id.startsWith(prefix)).sort();
  assert.deepEqual(ids("model."), [
    "model.shop.after_broken",
    "model.shop.broken",
    "model.shop.orders",
    "model.shop.stg_payments",
  ]);
  assert.equal(ids("test.").length, 2);
  const [acceptedValues] = ids("test.shop.accepted_values_");
  const [notNull] = ids("test.shop.not_null_");
  // The hook saw exactly the run's nodes, with dbt's statuses and the failing test's failures.
  assert.deepEqual(
    await queryRows(db, "select node_id, status, failures from main.audit order by node_id"),
    [
      { node_id: "model.shop.after_broken", status: "skipped", failures: null },
      { node_id: "model.shop.broken", status: "error", failures: null },
      { node_id: "model.shop.orders", status: "success", failures: null },
      { node_id: "model.shop.stg_payments", status: "success", failures: null },
      { node_id: acceptedValues, status: "fail", failures: 1 },
      { node_id: notNull, status: "pass", failures: 0 },
    ].sort((a, b) => a.node_id! < b.node_id! ? -1 : 1),
  );
  // The schemas of the models built, not those of the one that errored or was skipped.
  assert.deepEqual(await queryRows(db, "select schemas from main.built"), [
    { schemas: "main,main_staging" },
  ]);
  assert.deepEqual(
    await queryRows(db, "select db, schema_name from main.db_schemas order by schema_name"),
    [{ db: "shop", schema_name: "main" }, { db: "shop", schema_name: "main_staging" }],
  );
  // Each result's node as the manifest records it, and its execution time.
  assert.deepEqual(
    await queryRows(
      db,
      "select name, resource_type, schema_name, relation_name, timed from main.nodes where resource_type <> 'test' order by name",
    ),
    [
      {
        name: "after_broken",
        resource_type: "model",
        schema_name: "main_later",
        relation_name: '"shop"."main_later"."after_broken"',
        timed: true,
      },
      {
        name: "broken",
        resource_type: "model",
        schema_name: "main_broken",
        relation_name: '"shop"."main_broken"."broken"',
        timed: true,
      },
      {
        name: "orders",
        resource_type: "model",
        schema_name: "main",
        relation_name: '"shop"."main"."orders"',
        timed: true,
      },
      {
        name: "stg_payments",
        resource_type: "model",
        schema_name: "main_staging",
        relation_name: '"shop"."main_staging"."stg_payments"',
        timed: true,
      },
    ],
  );
  // A hook that reads none of them is rendered as the project loads, as before.
  assert.deepEqual(await queryRows(db, "select project from main.loaded"), [{ project: "shop" }]);

  // A selection: only its nodes, and only its schemas.
  const selected = await runCli(["--project", p.root, "run", "-s", "stg_payments"]);
  assert.equal(selected.code, 0, selected.stdout + selected.stderr);
  assert.deepEqual(
    await queryRows(db, "select node_id, status from main.audit order by rowid offset 6"),
    [{ node_id: "model.shop.stg_payments", status: "success" }],
  );
  assert.deepEqual(await queryRows(db, "select schemas from main.built"), [
    { schemas: "main_staging" },
  ]);
});

Deno.test("dbt project: an on-run-end hook reading the run's results that cannot be rendered fails the run, naming it; compile and ls still work", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
config-version: 2
on-run-end:
  - "create or replace table main.ended as select 1 as n"
  - "select '{{ results | no_such_filter }}'"
`,
    "models/orders.sql": "select 1 as id",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const listed = await cli("ls");
  assert.equal(listed.code, 0, listed.stdout + listed.stderr);
  assert.match(listed.stdout, /main\.orders/);
  const compiled = await cli("compile");
  assert.equal(compiled.code, 0, compiled.stdout + compiled.stderr);

  const built = await cli("build");
  assert.equal(built.code, 1, built.stdout + built.stderr);
  assert.match(
    built.stderr,
    /error: dbt_project\.yml:5:5: on-run-end 2 of 2 cannot be rendered: .*no_such_filter.*\n {2}select '\{\{ results \| no_such_filter \}\}'/,
  );
  // The model was built and the first hook ran; the run is recorded as failed.
  const db = join(p.root, "shop.duckdb");
  assert.deepEqual(await queryRows(db, "select n from main.ended"), [{ n: 1 }]);
  assert.deepEqual(
    await queryRows(db, "select node_id, status from wharf.run_results"),
    [{ node_id: "main.orders", status: "success" }],
  );
  assert.deepEqual(await queryRows(db, "select status from wharf.runs"), [{ status: "error" }]);
});
