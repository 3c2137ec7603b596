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
