/**
 * The deliveries `wharf land` failed to land into the raw tables a run
 * read, and that have not landed since: files whose rows are in no model.
 *
 * @module
 */
import { quoteLiteral } from "../db/sql.ts";
import type { Session } from "../db/warehouse.ts";
import { landingTablesExist } from "./landing_rejects.ts";

/**
 * What the path of a file uploaded through the API starts with in
 * `wharf.files` (and its `_file` lineage): `upload:<name>`. No path holds
 * the uploaded copy once it has landed or failed.
 */
export const UPLOAD_PREFIX = "upload:";

/** A delivery whose latest landing failed (its row in `wharf.files`). */
export interface FailedLanding {
  /** The source the file was to land as (`wharf.files.source`). */
  source: string;
  /** The raw table it was to land in, `raw.<table>`. */
  table: string;
  /** Its file name. */
  file: string;
  /**
   * The file as `wharf land` was given it (path or URL): what to land again;
   * `upload:<name>` ({@linkcode UPLOAD_PREFIX}) for an upload.
   */
  path: string;
  /** The failed landing's batch (`wharf.files.batch_id`). */
  batchId: number;
  /** Why it failed (`wharf.files.error`). */
  error: string;
  /** When the failed landing ended (ISO 8601, UTC). */
  failedAt: string;
}

/**
 * The deliveries of the raw tables in `relations` (those of them that are
 * `raw.<table>`) whose landing failed and that have not landed since,
 * sorted by source, then file name: what a run reading those tables does
 * not see.
 *
 * A delivery is its source, file name and delivery fields (`groups`), as
 * `wharf land` tells deliveries apart. It is still failed when the latest
 * `failed` row of it in `wharf.files` has no `landed` row of it after it
 * (a higher batch): landing the name again with content that reads
 * supersedes the failure, whatever that content is. Landing content whose
 * failure was recorded with its SHA-256, under any name, removes the
 * failed rows of that content from `wharf.files` (see `writeManifest`), so
 * it needs no check here. One entry per delivery, with its latest failure.
 *
 * @param session A connection to the warehouse (its `wharf.*` tables migrated).
 * @param relations Relations the run read, lower-cased `schema.name`.
 * @returns The failed deliveries (`{ source: "visits", table: "raw.visits",
 *   file: "a.txt.gz", path: "in/a.txt.gz", batchId: 3, error: "Cannot land …",
 *   failedAt: "2024-05-01T14:03:07.000Z" }`); none when there are none.
 */
export async function failedLandings(
  session: Session,
  relations: readonly string[],
): Promise<FailedLanding[]> {
  const tables = relations.filter((r) => r.startsWith("raw."));
  if (tables.length === 0) return [];
  if (!await landingTablesExist(session, ["files"])) return [];
  // Each failed row with the delivery fields of the rows that landed its name after it.
  const rows = await session.query(
    `SELECT f.source, lower(f.raw_table) AS "table", f.file_name, f.path,
            f.batch_id::DOUBLE AS batch_id, f.error, epoch_ms(f.ended_at)::DOUBLE AS failed_at,
            f.groups::VARCHAR AS groups,
            coalesce(list(l.groups::VARCHAR) FILTER (WHERE l.batch_id IS NOT NULL), []) AS landed_since
     FROM wharf.files f
     LEFT JOIN wharf.files l ON l.status = 'landed' AND l.source = f.source
       AND l.file_name = f.file_name AND l.batch_id > f.batch_id
     WHERE f.status = 'failed' AND lower(f.raw_table) IN (${tables.map(quoteLiteral).join(", ")})
     GROUP BY ALL
     ORDER BY 1, 3, 5 DESC`,
  );
  const fields = (json: unknown): Record<string, string> =>
    json === null ? {} : JSON.parse(String(json));
  const same = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length &&
    Object.entries(a).every(([k, v]) => b[k] === v);
  const failed: FailedLanding[] = [];
  const seen: { source: string; file: string; groups: Record<string, string> }[] = [];
  for (const r of rows) {
    const source = String(r.source);
    const file = String(r.file_name);
    const groups = fields(r.groups);
    // Rows come latest first per name: an earlier failure of a delivery is not its latest.
    if (seen.some((s) => s.source === source && s.file === file && same(s.groups, groups))) {
      continue;
    }
    seen.push({ source, file, groups });
    if ((r.landed_since as unknown[]).some((g) => same(fields(g), groups))) continue;
    failed.push({
      source,
      table: String(r.table),
      file,
      path: String(r.path),
      batchId: Number(r.batch_id),
      error: String(r.error),
      failedAt: new Date(Number(r.failed_at)).toISOString(),
    });
  }
  return failed;
}
