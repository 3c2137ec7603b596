/**
 * A jaffle-shop-sized dbt project (tests/fixtures/dbt_jaffle_shop: models in
 * any folder, macros with return() and adapter.dispatch, vars, an ephemeral
 * model, dbt's cross-database macros, a profile with env_var()) and its
 * plain-SQL twin (tests/fixtures/dbt_jaffle_shop_plain) build the same marts
 * from the real jaffle shop seeds, through the real CLI.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  copyDir,
  queryRows,
  REAL,
  REPO,
  runCli,
  type TempProject,
  tempProject,
} from "../helpers.ts";

const FIXTURES = join(REPO, "tests", "fixtures");

/** A copy of a fixture project with the real jaffle shop seeds in `seeds`. */
async function jaffle(fixture: string, seeds: string): Promise<TempProject> {
  const p = await tempProject();
  await copyDir(join(FIXTURES, fixture), p.root);
  await Deno.mkdir(join(p.root, seeds), { recursive: true });
  for (const name of ["raw_customers", "raw_orders", "raw_payments"]) {
    await Deno.copyFile(
      join(REAL, "jaffle_shop", `${name}.csv`),
      join(p.root, seeds, `${name}.csv`),
    );
  }
  return p;
}

const rows = queryRows;

Deno.test("a dbt project and its plain-SQL twin build the same marts from the jaffle shop seeds", async () => {
  await using dbt = await jaffle("dbt_jaffle_shop", "data");
  await using plain = await jaffle("dbt_jaffle_shop_plain", "models/seeds");
  const built = await runCli(["--project", dbt.root, "build"]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  assert.match(
    built.stdout,
    /Running 3 seeds, 5 models, 15 tests with 2 threads on .*jaffle\.duckdb/,
  );
  assert.match(built.stdout, /model main_staging\.stg_orders/);
  assert.match(built.stdout, /model main\.customers/);
  assert.match(built.stdout, /test relationships_orders_customer_id__customer_id__ref_customers_/);
  assert.match(built.stdout, /8 ok, 15 passed, 0 warned, 0 failed, 0 errored, 0 skipped/);
  const twin = await runCli(["--project", plain.root, "build"]);
  assert.equal(twin.code, 0, twin.stdout + twin.stderr);

  for (const [mart, key] of [["customers", "customer_id"], ["orders", "order_id"]]) {
    const a = await rows(
      join(dbt.root, "jaffle.duckdb"),
      `select * from main.${mart} order by ${key}`,
    );
    const b = await rows(
      join(plain.root, "jaffle.duckdb"),
      `select * from marts.${mart} order by ${key}`,
    );
    assert.equal(a.length, mart === "customers" ? 100 : 99);
    assert.deepEqual(a, b, mart);
  }
  // The answers a jaffle shop user knows: Michael P. ordered twice for $33.
  const [michael] = await rows(
    join(dbt.root, "jaffle.duckdb"),
    "select first_name, number_of_orders, customer_lifetime_value::varchar as clv, full_name from main.customers where customer_id = 1",
  );
  assert.deepEqual(michael, {
    first_name: "Michael",
    number_of_orders: "2",
    clv: "33.00",
    full_name: "Michael P.",
  });
  const [totals] = await rows(
    join(dbt.root, "jaffle.duckdb"),
    "select (select sum(amount) from main.orders)::varchar as orders, (select sum(amount) / 100 from main_raw_data.raw_payments)::varchar as payments",
  );
  assert.equal(totals!.orders, "1672.00");
  assert.equal(Number(totals!.payments), 1672);
});

Deno.test("seed, run, test, compile, ls and show work on a dbt project", async () => {
  await using p = await jaffle("dbt_jaffle_shop", "data");
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const seed = await cli("seed");
  assert.equal(seed.code, 0, seed.stderr);
  assert.match(seed.stdout, /3 ok/);
  const run = await cli("run", "-s", "+customers");
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Running 0 seeds, 5 models, 0 tests/);
  const test = await cli("test");
  assert.equal(test.code, 0, test.stdout + test.stderr);
  assert.match(test.stdout, /15 passed/);

  const compiled = await cli("compile", "orders");
  assert.equal(compiled.code, 0, compiled.stderr);
  assert.match(compiled.stdout, /^CREATE OR REPLACE TABLE "main"\."orders" AS/);
  assert.match(compiled.stdout, /from "main_staging"\."stg_orders"/);
  assert.match(
    compiled.stdout,
    /sum\(case when payment_method = 'gift_card' then amount else 0 end\) as gift_card_amount/,
  );
  assert.match(compiled.stdout, /orders\.status in \('completed'\) as is_completed/);
  const payments = await cli("compile", "stg_payments");
  assert.match(payments.stdout, /\(amount \/ 100\)::decimal\(16, 2\) as amount/);

  const ls = await cli("--json", "ls");
  const nodes = JSON.parse(ls.stdout) as {
    id: string;
    type: string;
    materialized: string;
    tags: string[];
  }[];
  assert.deepEqual(
    nodes.filter((n) => n.type !== "generic_test" && n.type !== "singular_test").map((
      n,
    ) => [n.id, n.materialized, n.tags]),
    [
      ["main_raw_data.raw_customers", "seed", []],
      ["main_raw_data.raw_orders", "seed", []],
      ["main_raw_data.raw_payments", "seed", []],
      ["main_staging.stg_customers", "view", ["staging"]],
      ["main_staging.stg_orders", "view", ["staging"]],
      ["main_staging.stg_payments", "view", ["staging"]],
      ["main.int_order_payments", "ephemeral", []],
      ["main.orders", "table", ["marts", "finance"]],
      ["main.customers", "table", ["marts"]],
    ],
  );
  const show = await cli("--json", "show", "customers", "-n", "2");
  assert.equal(show.code, 0, show.stderr);
  const shown = JSON.parse(show.stdout) as { id: string; rows: Record<string, unknown>[] };
  assert.equal(shown.id, "main.customers");
  assert.deepEqual(shown.rows.map((r) => r.full_name), ["Michael P.", "Shawn M."]);
});

Deno.test("--target picks another output of the profile, and env_var() in profiles.yml is read", async () => {
  await using p = await jaffle("dbt_jaffle_shop", "data");
  const ci = await runCli(["--project", p.root, "--target", "ci", "build", "-s", "+stg_orders"]);
  assert.equal(ci.code, 0, ci.stdout + ci.stderr);
  assert.match(ci.stdout, /with 1 threads on .*ci\.duckdb/);
  assert.match(ci.stdout, /model ci_staging\.stg_orders/);
  const missing = await runCli(["--project", p.root, "--target", "prod", "ls"]);
  assert.equal(missing.code, 2);
  assert.match(
    missing.stderr,
    /error: Profile "jaffle" in .*profiles\.yml has no target "prod": it has "dev", "ci"/,
  );

  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(REPO, "cli", "main.ts"), "--project", p.root, "seed"],
    env: { NO_COLOR: "1", INIT_CWD: p.root, JAFFLE_DB: "from_env.duckdb" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.match(new TextDecoder().decode(out.stdout), /on .*from_env\.duckdb/);
});
