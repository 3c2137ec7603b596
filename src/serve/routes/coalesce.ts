/**
 * `GET /api/coalescence/{strategy}?member_id=…`: one answer from every
 * source that knows the member — landed (marts.member_benefits) and live
 * upstreams — combined by a strategy.
 *
 * @module
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps } from "../deps.ts";
import { HttpError } from "../errors.ts";
import { askUpstream, type SourceAnswer } from "../upstreams.ts";

const Benefits = z.object({
  oop_max: z.number().int().openapi({
    example: 500000,
    description: "Out-of-pocket maximum, cents",
  }),
  remaining_oop_max: z.number().int().openapi({
    example: 120000,
    description: "What remains of it, cents",
  }),
  copay: z.number().int().openapi({ example: 2500, description: "Copay, cents" }),
}).openapi("Benefits");

const Explained = Benefits.extend({
  strategy: z.string(),
  sources: z.array(z.object({
    source: z.string(),
    status: z.enum(["ok", "unknown", "failed"]),
    values: Benefits.optional(),
    error: z.string().optional(),
  })),
}).openapi("ExplainedBenefits");

const ErrorBody = z.object({ error: z.string() }).passthrough().openapi("Error");

const route = createRoute({
  method: "get",
  path: "/api/coalescence/{strategy}",
  summary: "Coalesced benefits of a member",
  description:
    "Asks every source (landed data and live upstreams) about the member and combines the answers. " +
    "Strategies: default (largest oop_max and remaining_oop_max; largest copay, never above that remaining), " +
    "max, min, avg (per field, rounded to the cent, halves away from zero), mode (most frequent per field; " +
    "a tie goes to the smallest), and any registered in wharf.config.ts.",
  request: {
    params: z.object({ strategy: z.string().openapi({ example: "default" }) }),
    query: z.object({
      member_id: z.string().optional().openapi({ example: "75524163" }),
      explain: z.enum(["true", "false"]).optional().openapi({
        description: "Add which sources answered and how",
      }),
    }),
  },
  responses: {
    200: {
      description: "The coalesced figures",
      content: { "application/json": { schema: Benefits.or(Explained) } },
    },
    400: {
      description: "Unknown strategy or missing member_id",
      content: { "application/json": { schema: ErrorBody } },
    },
    404: {
      description: "No source knows the member",
      content: { "application/json": { schema: ErrorBody } },
    },
    502: {
      description: "Every source failed",
      content: { "application/json": { schema: ErrorBody } },
    },
    504: {
      description: "Every source timed out",
      content: { "application/json": { schema: ErrorBody } },
    },
  },
});

/**
 * The coalescing route group. The hot path reads its two parameters by
 * hand (both are plain strings, checked below) instead of through the
 * schema validator, which would halve its throughput; the schemas above
 * still document it in the OpenAPI spec.
 */
export function coalesceRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  app.openAPIRegistry.registerPath(route);
  app.get("/api/coalescence/:strategy", async (c) => {
    const name = c.req.param("strategy");
    const memberId = c.req.query("member_id");
    const explain = c.req.query("explain");
    const strategy = Object.hasOwn(deps.strategies, name) ? deps.strategies[name] : undefined;
    if (!strategy) {
      throw new HttpError(
        400,
        `Unknown strategy "${name}": use one of ${Object.keys(deps.strategies).join(", ")}`,
      );
    }
    if (!memberId || memberId.trim() === "") {
      throw new HttpError(400, "Missing member_id: pass ?member_id=<id>");
    }
    const snapshot = deps.snapshot();
    const landed = snapshot.benefits.get(memberId);
    // The common case, landed data and no live upstreams: no lists to build.
    if (landed && deps.upstreams.length === 0 && explain !== "true") {
      return c.json(
        strategy(landed.length === 1 ? [landed[0]!.values] : landed.map((l) => l.values)),
        200,
      );
    }
    const answers: SourceAnswer[] = [];
    if (landed) {
      for (const l of landed) {
        answers.push({ source: `landed:${l.source}`, status: "ok", values: l.values });
      }
    } else if (snapshot.db) {
      answers.push({ source: "landed", status: "unknown" });
    }
    answers.push(
      ...await Promise.all(
        deps.upstreams.map((u) => askUpstream(u, memberId, deps.upstreamOptions)),
      ),
    );
    const ok = answers.flatMap((a) => a.status === "ok" ? [a.values] : []);
    if (ok.length === 0) {
      const failed = answers.filter((a): a is Extract<SourceAnswer, { status: "failed" }> =>
        a.status === "failed"
      );
      if (answers.length > 0 && failed.length === answers.length) {
        const allTimedOut = failed.every((f) => f.timeout);
        throw new HttpError(
          allTimedOut ? 504 : 502,
          `Every source failed for member ${memberId}: ${
            failed.map((f) => `${f.source} (${f.error})`).join(", ")
          }`,
          { sources: answers },
        );
      }
      throw new HttpError(
        404,
        `No info found for member ${memberId}`,
        explain === "true" ? { sources: answers } : {},
      );
    }
    const result = strategy(ok);
    if (explain === "true") return c.json({ ...result, strategy: name, sources: answers }, 200);
    return c.json(result, 200);
  });
  return app;
}
