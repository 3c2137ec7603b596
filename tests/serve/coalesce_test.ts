import assert from "node:assert/strict";
import { SmartRouter } from "hono/router/smart-router";
import { createApp } from "../../src/serve/app.ts";
import { fakeUpstream, memoryDeps } from "./fakes.ts";

const A = { oop_max: 500000, remaining_oop_max: 100000, copay: 2500 };
const B = { oop_max: 400000, remaining_oop_max: 300000, copay: 5000 };

Deno.test("coalescing answers from landed data with the bare three fields, or explains with ?explain=true", async () => {
  const app = createApp(memoryDeps({ m1: { payer_a: A, payer_b: B } }));
  const res = await app.request("/api/coalescence/default?member_id=m1");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { oop_max: 500000, remaining_oop_max: 300000, copay: 5000 });
  const explained = await (await app.request("/api/coalescence/min?member_id=m1&explain=true"))
    .json();
  assert.deepEqual(explained, {
    oop_max: 400000,
    remaining_oop_max: 100000,
    copay: 2500,
    strategy: "min",
    sources: [
      { source: "landed:payer_a", status: "ok", values: A },
      { source: "landed:payer_b", status: "ok", values: B },
    ],
  });
});

Deno.test("coalescing checks the strategy first, then member_id, and says who is unknown", async () => {
  const app = createApp(memoryDeps({ m1: { payer_a: A } }));
  const bad = await app.request("/api/coalescence/median");
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), {
    error: 'Unknown strategy "median": use one of max, min, avg, mode, default',
  });
  const missing = await app.request("/api/coalescence/max");
  assert.equal(missing.status, 400);
  assert.deepEqual(await missing.json(), { error: "Missing member_id: pass ?member_id=<id>" });
  const unknown = await app.request("/api/coalescence/max?member_id=nobody");
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), { error: "No info found for member nobody" });
});

Deno.test("a misspelt query parameter of coalescing gets the closest one as a suggestion", async () => {
  const app = createApp(memoryDeps({ m1: { payer_a: A } }));
  const res = await app.request("/api/coalescence/max?memberid=m1");
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), {
    error:
      'Unknown query parameter "memberid" (did you mean "member_id"?): the parameters are member_id and explain',
  });
});

Deno.test("the OpenAPI document says member_id is required, as a request without it is 400", async () => {
  const app = createApp(memoryDeps({ m1: { payer_a: A } }));
  const doc = await (await app.request("/openapi.json")).json();
  const param = doc.paths["/api/coalescence/{strategy}"].get.parameters.find((
    p: { name: string },
  ) => p.name === "member_id");
  assert.deepEqual([param.in, param.required, param.description], [
    "query",
    true,
    "The member_id to answer for (surrounding whitespace is trimmed)",
  ]);
  assert.equal((await app.request("/api/coalescence/max")).status, 400);
});

Deno.test("a new strategy is one function in the registry", async () => {
  const deps = memoryDeps({ m1: { a: A, b: B } });
  const app = createApp({
    ...deps,
    strategies: { ...deps.strategies, first: (answers) => answers[0]! },
  });
  assert.deepEqual(await (await app.request("/api/coalescence/first?member_id=m1")).json(), A);
});

Deno.test("live upstreams are asked concurrently; the down, slow, garbage and {} ones are left out and named", async () => {
  await using ok = fakeUpstream({ kind: "values", values: B });
  await using unknown = fakeUpstream({ kind: "unknown" });
  await using garbage = fakeUpstream({ kind: "garbage", body: '{"oop_max": "lots"' });
  await using maintenance = fakeUpstream({ kind: "status", status: 503 });
  await using slow = fakeUpstream({ kind: "slow", ms: 5000, values: A });
  await using loris = fakeUpstream({ kind: "slowloris" });
  const down = "http://127.0.0.1:9/benefits";
  const app = createApp(memoryDeps({}, {
    upstreams: [ok.url, unknown.url, garbage.url, maintenance.url, slow.url, loris.url, down],
  }));
  const started = performance.now();
  const res = await app.request("/api/coalescence/max?member_id=m7&explain=true");
  const elapsed = performance.now() - started;
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual([body.oop_max, body.remaining_oop_max, body.copay], [
    B.oop_max,
    B.remaining_oop_max,
    B.copay,
  ]);
  const status = Object.fromEntries(
    body.sources.map((
      s: { source: string; status: string; error?: string },
    ) => [s.source, `${s.status}${s.error ? `: ${s.error}` : ""}`]),
  );
  assert.equal(status[ok.url], "ok");
  assert.equal(status[unknown.url], "unknown");
  assert.equal(status[garbage.url], "failed: malformed answer: not JSON");
  assert.equal(status[maintenance.url], "failed: HTTP 503");
  assert.equal(status[slow.url], "failed: timed out after 300 ms");
  assert.equal(status[loris.url], "failed: timed out after 300 ms");
  assert.match(status[down]!, /^failed: /);
  // One attempt of 300 ms at most for a source that times out, in parallel: not the 5 s of the slow one.
  assert.ok(elapsed < 1500, `took ${elapsed} ms`);
  assert.equal(slow.requests, 1, "a timeout is not retried");
  assert.equal(maintenance.requests, 2, "a 5xx is retried once");
});

Deno.test("a flaky upstream is retried; when every source fails the answer is 502 naming them, 504 when all timed out", async () => {
  await using flaky = fakeUpstream({ kind: "flaky", failures: 1, values: A });
  const retried = createApp(memoryDeps({}, { upstreams: [flaky.url] }));
  assert.deepEqual(await (await retried.request("/api/coalescence/avg?member_id=x")).json(), A);
  assert.equal(flaky.requests, 2);

  await using broken = fakeUpstream({ kind: "status", status: 500 });
  const failing = createApp(memoryDeps({}, { upstreams: [broken.url] }));
  const r502 = await failing.request("/api/coalescence/avg?member_id=x");
  assert.equal(r502.status, 502);
  assert.match(
    (await r502.json()).error,
    new RegExp(
      `^Every source failed for member x: ${broken.url.replaceAll(".", "\\.")} \\(HTTP 500\\)$`,
    ),
  );

  await using slow = fakeUpstream({ kind: "slow", ms: 2000, values: A });
  const timing = createApp(memoryDeps({}, { upstreams: [slow.url] }));
  assert.equal((await timing.request("/api/coalescence/avg?member_id=x")).status, 504);
});

Deno.test("landed data and live upstreams combine", async () => {
  await using live = fakeUpstream({
    kind: "values",
    values: { oop_max: 900000, remaining_oop_max: 5, copay: 1 },
  });
  const app = createApp(memoryDeps({ m1: { payer_a: A } }, { upstreams: [live.url] }));
  assert.deepEqual(await (await app.request("/api/coalescence/max?member_id=m1")).json(), {
    oop_max: 900000,
    remaining_oop_max: 100000,
    copay: 2500,
  });
});

Deno.test("every route fits Hono's RegExpRouter (one route that does not would slow every request)", async () => {
  const app = createApp(memoryDeps({ m1: { payer_a: A } }));
  assert.equal((await app.request("/health")).status, 200);
  assert.ok(app.router instanceof SmartRouter);
  assert.equal(app.router.activeRouter.name, "RegExpRouter");
});
