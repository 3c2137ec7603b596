/**
 * `wharf compile` as dbt users run it: without a node it writes the
 * compiled SQL of every node (or a selection) and of the analyses under
 * target/; `compile <analysis>` prints one; `--inline` SQL is compiled
 * (`compile`) or previewed (`show`) against the project. Through the CLI on
 * a real DuckDB file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempProject } from "../helpers.ts";

const SHOP = {
  "dbt_project.yml": "name: shop\nvars:\n  min_amount: 5\n",
  "models/orders.sql": "select * from (values (1, 4), (2, 9)) t(id, amount)",
  "models/big_orders.sql":
    "select * from {{ ref('orders') }} where amount > {{ var('min_amount') }}",
  "analyses/order_count.sql": "select count(*) as n from {{ ref('big_orders') }}",
};

Deno.test("compile without a node writes every node's and every analysis' compiled SQL; -s compiles a selection", async () => {
  await using p = await tempProject(SHOP);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  let r = await cli("compile");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Compiled 2 nodes and 1 analysis into target\//);
  const text = (path: string) => Deno.readTextFile(join(p.root, "target", path));
  assert.equal(
    await text("compiled/shop/analyses/order_count.sql"),
    'select count(*) as n from "main"."big_orders"\n',
  );
  assert.match(await text("compiled/shop/models/big_orders.sql"), /where amount > 5/);
  // The analysis, by name, with --vars.
  r = await cli("compile", "order_count");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'select count(*) as n from "main"."big_orders"\n');
  // A selection compiles its nodes only.
  await Deno.remove(join(p.root, "target"), { recursive: true });
  r = await cli("compile", "-s", "big_orders", "--vars", "min_amount=1");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Compiled 1 node into target\//);
  assert.match(await text("compiled/shop/models/big_orders.sql"), /where amount > 1/);
  await assert.rejects(() => text("compiled/shop/models/orders.sql"), Deno.errors.NotFound);
  r = await cli("compile", "orders", "-s", "orders");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /compile takes a node, a selection .* or --inline, one of them/);
});

Deno.test("--inline SQL: compile renders it against the project, show previews its rows; what does not render names --inline", async () => {
  await using p = await tempProject(SHOP);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  assert.equal((await cli("run")).code, 0);
  let r = await cli("compile", "--inline", "select id from {{ ref('big_orders') }}");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'select id from "main"."big_orders"\n');
  // A variable only the --inline SQL reads is read: no warning.
  r = await cli("compile", "--inline", "select {{ var('m', 5) }} as m", "--vars", "m=15");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "select 15 as m\n");
  assert.equal(r.stderr, "");
  r = await cli(
    "--json",
    "show",
    "--inline",
    "select id, amount * 2 as twice from {{ ref('orders') }} order by id",
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).rows, [{ id: 1, twice: 8 }, { id: 2, twice: 18 }]);
  r = await cli("compile", "--inline", "select {{ nope() }}");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--inline:1: Cannot render the SQL: unknown macro or function "nope\(\)"/);
  // dbt's form, show --select <node>.
  r = await cli("--json", "show", "-s", "big_orders");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).rows, [{ id: 2, amount: 9 }]);
  r = await cli("show");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /show needs a node \(show orders\) or --inline SQL/);
  r = await cli("show", "--inline", "select * from no_such_table");
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /Cannot preview the --inline SQL: Catalog Error: Table with name no_such_table/,
  );
});

Deno.test("compile and show take a model by its name when an alias names its relation, and by the alias", async () => {
  await using p = await tempProject({
    ...SHOP,
    "models/marts/rpt_high_copay.sql":
      "{{ config(alias='high_copay_claims') }}select id from {{ ref('orders') }} where amount > 8",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  assert.equal((await cli("run")).code, 0);
  for (const args of [["rpt_high_copay"], ["-s", "rpt_high_copay"], ["high_copay_claims"]]) {
    const r = await cli("--json", "show", ...args);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).rows, [{ id: 2 }]);
  }
  const r = await cli("compile", "rpt_high_copay");
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /"main"\."high_copay_claims" AS\nselect id from "main"\."orders" where amount > 8/,
  );
});

Deno.test("a plain-SQL project's show --inline runs the SQL as it is", async () => {
  await using p = await tempProject({
    "models/staging/people.sql": "select 1 as id, 'ann' as name",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  assert.equal((await cli("run")).code, 0);
  const r = await cli("--json", "show", "--inline", "select name from staging.people");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).rows, [{ name: "ann" }]);
  // Jinja is a dbt project's: named, with the plain-SQL way to write it.
  const jinja = await cli("show", "--inline", "select name from {{ ref('people') }}");
  assert.equal(jinja.code, 2, jinja.stdout);
  assert.match(
    jinja.stderr,
    /--inline: The SQL holds Jinja: plain-SQL models name relations as schema\.name \(write ref\('people'\) as staging\.people\)/,
  );
});
