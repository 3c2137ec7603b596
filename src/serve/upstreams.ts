/**
 * Live sources for coalescing: HTTP servers answering `GET <base>?<key>=…`
 * with the configured fields (`serve.coalesce`), or `{}` when they do not
 * know the key. Asked concurrently, each with a time limit, a cap on the
 * answer's size and one retry of a refused connection or a 5xx
 * (`src/net/`); one that is down, slow or answers garbage is reported,
 * never waited on forever. Figures must be integer amounts from 0 to
 * {@linkcode MAX_AMOUNT}: anything else (`1e308`, `2^60`, `12.5`) is that
 * source's error, not a number to average.
 *
 * @module
 */
import { FetchError } from "../engine/errors.ts";
import { AttemptFailure } from "../net/attempt_failure.ts";
import { fetchWithRetry, type HttpAnswer } from "../net/fetch_with_retry.ts";
import type { CoalesceSpec } from "./coalesce_config.ts";
import { type Figures, MAX_AMOUNT } from "./strategies.ts";

/** What one source said about a key. */
export type SourceAnswer =
  | {
    source: string;
    status: "ok";
    values: Figures;
    asOf?: string | null;
    /** Given from the cache, this old, ms (`upstream_answers.ts`). */
    ageMs?: number;
  }
  | { source: string; status: "unknown"; ageMs?: number }
  | {
    source: string;
    status: "failed";
    error: string;
    /** It did not answer in time. */
    timeout?: boolean;
    /** It was not asked: it is down (`upstream_health.ts`). */
    down?: boolean;
    /** It answered, but with figures that cannot be used: says nothing of its health. */
    badValues?: boolean;
    /** A landed source whose figures were rejected: the reasons (`serve.coalesce.rejected`). */
    rejected?: readonly string[];
  };

/** Options of {@linkcode askUpstream}. */
export interface UpstreamOptions {
  /** Per-attempt time limit, ms. Default 2000. */
  timeoutMs?: number;
  /** Attempts in all. Default 2. */
  attempts?: number;
  /** Longest delay before a retry (a random part of it: full jitter), ms. Default 50. */
  retryDelayMs?: number;
  /** Largest answer body, bytes. Default 65536. */
  maxBytes?: number;
}

/** Why `v` is not an integer amount within bounds, or undefined when it is one. */
function amountProblem(field: string, v: unknown): string | undefined {
  if (typeof v !== "number") {
    return `${field} is ${v === undefined ? "missing" : JSON.stringify(v)}`;
  }
  if (!Number.isInteger(v) || v < 0 || v > MAX_AMOUNT) return `${field} is ${v}`;
  return undefined;
}

/** `a, b and c`. */
function listed(names: readonly string[]): string {
  return names.length < 2
    ? names.join("")
    : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * Reads a source's JSON body: the `fields` (other keys are left out), `{}`,
 * or an error naming the bad fields.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAnswer } from "./upstreams.ts";
 *
 * assert.deepEqual(parseAnswer("s", { price: 5, note: "x" }, ["price"]), {
 *   source: "s",
 *   status: "ok",
 *   values: { price: 5 },
 * });
 * assert.equal(parseAnswer("s", {}, ["price"]).status, "unknown");
 * ```
 */
export function parseAnswer(
  source: string,
  body: unknown,
  fields: readonly string[],
): SourceAnswer {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { source, status: "failed", error: "malformed answer: expected a JSON object" };
  }
  const o = body as Record<string, unknown>;
  if (Object.keys(o).length === 0) return { source, status: "unknown" };
  const problems = fields.flatMap((f) => amountProblem(f, o[f]) ?? []);
  if (problems.length === 0) {
    const values: Figures = {};
    for (const f of fields) values[f] = o[f] as number;
    return { source, status: "ok", values };
  }
  return {
    source,
    status: "failed",
    badValues: true,
    error: `malformed answer: ${problems.join(", ")} (${
      listed(fields)
    } must be integer amounts from 0 to ${MAX_AMOUNT})`,
  };
}

/**
 * Asks one upstream about a key's value (`GET <base>?<key>=<value>`).
 * Retries refused or dropped connections and 5xx answers (`src/net/`); a
 * timeout (the time limit is the longest a request waits), a 4xx, an
 * oversized or a malformed body is final, and so is a Retry-After: a live
 * request does not wait for one.
 */
export async function askUpstream(
  base: string,
  spec: Pick<CoalesceSpec, "key" | "fields">,
  value: string,
  options: UpstreamOptions = {},
): Promise<SourceAnswer> {
  const url = new URL(base);
  url.searchParams.set(spec.key, value);
  try {
    return await fetchWithRetry(url, {
      headers: ACCEPT_JSON,
      timeoutMs: options.timeoutMs ?? 2000,
      maxBytes: options.maxBytes ?? 64 * 1024,
      attempts: options.attempts ?? 2,
      baseDelayMs: options.retryDelayMs ?? 50,
      retryTimeouts: false,
      maxRetryAfterMs: 0,
      read: (answer) => readAnswer(base, answer, spec.fields),
    });
  } catch (err) {
    if (!(err instanceof FetchError)) throw err;
    return {
      source: base,
      status: "failed",
      error: err.detail,
      ...(err.kind === "timeout" ? { timeout: true } : {}),
    };
  }
}

const ACCEPT_JSON = { accept: "application/json" };

/** A source's answer: its figures, `{}`, or why it cannot be used. */
function readAnswer(source: string, answer: HttpAnswer, fields: readonly string[]): SourceAnswer {
  if (answer.status < 200 || answer.status >= 300) {
    throw new AttemptFailure("status", `HTTP ${answer.status}`, { status: answer.status });
  }
  let body: unknown;
  try {
    body = JSON.parse(answer.text());
  } catch {
    return { source, status: "failed", error: "malformed answer: not JSON" };
  }
  return parseAnswer(source, body, fields);
}
