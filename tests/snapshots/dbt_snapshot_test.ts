/**
 * Snapshots in a dbt project, end to end through the CLI on a DuckDB file:
 * `{% snapshot %}` blocks with `{{ config(...) }}` in snapshots/, named as
 * dbt names them (target_schema as written, schema through
 * generate_schema_name), read by a model with `ref()`, both strategies and
 * hard deletes, and the errors of a bad config.
 */
import assert from "node:assert/strict";
import { tempProject } from "../helpers.ts";
import { cli, customersSource, keysWithoutOneCurrent, lineOf, sql } from "./helpers.ts";

const FILES = {
  "dbt_project.yml": "name: shop\nconfig-version: 2\n",
  "models/sources.yml":
    "sources:\n  - name: app\n    schema: raw\n    tables:\n      - name: customers\n",
  "snapshots/customers_snapshot.sql": `{% snapshot customers_snapshot %}
{{ config(
    target_schema='snapshots',
    unique_key='id',
    strategy='timestamp',
    updated_at='updated_at',
    hard_deletes='invalidate',
) }}
select id, name, tier, updated_at from {{ source('app', 'customers') }}
{% endsnapshot %}
`,
  "snapshots/tiers.sql": `{% snapshot tier_history %}
{{ config(schema='history', unique_key=['id'], strategy='check', check_cols=['tier'], hard_deletes='new_record') }}
select id, tier from {{ source('app', 'customers') }}
{% endsnapshot %}
`,
  "models/current_customers.sql":
    "select id, name, tier from {{ ref('customers_snapshot') }} where dbt_valid_to is null\n",
};

Deno.test("dbt project: {% snapshot %} blocks build with dbt's names and semantics, before the models that ref() them", async () => {
  await using p = await tempProject(FILES);
  const db = `${p.root}/shop.duckdb`;
  await customersSource(db);
  const ls = await cli(p.root, ["--json", "ls", "-s", "type:snapshot"]);
  assert.deepEqual(
    JSON.parse(ls.stdout).map((n: Record<string, string>) => [n.id, n.type, n.path]),
    [
      ["main_history.tier_history", "snapshot", "snapshots/tiers.sql"],
      ["snapshots.customers_snapshot", "snapshot", "snapshots/customers_snapshot.sql"],
    ],
  );
  const built = await cli(p.root, ["build"]);
  assert.match(built.stdout, /^Running 0 seeds, 2 snapshots, 1 model, 0 tests /m);
  const lines = built.stdout.split("\n");
  assert.ok(
    lines.findIndex((l) => l.includes(" snapshots.customers_snapshot ")) <
      lines.findIndex((l) => l.includes(" main.current_customers ")),
  );
  // Unchanged: nothing added.
  const again = await cli(p.root, ["snapshot"]);
  assert.match(
    lineOf(again.stdout, "snapshots.customers_snapshot"),
    /0 new, 0 changed, 0 deleted, 2 unchanged/,
  );

  // Ann renamed (timestamp strategy: a new version), Bob moved tier, then deleted; Cy new.
  await sql(
    db,
    `update raw.customers set name = 'Anne', updated_at = '2024-02-01' where id = 1;
     update raw.customers set tier = 'gold' where id = 2;`,
  );
  const changed = await cli(p.root, ["snapshot"]);
  assert.match(
    lineOf(changed.stdout, "snapshots.customers_snapshot"),
    /\[3 rows, snapshot: 0 new, 1 changed, 0 deleted, 1 unchanged/,
  );
  assert.match(
    lineOf(changed.stdout, "main_history.tier_history"),
    /\[3 rows, snapshot: 0 new, 1 changed, 0 deleted, 1 unchanged/,
  );
  await sql(
    db,
    "delete from raw.customers where id = 2; insert into raw.customers values (3, 'Cy', 'bronze', '2024-03-01')",
  );
  await cli(p.root, ["build"]);
  assert.deepEqual(
    await sql(db, "select id, name, tier from main.current_customers order by id"),
    [{ id: 1, name: "Anne", tier: "gold" }, { id: 3, name: "Cy", tier: "bronze" }],
  );
  assert.deepEqual(
    await sql(
      db,
      "select id, name, strftime(dbt_valid_from, '%Y-%m-%d') as valid_from, dbt_valid_to is null as current from snapshots.customers_snapshot order by id, dbt_valid_from",
    ),
    [
      { id: 1, name: "Ann", valid_from: "2024-01-01", current: false },
      { id: 1, name: "Anne", valid_from: "2024-02-01", current: true },
      { id: 2, name: "Bob", valid_from: "2024-01-01", current: false }, // invalidated
      { id: 3, name: "Cy", valid_from: "2024-03-01", current: true },
    ],
  );
  assert.deepEqual(
    await sql(
      db,
      "select id, tier, dbt_is_deleted, dbt_valid_to is null as current from main_history.tier_history order by id, dbt_valid_from, dbt_is_deleted",
    ),
    [
      { id: 1, tier: "gold", dbt_is_deleted: "False", current: true },
      { id: 2, tier: "silver", dbt_is_deleted: "False", current: false },
      { id: 2, tier: "gold", dbt_is_deleted: "False", current: false },
      { id: 2, tier: "gold", dbt_is_deleted: "True", current: true }, // new_record
      { id: 3, tier: "bronze", dbt_is_deleted: "False", current: true },
    ],
  );
  assert.deepEqual(await keysWithoutOneCurrent(db, "main_history.tier_history", "id"), []);
});

Deno.test("dbt project: a snapshot's bad config() is an error naming the file and key", async () => {
  await using p = await tempProject({
    ...FILES,
    "snapshots/customers_snapshot.sql": FILES["snapshots/customers_snapshot.sql"].replace(
      "hard_deletes='invalidate'",
      "hard_deletes='remove'",
    ),
    "snapshots/tiers.sql": FILES["snapshots/tiers.sql"].replace(
      "check_cols=['tier']",
      "check_col=['tier']",
    ),
  });
  const out = await cli(p.root, ["ls"], 2);
  assert.match(
    out.stderr,
    /snapshots\/customers_snapshot\.sql: config\(hard_deletes=…\) of snapshot customers_snapshot: expected one of "ignore", "invalidate", "new_record", got "remove"/,
  );
  assert.match(
    out.stderr,
    /snapshots\/tiers\.sql:2: .*config\(check_col=…\): unknown config "check_col" \(did you mean "check_cols"\?\): wharf reads .*"unique_key", "strategy", "updated_at"/,
  );
});

/** One file of two snapshots, as dbt allows: each block is a snapshot named by its block. */
const HISTORY = `-- Two histories of the customers.
{% snapshot name_history %}
{{ config(target_schema='snapshots', unique_key='id', strategy='check', check_cols=['name']) }}
select id, name from {{ source('app', 'customers') }}
{% endsnapshot %}

{% snapshot tier_versions %}
{{ config(target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at') }}
select id, tier, updated_at from {{ source('app', 'customers') }}
{% endsnapshot %}
`;

Deno.test("dbt project: a file of several {% snapshot %} blocks is a snapshot per block, each in the manifest from that file", async () => {
  await using p = await tempProject({
    ...FILES,
    "snapshots/history.sql": HISTORY,
    "models/tiers.sql":
      "select id, tier from {{ ref('tier_versions') }} where dbt_valid_to is null\n",
    "snapshots/history.yml":
      "snapshots:\n  - name: tier_versions\n    description: Tiers, from the second block.\n",
  });
  const db = `${p.root}/shop.duckdb`;
  await customersSource(db);
  const ls = await cli(p.root, ["--json", "ls", "-s", "type:snapshot"]);
  assert.deepEqual(
    JSON.parse(ls.stdout).map((n: Record<string, string>) => [n.id, n.path]),
    [
      ["main_history.tier_history", "snapshots/tiers.sql"],
      ["snapshots.customers_snapshot", "snapshots/customers_snapshot.sql"],
      ["snapshots.name_history", "snapshots/history.sql"],
      ["snapshots.tier_versions", "snapshots/history.sql"],
    ],
  );
  const built = await cli(p.root, ["build"]);
  assert.match(built.stdout, /^Running 0 seeds, 4 snapshots, 2 models, 0 tests /m);
  assert.match(lineOf(built.stdout, "snapshots.name_history"), /first build, 2 current rows/);
  assert.match(lineOf(built.stdout, "snapshots.tier_versions"), /first build, 2 current rows/);

  // Each block keeps its own strategy and columns.
  await sql(
    db,
    "update raw.customers set name = 'Anne' where id = 1; update raw.customers set tier = 'gold', updated_at = '2024-02-01' where id = 2",
  );
  const taken = await cli(p.root, ["snapshot", "-s", "name_history", "tier_versions"]);
  assert.match(taken.stdout, /^Running 2 snapshots /m);
  assert.match(
    lineOf(taken.stdout, "snapshots.name_history"),
    /\[3 rows, snapshot: 0 new, 1 changed, 1 unchanged/,
  );
  assert.match(
    lineOf(taken.stdout, "snapshots.tier_versions"),
    /\[3 rows, snapshot: 0 new, 1 changed, 1 unchanged/,
  );
  assert.deepEqual(
    await sql(
      db,
      "select * exclude (dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to) from snapshots.name_history where dbt_valid_to is null order by id",
    ),
    [{ id: 1, name: "Anne" }, { id: 2, name: "Bob" }],
  );
  await cli(p.root, ["run", "-s", "tiers"]);
  assert.deepEqual(await sql(db, "select id, tier from main.tiers order by id"), [
    { id: 1, tier: "gold" },
    { id: 2, tier: "gold" },
  ]);

  const m = JSON.parse(await Deno.readTextFile(`${p.root}/target/manifest.json`));
  // Each is a snapshot of the file, its fqn the file's name then its own, its code its block's.
  for (const name of ["name_history", "tier_versions"]) {
    const n = m.nodes[`snapshot.shop.${name}`];
    const block = HISTORY.slice(HISTORY.indexOf(`{% snapshot ${name} %}`));
    assert.deepEqual([n.resource_type, n.path, n.original_file_path, n.fqn, n.raw_code], [
      "snapshot",
      "history.sql",
      "snapshots/history.sql",
      ["shop", "history", name],
      block.slice(block.indexOf("%}") + 2, block.indexOf("{% endsnapshot %}")),
    ]);
  }
  assert.equal(m.nodes["snapshot.shop.tier_versions"].description, "Tiers, from the second block.");
  assert.notEqual(
    m.nodes["snapshot.shop.name_history"].checksum.checksum,
    m.nodes["snapshot.shop.tier_versions"].checksum.checksum,
  );
  assert.deepEqual(m.parent_map["model.shop.tiers"], ["snapshot.shop.tier_versions"]);

  // A change to one block modifies that snapshot only.
  await Deno.rename(`${p.root}/target`, `${p.root}/state`);
  await p.write(
    "snapshots/history.sql",
    HISTORY.replace("select id, tier,", "select id, tier, name,"),
  );
  const modified = await cli(p.root, ["--json", "ls", "-s", "state:modified", "--state", "state"]);
  assert.deepEqual(JSON.parse(modified.stdout).map((n: { id: string }) => n.id), [
    "snapshots.tier_versions",
  ]);

  // A problem in the second block names its line in the file.
  await p.write(
    "snapshots/history.sql",
    HISTORY.replace("updated_at from {{", "updated_at from {{ nope() }} {{"),
  );
  const bad = await cli(p.root, ["ls"], 2);
  assert.match(bad.stderr, /snapshots\/history\.sql:9: .*nope/);
});

Deno.test("dbt project: an unclosed, nested or repeated {% snapshot %} block is an error naming the file and line", async () => {
  await using p = await tempProject({
    ...FILES,
    "snapshots/open.sql": "{% snapshot a %}\nselect 1 as id\n",
    "snapshots/nested.sql":
      "{% snapshot b %}\nselect 1 as id\n{% snapshot c %}select 2 as id{% endsnapshot %}\n{% endsnapshot %}\n",
    "snapshots/twice.sql":
      "{% snapshot d %}select 1 as id{% endsnapshot %}\n\n{% snapshot d %}select 2 as id{% endsnapshot %}\n",
    "snapshots/none.sql": "select 1 as id\n",
  });
  const out = await cli(p.root, ["ls"], 2);
  assert.match(out.stderr, /snapshots\/open\.sql:1: \{% snapshot a %\} has no \{% endsnapshot %\}/);
  assert.match(
    out.stderr,
    /snapshots\/nested\.sql:3: \{% snapshot c %\} opens inside \{% snapshot b %\} \(line 1\): close it with \{% endsnapshot %\} first/,
  );
  assert.match(
    out.stderr,
    /snapshots\/twice\.sql:3: a second \{% snapshot d %\} block \(the first is at line 1\): give each snapshot its own name/,
  );
  assert.match(
    out.stderr,
    /snapshots\/none\.sql: no \{% snapshot <name> %\} … \{% endsnapshot %\} block/,
  );
});

Deno.test("dbt project: wharf snapshot --empty creates new snapshots with no row and leaves taken ones as they were", async () => {
  await using p = await tempProject(FILES);
  const db = `${p.root}/shop.duckdb`;
  await customersSource(db);
  const history = () =>
    sql(
      db,
      "select id, name, dbt_valid_to is null as current from snapshots.customers_snapshot order by all",
    );
  await cli(p.root, ["snapshot", "--empty"]);
  assert.deepEqual(await history(), []);
  await cli(p.root, ["snapshot"]);
  const taken = await history();
  assert.equal(taken.length, 2);
  // Bob deleted: a run would invalidate him (hard_deletes='invalidate'); --empty rolls its run back.
  await sql(db, "delete from raw.customers where id = 2");
  const empty = await cli(p.root, ["snapshot", "--empty"]);
  assert.match(
    lineOf(empty.stdout, "snapshots.customers_snapshot"),
    /\[2 rows, --empty: history left as it was/,
  );
  assert.deepEqual(await history(), taken);
  assert.deepEqual(await keysWithoutOneCurrent(db, "snapshots.customers_snapshot", "id"), []);
  const run = await cli(p.root, ["snapshot"]);
  assert.match(
    lineOf(run.stdout, "snapshots.customers_snapshot"),
    /0 new, 0 changed, 1 deleted, 1 unchanged/,
  );
});
