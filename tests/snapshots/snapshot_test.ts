/**
 * Snapshots in a plain-SQL project, end to end through the CLI on a DuckDB
 * file: the timestamp and check strategies, hard deletes each way, a changed
 * row, an unchanged rerun, a model reading a snapshot in `build`, selection,
 * and the errors of a bad config.
 */
import assert from "node:assert/strict";
import { tempProject } from "../helpers.ts";
import { cli, keysWithoutOneCurrent, lineOf, sql } from "./helpers.ts";

const PEOPLE = "select id, name, city, updated_at from raw.people\n";

/** Three timestamp snapshots of one source, one per `hard_deletes`, and two check snapshots. */
const FILES = {
  "snapshots/people_ignore.sql": PEOPLE,
  "snapshots/people_invalidate.sql": PEOPLE,
  "snapshots/people_new_record.sql": PEOPLE,
  "snapshots/people_city.sql": "select id, name, city from raw.people\n",
  "snapshots/people_all.sql": "select id, name, city from raw.people\n",
  "snapshots/snapshots.yml": `snapshots:
  - name: people_ignore
    description: Every version of a person, deletions ignored.
    config: { unique_key: id, strategy: timestamp, updated_at: updated_at }
  - name: people_invalidate
    config: { unique_key: id, strategy: timestamp, updated_at: updated_at, hard_deletes: invalidate }
  - name: people_new_record
    config: { unique_key: id, strategy: timestamp, updated_at: updated_at, hard_deletes: new_record }
  - name: people_city
    config:
      unique_key: [id]
      strategy: check
      check_cols: [city]
      dbt_valid_to_current: "timestamp '9999-12-31'"
      target_schema: history
  - name: people_all
    config: { unique_key: id, strategy: check, check_cols: all, schema: history }
`,
  "models/marts/current_people.sql":
    "select id, city from snapshots.people_new_record where dbt_valid_to is null and dbt_is_deleted = 'False'\n",
};

async function peopleProject() {
  const p = await tempProject(FILES);
  await sql(
    p.db,
    `create schema raw;
     create table raw.people (id integer, name varchar, city varchar, updated_at timestamp);
     insert into raw.people values
       (1, 'Ann', 'Boston', '2024-01-01'), (2, 'Bob', 'Austin', '2024-01-01'),
       (3, 'Cy', 'Miami', '2024-01-01')`,
  );
  return p;
}

/** The versions of `relation`: id, city, valid from/to as dates, and the deleted flag if asked. */
async function versions(db: string, relation: string, deleted = false) {
  const flag = deleted ? ", dbt_is_deleted" : "";
  return (await sql(
    db,
    `select id, city, strftime(dbt_valid_from, '%Y-%m-%d') as valid_from,
       coalesce(strftime(dbt_valid_to, '%Y-%m-%d'), 'current') as valid_to${flag}
     from ${relation} order by id, dbt_valid_from${flag}`,
  )).map((r) => Object.values(r).join(" "));
}

Deno.test("wharf snapshot keeps each version of a changed row, and each hard_deletes way deletions", async () => {
  await using p = await peopleProject();
  const today = new Date().toISOString().slice(0, 10);
  const first = await cli(p.root, ["snapshot"]);
  assert.match(first.stdout, /^Running 5 snapshots with /m);
  assert.match(
    lineOf(first.stdout, "snapshots.people_ignore"),
    /OK {4}snapshot snapshots\.people_ignore .*\[3 rows, snapshot: first build, 3 current rows/,
  );

  // Nothing changed at the source: nothing added.
  const again = await cli(p.root, ["snapshot"]);
  assert.match(
    lineOf(again.stdout, "snapshots.people_new_record"),
    /\[3 rows, snapshot: 0 new, 0 changed, 0 deleted, 3 unchanged/,
  );
  assert.match(
    lineOf(again.stdout, "history.people_all"),
    /\[3 rows, snapshot: 0 new, 0 changed, 3 unchanged/,
  );

  // Ann moved, Bob is gone, Dee is new.
  await sql(
    p.db,
    `update raw.people set city = 'Denver', updated_at = '2024-02-01' where id = 1;
     delete from raw.people where id = 2;
     insert into raw.people values (4, 'Dee', 'Tulsa', '2024-02-01')`,
  );
  const changed = await cli(p.root, ["snapshot"]);
  assert.match(
    lineOf(changed.stdout, "snapshots.people_ignore"),
    /\[5 rows, snapshot: 1 new, 1 changed, 1 unchanged/,
  );
  assert.match(
    lineOf(changed.stdout, "snapshots.people_invalidate"),
    /\[5 rows, snapshot: 1 new, 1 changed, 1 deleted, 1 unchanged/,
  );
  assert.match(
    lineOf(changed.stdout, "snapshots.people_new_record"),
    /\[6 rows, snapshot: 1 new, 1 changed, 1 deleted, 1 unchanged/,
  );
  assert.deepEqual(await versions(p.db, "snapshots.people_ignore"), [
    "1 Boston 2024-01-01 2024-02-01",
    "1 Denver 2024-02-01 current",
    "2 Austin 2024-01-01 current", // ignore: a deleted row stays current
    "3 Miami 2024-01-01 current",
    "4 Tulsa 2024-02-01 current",
  ]);
  assert.deepEqual(await versions(p.db, "snapshots.people_invalidate"), [
    "1 Boston 2024-01-01 2024-02-01",
    "1 Denver 2024-02-01 current",
    `2 Austin 2024-01-01 ${today}`, // invalidate: closed at the run's time
    "3 Miami 2024-01-01 current",
    "4 Tulsa 2024-02-01 current",
  ]);
  assert.deepEqual(await versions(p.db, "snapshots.people_new_record", true), [
    "1 Boston 2024-01-01 2024-02-01 False",
    "1 Denver 2024-02-01 current False",
    `2 Austin 2024-01-01 ${today} False`,
    `2 Austin ${today} current True`, // new_record: a current row says it is deleted
    "3 Miami 2024-01-01 current False",
    "4 Tulsa 2024-02-01 current False",
  ]);
  for (const s of ["people_ignore", "people_new_record"]) {
    assert.deepEqual(await keysWithoutOneCurrent(p.db, `snapshots.${s}`, "id"), []);
  }

  // check_cols [city]: a new version when the city changes; dbt_valid_to_current marks current rows.
  assert.deepEqual(
    (await sql(
      p.db,
      "select id, city, strftime(dbt_valid_to, '%Y-%m-%d') as valid_to from history.people_city order by id, dbt_valid_from",
    )).map((r) => Object.values(r).join(" ")),
    [
      "1 Boston " + today,
      "1 Denver 9999-12-31",
      "2 Austin 9999-12-31",
      "3 Miami 9999-12-31",
      "4 Tulsa 9999-12-31",
    ],
  );
  // A name change is not a change for check_cols [city], but is for check_cols: all.
  await sql(p.db, "update raw.people set name = 'Cyrus' where id = 3");
  const renamed = await cli(p.root, ["snapshot", "--select", "history"]);
  assert.match(lineOf(renamed.stdout, "history.people_city"), /0 new, 0 changed, 3 unchanged/);
  assert.match(lineOf(renamed.stdout, "history.people_all"), /0 new, 1 changed, 2 unchanged/);
  assert.deepEqual(
    await sql(
      p.db,
      "select name from history.people_all where id = 3 order by dbt_valid_from",
    ),
    [{ name: "Cy" }, { name: "Cyrus" }],
  );

  // Bob comes back: invalidate opens a new version; new_record closes the deletion record.
  await sql(p.db, "insert into raw.people values (2, 'Bob', 'Austin', '2024-03-01')");
  await cli(p.root, ["snapshot", "--exclude", "history"]);
  assert.deepEqual(
    (await versions(p.db, "snapshots.people_invalidate")).filter((v) => v[0] === "2"),
    [
      `2 Austin 2024-01-01 ${today}`,
      "2 Austin 2024-03-01 current",
    ],
  );
  assert.deepEqual(
    (await versions(p.db, "snapshots.people_new_record", true)).filter((v) => v[0] === "2"),
    [
      `2 Austin 2024-01-01 ${today} False`,
      "2 Austin 2024-03-01 current False",
      `2 Austin ${today} 2024-03-01 True`,
    ],
  );
  assert.deepEqual(await keysWithoutOneCurrent(p.db, "snapshots.people_new_record", "id"), []);
});

Deno.test("build takes snapshots before the models that read them; run leaves them out; ls shows them", async () => {
  await using p = await peopleProject();
  const built = await cli(p.root, ["build"]);
  assert.match(built.stdout, /^Running 0 seeds, 5 snapshots, 1 model, 0 tests /m);
  const order = built.stdout.split("\n").filter((l) => / of 6 /.test(l)).map((l) =>
    l.split(/\s+/)[5]
  );
  assert.ok(
    order.indexOf("snapshots.people_new_record") < order.indexOf("marts.current_people"),
    order.join(", "),
  );
  assert.deepEqual(await sql(p.db, "select id, city from marts.current_people order by id"), [
    { id: 1, city: "Boston" },
    { id: 2, city: "Austin" },
    { id: 3, city: "Miami" },
  ]);
  const run = await cli(p.root, ["run"]);
  assert.match(run.stdout, /^Running 0 seeds, 1 model, 0 tests /m);

  const ls = await cli(p.root, ["--json", "ls", "--select", "type:snapshot"]);
  assert.deepEqual(
    JSON.parse(ls.stdout).map((
      n: Record<string, string>,
    ) => [n.id, n.type, n.materialized, n.path]),
    [
      ["history.people_all", "snapshot", "snapshot", "snapshots/people_all.sql"],
      ["history.people_city", "snapshot", "snapshot", "snapshots/people_city.sql"],
      ["snapshots.people_ignore", "snapshot", "snapshot", "snapshots/people_ignore.sql"],
      ["snapshots.people_invalidate", "snapshot", "snapshot", "snapshots/people_invalidate.sql"],
      ["snapshots.people_new_record", "snapshot", "snapshot", "snapshots/people_new_record.sql"],
    ],
  );
  // A snapshot of a several-column key; selected with its downstream model.
  await p.write(
    "snapshots/visits.sql",
    "select hospital, visit_id, balance, delivered_at from raw.visits\n",
  );
  await p.write(
    "snapshots/visits.yml",
    "snapshots:\n  - name: visits\n    config: { unique_key: [hospital, visit_id], strategy: timestamp, updated_at: delivered_at }\n",
  );
  await sql(
    p.db,
    `create table raw.visits as select * from (values ('A', 1, 100, timestamptz '2024-01-01 00:00:00+00'), ('B', 1, 200, timestamptz '2024-01-01 00:00:00+00')) t(hospital, visit_id, balance, delivered_at)`,
  );
  await cli(p.root, ["snapshot", "-s", "visits"]);
  await sql(
    p.db,
    "update raw.visits set balance = 150, delivered_at = timestamptz '2024-01-02 00:00:00+00' where hospital = 'B'",
  );
  const out = await cli(p.root, ["snapshot", "-s", "visits"]);
  assert.match(
    lineOf(out.stdout, "snapshots.visits"),
    /\[3 rows, snapshot: 0 new, 1 changed, 1 unchanged/,
  );
  assert.deepEqual(
    await sql(
      p.db,
      "select hospital, balance from snapshots.visits where dbt_valid_to is null order by 1",
    ),
    [{ hospital: "A", balance: 100 }, { hospital: "B", balance: 150 }],
  );
});

Deno.test("a snapshot's bad config is an error naming the file and key; a key shared by two rows changes nothing", async () => {
  await using p = await peopleProject();
  await p.write(
    "snapshots/snapshots.yml",
    FILES["snapshots/snapshots.yml"].replace(
      "updated_at: updated_at }",
      "updated_at: updated_at, invalidate: true }",
    )
      .replace("strategy: check, check_cols: all", "strategy: check"),
  );
  const bad = await cli(p.root, ["snapshot"], 2);
  assert.match(
    bad.stderr,
    /snapshots\/snapshots\.yml:4:\d+: snapshots\[0\]\.config\.invalidate: unknown key "invalidate" in a snapshot's config \(did you mean "invalidate_hard_deletes"\?\)/,
  );
  assert.match(
    bad.stderr,
    /snapshots\/snapshots\.yml:17:\d+: snapshots\[4\]\.config\.strategy: the check strategy needs "check_cols"/,
  );
  await p.write("snapshots/snapshots.yml", FILES["snapshots/snapshots.yml"]);
  await p.write(
    "models/marts/oops.yml",
    "models:\n  - name: current_people\n    config: { materialized: snapshot }\n",
  );
  const model = await cli(p.root, ["build"], 2);
  assert.match(model.stderr, /a snapshot is a file of snapshots\/, not a model/);
  await p.remove("models/marts/oops.yml");
  await p.write("snapshots/loose.sql", "select 1 as id\n");
  const loose = await cli(p.root, ["snapshot"], 2);
  assert.match(loose.stderr, /snapshots\/loose\.sql.*Snapshot "loose" has no config/);
  await p.remove("snapshots/loose.sql");

  await cli(p.root, ["snapshot"]);
  await sql(p.db, "insert into raw.people values (1, 'Ann', 'Denver', '2024-02-01')");
  const dup = await cli(p.root, ["snapshot", "-s", "people_ignore"], 1);
  assert.match(
    dup.stdout,
    /Cannot snapshot snapshots\.people_ignore: its unique_key \(id\) is not unique in its SELECT's rows: id = 1 \(2 rows\): nothing was changed/,
  );
  assert.deepEqual(await sql(p.db, "select count(*)::INTEGER as n from snapshots.people_ignore"), [{
    n: 3,
  }]);
});

Deno.test("a column the SELECT gains joins the table; build --full-refresh keeps the history; a NULL key changes nothing", async () => {
  await using p = await peopleProject();
  await cli(p.root, ["snapshot", "-s", "people_ignore", "people_all"]);
  await sql(p.db, "update raw.people set city = 'Denver', updated_at = '2024-02-01' where id = 1");
  await cli(p.root, ["build", "--full-refresh", "-s", "people_ignore", "people_all"]);
  assert.deepEqual(
    await sql(p.db, "select count(*)::INTEGER as n from snapshots.people_ignore"),
    [{ n: 4 }],
  );
  for (const name of ["people_ignore", "people_all"]) {
    await p.write(
      `snapshots/${name}.sql`,
      "select id, name, city, updated_at, 'x' as note from raw.people\n",
    );
  }
  const out = await cli(p.root, ["snapshot", "-s", "people_ignore", "people_all"]);
  assert.match(
    lineOf(out.stdout, "snapshots.people_ignore"),
    /\[4 rows, snapshot: 0 new, 0 changed, 3 unchanged, new column note/,
  );
  // check_cols: all with a new column: every row is a new version, as in dbt.
  assert.match(
    lineOf(out.stdout, "history.people_all"),
    /\[7 rows, snapshot: 0 new, 3 changed, 0 unchanged, new columns updated_at, note/,
  );
  assert.deepEqual(
    await sql(
      p.db,
      "select id, note from snapshots.people_ignore where dbt_valid_to is null order by id",
    ),
    [{ id: 1, note: null }, { id: 2, note: null }, { id: 3, note: null }],
  );
  await sql(p.db, "insert into raw.people values (null, 'Nobody', 'Nowhere', '2024-03-01')");
  const nulls = await cli(p.root, ["snapshot", "-s", "people_ignore"], 1);
  assert.match(
    nulls.stdout,
    /Cannot snapshot snapshots\.people_ignore: 1 row\(s\) of its SELECT have a NULL unique_key \(id\): nothing was changed/,
  );
  assert.deepEqual(
    await sql(p.db, "select count(*)::INTEGER as n from snapshots.people_ignore"),
    [{ n: 4 }],
  );
});

Deno.test("wharf snapshot --empty creates a new snapshot with no row and leaves a taken one's history as it was", async () => {
  await using p = await peopleProject();
  const count = async (relation: string) =>
    (await sql(p.db, `select count(*)::INTEGER as n from ${relation}`))[0]!.n;
  // Not taken yet: created with its columns and no row.
  const created = await cli(p.root, ["snapshot", "--empty", "-s", "people_invalidate"]);
  assert.match(lineOf(created.stdout, "snapshots.people_invalidate"), /OK .*\[0 rows/);
  assert.equal(await count("snapshots.people_invalidate"), 0);
  assert.deepEqual(
    (await sql(
      p.db,
      "select column_name from information_schema.columns where table_schema = 'snapshots' and table_name = 'people_invalidate' order by ordinal_position",
    )).map((r) => r.column_name),
    [
      "id",
      "name",
      "city",
      "updated_at",
      "dbt_scd_id",
      "dbt_updated_at",
      "dbt_valid_from",
      "dbt_valid_to",
    ],
  );
  await cli(p.root, ["snapshot"]);
  assert.equal(await count("snapshots.people_invalidate"), 3);

  // Taken: a run with no row would close every current version (hard_deletes: invalidate);
  // --empty checks it and rolls it back.
  await sql(
    p.db,
    "update raw.people set city = 'Denver', updated_at = '2024-02-01' where id = 1; delete from raw.people where id = 2",
  );
  const before = await versions(p.db, "snapshots.people_invalidate");
  const empty = await cli(p.root, ["snapshot", "--empty"]);
  assert.match(
    lineOf(empty.stdout, "snapshots.people_invalidate"),
    /\[3 rows, --empty: history left as it was \(a run checked on no row, then rolled back\)/,
  );
  assert.deepEqual(await versions(p.db, "snapshots.people_invalidate"), before);
  assert.deepEqual(await keysWithoutOneCurrent(p.db, "snapshots.people_new_record", "id"), []);
  assert.equal(await count("snapshots.people_new_record"), 3);

  // The next run takes the changes as if --empty had not run.
  const next = await cli(p.root, ["snapshot", "-s", "people_invalidate"]);
  assert.match(
    lineOf(next.stdout, "snapshots.people_invalidate"),
    /\[4 rows, snapshot: 0 new, 1 changed, 1 deleted, 1 unchanged/,
  );

  // A snapshot whose SQL does not bind fails with --empty, naming it.
  await p.write("snapshots/people_all.sql", "select id, name, town from raw.people\n");
  const bad = await cli(p.root, ["snapshot", "--empty", "-s", "people_all"], 1);
  assert.match(bad.stdout, /ERROR +snapshot history\.people_all .*town/s);
});

Deno.test("wharf retry after wharf snapshot takes only the snapshots that failed, with --empty kept", async () => {
  await using p = await peopleProject();
  await sql(p.db, "insert into raw.people values (1, 'Ann', 'Denver', '2024-02-01')");
  await p.write("snapshots/people_all.sql", "select id, name, town from raw.people\n");
  const failed = await cli(p.root, ["snapshot", "--empty"], 1);
  assert.match(lineOf(failed.stdout, "history.people_all"), /ERROR/);
  await p.write("snapshots/people_all.sql", FILES["snapshots/people_all.sql"]);
  const retried = await cli(p.root, ["retry"]);
  assert.match(retried.stdout, /^Running 1 snapshot with /m);
  assert.match(lineOf(retried.stdout, "history.people_all"), /OK .*\[0 rows/);
  assert.deepEqual(await sql(p.db, "select count(*)::INTEGER as n from history.people_all"), [{
    n: 0,
  }]);
  // Without --empty, the key shared by two rows fails every snapshot but the one selected;
  // retry takes those again, on their rows.
  const dup = await cli(p.root, ["snapshot", "--exclude", "people_city"], 1);
  assert.match(dup.stdout, /4 errored/);
  await sql(p.db, "delete from raw.people where city = 'Denver'");
  const again = await cli(p.root, ["retry"]);
  assert.match(again.stdout, /^Running 4 snapshots with /m);
  assert.match(again.stdout, /4 ok/);
  assert.deepEqual(await sql(p.db, "select count(*)::INTEGER as n from history.people_all"), [{
    n: 3,
  }]);
  assert.deepEqual(await sql(p.db, "select count(*)::INTEGER as n from history.people_city"), [{
    n: 0,
  }]);
});
