import assert from "node:assert/strict";
import { loadProject } from "../../src/engine/project/load_project.ts";
import { tempProject } from "../helpers.ts";

/** The problems `loadProject()` finds in one incremental model's config, as `line: message`. */
async function problems(config: string): Promise<string[]> {
  await using p = await tempProject({
    "models/marts/m.sql": "select 1 as id, current_date as d",
    "models/marts/marts.yml": `models:\n  - name: m\n    config:\n${
      config.trim().split("\n").map((l) => `      ${l}`).join("\n")
    }\n`,
  });
  const project = await loadProject(p.config);
  return project.issues.map((i) => `${i.location.line}: ${i.message}`);
}

Deno.test("loadProject() accepts every strategy with its own keys", async () => {
  assert.deepEqual(
    await problems(`
materialized: incremental
incremental_strategy: merge
unique_key: [id]
merge_update_columns: [d]
hard_deletes: invalidate
on_schema_change: sync_all_columns`),
    [],
  );
  assert.deepEqual(
    await problems(`
materialized: incremental
incremental_strategy: merge
unique_key: id
merge_exclude_columns: [d]
hard_deletes: delete`),
    [],
  );
  assert.deepEqual(
    await problems(`
materialized: incremental
incremental_strategy: microbatch
event_time: d
batch_size: hour
lookback: 0
begin: "2024-01-31 06:00"`),
    [],
  );
  assert.deepEqual(
    await problems(`
materialized: incremental
incremental_strategy: delete+insert
unique_key: id
watermark: d`),
    [],
  );
  assert.deepEqual(
    await problems(
      "materialized: incremental\nincremental_strategy: append\non_schema_change: fail",
    ),
    [],
  );
});

Deno.test("loadProject() names each incremental key that does not fit, and what to do", async () => {
  const at = "models[0].config";
  assert.deepEqual(
    await problems(`
materialized: incremental
incremental_strategy: upsert`),
    [
      `5: ${at}.incremental_strategy: expected one of "append", "merge", "delete+insert", "microbatch", got "upsert"`,
    ],
  );
  assert.deepEqual(
    await problems(`
materialized: incremental
incremental_strategy: merge
event_time: d
hard_deletes: soft
on_schema_change: add`),
    [
      `7: ${at}.hard_deletes: expected one of "ignore", "delete", "invalidate", got "soft"`,
      `8: ${at}.on_schema_change: expected one of "ignore", "fail", "append_new_columns", "sync_all_columns", got "add"`,
    ],
  );
  assert.deepEqual(
    await problems(`
materialized: incremental
incremental_strategy: merge
event_time: d
merge_update_columns: [d]
merge_exclude_columns: [id]`),
    [
      `5: ${at}.incremental_strategy: the merge strategy matches new rows to the table's by "unique_key": add unique_key (a column or a list)`,
      `6: ${at}.event_time: "event_time" applies to the microbatch strategy only (this model's incremental_strategy is "merge")`,
      `8: ${at}.merge_exclude_columns: give "merge_update_columns" (the columns updated) or "merge_exclude_columns" (the columns not updated), not both`,
    ],
  );
  assert.deepEqual(
    await problems(`
materialized: incremental
watermark: d
unique_key: id
hard_deletes: delete`),
    [
      `7: ${at}.hard_deletes: "hard_deletes" applies to the merge strategy only (this model's incremental_strategy is "delete+insert" (the default with a watermark and a unique_key))`,
    ],
  );
  assert.deepEqual(
    await problems(`
materialized: incremental
incremental_strategy: merge
unique_key: id
watermark: d
hard_deletes: invalidate`),
    [
      `8: ${at}.hard_deletes: hard_deletes: invalidate treats a row the model does not return as deleted, and with a "watermark" it returns only rows above the table's maximum: remove the watermark, so the model returns every current row on each run`,
    ],
  );
  assert.deepEqual(
    await problems(`
materialized: incremental
incremental_strategy: append
unique_key: id`),
    [
      `6: ${at}.unique_key: the append strategy reads no unique_key (it adds every new row): remove it, or use merge or delete+insert to replace rows by key`,
    ],
  );
  assert.deepEqual(
    await problems(`
materialized: incremental
incremental_strategy: microbatch
watermark: d
lookback: -1
begin: 2024-02-30`),
    [
      `7: ${at}.lookback: expected a whole number of batches (0 or more), got -1`,
      `8: ${at}.begin: expected a time: YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS (UTC), got "2024-02-30"`,
    ],
  );
  assert.deepEqual(
    await problems(`
materialized: incremental
incremental_strategy: microbatch
watermark: d`),
    [
      `4: ${at}.event_time: a microbatch model needs "event_time": the column (DATE or TIMESTAMP) whose time puts a row in a batch`,
      `4: ${at}.batch_size: a microbatch model needs "batch_size": hour, day or month`,
      `4: ${at}.begin: a microbatch model needs "begin": the time its first batch holds (YYYY-MM-DD, YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS (UTC))`,
      `6: ${at}.watermark: a microbatch model chooses its rows by "event_time", batch by batch: remove the watermark`,
    ],
  );
  assert.deepEqual(await problems("materialized: table\nlookback: 2\nmerge_update_columns: [d]"), [
    `5: ${at}.lookback: "lookback" applies to incremental models only`,
    `6: ${at}.merge_update_columns: "merge_update_columns" applies to incremental models only`,
  ]);
});
