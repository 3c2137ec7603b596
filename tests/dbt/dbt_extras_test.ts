/**
 * dbt mode, end to end through the CLI on a real DuckDB file: dbt's
 * `--vars '{…}'`, a profile's `attach:`, packages and `wharf deps`,
 * `{% docs %}` and `doc()`, custom generic tests, test configs and
 * incremental models.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { runCli, tempProject } from "../helpers.ts";

const PROJECT = "name: shop\nconfig-version: 2\n";

async function rows(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    return await wh.query(sql);
  } finally {
    wh.close();
  }
}

Deno.test("--vars takes dbt's '{name: value}' form as well as name=value", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}vars:\n  n: 1\n  label: a\n  days: [1]\n`,
    "models/a.sql":
      "select {{ var('n') }} as n, '{{ var('label') }}' as label, {{ var('days') | length }} as days",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const db = join(p.root, "shop.duckdb");
  let r = await cli("run", "--vars", "{n: 7, label: seven, days: [1, 2, 3]}");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await rows(db, "select * from main.a"), [{ n: 7, label: "seven", days: 3 }]);
  r = await cli("run", "--vars", "n=8");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await rows(db, "select * from main.a"), [{ n: 8, label: "a", days: 1 }]);
  r = await cli("run", "--vars", "{n: [unclosed");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Invalid --vars '\{n: \[unclosed': not a YAML mapping/);
  r = await cli("run", "--vars", "nothing");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Invalid --vars "nothing": expected name=value or '\{name: value\}'/);
});

Deno.test("a profile's attach: databases are attached under their alias, read-only when asked", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "profiles.yml": `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: dev.duckdb
      attach:
        - path: lookups.duckdb
          alias: lookups
          read_only: true
        - path: scratch.duckdb
`,
    "models/a.sql": "select code, label from lookups.main.codes order by code",
    "models/b.sql": "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('a') }}",
  });
  const setup = await openWarehouse(join(p.root, "lookups.duckdb"));
  try {
    await setup.exec(
      "create table codes as select * from (values (1, 'one'), (2, 'two')) t(code, label)",
    );
  } finally {
    setup.close();
  }
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const db = join(p.root, "dev.duckdb");
  assert.deepEqual(await rows(db, "select * from main.b"), [{ n: "2" }]);

  await p.write(
    "profiles.yml",
    "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      attach:\n        - path: a/main.duckdb\n        - path: x.duckdb\n          alias: Bad-Name\n          read_only: maybe\n",
  );
  const bad = await runCli(["--project", p.root, "ls"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /attach\[0\]\.path: the alias "main" is taken/);
  assert.match(bad.stderr, /attach\[1\]\.read_only: expected true or false/);
  assert.match(bad.stderr, /attach\[1\]\.alias: the alias "Bad-Name" is not a name wharf attaches/);
});
