/**
 * Query parameters are taken as the OpenAPI document describes them: a
 * model's rows take `limit` and `offset` as whole numbers in decimal digits;
 * the coalescing endpoint takes its key and `explain` (true or false), each
 * once, and nothing else. Over a real server on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { createApp } from "../../src/serve/app.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { serveLocal, tempProject } from "../helpers.ts";

/** Prices of items from two shops, coalesced by sku; a model of 200 rows to page through. */
const SHOP = {
  "models/marts/prices.sql": `select * from (values
    (1001, 'shop_a', 300, 2),
    (1001, 'shop_b', 200, 5)
  ) as t(sku, shop, price, stock)`,
  "models/marts/numbers.sql": "select range as n from range(200)",
  "wharf.config.ts": `export default {
  serve: { coalesce: { model: "marts.prices", key: "sku", source: "shop", fields: ["price", "stock"] } },
};
`,
};

async function servedShop(root: string, db: string) {
  const config = await loadConfig(root);
  assert.ok((await runProject("build", config, { db })).ok);
  const prepared = await prepareServer(config, { db, pollMs: 0 });
  const server = serveLocal(createApp(prepared.deps).fetch);
  return {
    get: async (path: string) => {
      const res = await fetch(`${server.base}${path}`);
      const text = await res.text();
      const json = res.headers.get("content-type")?.startsWith("application/json");
      return { status: res.status, body: json ? JSON.parse(text) : text };
    },
    [Symbol.asyncDispose]: async () => {
      await server[Symbol.asyncDispose]();
      await prepared.close();
    },
  };
}

Deno.test("rows: limit and offset are whole numbers in decimal digits, given once; anything else is a 400 naming the parameter, its range and the value given", async () => {
  await using p = await tempProject(SHOP);
  await using s = await servedShop(p.root, p.db);
  const rows = "/api/models/marts/numbers/rows";
  const r = await s.get(`${rows}?limit=5&offset=7`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.rows.map((x: { n: number }) => Number(x.n)), [7, 8, 9, 10, 11]);
  assert.equal((await s.get(rows)).body.rows.length, 100, "the default limit");
  assert.equal((await s.get(`${rows}?limit=007`)).body.rows.length, 7);
  assert.equal((await s.get(`${rows}?limit=1000`)).body.rows.length, 200);
  const limit = (given: string) =>
    `Invalid limit: expected a whole number from 0 to 1000 in decimal digits, got ${given}`;
  const offset = (given: string) =>
    `Invalid offset: expected a whole number from 0 to 9007199254740991 in decimal digits, got ${given}`;
  for (
    const [query, error] of [
      ["limit=", limit('""')],
      ["limit=1e2", limit('"1e2"')],
      ["limit=0x10", limit('"0x10"')],
      ["limit=-1", limit('"-1"')],
      ["limit=+5", limit('" 5"')],
      ["limit=%2B5", limit('"+5"')],
      ["limit=1.0", limit('"1.0"')],
      ["limit=%205", limit('" 5"')],
      ["limit=1001", limit('"1001"')],
      ["limit=5000", limit('"5000"')],
      ["offset=0x5", offset('"0x5"')],
      ["offset=", offset('""')],
      ["offset=1e1", offset('"1e1"')],
      ["offset=9007199254740992", offset('"9007199254740992"')],
      ["limit=5&limit=6", "Invalid limit: give limit once"],
      ["offset=5&offset=5", "Invalid offset: give offset once"],
    ]
  ) {
    assert.deepEqual(await s.get(`${rows}?${query}`), { status: 400, body: { error } }, query);
  }
  // The OpenAPI document says integer, as the API takes them.
  const doc = (await s.get("/openapi.json")).body;
  const params = doc.paths["/api/models/{layer}/{name}/rows"].get.parameters as {
    name: string;
    schema: { type: string };
  }[];
  for (const name of ["limit", "offset"]) {
    assert.equal(params.find((x) => x.name === name)?.schema.type, "integer", name);
  }
});

Deno.test("coalescence: explain is true or false, the key and explain are given once, an unknown parameter is a 400 naming the known ones", async () => {
  await using p = await tempProject(SHOP);
  await using s = await servedShop(p.root, p.db);
  const base = "/api/coalescence/max";
  assert.deepEqual(await s.get(`${base}?sku=1001`), {
    status: 200,
    body: { price: 300, stock: 5 },
  });
  assert.deepEqual(await s.get(`${base}?sku=1001&explain=false`), {
    status: 200,
    body: { price: 300, stock: 5 },
  });
  assert.equal((await s.get(`${base}?sku=1001&explain=true`)).body.sources.length, 2);
  for (
    const [query, error] of [
      ["sku=1001&explain=yes", 'Invalid explain "yes": use true or false (or leave it out)'],
      ["sku=1001&explain=", 'Invalid explain "": use true or false (or leave it out)'],
      ["sku=1001&sku=1002", "Give sku once"],
      ["sku=1001&explain=true&explain=false", "Give explain once"],
      ["sku=1001&foo=1", 'Unknown query parameter "foo": the parameters are sku and explain'],
      ["foo=1", 'Unknown query parameter "foo": the parameters are sku and explain'],
      ["explain=true", "Missing sku: pass ?sku=<id>"],
    ]
  ) {
    assert.deepEqual(await s.get(`${base}?${query}`), { status: 400, body: { error } }, query);
  }
  const doc = (await s.get("/openapi.json")).body;
  const get = doc.paths["/api/coalescence/{strategy}"].get;
  const explain = get.parameters.find((x: { name: string }) => x.name === "explain");
  assert.deepEqual(explain.schema.enum, ["true", "false"]);
  assert.match(get.responses["400"].description, /explain other than true or false/);
});

Deno.test("coalescence: the key's surrounding whitespace is trimmed before the lookup, and the answer names the trimmed key; blank after trimming is the missing key's 400", async () => {
  await using p = await tempProject(SHOP);
  await using s = await servedShop(p.root, p.db);
  const base = "/api/coalescence/max";
  for (const sku of ["%201001", "1001%20%20", "%091001%0A", "%C2%A01001"]) {
    assert.deepEqual(await s.get(`${base}?sku=${sku}`), {
      status: 200,
      body: { price: 300, stock: 5 },
    }, sku);
  }
  assert.deepEqual(await s.get(`${base}?sku=+9+`), {
    status: 404,
    body: { error: "No info found for sku 9" },
  });
  for (const sku of ["%20", "+%09+", ""]) {
    assert.deepEqual(await s.get(`${base}?sku=${sku}`), {
      status: 400,
      body: { error: "Missing sku: pass ?sku=<id>" },
    }, sku);
  }
  const doc = (await s.get("/openapi.json")).body;
  const key = doc.paths["/api/coalescence/{strategy}"].get.parameters.find((
    x: { name: string },
  ) => x.name === "sku");
  assert.match(key.description, /surrounding whitespace is trimmed/);
});

Deno.test("every route refuses an unknown query parameter with a 400 naming it, not only those that take some", async () => {
  await using p = await tempProject(SHOP);
  await using s = await servedShop(p.root, p.db);
  for (
    const [path, status] of [
      ["/health", 200],
      ["/openapi.json", 200],
      ["/docs/api", 200],
      ["/docs/api/init.js", 200],
      ["/docs/api/assets/swagger-ui.css", 200],
      ["/docs", 200],
      ["/docs/", 200],
      ["/docs/manifest.json", 200],
      ["/api/models", 200],
      ["/api/models/marts/prices", 200],
      ["/api/ingest/jobs/nope", 403],
    ] as const
  ) {
    assert.equal((await s.get(path)).status, status, path);
    assert.deepEqual(await s.get(`${path}?verbose=1&x=2`), {
      status: 400,
      body: { error: `Unknown query parameter "verbose": GET ${path} takes none` },
    }, path);
  }
  // The routes that take parameters name the unknown one too.
  for (
    const [path, error] of [
      ["/api/coalescence/max?sku=1001&verbose=1", /^Unknown query parameter "verbose"/],
      ["/api/models/marts/numbers/rows?verbose=1", /^Unknown column "verbose" for marts.numbers/],
    ] as const
  ) {
    const r = await s.get(path);
    assert.equal(r.status, 400, path);
    assert.match(r.body.error, error, path);
  }
});

Deno.test("a misspelt query parameter or column gets the closest known name as a suggestion", async () => {
  await using p = await tempProject(SHOP);
  await using s = await servedShop(p.root, p.db);
  assert.deepEqual(await s.get("/api/coalescence/max?skuu=1001"), {
    status: 400,
    body: {
      error:
        'Unknown query parameter "skuu" (did you mean "sku"?): the parameters are sku and explain',
    },
  });
  assert.deepEqual(await s.get("/api/models/marts/prices/rows?prise=1"), {
    status: 400,
    body: {
      error:
        'Unknown column "prise" for marts.prices (did you mean "price"?): filter on one of sku, shop, price, stock',
    },
  });
  // Nothing close: the known names alone.
  assert.deepEqual(await s.get("/api/models/marts/prices/rows?verbose=1"), {
    status: 400,
    body: {
      error: 'Unknown column "verbose" for marts.prices: filter on one of sku, shop, price, stock',
    },
  });
});
