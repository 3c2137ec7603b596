/**
 * Downloading a delivery over HTTP(S) into a local cache, streaming, with
 * retries that resume where the last attempt stopped (Range requests, see
 * `src/net/resumable_download.ts`). A cached copy is never trusted blindly:
 * every call asks the server again, conditionally (ETag, Last-Modified) when
 * the copy came with validators, and downloads anew unless the answer is 304.
 *
 * @module
 */
import { basename, join } from "node:path";
import { createHash } from "node:crypto";
import { resumableDownload, type Validators } from "../net/resumable_download.ts";

/** Options of {@linkcode fetchToCache}. */
export interface FetchOptions {
  /** Folder of the cache; each URL gets a folder of its own inside. */
  cacheDir: string;
  /** Failed attempts in a row before giving up. Default 5. */
  attempts?: number;
  /** Ceiling of the first retry delay in ms (full jitter), doubled each time. Default 250. */
  backoffMs?: number;
  /** Per-attempt timeout for the response to start, in ms. Default 30 000. */
  timeoutMs?: number;
  /** Called with bytes received so far and the total when known. */
  onProgress?: (bytes: number, total?: number) => void;
}

/** The file name a URL's path ends with. */
export function urlFileName(url: string): string {
  const name = basename(decodeURIComponent(new URL(url).pathname));
  return name === "" || name === "/" ? "download" : name;
}

/** The validators of a download, kept beside it as `<file>.meta.json`. */
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

/** The size of a file, 0 when there is none. */
async function sizeOf(path: string): Promise<number> {
  try {
    return (await Deno.stat(path)).size;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return 0;
    throw err;
  }
}

/**
 * Downloads `url` to `<cacheDir>/<hash of url>/<file name>` and returns the
 * local path. The cached copy is revalidated every time: with
 * `If-None-Match`/`If-Modified-Since` when it has an ETag or Last-Modified
 * (a 304 keeps it), else by downloading again. A dropped download is resumed
 * with `Range` (and `If-Range` when it has a validator, so a changed file
 * starts over); a partial download left by an earlier run is resumed only
 * when it has a validator.
 *
 * @throws {FetchError} when the download failed for good, with the last reason.
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
  // A partial download from an earlier run is only worth resuming when it can be matched.
  const partValidators = await readValidators(partialMeta);
  const resumable = partValidators.etag !== undefined || partValidators.lastModified !== undefined;
  const have = resumable ? await sizeOf(partial) : 0;
  const writeMeta = (v: Validators) => Deno.writeTextFile(partialMeta, JSON.stringify(v));
  /** Set when the file changed in the middle of the download: what was written goes. */
  let restarted: Validators | undefined;
  const download = await resumableDownload(url, {
    attempts: options.attempts ?? 5,
    baseDelayMs: options.backoffMs ?? 250,
    timeoutMs: options.timeoutMs ?? 30_000,
    resumeFrom: have > 0 ? { offset: have, validators: partValidators } : undefined,
    revalidate: cached && have === 0 ? await readValidators(finalMeta) : undefined,
    onRestart: (validators) => {
      restarted = validators;
    },
  });
  if (download.notModified) {
    await download.body.cancel();
    return final;
  }
  if (download.offset === 0) await writeMeta(download.validators);
  const file = await Deno.open(partial, { write: true, create: true, append: true });
  try {
    await file.truncate(download.offset);
    let received = download.offset;
    const startOver = async () => {
      await file.truncate(0);
      await writeMeta(restarted!);
      received = 0;
      restarted = undefined;
    };
    for await (const chunk of download.body) {
      if (restarted) await startOver();
      let off = 0;
      while (off < chunk.length) off += await file.write(chunk.subarray(off));
      received += chunk.length;
      options.onProgress?.(received, download.total);
    }
    if (restarted) await startOver(); // the new version is empty
  } finally {
    file.close();
  }
  await Deno.writeTextFile(finalMeta, JSON.stringify(download.validators));
  await Deno.rename(partial, final);
  await Deno.remove(partialMeta).catch(() => {});
  return final;
}
