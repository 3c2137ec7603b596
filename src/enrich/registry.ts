/**
 * One request to the CMS NPPES NPI Registry API (v2.1), classified: what to
 * keep, what to retry, what is final. The registry answers validation
 * errors with HTTP 200 and an `Errors` body, an unknown NPI with
 * `result_count: 0`, and maintenance pages as HTML.
 *
 * @module
 */

/** The public registry. */
export const NPI_REGISTRY = "https://npiregistry.cms.hhs.gov/api/";

/** What one request came to. */
export type RegistryOutcome =
  | { kind: "enriched"; status: number; body: unknown }
  | { kind: "not_found"; status: number; body: unknown }
  | { kind: "rejected"; status: number; body: unknown; error: string }
  | { kind: "retry"; status?: number; error: string; retryAfterMs?: number };

/** Reads a Retry-After header (seconds or an HTTP date) as milliseconds. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Asks the registry about one NPI.
 *
 * @example
 * ```ts ignore
 * const outcome = await queryRegistry(NPI_REGISTRY, "1234567893", { timeoutMs: 10_000 });
 * ```
 */
export async function queryRegistry(
  base: string,
  npi: string,
  options: { timeoutMs: number },
): Promise<RegistryOutcome> {
  const url = new URL(base);
  url.searchParams.set("version", "2.1");
  url.searchParams.set("number", npi);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { signal: controller.signal, headers: { accept: "application/json" } });
    text = await res.text();
  } catch (err) {
    return {
      kind: "retry",
      error: controller.signal.aborted
        ? `timed out after ${options.timeoutMs} ms`
        : `connection failed: ${(err as Error).message}`,
    };
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 429 || res.status >= 500) {
    return {
      kind: "retry",
      status: res.status,
      error: `HTTP ${res.status}`,
      retryAfterMs: retryAfterMs(res.headers.get("retry-after")),
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return {
      kind: "retry",
      status: res.status,
      error: `HTTP ${res.status} with a body that is not JSON (maintenance page?)`,
    };
  }
  if (!res.ok) return { kind: "rejected", status: res.status, body, error: `HTTP ${res.status}` };
  const o = (body ?? {}) as {
    Errors?: { description?: string; field?: string }[];
    result_count?: unknown;
    results?: unknown[];
  };
  if (Array.isArray(o.Errors) && o.Errors.length) {
    return {
      kind: "rejected",
      status: res.status,
      body,
      error: o.Errors.map((e) => `${e.field ?? "?"}: ${e.description ?? "error"}`).join("; "),
    };
  }
  if (!Array.isArray(o.results)) {
    return { kind: "retry", status: res.status, error: "answer without results" };
  }
  if (Number(o.result_count ?? o.results.length) === 0 || o.results.length === 0) {
    return { kind: "not_found", status: res.status, body };
  }
  return { kind: "enriched", status: res.status, body };
}
