/**
 * The lines `wharf land` rejected from the files of the raw tables a run
 * read: records that are in `wharf.rejects`, not in their raw tables (a model sees them only if it reads `wharf.rejects`).
 *
 * @module
 */
import { quoteLiteral } from "../db/sql.ts";
import type { Session } from "../db/warehouse.ts";

/** The rejected lines of one source's landed files, in `wharf.rejects`. */
export interface LandingRejects {
  /** The source the files landed as (`wharf.rejects.source`). */
  source: string;
  /** The raw table its files landed in, `raw.<table>`. */
  table: string;
  /** How many lines were rejected. */
  lines: number;
  /** The names of the files they are in, sorted. */
  files: string[];
}

/**
 * The rejected lines of the files landed in `relations` (those of them that
 * are `raw.<table>`), one entry per source, sorted by source: what a run
 * reading those tables does not see.
 *
 * @param session A connection to the warehouse (its `wharf.*` tables migrated).
 * @param relations Relations the run read, lower-cased `schema.name`.
 * @returns One entry per source with rejected lines (`{ source: "visits", table:
 *   "raw.visits", lines: 2, files: ["a.csv"] }`); none when there are none.
 */
export async function landingRejects(
  session: Session,
  relations: readonly string[],
): Promise<LandingRejects[]> {
  const tables = relations.filter((r) => r.startsWith("raw."));
  if (tables.length === 0) return [];
  if (!await landingTablesExist(session, ["files", "rejects"])) return [];
  const rows = await session.query(
    `SELECT r.source, lower(f.raw_table) AS "table", count(*)::DOUBLE AS lines,
            list(DISTINCT f.file_name ORDER BY f.file_name) AS files
     FROM wharf.rejects r
     JOIN wharf.files f ON f.batch_id = r.batch_id AND f.status = 'landed'
     WHERE lower(f.raw_table) IN (${tables.map(quoteLiteral).join(", ")})
     GROUP BY ALL
     ORDER BY 1, 2`,
  );
  return rows.map((r) => ({
    source: String(r.source),
    table: String(r.table),
    lines: Number(r.lines),
    files: (r.files as unknown[]).map(String),
  }));
}

/**
 * Whether the warehouse has all of wharf's landing tables `names` (`files`,
 * `rejects`): `wharf land` creates them when it first lands something.
 */
export async function landingTablesExist(
  session: Session,
  names: readonly string[],
): Promise<boolean> {
  const found = await session.query(
    `SELECT count(*)::DOUBLE AS n FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema = 'wharf' AND table_name IN (${
      names.map(quoteLiteral).join(", ")
    })`,
  );
  return Number(found[0]!.n) === names.length;
}
