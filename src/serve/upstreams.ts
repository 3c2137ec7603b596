/**
 * Live benefit sources: HTTP servers answering `GET <base>?member_id=…`
 * with the three figures, or `{}` when they do not know the member. Asked
 * concurrently, each with a time limit, a cap on the answer's size and one
 * retry of a refused connection or a 5xx; one that is down, slow or answers garbage is reported, never
 * waited on forever. Figures must be integer cents from 0 to
 * {@linkcode MAX_CENTS}: anything else (`1e308`, `2^60`, `12.5`) is that
 * source's error, not a number to average.
 *
 * @module
 */
import { type Benefits, MAX_CENTS } from "./strategies.ts";

/** What one source said about a member. */
export type SourceAnswer =
  | { source: string; status: "ok"; values: Benefits }
  | { source: string; status: "unknown" }
  | {
    source: string;
    status: "failed";
    error: string;
    /** It did not answer in time. */
    timeout?: boolean;
    /** It answered, but with figures that cannot be used: says nothing of its health. */
    badValues?: boolean;
  };

/** Options of {@linkcode askUpstream}. */
export interface UpstreamOptions {
  /** Per-attempt time limit, ms. Default 2000. */
  timeoutMs?: number;
  /** Attempts in all. Default 2. */
  attempts?: number;
  /** Delay before a retry, ms. Default 50. */
  retryDelayMs?: number;
  /** Largest answer body, bytes. Default 65536. */
  maxBytes?: number;
}

const FIELDS = ["oop_max", "remaining_oop_max", "copay"] as const;

/** Why `v` is not a figure in cents, or undefined when it is one. */
function centsProblem(field: string, v: unknown): string | undefined {
  if (typeof v !== "number") {
    return `${field} is ${v === undefined ? "missing" : JSON.stringify(v)}`;
  }
  if (!Number.isInteger(v) || v < 0 || v > MAX_CENTS) return `${field} is ${v}`;
  return undefined;
}

/** Reads a source's JSON body: the three figures, `{}`, or an error naming the bad field. */
export function parseAnswer(source: string, body: unknown): SourceAnswer {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { source, status: "failed", error: "malformed answer: expected a JSON object" };
  }
  const o = body as Record<string, unknown>;
  if (Object.keys(o).length === 0) return { source, status: "unknown" };
  const problems = FIELDS.flatMap((f) => centsProblem(f, o[f]) ?? []);
  if (problems.length === 0) {
    return {
      source,
      status: "ok",
      values: {
        oop_max: o.oop_max as number,
        remaining_oop_max: o.remaining_oop_max as number,
        copay: o.copay as number,
      },
    };
  }
  return {
    source,
    status: "failed",
    badValues: true,
    error: `malformed answer: ${
      problems.join(", ")
    } (oop_max, remaining_oop_max and copay must be integer cents from 0 to ${MAX_CENTS})`,
  };
}

/** Raised when an answer's body passes the size cap. */
class TooLarge extends Error {}

/** Reads a body as text, at most `max` bytes. */
async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > max) {
    await res.body?.cancel();
    throw new TooLarge();
  }
  if (!res.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += chunk.length;
    if (size > max) throw new TooLarge(); // leaving the loop cancels the body
    chunks.push(chunk);
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return new TextDecoder().decode(all);
}

/**
 * Asks one upstream about a member. Retries connection errors and 5xx
 * answers; a timeout (the time limit is the longest a request waits), a
 * 4xx, an oversized or a malformed body is final.
 */
export async function askUpstream(
  base: string,
  memberId: string,
  options: UpstreamOptions = {},
): Promise<SourceAnswer> {
  const attempts = options.attempts ?? 2;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const url = new URL(base);
  url.searchParams.set("member_id", memberId);
  let last: SourceAnswer = { source: base, status: "failed", error: "not asked" };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 2000);
    try {
      const res = await fetch(url, {
        signal: controller.signal,
        headers: { accept: "application/json" },
      });
      const text = await readCapped(res, maxBytes);
      clearTimeout(timer);
      if (res.status >= 500) {
        last = { source: base, status: "failed", error: `HTTP ${res.status}` };
      } else if (!res.ok) {
        return { source: base, status: "failed", error: `HTTP ${res.status}` };
      } else {
        try {
          return parseAnswer(base, JSON.parse(text));
        } catch {
          return { source: base, status: "failed", error: "malformed answer: not JSON" };
        }
      }
    } catch (err) {
      clearTimeout(timer);
      if (err instanceof TooLarge) {
        return {
          source: base,
          status: "failed",
          error: `answer too large: over ${maxBytes} bytes`,
        };
      }
      if (controller.signal.aborted) {
        // The time limit is the longest a request waits on a source: no second try.
        return {
          source: base,
          status: "failed",
          error: `timed out after ${options.timeoutMs ?? 2000} ms`,
          timeout: true,
        };
      }
      last = {
        source: base,
        status: "failed",
        error: err instanceof Error ? err.message : String(err),
      };
    }
    if (attempt < attempts) await new Promise((r) => setTimeout(r, options.retryDelayMs ?? 50));
  }
  return last;
}
