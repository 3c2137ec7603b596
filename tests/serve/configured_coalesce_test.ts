import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { createApp } from "../../src/serve/app.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { runCli, tempProject } from "../helpers.ts";
import { HEALTHCARE } from "./fakes.ts";

/** A shop project: prices of items (an integer sku) from several shops, coalesced. */
const SHOP = {
  "models/marts/prices.sql": `select * from (values
    (1001, 'shop_a', 300, 2, timestamp '2024-01-01 10:00:00'),
    (1001, 'shop_b', 200, 2, timestamp '2024-01-02 10:00:00'),
    (1001, 'shop_c', 201, 9, timestamp '2024-01-03 10:00:00'),
    (1002, 'shop_a', 50, 1, null),
    (1003, 'shop_a', 12.5, 1, null)
  ) as t(sku, shop, price, stock, checked_at)`,
  "wharf.config.ts": `export default {
  serve: {
    coalesce: { model: "marts.prices", key: "sku", source: "shop", asOf: "checked_at", fields: ["price", "stock"] },
  },
  strategies: {
    cheapest: (answers) => answers.reduce((best, a) => (a.price < best.price ? a : best)),
    broken: (answers) => ({ price: answers[0].price }),
  },
};
`,
};

Deno.test("a project's own coalescing: its model, key, source, as-of and fields, in answers, errors, OpenAPI and docs", async () => {
  await using p = await tempProject(SHOP);
  const config = await loadConfig(p.root);
  assert.ok((await runProject("build", config, { db: p.db })).ok);
  const logs: Record<string, unknown>[] = [];
  const prepared = await prepareServer(config, { db: p.db, pollMs: 0, log: (e) => logs.push(e) });
  try {
    const app = createApp(prepared.deps);
    const get = async (path: string) => {
      const res = await app.request(path);
      return { status: res.status, body: await res.json() };
    };
    // The bare answer is exactly the configured fields; the key (an integer column) is asked as text.
    assert.deepEqual(await get("/api/coalescence/max?sku=1001"), {
      status: 200,
      body: { price: 300, stock: 9 },
    });
    assert.deepEqual((await get("/api/coalescence/avg?sku=1001")).body, { price: 234, stock: 4 });
    assert.deepEqual((await get("/api/coalescence/cheapest?sku=1001")).body, {
      price: 200,
      stock: 2,
    });
    const explained = await get("/api/coalescence/min?sku=1001&explain=true");
    assert.deepEqual(explained.body, {
      price: 200,
      stock: 2,
      strategy: "min",
      sources: [
        {
          source: "landed:shop_a",
          status: "ok",
          values: { price: 300, stock: 2 },
          as_of: "2024-01-01 10:00:00",
        },
        {
          source: "landed:shop_b",
          status: "ok",
          values: { price: 200, stock: 2 },
          as_of: "2024-01-02 10:00:00",
        },
        {
          source: "landed:shop_c",
          status: "ok",
          values: { price: 201, stock: 9 },
          as_of: "2024-01-03 10:00:00",
        },
      ],
    });
    assert.deepEqual(await get("/api/coalescence/max"), {
      status: 400,
      body: { error: "Missing sku: pass ?sku=<id>" },
    });
    assert.deepEqual(await get("/api/coalescence/max?sku=9"), {
      status: 404,
      body: { error: "No info found for sku 9" },
    });
    // A figure that is not an integer amount is that source's error, named with the field.
    assert.deepEqual(await get("/api/coalescence/max?sku=1003"), {
      status: 502,
      body: {
        error:
          "Every source failed for sku 1003: landed:shop_a (landed value out of range: price 12.5 (expected integer amounts from 0 to 100000000000))",
        sources: [{
          source: "landed:shop_a",
          status: "failed",
          error:
            "landed value out of range: price 12.5 (expected integer amounts from 0 to 100000000000)",
        }],
      },
    });
    // A strategy that does not answer every field is the project's bug: 500, logged with its name.
    assert.deepEqual(await get("/api/coalescence/broken?sku=1001"), {
      status: 500,
      body: { error: "Internal error: see the server log" },
    });
    assert.match(
      String(logs.find((l) => l.level === "error")?.error),
      /Strategy "broken" answered stock missing: a strategy answers a number for each of price, stock \(serve\.coalesce\.fields\) and nothing else/,
    );
    const health = (await get("/health")).body;
    assert.deepEqual(health.coalesce, { model: "marts.prices", key: "sku", landed_keys: 3 });

    const spec = (await get("/openapi.json")).body;
    const op = spec.paths["/api/coalescence/{strategy}"].get;
    assert.deepEqual(op.parameters.map((x: { name: string }) => x.name).sort(), [
      "explain",
      "sku",
      "strategy",
    ]);
    assert.deepEqual(
      op.parameters.find((x: { name: string }) => x.name === "strategy").schema.enum,
      ["max", "min", "avg", "mode", "cheapest", "broken"],
    );
    assert.match(op.description, /the project's own \(wharf\.config\.ts\): cheapest, broken\./);
    assert.deepEqual(Object.keys(spec.components.schemas.Figures.properties), ["price", "stock"]);
    assert.deepEqual(spec.components.schemas.Figures.properties.price.maximum, 100000000000);

    const docs = (await get("/docs/manifest.json")).body;
    const api = docs.nodes.find((n: { id: string }) => n.id === "api.coalescence");
    assert.deepEqual(api.upstream, ["marts.prices"]);
    assert.match(
      api.description,
      /^Coalesced price, stock per sku, from the rows of marts\.prices/,
    );
  } finally {
    await prepared.close();
  }
  // `wharf docs build` draws the same node from the configuration.
  const built = await runCli(["--project", p.root, "docs", "build"]);
  assert.equal(built.code, 0, built.stderr);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target/docs/manifest.json")));
  assert.deepEqual(
    manifest.edges.filter((e: string[]) => e[1] === "api.coalescence"),
    [["marts.prices", "api.coalescence"]],
  );
});

Deno.test("a model without the columns serve.coalesce names is a snapshot error naming them; without the model, nothing is landed", async () => {
  await using p = await tempProject(
    { "models/marts/prices.sql": "select 1 as sku, 'a' as shop, 3 as price" },
  );
  const config = await loadConfig(p.root);
  assert.ok((await runProject("build", config, { db: p.db })).ok);
  const events: string[] = [];
  const serve = (coalesce: typeof config.serve.coalesce) =>
    prepareServer({ ...config, serve: { ...config.serve, coalesce } }, {
      db: p.db,
      pollMs: 0,
      log: (e) => events.push(`${e.event}: ${e.detail}`),
    });
  const wrong = await serve({
    model: "marts.prices",
    key: "sku",
    source: "shop",
    fields: ["price", "stock", "tax"],
  });
  await wrong.close();
  assert.deepEqual(events, [
    'snapshot_error: serve.coalesce names "stock", "tax", which marts.prices lacks: it has sku, shop, price (fix serve.coalesce in wharf.config.ts, or the model)',
  ]);
  events.length = 0;
  const absent = await serve({
    model: "marts.costs",
    key: "sku",
    source: "shop",
    fields: ["price"],
  });
  assert.deepEqual(events, ["snapshot_loaded: snapshot 1: 0 sku values in marts.costs"]);
  assert.equal(absent.deps.snapshot().landed.size, 0);
  await absent.close();
});

Deno.test("the healthcare project's serve.coalesce resolves to its mart, key and three fields", () => {
  assert.deepEqual(HEALTHCARE.serve.coalesce, {
    model: "marts.member_benefits",
    key: "member_id",
    source: "source",
    asOf: "as_of",
    fields: ["oop_max", "remaining_oop_max", "copay"],
  });
});
