/**
 * Live benefit sources: HTTP servers answering `GET <base>?member_id=…`
 * with the three figures, or `{}` when they do not know the member. Asked
 * concurrently, each with a timeout and bounded retries; one that is down,
 * slow or answers garbage is reported, never waited on forever.
 *
 * @module
 */
import type { Benefits } from "./strategies.ts";

/** What one source said about a member. */
export type SourceAnswer =
  | { source: string; status: "ok"; values: Benefits }
  | { source: string; status: "unknown" }
  | { source: string; status: "failed"; error: string; timeout?: boolean };

/** Options of {@linkcode askUpstream}. */
export interface UpstreamOptions {
  /** Per-attempt time limit, ms. Default 2000. */
  timeoutMs?: number;
  /** Attempts in all. Default 2. */
  attempts?: number;
  /** Delay before a retry, ms. Default 50. */
  retryDelayMs?: number;
}

function isCents(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/** Reads a source's JSON body: the three figures, `{}`, or an error. */
export function parseAnswer(source: string, body: unknown): SourceAnswer {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { source, status: "failed", error: "malformed answer: expected a JSON object" };
  }
  const o = body as Record<string, unknown>;
  if (Object.keys(o).length === 0) return { source, status: "unknown" };
  if (isCents(o.oop_max) && isCents(o.remaining_oop_max) && isCents(o.copay)) {
    return {
      source,
      status: "ok",
      values: { oop_max: o.oop_max, remaining_oop_max: o.remaining_oop_max, copay: o.copay },
    };
  }
  return {
    source,
    status: "failed",
    error:
      "malformed answer: oop_max, remaining_oop_max and copay must be non-negative integer cents",
  };
}

/**
 * Asks one upstream about a member. Retries connection errors, timeouts
 * and 5xx answers; a 4xx or a malformed body is final.
 */
export async function askUpstream(
  base: string,
  memberId: string,
  options: UpstreamOptions = {},
): Promise<SourceAnswer> {
  const attempts = options.attempts ?? 2;
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
      const text = await res.text();
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
      last = controller.signal.aborted
        ? {
          source: base,
          status: "failed",
          error: `timed out after ${options.timeoutMs ?? 2000} ms`,
          timeout: true,
        }
        : {
          source: base,
          status: "failed",
          error: err instanceof Error ? err.message : String(err),
        };
    }
    if (attempt < attempts) await new Promise((r) => setTimeout(r, options.retryDelayMs ?? 50));
  }
  return last;
}
