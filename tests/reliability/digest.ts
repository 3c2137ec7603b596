/**
 * Comparing warehouses by content: row counts and order-independent
 * checksums per table, leaving out columns that differ between equally
 * right runs (batch ids, timestamps).
 *
 * @module
 */
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { quoteIdent, quoteRelation } from "../../src/engine/db/sql.ts";

/** One table's rows and the sum of its rows' hashes. */
export interface TableDigest {
  rows: number;
  checksum: string;
}

/** Table (`schema.name`) to its digest. */
export type Digest = Record<string, TableDigest>;

/**
 * Columns of the `raw` and `wharf` tables that landing fills differently in
 * equally right runs: batch ids and times.
 */
export const LANDING_VOLATILE = [
  "_batch_id",
  "_landed_at",
  "batch_id",
  "started_at",
  "ended_at",
  "duration_ms",
  "applied_at",
];

/** Options of {@linkcode warehouseDigest}. */
export interface DigestOptions {
  /** Every base table of these schemas. */
  schemas: string[];
  /** Columns left out wherever they appear (`_batch_id`, `_landed_at` …). */
  exclude?: string[];
  /** Views too (their rows), not only base tables. */
  views?: boolean;
}

/**
 * Counts and checksums every table (and view, with `options.views`) of
 * `options.schemas` in the warehouse file `db`: the checksum is the sum of
 * each row's hash over its columns (but the excluded ones), so it does not
 * depend on row order and does see a row lost, added or changed.
 */
export async function warehouseDigest(db: string, options: DigestOptions): Promise<Digest> {
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    const tables = await wh.query(
      `SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_type IN ('BASE TABLE'${
        options.views ? ", 'VIEW'" : ""
      }) AND table_schema IN (${options.schemas.map(() => "?").join(", ")}) ORDER BY 1, 2`,
      options.schemas,
    );
    const out: Digest = {};
    for (const { s, t } of tables) {
      const cols = (await wh.query(
        "SELECT column_name AS c FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [String(s), String(t)],
      )).map((r) => String(r.c)).filter((c) => !options.exclude?.includes(c));
      const hash = cols.length ? `hash(${cols.map(quoteIdent).join(", ")})::HUGEINT` : "0";
      const [row] = await wh.query(
        `SELECT count(*)::DOUBLE AS n, coalesce(sum(${hash}), 0)::VARCHAR AS h FROM ${
          quoteRelation(String(s), String(t))
        }`,
      );
      out[`${s}.${t}`] = { rows: Number(row!.n), checksum: String(row!.h) };
    }
    return out;
  } finally {
    wh.close();
  }
}

/**
 * The landings of the warehouse file `db`, one line per manifest row
 * (`wharf.files`: batch, file, status, rows) and one per batch found in a
 * raw table (its rows there), for a kill trial's failure message: which
 * file was lost or landed twice, and whether its manifest row says so.
 */
export async function landingBreakdown(db: string): Promise<string> {
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    const lines = (await wh.query(
      `SELECT batch_id, file_name, status, "rows" FROM wharf.files ORDER BY batch_id`,
    )).map((r) => `  manifest: batch ${r.batch_id} ${r.file_name} ${r.status}, ${r.rows} rows`);
    const tables = await wh.query(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'raw' AND table_type = 'BASE TABLE' ORDER BY 1",
    );
    for (const { t } of tables) {
      for (
        const r of await wh.query(
          `SELECT _batch_id AS b, count(*) AS n, count(DISTINCT _row_number) AS distinct_rows FROM ${
            quoteRelation("raw", String(t))
          } GROUP BY 1 ORDER BY 1`,
        )
      ) {
        lines.push(
          `  raw.${t}: batch ${r.b}: ${r.n} rows (${r.distinct_rows} distinct row numbers)`,
        );
      }
    }
    return lines.join("\n");
  } finally {
    wh.close();
  }
}
