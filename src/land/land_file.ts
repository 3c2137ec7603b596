/**
 * Landing one file: all its readable records into `raw.<table>` with
 * lineage, its bad ones into `wharf.rejects`, and its manifest row — in one
 * transaction, so a crash at any moment leaves the file either wholly landed
 * or not at all. Every landing checks that the records wharf read equal the
 * rows landed plus the rows rejected; a file where they do not fails.
 *
 * Delimited text is read twice at most: wharf's own scan ({@linkcode scanText})
 * hashes the bytes and counts the records while DuckDB reads the file as it
 * is; when the scan finds anything DuckDB cannot be trusted with (a bad
 * line, a quoted line break, mixed line endings …) or the counts differ,
 * that attempt is rolled back and the scan writes a copy of the good records
 * (each with its line number) for DuckDB to read, handing the bad ones to
 * `wharf.rejects` itself. A Windows-1252 file, or one whose lines end with a
 * CR alone, is read through the copy straight away (written as UTF-8, with
 * LF line ends): DuckDB reads neither as it is.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import type { AppendValue, Session, Warehouse } from "../engine/db/warehouse.ts";
import { lineageColumns } from "../engine/db/schema/warehouse_schema.ts";
import { quoteIdent, quoteLiteral, quoteRelation } from "../engine/db/sql.ts";
import { ContentConflictError, HeaderMismatchError, LandingError } from "../engine/errors.ts";
import { type FileInfo, inspectFile } from "./detect.ts";
import { urlFileName } from "./fetch_url.ts";
import {
  hasLandedSize,
  type LandedFile,
  landedUnderName,
  landedWithContent,
  type ManifestEntry,
  nextBatchId,
  writeManifest,
} from "./manifest.ts";
import { columnNames } from "./names.ts";
import { findFormat } from "./formats/index.ts";
import type { Records, RejectedLine } from "./read_records.ts";
import { rejectFields } from "./reject_fields.ts";
import { DUCKDB_MAX_LINE, EncodingOverturned, scanText, type TextScan } from "./scan_text.ts";
import type { FileMatch, Source } from "./sources.ts";
import { FileChanged, type StagedFile, stageFile } from "./staging.ts";

/** What happened to one file. */
export interface FileOutcome {
  /** The file as the user named it (path or URL). */
  file: string;
  source: string;
  status: "landed" | "skipped" | "failed";
  batchId?: number;
  rows: number;
  rejectedRows: number;
  size: number;
  sha256?: string;
  /**
   * Why it failed; which landed batch it repeats (skipped); or, for a file
   * that landed, its {@linkcode landedNote}: the content of an earlier one
   * under another name, "same content as <file> (batch N)", its name known
   * with other content, "new delivery: batch N landed other content under
   * this name at … UTC", or its content delivered again under its name
   * after other content, "new delivery: same content as batch N, after
   * batch M landed other content under this name at … UTC".
   */
  message?: string;
  /**
   * The earlier landing with the same content (skipped: the latest landing
   * of this delivery; landed: under another name, or under this name before
   * `sameName`, see `deliveredAgain`).
   */
  sameAs?: LandedFile;
  /** Landed: the latest earlier landing under this name (and given fields) with other content. */
  sameName?: LandedFile;
  /**
   * Landed: `sameAs` is an earlier landing of this delivery (same source,
   * name, delivery fields and content) that `sameName` followed with other
   * content, so this content is the latest delivery again (A, B, then A).
   */
  deliveredAgain?: boolean;
  /** Why it failed, as an error with its data (its class tells a conflict from a bad file). */
  error?: LandingError;
  /**
   * Landed text (delimited text, JSON, NDJSON): the encoding it was read
   * in: Windows-1252 for delimited text that is not UTF-8 (see `utf8.ts`).
   */
  encoding?: "utf-8" | "windows-1252";
  /**
   * When landed: its first {@linkcode REJECTS_LISTED} rejected records, in
   * file order, each text cut to {@linkcode LISTED_TEXT_CHARS} characters
   * (`rejectedRows` counts them all; `wharf.rejects` holds every one whole).
   */
  rejects?: RejectedLine[];
  durationMs: number;
}

/** Rejected records a landed file's outcome lists, the first ones. */
export const REJECTS_LISTED = 100;

/** Characters of the text of a listed reject (an outcome is kept in memory: a server keeps its jobs). */
export const LISTED_TEXT_CHARS = 1000;

/** A reject as an outcome lists it: its text cut to {@linkcode LISTED_TEXT_CHARS} characters. */
function listedReject(r: RejectedLine): RejectedLine {
  if (r.text.length <= LISTED_TEXT_CHARS) return r;
  // Not half a surrogate pair at the cut.
  const text = r.text.slice(0, LISTED_TEXT_CHARS).replace(/[\uD800-\uDBFF]$/, "");
  return { ...r, text };
}

/** How often a file that changes while it lands is tried before it fails. */
const CHANGE_ATTEMPTS = 3;

/** More new columns than this are added by rebuilding the table once, not one ALTER each. */
const ALTER_LIMIT = 8;

/** The same name with the same content landed already: skip (internal). */
class Duplicate extends Error {
  constructor(readonly prior: LandedFile) {
    super("duplicate");
  }
}

/** DuckDB cannot be trusted with the file as it is: read it through the copy (internal). */
class NeedCopy extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** A lineage column and its SQL value for one batch (none for `_row_number`: the read gives it). */
interface Lineage {
  name: string;
  type: string;
  value?: string;
}

/** Lineage columns (as `db/schema/tables.ts` defines them) and their SQL values for one batch. */
function lineageOf(match: FileMatch, file: string, batchId: number, landedAt: Date): Lineage[] {
  const fields = match.source.groups.filter((g) => g !== "delivered_at");
  const values: Record<string, string> = {
    _batch_id: `${batchId}::BIGINT`,
    _file: quoteLiteral(file),
    _landed_at: `${quoteLiteral(landedAt.toISOString())}::TIMESTAMPTZ`,
  };
  for (const g of fields) {
    const v = match.groups[g];
    values[`_${g}`] = v === undefined ? "NULL" : quoteLiteral(v);
  }
  if (match.deliveredAt) {
    values._delivered_at = `${
      quoteLiteral(`${match.deliveredAt.toISOString().slice(0, 19)}Z`)
    }::TIMESTAMPTZ`;
  }
  return lineageColumns(fields, match.deliveredAt !== undefined).map((c) => ({
    name: c.name,
    type: c.type,
    value: values[c.name],
  }));
}

/** `<value> AS <name>` for each lineage column the batch gives a value. */
function lineageSelect(lineage: readonly Lineage[]): string {
  return lineage.filter((l) => l.value !== undefined).map((l) =>
    `${l.value} AS ${quoteIdent(l.name)}`
  ).join(", ");
}

/**
 * Creates the raw table, or adds the columns this delivery brings: a few
 * with one ALTER each, many by rebuilding the table once. Every column the
 * source declares is in the table, optional ones included (NULL until a
 * delivery has them), so models can read a declared column whatever the
 * deliveries so far held.
 *
 * @throws {LandingError} when the table would have more data columns than
 * the source allows.
 */
async function ensureTable(
  s: Session,
  source: Source,
  lineage: Lineage[],
  columns: string[],
  file: string,
): Promise<void> {
  const rel = quoteRelation("raw", source.table);
  const existing = (await s.query(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
    [source.table],
  )).map((r) => String(r.column_name));
  const have = new Set(existing);
  const declared = (source.columns ?? []).map((c) => c.name).filter((c) => !columns.includes(c));
  const wanted = [
    ...lineage.map((l) => [l.name, l.type]),
    ...[...columns, ...declared].map((c) => [c, "VARCHAR"]),
  ] as [string, string][];
  const added = wanted.filter(([n]) => !have.has(n));
  const data = existing.filter((c) => !c.startsWith("_")).length +
    added.filter(([n]) => !n.startsWith("_")).length;
  if (data > source.maxColumns) {
    throw new LandingError(
      file,
      `Cannot land "${file}": raw.${source.table} would have ${data} columns, over the limit of ${source.maxColumns} for source "${source.name}" (the file brings ${
        added.filter(([n]) => !n.startsWith("_")).length
      } new ones); if that is right, raise "maxColumns" of the source in wharf.config.ts`,
    );
  }
  if (existing.length === 0) {
    await s.exec(
      `CREATE TABLE ${rel} (${wanted.map(([n, t]) => `${quoteIdent(n)} ${t}`).join(", ")})`,
    );
  } else if (added.length <= ALTER_LIMIT) {
    for (const [n, t] of added) await s.exec(`ALTER TABLE ${rel} ADD COLUMN ${quoteIdent(n)} ${t}`);
  } else {
    // One statement, however many columns: one ALTER each costs memory per column squared.
    await s.exec(
      `CREATE OR REPLACE TABLE ${rel} AS SELECT *, ${
        added.map(([n, t]) => `NULL::${t} AS ${quoteIdent(n)}`).join(", ")
      } FROM ${rel}`,
    );
  }
}

/** Delimiters a header read as one column may really have, with their names. */
const DELIMITER_NAMES: readonly [string, string][] = [
  ["|", "pipe"],
  ["\t", "tab"],
  [";", "semicolon"],
  [",", "comma"],
];

/**
 * Refuses a header that does not fit the source's declared columns. The
 * reader's `headerHint` and `columnNotes` (see {@linkcode Records}) go into
 * the message.
 *
 * @throws {HeaderMismatchError} naming the missing and unexpected columns.
 */
function checkDeclared(
  source: Source,
  headers: readonly string[],
  names: readonly string[],
  name: string,
  read?: Pick<Records, "headerHint" | "columnNotes">,
): void {
  if (!source.columns) return;
  const declared = new Set(source.columns.map((c) => c.name));
  const missing = source.columns.filter((c) => c.required && !names.includes(c.name)).map((c) =>
    c.name
  );
  const unexpectedAt = [...headers.keys()].filter((i) => !declared.has(names[i]!));
  const unexpected = unexpectedAt.map((i) => headers[i]!);
  if (missing.length === 0 && unexpected.length === 0) return;
  const list = (items: readonly string[]) =>
    items.slice(0, 10).join(", ") + (items.length > 10 ? `, … (${items.length} in all)` : "");
  const parts = [];
  if (missing.length) {
    parts.push(`missing required column${missing.length > 1 ? "s" : ""} ${list(missing)}`);
  }
  if (unexpected.length) {
    parts.push(
      `unexpected column${unexpected.length > 1 ? "s" : ""} ${
        list(unexpectedAt.map((i) => {
          const h = headers[i]!;
          const about = [names[i] === h ? undefined : names[i], read?.columnNotes?.[i]].filter((
            a,
          ) => a !== undefined);
          return about.length === 0 ? `"${h}"` : `"${h}" (${about.join(", ")})`;
        }))
      }`,
    );
  }
  // One column whose name holds another delimiter: the file is delimited otherwise.
  const other = headers.length === 1
    ? DELIMITER_NAMES.find(([d]) => headers[0]!.includes(d))
    : undefined;
  const hint = other
    ? ` Its header looks ${other[1]}-delimited: if this source's files are, set delimiter: ${
      JSON.stringify(other[0])
    } on source "${source.name}" in wharf.config.ts.`
    : " Is it the right kind of file for this source? (Its columns are declared in wharf.config.ts.)";
  const where = read?.headerHint ? ` ${read.headerHint}` : "";
  throw new HeaderMismatchError(
    name,
    `File "${name}" does not fit source "${source.name}": ${parts.join("; ")}.${where}${hint}`,
    { source: source.name, missing, unexpected, columns: headers },
  );
}

/** Refuses `columns` when they share fewer than half of the existing raw table's data columns. */
async function checkColumnsFit(
  wh: Warehouse,
  table: string,
  columns: readonly string[],
  name: string,
): Promise<void> {
  const existing = (await wh.query(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ? AND column_name NOT LIKE '\\_%' ESCAPE '\\'",
    [table],
  )).map((r) => String(r.column_name));
  if (existing.length === 0) return;
  const shared = columns.filter((c) => existing.includes(c)).length;
  if (shared * 2 < existing.length) {
    throw new LandingError(
      name,
      `File "${name}" does not fit raw.${table}: its header (${
        columns.slice(0, 8).join(", ")
      }) shares ${shared} of the table's ${existing.length} columns (${
        existing.slice(0, 8).join(", ")
      }${existing.length > 8 ? ", …" : ""})`,
    );
  }
}

/** What earlier landings say of a file that lands: see {@linkcode priorLanding}. */
interface Prior {
  /**
   * The earlier landing with the same content: under another name, or, when
   * other content landed under this name since, the latest under this name.
   */
  sameAs?: LandedFile;
  /** The latest landing of this source under this name (and given fields) with other content. */
  sameName?: LandedFile;
  /** `sameAs` is this delivery's own earlier landing, followed by `sameName`'s other content. */
  deliveredAgain?: boolean;
}

/** True when `landed` is this delivery's identity: its source, name and given delivery fields. */
function sameIdentity(
  landed: LandedFile,
  source: string,
  name: string,
  fields: Readonly<Record<string, string>> = {},
): boolean {
  return landed.source === source && landed.fileName === name &&
    Object.entries(fields).every(([k, v]) => landed.groups[k] === v);
}

/**
 * What landed content says about this file: skip it (the latest landing of
 * this delivery's identity — this source, this name and, when delivery
 * fields were given beside the name, the same fields — holds this content),
 * refuse it (the content landed as another source), or land it with what
 * its note names: the same content landed earlier (under another name or
 * other given fields, or under this name before other content landed under
 * it: A, B, then A again is A now) and the latest landing under this name
 * with other content.
 *
 * @throws {Duplicate} to skip; {@linkcode ContentConflictError} to refuse.
 */
async function priorLanding(
  s: Session,
  sha256: string,
  match: FileMatch,
  name: string,
  file: string,
): Promise<Prior> {
  const source = match.source.name;
  const prior = await landedWithContent(s, sha256);
  const same = prior.findLast((p) => sameIdentity(p, source, name, match.fields));
  const sameName = await landedUnderName(s, source, name, sha256, match.fields);
  if (same && !(sameName && sameName.batchId > same.batchId)) throw new Duplicate(same);
  // Content without records (`[]`, a header alone) says nothing of where it belongs.
  const other = prior.find((p) => p.source !== source && p.rows + p.rejectedRows > 0);
  if (other) {
    throw new ContentConflictError(
      file,
      `Cannot land "${file}" as source "${source}": the same content already landed as source "${other.source}" (${other.path}, batch ${other.batchId}); one of the two deliveries is misrouted`,
      { source, otherSource: other.source, otherFile: other.path, batchId: other.batchId },
    );
  }
  return same ? { sameAs: same, sameName, deliveredAgain: true } : { sameAs: prior[0], sameName };
}

/** A landing time as messages give it: `2024-05-01 14:03:07 UTC`. */
function utc(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** Options of {@linkcode landedNote}. */
export interface LandedNoteOptions {
  /** The delivery fields given beside the name (`--field`, an upload's query). */
  fields?: Readonly<Record<string, string>>;
  /** Name an earlier landing by its file name rather than its path (an upload's answer). */
  byFileName?: boolean;
}

/**
 * The note of a landed file, when earlier landings say something of it
 * (undefined otherwise): the content of an earlier landing under another
 * name, "same content as <file> (batch N)", with that landing's value of
 * each delivery field given (`fields`) that differs, "(batch 1,
 * hospital=HospA)"; and its name known with other content, "new delivery:
 * batch N landed other content under this name at … UTC" (so two datasets
 * with the same file names are not mixed silently); and its content landed
 * under this name before that other content (`deliveredAgain`: A, B, then
 * A again), "new delivery: same content as batch N, after batch M landed
 * other content under this name at … UTC".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { landedNote } from "./land_file.ts";
 *
 * const sameName = {
 *   batchId: 3, source: "visits", path: "in/a.txt", fileName: "a.txt", groups: {},
 *   rows: 2, rejectedRows: 0, landedAt: new Date("2024-05-01T14:03:07.250Z"),
 * };
 * assert.equal(
 *   landedNote({ sameName }),
 *   "new delivery: batch 3 landed other content under this name at 2024-05-01 14:03:07 UTC",
 * );
 * assert.equal(
 *   landedNote({ sameAs: { ...sameName, batchId: 1 }, sameName, deliveredAgain: true }),
 *   "new delivery: same content as batch 1, after batch 3 landed other content under this name at 2024-05-01 14:03:07 UTC",
 * );
 * assert.equal(landedNote({}), undefined);
 * ```
 */
export function landedNote(
  landed: { sameAs?: LandedFile; sameName?: LandedFile; deliveredAgain?: boolean },
  options: LandedNoteOptions = {},
): string | undefined {
  const notes: string[] = [];
  const { sameAs, sameName } = landed;
  if (landed.deliveredAgain && sameAs && sameName) {
    return `new delivery: same content as batch ${sameAs.batchId}, after batch ${sameName.batchId} landed other content under this name at ${
      utc(sameName.landedAt)
    }`;
  }
  if (sameAs) {
    const differ = Object.entries(options.fields ?? {}).flatMap(([k, v]) =>
      sameAs.groups[k] === v ? [] : [`, ${k}=${sameAs.groups[k] ?? "(none)"}`]
    );
    notes.push(
      `same content as ${
        options.byFileName ? sameAs.fileName : sameAs.path
      } (batch ${sameAs.batchId}${differ.join("")})`,
    );
  }
  if (sameName) {
    notes.push(
      `new delivery: batch ${sameName.batchId} landed other content under this name at ${
        utc(sameName.landedAt)
      }`,
    );
  }
  return notes.length ? notes.join("; ") : undefined;
}

/**
 * The message of a file skipped as a delivery that already landed: which
 * batch, when (UTC) and from where (`name`: the prior landing's path unless
 * given), and that nothing was loaded again. `fields`: the delivery fields
 * given beside the name, then part of what was the same.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { alreadyLandedMessage } from "./land_file.ts";
 *
 * const prior = {
 *   batchId: 3, source: "visits", path: "in/a.txt", fileName: "a.txt", groups: {},
 *   rows: 2, rejectedRows: 0, landedAt: new Date("2024-05-01T14:03:07.250Z"),
 * };
 * assert.equal(
 *   alreadyLandedMessage(prior),
 *   "already landed in batch 3 at 2024-05-01 14:03:07 UTC from in/a.txt (2 rows; same source, name and content): nothing was loaded again",
 * );
 * ```
 */
export function alreadyLandedMessage(
  prior: LandedFile,
  options: { name?: string; fields?: Readonly<Record<string, string>> } = {},
): string {
  const rows = `${prior.rows} ${prior.rows === 1 ? "row" : "rows"}`;
  const same = Object.keys(options.fields ?? {}).length
    ? "same source, name, content and delivery fields"
    : "same source, name and content";
  return `already landed in batch ${prior.batchId} at ${utc(prior.landedAt)} from ${
    options.name ?? prior.path
  } (${rows}; ${same}): nothing was loaded again`;
}

/**
 * The invariant of every landing: each record read is a landed row or a
 * reject.
 *
 * @throws {LandingError} when records read ≠ rows landed + rows rejected
 * (the landing is then rolled back and the file fails).
 */
export function assertRecordCounts(
  file: string,
  read: number,
  rows: number,
  rejected: number,
): void {
  if (read === rows + rejected) return;
  throw new LandingError(
    file,
    `Cannot land "${file}": wharf read ${read} records but ${rows} rows landed and ${rejected} were rejected (every record must be one or the other), so nothing of it was landed`,
  );
}

/** What a landing transaction did. */
interface Landed {
  batchId: number;
  rows: number;
  rejected: number;
  sha256: string;
  /** The first rejected records, as an outcome lists them. */
  rejects: RejectedLine[];
  /** The earlier landing with the same content, under another name or before `sameName`. */
  sameAs?: LandedFile;
  /** The latest earlier landing under this name with other content. */
  sameName?: LandedFile;
  /** `sameAs` is this delivery's own earlier landing, followed by `sameName`'s other content. */
  deliveredAgain?: boolean;
}

/** Options of {@linkcode landFile}. */
export interface LandFileOptions {
  /** The local file to read (a downloaded copy for URLs). */
  path: string;
  /** The name the user knows the file by (path or URL), stored as `_file`. */
  file: string;
  /** The delivery's file name (default: the last part of `file`, or of a URL's path). */
  name?: string;
  /** Called while the file is read, with the bytes read so far. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * Refuse a file whose columns share fewer than half of the raw table's
   * (when the table exists): an upload of the wrong kind of file.
   */
  requireMatchingColumns?: boolean;
  /**
   * Folder for staging files (links and copies that DuckDB reads); the
   * system's temporary folder by default.
   */
  stagingDir?: string;
}

/** One landing of a staged file; see {@linkcode landFile}. */
class Landing {
  readonly name: string;
  readonly started = new Date();
  readonly source: Source;
  info?: FileInfo;
  columns?: { header: string; column: string }[];
  sha256?: string;
  size = 0;
  #batchId?: number;

  constructor(
    readonly wh: Warehouse,
    readonly match: FileMatch,
    readonly options: LandFileOptions,
  ) {
    this.source = match.source;
    const file = options.file;
    this.name = options.name ?? (/^https?:\/\//i.test(file) ? urlFileName(file) : basename(file));
  }

  get file(): string {
    return this.options.file;
  }

  entry(
    batchId: number,
    status: ManifestEntry["status"],
    outcome: Pick<ManifestEntry, "sha256" | "rows" | "rejectedRows" | "error" | "note">,
  ): ManifestEntry {
    return {
      batchId,
      source: this.source.name,
      path: this.file,
      fileName: this.name,
      rawTable: `raw.${this.source.table}`,
      size: this.size,
      status,
      format: this.info?.format,
      encoding: this.info?.encoding,
      delimiter: this.info?.delimiter,
      columns: this.columns,
      groups: this.match.groups,
      deliveredAt: this.match.deliveredAt,
      startedAt: this.started,
      endedAt: new Date(),
      ...outcome,
    };
  }

  /**
   * This file's batch id, drawn once: `wharf.batch_ids` does not roll back,
   * so an attempt rolled back (read again through the copy, or the file
   * changed while read) and the manifest row of a failure reuse it, and a
   * file takes one id however many attempts it takes.
   */
  async batchId(s: Session): Promise<number> {
    return this.#batchId ??= await nextBatchId(s);
  }

  progress(): ((bytes: number) => void) | undefined {
    const on = this.options.onProgress;
    return on && ((bytes) => on(bytes, this.size));
  }

  /** Lands the staged file; throws {@linkcode Duplicate} to skip it. */
  async land(staged: StagedFile): Promise<Landed> {
    this.size = staged.size;
    this.info = await inspectFile(staged.path, this.name, this.source);
    const read = findFormat(this.info.format)?.read;
    return read
      ? await this.landRecords(staged, (bytes) => read(bytes, this.name, this.source))
      : await this.landDelimited(staged, this.info);
  }

  /**
   * Names the header's columns and checks them against the source (`read`:
   * what the reader adds to messages). A file with neither columns nor
   * records (`records` 0: a JSON `[]`, an NDJSON file of blank lines) has
   * nothing to check: it lands as a delivery of no rows, as a CSV file with
   * its header alone does.
   */
  async columnsOf(
    headers: string[],
    read?: Pick<Records, "headerHint" | "columnNotes">,
    records?: number,
  ): Promise<string[]> {
    const names = columnNames(headers);
    this.columns = headers.map((h, i) => ({ header: h, column: names[i]! }));
    if (headers.length === 0 && records === 0) return names;
    checkDeclared(this.source, headers, names, this.name, read);
    if (this.options.requireMatchingColumns) {
      await checkColumnsFit(this.wh, this.source.table, names, this.name);
    }
    return names;
  }

  async landDelimited(staged: StagedFile, info: FileInfo): Promise<Landed> {
    const scanOptions = {
      delimiter: info.delimiter!,
      gzip: info.gzip,
      encoding: info.encoding ?? "utf-8",
      crLines: info.newline === "\r",
      onProgress: this.progress(),
    };
    let scanned: TextScan | undefined;
    if (await hasLandedSize(this.wh, staged.size)) {
      // A landed file of the same size: hash first, a rerun then skips without landing.
      scanned = await scanText(staged.path, this.name, scanOptions);
      this.sha256 = scanned.sha256;
      await staged.verify();
      await this.wh.withConnection((s) =>
        priorLanding(s, scanned!.sha256, this.match, this.name, this.file)
      );
    }
    // After the content check: a file that landed as another source says so, whatever its header.
    const names = await this.columnsOf(info.header!);
    const csv = (path: string, extra: string[]) =>
      `read_csv(${quoteLiteral(path)}, ${
        [
          "auto_detect = false",
          `delim = ${quoteLiteral(info.delimiter!)}`,
          `quote = '"'`,
          `escape = '"'`,
          // The file as it is is UTF-8 (see `asIs`); the copy always is.
          "encoding = 'utf-8'",
          ...extra,
        ].join(", ")
      })`;
    const types = (pre: string[]) =>
      `columns = {${[...pre, ...names.map((c) => `${quoteLiteral(c)}: 'VARCHAR'`)].join(", ")}}`;

    const attempt = (copy: boolean) =>
      this.wh.transaction(async (s): Promise<Landed> => {
        const batchId = await this.batchId(s);
        const lineage = lineageOf(this.match, this.file, batchId, this.started);
        await ensureTable(s, this.source, lineage, names, this.file);
        const rel = quoteRelation("raw", this.source.table);
        const lineageSql = lineageSelect(lineage);
        let scan: TextScan;
        let rows: number;
        const listed: RejectedLine[] = [];
        if (!copy) {
          // DuckDB reads the file as it is, in order, while wharf's scan runs beside it.
          const stop = new AbortController();
          const scanning = scanned ? Promise.resolve(scanned) : scanText(
            staged.path,
            this.name,
            { ...scanOptions, signal: stop.signal },
          );
          scanning.catch(() => {});
          const read = csv(staged.path, [
            "header = true",
            `new_line = ${info.newline === "\r\n" ? "'\\r\\n'" : "'\\n'"}`,
            `compression = ${info.gzip ? "'gzip'" : "'none'"}`,
            types([]),
            "parallel = false",
          ]);
          try {
            rows = await s.count(
              `INSERT INTO ${rel} BY NAME SELECT *, row_number() OVER () + ${info.headerLines} AS _row_number, ${lineageSql} FROM ${read}`,
            );
          } catch (err) {
            // The copy's scan reads the whole file again (and fails a broken one): stop this one.
            stop.abort();
            await scanning.catch(() => {});
            throw new NeedCopy(`DuckDB: ${(err as Error).message.split("\n")[0]}`);
          }
          scan = await scanning;
          if (scan.unplain) throw new NeedCopy(scan.unplain);
          if (scan.headerLines !== info.headerLines || rows !== scan.records) {
            // Records read ≠ rows landed: the copy decides (and is checked) instead.
            throw new NeedCopy(`DuckDB read ${rows} rows of ${scan.records} records`);
          }
        } else {
          // wharf decides every record: the good ones to a copy DuckDB reads, the bad to rejects.
          const copyPath = join(staged.dir, "records.txt");
          const rejects = await s.appender("wharf", "rejects");
          try {
            scan = await scanText(staged.path, this.name, {
              ...scanOptions,
              encodingUnsure: info.encodingUnsure,
              copy: {
                fields: names.length,
                path: copyPath,
                onReject: (r) => {
                  rejects.row([
                    BigInt(batchId),
                    this.source.name,
                    this.file,
                    BigInt(r.line),
                    BigInt(r.byteOffset),
                    r.error,
                    r.text,
                    rejectFields(r.text, info.delimiter!, names),
                  ]);
                  if (listed.length < REJECTS_LISTED) listed.push(listedReject(r));
                },
              },
            });
          } finally {
            rejects.close();
          }
          const read = csv(copyPath, [
            "header = false",
            "new_line = '\\n'",
            "compression = 'none'",
            types([`'_row_number': 'BIGINT'`]),
            `max_line_size = ${Math.max(DUCKDB_MAX_LINE, scan.longest + 64)}`,
            "parallel = true",
          ]);
          try {
            rows = await s.count(`INSERT INTO ${rel} BY NAME SELECT *, ${lineageSql} FROM ${read}`);
          } catch (err) {
            throw new LandingError(
              this.file,
              `Cannot land "${this.file}": DuckDB could not read a record wharf accepted (${
                (err as Error).message.split("\n").slice(0, 2).join(" ")
              })`,
              { cause: err },
            );
          }
          assertRecordCounts(this.file, scan.records, rows, scan.rejected);
        }
        this.sha256 = scan.sha256;
        await staged.verify();
        const prior = await priorLanding(
          s,
          scan.sha256,
          this.match,
          this.name,
          this.file,
        );
        await writeManifest(
          s,
          this.entry(batchId, "landed", {
            sha256: scan.sha256,
            rows,
            rejectedRows: scan.rejected,
            note: landedNote(prior, { fields: this.match.fields }),
          }),
        );
        return {
          batchId,
          rows,
          rejected: scan.rejected,
          sha256: scan.sha256,
          rejects: listed,
          ...prior,
        };
      });

    // DuckDB's latin-1 refuses Windows-1252's 0x80–0x9F (’ “ ” € …); its new_line is one kind only.
    const asIs = info.encoding !== "windows-1252" && info.newline !== "\r";
    if (asIs && !scanned?.unplain) {
      try {
        return await attempt(false);
      } catch (err) {
        if (!(err instanceof NeedCopy)) throw err;
      }
    }
    try {
      return await attempt(true);
    } catch (err) {
      if (!(err instanceof EncodingOverturned)) throw err;
      // The whole file's evidence gives the other encoding (that attempt rolled back): read it so.
      const settled = await inspectFile(staged.path, this.name, {
        ...this.source,
        encoding: err.encoding,
      });
      this.info = settled;
      return await this.landDelimited(staged, settled);
    }
  }

  async landRecords(
    staged: StagedFile,
    read: (bytes: Uint8Array) => Records | Promise<Records>,
  ): Promise<Landed> {
    // Read once: the bytes hashed are the bytes landed.
    const bytes = await Deno.readFile(staged.path);
    this.progress()?.(bytes.length);
    await staged.verify();
    const sha256 = this.sha256 = createHash("sha256").update(bytes).digest("hex");
    await this.wh.withConnection((s) => priorLanding(s, sha256, this.match, this.name, this.file));
    const records = await read(bytes);
    const names = await this.columnsOf(records.headers, records, records.read);
    assertRecordCounts(this.file, records.read, records.rows.length, records.rejects.length);
    return await this.wh.transaction(async (s) => {
      const batchId = await this.batchId(s);
      const lineage = lineageOf(this.match, this.file, batchId, this.started);
      await ensureTable(s, this.source, lineage, names, this.file);
      await s.exec(
        `CREATE OR REPLACE TEMP TABLE __wharf_stage (${
          [...names.map((c) => `${quoteIdent(c)} VARCHAR`), "_row_number BIGINT"].join(", ")
        })`,
      );
      await s.append(
        "temp",
        "__wharf_stage",
        records.rows.map((r) =>
          [...names.map((_, i) => r.values[i] ?? null), BigInt(r.rowNumber)] as AppendValue[]
        ),
      );
      const rows = await s.count(
        `INSERT INTO ${quoteRelation("raw", this.source.table)} BY NAME SELECT *, ${
          lineageSelect(lineage)
        } FROM temp.__wharf_stage`,
      );
      await s.exec("DROP TABLE temp.__wharf_stage");
      await s.append(
        "wharf",
        "rejects",
        records.rejects.map((r) => [
          BigInt(batchId),
          this.source.name,
          this.file,
          BigInt(r.line),
          r.byteOffset < 0 ? null : BigInt(r.byteOffset),
          r.error,
          r.text,
          null,
        ]),
      );
      assertRecordCounts(this.file, records.read, rows, records.rejects.length);
      await staged.verify();
      const prior = await priorLanding(
        s,
        sha256,
        this.match,
        this.name,
        this.file,
      );
      await writeManifest(
        s,
        this.entry(batchId, "landed", {
          sha256,
          rows,
          rejectedRows: records.rejects.length,
          note: landedNote(prior, { fields: this.match.fields }),
        }),
      );
      return {
        batchId,
        rows,
        rejected: records.rejects.length,
        sha256,
        rejects: records.rejects.slice(0, REJECTS_LISTED).map(listedReject),
        ...prior,
      };
    });
  }
}

/** Any error as the reason a file cannot be landed (file-system errors said plainly). */
async function asLandingError(err: unknown, path: string, file: string): Promise<LandingError> {
  const why = err instanceof Deno.errors.PermissionDenied
    ? "permission denied: this user cannot read it"
    : err instanceof Deno.errors.FilesystemLoop
    ? "its symbolic links form a loop"
    : err instanceof Deno.errors.IsADirectory
    ? "it is a folder"
    : err instanceof Deno.errors.NotFound
    ? await Deno.readLink(path).then(
      (target) => `it is a symbolic link to "${target}", which does not exist`,
      () => "no such file",
    )
    : undefined;
  if (why) return new LandingError(file, `Cannot land "${file}": ${why}`, { cause: err });
  if (err instanceof LandingError) return err;
  return new LandingError(
    file,
    `Cannot land "${file}": ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`,
    { cause: err },
  );
}

/**
 * Lands one file exactly once: skipped when a file of the same name and
 * content landed already as this source; refused when the same content
 * landed as another source; otherwise rows, rejects and the manifest row
 * commit together (a new name with known content is a new delivery, noted
 * "same content as …"). A file that cannot be read, or does not fit its
 * source, is recorded as failed with the reason and nothing of it lands; so
 * is one that keeps changing while it is read (it is tried
 * {@linkcode CHANGE_ATTEMPTS} times).
 */
export async function landFile(
  wh: Warehouse,
  match: FileMatch,
  options: LandFileOptions,
): Promise<FileOutcome> {
  const t0 = performance.now();
  const landing = new Landing(wh, match, options);
  const outcome = (o: Omit<FileOutcome, "file" | "source" | "size" | "durationMs">) => ({
    file: options.file,
    source: match.source.name,
    size: landing.size,
    ...o,
    durationMs: performance.now() - t0,
  });
  let failure: LandingError;
  for (let attempt = 1;; attempt++) {
    try {
      await using staged = await stageFile(options.path, options.stagingDir).catch(async (err) => {
        throw await asLandingError(err, options.path, options.file);
      });
      const landed = await landing.land(staged);
      return outcome({
        status: "landed",
        batchId: landed.batchId,
        rows: landed.rows,
        rejectedRows: landed.rejected,
        rejects: landed.rejects,
        sha256: landed.sha256,
        ...landing.info?.encoding ? { encoding: landing.info.encoding } : {},
        message: landedNote(landed, { fields: landing.match.fields }),
        sameAs: landed.sameAs,
        sameName: landed.sameName,
        deliveredAgain: landed.deliveredAgain,
      });
    } catch (err) {
      if (err instanceof Duplicate) {
        return outcome({
          status: "skipped",
          sha256: landing.sha256,
          batchId: err.prior.batchId,
          rows: 0,
          rejectedRows: 0,
          message: alreadyLandedMessage(err.prior, { fields: landing.match.fields }),
          sameAs: err.prior,
        });
      }
      if (err instanceof FileChanged) {
        if (attempt < CHANGE_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, 250 * attempt));
          continue;
        }
        failure = new LandingError(
          options.file,
          `Cannot land "${options.file}": it kept changing while it was being read (${CHANGE_ATTEMPTS} attempts; ${err.detail}): land it again once it is complete`,
          { cause: err },
        );
        landing.sha256 = undefined;
      } else failure = await asLandingError(err, options.path, options.file);
      break;
    }
  }
  await wh.transaction(async (s) => {
    await writeManifest(
      s,
      landing.entry(await landing.batchId(s), "failed", {
        sha256: landing.sha256,
        rows: 0,
        rejectedRows: 0,
        error: failure.message,
      }),
    );
  });
  return outcome({
    status: "failed",
    rows: 0,
    rejectedRows: 0,
    sha256: landing.sha256,
    message: failure.message,
    error: failure,
  });
}
