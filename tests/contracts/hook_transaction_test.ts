/**
 * Hooks in dbt's mapping form, `{ sql, transaction: false }`, end to end
 * through the CLI on a DuckDB file, in a plain-SQL project and a dbt
 * project (properties, `config()` with `before_begin()`/`after_commit()`,
 * and `+pre-hook`/`+post-hook` in dbt_project.yml): they run outside the
 * build's transaction, before it begins and after it commits, as
 * dbt-duckdb runs them, so a failed build keeps what ran before it.
 */
import assert from "node:assert/strict";
import { runCli, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

/** A hook recording `note` in main.audit, numbered in the order the hooks ran. */
function note(what: string): string {
  return `insert into main.audit select '${what}', count(*) from main.audit`;
}

const PLAIN_YML = `models:
  - name: orders
    config:
      materialized: table
      pre_hook:
        - { sql: "${note("before begin")}", transaction: false }
        - "${note("pre, inside")}"
      post_hook:
        - sql: "${note("after commit")}"
          transaction: false
        - "${note("post, inside")}"
`;

/** What main.audit holds: the notes, in the order they were written. */
async function audit(db: string): Promise<string[]> {
  return (await query(db, "select what from main.audit order by n")).map((r) => String(r.what));
}

Deno.test("plain SQL: hooks with transaction: false run before the build's transaction and after its commit", async () => {
  await using p = await tempProject({
    "wharf.config.ts":
      'export default { onRunStart: "create table if not exists main.audit (what varchar, n integer)" };\n',
    "models/marts/orders.sql": "select 1 as id",
    "models/marts/marts.yml": PLAIN_YML,
  });
  const build = (code: number) =>
    runCli(["--project", p.root, "--db", p.db, "build"]).then((out) => {
      assert.equal(out.code, code, out.stdout + out.stderr);
      return out;
    });
  await build(0);
  assert.deepEqual(await audit(p.db), [
    "before begin",
    "pre, inside",
    "post, inside",
    "after commit",
  ]);
  const compiled = await runCli(["--project", p.root, "compile", "orders"]);
  assert.match(
    compiled.stdout,
    /-- pre_hook, transaction: false \(before the build's transaction\)\ninsert into main\.audit select 'before begin'[^]*-- pre_hook\ninsert[^]*CREATE[^]*-- post_hook\ninsert[^]*-- post_hook, transaction: false \(after the build commits\)\ninsert into main\.audit select 'after commit'/,
  );

  // A failing build rolls back what ran in its transaction, not what ran before it began.
  await query(p.db, "delete from main.audit");
  await p.write("models/marts/orders.sql", "select error('no orders today') as id");
  const failed = await build(1);
  assert.match(failed.stdout, /no orders today/);
  assert.deepEqual(await audit(p.db), ["before begin"]);

  // A post-hook after the commit fails the model; the table it built stays.
  await query(p.db, "delete from main.audit");
  await p.write("models/marts/orders.sql", "select 2 as id");
  await p.write(
    "models/marts/marts.yml",
    PLAIN_YML.replace(note("after commit"), "select error('audit is down')"),
  );
  const after = await build(1);
  assert.match(
    after.stdout,
    /post_hook \(transaction: false\) of marts\.orders failed: .*audit is down/,
  );
  assert.deepEqual(await query(p.db, "select id from marts.orders"), [{ id: 2 }]);
  assert.deepEqual(await audit(p.db), ["before begin", "pre, inside", "post, inside"]);

  await p.write(
    "models/marts/marts.yml",
    PLAIN_YML.replace("transaction: false }", "transation: false }"),
  );
  const bad = await runCli(["--project", p.root, "ls"]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /marts\.yml:6:\d+: models\[0\]\.config\.pre_hook\[0\]\.transation: unknown key "transation" in a hook \(did you mean "transaction"\?\)/,
  );
});

Deno.test("dbt project: +pre-hook/+post-hook mappings, before_begin() and after_commit() run outside the build's transaction", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
config-version: 2
on-run-start: "create table if not exists main.audit (what varchar, n integer)"
on-run-end: "${note("{{ project_name }}, on-run-end")}"
models:
  shop:
    +pre-hook:
      - sql: "${note("project, before begin")}"
        transaction: false
      - "${note("project, pre inside")}"
    +post-hook: { sql: "${note("project, after commit")}", transaction: false }
`,
    "models/orders.sql": `{{ config(
    materialized='table',
    pre_hook=before_begin("${note("{{ this.name }}, before begin")}"),
    post_hook=[after_commit("${note("{{ this.name }}, after commit")}"), "${note("post inside")}"],
) }}
select 1 as id
`,
    "models/orders.yml": `models:
  - name: orders
    config:
      post_hook: { sql: "${note("properties, post inside")}", transaction: true }
`,
  });
  const out = await runCli(["--project", p.root, "build"]);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  // dbt's order: the hooks outside first, each level's in turn; then those inside.
  assert.deepEqual(await audit(`${p.root}/shop.duckdb`), [
    "project, before begin",
    "orders, before begin",
    "project, pre inside",
    "properties, post inside",
    "post inside",
    "project, after commit",
    "orders, after commit",
    "shop, on-run-end", // rendered as SQL, not escaped as YAML text would be
  ]);
  const manifest = JSON.parse(await Deno.readTextFile(`${p.root}/target/manifest.json`));
  assert.equal(manifest.nodes["model.shop.orders"].resource_type, "model");

  await p.write(
    "models/orders.yml",
    `models:\n  - name: orders\n    config:\n      post_hook: { sql: "select 1", transaction: "no" }\n`,
  );
  const bad = await runCli(["--project", p.root, "ls"]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /orders\.yml:\d+:\d+: models\[0\]\.config\.post_hook: expected "transaction" to be true or false, got "no"/,
  );
});
