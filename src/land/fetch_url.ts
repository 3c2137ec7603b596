/**
 * Downloading a delivery over HTTP(S) into a local cache, streaming, with
 * retries that resume where the last attempt stopped (Range requests) when
 * the server supports them. A cached copy is never trusted blindly: every
 * call asks the server again, conditionally (ETag, Last-Modified) when the
 * copy came with validators, and downloads anew unless the answer is 304.
 *
 * @module
 */
import { basename, join } from "node:path";
import { createHash } from "node:crypto";
import { UpstreamError } from "../engine/errors.ts";

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

/** The validators of a download, kept beside it as `<file>.meta.json`. */
interface Validators {
  etag?: string;
  lastModified?: string;
}

async function readValidators(path: string): Promise<Validators> {
  try {
    const v = JSON.parse(await Deno.readTextFile(path));
    return {
      etag: typeof v?.etag === "string" ? v.etag : undefined,
      lastModified: typeof v?.lastModified === "string" ? v.lastModified : undefined,
    };
  } catch {
    return {};
  }
}

function validatorsOf(res: Response): Validators {
  return {
    etag: res.headers.get("etag") ?? undefined,
    lastModified: res.headers.get("last-modified") ?? undefined,
  };
}

/**
 * Downloads `url` to `<cacheDir>/<hash of url>/<file name>` and returns the
 * local path. The cached copy is revalidated every time: with
 * `If-None-Match`/`If-Modified-Since` when it has an ETag or Last-Modified
 * (a 304 keeps it), else by downloading again. A partial download is
 * resumed with `Range` (and `If-Range` when it has a validator, so a changed
 * file starts over) when the server answers 206; a partial download left by
 * an earlier run is resumed only when it has a validator.
 *
 * @throws {UpstreamError} when every attempt failed, with the last reason.
 */
export async function fetchToCache(url: string, options: FetchOptions): Promise<string> {
  const dir = join(options.cacheDir, createHash("sha256").update(url).digest("hex").slice(0, 16));
  await Deno.mkdir(dir, { recursive: true });
  const final = join(dir, urlFileName(url));
  const partial = `${final}.part`;
  const finalMeta = `${final}.meta.json`;
  const partialMeta = `${partial}.meta.json`;
  const cached = await Deno.stat(final).then(() => true, (err) => {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  });
  const known = cached ? await readValidators(finalMeta) : {};
  // A partial download from an earlier run is only worth resuming when it can be matched.
  let partValidators = await readValidators(partialMeta);
  let resumable = partValidators.etag !== undefined || partValidators.lastModified !== undefined;
  const finish = async (validators: Validators) => {
    await Deno.writeTextFile(finalMeta, JSON.stringify(validators));
    await Deno.rename(partial, final);
    await Deno.remove(partialMeta).catch(() => {});
    return final;
  };
  const attempts = options.attempts ?? 5;
  let lastError = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let have = 0;
    if (resumable) {
      try {
        have = (await Deno.stat(partial)).size;
      } catch { /* no partial download yet */ }
    }
    const headers: Record<string, string> = {};
    if (have > 0) {
      headers.Range = `bytes=${have}-`;
      const match = partValidators.etag ?? partValidators.lastModified;
      if (match) headers["If-Range"] = match;
    } else if (cached) {
      if (known.etag) headers["If-None-Match"] = known.etag;
      if (known.lastModified) headers["If-Modified-Since"] = known.lastModified;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 30_000);
    try {
      const res = await fetch(url, { headers, signal: controller.signal });
      clearTimeout(timer);
      if (res.status === 304 && cached && have === 0) {
        await res.body?.cancel();
        return final;
      }
      if (res.status === 416 && have > 0) {
        // Asked past the end: the partial file is complete.
        await res.body?.cancel();
        return await finish(partValidators);
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
      if (!resumed) {
        partValidators = validatorsOf(res);
        await Deno.writeTextFile(partialMeta, JSON.stringify(partValidators));
      }
      // Within this call a partial download is ours: resume it on the next attempt.
      resumable = true;
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
      return await finish(partValidators);
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
