/**
 * Read-only model access: the catalog, one model's columns, tests and
 * lineage, and its rows with filters on known columns. No endpoint takes
 * SQL: identifiers are checked against the project and quoted, values are
 * bound parameters.
 *
 * @module
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { quoteIdent, quoteRelation } from "../../engine/db/sql.ts";
import type { ModelNode } from "../../engine/types.ts";
import { builtMaterialization } from "../../engine/materializations/index.ts";
import type { AppDeps } from "../deps.ts";
import { HttpError } from "../errors.ts";
import { closest } from "../../engine/suggest.ts";
import { noQuery } from "../no_query.ts";
import { type TokenDocs, tokenDocs } from "../token_docs.ts";

/** Largest page of rows. */
export const MAX_LIMIT = 1000;

const ErrorBody = z.object({ error: z.string() }).passthrough();
const Name = z.string().regex(/^[a-z_][a-z0-9_]*$/, "lower-case letters, digits and underscores");

const listRoute = (access: TokenDocs) =>
  createRoute({
    method: "get",
    path: "/api/models",
    summary: "The project's models with their last build",
    middleware: noQuery,
    security: access.security,
    responses: {
      ...access.responses,
      400: {
        description: "A query parameter (it takes none)",
        content: { "application/json": { schema: ErrorBody } },
      },
      200: {
        description: "Models by layer",
        content: {
          "application/json": {
            schema: z.object({
              models: z.array(z.object({
                id: z.string(),
                layer: z.string(),
                name: z.string(),
                description: z.string(),
                materialized: z.string(),
                last_status: z.string().nullable(),
                last_built_at: z.string().nullable(),
                rows: z.number().nullable(),
                rejected_rows: z.number().nullable(),
                checks: z.record(z.string(), z.number()).nullable(),
                nullified_values: z.number().nullable(),
                nullified: z.record(z.string(), z.number()).nullable(),
              })),
            }),
          },
        },
      },
    },
  });

const params = z.object({ layer: Name, name: Name });

const showRoute = (access: TokenDocs) =>
  createRoute({
    method: "get",
    path: "/api/models/{layer}/{name}",
    summary: "One model: columns, tests, upstream and downstream",
    middleware: noQuery,
    security: access.security,
    request: { params },
    responses: {
      ...access.responses,
      400: {
        description:
          "A layer or name that is not lower-case letters, digits and underscores, or a query parameter (it takes none)",
        content: { "application/json": { schema: ErrorBody } },
      },
      200: {
        description: "The model",
        content: { "application/json": { schema: z.object({ id: z.string() }).passthrough() } },
      },
      404: { description: "No such model", content: { "application/json": { schema: ErrorBody } } },
    },
  });

/**
 * A query parameter holding a whole number written in decimal digits, from
 * 0 to `max`, given once: `1e2`, `0x10`, `+5` and an empty value are refused
 * (JavaScript's `Number()` reads them all), so that the API takes what its
 * OpenAPI document says, an integer. The message says the range and what
 * was given.
 */
function wholeNumber(name: string, max: number) {
  return z.string({ error: () => `give ${name} once` }).transform((given, ctx) => {
    if (/^[0-9]+$/.test(given) && Number(given) <= max) return Number(given);
    ctx.addIssue({
      code: "custom",
      message: `expected a whole number from 0 to ${max} in decimal digits, got ${
        JSON.stringify(given)
      }`,
    });
    return z.NEVER;
  });
}

const rowsRoute = (access: TokenDocs) =>
  createRoute({
    method: "get",
    path: "/api/models/{layer}/{name}/rows",
    security: access.security,
    summary: "A model's rows, filtered by column values",
    description:
      `Query parameters other than limit and offset filter by equality on the model's columns (compared as text). At most ${MAX_LIMIT} rows a page; when there are more, a Link header points to the next page (RFC 8288, rel="next": the same query with offset moved on by limit). ` +
      "Values are JSON as DuckDB types them: BIGINT, UBIGINT, HUGEINT and DECIMAL values are strings holding the exact number (a JSON number loses precision past 2^53: parse them as big integers or decimals), and so are dates, times and timestamps; INTEGER and smaller integers, FLOAT and DOUBLE are numbers. GET /api/models/{layer}/{name} gives each column's type.",
    // The filters are the model's columns, known only per model: one free-form parameter, each
    // entry a `<column>=<value>` of its own (form style, exploded).
    parameters: [{
      name: "filters",
      in: "query",
      style: "form",
      explode: true,
      required: false,
      description:
        "Column filters, each its own query parameter <column>=<value> (e.g. ?state=VA&status=active): equality on the model's column, compared as text; each column once. " +
        "The columns are the model's (GET /api/models/{layer}/{name}); another name is a 400 naming the closest column.",
      schema: { type: "object", additionalProperties: { type: "string" } },
      example: { state: "VA" },
    }],
    request: {
      params,
      query: z.object({
        limit: wholeNumber("limit", MAX_LIMIT).default(100).openapi({
          type: "integer",
          minimum: 0,
          maximum: MAX_LIMIT,
          default: 100,
          description: "Rows a page: a whole number in decimal digits",
        }),
        offset: wholeNumber("offset", Number.MAX_SAFE_INTEGER).default(0).openapi({
          type: "integer",
          minimum: 0,
          maximum: Number.MAX_SAFE_INTEGER,
          default: 0,
          description: "Rows skipped: a whole number in decimal digits",
        }),
      }).passthrough(),
    },
    responses: {
      200: {
        description: "Rows",
        headers: z.object({
          Link: z.string().optional().openapi({
            description: 'When more rows follow: the next page, as a relative URL with rel="next"',
            example: '</api/models/marts/members/rows?state=VA&offset=100>; rel="next"',
          }),
        }),
        content: {
          "application/json": {
            schema: z.object({
              columns: z.array(z.string()),
              rows: z.array(z.record(z.string(), z.unknown())),
            }),
          },
        },
      },
      ...access.responses,
      400: {
        description:
          `limit or offset not a whole number in decimal digits (limit 0 to ${MAX_LIMIT}) or given twice, a filter on a column the model lacks or given twice, or a layer or name that is not lower-case letters, digits and underscores`,
        content: { "application/json": { schema: ErrorBody } },
      },
      404: {
        description: "No such model, or not built yet",
        content: { "application/json": { schema: ErrorBody } },
      },
    },
  });

interface LastBuild {
  status: string;
  ended_at: string;
  rows: number | null;
  rejected_rows: number | null;
  check_counts: string | null;
  nullified_values: number | null;
  nullified_counts: string | null;
}

async function lastBuilds(deps: AppDeps): Promise<Map<string, LastBuild>> {
  const db = deps.snapshot().db;
  const out = new Map<string, LastBuild>();
  if (!db) return out;
  const exists = await db.query(
    "SELECT 1 FROM information_schema.tables WHERE table_schema = 'wharf' AND table_name = 'run_results'",
  );
  if (exists.length === 0) return out;
  const rows = await db.query(
    `SELECT node_id, status, ended_at::VARCHAR AS ended_at, rows::DOUBLE AS rows, rejected_rows::DOUBLE AS rejected_rows, check_counts::VARCHAR AS check_counts, nullified_values::DOUBLE AS nullified_values, nullified_counts::VARCHAR AS nullified_counts
     FROM wharf.run_results WHERE node_type = 'model' AND status <> 'skipped'
     QUALIFY row_number() OVER (PARTITION BY node_id ORDER BY ended_at DESC) = 1`,
  );
  for (const r of rows) out.set(String(r.node_id), r as unknown as LastBuild);
  return out;
}

async function findModel(deps: AppDeps, layer: string, name: string): Promise<ModelNode> {
  const cp = await deps.project();
  const node = cp?.graph.nodes.get(`${layer}.${name}`);
  if (!node || node.kind !== "model") {
    throw new HttpError(
      404,
      `No model "${layer}.${name}" in the project: GET /api/models lists them`,
    );
  }
  return node;
}

async function builtColumns(
  deps: AppDeps,
  m: ModelNode,
): Promise<{ name: string; type: string }[]> {
  const db = deps.snapshot().db;
  if (!db) return [];
  const rows = await db.query(
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
    [m.layer, m.name],
  );
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.data_type) }));
}

/** The model route group. */
export function modelRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const access = tokenDocs(!!deps.readTokens?.length, "Wrong token");

  app.openapi(listRoute(access), async (c) => {
    const cp = await deps.project();
    const builds = await lastBuilds(deps);
    const models = (cp?.project.models ?? []).map((m) => {
      const b = builds.get(m.id);
      return {
        id: m.id,
        layer: m.layer,
        name: m.name,
        description: m.description,
        materialized: builtMaterialization(m).name,
        last_status: b?.status ?? null,
        last_built_at: b?.ended_at ?? null,
        rows: b?.rows ?? null,
        rejected_rows: b?.rejected_rows ?? null,
        checks: b?.check_counts ? JSON.parse(b.check_counts) as Record<string, number> : null,
        nullified_values: b?.nullified_values ?? null,
        nullified: b?.nullified_counts
          ? JSON.parse(b.nullified_counts) as Record<string, number>
          : null,
      };
    }).sort((a, b) => a.id.localeCompare(b.id));
    return c.json({ models }, 200);
  });

  app.openapi(showRoute(access), async (c) => {
    const { layer, name } = c.req.valid("param");
    const m = await findModel(deps, layer, name);
    const cp = (await deps.project())!;
    const built = await builtColumns(deps, m);
    const docs = new Map(m.columns.map((col) => [col.name, col.description]));
    const tests = cp.project.tests.filter((t) =>
      t.kind === "generic_test" && t.attachedTo === m.id
    );
    const columns = (built.length
      ? built
      : m.columns.map((col) => ({ name: col.name, type: null as string | null }))).map((col) => ({
        name: col.name,
        type: col.type,
        description: docs.get(col.name) ?? "",
        tests: tests.filter((t) =>
          t.kind === "generic_test" && t.test.column === col.name
        ).map((t) =>
          t.name
        ),
      }));
    const build = (await lastBuilds(deps)).get(m.id);
    return c.json({
      id: m.id,
      layer: m.layer,
      name: m.name,
      description: m.description,
      materialized: builtMaterialization(m).name,
      tags: m.config.tags,
      checks: m.checks,
      columns,
      tests: tests.map((t) => t.name),
      upstream: cp.graph.parents.get(m.id) ?? [],
      downstream: (cp.graph.children.get(m.id) ?? []).filter((id) => !id.startsWith("test.")),
      last_build: build ?? null,
    }, 200);
  });

  app.openapi(rowsRoute(access), async (c) => {
    const { layer, name } = c.req.valid("param");
    const { limit, offset } = c.req.valid("query");
    const m = await findModel(deps, layer, name);
    const db = deps.snapshot().db;
    const columns = await builtColumns(deps, m);
    if (!db || columns.length === 0) {
      throw new HttpError(404, `Model "${m.id}" is not built yet: run \`wharf build -s ${m.id}\``);
    }
    const known = new Set(columns.map((col) => col.name));
    const where: string[] = [];
    const values: string[] = [];
    // Filters come from the query string as sent (every key, `__proto__` too), not a parsed object.
    const query = new URL(c.req.url).searchParams;
    for (const col of new Set(query.keys())) {
      if (col === "limit" || col === "offset") continue;
      if (!known.has(col)) {
        const guess = closest(col, known);
        throw new HttpError(
          400,
          `Unknown column "${col}" for ${m.id}${
            guess ? ` (did you mean "${guess}"?)` : ""
          }: filter on one of ${[...known].join(", ")}`,
        );
      }
      const given = query.getAll(col);
      if (given.length > 1) throw new HttpError(400, `Give column "${col}" once`);
      where.push(`CAST(${quoteIdent(col)} AS VARCHAR) = ?`);
      values.push(given[0]!);
    }
    // One row more than the page tells whether another page follows.
    const sql = `SELECT * FROM ${quoteRelation(m.layer, m.name)}${
      where.length ? ` WHERE ${where.join(" AND ")}` : ""
    } LIMIT ${limit + 1} OFFSET ${offset}`;
    const result = await db.read(sql, values);
    let rows = result.rows;
    if (rows.length > limit) {
      rows = rows.slice(0, limit);
      if (limit > 0) {
        const next = new URL(c.req.url);
        next.searchParams.set("offset", String(offset + limit));
        c.header("Link", `<${next.pathname}${next.search}>; rel="next"`);
      }
    }
    return c.json({ columns: result.columns, rows }, 200);
  });
  return app;
}
