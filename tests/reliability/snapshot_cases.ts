/**
 * Kill -9 trials of `wharf snapshot`: a snapshot of 200,000 rows taken
 * once, then its source changed (a third of the rows updated, a seventh
 * deleted, 20,000 new), then the snapshot killed at random moments and run
 * again. Each run is one transaction, so the rerun's table must equal a
 * clean run's, with exactly one current row per key. The snapshot is a
 * plain-SQL project's file, or a dbt project's `{% snapshot %}` block.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliCommand, tempProject } from "../helpers.ts";
import { copyWarehouse } from "./healthcare.ts";
import { killNote, killTrials } from "./kill.ts";
import { rows } from "./land_harness.ts";
import { sql } from "../snapshots/helpers.ts";
import { defineCase } from "./registry.ts";
import { killTrialCount } from "./seed.ts";

/** The same snapshot, `snapshots.accounts`, in each layout. */
const FILES = {
  plain: {
    "snapshots/accounts.sql": "select id, balance, updated_at from raw.accounts\n",
    "snapshots/snapshots.yml": `snapshots:
  - name: accounts
    config: { unique_key: id, strategy: timestamp, updated_at: updated_at, hard_deletes: new_record }
`,
  },
  dbt: {
    "dbt_project.yml": "name: bank\nconfig-version: 2\n",
    "models/sources.yml":
      "sources:\n  - name: app\n    schema: raw\n    tables:\n      - name: accounts\n",
    "snapshots/accounts.sql": `{% snapshot accounts %}
{{ config(target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='new_record') }}
select id, balance, updated_at from {{ source('app', 'accounts') }}
{% endsnapshot %}
`,
  },
};

/**
 * The snapshot's rows, compared without the run's own time (when a deleted
 * key was closed and recorded as deleted), and its keys with other than
 * one current row.
 */
async function snapshotDigest(db: string) {
  return {
    table: await rows(
      db,
      `SELECT count(*)::DOUBLE AS rows, count(*) FILTER (WHERE dbt_valid_to IS NULL)::DOUBLE AS current,
         sum(hash(id, balance, updated_at, dbt_is_deleted, dbt_valid_to IS NULL,
           CASE WHEN dbt_is_deleted = 'True' THEN NULL ELSE dbt_valid_from END,
           CASE WHEN dbt_is_deleted = 'True' THEN NULL ELSE dbt_scd_id END) % 1000000007)::DOUBLE AS checksum
       FROM snapshots.accounts`,
    ),
    notOneCurrent: await rows(
      db,
      `SELECT id FROM snapshots.accounts GROUP BY id
       HAVING count(*) FILTER (WHERE dbt_valid_to IS NULL) <> 1 LIMIT 5`,
    ),
  };
}

function snapshotKillCase(
  name: string,
  o: { slow: boolean; trials: number; kills: number; layout: keyof typeof FILES },
) {
  defineCase({
    area: "build",
    name,
    slow: o.slow,
    seeded: true,
    async run({ seed }) {
      await using p = await tempProject(FILES[o.layout]);
      const base = join(p.root, "base.duckdb");
      const cli = (db: string) => cliCommand(["--project", p.root, "--db", db, "snapshot"]);
      await sql(
        base,
        `CREATE SCHEMA raw;
         CREATE TABLE raw.accounts AS SELECT range AS id, range % 1000 AS balance,
           TIMESTAMP '2024-01-01' AS updated_at FROM range(200000)`,
      );
      assert.equal((await cli(base).output()).code, 0);
      await sql(
        base,
        `UPDATE raw.accounts SET balance = balance + 1, updated_at = TIMESTAMP '2024-02-01' WHERE id % 3 = 0;
         DELETE FROM raw.accounts WHERE id % 7 = 0;
         INSERT INTO raw.accounts SELECT range, 5, TIMESTAMP '2024-02-01' FROM range(200000, 220000)`,
      );
      const report = await killTrials({
        dir: p.root,
        trials: o.trials,
        kills: o.kills,
        seed,
        prepare: (target) => copyWarehouse(base, target),
        command: cli,
        digest: snapshotDigest,
      });
      const clean = await snapshotDigest(join(p.root, "clean.duckdb"));
      assert.deepEqual(clean.notOneCurrent, []);
      // The run means something: every change is in the clean run's table.
      assert.deepEqual(
        await rows(
          join(p.root, "clean.duckdb"),
          `SELECT count(*) FILTER (WHERE dbt_valid_to IS NOT NULL)::DOUBLE AS closed,
             count(*) FILTER (WHERE dbt_is_deleted = 'True')::DOUBLE AS deleted
           FROM snapshots.accounts`,
        ),
        // Closed: the updated rows (ids divisible by 3) and the deleted ones (by 7), once each.
        [{
          closed: Math.ceil(200000 / 3) + Math.ceil(200000 / 7) - Math.ceil(200000 / 21),
          deleted: Math.ceil(200000 / 7),
        }],
      );
      return killNote("snapshot", report);
    },
  });
}

snapshotKillCase(
  "kill -9 of wharf snapshot twice at random moments, then snapshot again: the table equals a clean run's, one current row per key",
  { slow: false, trials: 2, kills: 2, layout: "plain" },
);

snapshotKillCase(
  "dbt project: kill -9 of wharf snapshot at random moments, then snapshot again: the table equals a clean run's, one current row per key",
  { slow: false, trials: 1, kills: 2, layout: "dbt" },
);

snapshotKillCase(
  "kill -9 of wharf snapshot at random moments, then snapshot again: the table equals a clean run's, one current row per key",
  { slow: true, trials: killTrialCount(10), kills: 1, layout: "plain" },
);
