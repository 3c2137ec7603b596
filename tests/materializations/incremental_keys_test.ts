/**
 * A plain-SQL project's incremental keys, built for real on a DuckDB file:
 * `incremental_predicates` in a layer's YAML scope merge's ON and
 * delete+insert's DELETE (the table as `DBT_INTERNAL_DEST`), are an error
 * on append, and a NULL in a `unique_key` matches NULL (wharf's own rule;
 * a dbt project's keys compare as dbt's do, see
 * tests/dbt/dbt_incremental_keys_test.ts).
 */
import assert from "node:assert/strict";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { CompileError } from "../../src/engine/errors.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { type TempProject, tempProject } from "../helpers.ts";

async function sql(db: string, text: string) {
  const wh = await openWarehouse(db);
  try {
    return await wh.query(text);
  } finally {
    wh.close();
  }
}

/** Runs the models and returns each one's status and message, by id. */
async function run(p: TempProject) {
  const summary = await runProject("run", p.config, { db: p.db });
  return Object.fromEntries(summary.results.map((r) => [r.id, [r.status, r.message]]));
}

const model = (strategy: string, extra = "") =>
  `    config: { materialized: incremental, incremental_strategy: ${strategy}, unique_key: [k1, k2]${extra} }`;

Deno.test("plain-SQL project: incremental_predicates scope merge and delete+insert; a NULL in a unique_key matches NULL", async () => {
  const select = "select k1, k2, ver, changed from raw.items\n";
  await using p = await tempProject({
    "models/marts/merged.sql": select,
    "models/marts/replaced.sql": select,
    "models/marts/merged_all.sql": select,
    "models/marts/marts.yml": `models:
  - name: merged
${model("merge", ', incremental_predicates: ["DBT_INTERNAL_DEST.changed > 1"]')}
  - name: replaced
${model("delete+insert", ', incremental_predicates: "changed > 1"')}
  - name: merged_all
${model("merge")}
`,
  });
  await sql(
    p.db,
    `create schema raw; create table raw.items (k1 integer, k2 varchar, ver varchar, changed integer);
     insert into raw.items values (1, null, 'v1', 1), (2, 'b', 'v1', 2)`,
  );
  await run(p);
  await sql(p.db, "update raw.items set ver = 'v2'");
  const later = await run(p);
  // (1, NULL) matches the table's (1, NULL) row, but its changed (1) is outside the predicate.
  assert.deepEqual(later["marts.merged"], ["success", "merge: 1 new, 1 updated"]);
  assert.deepEqual(later["marts.replaced"], ["success", "delete+insert: 1 replaced, 1 new"]);
  const scoped = [
    { k1: 1, k2: null, ver: "v1" },
    { k1: 1, k2: null, ver: "v2" },
    { k1: 2, k2: "b", ver: "v2" },
  ];
  for (const m of ["merged", "replaced"]) {
    assert.deepEqual(await sql(p.db, `select k1, k2, ver from marts.${m} order by all`), scoped);
  }
  // Without predicates, NULL matches NULL: both rows are updated in place.
  assert.deepEqual(later["marts.merged_all"], ["success", "merge: 0 new, 2 updated"]);
  assert.deepEqual(await sql(p.db, "select k1, k2, ver from marts.merged_all order by all"), [
    { k1: 1, k2: null, ver: "v2" },
    { k1: 2, k2: "b", ver: "v2" },
  ]);
});

Deno.test("plain-SQL project: incremental_predicates on an append model are an error naming the key", async () => {
  await using p = await tempProject({
    "models/marts/appended.sql": "select 1 as id\n",
    "models/marts/marts.yml": `models:
  - name: appended
    config: { materialized: incremental, incremental_strategy: append, incremental_predicates: ["id > 0"] }
`,
  });
  await assert.rejects(
    () => runProject("run", p.config, { db: p.db }),
    (err: unknown) => {
      assert.ok(err instanceof CompileError);
      assert.match(
        err.message,
        /incremental_predicates.*the append strategy updates and deletes none: remove them, or use merge, delete\+insert or microbatch/,
      );
      return true;
    },
  );
});
