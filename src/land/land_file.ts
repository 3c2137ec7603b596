/**
 * Landing one file: all its readable rows into `raw.<table>` with lineage,
 * its bad lines into `wharf.rejects`, and its manifest row — in one
 * transaction, so a crash at any moment leaves the file either wholly
 * landed or not at all.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename } from "node:path";
import type { AppendValue, Session, Warehouse } from "../db/warehouse.ts";
import { quoteIdent, quoteLiteral, quoteRelation } from "../db/sql.ts";
import { LandingError } from "../errors.ts";
import { type FileInfo, inspectFile } from "./detect.ts";
import {
  findLanded,
  hasLandedSize,
  type ManifestEntry,
  nextBatchId,
  writeManifest,
} from "./manifest.ts";
import { columnNames } from "./names.ts";
import { readJsonArray, readNdjson, readXlsx, type Records } from "./read_records.ts";
import type { FileMatch } from "./sources.ts";
import { urlFileName } from "./fetch_url.ts";

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
  /** Why it failed, or which landed batch it duplicates. */
  message?: string;
  durationMs: number;
}

/** What one streaming read of a file tells. */
export interface FileFacts {
  sha256: string;
  /** Double quotes in the (decompressed) text: odd means a quote is never closed. */
  quotes: number;
}

function countQuotes(chunk: Uint8Array): number {
  let n = 0;
  for (let i = chunk.indexOf(0x22); i !== -1; i = chunk.indexOf(0x22, i + 1)) n++;
  return n;
}

/**
 * Reads a file once, streaming: its SHA-256, and how many double quotes its
 * text holds. A gzipped file is also decompressed on the way, to its end:
 * DuckDB's reader stops quietly at a truncated gzip stream, so this is where
 * a cut-off delivery is caught.
 *
 * @throws {LandingError} when a gzip stream is truncated or corrupt.
 */
export async function scanFile(path: string, name = basename(path)): Promise<FileFacts> {
  const hash = createHash("sha256");
  let quotes = 0;
  using f = await Deno.open(path);
  let gunzip: WritableStreamDefaultWriter<Uint8Array> | undefined;
  let drained: Promise<void> | undefined;
  for await (const chunk of f.readable) {
    if (gunzip === undefined && drained === undefined) {
      drained = Promise.resolve();
      if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
        const ds = new DecompressionStream("gzip");
        gunzip = ds.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>;
        drained = ds.readable.pipeTo(
          new WritableStream({ write: (c) => void (quotes += countQuotes(c)) }),
        );
        drained.catch(() => {});
      }
    }
    hash.update(chunk);
    if (gunzip) {
      await gunzip.ready.catch(() => {});
      gunzip.write(chunk).catch(() => {});
    } else quotes += countQuotes(chunk);
  }
  if (gunzip) {
    try {
      await gunzip.close();
      await drained;
    } catch (err) {
      throw new LandingError(
        name,
        `Cannot land "${name}": the gzip stream is truncated or corrupt (${
          (err as Error).message
        })`,
        { cause: err },
      );
    }
  }
  return { sha256: hash.digest("hex"), quotes };
}

/** Raised after a fast (one-thread) read of a file with a quote never closed: read it again in parallel. */
class UnclosedQuote extends Error {
  constructor() {
    super("unclosed quote");
  }
}

class Duplicate extends Error {
  constructor(readonly batchId: number, readonly path: string) {
    super("duplicate");
  }
}

interface Target {
  table: string;
  lineage: { name: string; type: string; value: string }[];
}

/** Lineage columns and their SQL values for one batch. */
function lineageOf(
  match: FileMatch,
  file: string,
  batchId: number,
  landedAt: Date,
): Target["lineage"] {
  const cols = [
    { name: "_batch_id", type: "BIGINT", value: `${batchId}::BIGINT` },
    { name: "_file", type: "VARCHAR", value: quoteLiteral(file) },
    {
      name: "_landed_at",
      type: "TIMESTAMPTZ",
      value: `${quoteLiteral(landedAt.toISOString())}::TIMESTAMPTZ`,
    },
  ];
  for (const g of match.source.groups) {
    if (g === "delivered_at") continue;
    const v = match.groups[g];
    cols.push({
      name: `_${g}`,
      type: "VARCHAR",
      value: v === undefined ? "NULL" : quoteLiteral(v),
    });
  }
  if (match.deliveredAt) {
    cols.push({
      name: "_delivered_at",
      type: "TIMESTAMP",
      value: `${
        quoteLiteral(match.deliveredAt.toISOString().slice(0, 19).replace("T", " "))
      }::TIMESTAMP`,
    });
  }
  return cols;
}

/** Creates the raw table, or adds the columns this delivery brings. */
async function ensureTable(
  s: Session,
  table: string,
  lineage: Target["lineage"],
  columns: string[],
): Promise<void> {
  const rel = quoteRelation("raw", table);
  const existing = new Set(
    (await s.query(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = ?",
      [table],
    ))
      .map((r) => String(r.column_name)),
  );
  const wanted = [
    ...lineage.slice(0, 2).map((l) => [l.name, l.type]),
    ["_row_number", "BIGINT"],
    ...lineage.slice(2).map((l) => [l.name, l.type]),
    ...columns.map((c) => [c, "VARCHAR"]),
  ] as [string, string][];
  if (existing.size === 0) {
    await s.exec(
      `CREATE TABLE ${rel} (${wanted.map(([n, t]) => `${quoteIdent(n)} ${t}`).join(", ")})`,
    );
    return;
  }
  for (const [n, t] of wanted) {
    if (!existing.has(n)) await s.exec(`ALTER TABLE ${rel} ADD COLUMN ${quoteIdent(n)} ${t}`);
  }
}

/**
 * Byte offsets (in the decompressed text) where the given 1-based lines
 * start, read in one pass that stops after the last of them.
 */
export async function lineOffsets(
  path: string,
  gzip: boolean,
  lines: readonly number[],
): Promise<Map<number, number>> {
  const wanted = new Set(lines);
  const last = Math.max(0, ...lines);
  const out = new Map<number, number>();
  if (wanted.has(1)) out.set(1, 0);
  using f = await Deno.open(path);
  let stream: ReadableStream<Uint8Array> = f.readable;
  if (gzip) {
    stream = stream.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
  }
  let line = 1;
  let offset = 0;
  const reader = stream.getReader();
  try {
    while (line < last) {
      const { done, value } = await reader.read();
      if (done) break;
      for (let i = value.indexOf(10); i !== -1 && line < last; i = value.indexOf(10, i + 1)) {
        line++;
        if (wanted.has(line)) out.set(line, offset + i + 1);
      }
      offset += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return out;
}

/** Lands a delimited text file through DuckDB's CSV reader; returns rows and rejected lines. */
async function landCsv(
  s: Session,
  path: string,
  info: FileInfo,
  target: Target,
  batchId: number,
  columns: string[],
  file: string,
  source: string,
  mode: { ordered: boolean; facts: Promise<FileFacts> },
  onProgress?: (fraction: number) => void,
): Promise<{ rows: number; rejected: number }> {
  const rel = quoteRelation("raw", target.table);
  await s.exec(
    "DROP TABLE IF EXISTS temp.__wharf_rejects; DROP TABLE IF EXISTS temp.__wharf_rejects_scan",
  );
  const options = [
    "header = true",
    "auto_detect = false",
    `delim = ${quoteLiteral(info.delimiter!)}`,
    `quote = '"'`,
    `escape = '"'`,
    `columns = {${columns.map((c) => `${quoteLiteral(c)}: 'VARCHAR'`).join(", ")}}`,
    `encoding = ${quoteLiteral(info.encoding === "latin-1" ? "latin-1" : "utf-8")}`,
    `compression = ${info.gzip ? "'gzip'" : "'none'"}`,
    "store_rejects = true",
    "rejects_table = '__wharf_rejects'",
    "rejects_scan = '__wharf_rejects_scan'",
  ];
  // Row numbers: the k-th row read is file line k + 1 (the header is line 1),
  // moved down by the rejected lines before it (fixed below). Two ways to get
  // k, both measured: one reader thread with row_number() (DuckDB then writes
  // the table compressed at once), or parallel readers and the rows' order of
  // insertion afterwards. The first is faster, but DuckDB 1.5.5's one-thread
  // reader drops an unclosed quote at the end of a file without a reject, so
  // a file whose quotes do not pair up is read the second way.
  const lineage = target.lineage.map((l) => `${l.value} AS ${quoteIdent(l.name)}`).join(", ");
  const numbered = mode.ordered ? "row_number() OVER () + 1 AS _row_number, " : "";
  const insert = `INSERT INTO ${rel} BY NAME SELECT *, ${numbered}${lineage} FROM read_csv(${
    quoteLiteral(path)
  }, ${[...options, `parallel = ${!mode.ordered}`].join(", ")})`;
  const rows = onProgress ? await s.countWithProgress(insert, onProgress) : await s.count(insert);
  if (mode.ordered && (await mode.facts).quotes % 2 === 1) throw new UnclosedQuote();
  const rejected = Number(
    (await s.query("SELECT count(DISTINCT line)::DOUBLE AS n FROM temp.__wharf_rejects"))[0]!.n,
  );
  if (!mode.ordered) {
    const base = `(SELECT min(rowid) FROM ${rel} WHERE _batch_id = ${batchId})`;
    await s.exec(
      `UPDATE ${rel} SET _row_number = ${rel}.rowid - ${base} + 2 WHERE _batch_id = ${batchId}`,
    );
  }
  if (rejected > 0) {
    // t = a rejected line's record index minus its rank: row k moves down by #{t < k}.
    await s.exec(
      `CREATE OR REPLACE TEMP TABLE __wharf_shift AS SELECT line - 1 - row_number() OVER (ORDER BY line) AS t FROM (SELECT DISTINCT line FROM temp.__wharf_rejects)`,
    );
    await s.exec(
      `UPDATE ${rel} SET _row_number = _row_number + (SELECT count(*) FROM temp.__wharf_shift AS r WHERE r.t < ${rel}._row_number - 1) WHERE _batch_id = ${batchId}`,
    );
    await s.exec("DROP TABLE temp.__wharf_shift");
    const lines =
      (await s.query("SELECT DISTINCT line::DOUBLE AS line FROM temp.__wharf_rejects ORDER BY 1"))
        .map((r) => Number(r.line));
    const offsets = await lineOffsets(path, info.gzip, lines);
    await s.exec(
      `CREATE OR REPLACE TEMP TABLE __wharf_offsets AS SELECT * FROM (VALUES ${
        lines.map((l) => `(${l}, ${offsets.get(l) ?? "NULL"})`).join(", ")
      }) AS o(line, byte_offset)`,
    );
    await s.exec(
      `INSERT INTO wharf.rejects SELECT ?, ?, ?, r.line, o.byte_offset, r.error, r.original FROM (SELECT line::BIGINT AS line, string_agg(DISTINCT error_type || ': ' || error_message, '; ') AS error, min(csv_line) AS original FROM temp.__wharf_rejects GROUP BY line) AS r LEFT JOIN temp.__wharf_offsets AS o USING (line) ORDER BY r.line`,
      [batchId, source, file],
    );
    await s.exec("DROP TABLE temp.__wharf_offsets");
  }
  await s.exec(
    "DROP TABLE IF EXISTS temp.__wharf_rejects; DROP TABLE IF EXISTS temp.__wharf_rejects_scan",
  );
  return { rows, rejected };
}

/** Lands records read in TypeScript (JSON, NDJSON, Excel) through a staging table. */
async function landRecords(
  s: Session,
  records: Records,
  target: Target,
  batchId: number,
  columns: string[],
  file: string,
  source: string,
): Promise<{ rows: number; rejected: number }> {
  const rel = quoteRelation("raw", target.table);
  await s.exec(
    `CREATE OR REPLACE TEMP TABLE __wharf_stage (${
      [...columns.map((c) => `${quoteIdent(c)} VARCHAR`), "_row_number BIGINT"].join(", ")
    })`,
  );
  const headers = records.headers;
  await s.append(
    "temp",
    "__wharf_stage",
    records.rows.map((r) =>
      [...headers.map((h) => r.values.get(h) ?? null), BigInt(r.rowNumber)] as AppendValue[]
    ),
  );
  const lineage = target.lineage.map((l) => `${l.value} AS ${quoteIdent(l.name)}`).join(", ");
  const rows = await s.count(
    `INSERT INTO ${rel} BY NAME SELECT *, ${lineage} FROM temp.__wharf_stage`,
  );
  await s.exec("DROP TABLE temp.__wharf_stage");
  for (const r of records.rejects) {
    await s.exec("INSERT INTO wharf.rejects VALUES (?, ?, ?, ?, ?, ?, ?)", [
      batchId,
      source,
      file,
      r.line,
      r.byteOffset < 0 ? null : r.byteOffset,
      r.error,
      r.text,
    ]);
  }
  return { rows, rejected: records.rejects.length };
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

/** Options of {@linkcode landFile}. */
export interface LandFileOptions {
  /** The local file to read (a downloaded copy for URLs). */
  path: string;
  /** The name the user knows the file by (path or URL), stored as `_file`. */
  file: string;
  /** Called while a delimited file is read, with the bytes read so far (estimated). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * Refuse a file whose columns share fewer than half of the raw table's
   * (when the table exists): an upload of the wrong kind of file.
   */
  requireMatchingColumns?: boolean;
}

/**
 * Lands one file exactly once: skipped when its content (SHA-256) was
 * already landed, whatever its name; otherwise rows, rejects and the
 * manifest row commit together. A file that cannot be read is recorded as
 * failed with the reason, and nothing of it lands.
 */
export async function landFile(
  wh: Warehouse,
  match: FileMatch,
  options: LandFileOptions,
): Promise<FileOutcome> {
  const { path, file } = options;
  const name = /^https?:\/\//i.test(file) ? urlFileName(file) : basename(file);
  const started = new Date();
  const t0 = performance.now();
  const source = match.source;
  const size = (await Deno.stat(path)).size;
  const base = { file, source: source.name, size };
  const done = (o: Omit<FileOutcome, "file" | "source" | "size" | "durationMs">): FileOutcome => ({
    ...base,
    ...o,
    durationMs: performance.now() - t0,
  });

  // A landed file of the same size is worth hashing first: a rerun then skips without reading twice.
  let known: FileFacts | undefined;
  if (await hasLandedSize(wh, size)) {
    known = await scanFile(path, file);
    const dup = await findLanded(wh, known.sha256);
    if (dup) {
      return done({
        status: "skipped",
        sha256: known.sha256,
        batchId: dup.batchId,
        rows: 0,
        rejectedRows: 0,
        message: `same content as ${dup.path} (batch ${dup.batchId})`,
      });
    }
  }
  // Otherwise hash while DuckDB reads: both read the same bytes, the hash on this thread.
  const facts = known ? Promise.resolve(known) : scanFile(path, file);
  facts.catch(() => {});
  const hashing = facts.then((f) => f.sha256);
  hashing.catch(() => {});

  let info: FileInfo | undefined;
  let columns: { header: string; column: string }[] | undefined;
  const manifestEntry = (
    batchId: number,
    status: ManifestEntry["status"],
    outcome: Pick<ManifestEntry, "sha256" | "rows" | "rejectedRows" | "error">,
  ): ManifestEntry => ({
    batchId,
    source: source.name,
    path: file,
    fileName: name,
    rawTable: `raw.${source.table}`,
    size,
    status,
    format: info?.format,
    encoding: info?.encoding,
    delimiter: info?.delimiter,
    columns,
    groups: match.groups,
    deliveredAt: match.deliveredAt,
    startedAt: started,
    endedAt: new Date(),
    ...outcome,
  });
  try {
    info = await inspectFile(path, name, source);
    const records = info.format === "json"
      ? await readJsonArray(path, info.gzip, file)
      : info.format === "ndjson"
      ? await readNdjson(path, info.gzip, file)
      : info.format === "xlsx"
      ? await readXlsx(path, file, source.sheet)
      : undefined;
    const headers = records?.headers ?? info.header!;
    const names = columnNames(headers);
    columns = headers.map((h, i) => ({ header: h, column: names[i]! }));
    if (options.requireMatchingColumns) await checkColumnsFit(wh, source.table, names, name);
    const attempt = (ordered: boolean) =>
      wh.transaction(async (s) => {
        const batchId = await nextBatchId(s);
        const target: Target = {
          table: source.table,
          lineage: lineageOf(match, file, batchId, started),
        };
        await ensureTable(s, source.table, target.lineage, names);
        const landed = records
          ? await landRecords(s, records, target, batchId, names, file, source.name)
          : await landCsv(
            s,
            path,
            info!,
            target,
            batchId,
            names,
            file,
            source.name,
            { ordered, facts },
            options.onProgress && ((f) => options.onProgress!(Math.round(f * size), size)),
          );
        const digest = await hashing;
        const dup = await findLanded(s, digest);
        if (dup) throw new Duplicate(dup.batchId, dup.path);
        await writeManifest(
          s,
          manifestEntry(batchId, "landed", {
            sha256: digest,
            rows: landed.rows,
            rejectedRows: landed.rejected,
          }),
        );
        return { batchId, ...landed, sha256: digest };
      });
    let result: Awaited<ReturnType<typeof attempt>>;
    try {
      result = await attempt(true);
    } catch (err) {
      if (!(err instanceof UnclosedQuote)) throw err;
      result = await attempt(false);
    }
    return done({
      status: "landed",
      batchId: result.batchId,
      rows: result.rows,
      rejectedRows: result.rejected,
      sha256: result.sha256,
    });
  } catch (err) {
    if (err instanceof Duplicate) {
      return done({
        status: "skipped",
        sha256: await hashing,
        batchId: err.batchId,
        rows: 0,
        rejectedRows: 0,
        message: `same content as ${err.path} (batch ${err.batchId})`,
      });
    }
    const message = err instanceof LandingError
      ? err.message
      : `Cannot land "${file}": ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`;
    const digest = await hashing.catch(() => undefined);
    await wh.transaction(async (s) => {
      const batchId = await nextBatchId(s);
      await writeManifest(
        s,
        manifestEntry(batchId, "failed", {
          sha256: digest,
          rows: 0,
          rejectedRows: 0,
          error: message,
        }),
      );
    });
    return done({ status: "failed", rows: 0, rejectedRows: 0, sha256: digest, message });
  }
}
