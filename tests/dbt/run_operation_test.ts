/**
 * `wharf run-operation`: dbt's run-operation, a macro of a dbt project
 * called against the warehouse. Through the CLI, on a real warehouse file
 * of a small project of the test's own.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, SHOP_PROFILE, tempProject } from "../helpers.ts";

const FILES = {
  "dbt_project.yml": `name: shop
config-version: 2
profile: shop
`,
  "profiles.yml": SHOP_PROFILE,
  "models/orders.sql": `select * from (values (1, 'placed'), (2, 'shipped')) as t(id, status)`,
  "macros/audit.sql": `{% macro record_event(event, times=1) %}
{% do run_query("create table if not exists audit (event varchar, n integer)") %}
{% for i in range(times) %}
{% call statement('insert_' ~ i) %}insert into audit values ('{{ event }}', {{ i }}){% endcall %}
{% endfor %}
select 'what a macro renders is not run' as nothing from nowhere
{% endmacro %}

{% macro prune_audit(keep) %}
{% set n = run_query("select count(*) from audit").rows[0][0] %}
{% if n > keep %}
{% do run_query("delete from audit where n >= " ~ keep) %}
{{ log("pruned " ~ (n - keep) ~ " of " ~ n ~ " audit rows", info=True) }}
{% else %}
{{ log("nothing to prune: " ~ n ~ " audit rows", info=True) }}
{% endif %}
{{ log("not printed without info=True") }}
{% endmacro %}

{% macro broken() %}
{% do run_query("select nothing_here from " ~ ref('orders')) %}
{% endmacro %}`,
};

Deno.test("run-operation calls a macro with --args, and the rows it inserts are in the warehouse", async () => {
  await using p = await tempProject(FILES);
  const r = await runCli([
    "--project",
    p.root,
    "run-operation",
    "record_event",
    "--args",
    "{event: signup, times: 3}",
  ]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const db = join(p.root, "dev.duckdb");
  const rows = await queryRows(db, "select event, n from main.audit order by n");
  assert.deepEqual(rows.map((row) => [row.event, Number(row.n)]), [
    ["signup", 0],
    ["signup", 1],
    ["signup", 2],
  ]);
  // package.macro names the project's macro too; it is recorded in the run log.
  const again = await runCli([
    "--project",
    p.root,
    "run-operation",
    "shop.record_event",
    "--args",
    "{event: login}",
  ]);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  assert.equal((await queryRows(db, "select * from main.audit")).length, 4);
  const runs = await queryRows(db, "select command, status, args from wharf.runs");
  assert.deepEqual(runs.map((run) => [run.command, run.status]), [
    ["run-operation", "success"],
    ["run-operation", "success"],
  ]);
  assert.match(String(runs[0]!.args), /"macro":"record_event"/);
});

Deno.test("run-operation: a macro deciding by run_query()'s result prints its log(info=True) lines on stdout", async () => {
  await using p = await tempProject(FILES);
  const args = ["--project", p.root, "run-operation"];
  const made = await runCli([...args, "record_event", "--args", "{event: e, times: 5}"]);
  assert.equal(made.code, 0, made.stderr + made.stdout);
  const pruned = await runCli([...args, "prune_audit", "--args", "{keep: 2}"]);
  assert.equal(pruned.code, 0, pruned.stderr + pruned.stdout);
  assert.equal(pruned.stdout, "pruned 3 of 5 audit rows\n");
  assert.doesNotMatch(pruned.stderr, /not printed/);
  const rows = await queryRows(join(p.root, "dev.duckdb"), "select n from main.audit order by n");
  assert.deepEqual(rows.map((row) => Number(row.n)), [0, 1]);
  const none = await runCli([...args, "prune_audit", "--args", "{keep: 2}"]);
  assert.equal(none.code, 0, none.stderr + none.stdout);
  assert.equal(none.stdout, "nothing to prune: 2 audit rows\n");
  // --quiet leaves out what it logs, as dbt's does.
  const quiet = await runCli(["-q", ...args, "prune_audit", "--args", "{keep: 2}"]);
  assert.equal(quiet.code, 0, quiet.stderr + quiet.stdout);
  assert.equal(quiet.stdout, "");
});

Deno.test("run-operation of an unknown macro exits 2 with a suggestion", async () => {
  await using p = await tempProject(FILES);
  const r = await runCli(["--project", p.root, "run-operation", "record_evnt"]);
  assert.equal(r.code, 2, r.stderr + r.stdout);
  assert.equal(
    r.stderr.trim(),
    'error: Cannot run operation "record_evnt": no macro "record_evnt" in the project (did you mean "record_event"?)',
  );
  const pkg = await runCli(["--project", p.root, "run-operation", "shp.record_event"]);
  assert.equal(pkg.code, 2, pkg.stderr + pkg.stdout);
  assert.match(pkg.stderr, /no package "shp" in the project \(did you mean "shop"\?\)/);
});

Deno.test("run-operation with --args that is not YAML, or not a mapping, exits 2 naming it", async () => {
  await using p = await tempProject(FILES);
  const args = ["--project", p.root, "run-operation", "record_event", "--args"];
  const bad = await runCli([...args, "{event: [}"]);
  assert.equal(bad.code, 2, bad.stderr + bad.stdout);
  assert.match(bad.stderr, /^error: Invalid --args '\{event: \[\}': not YAML \(.+\)/);
  const list = await runCli([...args, "[signup]"]);
  assert.equal(list.code, 2, list.stderr + list.stdout);
  assert.match(list.stderr, /Invalid --args '\[signup\]': expected a mapping/);
});

Deno.test("run-operation whose query fails exits 1 naming the macro, DuckDB's message and the query", async () => {
  await using p = await tempProject(FILES);
  const build = await runCli(["--project", p.root, "build"]);
  assert.equal(build.code, 0, build.stderr + build.stdout);
  const r = await runCli(["--project", p.root, "run-operation", "broken"]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(
    r.stderr,
    /error: Operation broken failed: macro broken \(defined at macros\/audit\.sql:20\): a query it runs while it renders failed: Binder Error: Referenced column "nothing_here" not found/,
  );
  assert.match(r.stderr, /select nothing_here from "main"\."orders"/);
  const runs = await queryRows(
    join(p.root, "dev.duckdb"),
    "select status from wharf.runs where command = 'run-operation'",
  );
  assert.deepEqual(runs.map((run) => run.status), ["error"]);
});

Deno.test("run-operation in a plain-SQL project is an error saying it is for dbt projects' macros", async () => {
  await using p = await tempProject({ "models/marts/members.sql": "select 1 as id" });
  const r = await runCli(["--project", p.root, "run-operation", "anything"]);
  assert.equal(r.code, 2, r.stderr + r.stdout);
  assert.match(
    r.stderr,
    /run-operation calls a macro of a dbt project \(one with dbt_project\.yml\)/,
  );
});

Deno.test("wharf run-operation --help documents the macro and --args", async () => {
  const r = await runCli(["run-operation", "--help"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Usage: wharf run-operation \[options\] <macro>/);
  assert.match(r.stdout, /--args <yaml>/);
  assert.match((await runCli(["--help"])).stdout, /\n {2}run-operation /);
});

Deno.test("run-operation with an argument the macro does not take, or without one it needs, exits 2 naming it and the macro's arguments", async () => {
  await using p = await tempProject(FILES);
  const args = ["--project", p.root, "run-operation"];
  const typo = await runCli([...args, "prune_audit", "--args", "{kep: 3}"]);
  assert.equal(typo.code, 2, typo.stderr + typo.stdout);
  assert.equal(
    typo.stderr.trim(),
    'error: Cannot run operation "prune_audit": unknown argument "kep" in --args (did you mean "keep"?): prune_audit takes keep (macros/audit.sql:9)',
  );
  assert.doesNotMatch(typo.stderr, /__wharf_args/);
  const none = await runCli([...args, "broken", "--args", "{n: 1}"]);
  assert.equal(none.code, 2, none.stderr + none.stdout);
  assert.match(none.stderr, /unknown argument "n" in --args: broken takes no arguments/);
  const missing = await runCli([...args, "record_event", "--args", "{times: 2}"]);
  assert.equal(missing.code, 2, missing.stderr + missing.stdout);
  assert.equal(
    missing.stderr.trim(),
    `error: Cannot run operation "record_event": argument "event" not given: record_event takes event, times=1 (macros/audit.sql:1); pass it in --args '{event: …}'`,
  );
});
