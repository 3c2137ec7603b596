/**
 * The OpenAPI document says what the server does: which routes need a
 * token (their `security`, and the 401 and 403 they answer), `/health`, and
 * the 400 of every route for a bad parameter. Checked against a real server
 * on 127.0.0.1, each documented operation sent without a token.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { createApp } from "../../src/serve/app.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { serveLocal, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { TWO_SHOPS } from "./fakes.ts";

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, { description: string }>;
}

/** Every operation of the document served with `token` (none: reads open, uploads disabled). */
async function operations(token: string | undefined) {
  await using p = await tempProject(TWO_SHOPS);
  const config = await loadConfig(p.root);
  assert.ok((await runProject("build", config, { db: p.db })).ok);
  const prepared = await prepareServer(config, { db: p.db, token, pollMs: 0 });
  try {
    await using server = serveLocal(createApp(prepared.deps).fetch);
    const doc = await (await fetch(`${server.base}/openapi.json`)).json();
    const found: { method: string; path: string; op: Operation; status: number }[] = [];
    for (
      const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)
    ) {
      for (const [method, op] of Object.entries(ops)) {
        const url = path.replace("{strategy}", "max").replace("{source}", "prices")
          .replace("{id}", "nope").replace("{layer}", "marts").replace("{name}", "prices");
        const res = await fetch(
          `${server.base}${url}${path.includes("coalescence") ? "?sku=1001" : ""}`,
          {
            method,
            body: method === "post" ? "sku,shop,price\n" : undefined,
          },
        );
        await res.body?.cancel();
        found.push({ method, path, op, status: res.status });
      }
    }
    return { doc, found };
  } finally {
    await prepared.close();
  }
}

const TOKEN_SECURITY = [{ bearer: [] }, { basic: [] }];

Deno.test("with a token, the document declares security and the 401 and 403 on every route that needs it, and a request without one is a 401 exactly there", async () => {
  const { doc, found } = await operations("openapi-token");
  assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ["basic", "bearer"]);
  assert.deepEqual(doc.components.securitySchemes.bearer.scheme, "bearer");
  assert.deepEqual(doc.components.securitySchemes.basic.scheme, "basic");
  assert.deepEqual(found.map((f) => `${f.method} ${f.path}`).sort(), [
    "get /api/coalescence/{strategy}",
    "get /api/ingest/jobs/{id}",
    "get /api/models",
    "get /api/models/{layer}/{name}",
    "get /api/models/{layer}/{name}/rows",
    "get /health",
    "post /api/ingest/{source}",
  ]);
  for (const { method, path, op, status } of found) {
    const where = `${method} ${path}`;
    assert.ok(op.responses["400"], `${where} documents its 400`);
    if (path === "/health") {
      assert.equal(op.security, undefined);
      assert.equal(status, 200, where);
      assert.deepEqual(Object.keys(op.responses).sort(), ["200", "400"]);
      continue;
    }
    assert.deepEqual(op.security, TOKEN_SECURITY, where);
    assert.ok(op.responses["401"] && op.responses["403"], where);
    assert.equal(status, 401, where);
  }
});

Deno.test("without a token, reads are open and documented without security; uploads still declare theirs", async () => {
  const { found } = await operations(undefined);
  for (const { method, path, op, status } of found) {
    const where = `${method} ${path}`;
    assert.ok(op.responses["400"], `${where} documents its 400`);
    if (path.startsWith("/api/ingest/")) {
      assert.deepEqual(op.security, TOKEN_SECURITY, where);
      assert.ok(op.responses["401"] && op.responses["403"], where);
      assert.equal(status, 403, `${where}: uploads are disabled`);
    } else {
      assert.equal(op.security, undefined, where);
      assert.equal(op.responses["401"], undefined, where);
      assert.equal(op.responses["403"], undefined, where);
      assert.equal(status, 200, where);
    }
  }
});

interface Parameter {
  name: string;
  in: string;
  style?: string;
  explode?: boolean;
  schema: { type?: string };
}

/**
 * The query string of `op` as a generated client builds it from the
 * document: each query parameter by its name, an object parameter in form
 * style, exploded, as one `key=value` per entry.
 */
function queryFrom(op: { parameters?: Parameter[] }, values: Record<string, unknown>): string {
  const query = new URLSearchParams();
  for (const p of op.parameters ?? []) {
    if (p.in !== "query" || !(p.name in values)) continue;
    const value = values[p.name];
    if (p.schema.type === "object") {
      assert.equal(p.style, "form", p.name);
      assert.equal(p.explode, true, p.name);
      for (const [k, v] of Object.entries(value as Record<string, string>)) query.append(k, v);
    } else query.append(p.name, String(value));
  }
  return `?${query}`;
}

Deno.test("the document has an upload path per source listing its delivery fields, and the rows' column filters; requests built from them work against the server", async () => {
  await using p = await tempProject({
    ...TWO_SHOPS,
    "wharf.config.ts": `export default {
  sources: [
    { name: "claims", pattern: /^claims-(?<client>client[A-Z])-(?<period>\\d{6})\\.csv$/ },
    { name: "notes", pattern: /^notes\\.csv$/ },
  ],
  serve: { coalesce: { model: "marts.prices", key: "sku", source: "shop", fields: ["price"] } },
};
`,
  });
  const config = await loadConfig(p.root);
  assert.ok((await runProject("build", config, { db: p.db })).ok);
  const token = "openapi-token";
  const prepared = await prepareServer(config, { db: p.db, token, pollMs: 0 });
  try {
    await using server = serveLocal(createApp(prepared.deps).fetch);
    const headers = { authorization: `Bearer ${token}` };
    const doc = await (await fetch(`${server.base}/openapi.json`)).json();
    const queryNames = (op: { parameters?: Parameter[] }) =>
      (op.parameters ?? []).filter((x) => x.in === "query").map((x) => x.name);
    assert.deepEqual(
      Object.keys(doc.paths).filter((path) => path.startsWith("/api/ingest/")).sort(),
      ["/api/ingest/claims", "/api/ingest/jobs/{id}", "/api/ingest/notes"],
    );
    const claims = doc.paths["/api/ingest/claims"].post;
    assert.deepEqual(queryNames(claims), ["filename", "client", "period"]);
    assert.deepEqual(queryNames(doc.paths["/api/ingest/notes"].post), ["filename"]);
    assert.deepEqual(claims.security, TOKEN_SECURITY);
    assert.ok(claims.responses["400"] && claims.responses["401"] && claims.responses["409"]);
    const upload = await fetch(
      `${server.base}/api/ingest/claims${
        queryFrom(claims, { filename: "export.csv", client: "clientA", period: "202309" })
      }`,
      { method: "POST", body: "claim,total\nC1,5\n", headers },
    );
    const landed = await upload.json();
    assert.equal(upload.status, 200, JSON.stringify(landed));
    assert.deepEqual([landed.status, landed.rows], ["landed", 1]);

    const rowsOp = doc.paths["/api/models/{layer}/{name}/rows"].get;
    assert.deepEqual(queryNames(rowsOp), ["filters", "limit", "offset"]);
    const filters = rowsOp.parameters.find((x: Parameter) => x.name === "filters");
    assert.deepEqual(filters.schema, { type: "object", additionalProperties: { type: "string" } });
    assert.match(filters.description, /<column>=<value>/);
    const rows = await fetch(
      `${server.base}/api/models/marts/prices/rows${
        queryFrom(rowsOp, { filters: { shop: "shop_b" }, limit: 5 })
      }`,
      { headers },
    );
    assert.deepEqual(await rows.json(), {
      columns: ["sku", "shop", "price"],
      rows: [{ sku: 1001, shop: "shop_b", price: 200 }],
    });
  } finally {
    await prepared.close();
  }
  assert.deepEqual(await query(p.db, "select claim, _client, _period from raw.claims"), [
    { claim: "C1", _client: "clientA", _period: "202309" },
  ]);
});
