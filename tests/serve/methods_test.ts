/**
 * Methods over a real server on 127.0.0.1: a wrong method on a known path
 * is a 405 with the methods it answers in `Allow`; HEAD answers GET's
 * headers, the length of GET's body included, and no body.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { createApp } from "../../src/serve/app.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { serveLocal, tempProject } from "../helpers.ts";
import { TWO_SHOPS } from "./fakes.ts";

const TOKEN = "methods-token";

async function servedShop(root: string, db: string) {
  const config = await loadConfig(root);
  assert.ok((await runProject("build", config, { db })).ok);
  const prepared = await prepareServer(config, { db, token: TOKEN, pollMs: 0 });
  const server = serveLocal(createApp(prepared.deps).fetch);
  return {
    /** A request with the token. */
    send: (method: string, path: string) =>
      fetch(`${server.base}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } }),
    [Symbol.asyncDispose]: async () => {
      await server[Symbol.asyncDispose]();
      await prepared.close();
    },
  };
}

Deno.test("a wrong method on a known path is a 405 naming the methods it answers, in Allow too; an unknown path stays a 404", async () => {
  await using p = await tempProject(TWO_SHOPS);
  await using s = await servedShop(p.root, p.db);
  for (
    const [method, path, allow] of [
      ["POST", "/health", "GET, HEAD"],
      ["DELETE", "/api/models", "GET, HEAD"],
      ["PUT", "/api/models/marts/prices/rows", "GET, HEAD"],
      ["POST", "/api/coalescence/max?sku=1001", "GET, HEAD"],
      ["PATCH", "/openapi.json", "GET, HEAD"],
      ["POST", "/docs", "GET, HEAD"],
      ["GET", "/api/ingest/prices", "POST"],
      ["DELETE", "/api/ingest/jobs/abc", "GET, HEAD"],
    ] as const
  ) {
    const res = await s.send(method, path);
    assert.equal(res.status, 405, `${method} ${path}`);
    assert.equal(res.headers.get("allow"), allow, `${method} ${path}`);
    const bare = path.replace(/\?.*/, "");
    assert.deepEqual(await res.json(), {
      error: `Method ${method} is not allowed on ${bare}: it answers ${allow}`,
    });
  }
  const head = await s.send("HEAD", "/api/ingest/prices");
  assert.deepEqual([head.status, head.headers.get("allow"), await head.text()], [405, "POST", ""]);
  const unknown = await s.send("POST", "/api/nowhere");
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers.get("allow"), null);
  assert.equal(
    (await unknown.json()).error,
    "No route for POST /api/nowhere: GET /openapi.json lists the API",
  );
});

Deno.test("HEAD answers the headers GET does, content-length the length of GET's body, and no body", async () => {
  await using p = await tempProject(TWO_SHOPS);
  await using s = await servedShop(p.root, p.db);
  for (
    const path of [
      "/health",
      "/openapi.json",
      "/docs/api",
      "/docs/api/assets/swagger-ui.css",
      "/docs",
      "/api/models",
      "/api/models/marts/prices",
      "/api/models/marts/prices/rows?limit=1",
      "/api/coalescence/max?sku=1001",
      "/api/coalescence/max?sku=9",
    ]
  ) {
    const get = await s.send("GET", path);
    const body = new Uint8Array(await get.arrayBuffer());
    const head = await s.send("HEAD", path);
    assert.equal(head.status, get.status, path);
    assert.equal(head.headers.get("content-length"), String(body.byteLength), path);
    const headers = (res: Response) => [...res.headers].filter(([name]) => name !== "date");
    assert.deepEqual(headers(head), headers(get), path);
    assert.equal((await head.arrayBuffer()).byteLength, 0, path);
  }
});
