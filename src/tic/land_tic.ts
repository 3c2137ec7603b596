/**
 * `wharf tic`: stream a Transparency-in-Coverage table-of-contents index
 * (local or remote, gzipped or not) into `raw.tic_*`, in memory that does
 * not grow with the file.
 *
 * Three threads share the work: a worker hashes and gunzips the bytes
 * (`inflate_in_worker.ts`); the main thread scans them
 * ({@linkcode IndexReader}) and stages the rows of the reporting structures
 * as bytes (`staged_rows.ts`: plans, links, new files), written as they
 * come to files in {@linkcode ticStagingFolder}, a row group of each table
 * per file; DuckDB, on its own threads, reads each batch of files into
 * `raw.tic_plans`, `raw.tic_plan_files` and `raw.tic_files` and commits it
 * while the next is read, alternating between two connections.
 *
 * Status: an index is `running` while it lands, `complete` at the end. A
 * truncated or broken index is `failed`, with the byte offset in its error
 * (of the decompressed JSON when the index is gzipped),
 * and its rows are removed (in bounded batches: {@linkcode removeIndexRows});
 * so is one whose run was killed, found `running` by the next `wharf tic`
 * (which holds the warehouse alone). Models read `complete` indexes only.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { EngineConfig } from "../engine/config.ts";
import { ensureTables } from "../engine/db/schema/warehouse_schema.ts";
import { openWarehouse, type Session, type Warehouse } from "../engine/db/warehouse.ts";
import { quoteLiteral } from "../engine/db/sql.ts";
import { UpstreamError } from "../engine/errors.ts";
import { nextBatchId } from "../land/manifest.ts";
import { type IndexBytes, openIndexBytes } from "./index_bytes.ts";
import { FileRegistry, type FileSink, type PlainFile, type TicFile } from "./files.ts";
import { IndexReader, ScanError, type StructureRead } from "./reader.ts";
import { expandStagedRows, type StagedFile, StagedRows } from "./staged_rows.ts";
import { cleanupWarning, removeIndexRows, removeUnfinished } from "./remove_index_rows.ts";

/** Progress of a running index. */
export interface TicProgress {
  compressedBytes: number;
  totalBytes?: number;
  bytes: number;
  elements: number;
  files: number;
}

/** Options of {@linkcode landTic}. */
export interface TicOptions {
  db?: string;
  onProgress?: (p: TicProgress) => void;
  onRetry?: (info: { attempt: number; at: number; error: string }) => void;
  /**
   * Reporting structures per committed batch, with all their rows. Default:
   * none (batches load whole row groups, see {@linkcode ROW_GROUP}).
   */
  batchRows?: number;
  /**
   * Stops the landing when aborted (Ctrl-C): the index ends `failed`
   * ("interrupted by …", the abort's reason) and its rows are removed, as
   * for a broken one.
   */
  signal?: AbortSignal;
  /** The rows of a table's segment (tests make it small). Default 122,880, DuckDB's row group. */
  rowGroup?: number;
  /**
   * DuckDB's memory limit while the index lands. Default: 32 MB while rows
   * are loaded, 64 MB while those of indexes that did not land are removed.
   */
  memoryLimit?: string;
}

/** What landing an index did. */
export interface TicSummary {
  indexId: number;
  source: string;
  /** `duplicate`: the same bytes as a complete index ({@linkcode TicSummary.duplicateOf}); its rows were removed. */
  status: "complete" | "failed" | "duplicate";
  duplicateOf?: number;
  reportingEntityName: string | null;
  reportingEntityType: string | null;
  version: string | null;
  /** The index's `last_updated_on` (schema v2), as written. */
  lastUpdatedOn: string | null;
  compressedBytes: number;
  bytes: number;
  elements: number;
  plans: number;
  files: number;
  links: number;
  sha256: string | null;
  error: string | null;
  elapsedMs: number;
  /**
   * Rows of indexes that did not land (this one or earlier ones) that could
   * not be removed yet; harmless to models, retried by the next run.
   */
  warnings: string[];
  /**
   * What earlier runs left that this run cleared before landing, one
   * sentence each: indexes left running or with rows still to remove, and
   * staged batch files of a killed run (by name).
   */
  cleaned: string[];
}

/**
 * Decompressed chunk size (a slot of the worker's ring): large enough that
 * structures straddling two chunks (copied) are rare, small enough to keep
 * the rings a few MB.
 */
const CHUNK = 1 << 19;
/**
 * DuckDB's row group (its default size): each table's rows are staged in
 * segments of this many (`staged_rows.ts`). A transaction that appends
 * whole row groups to a table has them compressed and written straight to
 * the file; a smaller one logs its rows, and each checkpoint compresses the
 * table's last row group again (a million distinct files in batches of
 * 10,000 took DuckDB twice the work); a larger one that is not a multiple
 * leaves a part of a row group in the middle, which the checkpoint at the
 * end rewrites.
 */
const ROW_GROUP = 122_880;
/** Rows in complete segments at which a batch is due: a segment. */
const BATCH_ROWS = ROW_GROUP;
/**
 * Staged bytes at which a table's segment ends whatever its rows: rows so
 * long that a row group of them is more than DuckDB should hold at once.
 */
const SEGMENT_BYTES = 32 << 20;
/** Staged bytes on their way to files at which reading waits for them. */
const WRITING_BYTES = 4 << 20;
/**
 * DuckDB's memory while an index lands: batches are committed and rows of
 * indexes that did not land are removed in batches, so its cache need not
 * grow. It runs on one thread, so expanding batches leaves a core to
 * reading.
 */
const DUCKDB_MEMORY = "64MB";
/**
 * DuckDB's memory while it loads rows: more would only keep blocks it
 * wrote and never reads again (measured: 30 to 60 MB less peak memory than
 * with 64 MB, at the same speed).
 */
const LOADING_MEMORY = "32MB";
/**
 * Staged rows longer than this make DuckDB load the rest of the index in
 * {@linkcode DUCKDB_MEMORY}: its CSV reader holds two of them at once.
 */
const LONG_ROW = 4 << 20;

/**
 * One connection taking every other batch: DuckDB reads the batch's files
 * into the raw tables and commits, in one transaction, on its own thread,
 * while the reader goes on; then the files go.
 */
class Lane {
  /** The work handed to this lane, in order; never rejects (see {@linkcode Lane.failure}). */
  #queue: Promise<void> = Promise.resolve();
  /** The batches handed over and not yet committed, oldest first. */
  #pending: Promise<void>[] = [];
  failure: unknown;

  /**
   * `widen`: called with this lane's session and the longest row of each
   * batch before it loads (see {@linkcode LONG_ROW}).
   */
  constructor(
    readonly session: Session,
    readonly indexId: bigint,
    readonly widen: (session: Session, longest: number) => Promise<void>,
  ) {}

  /** Batches handed over and not yet committed. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Queues a batch. */
  run(files: StagedFile[]): void {
    const done = this.#queue = this.#queue.then(async () => {
      let transaction = false;
      try {
        if (this.failure) return;
        for (const f of files) await f.written;
        await this.widen(this.session, Math.max(...files.map((f) => f.longest)));
        const statements = files.map((f) =>
          expandStagedRows(f.table, f.path, f.longest, this.indexId)
        );
        transaction = true;
        await this.session.exec(`BEGIN TRANSACTION; ${statements.join("\n")} COMMIT;`);
        transaction = false;
      } catch (err) {
        this.failure ??= err;
        if (transaction) await this.session.exec("ROLLBACK").catch(() => {});
      } finally {
        for (const f of files) await Deno.remove(f.path).catch(() => {});
      }
    });
    this.#pending.push(done);
    done.then(() => this.#pending.shift());
  }

  /** Waits until fewer than `n` batches are pending. */
  async below(n: number): Promise<void> {
    while (this.#pending.length >= n) await this.#pending[0];
  }

  /** Waits for every batch handed over; throws the first failure. */
  async finish(): Promise<void> {
    await this.#queue;
    if (this.failure) throw this.failure;
  }

  /** Stops taking batches, and waits for the one in progress to be undone. */
  async abandon(): Promise<void> {
    this.failure ??= new Error("abandoned");
    await this.#queue;
  }
}

/**
 * The rows of one index, staged ({@linkcode StagedRows}) and loaded in
 * batches that two {@linkcode Lane}s take in turn, while the reader stages
 * the next. A batch is due when complete segments hold
 * {@linkcode BATCH_ROWS} rows (it loads them: whole row groups), or at
 * `batchRows` structures (it loads every row staged), so what DuckDB holds
 * uncommitted stays small whatever the structures' size.
 */
class RowSink implements FileSink {
  #turn = 0;
  readonly #rows: StagedRows;

  constructor(
    readonly lanes: readonly [Lane, Lane],
    dir: string,
    readonly batchRows: number | undefined,
    readonly rowGroup: number,
  ) {
    this.#rows = new StagedRows({ dir, unit: rowGroup, segmentBytes: SEGMENT_BYTES });
  }

  structure(id: number, st: Readonly<StructureRead>): void {
    this.#rows.structure(id, st);
  }

  plain(f: Readonly<PlainFile>): void {
    this.#rows.plain(f);
  }

  file(f: TicFile): void {
    this.#rows.file(f);
  }

  /**
   * Whether a batch is due: `"segments"` (the complete ones), `"all"`, or
   * undefined. Near the end of the input (`done`: the part read, when the
   * size is known) a batch is due, with every row staged, at a tenth of
   * the size if the other lane is free, so the last load, which nothing
   * overlaps, is short.
   */
  due(done: number): "segments" | "all" | undefined {
    const rows = this.#rows;
    const full = BATCH_ROWS * this.rowGroup / ROW_GROUP;
    if (this.batchRows !== undefined && rows.structures >= this.batchRows) return "all";
    if (rows.readyRows >= full) return "segments";
    if (done > 0.95 && rows.rows >= full / 10 && !this.lanes[1 - this.#turn]!.pending) {
      return "all";
    }
    return undefined;
  }

  /**
   * Hands a batch to the next lane once that lane has at most one pending;
   * first waits for the staged bytes to reach their files if many are on
   * their way.
   */
  async flush(what: "segments" | "all" | undefined): Promise<void> {
    if (this.#rows.writing > WRITING_BYTES) await this.#rows.settle();
    if (!what) return;
    await this.lanes[this.#turn]!.below(2);
    for (const lane of this.lanes) if (lane.failure) throw lane.failure;
    this.#handOver(what === "all");
  }

  #handOver(all: boolean): void {
    const files = this.#rows.take(all);
    if (files.length === 0) return;
    this.lanes[this.#turn]!.run(files);
    this.#turn = 1 - this.#turn;
  }

  /** Ends the last batch and waits for every batch to be committed. */
  async close(): Promise<void> {
    await this.lanes[this.#turn]!.below(2);
    this.#handOver(true);
    for (const lane of this.lanes) await lane.finish();
  }

  /** Stops loading: every file ends, and the batch in progress is undone. */
  async abandon(): Promise<void> {
    await this.#rows.close();
    for (const lane of this.lanes) await lane.abandon();
  }
}

/**
 * Streams the index at `input` (a path or an http(s) URL) into the warehouse.
 * Never throws for a broken index: it returns `status: "failed"` with the
 * reason (and byte offset), recorded in `raw.tic_indexes`.
 */
export async function landTic(
  config: EngineConfig,
  input: string,
  options: TicOptions = {},
): Promise<TicSummary> {
  const started = new Date();
  const t0 = performance.now();
  // The index is opened first: its bytes are decompressed while the
  // warehouse gets ready. A failure to open it is the landing's (below).
  const source = openIndexBytes(input, { chunkBytes: CHUNK, onRetry: options.onRetry });
  source.catch(() => {});
  const open = () =>
    openWarehouse(options.db ?? config.warehouse, {
      memoryLimit: options.memoryLimit ?? DUCKDB_MEMORY,
      threads: 1,
      holder: "wharf tic",
    });
  let wh: Warehouse;
  try {
    wh = await open();
  } catch (err) {
    await source.then((s) => s.close(), () => {});
    throw err;
  }
  const summary: TicSummary = {
    indexId: 0,
    source: input,
    status: "failed",
    reportingEntityName: null,
    reportingEntityType: null,
    version: null,
    lastUpdatedOn: null,
    compressedBytes: 0,
    bytes: 0,
    elements: 0,
    plans: 0,
    files: 0,
    links: 0,
    sha256: null,
    error: null,
    elapsedMs: 0,
    warnings: [],
    cleaned: [],
  };
  try {
    await wh.withConnection(async (s) => {
      await ensureTables(s, "tic");
      const { cleaned, warnings } = await removeUnfinished(s);
      summary.cleaned.push(...cleaned);
      summary.warnings.push(...warnings);
    });
    if (summary.warnings.length) {
      // A failed removal may have left DuckDB unusable (a fatal error
      // invalidates the instance); this index lands on a fresh one.
      wh.close();
      wh = await open();
    }
    summary.indexId = await nextBatchId(wh);
    const landing = wh;
    await landing.withConnection((s) => landing.withConnection((other) => landOn(s, other)));
    summary.elapsedMs = performance.now() - t0;
    return summary;
  } finally {
    // Read or not (a failure before reading), the file or connection is released.
    await source.then((s) => s.close(), () => {});
    wh.close();
  }

  async function landOn(s: Session, other: Session): Promise<void> {
    await s.exec(
      "INSERT INTO raw.tic_indexes (index_id, source, status, started_at) VALUES (?, ?, 'running', ?::TIMESTAMPTZ)",
      [summary.indexId, input, started.toISOString()],
    );
    const id = BigInt(summary.indexId);
    await memory(s, options.memoryLimit ?? LOADING_MEMORY);
    const dir = await stagingFolder(options.db ?? config.warehouse, summary.cleaned);
    // Given a limit, DuckDB keeps it; else long rows widen it, once.
    let wide = options.memoryLimit !== undefined;
    const widen = async (session: Session, longest: number) => {
      if (wide || longest <= LONG_ROW) return;
      wide = true;
      await memory(session, DUCKDB_MEMORY);
    };
    const sink = new RowSink(
      [new Lane(s, id, widen), new Lane(other, id, widen)],
      dir,
      options.batchRows,
      options.rowGroup ?? ROW_GROUP,
    );
    try {
      await read(source, sink, summary, options);
      await sink.close();
    } catch (err) {
      await sink.abandon();
      summary.status = "failed";
      summary.error = err instanceof Error ? err.message : String(err);
      await memory(s, options.memoryLimit ?? DUCKDB_MEMORY);
      await notLanded(s, summary);
      return;
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
    // The same bytes as an index already landed: landed once, not twice.
    const same = await s.query(
      "SELECT index_id::DOUBLE AS id FROM raw.tic_indexes WHERE status = 'complete' AND sha256 = ? ORDER BY index_id LIMIT 1",
      [summary.sha256],
    );
    if (same.length) {
      summary.status = "duplicate";
      summary.duplicateOf = Number(same[0]!.id);
      summary.error = `the same bytes as index ${summary.duplicateOf} (sha256 ${
        summary.sha256?.slice(0, 12)
      }…), which is complete: not landed again`;
      await memory(s, options.memoryLimit ?? DUCKDB_MEMORY);
      await notLanded(s, summary);
      return;
    }
    summary.status = "complete";
    await saveIndex(s, summary, null);
  }
}

/**
 * The folder where `wharf tic` stages the batches of the warehouse at
 * `path` while an index lands: one per warehouse in the system's temporary
 * folder, so that what a killed run left there goes at the next run (which
 * holds the warehouse alone), and gone when a run ends.
 *
 * @example
 * ```ts
 * import { ticStagingFolder } from "./land_tic.ts";
 * console.log(ticStagingFolder("warehouse.duckdb")); // e.g. /tmp/wharf_tic_3f2a…
 * ```
 */
export function ticStagingFolder(path: string): string {
  const name = createHash("sha256").update(resolve(path)).digest("hex").slice(0, 16);
  return join(tmpdir(), `wharf_tic_${name}`);
}

/**
 * {@linkcode ticStagingFolder}, emptied; what a killed run left there is
 * named in `cleaned`.
 */
async function stagingFolder(path: string, cleaned: string[]): Promise<string> {
  const dir = ticStagingFolder(path);
  const left = await Array.fromAsync(Deno.readDir(dir)).then(
    (es) => es.map((e) => e.name).sort(),
    (): string[] => [],
  );
  if (left.length) {
    cleaned.push(
      `removed ${left.length} staged batch file${
        left.length === 1 ? "" : "s"
      } that a killed run left in ${dir}: ${left.join(", ")}`,
    );
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  return dir;
}

/** Sets DuckDB's memory limit (`limit`: as DuckDB writes it, e.g. `"64MB"`). */
async function memory(s: Session, limit: string): Promise<void> {
  await s.exec(`SET memory_limit = ${quoteLiteral(limit)}`);
}

/**
 * Records why an index did not land, then removes its rows. A removal that
 * fails is a warning: the index is recorded already, its rows are ignored
 * by models, and the next run removes them.
 */
async function notLanded(s: Session, summary: TicSummary): Promise<void> {
  await saveIndex(s, summary, false);
  try {
    await removeIndexRows(s, summary.indexId);
  } catch (err) {
    summary.warnings.push(cleanupWarning(summary.indexId, summary.status, err));
  }
}

/** Reads the index into the sink, filling in the summary. */
async function read(
  opening: Promise<IndexBytes>,
  sink: RowSink,
  summary: TicSummary,
  options: TicOptions,
): Promise<void> {
  const registry = new FileRegistry(sink);
  const fields: Record<string, unknown> = {};
  const reader = new IndexReader(registry, {
    onField: (key, value) => (fields[key] = value),
    onStructure: (st) => {
      sink.structure(reader.structures, st);
      summary.plans += st.planCount;
      summary.links += st.fileIds.length;
    },
  });
  const source = await opening;
  // An abort stops the read at once, even while it waits for bytes (without a signal,
  // `abort` never settles).
  const signal = options.signal;
  const interrupted = () =>
    new ScanError(`interrupted by ${signal?.reason ?? "an abort"}`, reader.offset);
  const abort = Promise.withResolvers<never>();
  abort.promise.catch(() => {});
  const onAbort = () => abort.reject(interrupted());
  signal?.addEventListener("abort", onAbort, { once: true });
  // A read that stops early (bad JSON, a failed write) releases the file or connection.
  try {
    if (signal?.aborted) throw interrupted();
    const chunks = source.chunks[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await Promise.race([chunks.next(), abort.promise]);
      } catch (err) {
        if (err instanceof ScanError) throw err;
        // A failed download is a read failure; anything else under gzip is the gzip stream's.
        const msg = err instanceof Error ? err.message : String(err);
        throw new ScanError(
          `${
            source.gzip && !(err instanceof UpstreamError) ? "broken gzip stream" : "read failed"
          }: ${msg}`,
          reader.offset,
        );
      }
      if (next.done) break;
      reader.push(next.value);
      await Promise.race([
        sink.flush(sink.due(source.total ? source.read / source.total : 0)),
        abort.promise,
      ]);
      summary.compressedBytes = source.read;
      summary.bytes = reader.offset;
      summary.elements = reader.structures;
      summary.files = registry.size;
      options.onProgress?.({
        compressedBytes: source.read,
        totalBytes: source.total,
        bytes: reader.offset,
        elements: reader.structures,
        files: registry.size,
      });
    }
    reader.end();
  } catch (err) {
    // Structures read at the end (a carried last one) count too.
    summary.elements = reader.structures;
    summary.files = registry.size;
    // Offsets count bytes of the JSON: of a gzipped index, those it decompresses to.
    if (!(err instanceof ScanError)) throw err;
    throw new ScanError(
      err.reason,
      err.offset,
      source.gzip ? "the decompressed JSON (not of the gzipped file)" : "the file",
    );
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await source.close();
  }
  summary.elements = reader.structures;
  summary.files = registry.size;
  summary.compressedBytes = source.read;
  summary.bytes = reader.offset;
  summary.sha256 = source.sha256();
  summary.reportingEntityName = typeof fields.reporting_entity_name === "string"
    ? fields.reporting_entity_name
    : null;
  summary.reportingEntityType = typeof fields.reporting_entity_type === "string"
    ? fields.reporting_entity_type.toLowerCase()
    : null;
  summary.version = fields.version === undefined || fields.version === null
    ? null
    : String(fields.version);
  summary.lastUpdatedOn = typeof fields.last_updated_on === "string"
    ? fields.last_updated_on
    : null;
}

/** Records the outcome of an index (`rowsRemoved`: null for a complete one). */
async function saveIndex(s: Session, x: TicSummary, rowsRemoved: boolean | null): Promise<void> {
  await s.exec(
    `UPDATE raw.tic_indexes SET status = ?, reporting_entity_name = ?, reporting_entity_type = ?,
       version = ?, last_updated_on = ?, sha256 = ?, compressed_bytes = ?, bytes = ?, elements = ?,
       plans = ?, files = ?, links = ?, error = ?, rows_removed = ?, ended_at = now()
     WHERE index_id = ?`,
    [
      x.status,
      x.reportingEntityName,
      x.reportingEntityType,
      x.version,
      x.lastUpdatedOn,
      x.sha256,
      x.compressedBytes,
      x.bytes,
      x.elements,
      x.plans,
      x.files,
      x.links,
      x.error,
      rowsRemoved,
      x.indexId,
    ],
  );
}
