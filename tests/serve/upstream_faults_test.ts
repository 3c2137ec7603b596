import assert from "node:assert/strict";
import { createApp } from "../../src/serve/app.ts";
import { UpstreamHealth } from "../../src/serve/upstream_health.ts";
import { serveLocal } from "../helpers.ts";
import { fakeUpstream, memoryDeps } from "./fakes.ts";

const A = { oop_max: 500000, remaining_oop_max: 100000, copay: 2500 };

Deno.test("a member no reachable source knows while a source failed is 502 (504 if it timed out) naming it, not 404", async () => {
  await using unknown = fakeUpstream({ kind: "unknown" });
  await using broken = fakeUpstream({ kind: "status", status: 500 });
  await using slow = fakeUpstream({ kind: "slow", ms: 2000, values: A });
  const failing = createApp(memoryDeps({ other: { payer_a: A } }, {
    upstreams: [unknown.url, broken.url],
  }));
  const r502 = await failing.request("/api/coalescence/max?member_id=m9");
  assert.equal(r502.status, 502);
  const body = await r502.json();
  assert.equal(
    body.error,
    `No source that answered knows member m9, and 1 source failed, so the answer is unknown: ${broken.url} (HTTP 500)`,
  );
  assert.deepEqual(body.sources.map((s: { status: string }) => s.status), ["unknown", "failed"]);

  const timing = createApp(memoryDeps({}, { upstreams: [unknown.url, slow.url] }));
  const r504 = await timing.request("/api/coalescence/max?member_id=m9");
  assert.equal(r504.status, 504);
  assert.match((await r504.json()).error, /timed out after 300 ms\)$/);

  // Every source answered and none knows the member: that is a real "not found".
  const answered = createApp(memoryDeps({ other: { payer_a: A } }, { upstreams: [unknown.url] }));
  const r404 = await answered.request("/api/coalescence/max?member_id=m9");
  assert.equal(r404.status, 404);
  assert.deepEqual(await r404.json(), { error: "No info found for member m9" });
});

Deno.test("an upstream that keeps failing is skipped without waiting, probed in the background, and comes back", async () => {
  await using hanging = fakeUpstream({ kind: "hang" });
  await using ok = fakeUpstream({ kind: "values", values: A });
  const health = new UpstreamHealth({ failures: 2, cooldownMs: 60_000 });
  const app = createApp(memoryDeps({}, {
    upstreams: [ok.url, hanging.url],
    upstreamOptions: { timeoutMs: 200, attempts: 1 },
    upstreamHealth: health,
  }));
  for (let i = 0; i < 2; i++) {
    const body = await (await app.request("/api/coalescence/max?member_id=m1&explain=true"))
      .json();
    assert.equal(body.sources[1].error, "timed out after 200 ms");
  }
  assert.equal(hanging.requests, 2);
  // Down now: the next requests do not ask it at all.
  for (let i = 0; i < 5; i++) {
    const res = await app.request("/api/coalescence/max?member_id=m1&explain=true");
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.oop_max, A.oop_max);
    assert.match(
      body.sources[1].error,
      /^skipped: down since \S+ after 2 failures in a row \(last: timed out after 200 ms\); probed in the background$/,
    );
  }
  assert.equal(hanging.requests, 2);
  assert.deepEqual(health.status().map((s) => [s.upstream, s.state]), [
    [ok.url, "up"],
    [hanging.url, "down"],
  ]);
  const h = await (await app.request("/health")).json();
  assert.deepEqual([h.upstreams, h.upstreams_down], [2, 1]);

  // A source that comes back: after the cool-down one probe runs in the background.
  await using flaky = fakeUpstream({ kind: "flaky", failures: 2, values: A });
  const health2 = new UpstreamHealth({ failures: 2, cooldownMs: 0 });
  const app2 = createApp(memoryDeps({}, {
    upstreams: [flaky.url],
    upstreamOptions: { timeoutMs: 1000, attempts: 1 },
    upstreamHealth: health2,
  }));
  assert.equal((await app2.request("/api/coalescence/max?member_id=m1")).status, 502);
  assert.equal((await app2.request("/api/coalescence/max?member_id=m1")).status, 502);
  const skipped = await app2.request("/api/coalescence/max?member_id=m1");
  assert.equal(skipped.status, 502);
  assert.match((await skipped.json()).error, /skipped: down since/);
  await health2.settle();
  assert.equal(flaky.requests, 3, "one probe");
  assert.deepEqual(await (await app2.request("/api/coalescence/max?member_id=m1")).json(), A);
});

Deno.test("figures of a member in landed data that are out of bounds make that source an error", async () => {
  const deps = memoryDeps({ m1: { payer_a: A, payer_b: A } });
  const snapshot = deps.snapshot();
  snapshot.landed.get("m1")![1]!.error =
    "landed value out of range: oop_max 1152921504606846976 (expected integer amounts from 0 to 100000000000)";
  const app = createApp(deps);
  const body = await (await app.request("/api/coalescence/avg?member_id=m1&explain=true")).json();
  assert.equal(body.oop_max, A.oop_max);
  assert.deepEqual(body.sources[1], {
    source: "landed:payer_b",
    status: "failed",
    error: snapshot.landed.get("m1")![1]!.error,
  });
  assert.deepEqual(await (await app.request("/api/coalescence/avg?member_id=m1")).json(), A);
});

Deno.test("an answer that left failed sources out names them in Wharf-Sources-Left-Out, with why in short; one that left none out has no such header", async () => {
  await using hanging = fakeUpstream({ kind: "hang" });
  await using maintenance = fakeUpstream({ kind: "status", status: 503 });
  await using ok = fakeUpstream({ kind: "values", values: A });
  const deps = memoryDeps({ m1: { payer_a: A }, m2: { payer_a: A, "payer_ü,%": A } }, {
    upstreams: [hanging.url, maintenance.url, ok.url],
    upstreamHealth: new UpstreamHealth({ failures: 2, cooldownMs: 60_000 }),
  });
  deps.snapshot().landed.get("m2")![1]!.error =
    "landed value out of range: copay 12.5 (expected integer amounts from 0 to 100000000000)";
  await using server = serveLocal(createApp(deps).fetch);
  const get = (path: string) => fetch(`${server.base}${path}`);
  const leftOut = "wharf-sources-left-out";
  const first = await get("/api/coalescence/default?member_id=m1");
  assert.equal(first.status, 200);
  // The bare figures, as the domain asks; the header says what is missing from them.
  assert.deepEqual(await first.json(), A);
  assert.equal(
    first.headers.get(leftOut),
    `${hanging.url} (timeout), ${maintenance.url} (HTTP 503)`,
  );
  const explained = await get("/api/coalescence/default?member_id=m1&explain=true");
  assert.equal(
    explained.headers.get(leftOut),
    `${hanging.url} (timeout), ${maintenance.url} (HTTP 503)`,
  );
  await explained.body?.cancel();
  // Down now, after two failures in a row: skipped without being asked.
  const skipped = await get("/api/coalescence/default?member_id=m1");
  assert.equal(skipped.headers.get(leftOut), `${hanging.url} (down), ${maintenance.url} (down)`);
  await skipped.body?.cancel();
  // A landed source whose figures cannot be used, by a name a header cannot hold as it is.
  const landed = await get("/api/coalescence/default?member_id=m2");
  assert.equal(landed.status, 200);
  assert.match(
    landed.headers.get(leftOut)!,
    /^landed:payer_%C3%BC%2C%25 \(landed value out of range\), /,
  );
  await landed.body?.cancel();
  const doc = await (await get("/openapi.json")).json();
  assert.match(
    doc.paths["/api/coalescence/{strategy}"].get.responses["200"].headers["Wharf-Sources-Left-Out"]
      .description,
    /^Only when sources failed and the others answered: the sources left out, each with why/,
  );

  // Every source answered: no header, on the landed fast path or with upstreams.
  const healthy = memoryDeps({ m1: { payer_a: A } });
  await using plain = serveLocal(createApp(healthy).fetch);
  const fast = await fetch(`${plain.base}/api/coalescence/default?member_id=m1`);
  assert.deepEqual([fast.status, fast.headers.has(leftOut)], [200, false]);
  await fast.body?.cancel();
  await using asking = serveLocal(createApp({ ...healthy, upstreams: [ok.url] }).fetch);
  const live = await fetch(`${asking.base}/api/coalescence/default?member_id=m1`);
  assert.deepEqual([live.status, live.headers.has(leftOut)], [200, false]);
  await live.body?.cancel();
});
