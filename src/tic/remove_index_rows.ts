/**
 * Removing the rows of an index that did not land (failed, duplicate or
 * interrupted) in memory that does not grow with the index. DuckDB keeps
 * about 8 bytes for every row a transaction deletes, and holds them until a
 * checkpoint (a 2.4 GB index has 9 million links: deleting them at once
 * needs more than the 64 MB `wharf tic` gives DuckDB, and left the index
 * `running` for good). So rows go in committed batches, by ranges of their
 * structure or file id, each followed by a checkpoint.
 *
 * The index is marked first (`rows_removed = false`, committed), so a
 * removal cut short by a crash or an error is finished by the next `wharf
 * tic`; models read `complete` indexes only, so the rows left meanwhile are
 * never seen.
 *
 * @module
 */
import type { Session } from "../engine/db/warehouse.ts";

/** Rows one committed DELETE aims at. */
const DELETE_ROWS = 500_000;

/** The row tables of an index and the id that orders each (contiguous from 0 or 1 per index). */
const KEYED = [
  ["tic_plan_files", "structure_id"],
  ["tic_plans", "structure_id"],
  ["tic_files", "file_id"],
] as const;

/** The error of an index found `running` by a later run. */
export const INTERRUPTED = "interrupted: the run ended before the index was read to its end";

/**
 * Deletes every row of index `indexId` from `raw.tic_plan_files`,
 * `raw.tic_plans` and `raw.tic_files`, about {@linkcode DELETE_ROWS} rows
 * per committed statement, marks it `rows_removed`, and returns how many
 * rows went. Call it outside a transaction, with no other open.
 *
 * @throws the database's error when a statement fails (what was deleted
 * before stays deleted; calling again finishes the job)
 */
export async function removeIndexRows(s: Session, indexId: number): Promise<number> {
  const id = BigInt(indexId);
  let removed = 0;
  for (const [table, key] of KEYED) {
    const [r] = await s.query(
      `SELECT min(${key})::DOUBLE AS lo, max(${key})::DOUBLE AS hi, count(${key})::DOUBLE AS n FROM raw.${table} WHERE index_id = ?`,
      [id],
    );
    const n = Number(r?.n ?? 0);
    if (n > 0) {
      const lo = Number(r!.lo), hi = Number(r!.hi);
      // Ids are dense, so a range of this width holds about DELETE_ROWS rows.
      let width = Math.max(1, Math.floor((DELETE_ROWS * (hi - lo + 1)) / n));
      for (let from = lo; from <= hi;) {
        const deleted = await s.count(
          `DELETE FROM raw.${table} WHERE index_id = ? AND ${key} >= ? AND ${key} < ?`,
          [id, BigInt(from), BigInt(from + width)],
        );
        removed += deleted;
        from += width;
        // DuckDB holds what a delete marks until a checkpoint folds it in.
        if (deleted > 0) await s.exec("CHECKPOINT");
        // Aim the next range at DELETE_ROWS rows, changing by 4x at most.
        width = deleted === 0 ? width * 4 : Math.min(
          width * 4,
          Math.max(Math.ceil(width / 4), Math.floor((width * DELETE_ROWS) / deleted)),
        );
      }
    }
    removed += await s.count(`DELETE FROM raw.${table} WHERE index_id = ? AND ${key} IS NULL`, [
      id,
    ]);
  }
  await s.exec("UPDATE raw.tic_indexes SET rows_removed = true WHERE index_id = ?", [id]);
  return removed;
}

/** What {@linkcode removeUnfinished} did: one sentence per index. */
export interface Unfinished {
  /** Indexes whose rows were removed now (and those found running, marked failed). */
  cleaned: string[];
  /** Indexes whose rows could not be removed yet. */
  warnings: string[];
}

/**
 * Finishes what earlier runs left: an index still `running` (its run was
 * killed; this run holds the warehouse alone, so none is landing) is marked
 * failed, and the rows of every index that is not complete and not cleaned
 * up yet are removed. A removal that fails does not stop the others or the
 * run: it is reported and tried again next time.
 */
export async function removeUnfinished(s: Session): Promise<Unfinished> {
  const running = new Set(
    (await s.query("SELECT index_id::DOUBLE AS id FROM raw.tic_indexes WHERE status = 'running'"))
      .map((r) => Number(r.id)),
  );
  await s.exec(
    "UPDATE raw.tic_indexes SET status = 'failed', error = ?, rows_removed = false, ended_at = now() WHERE status = 'running'",
    [INTERRUPTED],
  );
  const pending = await s.query(
    "SELECT index_id::DOUBLE AS id, status FROM raw.tic_indexes WHERE status <> 'complete' AND rows_removed = false ORDER BY index_id",
  );
  const done: Unfinished = { cleaned: [], warnings: [] };
  for (const p of pending) {
    const id = Number(p.id);
    try {
      const rows = await removeIndexRows(s, id);
      done.cleaned.push(
        running.has(id)
          ? `index ${id} was left running by a run that ended before reading it to its end: marked failed, its ${rows} rows removed`
          : `the rows of ${p.status} index ${id}, which an earlier run did not finish removing, are removed (${rows} more)`,
      );
    } catch (err) {
      done.warnings.push(cleanupWarning(id, String(p.status), err));
    }
  }
  return done;
}

/** Says that the rows of an index could not be removed, and why that is harmless. */
export function cleanupWarning(indexId: number, status: string, err: unknown): string {
  return `Cannot remove the rows of ${status} index ${indexId} yet: ${
    err instanceof Error ? err.message : String(err)
  } (models read complete indexes only, so they are ignored; the next \`wharf tic\` tries again)`;
}
