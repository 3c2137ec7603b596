/**
 * `wharf tic`: stream a Transparency-in-Coverage table-of-contents index
 * (local or remote, gzipped or not) into `raw.tic_*`, in memory that does
 * not grow with the file. The whole index lands in one transaction: a
 * truncated or broken file rolls back and is recorded as `failed` in
 * `raw.tic_indexes` with the byte offset, so nothing of it is presented as
 * complete.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { ResolvedConfig } from "../config.ts";
import { type AppendValue, openWarehouse, type Session } from "../db/warehouse.ts";
import { openByteSource } from "./byte_stream.ts";
import { nextBatchId } from "../land/manifest.ts";
import { normalizeStructure } from "./normalize.ts";
import { IndexScanner, ScanError } from "./scanner.ts";

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
  /** Rows buffered per table before they are appended. Default 20,000. */
  batchRows?: number;
}

/** What landing an index did. */
export interface TicSummary {
  indexId: number;
  source: string;
  status: "complete" | "failed";
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
}

const DDL = `
  CREATE SCHEMA IF NOT EXISTS raw;
  CREATE SCHEMA IF NOT EXISTS wharf;
  CREATE SEQUENCE IF NOT EXISTS wharf.batch_ids START 1;
  CREATE TABLE IF NOT EXISTS raw.tic_indexes (
    index_id BIGINT, source VARCHAR, status VARCHAR, reporting_entity_name VARCHAR,
    reporting_entity_type VARCHAR, version VARCHAR, sha256 VARCHAR, compressed_bytes BIGINT,
    bytes BIGINT, elements BIGINT, plans BIGINT, files BIGINT, links BIGINT, error VARCHAR,
    started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ
  );
  CREATE TABLE IF NOT EXISTS raw.tic_plans (
    index_id BIGINT, structure_id BIGINT, plan_name VARCHAR, plan_id VARCHAR,
    plan_id_type VARCHAR, plan_market_type VARCHAR
  );
  CREATE TABLE IF NOT EXISTS raw.tic_files (
    index_id BIGINT, file_id BIGINT, kind VARCHAR, url_key VARCHAR, url VARCHAR, host VARCHAR,
    file_name VARCHAR, description VARCHAR
  );
  CREATE TABLE IF NOT EXISTS raw.tic_plan_files (index_id BIGINT, structure_id BIGINT, file_id BIGINT);
`;

/**
 * The dedupe key of a file URL: its path, without scheme, host and signed
 * query (plain string scanning: this runs for every file reference).
 */
export function urlKey(url: string): { key: string; host: string } {
  const scheme = url.indexOf("://");
  let end = url.length;
  const q = url.indexOf("?");
  if (q !== -1) end = q;
  const h = url.indexOf("#");
  if (h !== -1 && h < end) end = h;
  if (scheme === -1) return { key: url.slice(0, end), host: "" };
  const slash = url.indexOf("/", scheme + 3);
  const hostEnd = slash === -1 || slash > end ? end : slash;
  const path = hostEnd === end ? "/" : url.slice(hostEnd, end);
  return {
    key: path.includes("%") ? decodeURIComponentSafe(path) : path,
    host: url.slice(scheme + 3, hostEnd),
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Buffers rows per table and appends them in batches inside the open transaction. */
class Batches {
  /** Rows per table; `links` is one row per structure with its file ids as text, unnested at the end. */
  readonly rows: Record<string, AppendValue[][]> = { tic_plans: [], tic_files: [], links: [] };
  constructor(readonly session: Session, readonly size: number) {}
  get full(): boolean {
    return Object.values(this.rows).some((r) => r.length >= this.size);
  }
  async flush(): Promise<void> {
    for (const [table, rows] of Object.entries(this.rows)) {
      if (rows.length === 0) continue;
      if (table === "links") await this.session.append("temp", "__wharf_tic_links", rows);
      else await this.session.append("raw", table, rows);
      this.rows[table] = [];
    }
  }
}

/**
 * Streams the index at `input` (a path or an http(s) URL) into the warehouse.
 * Never throws for a broken index: it returns `status: "failed"` with the
 * reason (and byte offset), recorded in `raw.tic_indexes`.
 */
export async function landTic(
  config: ResolvedConfig,
  input: string,
  options: TicOptions = {},
): Promise<TicSummary> {
  const started = new Date();
  const t0 = performance.now();
  const wh = await openWarehouse(options.db ?? config.warehouse);
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
  };
  try {
    await wh.exec(DDL);
    summary.indexId = await nextBatchId(wh);
    const id = BigInt(summary.indexId);
    try {
      await wh.transaction(async (s) => {
        await s.exec(
          "CREATE OR REPLACE TEMP TABLE __wharf_tic_links (structure_id BIGINT, file_ids VARCHAR)",
        );
        const batches = new Batches(s, options.batchRows ?? 20_000);
        const fileIds = new Map<string, number>();
        const fields: Record<string, unknown> = {};
        let structure = 0;
        const onStructure = (element: unknown) => {
          const st = normalizeStructure(element);
          structure++;
          const sid = BigInt(structure);
          for (const p of st.plans) {
            batches.rows.tic_plans!.push([
              id,
              sid,
              p.plan_name,
              p.plan_id,
              p.plan_id_type,
              p.plan_market_type,
            ]);
          }
          const linked = new Set<number>();
          const ids: number[] = [];
          for (const f of st.files) {
            const { key, host } = urlKey(f.url);
            const dedupe = `${f.kind}:${key}`;
            let fid = fileIds.get(dedupe);
            if (fid === undefined) {
              fid = fileIds.size + 1;
              fileIds.set(dedupe, fid);
              batches.rows.tic_files!.push([
                id,
                BigInt(fid),
                f.kind,
                key,
                f.url,
                host,
                key.split("/").pop() ?? key,
                f.description,
              ]);
            }
            if (!linked.has(fid)) {
              linked.add(fid);
              ids.push(fid);
            }
          }
          if (ids.length) batches.rows.links!.push([sid, ids.join(",")]);
          summary.links += ids.length;
          summary.plans += st.plans.length;
        };
        const scanner = new IndexScanner({
          onField: (k, v) => (fields[k] = v),
          onElement: (_k, element) => onStructure(element),
        });
        const source = await openByteSource(input, { onRetry: options.onRetry });
        const hash = createHash("sha256");
        let compressed = 0;
        const counted = source.stream.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, ctl) {
              compressed += chunk.length;
              hash.update(chunk);
              ctl.enqueue(chunk);
            },
          }),
        );
        const reader = counted.getReader();
        const first = await reader.read();
        const head = first.value ?? new Uint8Array();
        const rest = new ReadableStream<Uint8Array>({
          start(ctl) {
            if (head.length) ctl.enqueue(head);
            if (first.done) ctl.close();
          },
          async pull(ctl) {
            const { done, value } = await reader.read();
            if (done) ctl.close();
            else ctl.enqueue(value);
          },
          cancel: (reason) => reader.cancel(reason),
        });
        const gzip = head[0] === 0x1f && head[1] === 0x8b;
        const bytes = gzip
          ? rest.pipeThrough(
            new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
          )
          : rest;
        const chunks = bytes.getReader();
        for (;;) {
          let next: ReadableStreamReadResult<Uint8Array>;
          try {
            next = await chunks.read();
          } catch (err) {
            const msg = err instanceof Error ? err.message : String(err);
            throw new ScanError(
              `${
                gzip && !/HTTP|Reading|resume/.test(msg) ? "broken gzip stream" : "read failed"
              }: ${msg}`,
              scanner.offset,
            );
          }
          if (next.done) break;
          scanner.push(next.value);
          summary.elements = structure;
          if (batches.full) await batches.flush();
          options.onProgress?.({
            compressedBytes: compressed,
            totalBytes: source.total,
            bytes: scanner.offset,
            elements: structure,
            files: fileIds.size,
          });
        }
        scanner.end();
        // A file holding one reporting structure alone (no index around it).
        if (structure === 0 && ("reporting_plans" in fields || "in_network_files" in fields)) {
          onStructure(fields);
        }
        await batches.flush();
        await s.exec(
          `INSERT INTO raw.tic_plan_files SELECT ${id}, structure_id, unnest(string_split(file_ids, ','))::BIGINT FROM temp.__wharf_tic_links`,
        );
        await s.exec("DROP TABLE temp.__wharf_tic_links");
        summary.elements = structure;
        summary.files = fileIds.size;
        summary.compressedBytes = compressed;
        summary.bytes = scanner.offset;
        summary.sha256 = hash.digest("hex");
        summary.reportingEntityName = typeof fields.reporting_entity_name === "string"
          ? fields.reporting_entity_name
          : null;
        summary.reportingEntityType = typeof fields.reporting_entity_type === "string"
          ? fields.reporting_entity_type.toLowerCase()
          : null;
        summary.version = fields.version === undefined || fields.version === null
          ? null
          : String(fields.version);
        summary.status = "complete";
        await recordIndex(s, summary, started);
      });
    } catch (err) {
      summary.status = "failed";
      summary.error = err instanceof Error ? err.message : String(err);
      await wh.withConnection((s) => recordIndex(s, summary, started));
    }
    summary.elapsedMs = performance.now() - t0;
    return summary;
  } finally {
    wh.close();
  }
}

async function recordIndex(s: Session, x: TicSummary, started: Date): Promise<void> {
  await s.exec(
    "INSERT INTO raw.tic_indexes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMPTZ, ?::TIMESTAMPTZ)",
    [
      x.indexId,
      x.source,
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
      started.toISOString(),
      new Date().toISOString(),
    ],
  );
}
