/**
 * A dbt project's incremental keys as dbt and dbt-duckdb apply them, end to
 * end through the CLI on a DuckDB file: `incremental_predicates` (and
 * their older name `predicates`) scoping merge's ON, delete+insert's and
 * microbatch's DELETE, ignored with a warning on append; NULL in a
 * `unique_key` matching nothing; strategy keys on a model that is not
 * incremental, and other warehouses' config keys, ignored with a warning;
 * a dbt-duckdb key wharf does not run (`indexes`) an error.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type TempProject, tempProject } from "../helpers.ts";
import { cli as cliIn, lineOf, sql } from "../snapshots/helpers.ts";

const PROJECT = "name: shop\nconfig-version: 2\n";

const cli = (p: TempProject, args: readonly string[], code = 0) => cliIn(p.root, args, code);
const db = (p: TempProject) => join(p.root, "shop.duckdb");

/** A day `n` days from today (UTC), as `YYYY-MM-DD`. */
function day(n: number): string {
  const t = new Date();
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

const ORDERS = (...lines: string[]) => ["order_id,status,updated_at", ...lines].join("\n") + "\n";

/** The user's model: orders above the table's latest updated_at are new. */
const ordersModel = (config: string) =>
  `{{ config(materialized='incremental', unique_key='order_id', ${config}) }}
select order_id, status, updated_at from {{ ref('stg_orders') }}
{% if is_incremental() %} where updated_at > (select max(updated_at) from {{ this }}) {% endif %}
`;

Deno.test("dbt project: incremental_predicates scope merge's ON and delete+insert's DELETE (config(), properties YAML, the older 'predicates'); append ignores them with a warning", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "seeds/stg_orders.csv": ORDERS(
      "101,placed,2024-03-01",
      "102,placed,2024-03-08",
      "103,placed,2024-03-10",
    ),
    "models/merged.sql": ordersModel(
      `incremental_strategy='merge', incremental_predicates=["DBT_INTERNAL_DEST.updated_at > '2024-03-05'"]`,
    ),
    "models/merged_older_name.sql": ordersModel(
      `incremental_strategy='merge', predicates=["DBT_INTERNAL_DEST.updated_at > '2024-03-05'"]`,
    ),
    "models/merged_plain.sql": ordersModel("incremental_strategy='merge'"),
    // A single string, set in a properties file's config: (dbt-duckdb takes it as a list of one).
    "models/replaced.sql": ordersModel("incremental_strategy='delete+insert'"),
    // dbt-duckdb's alias of the table in its delete+insert by a list of key columns.
    "models/replaced_duckdb_alias.sql":
      `{{ config(materialized='incremental', unique_key=['order_id'], incremental_strategy='delete+insert', incremental_predicates=["DBT_INCREMENTAL_TARGET.updated_at > '2024-03-05'"]) }}
select order_id, status, updated_at from {{ ref('stg_orders') }}
{% if is_incremental() %} where updated_at > (select max(updated_at) from {{ this }}) {% endif %}
`,
    "models/props.yml": `version: 2
models:
  - name: replaced
    config:
      incremental_predicates: "updated_at > '2024-03-05'"
`,
    "models/appended.sql":
      `{{ config(materialized='incremental', incremental_predicates=["DBT_INTERNAL_DEST.updated_at > '2024-03-05'"]) }}
select order_id, status, updated_at from {{ ref('stg_orders') }}
{% if is_incremental() %} where updated_at > (select max(updated_at) from {{ this }}) {% endif %}
`,
  });
  const first = await cli(p, ["build"]);
  assert.match(
    first.stderr,
    /warning: models\/appended\.sql:1: config "incremental_predicates": the append strategy inserts the new rows and deletes or updates none, so its incremental_predicates limit nothing: ignored, as dbt does/,
  );
  // Order 101 (updated 2024-03-01 in the table, outside the predicate) and 102 (2024-03-08) change.
  await p.write(
    "seeds/stg_orders.csv",
    ORDERS("101,shipped,2024-03-12", "102,shipped,2024-03-12", "103,placed,2024-03-10"),
  );
  const later = await cli(p, ["build"]);
  const rows = (m: string) =>
    sql(
      db(p),
      `select order_id, status, strftime(updated_at, '%m-%d') as at from main.${m} order by all`,
    );
  // 101's row in the table is outside the predicate: it matches nothing, and the new one is inserted beside it.
  const scoped = [
    { order_id: 101, status: "placed", at: "03-01" },
    { order_id: 101, status: "shipped", at: "03-12" },
    { order_id: 102, status: "shipped", at: "03-12" },
    { order_id: 103, status: "placed", at: "03-10" },
  ];
  assert.match(lineOf(later.stdout, "main.merged"), /merge: 1 new, 1 updated/);
  assert.deepEqual(await rows("merged"), scoped);
  assert.deepEqual(await rows("merged_older_name"), scoped);
  assert.match(lineOf(later.stdout, "main.replaced"), /delete\+insert: 1 replaced, 1 new/);
  assert.deepEqual(await rows("replaced"), scoped);
  assert.deepEqual(await rows("replaced_duckdb_alias"), scoped);
  // Without predicates, both are updated.
  assert.match(lineOf(later.stdout, "main.merged_plain"), /merge: 0 new, 2 updated/);
  assert.deepEqual(await rows("merged_plain"), [
    { order_id: 101, status: "shipped", at: "03-12" },
    { order_id: 102, status: "shipped", at: "03-12" },
    { order_id: 103, status: "placed", at: "03-10" },
  ]);
  assert.match(lineOf(later.stdout, "main.appended"), /append: \+2 rows/);

  // What a later run runs shows them, with dbt's aliases.
  const merge = await cli(p, ["compile", "merged"]);
  assert.match(
    merge.stdout,
    /MERGE INTO "main"\."merged" AS DBT_INTERNAL_DEST USING "__wharf_new_main_merged" AS DBT_INTERNAL_SOURCE ON DBT_INTERNAL_DEST\."order_id" = DBT_INTERNAL_SOURCE\."order_id" AND \(DBT_INTERNAL_DEST\.updated_at > '2024-03-05'\)/,
  );
  const replaced = await cli(p, ["compile", "replaced"]);
  assert.match(
    replaced.stdout,
    /DELETE FROM "main"\."replaced" AS DBT_INTERNAL_DEST WHERE EXISTS \(.*\) AND \(updated_at > '2024-03-05'\);/,
  );

  // Not SQL text: an error naming the key and where it is set.
  await p.write(
    "models/props.yml",
    "version: 2\nmodels:\n  - name: replaced\n    config:\n      incremental_predicates: [1]\n",
  );
  const bad = await cli(p, ["ls"], 2);
  assert.match(
    bad.stderr,
    /models\/props\.yml:5:\d+: config "incremental_predicates": expected a SQL condition or a list of them/,
  );
});

Deno.test("dbt project: a microbatch model's incremental_predicates (+incremental_predicates in dbt_project.yml) scope each batch's DELETE", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}models:
  shop:
    batched:
      +incremental_predicates: ["DBT_INTERNAL_DEST.status <> 'locked'"]
`,
    "models/batched/batched.sql": `{{ config(
    materialized='incremental',
    incremental_strategy='microbatch',
    event_time='seen_at',
    batch_size='day',
    begin='${day(-3)}',
) }}
select id, status, seen_at from main.events
`,
  });
  await sql(
    db(p),
    `create table main.events (id integer, status varchar, seen_at timestamp);
     insert into main.events values (1, 'locked', '${day(-1)} 09:00'), (2, 'open', '${
      day(-1)
    } 10:00')`,
  );
  await cli(p, ["build"]);
  await sql(db(p), "update main.events set status = status || '!'");
  const later = await cli(p, ["build"]);
  // The batch's locked row is kept (the predicate leaves it out of the DELETE); both rows are inserted.
  assert.match(lineOf(later.stdout, "main.batched"), /2 rows written, 1 removed/);
  assert.deepEqual(
    await sql(db(p), "select id, status from main.batched order by all"),
    [{ id: 1, status: "locked" }, { id: 1, status: "locked!" }, { id: 2, status: "open!" }],
  );
  const compiled = await cli(p, ["compile", "batched"]);
  assert.match(
    compiled.stdout,
    /DELETE FROM "main"\."batched" AS DBT_INTERNAL_DEST WHERE "seen_at" >= <batch start> AND "seen_at" < <batch end> AND \(DBT_INTERNAL_DEST\.status <> 'locked'\);/,
  );
});

Deno.test("dbt project: a NULL in a unique_key matches nothing, as in dbt (delete+insert and merge keep the old row and insert the new)", async () => {
  const model = (strategy: string) =>
    `{{ config(materialized='incremental', unique_key=['k1', 'k2'], incremental_strategy='${strategy}') }}
select 1 as k1, null::varchar as k2, '{{ var('ver', 'v1') }}' as ver
union all select 2, 'b', '{{ var('ver', 'v1') }}'
`;
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/replaced.sql": model("delete+insert"),
    "models/merged.sql": model("merge"),
  });
  await cli(p, ["run"]);
  const later = await cli(p, ["run", "--vars", "ver=v2"]);
  assert.match(lineOf(later.stdout, "main.replaced"), /delete\+insert: 1 replaced, 1 new/);
  assert.match(lineOf(later.stdout, "main.merged"), /merge: 1 new, 1 updated/);
  const expected = [
    { k1: 1, k2: null, ver: "v1" },
    { k1: 1, k2: null, ver: "v2" },
    { k1: 2, k2: "b", ver: "v2" },
  ];
  for (const m of ["replaced", "merged"]) {
    assert.deepEqual(await sql(db(p), `select * from main.${m} order by all`), expected, m);
  }
  // Two rows with a NULL in their key are no repeated key (they match nothing): a third run takes them too.
  await cli(p, ["run", "--vars", "ver=v3"]);
  assert.equal((await sql(db(p), "select count(*)::int as n from main.replaced"))[0]!.n, 4);
});

Deno.test("dbt project: strategy keys on a model that is not incremental are ignored with a warning naming the key and the model, as dbt ignores them", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}models:\n  shop:\n    e:\n      +unique_key: id\n`,
    // Switched from incremental to view: its strategy keys stay.
    "models/was_incremental.sql":
      "{{ config(materialized='view', unique_key='id', incremental_strategy='merge', incremental_predicates=['1 = 1']) }}\nselect 1 as id",
    "models/e.sql": "{{ config(materialized='table') }}\nselect 1 as id",
  });
  const r = await cli(p, ["build"]);
  for (const key of ["unique_key", "incremental_strategy", "incremental_predicates"]) {
    assert.match(
      r.stderr,
      new RegExp(
        `warning: models/was_incremental\\.sql:1: config "${key}" applies to incremental models only \\(was_incremental is materialized as view\\): ignored, as dbt does`,
      ),
    );
  }
  assert.match(
    r.stderr,
    /warning: dbt_project\.yml:6:\d+: config "unique_key" applies to incremental models only \(e is materialized as table\)/,
  );
  assert.deepEqual(await sql(db(p), "select * from main.was_incremental"), [{ id: 1 }]);
});

Deno.test("dbt project: other warehouses' config keys are ignored with one warning per key naming its nodes; dbt-duckdb's indexes is an error (--warn-unsupported: a warning)", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}models:
  shop:
    marts:
      +cluster_by: ["id"]
      +transient: false
seeds:
  shop:
    +file_format: delta
`,
    "models/marts/a.sql":
      "{{ config(materialized='table', on_configuration_change='apply') }}\nselect 1 as id, '{{ config.get('transient') }}' as transient",
    "models/marts/b.sql":
      "{{ config(materialized='table', tblproperties={'x': '1'}) }}\nselect 2 as id",
    "models/c.sql": "select 3 as id",
    "models/props.yml": `version: 2
models:
  - name: c
    config:
      partitions: ["2024"]
      grant_access_to: [{ project: p, dataset: d }]
      hours_to_expiration: 6
      auto_refresh: true
      owner_team: billing
`,
    "seeds/s.csv": "id\n1\n",
  });
  const r = await cli(p, ["build"]);
  const warned = (key: string, nodes: string) => {
    const lines = r.stderr.split("\n").filter((l) => l.includes(`config "${key}" applies to`));
    assert.equal(lines.length, 1, `one warning for ${key}:\n${r.stderr}`);
    assert.match(lines[0]!, /^warning: /);
    assert.ok(
      lines[0]!.endsWith(`; DuckDB has no such thing; ignored, as dbt-duckdb does (${nodes})`),
      lines[0],
    );
  };
  warned("cluster_by", "models a, b");
  warned("transient", "models a, b");
  warned("on_configuration_change", "model a");
  warned("tblproperties", "model b");
  warned("file_format", "seed s");
  for (const key of ["partitions", "grant_access_to", "hours_to_expiration", "auto_refresh"]) {
    warned(key, "model c");
  }
  assert.match(
    r.stderr,
    /warning: models\/marts\/a\.sql:1: config "on_configuration_change" applies to materialized views/,
  );
  assert.match(
    r.stderr,
    /warning: models\/props\.yml:5:\d+: config "partitions" applies to BigQuery/,
  );
  // A key of the project's own is not warned about; the ignored ones are still read by config.get.
  assert.doesNotMatch(r.stderr, /owner_team/);
  assert.deepEqual(await sql(db(p), "select * from main.a"), [{ id: 1, transient: "False" }]);

  await p.write(
    "models/marts/b.sql",
    "{{ config(materialized='table', indexes=[{'columns': ['id'], 'unique': true}]) }}\nselect 2 as id",
  );
  const bad = await cli(p, ["ls"], 2);
  assert.match(
    bad.stderr,
    /models\/marts\/b\.sql:1: config\(indexes=…\): "indexes" is not run by wharf yet: remove it, or run this project with dbt/,
  );
  const warnedOnly = await cli(p, ["--warn-unsupported", "build"]);
  assert.match(
    warnedOnly.stderr,
    /warning: models\/marts\/b\.sql:1: config\(indexes=…\): "indexes" is not run by wharf yet/,
  );
});
