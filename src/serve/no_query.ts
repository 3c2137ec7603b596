/**
 * The query check of the routes that take no query parameters: nothing in
 * a request is silently ignored.
 *
 * @module
 */
import type { Context, Env, Next } from "hono";
import { HttpError } from "./errors.ts";

/**
 * Refuses a request with any query parameter, naming the first.
 *
 * @throws {HttpError} 400 `Unknown query parameter "x": GET /health takes none`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { noQuery } from "./no_query.ts";
 *
 * const app = new Hono().get("/health", noQuery, (c) => c.text("ok"));
 * assert.equal((await app.request("/health")).status, 200);
 * app.onError((err, c) => c.text(err.message, 400));
 * assert.equal(
 *   await (await app.request("/health?verbose=1")).text(),
 *   'Unknown query parameter "verbose": GET /health takes none',
 * );
 * ```
 */
export async function noQuery<P extends string>(c: Context<Env, P>, next: Next): Promise<void> {
  const at = c.req.url.indexOf("?");
  const first = new URLSearchParams(at < 0 ? "" : c.req.url.slice(at + 1)).keys().next();
  if (!first.done) {
    throw new HttpError(
      400,
      `Unknown query parameter ${
        JSON.stringify(first.value)
      }: ${c.req.method} ${c.req.path} takes none`,
    );
  }
  await next();
}
