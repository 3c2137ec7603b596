/**
 * Who may call what. Uploads need the write token (`serve.token`,
 * WHARF_API_TOKEN). Once any token is set — the write token or the read
 * token (`serve.readToken`, WHARF_API_READ_TOKEN) — every read needs one of
 * them too, since models, rows, coalescing answers and the docs hold
 * the project's data. Open whatever the tokens: `/health`, and the API's own
 * description (`/openapi.json`, `/docs/api`), which holds no data; and a
 * path no route answers, which is a 404 whatever the token.
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

/** Options of {@linkcode requireToken}. */
export interface RequireTokenOptions {
  /** The tokens that allow the request. */
  tokens: readonly string[];
  /** What needs them, for the 401's message ("reads", "uploads"). */
  what: string;
  /**
   * Tokens valid for reads that do not allow this request, and what to say
   * when one of them comes (the 403's message); absent: any token not in
   * `tokens` is wrong.
   */
  readOnly?: { tokens: readonly string[]; message: string };
}

/**
 * Checks the token an `Authorization` header carries.
 *
 * @throws {HttpError} 401 without a token; 403 with a read-only token
 * (`options.readOnly`'s message) or a wrong one.
 */
export function requireToken(header: string | undefined, options: RequireTokenOptions): void {
  const { tokens, what, readOnly } = options;
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
  if (ok) return;
  let reads = false;
  for (const t of readOnly?.tokens ?? []) reads = sameSecret(token, t) || reads;
  throw new HttpError(403, reads ? readOnly!.message : "Wrong token");
}

/** Paths anyone may read, whatever the tokens. */
function isOpen(path: string): boolean {
  return path === "/health" || path === "/openapi.json" || path === "/docs/api" ||
    path.startsWith("/docs/api/");
}

/**
 * Requires one of `tokens` on every read of a path the API answers but the
 * open paths (see the module doc); the ingest routes check their own token.
 * A path no route answers (`known` false) needs none: it is a 404 with or
 * without a token. No tokens: reads are open (the server then listens on
 * loopback only).
 */
export function readAccess(
  tokens: readonly string[],
  known: (path: string) => boolean,
): MiddlewareHandler {
  return async (c, next) => {
    const path = c.req.path;
    if (
      tokens.length > 0 && !isOpen(path) && !path.startsWith("/api/ingest/") && known(path)
    ) {
      requireToken(c.req.header("authorization"), { tokens, what: "reads" });
    }
    await next();
  };
}
