/**
 * A failing hook names where it is written, first, through the CLI on a
 * DuckDB file: a model file's `{{ config(post_hook=…) }}`, a properties
 * file's `config:` (dbt and plain-SQL projects), a folder's `+post-hook:`
 * in dbt_project.yml; and, for a query an on-run-end hook runs through a
 * macro, the macro's line that holds the query, or the macros that run
 * queries when no one line does.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const PROJECT = `name: shop
config-version: 2
`;

/** A hook that fails at its line 2, column 8 (DuckDB's binder names the column). */
const BAD = "insert into main.audit\\nselect nothing_here";

/** Builds `p` and returns what it printed, the build having failed. */
async function failedBuild(root: string): Promise<string> {
  const r = await runCli(["--project", root, "build"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  return r.stdout + r.stderr;
}

Deno.test("dbt project: a failing post_hook set by config() in the model's file names the file, line and column of its value first", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      `${PROJECT}on-run-start: ["create table if not exists main.audit (n integer)"]\n`,
    "models/orders.sql": `-- orders
{{ config(
    materialized='table',
    post_hook="${BAD}",
) }}
select 1 as id
`,
  });
  const out = await failedBuild(p.root);
  assert.match(
    out,
    /models\/orders\.sql:4:15: post_hook of main\.orders failed at line 2, column 8: Binder Error: Referenced column "nothing_here" was not found/,
  );
  assert.match(out, /^ {2,}select nothing_here$/m);
});

Deno.test("dbt project: a failing hook from a properties file or dbt_project.yml names its line there, each hook of a merged list its own", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}models:
  shop:
    +materialized: table
    +post-hook:
      - "create table if not exists main.audit (n integer)"
      - "insert into main.audit select nothing_from_project"
`,
    "models/orders.sql": "select 1 as id",
    "models/schema.yml": `version: 2
models:
  - name: orders
    config:
      post_hook:
        - "insert into main.audit select count(*) from main.orders"
        - "insert into main.audit select nothing_from_properties"
`,
  });
  // dbt_project.yml's hooks run first, as dbt merges them: its failing one is named.
  assert.match(
    await failedBuild(p.root),
    /dbt_project\.yml:8:9: post_hook of main\.orders 2 of 4 failed at line 1, column \d+: Binder Error: Referenced column "nothing_from_project"/,
  );
  await p.write(
    "dbt_project.yml",
    `${PROJECT}models:
  shop:
    +materialized: table
    +post-hook: "create table if not exists main.audit (n integer)"
`,
  );
  assert.match(
    await failedBuild(p.root),
    /models\/schema\.yml:7:11: post_hook of main\.orders 3 of 3 failed at line 1, column \d+: Binder Error: Referenced column "nothing_from_properties"/,
  );
  // The hooks before it ran in the build's transaction: nothing of them stays.
  assert.deepEqual(
    await queryRows(
      join(p.root, "shop.duckdb"),
      "select count(*)::int as n from information_schema.tables where table_name = 'audit'",
    ),
    [{ n: 0 }],
  );
});

Deno.test("plain SQL: a failing pre_hook names its line in the layer's YAML", async () => {
  await using p = await tempProject({
    "models/marts/orders.sql": "select 1 as id",
    "models/marts/marts.yml": `models:
  - name: orders
    config:
      materialized: table
      pre_hook: "select nothing_here"
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout + r.stderr,
    /models\/marts\/marts\.yml:5:17: pre_hook of marts\.orders failed at line 1, column 8: Binder Error/,
  );
});

const FINISH = `{% macro finish() %}
  {% do run_query("create table if not exists main.done (n integer)") %}
  {% do run_query("insert into main.nowhere values (1)") %}
  select 1
{% endmacro %}

{% macro finish_each(tables) %}
  {% for t in tables %}
    {% do run_query("insert into " ~ t ~ " values (1)") %}
  {% endfor %}
  select 1
{% endmacro %}
`;

Deno.test("dbt project: a query an on-run-end hook runs through a macro that fails names the hook's line, then the macro's line holding the query", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}on-run-end:
  - "{{ finish() }}"
`,
    "macros/finish.sql": FINISH,
    "models/orders.sql": "select 1 as id",
  });
  const out = await failedBuild(p.root);
  assert.match(
    out,
    /dbt_project\.yml:4:5: on-run-end cannot be rendered: a query it runs while it renders failed \(in macro finish, macros\/finish\.sql:3\): Catalog Error: Table with name nowhere does not exist!/,
  );
  assert.match(out, /^ {2,}insert into main\.nowhere values \(1\)$/m);

  // A query no one line holds as it ran: the macros it reaches that run queries, not a line.
  await p.write(
    "dbt_project.yml",
    `${PROJECT}on-run-end:
  - "{{ finish_each(['main.nowhere']) }}"
`,
  );
  assert.match(
    await failedBuild(p.root),
    /dbt_project\.yml:4:5: on-run-end cannot be rendered: a query it runs while it renders failed \(run by macro finish_each \(macros\/finish\.sql:7\)\): Catalog Error: Table with name nowhere does not exist!/,
  );
});

Deno.test("dbt project: where a hook is written is no part of the manifest: a hook moved to another line is no state:modified change", async () => {
  const project = (before: string) =>
    `${PROJECT}${before}models:
  shop:
    +post-hook: "select 1"
`;
  await using p = await tempProject({
    "dbt_project.yml": project(""),
    "models/orders.sql": `{{ config(pre_hook="select 2") }}\nselect 1 as id`,
  });
  const ls = (...args: string[]) => runCli(["--project", p.root, "--json", "ls", ...args]);
  assert.equal((await ls()).code, 0);
  const manifest = await Deno.readTextFile(join(p.root, "target", "manifest.json"));
  const state = join(p.root, "prod");
  await Deno.mkdir(state);
  await Deno.writeTextFile(join(state, "manifest.json"), manifest);
  const orders = JSON.parse(manifest).nodes["model.shop.orders"];
  assert.deepEqual(orders.unrendered_config["post_hook"], [{ sql: "select 1", transaction: true }]);
  assert.equal(orders.unrendered_config["pre_hook"], "select 2"); // config()'s, as written

  await p.write("dbt_project.yml", project("# the hooks moved down a line\n"));
  const r = await ls("--state", state, "-s", "state:modified");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), []);
});

Deno.test("dbt project: a model's Jinja sees its hooks as dbt's (sql, transaction, index), not where wharf found them", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}models:
  shop:
    +materialized: table
    +pre-hook: "select 1"
`,
    "models/orders.sql": `{{ config(post_hook=["select 2", "select 3"]) }}
{% set post = config.get('post_hook') %}
{% set ns = namespace(seen=[post | length]) %}
{% for h in post + config.require('pre_hook') + model.config.pre_hook %}
{% set ns.seen = ns.seen + [h.keys() | sort | join('+'), h.sql, h.transaction, h.index is none] %}
{% endfor %}
select '{{ ns.seen | join(",") }}' as seen`,
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const [row] = await queryRows(join(p.root, "shop.duckdb"), "select * from main.orders");
  const hook = (sql: string) => `index+sql+transaction,${sql},True,True`;
  assert.equal(
    row!.seen,
    ["2", hook("select 2"), hook("select 3"), hook("select 1"), hook("select 1")].join(","),
  );
});
