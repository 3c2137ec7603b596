/**
 * Snapshots defined in YAML (dbt 1.9's `snapshots:` entries with a
 * `relation:`), end to end through the CLI on a DuckDB file, in a plain-SQL
 * project and in a dbt project with the `snapshots:` config tree of
 * dbt_project.yml: the same columns and semantics as snapshot files,
 * renamed meta columns, and snapshots recorded in target/ as dbt records
 * them (`snapshot.<project>.<name>`).
 */
import assert from "node:assert/strict";
import { tempProject } from "../helpers.ts";
import { cli, customersSource, keysWithoutOneCurrent, lineOf, sql } from "./helpers.ts";

type Manifest = {
  nodes: Record<string, Record<string, unknown>>;
  parent_map: Record<string, string[]>;
};

async function manifestOf(root: string): Promise<Manifest> {
  return JSON.parse(await Deno.readTextFile(`${root}/target/manifest.json`));
}

/** The snapshot nodes of a manifest: unique id → [resource type, path, original file, fqn, raw code]. */
function snapshotsOf(m: Manifest): Record<string, unknown[]> {
  return Object.fromEntries(
    Object.entries(m.nodes).filter(([, n]) => n.resource_type === "snapshot").map((
      [id, n],
    ) => [id, [n.path, n.original_file_path, n.fqn, n.raw_code]]),
  );
}

const PLAIN = {
  "wharf.config.ts": 'export default { name: "people" };\n',
  "models/staging/stg_people.sql": "select id, name, city, updated_at from raw.people\n",
  "snapshots/history/people_file.sql": "select id, city from raw.people\n",
  "snapshots/history/people.yml": `snapshots:
  - name: people_file
    config: { unique_key: id, strategy: check, check_cols: [city] }
  - name: people_versions
    relation: ref('stg_people')
    description: Every version of a person.
    config:
      unique_key: id
      strategy: timestamp
      updated_at: updated_at
      hard_deletes: invalidate
      snapshot_meta_column_names: { dbt_valid_from: valid_from, dbt_valid_to: valid_to }
    columns:
      - name: id
        tests: [not_null]
  - name: people_cities
    relation: source('raw', 'people')
    config:
      unique_key: id
      strategy: check
      check_cols: [city]
      schema: history
      pre_hook: { sql: "create table if not exists main.taken (n integer)", transaction: false }
      post_hook: "insert into main.taken select count(*) from history.people_cities"
  - name: people_raw
    relation: raw.people
    config: { unique_key: [id], strategy: check, check_cols: all, hard_deletes: new_record }
`,
  "models/marts/current_people.sql":
    "select id, city from snapshots.people_versions where valid_to is null\n",
};

Deno.test("plain SQL: snapshots defined in YAML by relation: keep each version, as snapshot files do", async () => {
  await using p = await tempProject(PLAIN);
  await sql(
    p.db,
    `create schema raw;
     create table raw.people (id integer, name varchar, city varchar, updated_at timestamp);
     insert into raw.people values (1, 'Ann', 'Boston', '2024-01-01'), (2, 'Bob', 'Austin', '2024-01-01')`,
  );
  // The selection brings along the tests of what it selects, as dbt's does.
  const ls = await cli(p.root, ["--json", "ls", "-s", "resource_type:snapshot"]);
  assert.deepEqual(
    JSON.parse(ls.stdout).map((n: Record<string, string>) => [n.id, n.type, n.path]),
    [
      ["history.people_cities", "snapshot", "snapshots/history/people.yml"],
      ["snapshots.people_file", "snapshot", "snapshots/history/people_file.sql"],
      ["snapshots.people_raw", "snapshot", "snapshots/history/people.yml"],
      ["snapshots.people_versions", "snapshot", "snapshots/history/people.yml"],
      ["test.not_null_people_versions_id", "generic_test", "snapshots/history/people.yml"],
    ],
  );
  const built = await cli(p.root, ["build"]);
  assert.match(built.stdout, /^Running 0 seeds, 4 snapshots, 2 models, 1 test /m);
  const lines = built.stdout.split("\n");
  const at = (id: string) => lines.findIndex((l) => l.includes(` ${id} `));
  assert.ok(at("staging.stg_people") < at("snapshots.people_versions"), built.stdout);
  assert.ok(at("snapshots.people_versions") < at("marts.current_people"), built.stdout);
  assert.match(lineOf(built.stdout, "not_null_people_versions_id"), /PASS/);
  assert.deepEqual(await sql(p.db, "select n from main.taken"), [{ n: 2 }]);

  // Ann moves, Bob is gone, Cy is new.
  await sql(
    p.db,
    `update raw.people set city = 'Denver', updated_at = '2024-02-01' where id = 1;
     delete from raw.people where id = 2;
     insert into raw.people values (3, 'Cy', 'Miami', '2024-02-01')`,
  );
  const changed = await cli(p.root, ["snapshot"]);
  assert.match(
    lineOf(changed.stdout, "snapshots.people_versions"),
    /\[4 rows, snapshot: 1 new, 1 changed, 1 deleted, 0 unchanged/,
  );
  assert.match(
    lineOf(changed.stdout, "history.people_cities"),
    /\[4 rows, snapshot: 1 new, 1 changed, 0 unchanged/,
  );
  assert.match(
    lineOf(changed.stdout, "snapshots.people_raw"),
    /\[5 rows, snapshot: 1 new, 1 changed, 1 deleted, 0 unchanged/,
  );
  const today = new Date().toISOString().slice(0, 10);
  assert.deepEqual(
    (await sql(
      p.db,
      `select id, city, strftime(valid_from, '%Y-%m-%d') as f,
         coalesce(strftime(valid_to, '%Y-%m-%d'), 'current') as t
       from snapshots.people_versions order by id, valid_from`,
    )).map((r) => Object.values(r).join(" ")),
    [
      "1 Boston 2024-01-01 2024-02-01",
      "1 Denver 2024-02-01 current",
      `2 Austin 2024-01-01 ${today}`,
      "3 Miami 2024-02-01 current",
    ],
  );
  // The renamed columns replace dbt's; the others keep dbt's names.
  const columns = await sql(
    p.db,
    "select column_name from information_schema.columns where table_name = 'people_versions' order by ordinal_position",
  );
  assert.deepEqual(columns.map((c) => c.column_name), [
    "id",
    "name",
    "city",
    "updated_at",
    "dbt_scd_id",
    "dbt_updated_at",
    "valid_from",
    "valid_to",
  ]);
  assert.deepEqual(
    await sql(
      p.db,
      "select id, dbt_is_deleted from snapshots.people_raw where dbt_valid_to is null order by id",
    ),
    [
      { id: 1, dbt_is_deleted: "False" },
      { id: 2, dbt_is_deleted: "True" },
      { id: 3, dbt_is_deleted: "False" },
    ],
  );
  assert.deepEqual(await keysWithoutOneCurrent(p.db, "snapshots.people_raw", "id"), []);
  await cli(p.root, ["run"]);
  assert.deepEqual(await sql(p.db, "select id, city from marts.current_people order by id"), [
    { id: 1, city: "Denver" },
    { id: 3, city: "Miami" },
  ]);

  // target/: snapshots as dbt records them, a YAML one with its relation as its code.
  const m = await manifestOf(p.root);
  assert.deepEqual(snapshotsOf(m), {
    "snapshot.people.people_cities": [
      "history/people.yml/people_cities.sql",
      "snapshots/history/people.yml",
      ["people", "history", "people_cities"],
      "select * from {{ source('raw', 'people') }}",
    ],
    "snapshot.people.people_file": [
      "history/people_file.sql",
      "snapshots/history/people_file.sql",
      ["people", "history", "people_file", "people_file"],
      "select id, city from raw.people\n",
    ],
    "snapshot.people.people_raw": [
      "history/people.yml/people_raw.sql",
      "snapshots/history/people.yml",
      ["people", "history", "people_raw"],
      "select * from raw.people",
    ],
    "snapshot.people.people_versions": [
      "history/people.yml/people_versions.sql",
      "snapshots/history/people.yml",
      ["people", "history", "people_versions"],
      "select * from {{ ref('stg_people') }}",
    ],
  });
  assert.equal(
    m.nodes["snapshot.people.people_versions"]!.description,
    "Every version of a person.",
  );
  assert.deepEqual(m.parent_map["snapshot.people.people_versions"], ["model.people.stg_people"]);
  assert.deepEqual(m.parent_map["model.people.current_people"], [
    "snapshot.people.people_versions",
  ]);
  const results = JSON.parse(await Deno.readTextFile(`${p.root}/target/run_results.json`));
  assert.deepEqual(
    results.results.map((r: { unique_id: string }) => r.unique_id).sort(),
    ["model.people.current_people", "model.people.stg_people"],
  );
});

Deno.test("plain SQL: a YAML snapshot's bad relation:, a second definition or clashing column names are errors naming them", async () => {
  await using p = await tempProject({
    ...PLAIN,
    "snapshots/history/people.yml": `snapshots:
  - name: people_file
    relation: raw.people
    config: { unique_key: id, strategy: check, check_cols: [city] }
  - name: people_versions
    relation: ref('stg_peeple')
    config: { unique_key: id, strategy: check, check_cols: all }
  - name: people_cities
    relation: "select * from raw.people"
    config: { unique_key: id, strategy: check, check_cols: all }
  - name: people_raw
    relation: raw.people
    config:
      unique_key: id
      strategy: check
      check_cols: all
      snapshot_meta_column_names: { dbt_valid_from: valid, dbt_valid_to: valid, dbt_scd: x }
`,
  });
  const out = await cli(p.root, ["ls"], 2);
  assert.match(
    out.stderr,
    /snapshots\/history\/people_file\.sql: Snapshot "people_file" is also defined by the relation: of snapshots\/history\/people\.yml: remove one of them/,
  );
  assert.match(
    out.stderr,
    /people\.yml:6:\d+: snapshots\[1\]\.relation: ref\("stg_peeple"\): no model or seed named "stg_peeple" \(did you mean "stg_people"\?\)/,
  );
  assert.match(
    out.stderr,
    /people\.yml:9:\d+: snapshots\[2\]\.relation: expected a relation \(marts\.orders\), ref\('orders'\) or source\('raw', 'claims'\), got "select \* from raw\.people"/,
  );
  assert.match(
    out.stderr,
    /people\.yml:17:\d+: snapshots\[3\]\.config\.snapshot_meta_column_names\.dbt_scd: unknown key "dbt_scd" in snapshot_meta_column_names \(did you mean "dbt_scd_id"\?\)/,
  );
  await p.write(
    "snapshots/history/people.yml",
    PLAIN["snapshots/history/people.yml"].replace(
      "dbt_valid_to: valid_to",
      "dbt_valid_to: VALID_FROM",
    ),
  );
  const twice = await cli(p.root, ["ls"], 2);
  assert.match(
    twice.stderr,
    /people\.yml:\d+:\d+: snapshots\[1\]\.config\.snapshot_meta_column_names: "valid_from" names two of the snapshot's columns/,
  );
});

/** A dbt project: YAML snapshots in models/ and snapshots/, a {% snapshot %} file, and the snapshots: tree. */
const DBT = {
  "dbt_project.yml": `name: shop
config-version: 2
snapshots:
  shop:
    +target_schema: history
    +unique_key: id
    scd:
      +strategy: check
      +check_cols: [tier]
      +tags: [scd]
`,
  "models/sources.yml": `sources:
  - name: app
    schema: raw
    tables:
      - name: customers
snapshots:
  - name: customers_history
    relation: source('app', 'customers')
    description: Every version of a customer.
    config:
      strategy: timestamp
      updated_at: updated_at
      hard_deletes: new_record
      dbt_valid_to_current: "timestamp '9999-12-31'"
    columns:
      - name: id
        data_tests: [not_null]
`,
  "models/stg_customers.sql": "select id, name, tier from {{ source('app', 'customers') }}\n",
  "models/current_customers.sql":
    "select id, name from {{ ref('customers_history') }} where dbt_valid_to = timestamp '9999-12-31' and dbt_is_deleted = 'False'\n",
  "snapshots/scd/tiers.yml": `snapshots:
  - name: tier_history
    relation: ref('stg_customers')
    config: { schema: scd, target_schema: null }
  - name: name_history
    description: Names, from a snapshot block.
`,
  "snapshots/scd/names.sql": `{% snapshot name_history %}
{{ config(check_cols=['name']) }}
select id, name from {{ ref('stg_customers') }}
{% endsnapshot %}
`,
};

Deno.test("dbt project: YAML snapshots and the snapshots: tree of dbt_project.yml, recorded in the manifest as snapshots", async () => {
  await using p = await tempProject(DBT);
  const db = `${p.root}/shop.duckdb`;
  await customersSource(db);
  const ls = await cli(p.root, ["--json", "ls", "-s", "resource_type:snapshot"]);
  assert.deepEqual(
    JSON.parse(ls.stdout).filter((n: Record<string, unknown>) => n.type === "snapshot").map((
      n: Record<string, unknown>,
    ) => [n.id, n.path, n.tags]),
    [
      ["history.customers_history", "models/sources.yml", []],
      ["history.name_history", "snapshots/scd/names.sql", ["scd"]],
      ["main_scd.tier_history", "snapshots/scd/tiers.yml", ["scd"]],
    ],
  );
  const tagged = await cli(p.root, ["ls", "-s", "tag:scd,config.strategy:check"]);
  assert.match(tagged.stdout, /history\.name_history/);
  assert.match(tagged.stdout, /main_scd\.tier_history/);
  await cli(p.root, ["build"]);
  await sql(
    db,
    `update raw.customers set name = 'Anne', updated_at = '2024-02-01' where id = 1;
     update raw.customers set tier = 'gold' where id = 2`,
  );
  const changed = await cli(p.root, ["build"]);
  // timestamp: Ann's new name is a new version, Bob's tier (no newer updated_at) is not.
  assert.match(
    lineOf(changed.stdout, "history.customers_history"),
    /snapshot: 0 new, 1 changed, 0 deleted, 1 unchanged/,
  );
  // check on [tier] from the scd folder's configs; name_history's own config() checks [name].
  assert.match(
    lineOf(changed.stdout, "main_scd.tier_history"),
    /snapshot: 0 new, 1 changed, 1 unchanged/,
  );
  assert.match(
    lineOf(changed.stdout, "history.name_history"),
    /snapshot: 0 new, 1 changed, 1 unchanged/,
  );
  await sql(db, "delete from raw.customers where id = 2");
  await cli(p.root, ["build"]);
  assert.deepEqual(await sql(db, "select id, name from main.current_customers order by id"), [
    { id: 1, name: "Anne" },
  ]);
  assert.deepEqual(
    await sql(
      db,
      "select id, dbt_is_deleted, dbt_valid_to = timestamp '9999-12-31' as current from history.customers_history order by id, dbt_valid_from, dbt_is_deleted",
    ),
    [
      { id: 1, dbt_is_deleted: "False", current: false },
      { id: 1, dbt_is_deleted: "False", current: true },
      { id: 2, dbt_is_deleted: "False", current: false },
      { id: 2, dbt_is_deleted: "True", current: true },
    ],
  );

  const m = await manifestOf(p.root);
  assert.deepEqual(snapshotsOf(m), {
    "snapshot.shop.customers_history": [
      "sources.yml/customers_history.sql",
      "models/sources.yml",
      ["shop", "customers_history"],
      "select * from {{ source('app', 'customers') }}",
    ],
    "snapshot.shop.name_history": [
      "scd/names.sql",
      "snapshots/scd/names.sql",
      ["shop", "scd", "names", "name_history"],
      // The block's contents, as dbt's raw_code.
      "\n{{ config(check_cols=['name']) }}\nselect id, name from {{ ref('stg_customers') }}\n",
    ],
    "snapshot.shop.tier_history": [
      "scd/tiers.yml/tier_history.sql",
      "snapshots/scd/tiers.yml",
      ["shop", "scd", "tier_history"],
      "select * from {{ ref('stg_customers') }}",
    ],
  });
  const config = m.nodes["snapshot.shop.customers_history"]!.config as Record<string, unknown>;
  assert.deepEqual(
    [config.target_schema, config.unique_key, config.strategy, config.hard_deletes],
    ["history", "id", "timestamp", "new_record"],
  );
  assert.equal(m.nodes["snapshot.shop.name_history"]!.description, "Names, from a snapshot block.");
  assert.deepEqual(m.parent_map["model.shop.current_customers"], [
    "snapshot.shop.customers_history",
  ]);
  assert.deepEqual(m.parent_map["snapshot.shop.tier_history"], ["model.shop.stg_customers"]);
  const results = JSON.parse(await Deno.readTextFile(`${p.root}/target/run_results.json`));
  assert.ok(
    results.results.some((r: { unique_id: string }) =>
      r.unique_id === "snapshot.shop.tier_history"
    ),
  );
});

Deno.test("dbt project: problems of YAML snapshots and of the snapshots: tree name their file and key", async () => {
  await using p = await tempProject({
    ...DBT,
    "dbt_project.yml": DBT["dbt_project.yml"].replace("+check_cols", "+check_col").replace(
      "    scd:",
      "    sdc:\n      +strategy: check\n    scd:",
    ),
    "snapshots/scd/tiers.yml": `snapshots:
  - name: tier_history
    relation: stg_customers
  - name: name_history
    relation: ref('stg_customers')
  - name: nothing_here
    description: Not a snapshot.
  - name: wrong
    relation: ref('stg_customer')
    constraints: [{ type: not_null, columns: [id] }]
`,
  });
  const out = await cli(p.root, ["ls"], 2);
  assert.match(
    out.stderr,
    /dbt_project\.yml:\d+:\d+: snapshots\.shop\.scd\.\+check_col: unknown config "check_col" \(did you mean "check_cols"\?\)/,
  );
  assert.match(
    out.stderr,
    /dbt_project\.yml:\d+:\d+: snapshots\.shop\.sdc: no snapshot under "sdc"/,
  );
  assert.match(
    out.stderr,
    /tiers\.yml:3:\d+: snapshots\[0\]\.relation: expected ref\('model'\) or source\('source', 'table'\), got "stg_customers"/,
  );
  assert.match(
    out.stderr,
    /tiers\.yml:5:\d+: snapshots\[1\]\.relation: snapshot "name_history" is also a \{% snapshot %\} block of snapshots\/scd\/names\.sql: remove one of them/,
  );
  assert.match(
    out.stderr,
    /tiers\.yml:6:\d+: snapshots\[2\]\.name: no snapshot "nothing_here" in the project.*: define it here with relation: ref\('<model>'\)/,
  );
  assert.match(
    out.stderr,
    /tiers\.yml:9: Cannot render the SQL: ref\("stg_customer"\): no model or seed named "stg_customer" \(did you mean "stg_customers"\?\)/,
  );
  assert.match(
    out.stderr,
    /tiers\.yml:10:\d+: snapshots\[3\]\.constraints\[0\]: constraints apply to models: test a snapshot's columns with tests:/,
  );
});
