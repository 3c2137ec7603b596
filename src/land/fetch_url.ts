/**
 * Downloading a delivery over HTTP(S) into a local cache, streaming, with
 * retries that resume where the last attempt stopped (Range requests) when
 * the server supports them.
 *
 * @module
 */
import { basename, join } from "node:path";
import { createHash } from "node:crypto";
import { UpstreamError } from "../errors.ts";

/** Options of {@linkcode fetchToCache}. */
export interface FetchOptions {
  /** Folder of the cache; each URL gets a folder of its own inside. */
  cacheDir: string;
  /** Attempts in all. Default 5. */
  attempts?: number;
  /** First retry delay in ms, doubled each time. Default 250. */
  backoffMs?: number;
  /** Per-attempt timeout for the response to start, in ms. Default 30 000. */
  timeoutMs?: number;
  /** Called with bytes received so far and the total when known. */
  onProgress?: (bytes: number, total?: number) => void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The file name a URL's path ends with. */
export function urlFileName(url: string): string {
  const name = basename(decodeURIComponent(new URL(url).pathname));
  return name === "" || name === "/" ? "download" : name;
}

/**
 * Downloads `url` to `<cacheDir>/<hash of url>/<file name>` and returns the
 * local path. A partial download left by an earlier attempt (or run) is
 * resumed with `Range` when the server answers 206; otherwise it starts over.
 *
 * @throws {UpstreamError} when every attempt failed, with the last reason.
 */
export async function fetchToCache(url: string, options: FetchOptions): Promise<string> {
  const dir = join(options.cacheDir, createHash("sha256").update(url).digest("hex").slice(0, 16));
  await Deno.mkdir(dir, { recursive: true });
  const final = join(dir, urlFileName(url));
  const partial = `${final}.part`;
  try {
    await Deno.stat(final);
    return final;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const attempts = options.attempts ?? 5;
  let lastError = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let have = 0;
    try {
      have = (await Deno.stat(partial)).size;
    } catch { /* no partial download yet */ }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000);
    try {
      const res = await fetch(url, {
        headers: have > 0 ? { Range: `bytes=${have}-` } : {},
        signal: controller.signal,
      });
      clearTimeout(timer);
      if (res.status === 416 && have > 0) {
        // Asked past the end: the partial file is complete.
        await res.body?.cancel();
        await Deno.rename(partial, final);
        return final;
      }
      if (!res.ok) {
        await res.body?.cancel();
        const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
        lastError = `HTTP ${res.status} ${res.statusText}`;
        if (!retryable) {
          throw new UpstreamError(url, `Cannot download "${url}": ${lastError}`, {
            status: res.status,
          });
        }
        throw new Error(lastError);
      }
      const resumed = res.status === 206 && have > 0;
      const length = Number(res.headers.get("content-length") ?? NaN);
      const total = Number.isFinite(length) ? length + (resumed ? have : 0) : undefined;
      using file = await Deno.open(partial, {
        write: true,
        create: true,
        append: resumed,
        truncate: !resumed,
      });
      let received = resumed ? have : 0;
      for await (const chunk of res.body ?? new ReadableStream<Uint8Array>()) {
        let off = 0;
        while (off < chunk.length) off += await file.write(chunk.subarray(off));
        received += chunk.length;
        options.onProgress?.(received, total);
      }
      if (total !== undefined && received < total) {
        throw new Error(`connection closed after ${received} of ${total} bytes`);
      }
      await Deno.rename(partial, final);
      return final;
    } catch (err) {
      clearTimeout(timer);
      if (err instanceof UpstreamError) throw err;
      lastError = controller.signal.aborted
        ? "timed out"
        : err instanceof Error
        ? err.message
        : String(err);
      if (attempt < attempts) await sleep((options.backoffMs ?? 250) * 2 ** (attempt - 1));
    }
  }
  throw new UpstreamError(url, `Cannot download "${url}" after ${attempts} attempts: ${lastError}`);
}
