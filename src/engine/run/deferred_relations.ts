/**
 * The record of `--defer`'s copies, `wharf.deferred_relations` (defined in
 * `db/schema/tables.ts`): a relation copied from a state's warehouse holds
 * that warehouse's rows, not a build of this one, and stays known as such
 * until a run builds it here. A later `--defer` run copies it again, from
 * its own state; a run without `--defer` that reads it says so; a build of
 * it drops the copy and its record (dbt never copies: it reads the other
 * target's relations in place, so deferred data is never taken for a dev
 * build there either).
 *
 * @module
 */
import { relationKind } from "../db/relation_kind.ts";
import { quoteRelationId, relationIdSql } from "../db/sql.ts";
import type { Session } from "../db/warehouse.ts";

/** One relation `--defer` copied into this warehouse, as recorded. */
export interface DeferredCopy {
  /** The copy in this warehouse, as the run names it (`marts.customers`). */
  relation: string;
  /** The `--state` folder of the run that copied it. */
  state: string;
  /** The warehouse it was copied from (the one that state's run_results.json names). */
  stateWarehouse: string;
  /** The relation copied there, as the state's manifest names it (`schema.name`). */
  stateRelation: string;
  /** The run that copied it. */
  runId: string;
  /** When it was copied (ISO 8601, UTC). */
  copiedAt: string;
  /** Rows copied. */
  rows: number;
}

/**
 * The copies recorded in the warehouse, by relation id in lower case; none
 * when no run has created the run log's tables yet. The record of a copy
 * whose relation is gone (dropped by hand) is removed first: there is no
 * copy left, and a relation built there later is this warehouse's own.
 */
export async function deferredCopies(session: Session): Promise<Map<string, DeferredCopy>> {
  const [table] = await session.query(
    `SELECT 1 FROM duckdb_tables() WHERE database_name = current_database()
       AND schema_name = 'wharf' AND table_name = 'deferred_relations'`,
  );
  if (!table) return new Map();
  // Most warehouses hold no copy: the catalog, which every build's relations make long, is
  // read only when there are some.
  const [any] = await session.query("SELECT 1 FROM wharf.deferred_relations LIMIT 1");
  if (!any) return new Map();
  const all = await session.query(
    `SELECT relation, state, state_warehouse, state_relation, run_id,
       strftime(timezone('UTC', copied_at), '%Y-%m-%dT%H:%M:%S.%gZ') AS copied_at, rows,
       lower(relation) IN (
         SELECT ${relationIdSql("table_catalog", "table_schema", "table_name")}
         FROM information_schema.tables WHERE table_catalog = current_database()) AS present
     FROM wharf.deferred_relations ORDER BY relation`,
  );
  const gone = all.filter((r) => !r.present).map((r) => String(r.relation));
  if (gone.length) {
    await session.exec(
      `DELETE FROM wharf.deferred_relations WHERE relation IN (${gone.map(() => "?").join(", ")})`,
      gone,
    );
  }
  const rows = all.filter((r) => r.present);
  return new Map(rows.map((r) => [String(r.relation).toLowerCase(), {
    relation: String(r.relation),
    state: String(r.state),
    stateWarehouse: String(r.state_warehouse),
    stateRelation: String(r.state_relation),
    runId: String(r.run_id),
    copiedAt: String(r.copied_at),
    rows: Number(r.rows),
  }]));
}

/**
 * Records a copy (replacing the record of an earlier copy of the same
 * relation), in the caller's transaction with the copy itself. The run
 * log's tables must exist (`ensureTables(s, "runs")`).
 */
export async function recordDeferredCopy(session: Session, copy: DeferredCopy): Promise<void> {
  await session.exec(
    `INSERT OR REPLACE INTO wharf.deferred_relations
       (relation, state, state_warehouse, state_relation, run_id, copied_at, rows)
     VALUES (?, ?, ?, ?, ?, ?::TIMESTAMPTZ, ?)`,
    [
      copy.relation,
      copy.state,
      copy.stateWarehouse,
      copy.stateRelation,
      copy.runId,
      copy.copiedAt,
      copy.rows,
    ],
  );
}

/**
 * Drops the copy of `relation` and its record, so that its build starts
 * from nothing (an incremental model or a snapshot builds anew, not over
 * the state's rows): in the caller's transaction with that build, where it
 * has one, so that a failing build keeps both.
 */
export async function dropDeferredCopy(session: Session, relation: string): Promise<void> {
  const kind = await relationKind(session, relation);
  if (kind) await session.exec(`DROP ${kind} ${quoteRelationId(relation)}`);
  await session.exec("DELETE FROM wharf.deferred_relations WHERE lower(relation) = lower(?)", [
    relation,
  ]);
}
