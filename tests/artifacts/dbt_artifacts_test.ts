/**
 * dbt's artifacts (target/manifest.json, run_results.json, catalog.json),
 * written by the real CLI for the jaffle shop in dbt's layout and in plain
 * SQL, validate against dbt's published schemas and say what happened.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../helpers.ts";
import { jaffleProject } from "./projects.ts";
import { readValid } from "./dbt_schemas.ts";

Deno.test("a dbt project's build, ls, compile and docs build write valid manifest, run results and catalog", async () => {
  await using p = await jaffleProject("dbt_jaffle_shop");
  const target = join(p.root, "target");
  const built = await runCli(["--project", p.root, "build"]);
  assert.equal(built.code, 0, built.stdout + built.stderr);

  const manifest = await readValid(target, "manifest");
  assert.equal(manifest.metadata.project_name, "jaffle");
  assert.equal(manifest.metadata.adapter_type, "duckdb");
  const orders = manifest.nodes["model.jaffle.orders"];
  assert.equal(orders.resource_type, "model");
  assert.equal(orders.original_file_path, "transform/marts/orders.sql");
  assert.equal(orders.path, "marts/orders.sql");
  assert.deepEqual(orders.fqn, ["jaffle", "marts", "orders"]);
  assert.equal(orders.schema, "main");
  assert.equal(orders.relation_name, '"jaffle"."main"."orders"');
  assert.equal(orders.config.materialized, "table");
  assert.deepEqual(orders.depends_on.nodes.sort(), [
    "model.jaffle.int_order_payments",
    "model.jaffle.stg_orders",
  ]);
  // The Jinja as written, the SQL as run, the macros it calls (and theirs).
  assert.match(orders.raw_code, /\{\{ ref\('stg_orders'\) \}\}/);
  assert.match(orders.compiled_code, /from "main_staging"\."stg_orders"/);
  assert.match(orders.checksum.checksum, /^[0-9a-f]{64}$/);
  const payments = manifest.nodes["model.jaffle.int_order_payments"];
  assert.equal(payments.config.materialized, "ephemeral");
  assert.ok(payments.depends_on.macros.includes("macro.jaffle.payment_methods"));
  assert.ok(manifest.macros["macro.jaffle.cents_to_dollars"].macro_sql.startsWith("{% macro"));
  assert.deepEqual(manifest.nodes["model.jaffle.stg_payments"].depends_on.macros, [
    "macro.jaffle.cents_to_dollars",
    "macro.jaffle.default__cents_to_dollars",
    "macro.jaffle.duckdb__cents_to_dollars",
  ]);
  const seed = manifest.nodes["seed.jaffle.raw_orders"];
  assert.equal(seed.schema, "main_raw_data");
  assert.deepEqual(seed.config.column_types, { order_date: "date" });
  // A generic test knows its model and column; a singular test its file.
  const rel =
    manifest.nodes["test.jaffle.relationships_orders_customer_id__customer_id__ref_customers_"];
  assert.equal(rel.attached_node, "model.jaffle.orders");
  assert.equal(rel.column_name, "customer_id");
  assert.equal(rel.test_metadata.name, "relationships");
  assert.deepEqual(rel.depends_on.nodes.sort(), ["model.jaffle.customers", "model.jaffle.orders"]);
  assert.equal(
    manifest.nodes["test.jaffle.assert_order_amounts_add_up"].original_file_path,
    "tests/assert_order_amounts_add_up.sql",
  );
  assert.deepEqual(manifest.parent_map["model.jaffle.stg_orders"], ["seed.jaffle.raw_orders"]);
  assert.ok(manifest.child_map["model.jaffle.customers"].includes(
    "test.jaffle.relationships_orders_customer_id__customer_id__ref_customers_",
  ));

  const results = await readValid(target, "run_results");
  assert.equal(results.metadata.invocation_id, manifest.metadata.invocation_id);
  assert.equal(results.args.which, "build");
  assert.equal(results.results.length, 3 + 5 + 15); // the ephemeral model is not built, nor counted
  const byId = new Map(
    results.results.map((r: { unique_id: string }) => [r.unique_id, r]),
  ) as Map<string, Record<string, unknown>>;
  assert.equal(byId.get("model.jaffle.customers")!.status, "success");
  assert.equal(byId.get("model.jaffle.customers")!.relation_name, '"jaffle"."main"."customers"');
  assert.equal(byId.get("test.jaffle.unique_customers_customer_id")!.status, "pass");
  assert.equal(byId.get("test.jaffle.unique_customers_customer_id")!.failures, 0);

  // ls and compile write the manifest too; docs build adds the catalog.
  await Deno.remove(join(target, "manifest.json"));
  const ls = await runCli(["--project", p.root, "ls"]);
  assert.equal(ls.code, 0, ls.stderr);
  await readValid(target, "manifest");
  await Deno.remove(join(target, "manifest.json"));
  const compiled = await runCli(["--project", p.root, "compile", "orders"]);
  assert.equal(compiled.code, 0, compiled.stderr);
  await readValid(target, "manifest");
  const docs = await runCli(["--project", p.root, "docs", "build"]);
  assert.equal(docs.code, 0, docs.stderr);
  const catalog = await readValid(target, "catalog");
  const customers = catalog.nodes["model.jaffle.customers"];
  assert.equal(customers.metadata.type, "BASE TABLE");
  assert.equal(customers.metadata.schema, "main");
  assert.equal(customers.columns.customer_id.index, 1);
  assert.equal(customers.columns.customer_id.type, "INTEGER");
  assert.equal(catalog.nodes["model.jaffle.stg_orders"].metadata.type, "VIEW");
  assert.equal(catalog.nodes["model.jaffle.int_order_payments"], undefined);
});

Deno.test("run_results.json records a failing test, an errored model and what was skipped because of it", async () => {
  await using p = await jaffleProject("dbt_jaffle_shop");
  await p.write(
    "transform/marts/broken.sql",
    "select * from read_csv('no_such_file.csv'), {{ ref('stg_orders') }}",
  );
  await p.write("transform/marts/after_broken.sql", "select * from {{ ref('broken') }}");
  await p.write("tests/assert_no_customers.sql", "select * from {{ ref('customers') }}");
  const built = await runCli(["--project", p.root, "build"]);
  assert.equal(built.code, 1, built.stdout + built.stderr);
  const results = await readValid(join(p.root, "target"), "run_results");
  const status = Object.fromEntries(
    results.results.map((r: { unique_id: string; status: string }) => [r.unique_id, r.status]),
  );
  assert.equal(status["model.jaffle.broken"], "error");
  assert.equal(status["model.jaffle.after_broken"], "skipped");
  assert.equal(status["test.jaffle.assert_no_customers"], "fail");
  assert.equal(status["model.jaffle.customers"], "success");
  const failing = results.results.find((r: { unique_id: string }) =>
    r.unique_id === "test.jaffle.assert_no_customers"
  );
  assert.equal(failing.failures, 100);
  const broken = results.results.find((r: { unique_id: string }) =>
    r.unique_id === "model.jaffle.broken"
  );
  assert.match(broken.message, /no_such_file\.csv/);
});

Deno.test("a plain-SQL project writes valid dbt artifacts: sources, macros, layers as folders", async () => {
  await using p = await jaffleProject("dbt_jaffle_shop_plain");
  await p.write("sql/macros/money.sql", "CREATE OR REPLACE MACRO dollars(c) AS c / 100;\n");
  await p.write(
    "models/marts/order_dollars.sql",
    "select order_id, dollars(amount) as amount from marts.orders",
  );
  const built = await runCli(["--project", p.root, "build"]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const target = join(p.root, "target");
  const manifest = await readValid(target, "manifest");
  const name = manifest.metadata.project_name;
  const node = manifest.nodes[`model.${name}.order_dollars`];
  assert.deepEqual(node.fqn, [name, "marts", "order_dollars"]);
  assert.equal(node.original_file_path, "models/marts/order_dollars.sql");
  assert.equal(node.schema, "marts");
  assert.equal(node.database, "jaffle");
  assert.deepEqual(node.depends_on, {
    macros: [`macro.${name}.dollars`],
    nodes: [`model.${name}.orders`],
  });
  assert.equal(manifest.nodes[`seed.${name}.raw_orders`].fqn.join("."), `${name}.seeds.raw_orders`);
  await readValid(target, "run_results");
  const docs = await runCli(["--project", p.root, "docs", "build"]);
  assert.equal(docs.code, 0, docs.stderr);
  const catalog = await readValid(target, "catalog");
  assert.deepEqual(Object.keys(catalog.nodes[`model.${name}.order_dollars`].columns), [
    "order_id",
    "amount",
  ]);
});
