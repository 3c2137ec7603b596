/**
 * The methods a path answers, for a 405's `Allow` header: a wrong method on
 * a known path is not a 404.
 *
 * @module
 */
import { TrieRouter } from "hono/router/trie-router";
import type { RouterRoute } from "hono/types";

/**
 * A lookup of the methods `routes` answer on a path, HEAD wherever GET is
 * (Hono answers HEAD with the GET route). Middleware (method `ALL`) does
 * not count.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Hono } from "hono";
 * import { allowedMethods } from "./allowed_methods.ts";
 *
 * const app = new Hono().get("/health", (c) => c.text("ok")).post("/items/:id", (c) => c.text(""));
 * const allowed = allowedMethods(app.routes);
 * assert.deepEqual(allowed("/health"), ["GET", "HEAD"]);
 * assert.deepEqual(allowed("/items/7"), ["POST"]);
 * assert.deepEqual(allowed("/nowhere"), []);
 * ```
 */
export function allowedMethods(routes: readonly RouterRoute[]): (path: string) => string[] {
  const router = new TrieRouter<string>();
  for (const r of routes) if (r.method !== "ALL") router.add("ALL", r.path, r.method);
  return (path) => {
    const methods = new Set(router.match("GET", path)[0].map(([method]) => method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };
}
