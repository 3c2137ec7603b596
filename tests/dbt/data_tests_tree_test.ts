/**
 * The `data_tests:` tree of dbt_project.yml (per package and folder, under
 * the tests' own configs), `store_failures_as` and `fail_calc`, in a dbt
 * project run through the CLI on a real DuckDB file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const VISITS = `select * from (values
  (1, 10, date '2024-01-01', 3),
  (2, 10, date '2024-01-02', 1),
  (3, null, date '2024-01-02', 2),
  (4, 11, date '2024-01-03', 5),
  (4, 12, date '2024-01-03', 1)
) t(visit_id, patient_id, visit_day, n_records)`;

const PROJECT = `name: clinic
config-version: 2
data_tests:
  clinic:
    +store_failures_as: view
    staging:
      +severity: warn
      +tags: [staging]
    marts:
      +where: "coalesce(patient_id, 0) <> 12"
    audits:
      +enabled: false
  tinyutil:
    +tags: [from_project]
`;

const FILES = {
  "dbt_project.yml": PROJECT,
  "packages.yml": "packages:\n  - local: tinyutil\n",
  "tinyutil/dbt_project.yml":
    "name: tinyutil\nconfig-version: 2\ndata_tests:\n  tinyutil:\n    +severity: warn\n",
  "tinyutil/models/util_numbers.sql": "select * from range(3) t(n)",
  "tinyutil/models/util.yml":
    "version: 2\nmodels:\n  - name: util_numbers\n    columns:\n      - name: n\n        data_tests:\n          - accepted_values:\n              values: [0, 1]\n",
  "models/staging/stg_visits.sql": VISITS,
  "models/staging/schema.yml": `version: 2
models:
  - name: stg_visits
    columns:
      - name: visit_id
        data_tests:
          - unique:
              config:
                fail_calc: "sum(n_records)"
                warn_if: ">= 2"
                error_if: ">= 3"
                store_failures_as: table
      - name: patient_id
        data_tests:
          - not_null
          - accepted_values:
              values: [10, 11]
              config:
                severity: error
                store_failures_as: ephemeral
`,
  "models/marts/by_patient.sql":
    "select patient_id, count(*) as visits, sum(n_records) as n_records\nfrom {{ ref('stg_visits') }}\ngroup by 1",
  "models/marts/schema.yml": `version: 2
models:
  - name: by_patient
    columns:
      - name: patient_id
        data_tests:
          - accepted_values:
              values: [10, 11]
          - not_null:
              config:
                store_failures: false
`,
  "tests/big_visits.sql":
    `{{ config(fail_calc='count(distinct patient_id)', warn_if='>1', error_if='>2') }}
select * from {{ ref('stg_visits') }} where n_records > 1`,
  "tests/audits/never.sql": "select 1 as id",
};

/** The status word and name of each test line of a run's output. */
function outcomes(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of stdout.matchAll(/\b(PASS|WARN|FAIL|ERROR)\b.*?\btest (\S+)/g)) out[m[2]!] = m[1]!;
  return out;
}

/** What wharf_failures holds: each relation's type and row count. */
async function stored(db: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (
    const r of await queryRows(
      db,
      "select table_name, table_type from information_schema.tables where table_schema = 'wharf_failures' order by 1",
    )
  ) {
    const [n] = await queryRows(
      db,
      `select count(*)::integer as n from wharf_failures."${r.table_name}"`,
    );
    out[String(r.table_name)] = `${r.table_type === "VIEW" ? "view" : "table"} ${n!.n}`;
  }
  return out;
}

Deno.test("data_tests: in dbt_project.yml configures tests per package and folder, under their own configs; fail_calc and store_failures_as as dbt has them", async () => {
  await using p = await tempProject(FILES);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const db = join(p.root, "clinic.duckdb");
  const built = await cli("run");
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const r = await cli("test");
  // accepted_values on stg_visits.patient_id sets severity error itself, over the folder's warn.
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.deepEqual(outcomes(r.stdout), {
    // sum(n_records) over the one duplicated visit_id (4: 5 + 1 rows) is 2: warn_if >= 2.
    unique_stg_visits_visit_id: "WARN",
    // The staging folder's +severity: warn.
    not_null_stg_visits_patient_id: "WARN",
    accepted_values_stg_visits_patient_id__10__11: "FAIL",
    // The marts folder's +where leaves patient 12 out: 10, 11 (and NULL, never tested) pass.
    accepted_values_by_patient_patient_id__10__11: "PASS",
    // The NULL patient's row: store_failures: false, but the project's store_failures_as wins.
    not_null_by_patient_patient_id: "FAIL",
    // count(distinct patient_id) over 3 failing rows is 2 (NULL not counted): > 1 warns, not > 2.
    big_visits: "WARN",
    // The package's own +severity: warn: 2 is not accepted.
    accepted_values_util_numbers_n__0__1: "WARN",
  });
  assert.match(r.stdout, /sum\(n_records\) = 2: see wharf_failures\.unique_stg_visits_visit_id/);
  assert.match(
    r.stdout,
    /count\(distinct patient_id\) = 2: see the view wharf_failures\.big_visits/,
  );
  assert.match(r.stdout, /not stored \(store_failures_as: ephemeral\)/);
  assert.doesNotMatch(r.stdout, /never/);
  assert.deepEqual(await stored(db), {
    // The project's +store_failures_as: view, but a test's own table and ephemeral win.
    accepted_values_by_patient_patient_id__10__11: "view 0",
    big_visits: "view 3",
    not_null_by_patient_patient_id: "view 1",
    not_null_stg_visits_patient_id: "view 1",
    unique_stg_visits_visit_id: "table 1",
    // The package's test is not under the project's "clinic:" folder: a table, wharf's default.
    accepted_values_util_numbers_n__0__1: "table 1",
  });

  // Tags from the tree select tests; the audits folder is disabled, so not listed.
  const listed = await cli("--json", "ls", "--select", "tag:staging", "tag:from_project");
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(
    JSON.parse(listed.stdout).map((n: { id: string }) => n.id).sort(),
    [
      "test.accepted_values_stg_visits_patient_id__10__11",
      "test.accepted_values_util_numbers_n__0__1",
      "test.not_null_stg_visits_patient_id",
      "test.unique_stg_visits_visit_id",
    ],
  );
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  const unique = manifest.nodes["test.clinic.unique_stg_visits_visit_id"];
  assert.deepEqual(unique.fqn, ["clinic", "staging", "unique_stg_visits_visit_id"]);
  assert.equal(unique.config.fail_calc, "sum(n_records)");
  assert.equal(unique.config.store_failures_as, "table");
  assert.equal(unique.config.severity, "WARN");
  assert.deepEqual(unique.config.tags, ["staging"]);
  const runResults = JSON.parse(
    await Deno.readTextFile(join(p.root, "target", "run_results.json")),
  );
  assert.equal(
    runResults.results.find((x: { unique_id: string }) => x.unique_id === "test.clinic.big_visits")
      .failures,
    2,
  );

  // A test stored as a table, then as a view, then not at all: each run replaces what was kept.
  for (const [as, expected] of [["view", "view 1"], ["ephemeral", undefined]] as const) {
    await p.write(
      "models/staging/schema.yml",
      FILES["models/staging/schema.yml"].replace(
        "store_failures_as: table",
        `store_failures_as: ${as}`,
      ),
    );
    const again = await cli("test", "--select", "unique_stg_visits_visit_id");
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal((await stored(db)).unique_stg_visits_visit_id, expected);
  }
});

Deno.test("data_tests: problems are errors naming the key: an unknown or unsupported config, a folder with no test, tests: beside data_tests:, a bad fail_calc", async () => {
  await using p = await tempProject({
    ...FILES,
    "dbt_project.yml":
      "name: clinic\nconfig-version: 2\ndata_tests:\n  clinic:\n    +severty: warn\n    +schema: audit\n    +store_failures_as: temp\n    staging:\n      +fail_calc: 3\n    stagng:\n      +limit: 10\n",
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  for (
    const re of [
      /dbt_project\.yml:5:\d+: data_tests\.clinic\.\+severty: unknown key "severty" in a test's config \(did you mean "severity"\?\)/,
      /dbt_project\.yml:6:\d+: data_tests\.clinic\.\+schema: "schema" in the tests' configs is not run by wharf yet \(failing rows are kept in wharf_failures\)/,
      /dbt_project\.yml:7:\d+: data_tests\.clinic\.\+store_failures_as: expected one of "table", "view", "ephemeral", got "temp"/,
      /dbt_project\.yml:9:\d+: data_tests\.clinic\.staging\.\+fail_calc: expected a SQL expression over the failing rows/,
      /dbt_project\.yml:10:5: data_tests\.clinic\.stagng: no test under "stagng"/,
    ]
  ) assert.match(r.stderr, re);
  await p.write("dbt_project.yml", `${PROJECT}tests:\n  +enabled: true\n`);
  const both = await runCli(["--project", p.root, "ls"]);
  assert.equal(both.code, 2, both.stdout + both.stderr);
  assert.match(
    both.stderr,
    /dbt_project\.yml:15:1: tests: "tests" and "data_tests" are the same tree \(dbt renamed it data_tests\): keep one/,
  );

  // A fail_calc the failing rows cannot compute is the test's error, naming it.
  await p.write("dbt_project.yml", "name: clinic\nconfig-version: 2\n");
  await p.write(
    "models/staging/schema.yml",
    "version: 2\nmodels:\n  - name: stg_visits\n    columns:\n      - name: visit_id\n        data_tests:\n          - unique:\n              config: { fail_calc: 'sum(n_recs)' }\n",
  );
  const bad = await runCli(["--project", p.root, "build", "--select", "stg_visits"]);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(
    bad.stdout + bad.stderr,
    /fail_calc "sum\(n_recs\)" of test unique_stg_visits_visit_id cannot be computed over its failing rows: .*n_recs/,
  );
});
