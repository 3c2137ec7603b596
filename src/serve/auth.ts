/**
 * Who may call what. Uploads need the write token (`serve.token`,
 * WHARF_API_TOKEN). Once any token is set — the write token or the read
 * token (`serve.readToken`, WHARF_API_READ_TOKEN) — every read needs one of
 * them too, since models, rows, coalescing answers and the docs hold
 * the project's data. Open whatever the tokens: `/health`, and the API's own
 * description (`/openapi.json`, `/docs/api`), which holds no data.
 *
 * A token comes as `Authorization: Bearer <token>`, or as the password of
 * HTTP Basic authentication (any user name), which lets a browser open
 * `/docs` with its own login prompt.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { HttpError } from "./errors.ts";

const encoder = new TextEncoder();

/** Compares secrets in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The token an `Authorization` header carries (Bearer, or Basic's password). */
export function presentedToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer) return bearer[1]!.trim();
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) return undefined;
  try {
    const decoded = new TextDecoder().decode(
      Uint8Array.from(atob(basic[1]!), (c) => c.charCodeAt(0)),
    );
    const colon = decoded.indexOf(":");
    return colon === -1 ? undefined : decoded.slice(colon + 1);
  } catch {
    return undefined;
  }
}

/** The challenge sent with a 401: Bearer for programs, Basic for a browser's prompt. */
export const CHALLENGE = 'Bearer realm="wharf", Basic realm="wharf", charset="UTF-8"';

/**
 * Checks `header` against `tokens`.
 *
 * @throws {HttpError} 401 without a token, 403 with a wrong one.
 */
export function requireToken(
  tokens: readonly string[],
  header: string | undefined,
  what: string,
): void {
  const token = presentedToken(header);
  if (!token) {
    throw new HttpError(
      401,
      `Missing token: ${what} need${what.endsWith("s") ? "" : "s"} Authorization: Bearer <token>`,
      {},
      { "WWW-Authenticate": CHALLENGE },
    );
  }
  let ok = false;
  for (const t of tokens) ok = sameSecret(token, t) || ok;
  if (!ok) throw new HttpError(403, "Wrong token");
}

/** Paths anyone may read, whatever the tokens. */
function isOpen(path: string): boolean {
  return path === "/health" || path === "/openapi.json" || path === "/docs/api" ||
    path.startsWith("/docs/api/");
}

/**
 * Requires one of `tokens` on every read but the open paths (see the
 * module doc); the ingest routes check their own token. No tokens: reads
 * are open (the server then listens on loopback only).
 */
export function readAccess(tokens: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    if (tokens.length > 0 && !isOpen(c.req.path) && !c.req.path.startsWith("/api/ingest/")) {
      requireToken(tokens, c.req.header("authorization"), "reads");
    }
    await next();
  };
}
