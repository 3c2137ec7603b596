/**
 * The wharf API as a Hono app built from injected dependencies. Only
 * `cli/serve.ts` puts it on a socket; tests call `app.request()` or start
 * a real listener.
 *
 * @module
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { secureHeaders } from "hono/secure-headers";
import { WarehouseError } from "../engine/errors.ts";
import { allowedMethods } from "./allowed_methods.ts";
import { readAccess } from "./auth.ts";
import type { AppDeps } from "./deps.ts";
import { errorResponse, HttpError } from "./errors.ts";
import { coalesceRoutes } from "./routes/coalesce.ts";
import { mountDocs } from "./routes/docs.ts";
import { docsSiteRoutes } from "./routes/docs_site.ts";
import { healthRoutes } from "./routes/health.ts";
import { ingestRoutes } from "./routes/ingest.ts";
import { modelRoutes } from "./routes/models.ts";
import { UpstreamHealth } from "./upstream_health.ts";
import denoJson from "../../deno.json" with { type: "json" };

/**
 * Builds the API.
 *
 * @example A shop's prices, landed by two shops, coalesced (`Deno.serve(app.fetch)` serves it)
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "./app.ts";
 * import { BUILTIN_STRATEGIES } from "./strategies/index.ts";
 *
 * const landed = new Map([["1001", [
 *   { source: "shop_a", values: { price: 300 } },
 *   { source: "shop_b", values: { price: 200 } },
 * ]]]);
 * const app = createApp({
 *   snapshot: () => ({ landed }),
 *   project: () => Promise.resolve(undefined),
 *   coalesce: { model: "marts.prices", key: "sku", source: "shop", fields: ["price"] },
 *   strategies: BUILTIN_STRATEGIES,
 *   upstreams: [],
 * });
 * const res = await app.request("/api/coalescence/min?sku=1001");
 * assert.deepEqual(await res.json(), { price: 200 });
 * assert.equal((await app.request("/api/coalescence/min?sku=9")).status, 404);
 * ```
 */
export function createApp(appDeps: AppDeps): OpenAPIHono {
  const deps: AppDeps = {
    ...appDeps,
    upstreamHealth: appDeps.upstreamHealth ?? new UpstreamHealth(),
  };
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const where = issue?.path.join(".") || "request";
        return c.json({ error: `Invalid ${where}: ${issue?.message ?? "bad request"}` }, 400);
      }
    },
  });
  // Hono answers HEAD with the GET route's response, its body dropped; the length is the body's.
  app.use(async (c, next) => {
    await next();
    if (c.req.method === "HEAD" && c.res.body && !c.res.headers.has("content-length")) {
      c.header("content-length", String((await c.res.arrayBuffer()).byteLength));
    }
  });
  app.use(secureHeaders());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    deps.log?.({
      time: new Date().toISOString(),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 100) / 100,
    });
  });
  // The methods each path answers; every route is registered by the first request.
  let allowed: ((path: string) => string[]) | undefined;
  const methodsOf = (path: string) => (allowed ??= allowedMethods(app.routes))(path);
  if (deps.readTokens?.length) {
    app.use(readAccess(deps.readTokens, (path) => methodsOf(path).length > 0));
  }
  for (
    const group of [healthRoutes(deps), coalesceRoutes(deps), ingestRoutes(deps), modelRoutes(deps)]
  ) {
    app.route("/", group);
  }
  mountDocs(app, denoJson.version, deps.coalesce);
  app.route("/", docsSiteRoutes(deps));
  app.notFound((c) => {
    const allow = methodsOf(c.req.path);
    if (allow.length > 0) {
      return errorResponse(
        c,
        new HttpError(
          405,
          `Method ${c.req.method} is not allowed on ${c.req.path}: it answers ${allow.join(", ")}`,
          {},
          { Allow: allow.join(", ") },
        ),
      );
    }
    return c.json(
      { error: `No route for ${c.req.method} ${c.req.path}: GET /openapi.json lists the API` },
      404,
    );
  });
  app.onError((err, c) => {
    if (err instanceof HttpError) return errorResponse(c, err);
    if (err instanceof WarehouseError) {
      return errorResponse(
        c,
        new HttpError(503, `The warehouse is busy: ${err.message}`, {}, { "Retry-After": "5" }),
      );
    }
    deps.log?.({
      time: new Date().toISOString(),
      level: "error",
      path: c.req.path,
      error: err instanceof Error ? err.stack : String(err),
    });
    return c.json({ error: "Internal error: see the server log" }, 500);
  });
  return app;
}
