/**
 * Tokens over a real server on 127.0.0.1, with a write token and a read
 * token: the read token reads but does not upload, and says so; a path no
 * route answers is a 404 whatever the token, while the routes keep theirs.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { createApp } from "../../src/serve/app.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { serveLocal, tempProject } from "../helpers.ts";

const WRITE = "write-token";
const READ = "read-token";

/** Prices of an item from two shops, coalesced by sku; price lists upload as `prices`. */
const SHOP = {
  "models/marts/prices.sql": `select * from (values
    (1001, 'shop_a', 300),
    (1001, 'shop_b', 200)
  ) as t(sku, shop, price)`,
  "wharf.config.ts": `export default {
  sources: [{ name: "prices", pattern: /^prices-(?<shop>\\w+)-(?<period>\\d{6})\\.csv$/ }],
  serve: { coalesce: { model: "marts.prices", key: "sku", source: "shop", fields: ["price"] } },
};
`,
};

async function servedShop(root: string, db: string) {
  const config = await loadConfig(root);
  assert.ok((await runProject("build", config, { db })).ok);
  const prepared = await prepareServer(config, {
    db,
    token: WRITE,
    readToken: READ,
    pollMs: 0,
    log: () => {},
  });
  const server = serveLocal(createApp(prepared.deps).fetch);
  return {
    /** A request with `token` (none: without an Authorization header); the status and JSON body. */
    send: async (method: string, path: string, token?: string, body?: string) => {
      const res = await fetch(`${server.base}${path}`, {
        method,
        body,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      return { status: res.status, body: await res.json() };
    },
    [Symbol.asyncDispose]: async () => {
      await server[Symbol.asyncDispose]();
      await prepared.close();
    },
  };
}

Deno.test("the read token on an upload is a 403 saying it only reads and what sets the write token; the write token uploads", async () => {
  await using p = await tempProject(SHOP);
  await using s = await servedShop(p.root, p.db);
  const upload = "/api/ingest/prices?filename=prices-shop_c-202401.csv";
  const csv = "sku,price\n1001,250\n";
  const readOnly = {
    error:
      "This token only reads: uploads need the write token (serve.token in wharf.config.ts, or WHARF_API_TOKEN)",
  };
  assert.deepEqual(await s.send("POST", upload, READ, csv), { status: 403, body: readOnly });
  assert.deepEqual(await s.send("GET", "/api/ingest/jobs/abc", READ), {
    status: 403,
    body: readOnly,
  });
  assert.deepEqual(await s.send("POST", upload, "nope", csv), {
    status: 403,
    body: { error: "Wrong token" },
  });
  const landed = await s.send("POST", upload, WRITE, csv);
  assert.deepEqual([landed.status, landed.body.status, landed.body.rows], [200, "landed", 1]);
  // The document says which 403 a read token gets.
  const doc = (await s.send("GET", "/openapi.json")).body;
  assert.match(
    doc.paths["/api/ingest/prices"].post.responses["403"].description,
    /the read token \(uploads need the write token\)/,
  );
});

Deno.test("with tokens set, a path no route answers is the same 404 without a token, with a wrong one or either token; the routes keep their 401", async () => {
  await using p = await tempProject(SHOP);
  await using s = await servedShop(p.root, p.db);
  for (const [method, path] of [["GET", "/nope"], ["POST", "/api/nowhere"]]) {
    for (const token of [undefined, "nope", READ, WRITE]) {
      assert.deepEqual(await s.send(method!, path!, token), {
        status: 404,
        body: { error: `No route for ${method} ${path}: GET /openapi.json lists the API` },
      }, `${method} ${path} with ${token}`);
    }
  }
  for (
    const [method, path] of [
      ["GET", "/api/models"],
      ["GET", "/api/models/marts/prices/rows"],
      ["GET", "/api/coalescence/max?sku=1001"],
      ["GET", "/docs/manifest.json"],
      // A wrong method on a known path needs the token before it is told the methods.
      ["DELETE", "/api/models"],
    ]
  ) {
    assert.deepEqual(await s.send(method!, path!), {
      status: 401,
      body: { error: "Missing token: reads need Authorization: Bearer <token>" },
    }, `${method} ${path}`);
    assert.equal((await s.send(method!, path!, "nope")).status, 403, `${method} ${path}`);
  }
  assert.deepEqual(await s.send("GET", "/api/coalescence/max?sku=1001", READ), {
    status: 200,
    body: { price: 300 },
  });
  assert.equal((await s.send("DELETE", "/api/models", READ)).status, 405);
});
