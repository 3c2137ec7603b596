/**
 * Incremental models, built for real on a DuckDB file: each strategy's
 * first build, later runs with inserted, updated and deleted source rows,
 * full refreshes, on_schema_change, and microbatch batches, failures and
 * backfills.
 */
import assert from "node:assert/strict";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { runProject, type RunProjectOptions } from "../../src/engine/run/run_project.ts";
import { runCli, type TempProject, tempProject } from "../helpers.ts";

async function sql(db: string, text: string) {
  const wh = await openWarehouse(db);
  try {
    return await wh.query(text);
  } finally {
    wh.close();
  }
}

/** The columns of `marts.<name>` in `db`, as `name TYPE`, in order. */
async function columnsOf(db: string, name: string): Promise<unknown[]> {
  return (await sql(
    db,
    `select column_name || ' ' || data_type as c from information_schema.columns where table_schema = 'marts' and table_name = '${name}' order by ordinal_position`,
  )).map((r) => r.c);
}

/** Runs the models and returns each one's status and message, by id. */
async function run(p: TempProject, options: RunProjectOptions = {}) {
  const summary = await runProject("run", p.config, { db: p.db, ...options });
  return Object.fromEntries(summary.results.map((r) => [r.id, [r.status, r.message]]));
}

/** A day `n` days from today (UTC), as `YYYY-MM-DD`. */
function day(n: number): string {
  const t = new Date();
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

/** The issue's models: one SELECT over a source whose rows change in place, four ways to keep it. */
async function paymentsProject(): Promise<TempProject> {
  const select = "select id, amount, created_at from raw.payments\n";
  const p = await tempProject({
    "models/marts/by_watermark.sql": select,
    "models/marts/by_merge.sql": select,
    "models/marts/by_invalidate.sql": select,
    "models/marts/by_lookback.sql": select,
    "models/marts/marts.yml": `models:
  - name: by_watermark
    config: { materialized: incremental, unique_key: id, watermark: created_at }
  - name: by_merge
    config: { materialized: incremental, incremental_strategy: merge, unique_key: id, hard_deletes: delete }
  - name: by_invalidate
    config: { materialized: incremental, incremental_strategy: merge, unique_key: id, hard_deletes: invalidate }
  - name: by_lookback
    config:
      materialized: incremental
      incremental_strategy: microbatch
      event_time: created_at
      batch_size: day
      lookback: 1
      begin: ${day(-3)}
`,
  });
  await sql(
    p.db,
    `create schema raw; create table raw.payments (id integer, amount integer, created_at timestamp);
     insert into raw.payments values (1, 1000, '${day(-1)} 09:00'), (2, 500, '${
      day(-1)
    } 10:00'), (3, 100, '${day(-1)} 11:00')`,
  );
  return p;
}

Deno.test("a watermark loses an updated and a deleted row (1,679, not 2,677); merge with hard_deletes and a microbatch lookback give the full rebuild's answer", async () => {
  await using p = await paymentsProject();
  const first = await run(p);
  assert.deepEqual(first["marts.by_merge"], ["success", "full build"]);
  assert.match(
    first["marts.by_lookback"]![1]!,
    /^microbatch: 4 day batches from .*: 3 rows written/,
  );
  // At the source: a row updated in place (its created_at unchanged), one deleted, one new.
  await sql(
    p.db,
    `update raw.payments set amount = 1598 where id = 2; delete from raw.payments where id = 3;
     insert into raw.payments values (4, 79, '${day(0)} 08:00')`,
  );
  const rebuild = await sql(p.db, "select id, amount, created_at from raw.payments order by id");
  const total = "select sum(amount)::int as total from";
  assert.deepEqual(await sql(p.db, `${total} raw.payments`), [{ total: 2677 }]);

  const later = await run(p);
  // The bug: the watermark sees only the new row.
  assert.deepEqual(later["marts.by_watermark"], ["success", "delete+insert: 0 replaced, 1 new"]);
  assert.deepEqual(await sql(p.db, `${total} marts.by_watermark`), [{ total: 1679 }]);
  // merge with hard_deletes: delete, over the full snapshot: the full rebuild, exactly.
  assert.deepEqual(later["marts.by_merge"], ["success", "merge: 1 new, 2 updated, 1 deleted"]);
  const rows = (m: string, where = "") =>
    sql(p.db, `select id, amount, created_at from ${m} ${where} order by id`);
  assert.deepEqual(await rows("marts.by_merge"), rebuild);
  // hard_deletes: invalidate keeps the deleted row, marked with the run's time.
  assert.deepEqual(later["marts.by_invalidate"], [
    "success",
    "merge: 1 new, 2 updated, 1 invalidated",
  ]);
  assert.deepEqual(await rows("marts.by_invalidate", "where _deleted_at is null"), rebuild);
  assert.deepEqual(
    await sql(
      p.db,
      "select id, _deleted_at > now() - interval 1 hour as recent from marts.by_invalidate where _deleted_at is not null",
    ),
    [{ id: 3, recent: true }],
  );
  // The lookback rebuilds from one batch before the latest row's (yesterday's) to today's:
  // the update and the delete are in them.
  assert.deepEqual(later["marts.by_lookback"], [
    "success",
    `microbatch: 3 day batches from ${day(-2)} to ${day(0)}: 3 rows written, 3 removed`,
  ]);
  assert.deepEqual(await rows("marts.by_lookback"), rebuild);

  // A full refresh of the watermark model gives the full rebuild's answer too.
  const refreshed = await run(p, { select: ["marts.by_watermark"], fullRefresh: true });
  assert.deepEqual(refreshed["marts.by_watermark"], ["success", "full build"]);
  assert.deepEqual(await rows("marts.by_watermark"), rebuild);

  // A row that comes back is live again.
  await sql(p.db, `insert into raw.payments values (3, 100, '${day(-1)} 11:00')`);
  assert.deepEqual((await run(p, { select: ["marts.by_invalidate"] }))["marts.by_invalidate"], [
    "success",
    "merge: 0 new, 4 updated, 0 invalidated",
  ]);
  assert.deepEqual(
    await sql(p.db, "select count(*)::int as n from marts.by_invalidate where _deleted_at is null"),
    [{ n: 4 }],
  );
});

Deno.test("a plain-SQL model chooses its new rows with wharf_is_incremental() and its own relation, and the file still runs outside wharf", async () => {
  const text =
    "select e.* from raw.events as e\nwhere not wharf_is_incremental() or e.loaded_at > (select max(t.loaded_at) from marts.events as t)\n";
  await using p = await tempProject({
    "models/marts/events.sql": text,
    "models/marts/marts.yml":
      "models:\n  - name: events\n    config: { materialized: incremental, incremental_strategy: append }\n",
  });
  await sql(
    p.db,
    "create schema raw; create table raw.events (id integer, kind varchar, loaded_at timestamp); insert into raw.events values (1, 'a', '2024-01-01'), (2, 'b', '2024-01-01')",
  );
  // The first build: the model's own relation does not exist yet, and wharf_is_incremental() is false.
  assert.deepEqual((await run(p))["marts.events"], ["success", "full build"]);
  assert.deepEqual(await sql(p.db, "select count(*)::int as n from marts.events"), [{ n: 2 }]);

  await sql(
    p.db,
    "insert into raw.events values (3, 'c', '2024-01-02'), (4, 'd', '2024-01-03'); update raw.events set kind = 'B' where id = 2",
  );
  assert.deepEqual((await run(p))["marts.events"], ["success", "append: +2 rows"]);
  // append sees new rows only: the update of row 2 is not in the table.
  assert.deepEqual(await sql(p.db, "select id, kind from marts.events order by id"), [
    { id: 1, kind: "a" },
    { id: 2, kind: "b" },
    { id: 3, kind: "c" },
    { id: 4, kind: "d" },
  ]);
  assert.deepEqual((await run(p))["marts.events"], ["success", "append: +0 rows"]);

  // Outside wharf, wharf_is_incremental() is false: the file selects every row.
  assert.deepEqual(await sql(p.db, `select count(*)::int as n from (${text})`), [{ n: 4 }]);

  // --full-refresh rebuilds from every row, as on the first build.
  assert.deepEqual((await run(p, { fullRefresh: true }))["marts.events"], [
    "success",
    "full build",
  ]);
  assert.deepEqual(await sql(p.db, "select id, kind from marts.events order by id"), [
    { id: 1, kind: "a" },
    { id: 2, kind: "B" },
    { id: 3, kind: "c" },
    { id: 4, kind: "d" },
  ]);
  const compiled = await Deno.readTextFile(`${p.root}/target/run/marts/events.sql`);
  assert.match(compiled, /it reads itself: marts\.events is created empty first/);
});

Deno.test("the full and the incremental SELECT as two branches, and a project macro calling wharf_is_incremental()", async () => {
  await using p = await tempProject({
    "sql/macros/new_since.sql":
      "create or replace macro new_since(t, latest) as not wharf_is_incremental() or t > latest;\n",
    "models/marts/branches.sql":
      `select * from raw.events where loaded_at > (select max(loaded_at) from marts.branches) and wharf_is_incremental()
union all by name
select * from raw.events where not wharf_is_incremental()
`,
    "models/marts/by_macro.sql":
      "select * from raw.events where new_since(loaded_at, (select max(loaded_at) from marts.by_macro))\n",
    "models/marts/marts.yml": `models:
  - name: branches
    config: { materialized: incremental, incremental_strategy: append }
  - name: by_macro
    config: { materialized: incremental, incremental_strategy: append }
`,
  });
  await sql(
    p.db,
    "create schema raw; create table raw.events (id integer, loaded_at date); insert into raw.events values (1, '2024-01-01'), (2, '2024-01-02')",
  );
  assert.deepEqual(await run(p), {
    "marts.branches": ["success", "full build"],
    "marts.by_macro": ["success", "full build"],
  });
  await sql(p.db, "insert into raw.events values (3, '2024-01-03')");
  assert.deepEqual(await run(p), {
    "marts.branches": ["success", "append: +1 row"],
    "marts.by_macro": ["success", "append: +1 row"],
  });
  for (const m of ["branches", "by_macro"]) {
    assert.deepEqual(await sql(p.db, `select id from marts.${m} order by id`), [
      { id: 1 },
      { id: 2 },
      { id: 3 },
    ]);
  }
});

Deno.test("a first build that reads from itself a column its sources do not have says what to read instead", async () => {
  await using p = await tempProject({
    "models/marts/renamed.sql":
      "select id, loaded_at as arrived from raw.events\nwhere not wharf_is_incremental() or loaded_at > (select max(t.arrived) from marts.renamed as t)\n",
    "models/marts/marts.yml":
      "models:\n  - name: renamed\n    config: { materialized: incremental, incremental_strategy: append }\n",
  });
  await sql(
    p.db,
    "create schema raw; create table raw.events (id integer, loaded_at date); insert into raw.events values (1, '2024-01-01')",
  );
  const [status, message] = (await run(p))["marts.renamed"]!;
  assert.equal(status, "error");
  assert.match(
    message!,
    /^Cannot build marts\.renamed for the first time: it reads itself, and until it exists wharf gives that read an empty table with the columns of the relations it reads \(raw\.events\), which DuckDB could not run: Binder Error: /,
  );
  assert.match(message!, /read from marts\.renamed only columns those relations have too/);
});

Deno.test("hard_deletes: invalidate keeps _deleted_at for itself", async () => {
  await using p = await tempProject({
    "models/marts/m.sql": "select 1 as id, null::timestamptz as _deleted_at\n",
    "models/marts/marts.yml":
      "models:\n  - name: m\n    config: { materialized: incremental, incremental_strategy: merge, unique_key: id, hard_deletes: invalidate }\n",
  });
  const [status, message] = (await run(p))["marts.m"]!;
  assert.equal(status, "error");
  assert.match(
    message!,
    /it returns a column "_deleted_at", which hard_deletes: invalidate keeps for itself \(the time a row went missing from the model\): rename it/,
  );
});

Deno.test("merge updates matched rows in place: every column, only merge_update_columns, or all but merge_exclude_columns", async () => {
  const select = "select id, name, status, first_seen from raw.members\n";
  await using p = await tempProject({
    "models/marts/all_columns.sql": select,
    "models/marts/only_status.sql": select,
    "models/marts/not_first_seen.sql": select,
    "models/marts/marts.yml": `models:
  - name: all_columns
    config: { materialized: incremental, incremental_strategy: merge, unique_key: id }
  - name: only_status
    config: { materialized: incremental, incremental_strategy: merge, unique_key: id, merge_update_columns: [status] }
  - name: not_first_seen
    config: { materialized: incremental, incremental_strategy: merge, unique_key: [id], merge_exclude_columns: [first_seen] }
`,
  });
  await sql(
    p.db,
    "create schema raw; create table raw.members (id integer, name varchar, status varchar, first_seen date); insert into raw.members values (1, 'ANN', 'active', '2024-01-01'), (null, 'NO ID', 'active', '2024-01-01')",
  );
  await run(p);
  await sql(
    p.db,
    "update raw.members set name = 'Ann', status = 'inactive', first_seen = '2024-06-01'; insert into raw.members values (2, 'Bo', 'active', '2024-06-01')",
  );
  const later = await run(p);
  for (const m of ["all_columns", "only_status", "not_first_seen"]) {
    // A NULL key matches the NULL key: updated, not inserted again.
    assert.deepEqual(later[`marts.${m}`], ["success", "merge: 1 new, 2 updated"]);
  }
  const q = (m: string) =>
    sql(
      p.db,
      `select name, status, first_seen::varchar as first_seen from marts.${m} where id = 1`,
    );
  assert.deepEqual(await q("all_columns"), [
    { name: "Ann", status: "inactive", first_seen: "2024-06-01" },
  ]);
  assert.deepEqual(await q("only_status"), [
    { name: "ANN", status: "inactive", first_seen: "2024-01-01" },
  ]);
  assert.deepEqual(await q("not_first_seen"), [
    { name: "Ann", status: "inactive", first_seen: "2024-01-01" },
  ]);
  assert.deepEqual(await sql(p.db, "select count(*)::int as n from marts.only_status"), [{ n: 3 }]);
});

Deno.test("delete+insert replaces rows by key, and a key the model repeats stops the build naming it", async () => {
  await using p = await tempProject({
    "models/marts/visits.sql":
      "select visit_id, balance from raw.visits where not wharf_is_incremental() or delivered > (select max(delivered) from raw.visits) - 1\n",
    "models/marts/marts.yml":
      "models:\n  - name: visits\n    config: { materialized: incremental, incremental_strategy: delete+insert, unique_key: visit_id }\n",
  });
  await sql(
    p.db,
    "create schema raw; create table raw.visits (visit_id varchar, balance integer, delivered integer); insert into raw.visits values ('V1', 100, 1), ('V2', 200, 1)",
  );
  assert.deepEqual((await run(p))["marts.visits"], ["success", "full build"]);
  await sql(p.db, "insert into raw.visits values ('V2', 250, 2), ('V3', 300, 2)");
  assert.deepEqual((await run(p))["marts.visits"], [
    "success",
    "delete+insert: 1 replaced, 1 new",
  ]);
  assert.deepEqual(await sql(p.db, "select visit_id, balance from marts.visits order by 1"), [
    { visit_id: "V1", balance: 100 },
    { visit_id: "V2", balance: 250 },
    { visit_id: "V3", balance: 300 },
  ]);
  // A later delivery repeats V3 twice: which one is right is not the build's to guess.
  await sql(p.db, "insert into raw.visits values ('V3', 310, 3), ('V3', 320, 3)");
  const [status, message] = (await run(p))["marts.visits"]!;
  assert.equal(status, "error");
  assert.match(
    message!,
    /its unique_key \(visit_id\) is not unique in the model's rows: visit_id = "V3" \(2 rows\): nothing was changed/,
  );
  assert.deepEqual(await sql(p.db, "select balance from marts.visits where visit_id = 'V3'"), [
    { balance: 300 },
  ]);
});

Deno.test("on_schema_change: ignore, fail, append_new_columns and sync_all_columns, each in the run's transaction", async () => {
  const policies = ["ignore", "fail", "append_new_columns", "sync_all_columns"];
  const files: Record<string, string> = {
    "models/marts/marts.yml": `models:\n${
      policies.map((p) =>
        `  - name: ${p}\n    config: { materialized: incremental, watermark: id, on_schema_change: ${p} }\n`
      ).join("")
    }`,
  };
  for (const p of policies) {
    files[`models/marts/${p}.sql`] = "select id, amount, 'x' as old from raw.t\n";
  }
  await using p = await tempProject(files);
  await sql(
    p.db,
    "create schema raw; create table raw.t (id integer, amount integer); insert into raw.t values (1, 10)",
  );
  await run(p);
  for (const policy of policies) {
    await p.write(
      `models/marts/${policy}.sql`,
      "select id, amount::bigint as amount, 'e' as extra from raw.t\n",
    );
  }
  await sql(p.db, "insert into raw.t values (2, 20)");
  const later = await run(p);
  const columns = (m: string) => columnsOf(p.db, m);

  assert.deepEqual(later["marts.ignore"], [
    "success",
    'append: +1 row; new column "extra" not added, "old" no longer in the model, NULL in the rows inserted (the rows already there keep theirs), "amount" written as INTEGER (the model gives BIGINT) (on_schema_change: ignore)',
  ]);
  assert.deepEqual(await columns("ignore"), ["id INTEGER", "amount INTEGER", "old VARCHAR"]);
  assert.deepEqual(await sql(p.db, "select id, old from marts.ignore order by id"), [
    { id: 1, old: "x" },
    { id: 2, old: null },
  ]);

  assert.equal(later["marts.fail"]![0], "error");
  assert.match(
    later["marts.fail"]![1]!,
    /The columns of marts\.fail changed \(on_schema_change: fail\): new column "extra" \(VARCHAR\); column "old" no longer in the model; column "amount" is BIGINT in the model, INTEGER in the table: nothing was changed/,
  );
  assert.deepEqual(await sql(p.db, "select count(*)::int as n from marts.fail"), [{ n: 1 }]);
  assert.deepEqual(await columns("fail"), ["id INTEGER", "amount INTEGER", "old VARCHAR"]);

  assert.match(later["marts.append_new_columns"]![1]!, /^append: \+1 row; added "extra"/);
  assert.deepEqual(await columns("append_new_columns"), [
    "id INTEGER",
    "amount INTEGER",
    "old VARCHAR",
    "extra VARCHAR",
  ]);
  assert.deepEqual(
    await sql(p.db, "select id, old, extra from marts.append_new_columns order by id"),
    [{ id: 1, old: "x", extra: null }, { id: 2, old: null, extra: "e" }],
  );

  assert.deepEqual(later["marts.sync_all_columns"], [
    "success",
    'append: +1 row; added "extra", dropped "old", changed "amount" from INTEGER to BIGINT (on_schema_change: sync_all_columns)',
  ]);
  assert.deepEqual(await columns("sync_all_columns"), [
    "id INTEGER",
    "amount BIGINT",
    "extra VARCHAR",
  ]);
});

Deno.test("on_schema_change: ignore says what each strategy leaves in a column the model dropped: merge's updated rows keep their value, delete+insert's replaced rows get NULL", async () => {
  const strategies = { merge: "merge", delete_insert: "delete+insert" };
  await using p = await tempProject({
    "models/marts/marts.yml": `models:\n${
      Object.entries(strategies).map(([name, s]) =>
        `  - name: ${name}\n    config: { materialized: incremental, incremental_strategy: ${s}, unique_key: id }\n`
      ).join("")
    }`,
    "models/marts/merge.sql": "select id, amount, 'x' as old from raw.t\n",
    "models/marts/delete_insert.sql": "select id, amount, 'x' as old from raw.t\n",
  });
  await sql(
    p.db,
    "create schema raw; create table raw.t (id integer, amount integer); insert into raw.t values (1, 10)",
  );
  await run(p);
  for (const name of Object.keys(strategies)) {
    await p.write(`models/marts/${name}.sql`, "select id, amount from raw.t\n");
  }
  await sql(p.db, "update raw.t set amount = 11; insert into raw.t values (2, 20)");
  const later = await run(p);
  assert.deepEqual(later["marts.merge"], [
    "success",
    'merge: 1 new, 1 updated; "old" no longer in the model, NULL in the rows inserted (the rows updated keep theirs) (on_schema_change: ignore)',
  ]);
  assert.deepEqual(await sql(p.db, "select id, amount, old from marts.merge order by id"), [
    { id: 1, amount: 11, old: "x" },
    { id: 2, amount: 20, old: null },
  ]);
  assert.deepEqual(later["marts.delete_insert"], [
    "success",
    'delete+insert: 1 replaced, 1 new; "old" no longer in the model, NULL in the rows inserted, the replaced ones included (the others keep theirs) (on_schema_change: ignore)',
  ]);
  assert.deepEqual(await sql(p.db, "select id, amount, old from marts.delete_insert order by id"), [
    { id: 1, amount: 11, old: null },
    { id: 2, amount: 20, old: null },
  ]);
});

Deno.test("on_schema_change: a later run that fails after its columns changed rolls the change back with it", async () => {
  const files: Record<string, string> = { "models/marts/marts.yml": "models:\n" };
  for (const policy of ["append_new_columns", "sync_all_columns"]) {
    files["models/marts/marts.yml"] +=
      `  - name: ${policy}\n    config: { materialized: incremental, incremental_strategy: delete+insert, unique_key: id, on_schema_change: ${policy} }\n`;
    files[`models/marts/${policy}.sql`] = "select id, amount, 'x' as old from raw.t\n";
  }
  await using p = await tempProject(files);
  await sql(
    p.db,
    "create schema raw; create table raw.t (id integer, amount integer); insert into raw.t values (1, 10)",
  );
  await run(p);
  for (const policy of ["append_new_columns", "sync_all_columns"]) {
    await p.write(
      `models/marts/${policy}.sql`,
      "select id, amount::bigint as amount, 'e' as extra from raw.t\n",
    );
  }
  // The new columns are settled, then the repeated key stops the run.
  await sql(p.db, "insert into raw.t values (2, 20), (2, 21)");
  const later = await run(p);
  const columns = (m: string) => columnsOf(p.db, m);
  for (const policy of ["append_new_columns", "sync_all_columns"]) {
    assert.equal(later[`marts.${policy}`]![0], "error");
    assert.match(later[`marts.${policy}`]![1]!, /its unique_key \(id\) is not unique/);
    assert.deepEqual(await columns(policy), ["id INTEGER", "amount INTEGER", "old VARCHAR"]);
    assert.deepEqual(await sql(p.db, `select id, old from marts.${policy}`), [{ id: 1, old: "x" }]);
  }
});

/** A microbatch model of day batches from three days ago, over events of each of those days. */
async function dailyProject(): Promise<TempProject> {
  const p = await tempProject({
    // The day before yesterday fails once (the sequence counts attempts); yesterday's amount is bad.
    "models/marts/daily.sql":
      `select id, cast(amount as integer) as amount, event_at from raw.events
where case when event_at::date = date '${
        day(-2)
      }' and nextval('raw.attempts') = 1 then error('transient failure') else true end
`,
    "models/marts/marts.yml": `models:
  - name: daily
    config: { materialized: incremental, incremental_strategy: microbatch, event_time: event_at, batch_size: day, begin: "${
      day(-3)
    }", lookback: 1 }
`,
  });
  await sql(
    p.db,
    `create schema raw; create sequence raw.attempts;
     create table raw.events (id integer, amount varchar, event_at timestamp);
     insert into raw.events values (1, '10', '${day(-3)} 05:00'), (2, '20', '${day(-2)} 06:00'),
       (3, 'x', '${day(-1)} 07:00'), (4, '40', '${day(0)} 00:00'), (5, '50', null), (6, '60', '${
      day(-4)
    } 23:59')`,
  );
  return p;
}

Deno.test("microbatch builds each batch in its own transaction, retries a failed one alone and names the one that fails again", async () => {
  await using p = await dailyProject();
  const [status, message] = (await run(p))["marts.daily"]!;
  assert.equal(status, "error");
  assert.match(
    message!,
    new RegExp(
      `^3 of 4 day batches of marts\\.daily built \\(3 rows written, 0 removed; retried alone after failing: ${
        day(-2)
      } \\(first: Invalid Input Error: transient failure\\)\\); ${
        day(-1)
      } failed, and again when retried alone: Conversion Error: Could not convert string 'x'`,
    ),
  );
  assert.match(
    message!,
    new RegExp(
      `rebuild the failed ones with: wharf run --select marts\\.daily --event-time-start "${
        day(-1)
      }" --event-time-end "${day(0)}"`,
    ),
  );
  assert.deepEqual(await sql(p.db, "select id from marts.daily order by id"), [
    { id: 1 },
    { id: 2 },
    { id: 4 },
  ]);

  // Fixed at the source, the failed batch is rebuilt alone, with the command the message gave.
  await sql(
    p.db,
    "update raw.events set amount = '30' where id = 3; update raw.events set amount = '11' where id = 1",
  );
  const backfill = await runCli([
    "--project",
    p.root,
    "--db",
    p.db,
    "run",
    "--select",
    "marts.daily",
    "--event-time-start",
    day(-1),
    "--event-time-end",
    day(0),
  ]);
  assert.equal(backfill.code, 0, backfill.stderr + backfill.stdout);
  assert.match(
    backfill.stdout,
    new RegExp(`microbatch: 1 day batch ${day(-1)}: 1 row written, 0 removed`),
  );
  // Only that batch: the change to the first day's row waits for a run that covers it.
  assert.deepEqual(await sql(p.db, "select id, amount from marts.daily order by id"), [
    { id: 1, amount: 10 },
    { id: 2, amount: 20 },
    { id: 3, amount: 30 },
    { id: 4, amount: 40 },
  ]);

  // A later run rebuilds from the latest batch (today's), one batch back.
  assert.deepEqual((await run(p))["marts.daily"], [
    "success",
    `microbatch: 2 day batches from ${day(-1)} to ${day(0)}: 2 rows written, 2 removed`,
  ]);
  // A full refresh builds every batch from begin, and counts the rows in none.
  assert.deepEqual((await run(p, { fullRefresh: true }))["marts.daily"], [
    "success",
    `microbatch: 4 day batches from ${day(-3)} to ${
      day(0)
    }: 4 rows written, 0 removed; not in any batch: 1 row with no event_at, 1 row before ${
      day(-3)
    } (begin)`,
  ]);
  assert.deepEqual(await sql(p.db, "select id, amount from marts.daily order by id"), [
    { id: 1, amount: 11 },
    { id: 2, amount: 20 },
    { id: 3, amount: 30 },
    { id: 4, amount: 40 },
  ]);
});

Deno.test("microbatch month batches over a DATE: a backfill range on a first build builds only that range, never before begin", async () => {
  await using p = await tempProject({
    "models/marts/monthly.sql": "select service_date, cents from raw.claims\n",
    "models/marts/marts.yml":
      "models:\n  - name: monthly\n    config: { materialized: incremental, incremental_strategy: microbatch, event_time: service_date, batch_size: month, begin: 2023-02-01 }\n",
  });
  await sql(
    p.db,
    "create schema raw; create table raw.claims (service_date date, cents integer); insert into raw.claims values ('2023-01-31', 1), ('2023-02-01', 2), ('2023-02-28', 3), ('2023-03-15', 4), ('2023-04-01', 5)",
  );
  const first = await run(p, { eventTimeStart: "2023-01-01", eventTimeEnd: "2023-03-02" });
  assert.deepEqual(first["marts.monthly"], [
    "success",
    "microbatch: 2 month batches from 2023-02 to 2023-03: 3 rows written, 0 removed; from 2023-02, its begin (asked from 2023-01-01)",
  ]);
  assert.deepEqual(await sql(p.db, "select sum(cents)::int as s from marts.monthly"), [{ s: 9 }]);
});

Deno.test("--event-time-start/--event-time-end: both or neither, a time, in order, not with --full-refresh, and only for microbatch models", async () => {
  await using p = await tempProject({
    "models/marts/plain.sql": "select 1 as id\n",
    "models/marts/daily.sql": "select date '2024-01-01' as d\n",
    "models/marts/marts.yml":
      "models:\n  - name: daily\n    config: { materialized: incremental, incremental_strategy: microbatch, event_time: d, batch_size: day, begin: 2024-01-01 }\n",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, "--db", p.db, "run", ...args]);
  const cases: [string[], RegExp][] = [
    [["--event-time-start", "2024-01-01"], /--event-time-start and --event-time-end go together/],
    [
      ["--event-time-start", "2024-02-30", "--event-time-end", "2024-03-01"],
      /Invalid --event-time-start "2024-02-30": expected YYYY-MM-DD/,
    ],
    [
      ["--event-time-start", "2024-01-02", "--event-time-end", "2024-01-01"],
      /--event-time-start \(2024-01-02\) must come before --event-time-end \(2024-01-01\)/,
    ],
    [
      ["--event-time-start", "2024-01-01", "--event-time-end", "2024-01-02", "--full-refresh"],
      /give one or the other/,
    ],
    [
      [
        "--select",
        "marts.plain",
        "--event-time-start",
        "2024-01-01",
        "--event-time-end",
        "2024-01-02",
      ],
      /rebuild batches of microbatch models, and the selection has none/,
    ],
  ];
  for (const [args, expected] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, expected);
  }
  const ok = await cli(
    "--event-time-start",
    "2024-01-01 00:00",
    "--event-time-end",
    "2024-01-01 12:00",
  );
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /microbatch: 1 day batch 2024-01-01: 1 row written, 0 removed/);
});
