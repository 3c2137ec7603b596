/**
 * `wharf tic`: stream a Transparency-in-Coverage table-of-contents index
 * (local or remote, gzipped or not) into `raw.tic_*`, in memory that does
 * not grow with the file.
 *
 * One thread reads: bytes → sha256 → gunzip → {@linkcode IndexReader}.
 * Each reporting structure becomes one staged row (its plans as compact
 * JSON, its file ids as text) appended to DuckDB as it is read, so nothing
 * accumulates in JavaScript. Batches are committed one by one; DuckDB
 * expands each into `raw.tic_plans` and `raw.tic_plan_files` on its own
 * threads while the next is read, on a second connection.
 *
 * Status: an index is `running` while it lands, `complete` at the end. A
 * truncated or broken index is `failed`, with the byte offset in its error,
 * and its rows are removed (in bounded batches: {@linkcode removeIndexRows});
 * so is one whose run was killed, found `running` by the next `wharf tic`
 * (which holds the warehouse alone). Models read `complete` indexes only.
 *
 * @module
 */
import type { EngineConfig } from "../engine/config.ts";
import { ensureTables } from "../engine/db/schema/warehouse_schema.ts";
import {
  type AppendValue,
  openWarehouse,
  type RowAppender,
  type Session,
} from "../engine/db/warehouse.ts";
import { UpstreamError } from "../engine/errors.ts";
import { nextBatchId } from "../land/manifest.ts";
import { openIndexBytes } from "./index_bytes.ts";
import { FileRegistry, type TicFile } from "./files.ts";
import { IndexReader, ScanError } from "./reader.ts";
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
  /** Reporting structures per committed batch. Default 10,000. */
  batchRows?: number;
  /** DuckDB's memory limit while the index lands. Default `"64MB"`. */
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
}

/**
 * Decompressed chunk size. Measured on `deno task bench tic`: 64 KB keeps
 * peak RSS ~30 MB lower than 128 KB and ~120 MB lower than 256 KB (fewer
 * large buffers awaiting garbage collection), at the same speed.
 */
const GUNZIP_CHUNK = 1 << 16;
/** Links per batch at most (real structures may link thousands of files). */
const BATCH_LINKS = 250_000;
/** Staged bytes (plans and file ids as text) per batch at most. */
const BATCH_BYTES = 4 << 20;
/**
 * DuckDB's memory while an index lands: batches are committed and rows of
 * indexes that did not land are removed in batches, so its cache need not
 * grow. It runs on one thread, so expanding batches leaves a core to
 * reading (measured ~6% faster on 2 cores than one thread per core).
 */
const DUCKDB_MEMORY = "64MB";

const STAGING = "__wharf_tic_structures";
/** The plans of a structure, as the reader hands them over. */
const PLANS_TYPE = JSON.stringify([
  {
    plan_name: "VARCHAR",
    plan_id: "VARCHAR",
    plan_id_type: "VARCHAR",
    plan_market_type: "VARCHAR",
  },
]);
/** Enum values are compared without surrounding whitespace and case. */
const SPACES = "' ' || chr(9) || chr(10) || chr(13)";

/** SQL that expands a staged batch into the raw tables and commits it. */
function expandBatch(indexId: bigint): string {
  return `
    INSERT INTO raw.tic_plans (index_id, structure_id, plan_name, plan_id, plan_id_type, plan_market_type)
      SELECT ${indexId}, structure_id, p.plan_name, p.plan_id,
        lower(trim(p.plan_id_type, ${SPACES})), lower(trim(p.plan_market_type, ${SPACES}))
      FROM (
        SELECT structure_id, unnest(json_transform(decode(plans), '${PLANS_TYPE}')) AS p
        FROM temp.${STAGING}
      );
    INSERT INTO raw.tic_plan_files (index_id, structure_id, file_id)
      SELECT ${indexId}, structure_id, unnest(string_split(file_ids, ',')::BIGINT[])
      FROM temp.${STAGING};
    DELETE FROM temp.${STAGING};
    COMMIT;
  `;
}

/**
 * One connection taking every other batch: its transaction stages rows as
 * they are read (appenders, nothing held in JavaScript), then DuckDB
 * expands and commits them on its own threads while the other lane stages
 * the next batch.
 */
class Lane {
  #structures: RowAppender | undefined;
  #files: RowAppender | undefined;
  #expanding: Promise<void> = Promise.resolve();
  #inTransaction = false;
  /** Whether a batch is being expanded and committed. */
  busy = false;

  constructor(readonly session: Session, readonly indexId: bigint) {}

  async open(): Promise<void> {
    await this.session.exec(
      `CREATE OR REPLACE TEMP TABLE ${STAGING} (structure_id BIGINT, plans BLOB, file_ids VARCHAR)`,
    );
  }

  /** Waits for this lane's previous batch, then starts staging a new one. */
  async begin(): Promise<void> {
    await this.#expanding;
    await this.session.exec("BEGIN TRANSACTION");
    this.#inTransaction = true;
    this.#structures = await this.session.appender("temp", STAGING);
    this.#files = await this.session.appender("raw", "tic_files");
  }

  structure(row: readonly AppendValue[]): void {
    this.#structures!.row(row);
  }

  file(row: readonly AppendValue[]): void {
    this.#files!.row(row);
  }

  /** Ends staging and starts the expansion and commit (awaited by the next begin or finish). */
  end(): void {
    this.#closeAppenders();
    this.busy = true;
    this.#expanding = this.session.exec(expandBatch(this.indexId)).then(
      () => {
        this.#inTransaction = false;
        this.busy = false;
      },
      async (err) => {
        this.busy = false;
        await this.#rollback();
        throw err;
      },
    );
    // A failure surfaces at the next begin or at finish; never unhandled.
    this.#expanding.catch(() => {});
  }

  async finish(): Promise<void> {
    await this.#expanding;
    await this.session.exec(`DROP TABLE temp.${STAGING}`);
  }

  /** Undoes a batch in progress, whatever state it is in. */
  async abandon(): Promise<void> {
    await this.#expanding.catch(() => {});
    try {
      this.#closeAppenders();
    } catch { /* the transaction is rolled back below */ }
    await this.#rollback();
    await this.session.exec(`DROP TABLE IF EXISTS temp.${STAGING}`);
  }

  #closeAppenders(): void {
    const appenders = [this.#structures, this.#files];
    this.#structures = this.#files = undefined;
    for (const a of appenders) a?.close();
  }

  async #rollback(): Promise<void> {
    if (!this.#inTransaction) return;
    this.#inTransaction = false;
    await this.session.exec("ROLLBACK").catch(() => {});
  }
}

/**
 * The rows of one index, staged in batches that two {@linkcode Lane}s take
 * in turn. A batch ends at `batchRows` structures, {@linkcode BATCH_LINKS}
 * links or {@linkcode BATCH_BYTES} staged bytes, whichever comes first, so
 * what DuckDB holds uncommitted stays small whatever the structures' size.
 */
class RowSink {
  #turn = 0;
  #staged = 0;
  #links = 0;
  #bytes = 0;

  constructor(readonly lanes: readonly [Lane, Lane], readonly batchRows: number) {}

  get #lane(): Lane {
    return this.lanes[this.#turn]!;
  }

  async open(): Promise<void> {
    for (const lane of this.lanes) await lane.open();
    await this.#lane.begin();
  }

  structure(id: number, plans: Uint8Array | null, fileIds: readonly number[]): void {
    const ids = fileIds.length ? fileIds.join(",") : null;
    this.#lane.structure([BigInt(id), plans, ids]);
    this.#staged++;
    this.#links += fileIds.length;
    this.#bytes += (plans?.length ?? 0) + (ids?.length ?? 0);
  }

  file(f: TicFile): void {
    this.#lane.file([
      this.lanes[0].indexId,
      BigInt(f.id),
      f.kind,
      f.key,
      f.url,
      f.host,
      f.fileName,
      f.description,
    ]);
  }

  /**
   * Whether the batch is due. Near the end of the input (`done`: the part
   * read, when the size is known) a batch is due at a tenth of the size if
   * the other lane is free, so the last expansion, which nothing overlaps,
   * is short.
   */
  due(done: number): boolean {
    const part = Math.max(
      this.#staged / this.batchRows,
      this.#links / BATCH_LINKS,
      this.#bytes / BATCH_BYTES,
    );
    return part >= 1 || (done > 0.95 && part >= 0.1 && !this.lanes[1 - this.#turn]!.busy);
  }

  /** Hands the batch to DuckDB and starts the next on the other lane. */
  async flush(): Promise<void> {
    this.#lane.end();
    this.#turn = 1 - this.#turn;
    this.#staged = 0;
    this.#links = 0;
    this.#bytes = 0;
    await this.#lane.begin();
  }

  /** Ends the last batch and waits for every batch to be committed. */
  async close(): Promise<void> {
    this.#lane.end();
    for (const lane of this.lanes) await lane.finish();
  }

  async abandon(): Promise<void> {
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
  const open = () =>
    openWarehouse(options.db ?? config.warehouse, {
      memoryLimit: options.memoryLimit ?? DUCKDB_MEMORY,
      threads: 1,
      holder: "wharf tic",
    });
  let wh = await open();
  const summary: TicSummary = {
    indexId: 0,
    source: input,
    status: "failed",
    reportingEntityName: null,
    reportingEntityType: null,
    version: null,
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
  };
  try {
    await wh.withConnection(async (s) => {
      await ensureTables(s, "tic");
      summary.warnings.push(...await removeUnfinished(s));
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
    wh.close();
  }

  async function landOn(s: Session, other: Session): Promise<void> {
    await s.exec(
      "INSERT INTO raw.tic_indexes (index_id, source, status, started_at) VALUES (?, ?, 'running', ?::TIMESTAMPTZ)",
      [summary.indexId, input, started.toISOString()],
    );
    const id = BigInt(summary.indexId);
    const sink = new RowSink([new Lane(s, id), new Lane(other, id)], options.batchRows ?? 10_000);
    try {
      await sink.open();
      await read(input, sink, summary, options);
      await sink.close();
    } catch (err) {
      await sink.abandon();
      summary.status = "failed";
      summary.error = err instanceof Error ? err.message : String(err);
      await notLanded(s, summary);
      return;
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
      await notLanded(s, summary);
      return;
    }
    summary.status = "complete";
    await saveIndex(s, summary, null);
  }
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
  input: string,
  sink: RowSink,
  summary: TicSummary,
  options: TicOptions,
): Promise<void> {
  const registry = new FileRegistry((f) => sink.file(f));
  const fields: Record<string, unknown> = {};
  const reader = new IndexReader(registry, {
    onField: (key, value) => (fields[key] = value),
    onStructure: (st) => {
      sink.structure(reader.structures, st.plans, st.fileIds);
      summary.plans += st.planCount;
      summary.links += st.fileIds.length;
    },
  });
  const source = await openIndexBytes(input, {
    chunkBytes: GUNZIP_CHUNK,
    onRetry: options.onRetry,
  });
  // A read that stops early (bad JSON, a failed write) releases the file or connection.
  try {
    const chunks = source.chunks[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await chunks.next();
      } catch (err) {
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
      if (sink.due(source.total ? source.read / source.total : 0)) await sink.flush();
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
  } finally {
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
}

/** Records the outcome of an index (`rowsRemoved`: null for a complete one). */
async function saveIndex(s: Session, x: TicSummary, rowsRemoved: boolean | null): Promise<void> {
  await s.exec(
    `UPDATE raw.tic_indexes SET status = ?, reporting_entity_name = ?, reporting_entity_type = ?,
       version = ?, sha256 = ?, compressed_bytes = ?, bytes = ?, elements = ?, plans = ?,
       files = ?, links = ?, error = ?, rows_removed = ?, ended_at = now()
     WHERE index_id = ?`,
    [
      x.status,
      x.reportingEntityName,
      x.reportingEntityType,
      x.version,
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
