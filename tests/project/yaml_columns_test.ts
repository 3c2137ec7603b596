/**
 * The columns a model's YAML names are checked against the columns its
 * SELECT gives, before anything runs, where the SELECT names each one: a
 * tested column and a relationships test's `field` that are none of them
 * are errors in a plain project (the test would fail as it ran), a
 * described one a warning; a dbt project, which accepts them, gets warnings
 * only. Through the CLI, on project folders and a DuckDB file.
 */
import assert from "node:assert/strict";
import { runCli, tempProject } from "../helpers.ts";

const SALES = {
  "models/staging/stg_sales.sql":
    "select s.txn_id, s.sku, s.sale_date\nfrom (select 1 as txn_id, 'a' as sku, date '2024-01-01' as sale_date) s",
  "models/staging/stg_products.sql": "select 'a' as sku, 'otc' as category",
  "models/staging/stg_events.sql": "select 1 as event_id",
};

Deno.test("a plain project: a tested YAML column or relationships field its model does not give is a compile error at its line, with the closest column; a described one a warning", async () => {
  await using p = await tempProject({
    ...SALES,
    "models/staging/staging.yml": `models:
  - name: stg_sales
    columns:
      - name: txn_id
        tests: [not_null]
      - name: sale_dat
        description: The day of the sale.
      - name: sku
        tests:
          - relationships: { to: staging.stg_products, field: skuu }
  - name: stg_events
    columns:
      - name: event_idd
        tests: [unique, not_null]
    tests:
      - not_null: { column_name: evnt_id }
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "compile"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.deepEqual(r.stderr.trim().split("\n"), [
    'warning: models/staging/staging.yml:6:15: models[0].columns[1].name: "sale_dat" is no column of staging.stg_sales (did you mean "sale_date"?): its description documents no column',
    "error: Cannot compile the project: 3 problems found (nothing was run):",
    '  models/staging/staging.yml:10:13: Test "relationships_stg_sales_sku__staging_stg_products": relationships field "skuu" is no column of staging.stg_products (did you mean "sku"?)',
    '  models/staging/staging.yml:13:15: models[1].columns[0].name: "event_idd" is no column of staging.stg_events (did you mean "event_id"?): its tests would fail when run',
    '  models/staging/staging.yml:16:9: Test "not_null_stg_events_evnt_id": "evnt_id" is no column of staging.stg_events (did you mean "event_id"?)',
  ]);

  // Mended, the described column alone warns, and the build runs.
  await p.write(
    "models/staging/staging.yml",
    `models:
  - name: stg_sales
    columns:
      - name: sale_dat
        description: The day of the sale.
      - name: sku
        tests:
          - relationships: { to: staging.stg_products, field: sku }
`,
  );
  const built = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  assert.match(
    built.stderr,
    /^warning: models\/staging\/staging\.yml:4:15: models\[0\]\.columns\[0\]\.name: "sale_dat" is no column of staging\.stg_sales \(did you mean "sale_date"\?\)/m,
  );
});

Deno.test("a plain project: YAML columns of a model whose SELECT has a * are not judged, nor a relationships field of such a model", async () => {
  await using p = await tempProject({
    ...SALES,
    "models/marts/sales.sql": "select * from staging.stg_sales",
    "models/marts/products.sql": "select * from staging.stg_products",
    "models/marts/marts.yml": `models:
  - name: sales
    columns:
      - name: sale_date
        description: The day of the sale.
      - name: sku
        tests:
          - not_null
          - relationships: { to: marts.products, field: sku }
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stderr, /no column/);
});

Deno.test("a dbt project: a YAML column or relationships field its model does not give is a warning (dbt accepts it), with its line and the closest column", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\n",
    "profiles.yml":
      "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n",
    "models/staging/stg_customers.sql": "select 1 as customer_id",
    "models/staging/stg_orders.sql": "select 1 as order_id, 1 as customer_id",
    "models/staging/staging.yml": `version: 2
models:
  - name: stg_orders
    columns:
      - name: order_idd
        data_tests: [unique]
      - name: customr_id
        description: Who ordered.
      - name: customer_id
        data_tests:
          - relationships:
              to: ref('stg_customers')
              field: customer_idd
`,
  });
  const r = await runCli(["--project", p.root, "compile"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const warnings = r.stderr.trim().split("\n").filter((l) => l.startsWith("warning:"));
  assert.deepEqual(warnings, [
    'warning: models/staging/staging.yml:5:15: models[0].columns[0].name: "order_idd" is no column of main.stg_orders (did you mean "order_id"?): its tests would fail when run',
    'warning: models/staging/staging.yml:7:15: models[0].columns[1].name: "customr_id" is no column of main.stg_orders (did you mean "customer_id"?): its description documents no column',
    'warning: models/staging/staging.yml:11:13: Test "relationships_stg_orders_customer_id__customer_idd__ref_stg_customers_": relationships field "customer_idd" is no column of main.stg_customers (did you mean "customer_id"?)',
  ]);
});
