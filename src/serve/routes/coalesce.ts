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
import { UpstreamHealth } from "../upstream_health.ts";
import type { SourceAnswer } from "../upstreams.ts";

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
      description: "Every source answered, and none knows the member",
      content: { "application/json": { schema: ErrorBody } },
    },
    502: {
      description:
        "No source that answered knows the member, and some failed: the answer is unknown (they are named)",
      content: { "application/json": { schema: ErrorBody } },
    },
    504: {
      description: "As 502, when every failed source timed out",
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
  const health = deps.upstreamHealth ?? new UpstreamHealth();
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
    if (
      landed && deps.upstreams.length === 0 && explain !== "true" && landed.every((l) => !l.error)
    ) {
      return c.json(
        strategy(landed.length === 1 ? [landed[0]!.values] : landed.map((l) => l.values)),
        200,
      );
    }
    const answers: SourceAnswer[] = [];
    if (landed) {
      for (const l of landed) {
        answers.push(
          l.error
            ? { source: `landed:${l.source}`, status: "failed", error: l.error, badValues: true }
            : { source: `landed:${l.source}`, status: "ok", values: l.values },
        );
      }
    } else if (snapshot.db) {
      answers.push({ source: "landed", status: "unknown" });
    }
    answers.push(
      ...await Promise.all(
        deps.upstreams.map((u) => health.ask(u, memberId, deps.upstreamOptions)),
      ),
    );
    const shown = () => answers.map(publicAnswer);
    const ok = answers.flatMap((a) => a.status === "ok" ? [a.values] : []);
    if (ok.length === 0) {
      const failed = answers.filter((a): a is Extract<SourceAnswer, { status: "failed" }> =>
        a.status === "failed"
      );
      if (failed.length > 0) {
        const named = failed.map((f) => `${f.source} (${f.error})`).join(", ");
        throw new HttpError(
          failed.every((f) => f.timeout) ? 504 : 502,
          failed.length === answers.length
            ? `Every source failed for member ${memberId}: ${named}`
            : `No source that answered knows member ${memberId}, and ${failed.length} ${
              failed.length === 1 ? "source" : "sources"
            } failed, so the answer is unknown: ${named}`,
          { sources: shown() },
        );
      }
      throw new HttpError(
        404,
        `No info found for member ${memberId}`,
        explain === "true" ? { sources: shown() } : {},
      );
    }
    const result = strategy(ok);
    if (explain === "true") return c.json({ ...result, strategy: name, sources: shown() }, 200);
    return c.json(result, 200);
  });
  return app;
}

/** A source's answer as the API shows it: no internal flags. */
function publicAnswer(a: SourceAnswer): Record<string, unknown> {
  if (a.status === "ok") return { source: a.source, status: a.status, values: a.values };
  if (a.status === "unknown") return { source: a.source, status: a.status };
  return {
    source: a.source,
    status: a.status,
    error: a.error,
    ...(a.timeout ? { timeout: true } : {}),
  };
}
