/**
 * Test configs (`where`, `limit`, `severity`, `warn_if`, `error_if`,
 * `store_failures`, `store_failures_as`, `fail_calc`, `tags`, `enabled`,
 * in a `config:` block or beside the test's arguments),
 * the same YAML keys in a plain-SQL project and a dbt project, run through
 * the CLI on a real DuckDB file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { runCli, tempProject } from "../helpers.ts";

const PEOPLE = `select * from (values
  (1, 'active', 'a@x'), (2, 'active', null), (2, 'gone', null), (3, 'gone', null),
  (null, 'gone', 'b@x'), (null, 'gone', 'c@x')
) t(id, status, email)`;

const TESTS = `
    columns:
      - name: id
        tests:
          - unique:
              config:
                where: "status = 'active'"
          - not_null:
              warn_if: ">1"
              error_if: ">5"
              store_failures: false
      - name: email
        data_tests:
          - not_null:
              config: { limit: 1, severity: warn }
          - accepted_values:
              values: ["a@x", "b@x"]
              config:
                error_if: ">= 2"
`;

const EXPECTED = {
  accepted_values_people_email: "WARN",
  not_null_people_email: "WARN",
  not_null_people_id: "WARN",
  some_gone: "PASS",
  unique_people_id: "PASS",
};

/** What wharf_failures holds after the build: not_null_people_id is not stored. */
const STORED = {
  accepted_values_people_email: 1,
  not_null_people_email: 1,
  some_gone: 4,
  unique_people_id: 0,
};

/** The same, named as dbt names generic tests (from their arguments). */
function dbtNamed<T>(byName: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.entries(byName).map((
      [k, v],
    ) => [k === "accepted_values_people_email" ? `${k}__a_x__b_x` : k, v]),
  );
}

async function tables(db: string): Promise<Record<string, number>> {
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    const out: Record<string, number> = {};
    for (
      const r of await wh.query(
        "select table_name from information_schema.tables where table_schema = 'wharf_failures' order by 1",
      )
    ) {
      const n = await wh.query(
        `select count(*)::double as n from wharf_failures."${r.table_name}"`,
      );
      out[String(r.table_name)] = Number(n[0]!.n);
    }
    return out;
  } finally {
    wh.close();
  }
}

/** The status word and name of each test line of a run's output. */
function outcomes(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of stdout.matchAll(/\b(PASS|WARN|FAIL|ERROR)\b.*?\btest (\S+)/g)) out[m[2]!] = m[1]!;
  return out;
}

Deno.test("test configs in a plain-SQL project: where, limit, thresholds, store_failures", async () => {
  await using p = await tempProject({
    "models/staging/people.sql": PEOPLE,
    "models/staging/people.yml": `models:\n  - name: people${TESTS}`,
    "sql/tests/some_gone.sql": "select * from staging.people where status = 'gone'",
    "sql/tests/tests.yml":
      "tests:\n  - name: some_gone\n    config:\n      error_if: '> 10'\n      warn_if: '> 10'\n",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  let r = await cli("build");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(outcomes(r.stdout), EXPECTED);
  assert.match(r.stdout, /2 failing rows: not stored \(store_failures: false\)/);
  assert.deepEqual(await tables(join(p.root, "warehouse.duckdb")), STORED);

  // error_if met: the test fails the run.
  await p.write(
    "models/staging/people.yml",
    `models:\n  - name: people${TESTS.replace('error_if: ">5"', 'error_if: ">1"')}`,
  );
  r = await cli("test");
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(outcomes(r.stdout).not_null_people_id, "FAIL");

  await p.write(
    "models/staging/people.yml",
    "models:\n  - name: people\n    columns:\n      - name: id\n        tests:\n          - unique:\n              config: { wher: x }\n",
  );
  r = await cli("ls");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown key "wher" in a test's config \(did you mean "where"\?\)/);
  await p.write(
    "models/staging/people.yml",
    "models:\n  - name: people\n    columns:\n      - name: id\n        tests:\n          - unique:\n              config: { warn_if: lots, limit: 0 }\n",
  );
  r = await cli("ls");
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /warn_if: expected a comparison with a number of failing rows, e\.g\. "!= 0" or ">10", got "lots"/,
  );
  assert.match(r.stderr, /limit: expected a whole number of rows above 0, got 0/);
});

Deno.test("test configs in a dbt project: the same keys, and config() in a singular test", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "models/people.sql": PEOPLE,
    "models/people.yml": `version: 2\nmodels:\n  - name: people${TESTS}`,
    "tests/some_gone.sql":
      "{{ config(error_if='> 10', warn_if='> 10') }}\nselect * from {{ ref('people') }} where status = 'gone'",
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(outcomes(r.stdout), dbtNamed(EXPECTED));
  assert.deepEqual(await tables(join(p.root, "shop.duckdb")), dbtNamed(STORED));
});

Deno.test("fail_calc, store_failures_as, tags and enabled in a plain-SQL project", async () => {
  await using p = await tempProject({
    "models/staging/people.sql": PEOPLE,
    "models/staging/people.yml": `models:
  - name: people
    columns:
      - name: id
        tests:
          - unique:
              config:
                fail_calc: sum(n_records)
                error_if: ">= 2"
                store_failures_as: view
                tags: [keys]
          - not_null:
              enabled: false
      - name: email
        tests:
          - not_null:
              config: { fail_calc: "count(distinct status)", store_failures_as: ephemeral }
`,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const r = await cli("build");
  assert.equal(r.code, 1, r.stdout + r.stderr);
  // id 2 twice: sum(n_records) = 2 fails error_if >= 2; the disabled not_null on id is not there.
  assert.deepEqual(outcomes(r.stdout), {
    not_null_people_email: "FAIL",
    unique_people_id: "FAIL",
  });
  assert.match(r.stdout, /sum\(n_records\) = 2: see the view wharf_failures\.unique_people_id/);
  // Three NULL emails, of statuses active and gone: count(distinct status) = 2.
  assert.match(
    r.stdout,
    /count\(distinct status\) = 2: not stored \(store_failures_as: ephemeral\)/,
  );
  const db = join(p.root, "warehouse.duckdb");
  assert.deepEqual(await tables(db), { unique_people_id: 1 });
  const listed = await cli("--json", "ls", "--select", "tag:keys");
  assert.deepEqual(JSON.parse(listed.stdout).map((n: { id: string }) => n.id), [
    "test.unique_people_id",
  ]);
});
