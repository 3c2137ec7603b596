/**
 * The decompressed bytes of an index, gzipped or not (sniffed from its
 * first bytes), with the SHA-256 and size of what was read. A local file is
 * read in 1 MB reads; a URL streams straight into the parser (no download
 * first) through `resumableDownload` (`src/net/`), which resumes a dropped
 * or stalled connection with a Range request; a file that changes
 * meanwhile fails the read rather than splicing two versions. Hashing and
 * gunzip run in a worker ({@linkcode inflateInWorker}), beside the scan.
 *
 * @module
 */
import { type DownloadRetryInfo, resumableDownload } from "../net/resumable_download.ts";
import { inflateInWorker } from "./inflate_in_worker.ts";

/** See the module documentation. */
export interface IndexBytes {
  /** Decompressed chunks (each valid until the next is asked for). */
  chunks: AsyncIterable<Uint8Array>;
  gzip: boolean;
  /** Bytes to read, when known (file size or Content-Length). */
  total?: number;
  /** Bytes read so far (compressed, as stored). */
  readonly read: number;
  /** SHA-256 of the bytes read, hex; once all are read. */
  sha256(): string;
  /** Releases the file or connection (a read that stops early must call it). */
  close(): Promise<void>;
}

/** Options of {@linkcode openIndexBytes}. */
export interface IndexBytesOptions {
  /** Size of decompressed chunks. */
  chunkBytes: number;
  /** Called before a request is retried (a dropped connection is resumed). */
  onRetry?: (info: DownloadRetryInfo) => void;
}

const FILE_READ = 1 << 20;

/** Opens `input`, a path or an http(s) URL. */
export async function openIndexBytes(
  input: string,
  options: IndexBytesOptions,
): Promise<IndexBytes> {
  let read = 0;
  const open = (
    raw: AsyncIterable<Uint8Array>,
    gzip: boolean,
    total: number | undefined,
    release: () => Promise<void>,
  ): IndexBytes => {
    const inflated = inflateInWorker(counted(raw, (n) => (read += n)), {
      gzip,
      chunkBytes: options.chunkBytes,
    });
    return {
      chunks: inflated.chunks,
      gzip,
      total,
      get read() {
        return read;
      },
      sha256: () => inflated.sha256(),
      close: () => {
        inflated.close();
        return release();
      },
    };
  };
  if (!/^https?:\/\//i.test(input)) {
    const file = await Deno.open(input);
    const size = (await file.stat()).size;
    const head = new Uint8Array(2);
    const n = await file.read(head) ?? 0;
    await file.seek(0, Deno.SeekMode.Start);
    let closed = false;
    const release = () => {
      if (!closed) file.close();
      closed = true;
      return Promise.resolve();
    };
    return open(fileChunks(file), isGzip(head.subarray(0, n)), size, release);
  }
  const source = await resumableDownload(input, { action: "read", onRetry: options.onRetry });
  const reader = source.body.getReader();
  const first = await reader.read();
  const head = first.value ?? new Uint8Array();
  async function* body(): AsyncGenerator<Uint8Array> {
    if (head.length) yield head;
    if (first.done) return;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  }
  const close = () => reader.cancel().catch(() => {});
  return open(body(), isGzip(head), source.total, close);
}

function isGzip(head: Uint8Array): boolean {
  return head[0] === 0x1f && head[1] === 0x8b;
}

/** A file's bytes, each read in a buffer of its own (handed to the worker whole). */
async function* fileChunks(file: Deno.FsFile): AsyncGenerator<Uint8Array> {
  for (;;) {
    const buf = new Uint8Array(FILE_READ);
    const n = await file.read(buf);
    if (n === null) return;
    yield n === buf.length ? buf : buf.subarray(0, n);
  }
}

/** The chunks of `source`, each counted as it passes. */
async function* counted(
  source: AsyncIterable<Uint8Array>,
  count: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    count(chunk.length);
    yield chunk;
  }
}
