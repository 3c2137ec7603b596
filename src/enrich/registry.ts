/**
 * One request to the CMS NPPES NPI Registry API (v2.1), classified: what to
 * keep, what to retry, what is final. The registry answers validation
 * errors with HTTP 200 and an `Errors` body, an unknown NPI with
 * `result_count: 0`, and maintenance pages as HTML.
 *
 * @module
 */
import { FetchError } from "../engine/errors.ts";
import { AttemptFailure } from "../net/attempt_failure.ts";
import { fetchWithRetry, type HttpAnswer } from "../net/fetch_with_retry.ts";

/** The public registry. */
export const NPI_REGISTRY = "https://npiregistry.cms.hhs.gov/api/";

/** What one request came to. */
export type RegistryOutcome =
  | { kind: "enriched"; status: number; body: unknown }
  | { kind: "not_found"; status: number; body: unknown }
  | { kind: "rejected"; status: number; body: unknown; error: string }
  | {
    kind: "retry";
    status?: number;
    error: string;
    /** The wait the registry asked for (a valid Retry-After), ms. */
    retryAfterMs?: number;
    /** The Retry-After header as sent, valid or not. */
    retryAfter?: string;
  };

/** The registry's URL for one NPI. */
export function registryUrl(base: string, npi: string): URL {
  const url = new URL(base);
  url.searchParams.set("version", "2.1");
  url.searchParams.set("number", npi);
  return url;
}

/** Request headers of a registry request. */
export const REGISTRY_HEADERS = { accept: "application/json" };

/**
 * Judges an answer of the registry about `npi` (one whose status is not
 * retried by itself: 408, 429 and 5xx are).
 *
 * @returns The outcome: enriched, not found, or rejected for good.
 * @throws {AttemptFailure} kind `invalid` (retryable) for what is worth
 *   asking again: a body that is not JSON (a maintenance page), an answer
 *   without results, or one about another NPI.
 */
export function readRegistryAnswer(
  answer: HttpAnswer,
  npi: string,
): Exclude<RegistryOutcome, { kind: "retry" }> {
  const { status } = answer;
  let body: unknown;
  try {
    body = JSON.parse(answer.text());
  } catch {
    // A status asking nothing again (400, 404…) is final whatever its body (kept as text).
    if (status < 200 || status >= 300) {
      return { kind: "rejected", status, body: answer.text(), error: `HTTP ${status}` };
    }
    throw new AttemptFailure(
      "invalid",
      `HTTP ${status} with a body that is not JSON (maintenance page?)`,
      { status },
    );
  }
  if (status < 200 || status >= 300) {
    return { kind: "rejected", status, body, error: `HTTP ${status}` };
  }
  const o = (body ?? {}) as {
    Errors?: { description?: string; field?: string }[];
    result_count?: unknown;
    results?: { number?: unknown }[];
  };
  if (Array.isArray(o.Errors) && o.Errors.length) {
    return {
      kind: "rejected",
      status,
      body,
      error: o.Errors.map((e) => `${e.field ?? "?"}: ${e.description ?? "error"}`).join("; "),
    };
  }
  if (!Array.isArray(o.results)) {
    throw new AttemptFailure("invalid", "answer without results", { status });
  }
  if (Number(o.result_count ?? o.results.length) === 0 || o.results.length === 0) {
    return { kind: "not_found", status, body };
  }
  // The models read the result whose number is the NPI asked for: an answer
  // without one is about someone else (a search endpoint, a wrong URL).
  if (!o.results.some((r) => String(r?.number) === npi)) {
    throw new AttemptFailure(
      "invalid",
      `the answer holds no result for NPI ${npi} (${o.results.length} other${
        o.results.length === 1 ? "" : "s"
      }): is --registry the NPI Registry API?`,
      { status },
    );
  }
  return { kind: "enriched", status, body };
}

/**
 * Asks the registry about one NPI, once: what is worth another attempt comes
 * back as a `retry` outcome (`enrichNpis` retries; this is the single step).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { queryRegistry } from "./registry.ts";
 * const answer = { result_count: 1, results: [{ number: "1234567893" }] };
 * await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   Response.json(answer));
 * const outcome = await queryRegistry(`http://127.0.0.1:${server.addr.port}/api/`, "1234567893", {
 *   timeoutMs: 10_000,
 * });
 * assert.equal(outcome.kind, "enriched");
 * ```
 */
export async function queryRegistry(
  base: string,
  npi: string,
  options: { timeoutMs: number },
): Promise<RegistryOutcome> {
  try {
    return await fetchWithRetry(registryUrl(base, npi), {
      headers: REGISTRY_HEADERS,
      timeoutMs: options.timeoutMs,
      attempts: 1,
      read: (answer) => readRegistryAnswer(answer, npi),
    });
  } catch (err) {
    if (!(err instanceof FetchError)) throw err;
    return {
      kind: "retry",
      status: err.status,
      error: err.detail,
      retryAfterMs: err.retryAfterMs,
      retryAfter: err.retryAfter,
    };
  }
}
