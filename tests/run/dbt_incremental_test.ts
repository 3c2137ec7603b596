/**
 * Incremental models in a dbt project, end to end through the CLI on a
 * DuckDB file: the same keys as in a plain-SQL project (`incremental.ts`'s
 * twin), set with `config()` and the `models:` tree of dbt_project.yml:
 * the issue's example (an `is_incremental()` filter loses an updated and a
 * deleted row; merge with `hard_deletes` and a microbatch lookback give the
 * full rebuild's table), each strategy, `on_schema_change` in the run's
 * transaction, and microbatch batches retried alone and backfilled.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type TempProject, tempProject } from "../helpers.ts";
import { cli as cliIn, lineOf, sql } from "../snapshots/helpers.ts";

const PROJECT = "name: shop\nconfig-version: 2\n";
const SOURCES =
  "sources:\n  - name: app\n    schema: raw\n    tables:\n      - name: payments\n      - name: members\n      - name: events\n";

/** Runs the CLI in `p` and asserts its exit code (0 by default). */
const cli = (p: TempProject, args: readonly string[], code = 0) => cliIn(p.root, args, code);

/** A day `n` days from today (UTC), as `YYYY-MM-DD`. */
function day(n: number): string {
  const t = new Date();
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

const db = (p: TempProject) => join(p.root, "shop.duckdb");

Deno.test("dbt project: an is_incremental() filter loses an updated and a deleted row (1,679, not 2,677); merge with hard_deletes and a microbatch lookback give the full rebuild's table", async () => {
  const select = "select id, amount, created_at from {{ source('app', 'payments') }}";
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}models:
  shop:
    merged:
      +materialized: incremental
      +incremental_strategy: merge
      +unique_key: id
`,
    "models/sources.yml": SOURCES,
    "models/by_filter.sql": `{{ config(materialized='incremental', unique_key='id') }}
${select}
{% if is_incremental() %}
where created_at > (select max(created_at) from {{ this }})
{% endif %}
`,
    "models/merged/by_merge.sql": `{{ config(hard_deletes='delete') }}\n${select}\n`,
    "models/merged/by_invalidate.sql": `{{ config(hard_deletes='invalidate') }}\n${select}\n`,
    "models/by_lookback.sql": `{{ config(
    materialized='incremental',
    incremental_strategy='microbatch',
    event_time='created_at',
    batch_size='day',
    lookback=1,
    begin='${day(-3)}',
) }}
${select}
`,
    "models/rebuilt.sql": `{{ config(materialized='table') }}\n${select}\n`,
  });
  await sql(
    db(p),
    `create schema raw; create table raw.payments (id integer, amount integer, created_at timestamp);
     insert into raw.payments values (1, 1000, '${day(-1)} 09:00'), (2, 500, '${
      day(-1)
    } 10:00'), (3, 100, '${day(-1)} 11:00')`,
  );
  await cli(p, ["build"]);
  // At the source: a row updated in place (its created_at unchanged), one deleted, one new.
  await sql(
    db(p),
    `update raw.payments set amount = 1598 where id = 2; delete from raw.payments where id = 3;
     insert into raw.payments values (4, 79, '${day(0)} 08:00')`,
  );
  const later = await cli(p, ["build"]);
  const rows = (m: string, where = "") =>
    sql(db(p), `select id, amount, created_at from main.${m} ${where} order by id`);
  const total = async (m: string) =>
    (await sql(db(p), `select sum(amount)::int as total from main.${m}`))[0]!.total;
  assert.equal(await total("rebuilt"), 2677);
  const rebuilt = await rows("rebuilt");

  // The filter sees only the new row.
  assert.match(lineOf(later.stdout, "main.by_filter"), /delete\+insert: 0 replaced, 1 new/);
  assert.equal(await total("by_filter"), 1679);
  assert.match(lineOf(later.stdout, "main.by_merge"), /merge: 1 new, 2 updated, 1 deleted/);
  assert.deepEqual(await rows("by_merge"), rebuilt);
  assert.match(
    lineOf(later.stdout, "main.by_invalidate"),
    /merge: 1 new, 2 updated, 1 invalidated/,
  );
  assert.deepEqual(await rows("by_invalidate", "where _deleted_at is null"), rebuilt);
  assert.deepEqual(
    await sql(db(p), "select id from main.by_invalidate where _deleted_at is not null"),
    [{ id: 3 }],
  );
  assert.match(
    lineOf(later.stdout, "main.by_lookback"),
    new RegExp(`microbatch: 3 day batches from ${day(-2)} to ${day(0)}: 3 rows written, 3 removed`),
  );
  assert.deepEqual(await rows("by_lookback"), rebuilt);

  // hard_deletes on a strategy that cannot see deletions is an error naming the model's file.
  await p.write(
    "models/by_filter.sql",
    (await Deno.readTextFile(join(p.root, "models/by_filter.sql"))).replace(
      "unique_key='id'",
      "unique_key='id', hard_deletes='delete'",
    ),
  );
  const bad = await cli(p, ["ls"], 2);
  assert.match(bad.stderr, /models\/by_filter\.sql:1: config "hard_deletes"/);
});

Deno.test("dbt project: append, merge with merge_update_columns or merge_exclude_columns, delete+insert, and a watermark", async () => {
  const select = "select id, name, status, first_seen from {{ source('app', 'members') }}";
  const model = (config: string) =>
    `{{ config(materialized='incremental', ${config}) }}
${select}
{% if is_incremental() %}where id >= 2 or id is null{% endif %}
`;
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/sources.yml": SOURCES,
    "models/appended.sql": model("incremental_strategy='append'"),
    "models/all_columns.sql": model("incremental_strategy='merge', unique_key='id'"),
    "models/only_status.sql": model(
      "incremental_strategy='merge', unique_key='id', merge_update_columns=['status']",
    ),
    "models/not_first_seen.sql": model(
      "incremental_strategy='merge', unique_key=['id'], merge_exclude_columns=['first_seen']",
    ),
    "models/replaced.sql": model("incremental_strategy='delete+insert', unique_key='id'"),
    // wharf's watermark, as in a plain-SQL project: the rows above the table's latest first_seen.
    "models/watermarked.sql":
      `{{ config(materialized='incremental', unique_key='id', watermark='first_seen') }}\n${select}\n`,
  });
  await sql(
    db(p),
    `create schema raw; create table raw.members (id integer, name varchar, status varchar, first_seen date);
     insert into raw.members values (1, 'ANN', 'active', '2024-01-01'), (2, 'BO', 'active', '2024-01-01')`,
  );
  await cli(p, ["run"]);
  await sql(
    db(p),
    "update raw.members set name = upper(name[1]) || lower(name[2:]), status = 'inactive', first_seen = '2024-06-01'; insert into raw.members values (3, 'Cy', 'active', '2024-06-01')",
  );
  const later = await cli(p, ["run"]);
  assert.match(lineOf(later.stdout, "main.appended"), /append: \+2 rows/);
  for (const m of ["all_columns", "only_status", "not_first_seen"]) {
    assert.match(lineOf(later.stdout, `main.${m}`), /merge: 1 new, 1 updated/);
  }
  assert.match(lineOf(later.stdout, "main.replaced"), /delete\+insert: 1 replaced, 1 new/);
  assert.match(lineOf(later.stdout, "main.watermarked"), /delete\+insert: 2 replaced, 1 new/);
  const q = (m: string) =>
    sql(
      db(p),
      `select id, name, status, first_seen::varchar as first_seen from main.${m} order by all`,
    );
  assert.deepEqual(await q("appended"), [
    { id: 1, name: "ANN", status: "active", first_seen: "2024-01-01" },
    { id: 2, name: "BO", status: "active", first_seen: "2024-01-01" },
    { id: 2, name: "Bo", status: "inactive", first_seen: "2024-06-01" },
    { id: 3, name: "Cy", status: "active", first_seen: "2024-06-01" },
  ]);
  const bo = async (m: string) => (await q(m)).find((r) => r.id === 2);
  assert.deepEqual(await bo("all_columns"), {
    id: 2,
    name: "Bo",
    status: "inactive",
    first_seen: "2024-06-01",
  });
  assert.deepEqual(await bo("only_status"), {
    id: 2,
    name: "BO",
    status: "inactive",
    first_seen: "2024-01-01",
  });
  assert.deepEqual(await bo("not_first_seen"), {
    id: 2,
    name: "Bo",
    status: "inactive",
    first_seen: "2024-01-01",
  });
  assert.deepEqual(await bo("replaced"), await bo("all_columns"));
  // Every row's first_seen moved past the table's latest: the watermark takes them all.
  assert.deepEqual(
    await q("watermarked"),
    await sql(
      db(p),
      "select id, name, status, first_seen::varchar as first_seen from raw.members order by all",
    ),
  );
  // Ann is not among the new rows: every strategy leaves her as she was.
  for (const m of ["all_columns", "only_status", "not_first_seen", "replaced"]) {
    assert.deepEqual((await q(m)).find((r) => r.id === 1)?.status, "active", m);
  }
});

/** The columns of each model whose later run added `extra` and took `amount` as BIGINT. */
const SETTLED: Record<string, string[]> = {
  append_new_columns: ["id INTEGER", "amount INTEGER", "old VARCHAR", "extra VARCHAR"],
  sync_all_columns: ["id INTEGER", "amount BIGINT", "extra VARCHAR"],
};

Deno.test("dbt project: on_schema_change ignore says what each strategy leaves in a column the model dropped (merge's updated rows keep it)", async () => {
  const model = (strategy: string, columns: string) =>
    `{{ config(materialized='incremental', incremental_strategy='${strategy}', unique_key='id') }}
select ${columns} from {{ source('app', 'payments') }}
`;
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/sources.yml": SOURCES,
    "models/merged.sql": model("merge", "id, amount, 'x' as old"),
    "models/replaced.sql": model("delete+insert", "id, amount, 'x' as old"),
  });
  await sql(
    db(p),
    "create schema raw; create table raw.payments (id integer, amount integer, created_at timestamp); insert into raw.payments values (1, 10, '2024-01-01')",
  );
  await cli(p, ["build"]);
  await p.write("models/merged.sql", model("merge", "id, amount"));
  await p.write("models/replaced.sql", model("delete+insert", "id, amount"));
  await sql(
    db(p),
    "update raw.payments set amount = 11; insert into raw.payments values (2, 20, '2024-01-02')",
  );
  const later = await cli(p, ["build"]);
  assert.match(
    lineOf(later.stdout, "main.merged"),
    /merge: 1 new, 1 updated; "old" no longer in the model, NULL in the rows inserted \(the rows updated keep theirs\)/,
  );
  assert.match(
    lineOf(later.stdout, "main.replaced"),
    /delete\+insert: 1 replaced, 1 new; "old" no longer in the model, NULL in the rows inserted, the replaced ones included/,
  );
  assert.deepEqual(await sql(db(p), "select id, amount, old from main.merged order by id"), [
    { id: 1, amount: 11, old: "x" },
    { id: 2, amount: 20, old: null },
  ]);
  assert.deepEqual(await sql(db(p), "select id, old from main.replaced order by id"), [
    { id: 1, old: null },
    { id: 2, old: null },
  ]);
});

Deno.test("dbt project: on_schema_change applies in the run's transaction: a run that fails after changing the columns changes nothing", async () => {
  const model = (policy: string, select: string) =>
    `{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='id', on_schema_change='${policy}') }}
${select} from {{ source('app', 'events') }}
`;
  const policies = ["ignore", "fail", "append_new_columns", "sync_all_columns"];
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/sources.yml": SOURCES,
    ...Object.fromEntries(
      policies.map((x) => [`models/${x}.sql`, model(x, "select id, amount, 'x' as old")]),
    ),
  });
  await sql(
    db(p),
    "create schema raw; create table raw.events (id integer, amount integer); insert into raw.events values (1, 10)",
  );
  await cli(p, ["run"]);
  const columns = async (m: string) =>
    (await sql(
      db(p),
      `select column_name || ' ' || data_type as c from information_schema.columns where table_schema = 'main' and table_name = '${m}' order by ordinal_position`,
    )).map((r) => r.c);
  for (const x of policies) {
    await p.write(
      `models/${x}.sql`,
      model(x, "select id, amount::bigint as amount, 'e' as extra"),
    );
  }
  await sql(db(p), "insert into raw.events values (2, 20)");
  const later = await cli(p, ["run"], 1);
  assert.match(lineOf(later.stdout, "main.ignore"), /OK .*new column "extra" not added/);
  assert.deepEqual(await columns("ignore"), ["id INTEGER", "amount INTEGER", "old VARCHAR"]);
  assert.match(
    later.stdout,
    /The columns of main\.fail changed \(on_schema_change: fail\): new column "extra" \(VARCHAR\); column "old" no longer in the model; column "amount" is BIGINT in the model, INTEGER in the table: nothing was changed/,
  );
  assert.deepEqual(await columns("fail"), ["id INTEGER", "amount INTEGER", "old VARCHAR"]);
  for (const [m, expected] of Object.entries(SETTLED)) assert.deepEqual(await columns(m), expected);

  // A key the model repeats fails the run after its columns changed: the change is rolled back.
  for (const x of ["append_new_columns", "sync_all_columns"]) {
    await p.write(
      `models/${x}.sql`,
      model(x, "select id, amount::bigint as amount, 'e' as extra, 'n' as newer"),
    );
  }
  await sql(db(p), "insert into raw.events values (2, 21)");
  const failed = await cli(p, ["run", "-s", "append_new_columns", "sync_all_columns"], 1);
  for (const x of ["append_new_columns", "sync_all_columns"]) {
    assert.match(
      failed.stdout,
      new RegExp(`main\\.${x}: its unique_key \\(id\\) is not unique in the model's rows`),
    );
  }
  for (const [m, expected] of Object.entries(SETTLED)) assert.deepEqual(await columns(m), expected);
  assert.deepEqual(
    await sql(db(p), "select count(*)::int as n from main.sync_all_columns"),
    [{ n: 2 }],
  );
});

Deno.test("dbt project: a microbatch model retries a failed batch alone, and --event-time-start/end rebuild only that range", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/sources.yml": SOURCES,
    // The day before yesterday fails once (the sequence counts attempts); yesterday's amount is bad.
    "models/daily.sql": `{{ config(
    materialized='incremental',
    incremental_strategy='microbatch',
    event_time='event_at',
    batch_size='day',
    begin='${day(-3)}',
    lookback=1,
) }}
select id, cast(amount as integer) as amount, event_at from {{ source('app', 'events') }}
where case when event_at::date = date '${
      day(-2)
    }' and nextval('raw.attempts') = 1 then error('transient failure') else true end
`,
  });
  await sql(
    db(p),
    `create schema raw; create sequence raw.attempts;
     create table raw.events (id integer, amount varchar, event_at timestamp);
     insert into raw.events values (1, '10', '${day(-3)} 05:00'), (2, '20', '${day(-2)} 06:00'),
       (3, 'x', '${day(-1)} 07:00'), (4, '40', '${day(0)} 00:00')`,
  );
  const first = await cli(p, ["run"], 1);
  assert.match(
    first.stdout,
    new RegExp(
      `3 of 4 day batches of main\\.daily built \\(3 rows written, 0 removed; retried alone after failing: ${
        day(-2)
      } \\(first: Invalid Input Error: transient failure\\)\\); ${
        day(-1)
      } failed, and again when retried alone: Conversion Error`,
    ),
  );
  assert.deepEqual(await sql(db(p), "select id from main.daily order by id"), [
    { id: 1 },
    { id: 2 },
    { id: 4 },
  ]);
  await sql(
    db(p),
    "update raw.events set amount = '30' where id = 3; update raw.events set amount = '11' where id = 1",
  );
  // Yesterday's batch, alone.
  const yesterday = [
    "run",
    "-s",
    "daily",
    "--event-time-start",
    day(-1),
    "--event-time-end",
    day(0),
  ];
  const backfill = await cli(p, yesterday);
  assert.match(backfill.stdout, new RegExp(`microbatch: 1 day batch ${day(-1)}: 1 row written`));
  // Only that batch: the first day's change waits for a run that covers it.
  assert.deepEqual(await sql(db(p), "select id, amount from main.daily order by id"), [
    { id: 1, amount: 10 },
    { id: 2, amount: 20 },
    { id: 3, amount: 30 },
    { id: 4, amount: 40 },
  ]);

  // A backfill that fails is retried with its range: wharf retry rebuilds that batch only.
  await sql(db(p), "update raw.events set amount = 'y' where id = 3");
  const failed = await cli(p, yesterday, 1);
  assert.match(failed.stdout, /Conversion Error/);
  await sql(db(p), "update raw.events set amount = '33' where id = 3");
  const retried = await cli(p, ["retry"]);
  assert.match(retried.stdout, new RegExp(`microbatch: 1 day batch ${day(-1)}: 1 row written`));
  assert.deepEqual(await sql(db(p), "select id, amount from main.daily order by id"), [
    { id: 1, amount: 10 },
    { id: 2, amount: 20 },
    { id: 3, amount: 33 },
    { id: 4, amount: 40 },
  ]);
});
