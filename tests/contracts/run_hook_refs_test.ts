/**
 * ref() and source() in a dbt project's on-run-start/on-run-end hooks,
 * through the CLI on a DuckDB file: they give the relation, as for models,
 * whether the run selects the node or not; a hook that cannot be rendered
 * is named with its line in dbt_project.yml.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const PROJECT = `name: shop
config-version: 2
models:
  shop:
    marts:
      +schema: marts
on-run-start:
  - "create table if not exists main.run_log (hook varchar, n integer)"
  - "create table if not exists main.payments as select * from range(4)"
  - "insert into main.run_log select 'start', count(*) from {{ source('app', 'payments') }}"
on-run-end:
  - "insert into main.run_log select 'end', count(*) from {{ ref('orders') }}"
  - "{% if results | length > 0 %}insert into main.run_log select 'end {{ results | length }}', count(*) from {{ ref('shop', 'orders') }}{% endif %}"
`;

const FILES = {
  "dbt_project.yml": PROJECT,
  "models/sources.yml": `version: 2
sources:
  - name: app
    schema: main
    tables:
      - name: payments
`,
  "models/marts/orders.sql": "select * from (values (1), (2), (3)) as t(id)",
  "models/marts/order_ids.sql": "select id from {{ ref('orders') }}",
};

Deno.test("dbt project: ref() and source() in on-run-start/on-run-end give the relation, for a model the run does not select too", async () => {
  await using p = await tempProject(FILES);
  const db = join(p.root, "shop.duckdb");
  const built = await runCli(["--project", p.root, "run"]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  assert.deepEqual(await queryRows(db, "select hook, n from main.run_log order by hook"), [
    { hook: "end", n: 3 },
    { hook: "end 2", n: 3 },
    { hook: "start", n: 4 },
  ]);

  // A run of order_ids alone: ref('orders') in the hooks still gives marts' orders.
  const one = await runCli(["--project", p.root, "run", "-s", "order_ids"]);
  assert.equal(one.code, 0, one.stdout + one.stderr);
  assert.doesNotMatch(one.stdout, /model marts\.orders\b/);
  assert.deepEqual(
    await queryRows(db, "select hook, n from main.run_log where hook like 'end%' order by hook"),
    [{ hook: "end", n: 3 }, { hook: "end", n: 3 }, { hook: "end 1", n: 3 }, {
      hook: "end 2",
      n: 3,
    }],
  );
});

Deno.test("dbt project: an on-run-start or on-run-end hook that cannot be rendered is named with its line in dbt_project.yml and its text once, and nothing runs", async () => {
  await using p = await tempProject({
    ...FILES,
    "dbt_project.yml": PROJECT.replace(
      "{{ ref('orders') }}\"",
      "{{ ref('orderz') }}\"",
    ).replace(
      "from {{ source('app', 'payments') }}\"",
      "from {{ sourc('app', 'payments') }}\"",
    ),
  });
  const r = await runCli(["--project", p.root, "run"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  const lines = r.stderr.split("\n");
  const start = lines.filter((l) => l.includes("on-run-start"));
  assert.equal(start.length, 1, r.stderr);
  assert.match(
    start[0]!,
    /dbt_project\.yml:10:5: on-run-start 3 of 3 cannot be rendered: unknown macro or function "sourc\(\)": "insert into main\.run_log select 'start', count\(\*\) from \{\{ sourc\('app', 'payments'\) \}\}"$/,
  );
  assert.equal(start[0]!.split("insert into").length, 2, "the hook's text is shown once");
  assert.match(
    r.stderr,
    /dbt_project\.yml:12:5: on-run-end 1 of 2 cannot be rendered: ref\("orderz"\): no model or seed named "orderz" \(did you mean "orders"\?\): "insert into main\.run_log select 'end', count\(\*\) from \{\{ ref\('orderz'\) \}\}"/,
  );
  assert.match(r.stderr, /nothing was run/);
});
