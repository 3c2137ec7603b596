/**
 * dbt's run_query(), statement and load_result() in on-run-start and
 * on-run-end hooks, through the CLI on a DuckDB file: such a hook renders as
 * it runs, against the warehouse, each query once and in order, then what it
 * renders runs; a query that fails fails the run naming the hook's line.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const MACROS = `{% macro audit(results) %}
  {% for r in results %}
    {% do run_query("insert into main.audit_log values ('" ~ r.node.name ~ "', '" ~ r.status ~ "')") %}
  {% endfor %}
  {% set n = run_query("select count(*) from main.audit_log").rows[0][0] %}
  {% do log("audited " ~ n ~ " nodes", info=True) %}
  create or replace table main.audited as select {{ n }} as n
{% endmacro %}

{% macro prepare() %}
  {% do run_query("create table if not exists main.audit_log (node varchar, status varchar)") %}
  {% do run_query("create table if not exists main.starts (k integer)") %}
  {% do run_query("insert into main.starts values (1)") %}
  {% call statement('starts', fetch_result=True) %}select count(*) from main.starts{% endcall %}
  create or replace table main.seen_starts as select {{ load_result('starts')['data'][0][0] }} as n
{% endmacro %}
`;

function project(end: string): Record<string, string> {
  return {
    "dbt_project.yml": `name: shop
config-version: 2
on-run-start:
  - "{{ prepare() }}"
on-run-end:
  - "${end}"
`,
    "macros/audit.sql": MACROS,
    "models/orders.sql": "select 1 as id",
    "models/broken.sql": "select nothing_here from {{ ref('orders') }}",
  };
}

Deno.test("dbt project: on-run-start and on-run-end hooks run their run_query() and statement queries against the warehouse, each once, in order", async () => {
  await using p = await tempProject(project("{{ audit(results) }}"));
  const db = join(p.root, "shop.duckdb");
  const first = await runCli(["--project", p.root, "build"]);
  assert.equal(first.code, 1, first.stdout + first.stderr); // broken.sql errors
  assert.deepEqual(await queryRows(db, "select node, status from main.audit_log order by node"), [
    { node: "broken", status: "error" },
    { node: "orders", status: "success" },
  ]);
  // The count the hook read back is the rows its own inserts made: each ran once.
  assert.deepEqual(await queryRows(db, "select n from main.audited"), [{ n: 2 }]);
  assert.match(first.stderr, /^audited 2 nodes$/m);
  assert.deepEqual(await queryRows(db, "select n from main.seen_starts"), [{ n: 1 }]);

  // A second run: on-run-start's insert ran once more, and load_result() read it.
  const second = await runCli(["--project", p.root, "build", "-s", "orders"]);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.deepEqual(await queryRows(db, "select n from main.seen_starts"), [{ n: 2 }]);
  assert.deepEqual(await queryRows(db, "select n from main.audited"), [{ n: 3 }]);
});

Deno.test("dbt project: a query an on-run-end hook runs that fails fails the run after its summary, naming the hook's line, the query and DuckDB's message", async () => {
  await using p = await tempProject(
    project(`{% do run_query('insert into main.nowhere values (1)') %}select 1`),
  );
  const r = await runCli(["--project", p.root, "build", "-s", "orders"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /dbt_project\.yml:6:5: on-run-end cannot be rendered: a query it runs while it renders failed: Catalog Error: Table with name nowhere does not exist!/,
  );
  assert.match(r.stderr, /^ {2,}insert into main\.nowhere values \(1\)$/m);
  // What the nodes did is reported first, as on any run, then the hook's failure.
  assert.match(r.stdout, /^1 of 1 OK +model main\.orders /m);
  assert.match(r.stdout, /^Done in [\d.]+s: 1 ok, .*0 errored/m);
  // The nodes and on-run-start ran: what they did stays.
  assert.deepEqual(await queryRows(join(p.root, "shop.duckdb"), "select n from main.seen_starts"), [
    { n: 1 },
  ]);
});

Deno.test("dbt project: a model's post_hook calling run_query() renders in the model's build, reading the relation just built; a failing one fails the model and keeps the previous version", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
config-version: 2
on-run-start:
  - "create table if not exists main.row_counts (model varchar, n integer)"
`,
    "macros/count_rows.sql": `{% macro count_rows(relation) %}
  {% set n = run_query("select count(*) from " ~ relation).rows[0][0] %}
  insert into main.row_counts values ('{{ relation.identifier }}', {{ n }})
{% endmacro %}
{% macro count_missing(relation) %}
  {% do run_query("select count(*) from main.missing_table") %}
{% endmacro %}
`,
    "models/orders.sql": `{{ config(materialized='table', post_hook="{{ count_rows(this) }}") }}
select * from range(3) t(id)
`,
  });
  const db = join(p.root, "shop.duckdb");
  const built = await runCli(["--project", p.root, "build"]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  assert.deepEqual(await queryRows(db, "select model, n from main.row_counts"), [
    { model: "orders", n: 3 },
  ]);
  const compiled = await runCli(["--project", p.root, "compile", "orders"]);
  assert.match(
    compiled.stdout,
    /-- post_hook\n-- \(rendered as it runs, against the warehouse\)\n\{\{ count_rows\(this\) \}\}/,
  );

  await p.write(
    "models/orders.sql",
    `{{ config(materialized='table', post_hook="{{ count_missing(this) }}") }}
select * from range(5) t(id)
`,
  );
  const failed = await runCli(["--project", p.root, "build"]);
  assert.equal(failed.code, 1, failed.stdout + failed.stderr);
  assert.match(
    failed.stdout + failed.stderr,
    /models\/orders\.sql:1:43: post_hook of main\.orders cannot be rendered: a query it runs while it renders failed \(in macro count_missing, macros\/count_rows\.sql:6\): Catalog Error: Table with name missing_table does not exist!/,
  );
  // The query is not in the run file: the message does not send the reader there.
  assert.doesNotMatch(failed.stdout + failed.stderr, /target\/run/);
  // The hook ran in the build's transaction: the table of 3 rows stays.
  assert.deepEqual(await queryRows(db, "select count(*)::int as n from main.orders"), [{ n: 3 }]);
});
