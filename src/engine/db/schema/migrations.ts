/**
 * The ordered migrations of wharf's warehouse schema. Each brings the
 * tables of the version before it to its own version, and must work on a
 * warehouse where some groups of tables do not exist yet (they are created
 * later at the current version): it changes only what is there.
 *
 * To change a table of wharf's: change its definition in `tables.ts` (a new
 * column goes last, as `ALTER TABLE … ADD COLUMN` puts it), and add a
 * migration here with the next number that makes an existing table equal to
 * the new definition; a new table of a group is created by its migration
 * where the group's other tables are (a warehouse without them gets it with
 * them). A migration states its tables as they are at its version, not
 * through `tables.ts` (which later migrations change).
 * `tests/db/warehouse_schema_test.ts` checks that a warehouse of the last
 * release, upgraded, has exactly the tables a new warehouse gets.
 *
 * @module
 */
import { quoteIdent, quoteRelation } from "../sql.ts";
import type { Session } from "../warehouse.ts";

/** One step of the schema: see the module doc. */
export interface Migration {
  /** 1, 2, 3 …: the version the warehouse has once it is applied. */
  version: number;
  /** snake_case, recorded in `wharf.schema_version`. */
  name: string;
  /** Changes an existing warehouse of the version before; runs inside the upgrade's transaction. */
  up(session: Session): Promise<void>;
}

/** The columns of a type in tables of wharf's that exist, as `[schema, table, column]`. */
async function columnsOfType(
  session: Session,
  type: string,
  where: string,
): Promise<[string, string, string][]> {
  const rows = await session.query(
    `SELECT table_schema AS s, table_name AS t, column_name AS c FROM information_schema.columns
     WHERE data_type = ? AND (${where}) ORDER BY ALL`,
    [type],
  );
  return rows.map((r) => [String(r.s), String(r.t), String(r.c)]);
}

/** True when the warehouse has `schema.table`. */
async function hasTable(session: Session, schema: string, table: string): Promise<boolean> {
  const rows = await session.query(
    `SELECT 1 FROM duckdb_tables()
     WHERE database_name = current_database() AND schema_name = ? AND table_name = ?`,
    [schema, table],
  );
  return rows.length > 0;
}

/** wharf's migrations, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    // Before versioning, each command added the columns it had come to need
    // when it found a table without them: these are those columns.
    version: 1,
    name: "columns_added_before_versioning",
    async up(s) {
      await s.exec(`
        ALTER TABLE IF EXISTS wharf.files ADD COLUMN IF NOT EXISTS note VARCHAR;
        ALTER TABLE IF EXISTS raw.tic_indexes ADD COLUMN IF NOT EXISTS rows_removed BOOLEAN;
        ALTER TABLE IF EXISTS wharf.run_results ADD COLUMN IF NOT EXISTS rejected_rows BIGINT;
        ALTER TABLE IF EXISTS wharf.run_results ADD COLUMN IF NOT EXISTS check_counts JSON;
        ALTER TABLE IF EXISTS wharf.run_results ADD COLUMN IF NOT EXISTS nullified_values BIGINT;
        ALTER TABLE IF EXISTS wharf.run_results ADD COLUMN IF NOT EXISTS nullified_counts JSON;
      `);
    },
  },
  {
    // Delivery times were TIMESTAMP holding UTC; they become the instants they
    // are. Landed raw tables are those with lineage (`_batch_id`).
    version: 2,
    name: "delivery_times_are_timestamptz",
    async up(s) {
      const columns = await columnsOfType(
        s,
        "TIMESTAMP",
        `(table_schema = 'wharf' AND table_name = 'files' AND column_name = 'delivered_at')
         OR (table_schema = 'raw' AND column_name = '_delivered_at' AND table_name IN (
           SELECT table_name FROM information_schema.columns
           WHERE table_schema = 'raw' AND column_name = '_batch_id'))`,
      );
      for (const [schema, table, column] of columns) {
        const c = quoteIdent(column);
        await s.exec(
          `ALTER TABLE ${
            quoteRelation(schema, table)
          } ALTER COLUMN ${c} SET DATA TYPE TIMESTAMPTZ USING timezone('UTC', ${c})`,
        );
      }
    },
  },
  {
    // `--defer` records its copies, so that no later run takes one for a build of this
    // warehouse: a table of the `runs` group, created where that group is.
    version: 3,
    name: "deferred_relations",
    async up(s) {
      if (!await hasTable(s, "wharf", "runs")) return;
      await s.exec(`
        CREATE TABLE wharf.deferred_relations (
          relation VARCHAR PRIMARY KEY,
          state VARCHAR NOT NULL,
          state_warehouse VARCHAR NOT NULL,
          state_relation VARCHAR NOT NULL,
          run_id VARCHAR NOT NULL,
          copied_at TIMESTAMPTZ NOT NULL,
          rows BIGINT
        )`);
    },
  },
  {
    // TiC schema v2 fields, kept: the index's date, and each plan's sponsor and issuer.
    version: 4,
    name: "tic_schema_v2_fields",
    async up(s) {
      await s.exec(`
        ALTER TABLE IF EXISTS raw.tic_indexes ADD COLUMN last_updated_on VARCHAR;
        ALTER TABLE IF EXISTS raw.tic_plans ADD COLUMN plan_sponsor_name VARCHAR;
        ALTER TABLE IF EXISTS raw.tic_plans ADD COLUMN issuer_name VARCHAR;
      `);
    },
  },
  {
    // A line rejected at landing keeps the fields it still splits into, so models can tell whose
    // line it was (a member whose latest line was rejected is not stood in for by an older row).
    version: 5,
    name: "rejects_fields",
    async up(s) {
      await s.exec(`ALTER TABLE IF EXISTS wharf.rejects ADD COLUMN IF NOT EXISTS fields JSON`);
    },
  },
];
