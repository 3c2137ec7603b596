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

Deno.test("a dbt incremental model with an is_incremental() filter gives the table a full rebuild gives", async () => {
  const csv = (...lines: string[]) => ["id,status,updated_at", ...lines].join("\n") + "\n";
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "seeds/events.csv": csv("1,new,2024-01-01", "2,new,2024-01-02", "3,new,2024-01-03"),
    "models/events_inc.sql": `{{ config(materialized='incremental', unique_key='id') }}
select id, status, updated_at from {{ ref('events') }}
{% if is_incremental() %}
where updated_at > (select max(updated_at) from {{ this }})
{% endif %}
`,
    "models/events_full.sql":
      "{{ config(materialized='table') }}\nselect id, status, updated_at from {{ ref('events') }}",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const db = join(p.root, "shop.duckdb");
  const table = (name: string) => rows(db, `select * from main.${name} order by id`);
  let r = await cli("build");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await table("events_inc"), await table("events_full"));
  assert.equal((await table("events_inc")).length, 3);

  // An update (a newer updated_at) and a new row: the later run takes both.
  await p.write(
    "seeds/events.csv",
    csv("1,new,2024-01-01", "2,shipped,2024-01-05", "3,new,2024-01-03", "4,new,2024-01-04"),
  );
  r = await cli("build");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await table("events_inc"), await table("events_full"));
  assert.deepEqual((await table("events_inc")).map((x) => x.status), [
    "new",
    "shipped",
    "new",
    "new",
  ]);

  // A change without a newer updated_at is not new to the filter: is_incremental() was true.
  await p.write(
    "seeds/events.csv",
    csv("1,lost,2024-01-01", "2,shipped,2024-01-05", "3,new,2024-01-03", "4,new,2024-01-04"),
  );
  r = await cli("build");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((await table("events_inc"))[0]!.status, "new");
  r = await cli("build", "--full-refresh", "--select", "events_inc");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await table("events_inc"), await table("events_full"));

  const compiled = await cli("compile", "events_inc");
  assert.equal(compiled.code, 0, compiled.stdout + compiled.stderr);
  assert.match(compiled.stdout, /WHERE NOT wharf_is_incremental\(\)\nUNION ALL BY NAME/);
  assert.match(
    compiled.stdout,
    /where updated_at > \(select max\(updated_at\) from "main"\."events_inc"\)/,
  );
});

Deno.test("dbt incremental configs: strategies from wharf, problems named on the model", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/a.sql":
      "{{ config(materialized='incremental', incremental_strategy='merge') }}\nselect 1 as id",
    "models/b.sql": "{{ config(materialized='table', unique_key='id') }}\nselect 1 as id",
    "models/c.sql":
      "{{ config(materialized='incremental', incremental_strategy='upsert', unique_key='id') }}\nselect 1 as id",
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /models\/a\.sql: config "incremental_strategy": the merge strategy matches new rows to the table's by "unique_key"/,
  );
  assert.match(
    r.stderr,
    /models\/b\.sql: config "unique_key" applies to incremental models only \(b is materialized as table\)/,
  );
  assert.match(r.stderr, /models\/c\.sql: config "incremental_strategy": .*upsert/);
});
