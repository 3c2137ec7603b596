import assert from "node:assert/strict";
import { createApp } from "../../src/serve/app.ts";
import { memoryDeps } from "./fakes.ts";

const A = { oop_max: 500000, remaining_oop_max: 100000, copay: 2500 };

Deno.test("with a token set, every read needs it (Bearer, or Basic's password); health and the API description stay open", async () => {
  const app = createApp(memoryDeps({ m1: { payer_a: A } }, { readTokens: ["w-token", "r-token"] }));
  const reads = [
    "/api/coalescence/max?member_id=m1",
    "/api/models",
    "/api/models/marts/members",
    "/api/models/marts/members/rows",
    "/docs",
    "/docs/manifest.json",
    "/no/such/route",
  ];
  for (const path of reads) {
    const none = await app.request(path);
    assert.equal(none.status, 401, path);
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer realm="wharf", Basic /);
    assert.deepEqual(await none.json(), {
      error: "Missing token: reads need Authorization: Bearer <token>",
    });
    const wrong = await app.request(path, { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 403, path);
  }
  for (const token of ["w-token", "r-token"]) {
    const res = await app.request(reads[0]!, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(await res.json(), A);
  }
  const basic = await app.request(reads[0]!, {
    headers: { authorization: `Basic ${btoa("anyone:r-token")}` },
  });
  assert.equal(basic.status, 200);
  for (const path of ["/health", "/openapi.json", "/docs/api"]) {
    assert.equal((await app.request(path)).status, 200, path);
  }
});

Deno.test("without a token, reads are open", async () => {
  const app = createApp(memoryDeps({ m1: { payer_a: A } }));
  assert.deepEqual(await (await app.request("/api/coalescence/max?member_id=m1")).json(), A);
});
