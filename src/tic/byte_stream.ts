/**
 * The bytes of a remote index as a stream: an HTTP(S) URL read straight
 * into the parser (no download first), resuming a dropped connection with
 * a Range request when the server supports it. (Local files are read in
 * `index_bytes.ts`.)
 *
 * @module
 */
import { UpstreamError } from "../engine/errors.ts";

/** A byte source and what is known of its size. */
export interface ByteSource {
  stream: ReadableStream<Uint8Array>;
  /** Total bytes, when known (Content-Length). */
  total?: number;
}

/** Options of {@linkcode openByteSource}. */
export interface ByteSourceOptions {
  /** Attempts for a URL, the first included. Default 5. */
  attempts?: number;
  /** Delay before the first retry, ms (doubled each time). Default 200. */
  backoffMs?: number;
  /** Called when a dropped connection is resumed. */
  onRetry?: (info: { attempt: number; at: number; error: string }) => void;
}

/** Opens an http(s) URL as a stream of bytes. */
export async function openByteSource(
  input: string,
  options: ByteSourceOptions = {},
): Promise<ByteSource> {
  const attempts = options.attempts ?? 5;
  const first = await fetch(input);
  if (!first.ok || !first.body) {
    await first.body?.cancel();
    throw new UpstreamError(
      input,
      `Cannot read "${input}": HTTP ${first.status} ${first.statusText}`,
      { status: first.status },
    );
  }
  const length = Number(first.headers.get("content-length") ?? NaN);
  const total = Number.isFinite(length) ? length : undefined;
  const rangeOk = first.headers.get("accept-ranges") === "bytes";
  let reader = first.body.getReader();
  let received = 0;
  let attempt = 1;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            if (total !== undefined && received < total) {
              throw new Error(`connection closed after ${received} of ${total} bytes`);
            }
            controller.close();
            return;
          }
          received += value.length;
          controller.enqueue(value);
          return;
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          if (!rangeOk || attempt >= attempts) {
            controller.error(
              new UpstreamError(
                input,
                `Reading "${input}" failed after ${received} bytes: ${error}${
                  rangeOk ? "" : " (the server does not accept Range requests, so it cannot resume)"
                }`,
              ),
            );
            return;
          }
          await new Promise((r) => setTimeout(r, (options.backoffMs ?? 200) * 2 ** (attempt - 1)));
          attempt++;
          options.onRetry?.({ attempt, at: received, error });
          try {
            const res = await fetch(input, { headers: { Range: `bytes=${received}-` } });
            if (res.status !== 206 || !res.body) {
              await res.body?.cancel();
              throw new Error(`resume answered HTTP ${res.status}`);
            }
            reader = res.body.getReader();
          } catch (resumeErr) {
            controller.error(
              new UpstreamError(
                input,
                `Cannot resume "${input}" at byte ${received}: ${(resumeErr as Error).message}`,
              ),
            );
            return;
          }
        }
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { stream, total };
}
