/**
 * `GET /api/coalescence/{strategy}?<key>=…`: one answer from every source
 * that knows the key — landed (the rows of the model `serve.coalesce` names)
 * and live upstreams — combined by a strategy. The key, the fields and the
 * model are the project's (`serve.coalesce`); without it the routes answer
 * 404 saying what to configure.
 *
 * @module
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { ConfigError } from "../../engine/errors.ts";
import type { CoalesceSpec } from "../coalesce_config.ts";
import type { AppDeps } from "../deps.ts";
import { HttpError } from "../errors.ts";
import { closest } from "../../engine/suggest.ts";
import { type Figures, MAX_AMOUNT, type Strategy } from "../strategies.ts";
import { BUILTIN_STRATEGIES } from "../strategies/index.ts";
import { type TokenDocs, tokenDocs } from "../token_docs.ts";
import { UpstreamHealth } from "../upstream_health.ts";
import { UpstreamAnswers } from "../upstream_answers.ts";
import type { SourceAnswer } from "../upstreams.ts";
import type { LandedAnswer } from "../landed.ts";

const ErrorBody = z.object({ error: z.string() }).passthrough().openapi("Error");

/** The header of an answer that left sources out: each with why, in short. */
const LEFT_OUT_HEADER = "Wharf-Sources-Left-Out";

/** What the built-in strategies do, for the API's description. */
const BUILTIN_DOC: Record<string, string> = {
  max: "max (per field)",
  min: "min (per field)",
  avg: "avg (per field, rounded to an integer, halves away from zero)",
  mode: "mode (most frequent per field; a tie goes to the smallest)",
};

/** The route as the OpenAPI document describes it: the configured key and fields. */
function describe(
  spec: CoalesceSpec,
  strategies: Readonly<Record<string, Strategy>>,
  access: TokenDocs,
) {
  const amount = (f: string) =>
    z.number().int().min(0).max(MAX_AMOUNT).openapi({
      description: `Column ${f} of ${spec.model}: an integer amount from 0 to ${MAX_AMOUNT}`,
    });
  const figures = z.object(Object.fromEntries(spec.fields.map((f) => [f, amount(f)])))
    .openapi("Figures");
  const explained = figures.extend({
    strategy: z.string(),
    sources: z.array(z.object({
      source: z.string(),
      status: z.enum(["ok", "unknown", "failed"]),
      values: figures.optional(),
      ...(spec.asOf
        ? {
          as_of: z.string().nullable().optional().openapi({
            description: `A landed source's ${spec.asOf}`,
          }),
        }
        : {}),
      error: z.string().optional(),
      timeout: z.boolean().optional(),
      ...(spec.rejected
        ? {
          rejected: z.array(z.string()).optional().openapi({
            description:
              `A landed source left out because its figures were rejected: why (${spec.rejected.reason} of ${spec.rejected.relation})`,
          }),
        }
        : {}),
    })),
  }).openapi("ExplainedFigures");
  const names = Object.keys(strategies);
  const builtin = names.filter((n) => BUILTIN_STRATEGIES[n] === strategies[n]);
  const own = names.filter((n) => !builtin.includes(n));
  const label = labelOf(spec.key);
  return createRoute({
    method: "get",
    path: "/api/coalescence/{strategy}",
    summary: `Coalesced ${spec.fields.join(", ")} of a ${label}`,
    description:
      `Asks every source (the rows of ${spec.model} and live upstreams) about the ${label} and combines the answers. ` +
      (spec.rejected
        ? `A landed source whose figures for the ${label} were rejected (rows in ${spec.rejected.relation}, none in ${spec.model}) counts as failed, with the reasons: the others answer, and when none does the answer is unknown (502), not 404. `
        : "") +
      `Strategies: ${builtin.map((n) => BUILTIN_DOC[n] ?? n).join(", ")}${
        own.length ? `; the project's own (wharf.config.ts): ${own.join(", ")}` : ""
      }.`,
    security: access.security,
    request: {
      params: z.object({
        strategy: names.length ? z.enum(names as [string, ...string[]]) : z.string(),
      }),
      query: z.object({
        [spec.key]: z.string().min(1).openapi({
          description: `The ${spec.key} to answer for (surrounding whitespace is trimmed)`,
        }),
        explain: z.enum(["true", "false"]).optional().openapi({
          description: "Add which sources answered and how",
        }),
      }),
    },
    responses: {
      ...access.responses,
      200: {
        description: "The coalesced figures",
        headers: z.object({
          [LEFT_OUT_HEADER]: z.string().optional().openapi({
            description:
              "Only when sources failed and the others answered: the sources left out, each with why in short (timeout, down, HTTP 503, connection failed, malformed answer, figures rejected …; ?explain=true says more)",
            example: "http://nirvana-b/benefits (timeout), http://nirvana-c/benefits (HTTP 503)",
          }),
        }),
        content: { "application/json": { schema: figures.or(explained) } },
      },
      400: {
        description:
          `Unknown strategy, ${spec.key} missing or given twice, explain other than true or false, or an unknown query parameter`,
        content: { "application/json": { schema: ErrorBody } },
      },
      404: {
        description: `Every source answered, and none knows the ${label}`,
        content: { "application/json": { schema: ErrorBody } },
      },
      502: {
        description: `No source that answered knows the ${label}, and some failed${
          spec.rejected ? " (or had their figures rejected)" : ""
        }: the answer is unknown (they are named)`,
        content: { "application/json": { schema: ErrorBody } },
      },
      504: {
        description: "As 502, when every failed source timed out",
        content: { "application/json": { schema: ErrorBody } },
      },
    },
  });
}

/**
 * What messages call the thing a key names: the key without a trailing
 * `_id` (`customer_id` → "customer"), underscores as spaces.
 */
function labelOf(key: string): string {
  return key.replace(/_?id$/i, "").replaceAll("_", " ") || key;
}

/**
 * The coalescing route group, for `deps.coalesce`; without it, routes that
 * answer 404 saying what to configure. The hot path reads its parameters by
 * hand (plain strings, checked below) instead of through the schema
 * validator, which would halve its throughput; the schemas still document
 * it in the OpenAPI spec.
 */
export function coalesceRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const spec = deps.coalesce;
  if (!spec) {
    const unconfigured = () => {
      throw new HttpError(
        404,
        "Coalescing is not configured: name the model holding the sources' figures (one row per key and source), its key and its fields in wharf.config.ts, serve: { coalesce: { model, key, fields } }",
      );
    };
    app.all("/api/coalescence", unconfigured);
    app.all("/api/coalescence/*", unconfigured);
    return app;
  }
  const { key, fields } = spec;
  const label = labelOf(key);
  const health = deps.upstreamHealth ?? new UpstreamHealth();
  const upstreams = deps.upstreamAnswers ??
    new UpstreamAnswers((u, value) => health.ask(u, spec, value, deps.upstreamOptions));
  app.openAPIRegistry.registerPath(
    describe(spec, deps.strategies, tokenDocs(!!deps.readTokens?.length, "Wrong token")),
  );
  app.get("/api/coalescence/:strategy", async (c) => {
    const name = c.req.param("strategy");
    const strategy = Object.hasOwn(deps.strategies, name) ? deps.strategies[name] : undefined;
    if (!strategy) {
      throw new HttpError(
        400,
        `Unknown strategy "${name}": use one of ${Object.keys(deps.strategies).join(", ")}`,
      );
    }
    const { value, explain } = coalesceQuery(c.req.url, key);
    const snapshot = deps.snapshot();
    const landed = snapshot.landed.get(value);
    // The common case, landed data and no live upstreams: only the figures.
    if (landed && deps.upstreams.length === 0 && !explain) {
      const figures = landedFigures(landed);
      if (figures) return c.json(checked(name, strategy(figures), fields), 200);
    }
    const answers: SourceAnswer[] = [];
    if (landed) {
      for (const l of landed) {
        answers.push(
          l.error !== undefined
            ? {
              source: `landed:${l.source}`,
              status: "failed",
              error: l.error,
              badValues: true,
              ...(l.rejected ? { rejected: l.rejected } : {}),
            }
            : {
              source: `landed:${l.source}`,
              status: "ok",
              values: l.values,
              ...(l.asOf === undefined ? {} : { asOf: l.asOf }),
            },
        );
      }
    } else if (snapshot.db) {
      answers.push({ source: "landed", status: "unknown" });
    }
    answers.push(
      ...await Promise.all(
        deps.upstreams.map((u) => upstreams.get(u, value)),
      ),
    );
    const shown = () => answers.map(publicAnswer);
    const ok: Figures[] = [];
    let failures = 0;
    for (const a of answers) {
      if (a.status === "ok") ok.push(a.values);
      else if (a.status === "failed") failures++;
    }
    if (ok.length === 0) {
      const failed = answers.filter((a): a is Extract<SourceAnswer, { status: "failed" }> =>
        a.status === "failed"
      );
      if (failed.length > 0) {
        const named = failed.map((f) => `${f.source} (${f.error})`).join(", ");
        throw new HttpError(
          failed.every((f) => f.timeout) ? 504 : 502,
          failed.length === answers.length
            ? `Every source failed for ${label} ${value}: ${named}`
            : `No source that answered knows ${label} ${value}, and ${failed.length} ${
              failed.length === 1 ? "source" : "sources"
            } failed, so the answer is unknown: ${named}`,
          { sources: shown() },
        );
      }
      throw new HttpError(
        404,
        `No info found for ${label} ${value}`,
        explain ? { sources: shown() } : {},
      );
    }
    const result = checked(name, strategy(ok), fields);
    if (failures > 0) c.header(LEFT_OUT_HEADER, leftOut(answers));
    if (explain) return c.json({ ...result, strategy: name, sources: shown() }, 200);
    return c.json(result, 200);
  });
  return app;
}

/**
 * The key's value, its surrounding whitespace trimmed, and `explain` of a
 * request's query string (every parameter, each once), checked as the
 * OpenAPI document describes them.
 *
 * @throws {HttpError} 400 for an unknown parameter (naming the known ones), a
 * parameter given twice, a missing or blank key, or an `explain` other than
 * `true` or `false`.
 */
function coalesceQuery(url: string, key: string): { value: string; explain: boolean } {
  const at = url.indexOf("?");
  const query = new URLSearchParams(at < 0 ? "" : url.slice(at + 1));
  const known = [key, "explain"];
  for (const name of new Set(query.keys())) {
    if (!known.includes(name)) {
      const guess = closest(name, known);
      throw new HttpError(
        400,
        `Unknown query parameter "${name}"${
          guess ? ` (did you mean "${guess}"?)` : ""
        }: the parameters are ${known.join(" and ")}`,
      );
    }
    if (query.getAll(name).length > 1) throw new HttpError(400, `Give ${name} once`);
  }
  // Keys are stored trimmed (staging cleans them): " 1" asks for "1".
  const value = query.get(key)?.trim();
  if (!value) {
    throw new HttpError(400, `Missing ${key}: pass ?${key}=<id>`);
  }
  const explain = query.get("explain");
  if (explain !== null && explain !== "true" && explain !== "false") {
    throw new HttpError(
      400,
      `Invalid explain "${explain}": use true or false (or leave it out)`,
    );
  }
  return { value, explain: explain === "true" };
}

/** The figures of every landed answer, or undefined when one of them cannot be used. */
function landedFigures(landed: readonly LandedAnswer[]): Figures[] | undefined {
  const figures: Figures[] = new Array(landed.length);
  for (let i = 0; i < landed.length; i++) {
    const l = landed[i]!;
    if (l.error !== undefined) return undefined;
    figures[i] = l.values;
  }
  return figures;
}

/** What is wrong with a strategy's answer, or undefined when it is exactly the fields, as numbers. */
function answerProblem(result: unknown, fields: readonly string[]): string | undefined {
  if (result === null || typeof result !== "object") return JSON.stringify(result);
  const r = result as Record<string, unknown>;
  const bad = fields.find((f) => typeof r[f] !== "number" || !Number.isFinite(r[f]));
  if (bad === undefined) {
    const extra = Object.keys(r).find((k) => !fields.includes(k));
    return extra === undefined ? undefined : `a field "${extra}" it should not have`;
  }
  const v = r[bad];
  return `${bad} ${typeof v === "number" ? v : JSON.stringify(v) ?? "missing"}`;
}

/**
 * `result` when it is exactly the configured fields, each a finite number.
 *
 * @throws {ConfigError} naming the strategy otherwise (a bug of the
 * project's strategy: the server logs it and answers 500).
 */
function checked(name: string, result: unknown, fields: readonly string[]): Figures {
  const problem = answerProblem(result, fields);
  if (problem === undefined) return result as Figures;
  throw new ConfigError(
    `Strategy "${name}" answered ${problem}: a strategy answers a number for each of ${
      fields.join(", ")
    } (serve.coalesce.fields) and nothing else`,
  );
}

/**
 * The failed sources as {@linkcode LEFT_OUT_HEADER} names them:
 * `<source> (<why>), …`, why being `down`, `timeout` or the error's first
 * clause (`HTTP 503`, `malformed answer`, `figures rejected`). Anything
 * but printable ASCII, commas and percent signs are percent-encoded: a header
 * holds no other text, and the commas separate the sources.
 */
function leftOut(answers: readonly SourceAnswer[]): string {
  const named: string[] = [];
  for (const a of answers) {
    if (a.status !== "failed") continue;
    const colon = a.error.indexOf(":");
    const why = a.down
      ? "down"
      : a.timeout
      ? "timeout"
      : colon < 0
      ? a.error
      : a.error.slice(0, colon);
    named.push(`${a.source} (${why})`.replace(/[^\x20-\x7e]|[,%]/gu, encodeURIComponent));
  }
  return named.join(", ");
}

/** A source's answer as the API shows it: no internal flags. */
function publicAnswer(a: SourceAnswer): Record<string, unknown> {
  if (a.status === "ok") {
    return {
      source: a.source,
      status: a.status,
      values: a.values,
      ...(a.asOf === undefined ? {} : { as_of: a.asOf }),
      ...(a.ageMs === undefined ? {} : { cached_ms_ago: a.ageMs }),
    };
  }
  if (a.status === "unknown") {
    return {
      source: a.source,
      status: a.status,
      ...(a.ageMs === undefined ? {} : { cached_ms_ago: a.ageMs }),
    };
  }
  return {
    source: a.source,
    status: a.status,
    error: a.error,
    ...(a.timeout ? { timeout: true } : {}),
    ...(a.rejected ? { rejected: a.rejected } : {}),
  };
}
