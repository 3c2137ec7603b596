/**
 * The landing manifest (`wharf.files`) and rejects (`wharf.rejects`): the
 * checkpoint that makes landing exactly-once, and where bad lines go. Their
 * tables are defined in `db/schema/tables.ts` (`ensureTables(s, "landing")`).
 *
 * @module
 */
import type { Session } from "../engine/db/warehouse.ts";

/** The next batch id (from the `wharf.batch_ids` sequence). */
export async function nextBatchId(session: Session): Promise<number> {
  return Number((await session.query("SELECT nextval('wharf.batch_ids')::DOUBLE AS id"))[0]!.id);
}

/** One manifest row. */
export interface ManifestEntry {
  batchId: number;
  source: string;
  path: string;
  fileName: string;
  rawTable?: string;
  size: number;
  sha256?: string;
  status: "landed" | "failed";
  format?: string;
  encoding?: string;
  delimiter?: string;
  rows: number;
  rejectedRows: number;
  error?: string;
  /**
   * A remark on a landed file: "same content as <file> (batch N)", "new
   * delivery: batch N landed other content under this name at … UTC".
   */
  note?: string;
  columns?: { header: string; column: string }[];
  groups: Record<string, string>;
  deliveredAt?: Date;
  startedAt: Date;
  endedAt: Date;
}

/**
 * Writes a manifest row, replacing earlier failed attempts at the same
 * content, and those at the same file (source and path) that failed before
 * their content was read whole (no SHA-256): so each retry of a file that
 * cannot be read leaves one row, the latest.
 */
export async function writeManifest(session: Session, e: ManifestEntry): Promise<void> {
  await session.exec(
    "DELETE FROM wharf.files WHERE status = 'failed' AND (sha256 = ? OR (sha256 IS NULL AND source = ? AND path = ?))",
    [e.sha256 ?? null, e.source, e.path],
  );
  await session.exec(
    `INSERT INTO wharf.files (batch_id, source, path, file_name, raw_table, size, sha256, status, format, encoding, delimiter, rows, rejected_rows, error, columns, groups, delivered_at, started_at, ended_at, duration_ms, note)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::JSON, ?::JSON, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ, ?, ?)`,
    [
      e.batchId,
      e.source,
      e.path,
      e.fileName,
      e.rawTable ?? null,
      e.size,
      e.sha256 ?? null,
      e.status,
      e.format ?? null,
      e.encoding ?? null,
      e.delimiter ?? null,
      e.rows,
      e.rejectedRows,
      e.error ?? null,
      e.columns ? JSON.stringify(e.columns) : null,
      JSON.stringify(e.groups),
      e.deliveredAt ? e.deliveredAt.toISOString() : null,
      e.startedAt.toISOString(),
      e.endedAt.toISOString(),
      e.endedAt.getTime() - e.startedAt.getTime(),
      e.note ?? null,
    ],
  );
}

/** A landed file with some content: see {@linkcode landedWithContent}. */
export interface LandedFile {
  batchId: number;
  source: string;
  /** As the user named it (path or URL). */
  path: string;
  fileName: string;
  /** Its delivery fields (the `groups` of its manifest row). */
  groups: Record<string, string>;
  /** Rows it landed. */
  rows: number;
  /** Records of it rejected. */
  rejectedRows: number;
  /** When its landing committed. */
  landedAt: Date;
}

/** The landed files with this content (SHA-256), oldest first. */
export async function landedWithContent(
  session: Session,
  sha256: string,
): Promise<LandedFile[]> {
  const rows = await session.query(
    "SELECT batch_id::DOUBLE AS batch_id, source, path, file_name, groups::VARCHAR AS groups, rows::DOUBLE AS rows, rejected_rows::DOUBLE AS rejected_rows, epoch_ms(ended_at)::DOUBLE AS landed_at FROM wharf.files WHERE status = 'landed' AND sha256 = ? ORDER BY batch_id",
    [sha256],
  );
  return rows.map(landedFile);
}

/**
 * The latest landed delivery of `source` under the file name `fileName`
 * with content other than `sha256`, and, when delivery fields were given
 * beside the name (`fields`), the same fields: what a new delivery under a
 * known name replaces or adds to.
 */
export async function landedUnderName(
  session: Session,
  source: string,
  fileName: string,
  sha256: string,
  fields: Readonly<Record<string, string>> = {},
): Promise<LandedFile | undefined> {
  const rows = await session.query(
    "SELECT batch_id::DOUBLE AS batch_id, source, path, file_name, groups::VARCHAR AS groups, rows::DOUBLE AS rows, rejected_rows::DOUBLE AS rejected_rows, epoch_ms(ended_at)::DOUBLE AS landed_at FROM wharf.files WHERE status = 'landed' AND source = ? AND file_name = ? AND sha256 <> ? ORDER BY batch_id DESC",
    [source, fileName, sha256],
  );
  return rows.map(landedFile).find((f) =>
    Object.entries(fields).every(([k, v]) => f.groups[k] === v)
  );
}

/** A row of `wharf.files` as {@linkcode LandedFile}. */
function landedFile(r: Record<string, unknown>): LandedFile {
  return {
    batchId: Number(r.batch_id),
    source: String(r.source),
    path: String(r.path),
    fileName: String(r.file_name),
    groups: r.groups === null ? {} : JSON.parse(String(r.groups)),
    rows: Number(r.rows ?? 0),
    rejectedRows: Number(r.rejected_rows ?? 0),
    landedAt: new Date(Number(r.landed_at)),
  };
}

/** True when a landed file has exactly this size (then hashing first pays off). */
export async function hasLandedSize(session: Session, size: number): Promise<boolean> {
  const rows = await session.query(
    "SELECT 1 FROM wharf.files WHERE status = 'landed' AND size = ? LIMIT 1",
    [size],
  );
  return rows.length > 0;
}
