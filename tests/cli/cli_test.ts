import assert from "node:assert/strict";
import { join } from "node:path";
import { holdWarehouse, runCli, tempClinic, tempProject } from "../helpers.ts";

Deno.test("wharf --help lists the commands and exits 0", async () => {
  const r = await runCli(["--help"]);
  assert.equal(r.code, 0);
  for (const c of ["build", "run", "test", "seed", "ls", "compile", "show"]) {
    assert.match(r.stdout, new RegExp(`\\n  ${c} `));
  }
  const sub = await runCli(["build", "--help"]);
  assert.equal(sub.code, 0);
  assert.match(sub.stdout, /--select <selector\.\.\.>/);
  assert.match(sub.stdout, /--full-refresh/);
});

Deno.test("a command's --help lists wharf's global options too, after its own", async () => {
  for (const args of [["build", "--help"], ["docs", "build", "--help"], ["land", "--help"]]) {
    const r = await runCli(args);
    assert.equal(r.code, 0, args.join(" "));
    const [own, global] = r.stdout.split("\nGlobal Options:\n");
    assert.ok(global, `${args.join(" ")} shows no "Global Options:" section:\n${r.stdout}`);
    assert.match(own!, /-h, --help/);
    for (
      const option of [
        "-p, --project <dir>",
        "--project-dir <dir>",
        "--db <file>",
        "-t, --target <name>",
        "--json",
      ]
    ) {
      assert.ok(global.includes(option), `${args.join(" ")} --help does not show ${option}`);
    }
  }
});

Deno.test("wharf exits 2 on bad usage, with the reason", async () => {
  // An option the command does not take: the closest one, else the options it and wharf take.
  const unknown = await runCli(["build", "--frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /^error: unknown option '--frobnicate' for 'wharf build'; its options are --select, --exclude, .*--full-refresh, .*; 'wharf' takes --version, --project, --project-dir, --db, .*\n\(run with --help for usage\)\n$/,
  );
  const close = await runCli(["build", "--ful-refresh"]);
  assert.equal(close.code, 2);
  assert.equal(
    close.stderr,
    "error: unknown option '--ful-refresh' for 'wharf build' (did you mean '--full-refresh'?)\n(run with --help for usage)\n",
  );
  const global = await runCli(["build", "--jsn"]);
  assert.match(
    global.stderr,
    /^error: unknown option '--jsn' for 'wharf build' \(did you mean '--json'\?\)/,
  );
  const sub = await runCli(["docs", "build", "--nosuch"]);
  assert.equal(sub.code, 2);
  assert.match(
    sub.stderr,
    /^error: unknown option '--nosuch' for 'wharf docs build'; its options are --out, /,
  );
  await using p = await tempClinic();
  const threads = await runCli(["--project", p.root, "build", "--threads", "zero"]);
  assert.equal(threads.code, 2);
  assert.equal(
    threads.stderr.trim(),
    'error: Invalid --threads "zero": expected a positive integer',
  );
  const missing = await runCli(["--project", join(p.root, "nope"), "ls"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /Project folder ".*nope" does not exist/);
});

Deno.test("a command's option given before the command exits 2 naming the commands that take it and where it goes; wharf's own options go either side", async () => {
  await using p = await tempClinic();
  const vars = await runCli(["--project", p.root, "--vars", "{as_of_date: 2023-13-01}", "build"]);
  assert.equal(vars.code, 2);
  assert.equal(
    vars.stderr,
    "error: --vars is an option of build, compile, docs build, docs generate, ls, run, run-operation, seed, show, snapshot, source freshness, test: put it after the command (wharf build --vars …)\n",
  );
  // Any command's option, short or long, with its value in it or after it; the example is the
  // command given when it takes the option.
  for (
    const [args, message] of [
      [
        ["-s", "stg_patients", "ls"],
        /^error: -s is an option of build, .*: put it after the command \(wharf ls -s …\)\n$/,
      ],
      [
        ["--limit=2", "show", "x"],
        /^error: --limit is an option of show: put it after the command \(wharf show --limit …\)\n$/,
      ],
      [
        ["--full-refresh", "run"],
        /^error: --full-refresh is an option of build, run, seed: put it after the command \(wharf run --full-refresh …\)\n$/,
      ],
    ] as const
  ) {
    const r = await runCli(["--project", p.root, ...args]);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, message);
  }
  // An option of no command is commander's unknown option; wharf's own go before the command.
  const unknown = await runCli(["--frobnicate", "build"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^error: unknown option '--frobnicate'/);
  const ls = await runCli(["--project", p.root, "--json", "ls", "-s", "stg_patients"]);
  assert.equal(ls.code, 0, ls.stderr);
});

Deno.test("wharf build builds the example project, then ls, compile and show read it", async () => {
  await using p = await tempClinic();
  const build = await runCli(["--project", p.root, "build"]);
  assert.equal(build.code, 0, build.stderr);
  assert.match(build.stdout, /^Running 3 seeds, 7 models, 21 tests with 4 threads on /m);
  assert.match(build.stdout, /31 of 31 /);
  assert.match(
    build.stdout,
    /Done in [\d.]+s: 10 ok, 21 passed, 0 warned, 0 failed, 0 errored, 0 skipped\./,
  );
  assert.ok(await Deno.stat(join(p.root, "warehouse.duckdb")));

  const ls = await runCli(["--project", p.root, "--json", "ls", "-s", "+marts.patient_visits"]);
  assert.equal(ls.code, 0);
  const ids = (JSON.parse(ls.stdout) as { id: string }[]).map((n) => n.id);
  assert.ok(ids.includes("seeds.patients") && ids.includes("intermediate.int_appointments"));
  assert.ok(!ids.includes("marts.daily_revenue"));

  const compile = await runCli(["--project", p.root, "compile", "int_appointments"]);
  assert.equal(compile.code, 0);
  assert.match(
    compile.stdout,
    /^CREATE OR REPLACE TABLE "intermediate"\."int_appointments" AS\nWITH "__wharf_ephemeral_/,
  );

  const show = await runCli(["--project", p.root, "show", "marts.patient_visits", "--limit", "2"]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /\| patient_id \| first_name \|/);
  assert.match(show.stdout, /2 rows of marts\.patient_visits \(limit 2\)/);
});

Deno.test("wharf show explains what to do when the model's upstream is not built", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/marts/b.sql": "select * from staging.a",
    "models/marts/c.yml": "models:\n  - name: b\n    config: {materialized: table}\n",
  });
  assert.equal(
    (await runCli(["--project", p.root, "show", "b"])).stderr.trim(),
    `error: Warehouse "${p.db}" does not exist yet: run \`deno task demo\` for the demo data, or land your files and build (\`deno task wharf land <path>\`, then \`deno task wharf build\`), or pass --db with an existing file`,
  );
  assert.equal((await runCli(["--project", p.root, "run", "-s", "b"])).code, 1);
  const r = await runCli(["--project", p.root, "show", "b"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^error: Cannot preview "marts\.b": Catalog Error: .*a.* \(build its upstream first: `wharf build -s \+marts\.b`\)/s,
  );
});

Deno.test("wharf build --json prints the run summary", async () => {
  await using p = await tempClinic();
  const r = await runCli(["--project", p.root, "--json", "build", "-s", "+stg_patients"]);
  assert.equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.ok, true);
  assert.equal(summary.command, "build");
  assert.deepEqual(summary.results.map((x: { id: string }) => x.id).sort(), [
    "seeds.patients",
    "staging.stg_patients",
    "test.accepted_values_stg_patients_state",
    "test.not_null_patients_patient_id",
    "test.not_null_stg_patients_patient_id",
    "test.unique_patients_patient_id",
    "test.unique_stg_patients_patient_id",
  ]);
});

Deno.test("wharf exits 1 when a test fails, naming it and where its rows are", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id union all select 1",
    "models/staging/a.yml":
      "models:\n  - name: a\n    columns:\n      - name: id\n        tests: [unique]\n",
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAIL {2}test unique_a_id/);
  assert.match(
    r.stdout,
    /Failure in test test\.unique_a_id:\n {2}1 failing row: see wharf_failures\.unique_a_id/,
  );
});

Deno.test("wharf reports every compile error at once and exits 2 without a stack trace", async () => {
  await using p = await tempProject({
    "models/staging/stg_claims.sql": "select 1 as id",
    "models/intermediate/int_claims.sql": "select *\nfrom staging.stg_claim",
    "models/intermediate/broken.sql": "select from where",
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^error: Cannot compile the project: 2 problems found \(nothing was run\):/,
  );
  assert.match(
    r.stderr,
    /models\/intermediate\/int_claims\.sql:2:6: Cannot resolve relation "staging\.stg_claim" in models\/intermediate\/int_claims\.sql: no such model \(did you mean "staging\.stg_claims"\?\)/,
  );
  assert.match(r.stderr, /models\/intermediate\/broken\.sql:1:\d+: Cannot parse SQL/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  const debug = await runCli(["--project", p.root, "--debug", "build"]);
  assert.match(debug.stderr, /CompileError: Cannot compile/);
});

Deno.test("wharf says which file is locked and what to do when another process holds the warehouse", async () => {
  await using p = await tempClinic();
  await using holder = await holdWarehouse(p.db);
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `^error: Cannot open warehouse ".*warehouse\\.duckdb": it is in use by another process \\(PID ${holder.pid}, .*\\): wait for it to finish or stop it, or pass --db to use another file`,
    ),
  );
});

Deno.test("usage errors in nested commands exit 2 too", async () => {
  for (
    const args of [["enrich", "npi"], ["docs", "build", "--bogus"], ["export", "npi-by-state"]]
  ) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, /^error: /);
  }
  assert.equal((await runCli(["enrich", "npi", "--help"])).code, 0);
});
