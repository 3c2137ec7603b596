/**
 * dbt's command-line flags as CI scripts pass them: `-x`, `-t`,
 * `--warn-error`, `--target-path`, `--no-partial-parse`, `--resource-type`
 * and `--exclude-resource-type` on build, `--store-failures`, `--quiet`/`-q`
 * and `--log-level`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

/** A dbt project with a dev and a prod target, a model whose warn-severity test fails, and a clean one. */
const SHOP = {
  "dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\n",
  "profiles.yml": `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: dev.duckdb
    prod:
      type: duckdb
      path: prod.duckdb
`,
  "models/dup.sql": "select 1 as id union all select 1",
  "models/clean.sql": "select 2 as id",
  "models/schema.yml": `version: 2
models:
  - name: dup
    columns:
      - name: id
        data_tests:
          - unique:
              config:
                severity: warn
  - name: clean
    columns:
      - name: id
        data_tests:
          - not_null:
              config:
                store_failures: false
          - unique
`,
};

function statuses(stdout: string): Record<string, string> {
  const summary = JSON.parse(stdout) as { results: { id: string; status: string }[] };
  return Object.fromEntries(summary.results.map((r) => [r.id, r.status]));
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("build -x --warn-error -t prod: a test that would warn fails, the command exits 1, on the prod target", async () => {
  await using p = await tempProject(SHOP);
  const warned = await runCli(["--project", p.root, "--json", "build", "-t", "prod"]);
  assert.equal(warned.code, 0, warned.stderr);
  assert.equal(statuses(warned.stdout)["test.unique_dup_id"], "warn");

  const r = await runCli(["--project", p.root, "build", "-x", "--warn-error", "-t", "prod"]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL {2}test unique_dup_id/);
  assert.match(
    r.stdout,
    /Failure in test test\.unique_dup_id:\n {2}1 failing row \(a warning: --warn-error makes it an error\)/,
  );
  assert.ok(await exists(join(p.root, "prod.duckdb")));
  assert.ok(!await exists(join(p.root, "dev.duckdb")));
  // run_results.json says fail (dbt's status) and records the flag, which `wharf retry` keeps.
  const results = JSON.parse(await Deno.readTextFile(join(p.root, "target/run_results.json")));
  const test = results.results.find((x: { unique_id: string }) => x.unique_id.includes("dup_id"));
  assert.equal(test.status, "fail");
  assert.equal(results.args.warn_error, true);
  assert.equal(results.args.fail_fast, true);
  const retried = await runCli(["--project", p.root, "--json", "retry"]);
  assert.equal(retried.code, 1, retried.stderr);
  assert.equal(statuses(retried.stdout)["test.unique_dup_id"], "fail");

  // dbt_project.yml's flags: warn_error: true does the same.
  await p.write("dbt_project.yml", `${SHOP["dbt_project.yml"]}flags:\n  warn_error: true\n`);
  const flagged = await runCli(["--project", p.root, "--json", "test", "-t", "prod"]);
  assert.equal(flagged.code, 1, flagged.stderr);
  assert.equal(statuses(flagged.stdout)["test.unique_dup_id"], "fail");
});

Deno.test("--target-path writes target/'s files in that folder (relative to the project), not in target/", async () => {
  await using p = await tempProject(SHOP);
  const r = await runCli(["--project", p.root, "build", "--target-path", "ci_target"]);
  assert.equal(r.code, 0, r.stderr);
  for (const f of ["manifest.json", "run_results.json", "wharf_parse_cache.json", "compiled"]) {
    assert.ok(await exists(join(p.root, "ci_target", f)), f);
  }
  assert.ok(!await exists(join(p.root, "target")));
  const ls = await runCli(["--project", p.root, "--target-path", "ci_target", "ls"]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.ok(!await exists(join(p.root, "target")));
});

Deno.test("--no-partial-parse reads no parse cache (every file is parsed anew) and writes it still", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/marts/b.sql": "select id from staging.a",
  });
  const dependsOn = async (...flags: string[]) => {
    const r = await runCli(["--project", p.root, ...flags, "--json", "ls"]);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as { id: string; depends_on: string[] }[];
    return rows.find((n) => n.id === "marts.b")!.depends_on;
  };
  assert.deepEqual(await dependsOn(), ["staging.a"]);
  // A cache that gives every text the parse of "select 1 as id": b reads nothing by it.
  const file = join(p.root, "target", "wharf_parse_cache.json");
  const cache = JSON.parse(await Deno.readTextFile(file)) as { results: Record<string, string> };
  const parses = Object.values(cache.results);
  const plain = parses.find((v) => !v.includes('"staging"'))!;
  assert.ok(parses.some((v) => v.includes('"staging"')));
  for (const key of Object.keys(cache.results)) cache.results[key] = plain;
  await Deno.writeTextFile(file, JSON.stringify(cache));
  assert.deepEqual(await dependsOn(), [], "the cache is read by default");
  assert.deepEqual(await dependsOn("--no-partial-parse"), ["staging.a"]);
  // Written again, from this parse: the next load reads the right one.
  assert.deepEqual(await dependsOn(), ["staging.a"]);
  assert.deepEqual(await dependsOn("--partial-parse"), ["staging.a"]);
});

Deno.test("build --resource-type and --exclude-resource-type run the selected nodes of those types only", async () => {
  await using p = await tempProject(SHOP);
  const build = async (...args: string[]) => {
    const r = await runCli(["--project", p.root, "--json", "build", ...args]);
    assert.equal(r.code, 0, r.stderr);
    return Object.keys(statuses(r.stdout)).sort();
  };
  assert.deepEqual(await build("--resource-type", "model"), ["main.clean", "main.dup"]);
  assert.deepEqual(await build("--exclude-resource-type", "test", "-s", "clean"), ["main.clean"]);
  assert.deepEqual(await build("--resource-type", "test", "-s", "clean"), [
    "test.not_null_clean_id",
    "test.unique_clean_id",
  ]);
  const results = JSON.parse(await Deno.readTextFile(join(p.root, "target/run_results.json")));
  assert.deepEqual(results.args.resource_types, ["test"]);
  const typo = await runCli(["--project", p.root, "build", "--resource-type", "modle"]);
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /Invalid --resource-type "modle" \(did you mean "model"\?\)/);
});

Deno.test("test --store-failures keeps the failing rows of tests that set no store_failures; store_failures: false wins, as in dbt", async () => {
  await using p = await tempProject(SHOP);
  assert.equal((await runCli(["--project", p.root, "run"])).code, 0);
  const r = await runCli(["--project", p.root, "test", "--store-failures"]);
  assert.equal(r.code, 0, r.stderr);
  const tables = await queryRows(
    join(p.root, "dev.duckdb"),
    "select table_name from information_schema.tables where table_schema = 'wharf_failures' order by 1",
  );
  assert.deepEqual(tables.map((t) => t.table_name), ["unique_clean_id", "unique_dup_id"]);
});

Deno.test("--quiet and --log-level: what prints at each of dbt's levels; an unknown level is a usage error", async () => {
  await using p = await tempProject(SHOP);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  let r = await cli("build");
  assert.match(r.stdout, /^Running /);
  assert.match(r.stdout, /OK {4}model main\.clean/);

  r = await cli("build", "-q");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "", "nothing but errors");
  r = await cli("--quiet", "build", "--warn-error");
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /^\d of \d FAIL {2}test unique_dup_id .*\nFailure in test test\.unique_dup_id:/,
  );
  assert.doesNotMatch(r.stdout, /Running|OK|Done/);
  // What a command is asked to print is printed, as dbt's `-q ls` does.
  r = await cli("-q", "ls", "--output", "name");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^clean$/m);

  r = await cli("--log-level", "warn", "build");
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^\d of \d WARN {2}test unique_dup_id .*\nWarning in test test\.unique_dup_id:/,
  );
  assert.doesNotMatch(r.stdout, /Running|OK|Done/);
  r = await cli("--log-level", "error", "build");
  assert.equal(r.stdout, "");
  r = await cli("--log-level", "info", "build");
  assert.match(r.stdout, /Done in/);
  r = await cli("--log-level", "debug", "build");
  assert.match(r.stdout, /Done in/);
  r = await cli("--log-level", "none", "build", "--warn-error");
  assert.equal(r.code, 1);
  assert.equal(r.stdout + r.stderr, "");
  r = await cli("--log-level", "none", "build", "--threads", "0");
  assert.equal(r.code, 2);
  assert.equal(r.stdout + r.stderr, "");
  // A selection matching nothing is dbt's warning: on stderr at warn, left out at error.
  r = await cli("--log-level", "warn", "build", "-s", "nosuchmodel");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^warning: The selection criterion "nosuchmodel" does not match/m);
  r = await cli("-q", "build", "-s", "nosuchmodel");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout + r.stderr, "");

  r = await cli("--log-level", "verbose", "build");
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /error: Invalid --log-level "verbose": dbt's levels are debug, info, warn, error, none/,
  );
  r = await cli("-q", "--log-level", "info", "build");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--quiet prints errors only/);
});

Deno.test("--project-dir is dbt's name for --project; both at once is a usage error", async () => {
  await using p = await tempProject(SHOP);
  const r = await runCli([
    "ls",
    "--project-dir",
    p.root,
    "--output",
    "name",
    "--resource-type",
    "model",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "clean\ndup\n");
  const both = await runCli(["--project", p.root, "--project-dir", p.root, "ls"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--project and --project-dir \(dbt's name\) name one folder/);
});
