/**
 * Upstream answers shared between requests: single flight always, and the
 * answer cache (TTL, stale-while-revalidate) when `serve` configures one —
 * on a real server, with real upstreams on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { createApp } from "../../src/serve/app.ts";
import { tempProject } from "../helpers.ts";
import { fakeUpstream, memoryDeps } from "./fakes.ts";
import { served } from "./served.ts";

const A = { oop_max: 500000, remaining_oop_max: 100000, copay: 2500 };

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(ok(), what);
}

Deno.test("without a cache, identical concurrent requests share one upstream call, and later ones ask again", async () => {
  await using slow = fakeUpstream({ kind: "slow", ms: 150, values: A });
  const app = createApp(memoryDeps({}, { upstreams: [slow.url] }));
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => app.request("/api/coalescence/max?member_id=live1")),
  );
  assert.deepEqual(answers.map((r) => r.status), Array(10).fill(200));
  assert.equal(slow.requests, 1, "ten requests at once, one call");
  await Promise.all(
    ["live1", "live2"].map((id) => app.request(`/api/coalescence/max?member_id=${id}`)),
  );
  assert.equal(
    slow.requests,
    3,
    "no cache: the next request asks again; another member has its own call",
  );
  const body = await (await app.request("/api/coalescence/max?member_id=live1&explain=true"))
    .json();
  assert.equal(body.sources[0].cached_ms_ago, undefined);
});

Deno.test("serve.upstreamCacheTtlMs reuses an upstream's answer, then gives it stale while one call refreshes it; failures are never cached", async () => {
  await using p = await tempProject();
  await using ok = fakeUpstream({ kind: "slow", ms: 150, values: A });
  await using broken = fakeUpstream({ kind: "status", status: 500 });
  await using s = await served(p, {
    upstreams: [ok.url, broken.url],
    upstreamCacheTtlMs: 400,
    upstreamCacheStaleMs: 60_000,
  });
  const path = "/api/coalescence/max?member_id=live-1&explain=true";
  const first = await Promise.all(Array.from({ length: 8 }, () => s.get(path)));
  assert.deepEqual(first.map((r) => r.status), Array(8).fill(200));
  const bodies = await Promise.all(first.map((r) => r.json()));
  assert.equal(bodies[0].oop_max, A.oop_max);
  assert.equal(ok.requests, 1);
  const brokenCalls = broken.requests;
  assert.ok(brokenCalls >= 1);

  const cached = await (await s.get(path)).json();
  assert.equal(ok.requests, 1, "within the TTL: from the cache");
  const [okSource, brokenSource] = [cached.sources.at(-2), cached.sources.at(-1)];
  assert.equal(okSource.source, ok.url);
  assert.ok(okSource.cached_ms_ago >= 0 && okSource.cached_ms_ago <= 400, okSource.cached_ms_ago);
  assert.equal(brokenSource.status, "failed");
  assert.ok(broken.requests > brokenCalls, "a failure is asked again, not cached");

  await new Promise((r) => setTimeout(r, 450));
  const stale = await (await s.get(path)).json();
  assert.ok(stale.sources.at(-2).cached_ms_ago > 400, "past the TTL: the old answer at once");
  await until("one call refreshes it in the background", () => ok.requests === 2);
  let age = Infinity;
  for (let i = 0; i < 40 && age >= 400; i++) {
    await new Promise((r) => setTimeout(r, 25));
    age = (await (await s.get(path)).json()).sources.at(-2).cached_ms_ago;
  }
  assert.ok(age < 400, `the refreshed answer replaces the stale one (${age} ms old)`);
  assert.equal(ok.requests, 2, "stale answers while the refresh ran started no other call");
});
