import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO, runCli, tempClinic, tempProject } from "../helpers.ts";

Deno.test("--db naming a folder, a file that is not a DuckDB database or a path in a missing folder exits 2 and writes nothing", async () => {
  await using p = await tempClinic();
  const csv = await p.write("x.csv", "a,b\n1,2\n");
  await Deno.mkdir(join(p.root, "folder"));
  const empty = await p.write("empty.duckdb", "");
  for (
    const [db, re] of [
      [
        join(p.root, "folder"),
        /^error: Warehouse ".*folder" is a folder: pass --db with a database file/,
      ],
      [csv, /^error: Warehouse ".*x\.csv" is not a DuckDB database: .*nothing was written$/],
      [empty, /^error: Warehouse ".*empty\.duckdb" is an empty file, not a DuckDB database/],
      [
        join(p.root, "no_such_folder", "w.duckdb"),
        /^error: Warehouse ".*w\.duckdb" cannot be created: its folder ".*no_such_folder" does not exist: create it/,
      ],
    ] as const
  ) {
    for (
      const command of [["build"], ["ls"], ["show", "marts.daily_revenue"], [
        "serve",
        "--port",
        "0",
      ]]
    ) {
      const r = await runCli(["--project", p.root, "--db", db, ...command]);
      assert.equal(r.code, 2, `${command} ${db}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr.trim(), re);
    }
  }
  assert.equal(await Deno.readTextFile(csv), "a,b\n1,2\n");
  const names = [];
  for await (const e of Deno.readDir(p.root)) names.push(e.name);
  assert.deepEqual(names.filter((n) => /duckdb|wal/.test(n)), ["empty.duckdb"]);
});

Deno.test("a selector that matches nothing and an unknown --vars name exit 2 with the closest name", async () => {
  await using p = await tempClinic();
  const typo = await runCli(["--project", p.root, "build", "-s", "marts.daily_revenu"]);
  assert.equal(typo.code, 2);
  assert.equal(
    typo.stderr.trim(),
    'error: Selector "marts.daily_revenu" matches no node (did you mean "marts.daily_revenue"?)',
  );
  const seedOnly = await runCli(["--project", p.root, "seed", "-s", "marts.daily_revenue"]);
  assert.equal(seedOnly.code, 2);
  assert.match(seedOnly.stderr, /none of which `wharf seed` runs: it runs seeds$/m);
  const vars = await runCli([
    "--project",
    REPO,
    "--db",
    p.db,
    "build",
    "--vars",
    "as_of_dat=2024-01-01",
  ]);
  assert.equal(vars.code, 2);
  assert.match(
    vars.stderr,
    /^error: Unknown variable "as_of_dat" in --vars \(did you mean "as_of_date"\?\): the project declares "as_of_date"/,
  );
});

Deno.test("build with nothing landed says so, what lands each raw table, and which tables it read as empty", async () => {
  await using p = await tempProject();
  const r = await runCli(["--db", p.db, "build"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^\d+ nodes were skipped: what they read is not landed yet\.$/m,
  );
  // The per-client tables are declared optional: their models build, empty, and the run says so.
  assert.match(
    r.stdout,
    /^Built on tables not landed yet, read as empty \(declared optional\):\n {2}raw\.claims_client_a, raw\.claims_client_b, raw\.membership_client_a, raw\.membership_client_b, wharf\.files, wharf\.rejects: land with `wharf land <files>`$/m,
  );
  assert.match(
    r.stdout,
    /^ {2}raw\.benefits, .*raw\.visitpay_visit: land with `wharf land <files>`$/m,
  );
  assert.match(
    r.stdout,
    /^ {2}raw\.npi_responses, wharf\.npi_ledger: land with `wharf enrich npi <list>`$/m,
  );
  assert.match(r.stdout, /^ {2}raw\.tic_files, .*: land with `wharf tic <index\.json\.gz>`$/m);
  assert.match(
    r.stdout,
    /^ {2}For the bundled demo data of the tables `wharf land` fills, run `deno task demo` \(it lands no TiC index and no NPI answer\)\.$/m,
  );
});

Deno.test("a node name that matches nothing suggests the closest model, never a test unless it names one", async () => {
  await using p = await tempProject({
    "models/marts/members.sql": "select 1 as member_id",
    "models/marts/marts.yml": `models:
  - name: members
    columns:
      - name: member_id
        tests: [not_null]
unit_tests:
  - name: members_latest_row
    model: members
    given: []
    expect:
      rows: [{ member_id: 1 }]
`,
  });
  const compile = (name: string) => runCli(["--project", p.root, "compile", name]);
  const near = await compile("marts.member");
  assert.equal(near.code, 2, near.stdout);
  assert.match(
    near.stderr,
    /No node named "marts\.member" in the project \(did you mean "marts\.members"\?\)/,
  );
  const far = await compile("members_lates");
  assert.doesNotMatch(far.stderr, /did you mean "unit_test/);
  const test = await compile("test.not_null_members_member");
  assert.match(test.stderr, /did you mean "test\.not_null_members_member_id"\?/);
});
