/**
 * `wharf source freshness` through the CLI on real DuckDB files: a dbt
 * project's sources (thresholds inherited from the source, `freshness: null`,
 * `filter`), and a plain-SQL project's landed raw tables (`_landed_at` by
 * default, `_delivered_at` from the file name).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempProject } from "../helpers.ts";

const DBT_SOURCES = `sources:
  - name: shop
    schema: landing
    loaded_at_field: loaded_at
    freshness:
      warn_after: { count: 12, period: hour }
      error_after: { count: 1, period: day }
    tables:
      - name: orders
      - name: customers
        freshness:
          warn_after: { count: 1, period: hour }
      - name: payments
        freshness: null
      - name: refunds
        loaded_at_field: refunded_at
      - name: returns
        freshness:
          filter: kind = 'store'
      - name: gifts
`;

Deno.test("wharf source freshness on a dbt project: pass, warn, error, runtime error, exit 1", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "models/sources.yml": DBT_SOURCES,
    "models/stg_orders.sql": "select * from {{ source('shop', 'orders') }}",
    "seeds/codes.csv": "code\nA\n",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  assert.equal((await cli("seed")).code, 0);
  const setup = await cli(
    "sql",
    "--write",
    `create schema landing;
     create table landing.orders as select 1 as id, now()::TIMESTAMP - interval 3 hour as loaded_at;
     create table landing.customers as select 1 as id, now() - interval 2 hour as loaded_at;
     create table landing.payments as select 1 as id;
     create table landing.refunds as select 1 as id, now() - interval 3 hour as loaded_at;
     create table landing.returns as select * from (values ('store', now() - interval 30 hour), ('web', now())) t(kind, loaded_at);
     create table landing.gifts as select 1 as id, null::TIMESTAMP as loaded_at;`,
  );
  assert.equal(setup.code, 0, setup.stderr);

  const all = await cli("--json", "source", "freshness");
  assert.equal(all.code, 1, "an error and runtime errors exit 1");
  const results = JSON.parse(all.stdout) as { id: string; status: string; error?: string }[];
  assert.deepEqual(results.map((r) => [r.id, r.status]), [
    ["shop.orders", "pass"],
    ["shop.customers", "warn"],
    ["shop.refunds", "runtime error"],
    ["shop.returns", "error"],
    ["shop.gifts", "runtime error"],
  ]);
  assert.match(results[2]!.error!, /refunded_at/);
  assert.match(
    results[4]!.error!,
    /no row of landing\.gifts has a loaded_at: nothing has been loaded/,
  );

  const warn = await cli("source", "freshness", "-s", "source:shop.customers");
  assert.equal(warn.code, 0, "a warning exits 0");
  assert.match(
    warn.stdout,
    /^1 of 1 WARN +shop\.customers \(landing\.customers\): newest loaded_at \S+, 2 h old; warn after 1 hour, error after 1 day$/m,
  );
  const excluded = await cli(
    "--json",
    "source",
    "freshness",
    "--exclude",
    "source:shop.re*",
    "source:shop.gifts",
  );
  assert.equal(excluded.code, 0);
  assert.deepEqual(JSON.parse(excluded.stdout).map((r: { id: string }) => r.id), [
    "shop.orders",
    "shop.customers",
  ]);
  // As in dbt, a selector that matches nothing is a warning: nothing to check.
  const typo = await cli("source", "freshness", "-s", "source:shopp");
  assert.equal(typo.code, 0, typo.stdout + typo.stderr);
  assert.match(
    typo.stderr,
    /warning: The selection criterion "source:shopp" does not match any enabled nodes \(did you mean "source:shop"\?\)/,
  );
});

Deno.test("wharf source freshness on a plain-SQL project reads the lineage columns of landed raw tables", async () => {
  await using p = await tempProject({
    "wharf.config.ts": `export default {
  sources: [{ name: "visits", pattern: /^visits_(?<delivered_at>\\d{8}_\\d{6})\\.csv$/ }],
};
`,
    "models/staging/sources.yml": `sources:
  - name: hospital
    schema: raw
    freshness:
      error_after: { count: 2, period: day }
    tables:
      - name: visits
      - name: visits_by_delivery
        identifier: visits
        loaded_at_field: _delivered_at
`,
    "models/staging/stg_visits.sql": "select * from raw.visits",
    "in/visits_20240105_101500.csv": "visit_id,amount\n1,10\n2,20\n",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const before = await cli("source", "freshness");
  assert.equal(before.code, 1);
  assert.match(before.stderr, /Warehouse ".*warehouse\.duckdb" does not exist yet/);
  const land = await cli("land", join(p.root, "in"));
  assert.equal(land.code, 0, land.stderr);
  const r = await cli("--json", "source", "freshness");
  assert.equal(r.code, 1, r.stdout);
  const results = JSON.parse(r.stdout);
  assert.deepEqual(
    results.map((x: { id: string; status: string; loadedAtField: string }) => [
      x.id,
      x.status,
      x.loadedAtField,
    ]),
    [
      ["hospital.visits", "pass", "_landed_at"],
      ["hospital.visits_by_delivery", "error", "_delivered_at"],
    ],
  );
  assert.equal(results[1].maxLoadedAt, "2024-01-05T10:15:00.000Z");
  const bad = await tempProject({
    "models/staging/sources.yml":
      "sources:\n  - name: raw\n    tables:\n      - name: visits\n        tests: [unique]\n        freshness: { error_after: { count: 2, period: fortnight } }\n",
    "models/staging/a.sql": "select 1 as x",
  });
  await using _ = bad;
  const refused = await runCli(["--project", bad.root, "ls"]);
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /sources\[0\]\.tables\[0\]\.tests: "tests" in table "visits" of source "raw" is not read in a plain-SQL project/,
  );
  assert.match(
    refused.stderr,
    /sources\[0\]\.tables\[0\]\.freshness\.error_after\.period: expected one of minute, hour, day, got "fortnight"/,
  );
});

Deno.test("a table whose warn_after, as inherited from its source, is not shorter than its error_after is an error naming it", async () => {
  await using p = await tempProject({
    "models/staging/sources.yml": `sources:
  - name: hospital
    schema: raw
    freshness:
      warn_after: { count: 1, period: day }
      error_after: { count: 3, period: day }
    tables:
      - name: visits
      - name: late
        freshness:
          warn_after: { count: 7, period: day }
      - name: hours
        freshness:
          warn_after: { count: 48, period: hour }
`,
    "models/staging/a.sql": "select 1 as x",
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stderr,
    /sources\[0\]\.tables\[1\]\.freshness: warn_after \(7 day\) is not shorter than error_after \(3 day\)/,
  );
  assert.doesNotMatch(r.stderr, /tables\[0\]|tables\[2\]/, "1 day < 3 days, 48 hours < 3 days");
});
