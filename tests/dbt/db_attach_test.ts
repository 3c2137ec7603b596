/**
 * `--db` moves the warehouse, not the attached databases: a slim-CI run
 * (`--state … --defer --db ci.duckdb`) that would build a model into the
 * project's attached `lake.duckdb` is refused before anything runs, naming
 * the attach and the fix, and `--attach lake=<file>` points it elsewhere for
 * the command. On real DuckDB files: the production lake and the CI ones.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { copyDir, queryRows, runCli, tempProject } from "../helpers.ts";

Deno.test("a run on another warehouse (--db) never writes the project's attached database; --attach points it elsewhere", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
config-version: 2
profile: shop
models:
  shop:
    marts:
      +database: lake
      +schema: marts
      +materialized: table
`,
    "profiles.yml": `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: shop.duckdb
      attach:
        - path: lake.duckdb
`,
    "models/staging/stg_orders.sql": "select 1 as id, 10 as amount",
    "models/marts/revenue.sql": "select sum(amount) as total from {{ ref('stg_orders') }}",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const lake = join(p.root, "lake.duckdb");
  const prod = await cli("build");
  assert.equal(prod.code, 0, prod.stdout + prod.stderr);
  assert.match(prod.stdout, /model lake\.main_marts\.revenue/);
  await copyDir(join(p.root, "target"), join(p.root, "prod_state"));
  const total = async (file: string) =>
    (await queryRows(file, "select total from main_marts.revenue"))[0]?.total;
  assert.equal(await total(lake), "10");

  // A change, checked in CI on a scratch warehouse against production's state.
  await p.write(
    "models/marts/revenue.sql",
    "select sum(amount) * 100 as total from {{ ref('stg_orders') }}",
  );
  const ci = join(p.root, "ci", "ci.duckdb");
  await Deno.mkdir(join(p.root, "ci"));
  const state = join(p.root, "prod_state");
  const slim = ["build", "-s", "state:modified+", "--state", state, "--defer", "--db", ci];
  const refused = await cli(...slim);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(
    refused.stderr,
    /^error: --db .*ci\/ci\.duckdb runs on another warehouse than the project's \(.*\/shop\.duckdb\), but this run would still build lake\.main_marts\.revenue into the attached database "lake" \(.*\/lake\.duckdb, attached by the profile's target "dev"\), which --db does not move: point it elsewhere too, --attach lake=<file> \(e\.g\. lake_ci\.duckdb beside the --db file\), or use a --target whose attach: points elsewhere$/m,
  );
  // Production's lake is as production built it.
  assert.equal(await total(lake), "10");

  const ciLake = join(p.root, "ci", "lake.duckdb");
  const redirected = await cli(...slim, "--attach", `lake=${ciLake}`);
  assert.equal(redirected.code, 0, redirected.stdout + redirected.stderr);
  assert.match(redirected.stdout, /model lake\.main_marts\.revenue/);
  assert.equal(await total(ciLake), "1000");
  assert.equal(await total(lake), "10");

  // A run that builds nothing into the lake needs no --attach; an unknown name is a usage error.
  const staging = await cli(
    "build",
    "-s",
    "stg_orders",
    "--db",
    join(p.root, "ci", "other.duckdb"),
  );
  assert.equal(staging.code, 0, staging.stdout + staging.stderr);
  const typo = await cli("ls", "--attach", "laek=x.duckdb");
  assert.equal(typo.code, 2);
  assert.match(
    typo.stderr,
    /--attach laek=…: the project attaches no database "laek" \(did you mean "lake"\?\) \(it attaches lake\)/,
  );
});

Deno.test("in a plain-SQL project too, --db with a model built into an attached database needs --attach", async () => {
  await using p = await tempProject({
    "wharf.config.ts": 'export default { attach: { lake: "lake.duckdb" } };\n',
    "models/staging/stg_orders.sql": "select 1 as id",
    "models/staging/staging.yml":
      "models:\n  - name: stg_orders\n    config: { materialized: table, database: lake }\n",
  });
  const ci = join(p.root, "ci.duckdb");
  const refused = await runCli(["--project", p.root, "--db", ci, "build"]);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(
    refused.stderr,
    /would still build lake\.staging\.stg_orders into the attached database "lake" \(.*lake\.duckdb, attached by wharf\.config\.ts\), which --db does not move: point it elsewhere too, --attach lake=<file> .*, or set attach\.lake elsewhere in wharf\.config\.ts/,
  );
  const ok = await runCli([
    "--project",
    p.root,
    "--db",
    ci,
    "--attach",
    `lake=${join(p.root, "ci_lake.duckdb")}`,
    "build",
  ]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.deepEqual(
    await queryRows(join(p.root, "ci_lake.duckdb"), "select id from staging.stg_orders"),
    [{ id: 1 }],
  );
  await assert.rejects(Deno.stat(join(p.root, "lake.duckdb")));
});
