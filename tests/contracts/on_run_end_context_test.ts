/**
 * dbt's on-run-end context (`results`, `schemas`, `database_schemas`),
 * through the CLI on a DuckDB file: wharf renders hooks before the run, so
 * a hook reading them is refused before anything runs, naming each one and
 * the query of wharf.run_results that gives the run's results instead, and
 * that query works in an on-run-end hook.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const AUDIT =
  "create or replace table main.run_audit as select node_id, status from wharf.run_results where run_id = (select run_id from wharf.runs where ended_at is null)";

Deno.test("dbt project: an on-run-end hook reading results, schemas or database_schemas is an error naming them; wharf.run_results gives the run's results", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
config-version: 2
on-run-end:
  - "{% for r in results %}insert into main.audit values ('{{ r.node.unique_id }}');{% endfor %}"
  - "select '{{ schemas | join(',') }}', '{{ database_schemas }}', 'results'"
  - "select 'no context here: results, schemas'"
`,
    "models/orders.sql": "select 1 as id",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const refused = await cli("build");
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(
    refused.stderr,
    /dbt_project\.yml: on-run-end hook \(\{% for r in results %\}.*\) uses "results", which wharf does not give: it renders hooks before the run/,
  );
  assert.match(
    refused.stderr,
    /dbt_project\.yml: on-run-end hook \(select '\{\{ schemas .*\) uses "schemas", "database_schemas", which wharf does not give: .*read them from the warehouse instead, e\.g\. select node_id, status, duration_ms, message from wharf\.run_results where run_id = \(select run_id from wharf\.runs where ended_at is null\)/,
  );
  // Words in SQL text or Jinja strings are not the context.
  assert.match(refused.stderr, /2 problems found/);
  assert.doesNotMatch(refused.stdout, /OK\s+model/);

  // What the message suggests works in on-run-end: the run's nodes, with their status.
  await p.write(
    "dbt_project.yml",
    `name: shop\nconfig-version: 2\non-run-end:\n  - "${AUDIT}"\n`,
  );
  const built = await cli("build");
  assert.equal(built.code, 0, built.stdout + built.stderr);
  assert.deepEqual(
    await queryRows(join(p.root, "shop.duckdb"), "select node_id, status from main.run_audit"),
    [{ node_id: "main.orders", status: "success" }],
  );
});
