/**
 * `wharf retry` reruns what a run left where that run ran, as dbt's retry
 * reuses its invocation's arguments: on its profile's target, its `--db`
 * warehouse, deferring to its `--state`, with its `--vars` (as given) and
 * `--threads`. A retry told another target or warehouse than the run's is
 * refused, naming both; one given the options of the run it repeats
 * (`--vars`, `--select` …) is refused, saying it reuses the run's. Through the real CLI on real DuckDB files.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readValid } from "../artifacts/dbt_schemas.ts";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { queryRows, runCli, type TempProject, tempProject } from "../helpers.ts";

const PROFILES = `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: dev.duckdb
    prod:
      type: duckdb
      path: prod.duckdb
`;

const BROKEN = "{{ config(materialized='table') }}\nselect nope from {{ ref('a') }}";
const FIXED = "{{ config(materialized='table') }}\nselect id from {{ ref('a') }}";

/** A dbt project with a dev and a prod target: `a`, and `b` reading it (broken). */
function shop(): Promise<TempProject> {
  return tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\n",
    "profiles.yml": PROFILES,
    "models/a.sql": "select 1 as id",
    "models/b.sql": BROKEN,
  });
}

/** Runs the CLI on `p`; asserts the exit code; returns stdout and stderr. */
async function cli(p: TempProject, code: number, ...args: string[]): Promise<string> {
  const r = await runCli(["--project", p.root, ...args]);
  assert.equal(r.code, code, `wharf ${args.join(" ")}:\n${r.stdout}${r.stderr}`);
  return r.stdout + r.stderr;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

Deno.test("wharf retry reruns a --target prod run on prod, and records the target and profiles folder as dbt does", async () => {
  await using p = await shop();
  const prod = join(p.root, "prod.duckdb");
  await cli(p, 1, "build", "--target", "prod", "-s", "+b");
  let args = (await readValid(join(p.root, "target"), "run_results")).args;
  assert.equal(args.target, "prod");
  assert.equal(args.profiles_dir, p.root);
  assert.equal(args.warehouse, prod);
  await p.write("models/b.sql", FIXED);

  // Another target than the run's is refused, naming both; nothing runs.
  const refused = await cli(p, 2, "retry", "--target", "dev");
  assert.match(
    refused,
    /error: Cannot retry the last `wharf build` \(.*run_results\.json\) elsewhere than it ran: --target "dev" \(it ran on target "prod"\): a retry reruns what it left where it ran, so leave that option out, or run the command again with it/,
  );
  assert.equal(await exists(join(p.root, "dev.duckdb")), false);

  const retried = await cli(p, 0, "retry");
  assert.match(
    retried,
    new RegExp(`Running 0 seeds, 1 model, 0 tests with \\d+ threads on ${prod}`),
  );
  assert.deepEqual(await queryRows(prod, "select id from main.b"), [{ id: 1 }]);
  assert.equal(await exists(join(p.root, "dev.duckdb")), false);
  args = (await readValid(join(p.root, "target"), "run_results")).args;
  assert.equal(args.target, "prod");
  assert.equal(args.warehouse, prod);
  assert.deepEqual(args.select, ["+b"]);
  // The same target given again is no conflict.
  assert.match(await cli(p, 0, "retry", "--target", "prod"), /Nothing to retry/);
});

Deno.test("wharf retry reruns a --db run on that warehouse, with its --vars as given and its --threads", async () => {
  await using p = await shop();
  await p.write(
    "models/b.sql",
    "{{ config(materialized='table') }}\nselect id, {{ var('days') | length }} as days from {{ ref('a') }} where nope",
  );
  const other = join(p.root, "other.duckdb");
  await cli(p, 1, "--db", other, "run", "--vars", "{days: [1, 2, 3]}", "--threads", "1");
  const args = (await readValid(join(p.root, "target"), "run_results")).args;
  assert.equal(args.warehouse, other);
  assert.equal(args.threads, 1);
  await p.write(
    "models/b.sql",
    "{{ config(materialized='table') }}\nselect id, {{ var('days') | length }} as days from {{ ref('a') }}",
  );
  const refused = await cli(p, 2, "--db", join(p.root, "dev.duckdb"), "retry");
  assert.match(
    refused,
    /Cannot retry the last `wharf run` .* --db ".*dev\.duckdb" \(it ran on ".*other\.duckdb"\)/,
  );
  // Other vars are not retry's to take (not a typo of --version): the run is run again with them.
  const vars = await cli(p, 2, "retry", "--vars", "{days: [1]}");
  assert.match(
    vars,
    /error: '--vars' is not an option of 'wharf retry': a retry reruns .* with that run's own options \(its vars, selection and flags, as target\/run_results\.json records them\); to run with others, run that command again with them/,
  );
  assert.doesNotMatch(vars, /--version/);
  assert.match(
    await cli(p, 2, "retry", "-s", "b", "--full-refresh"),
    /'--select' and '--full-refresh' are not options of 'wharf retry'/,
  );
  const retried = await cli(p, 0, "retry");
  assert.match(retried, new RegExp(`Running 0 seeds, 1 model, 0 tests with 1 threads on ${other}`));
  // A list stays a list (not the text "[1, 2, 3]").
  assert.deepEqual(await queryRows(other, "select id, days from main.b"), [{ id: 1, days: 3 }]);
  assert.equal(await exists(join(p.root, "dev.duckdb")), false);
});

Deno.test("wharf retry of a --defer --state run defers to that state again", async () => {
  await using p = await shop();
  await p.write("models/b.sql", FIXED);
  await cli(p, 0, "build", "--target", "prod");
  const state = join(p.root, "prod_state");
  await Deno.mkdir(state);
  for (const f of ["manifest.json", "run_results.json"]) {
    await Deno.copyFile(join(p.root, "target", f), join(state, f));
  }
  await p.write("models/b.sql", BROKEN);
  const failed = await cli(p, 1, "build", "-s", "b", "--defer", "--state", state);
  assert.match(failed, /Deferred \(copied from the state's warehouse\): main\.a/);
  // Production moves on; the retry copies its `a` again, as the run it retries did.
  const wh = await openWarehouse(join(p.root, "prod.duckdb"));
  try {
    await wh.exec("create or replace view main.a as select 2 as id");
  } finally {
    wh.close();
  }
  await p.write("models/b.sql", FIXED);
  const retried = await cli(p, 0, "retry");
  assert.match(retried, /Deferred \(copied from the state's warehouse\): main\.a/);
  assert.doesNotMatch(retried, /Warning: this run read/);
  assert.deepEqual(await queryRows(join(p.root, "dev.duckdb"), "select id from main.b"), [
    { id: 2 },
  ]);
  const args = (await readValid(join(p.root, "target"), "run_results")).args;
  assert.equal(args.state, state);
  assert.equal(args.defer, true);
});
