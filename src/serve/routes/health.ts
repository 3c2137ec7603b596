/**
 * `GET /health`: open whatever the tokens, holding no data, for probes.
 *
 * @module
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps } from "../deps.ts";
import { noQuery } from "../no_query.ts";

const Health = z.object({
  status: z.literal("ok"),
  snapshot: z.string().nullable().openapi({
    description: "When the warehouse snapshot answering now was taken; null before the first",
  }),
  coalesce: z.object({
    model: z.string(),
    key: z.string(),
    landed_keys: z.number().int().openapi({ description: "Keys the model holds" }),
  }).nullable().openapi({ description: "null when coalescing is not configured" }),
  upstreams: z.number().int(),
  upstreams_down: z.number().int(),
  landings_pending: z.number().int().openapi({ description: "Uploads queued or landing" }),
}).openapi("Health");

const route = createRoute({
  method: "get",
  path: "/health",
  summary: "The server is up: its snapshot, coalescing, upstreams and landings",
  description: "Open whatever the tokens: it holds no data.",
  middleware: noQuery,
  responses: {
    200: { description: "Up", content: { "application/json": { schema: Health } } },
    400: {
      description: "A query parameter (it takes none)",
      content: { "application/json": { schema: z.object({ error: z.string() }) } },
    },
  },
});

/** The health route group. */
export function healthRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  app.openapi(route, (c) => {
    const s = deps.snapshot();
    const upstreams = deps.upstreamHealth!.status();
    return c.json({
      status: "ok" as const,
      snapshot: s.takenAt?.toISOString() ?? null,
      coalesce: deps.coalesce
        ? { model: deps.coalesce.model, key: deps.coalesce.key, landed_keys: s.landed.size }
        : null,
      upstreams: deps.upstreams.length,
      upstreams_down: upstreams.filter((u) => u.state === "down").length,
      landings_pending: deps.ingest?.queue.pending ?? 0,
    }, 200);
  });
  return app;
}
