import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { ConfigError } from "../../src/engine/errors.ts";
import type { CoalesceSpec } from "../../src/serve/coalesce_config.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { createApp } from "../../src/serve/app.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { runCli, serveLocal, tempProject } from "../helpers.ts";
import { startServe } from "../reliability/serve_harness.ts";
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

Deno.test("serve.coalesce naming a model or column that does not exist stops the server at start, naming it and the closest", async () => {
  await using p = await tempProject({
    "models/marts/prices.sql": "select 1 as sku, 'a' as shop, 3 as price, 4 as stock",
    "models/marts/orders.sql": "select 1 as sku",
  });
  const config = await loadConfig(p.root);
  const serve = (coalesce: CoalesceSpec) =>
    prepareServer({ ...config, serve: { ...config.serve, coalesce } }, { db: p.db, pollMs: 0 });
  const prices: CoalesceSpec = {
    model: "marts.prices",
    key: "sku",
    source: "shop",
    fields: ["price", "stock"],
  };
  const refusal = async (coalesce: CoalesceSpec) => {
    const err = await serve(coalesce).then((s) => s.close(), (e: Error) => e);
    assert.ok(err instanceof ConfigError, `${JSON.stringify(coalesce)} was accepted`);
    return err.message;
  };
  const typo =
    'Invalid "serve.coalesce.model" in wharf.config.ts: marts.prics is neither a model of the project nor a table of the warehouse (did you mean "marts.prices"?)';
  // Before the first build the project's models count, and a typo is caught already.
  assert.equal(await refusal({ ...prices, model: "marts.prics" }), typo);
  const unbuilt = await serve(prices);
  assert.equal(unbuilt.deps.snapshot().landed.size, 0);
  await unbuilt.close();

  assert.ok((await runProject("build", config, { db: p.db })).ok);
  assert.equal(await refusal({ ...prices, model: "marts.prics" }), typo);
  assert.equal(
    await refusal({ ...prices, model: "marts.costs" }),
    'Invalid "serve.coalesce.model" in wharf.config.ts: marts.costs is neither a model of the project nor a table of the warehouse',
  );
  assert.equal(
    await refusal({ ...prices, source: "shops", fields: ["price", "stok", "tax"] }),
    'serve.coalesce names columns marts.prices lacks: source "shops" (did you mean "shop"?), fields[1] "stok" (did you mean "stock"?), fields[2] "tax"; it has sku, shop, price, stock (fix serve.coalesce in wharf.config.ts, or the model)',
  );
  // A table of the warehouse that is no model of the project is fine: it is read as it is.
  const wh = await openWarehouse(p.db);
  await wh.exec("CREATE TABLE marts.legacy_prices AS SELECT * FROM marts.prices");
  wh.close();
  const legacy = await serve({ ...prices, model: "marts.legacy_prices" });
  assert.equal(legacy.deps.snapshot().landed.size, 1);
  await legacy.close();

  // `wharf serve` says the same and exits 2, before it listens.
  await p.write(
    "wharf.config.ts",
    `export default { serve: { coalesce: { model: "marts.prices", key: "sku", source: "shop", fields: ["prise"] } } };\n`,
  );
  const r = await runCli(["--project", p.root, "serve", "--port", "0"]);
  assert.equal(r.code, 2, r.stderr);
  const message =
    'serve.coalesce names a column marts.prices lacks: fields[0] "prise" (did you mean "price"?); it has sku, shop, price, stock (fix serve.coalesce in wharf.config.ts, or the model)';
  // The first snapshot's error is logged (a JSON line), then the server stops with it.
  const [logged, error, ...more] = r.stderr.split("\n");
  assert.deepEqual([JSON.parse(logged!).event, JSON.parse(logged!).detail], [
    "snapshot_error",
    message,
  ]);
  assert.deepEqual([error, ...more], [`error: ${message}`, ""]);
  assert.equal(r.stdout, "");
});

Deno.test("a build that drops a column serve.coalesce names is logged, and the last good snapshot keeps answering", async () => {
  await using p = await tempProject({
    "models/marts/prices.sql": "select 1 as sku, 'a' as shop, 3 as price, 4 as stock",
    "wharf.config.ts":
      `export default { serve: { coalesce: { model: "marts.prices", key: "sku", source: "shop", fields: ["price", "stock"] } } };\n`,
  });
  const config = await loadConfig(p.root);
  assert.ok((await runProject("build", config, { db: p.db })).ok);
  const events: string[] = [];
  const server = await prepareServer(config, {
    db: p.db,
    pollMs: 0,
    log: (e) => events.push(`${e.event}: ${e.detail}`),
  });
  try {
    await p.write("models/marts/prices.sql", "select 1 as sku, 'a' as shop, 3 as price");
    assert.ok((await runProject("build", await loadConfig(p.root), { db: p.db })).ok);
    assert.equal(await server.snapshots.refresh(), false);
    assert.equal(
      events.at(-1),
      'snapshot_error: serve.coalesce names a column marts.prices lacks: fields[1] "stock"; it has sku, shop, price (fix serve.coalesce in wharf.config.ts, or the model)',
    );
    const res = await createApp(server.deps).request("/api/coalescence/max?sku=1");
    assert.deepEqual(await res.json(), { price: 3, stock: 4 });
  } finally {
    await server.close();
  }
});

/** A shop whose prices are checked: a rejected price goes to marts.prices__rejected. */
const CHECKED_SHOP = {
  "models/marts/prices.sql": `select * from (values
    (1001, 'shop_a', 300, 2),
    (1001, 'shop_b', -5, 2),
    (1002, 'shop_b', -1, 0),
    (1004, 'shop_a', 7, 1)
  ) as t(sku, shop, price, stock)`,
  "models/marts/orders.sql": "select 1 as sku, 'x' as note",
  "models/marts/marts.yml": `models:
  - name: prices
    checks:
      positive_price: price > 0
      in_stock: stock > 0
  - name: orders
    checks:
      noted: note is not null
`,
};

/** The shop's coalescing, its rejected prices in `relation`. */
function checkedShop(rejected: NonNullable<CoalesceSpec["rejected"]>): CoalesceSpec {
  return {
    model: "marts.prices",
    key: "sku",
    source: "shop",
    fields: ["price", "stock"],
    rejected,
  };
}

Deno.test("serve.coalesce.rejected: a source whose figures were rejected is named failed with the reasons, from a checked model's quarantine or a table with its own columns", async () => {
  await using p = await tempProject(CHECKED_SHOP);
  const config = await loadConfig(p.root);
  assert.ok((await runProject("build", config, { db: p.db })).ok);
  /** The answers to `paths` of a server whose rejected figures are in `rejected`. */
  const answers = async (rejected: NonNullable<CoalesceSpec["rejected"]>, paths: string[]) => {
    const coalesce = checkedShop(rejected);
    const prepared = await prepareServer({ ...config, serve: { ...config.serve, coalesce } }, {
      db: p.db,
      pollMs: 0,
    });
    try {
      const app = createApp(prepared.deps);
      return await Promise.all(paths.map(async (path) => {
        const res = await app.request(path);
        return { status: res.status, body: await res.json() };
      }));
    } finally {
      await prepared.close();
    }
  };
  const quarantined = {
    relation: "marts.prices__rejected",
    key: "sku",
    source: "shop",
    reason: "_failed_checks",
  };
  const [explained, unknown, notFound, spec] = await answers(quarantined, [
    "/api/coalescence/max?sku=1001&explain=true",
    "/api/coalescence/max?sku=1002",
    "/api/coalescence/max?sku=9",
    "/openapi.json",
  ]);
  assert.deepEqual(explained, {
    status: 200,
    body: {
      price: 300,
      stock: 2,
      strategy: "max",
      sources: [
        { source: "landed:shop_a", status: "ok", values: { price: 300, stock: 2 } },
        {
          source: "landed:shop_b",
          status: "failed",
          error: "figures rejected: positive_price; see marts.prices__rejected",
          rejected: ["positive_price"],
        },
      ],
    },
  });
  assert.deepEqual(unknown, {
    status: 502,
    body: {
      error:
        "Every source failed for sku 1002: landed:shop_b (figures rejected: in_stock, positive_price; see marts.prices__rejected)",
      sources: [{
        source: "landed:shop_b",
        status: "failed",
        error: "figures rejected: in_stock, positive_price; see marts.prices__rejected",
        rejected: ["in_stock", "positive_price"],
      }],
    },
  });
  assert.deepEqual(notFound, { status: 404, body: { error: "No info found for sku 9" } });
  const op = spec!.body.paths["/api/coalescence/{strategy}"].get;
  assert.match(
    op.description,
    /A landed source whose figures for the sku were rejected \(rows in marts\.prices__rejected, none in marts\.prices\) counts as failed/,
  );
  assert.match(op.responses["502"].description, /or had their figures rejected/);

  // A table of the warehouse with its own columns and a text reason: its rows for a key and
  // source the model has figures for are passed over; the others are grouped.
  const wh = await openWarehouse(p.db);
  await wh.exec(
    `CREATE TABLE marts.price_flags AS SELECT * FROM (VALUES
       (1004, 'shop_a', 'stale'), (1005, 'shop_c', 'stale'), (1005, 'shop_c', 'recalled'),
       (1005, 'shop_c', NULL), (NULL, 'shop_c', 'orphan')
     ) AS t(item, vendor, why)`,
  );
  wh.close();
  const flags = { relation: "marts.price_flags", key: "item", source: "vendor", reason: "why" };
  assert.deepEqual(
    await answers(flags, ["/api/coalescence/max?sku=1004", "/api/coalescence/max?sku=1005"]),
    [
      { status: 200, body: { price: 7, stock: 1 } },
      {
        status: 502,
        body: {
          error:
            "Every source failed for sku 1005: landed:shop_c (figures rejected: recalled, stale; see marts.price_flags)",
          sources: [{
            source: "landed:shop_c",
            status: "failed",
            error: "figures rejected: recalled, stale; see marts.price_flags",
            rejected: ["recalled", "stale"],
          }],
        },
      },
    ],
  );
});

Deno.test("serve.coalesce.rejected naming a relation that does not exist, is not built, or lacks a column stops the server at start, saying what to do", async () => {
  await using p = await tempProject(CHECKED_SHOP);
  const config = await loadConfig(p.root);
  const refusal = async (rejected: NonNullable<CoalesceSpec["rejected"]>) => {
    const coalesce = checkedShop(rejected);
    const err = await prepareServer({ ...config, serve: { ...config.serve, coalesce } }, {
      db: p.db,
      pollMs: 0,
    }).then((s) => s.close(), (e: Error) => e);
    assert.ok(err instanceof ConfigError, `${JSON.stringify(rejected)} was accepted`);
    return err.message;
  };
  const columns = { key: "sku", source: "shop", reason: "_failed_checks" };
  // Before any build, a checked model's quarantine counts, and a typo is caught already.
  assert.equal(
    await refusal({ ...columns, relation: "marts.prices__rejectd" }),
    'Invalid "serve.coalesce.rejected.relation" in wharf.config.ts: marts.prices__rejectd is neither the rejected rows of a model with checks (<layer>.<name>__rejected) nor a table of the warehouse (did you mean "marts.prices__rejected"?)',
  );
  // The model built and the relation not: build it, or remove the setting.
  assert.ok((await runProject("build", config, { db: p.db, select: ["marts.prices"] })).ok);
  assert.equal(
    await refusal({ ...columns, relation: "marts.orders__rejected" }),
    "serve.coalesce.rejected names marts.orders__rejected, which the warehouse lacks while it has marts.prices: build the model whose rejected rows it holds (wharf build), or remove serve.coalesce.rejected from wharf.config.ts",
  );
  assert.ok((await runProject("build", config, { db: p.db })).ok);
  assert.equal(
    await refusal({ ...columns, relation: "marts.orders", reason: "notes" }),
    'serve.coalesce.rejected names columns marts.orders lacks: source "shop", reason "notes" (did you mean "note"?); it has sku, note (fix serve.coalesce.rejected in wharf.config.ts)',
  );
});

Deno.test("the healthcare project's serve.coalesce resolves to its mart, key, three fields and the rejected figures", () => {
  assert.deepEqual(HEALTHCARE.serve.coalesce, {
    model: "marts.member_benefits",
    key: "member_id",
    source: "source",
    asOf: "as_of",
    fields: ["oop_max", "remaining_oop_max", "copay"],
    rejected: {
      relation: "intermediate.int_benefits__rejected",
      key: "member_id",
      source: "source",
      reason: "_failed_checks",
    },
  });
});

Deno.test("wharf serve of a shop project over HTTP: its key asked of a live upstream, merged with its landed prices", async () => {
  await using p = await tempProject(SHOP);
  const built = await runCli(["--project", p.root, "build"]);
  assert.equal(built.code, 0, built.stderr);
  const asked: string[] = [];
  await using shop = serveLocal((req) => {
    const url = new URL(req.url);
    asked.push(url.search);
    const sku = url.searchParams.get("sku");
    if (!sku) return Response.json({ error: "sku" }, { status: 400 });
    return Response.json(sku === "1001" ? { price: 150, stock: 5, currency: "USD" } : {});
  });
  const serveArgs = ["--project", p.root, "serve", "--port", "0"];
  await using server = await startServe([...serveArgs, "--upstream", `${shop.base}/stock`]);
  const get = async (path: string) => {
    const res = await fetch(`${server.base}${path}`);
    return { status: res.status, body: await res.json() };
  };
  assert.deepEqual(await get("/api/coalescence/min?sku=1001"), {
    status: 200,
    body: { price: 150, stock: 2 },
  });
  assert.deepEqual((await get("/api/coalescence/cheapest?sku=1001")).body, {
    price: 150,
    stock: 5,
  });
  const explained = (await get("/api/coalescence/max?sku=1002&explain=true")).body;
  assert.deepEqual(explained, {
    price: 50,
    stock: 1,
    strategy: "max",
    sources: [
      { source: "landed:shop_a", status: "ok", values: { price: 50, stock: 1 }, as_of: null },
      { source: `${shop.base}/stock`, status: "unknown" },
    ],
  });
  assert.deepEqual(asked, ["?sku=1001", "?sku=1001", "?sku=1002"]);
  // The healthcare project's key means nothing here.
  assert.deepEqual(await get("/api/coalescence/max?member_id=1001"), {
    status: 400,
    body: { error: 'Unknown query parameter "member_id": the parameters are sku and explain' },
  });
  assert.deepEqual(await get("/api/coalescence/default?sku=1001"), {
    status: 400,
    body: {
      error: 'Unknown strategy "default": use one of max, min, avg, mode, cheapest, broken',
    },
  });
  const spec = (await get("/openapi.json")).body;
  assert.match(spec.info.description, /^Coalesced price, stock per sku from several sources/);
  assert.deepEqual(
    spec.paths["/api/coalescence/{strategy}"].get.parameters.map((x: { name: string }) => x.name)
      .sort(),
    ["explain", "sku", "strategy"],
  );
  assert.equal((await server.stop()).code, 0, server.stderr());
});
