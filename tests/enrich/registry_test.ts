import assert from "node:assert/strict";
import { queryRegistry } from "../../src/enrich/registry.ts";
import { serveLocal } from "../helpers.ts";

Deno.test("queryRegistry() treats an answer without the NPI asked for as retryable, and says why", async () => {
  const other = JSON.stringify({ result_count: 1, results: [{ number: 1720377294 }] });
  await using server = serveLocal(() => new Response(other));
  const outcome = await queryRegistry(`${server.base}/api/`, "1234567893", { timeoutMs: 5000 });
  assert.equal(outcome.kind, "retry");
  assert.match(
    (outcome as { error: string }).error,
    /^the answer holds no result for NPI 1234567893 \(1 other\): is --registry the NPI Registry API\?$/,
  );
});

Deno.test("queryRegistry() reports a Retry-After as sent, and whether it is valid", async () => {
  let header = "-5";
  await using server = serveLocal(() =>
    new Response("slow down", { status: 429, headers: { "retry-after": header } })
  );
  const url = `${server.base}/api/`;
  assert.deepEqual(await queryRegistry(url, "1234567893", { timeoutMs: 5000 }), {
    kind: "retry",
    status: 429,
    error: 'HTTP 429 with Retry-After "-5" (not a valid value: normal backoff)',
    retryAfterMs: undefined,
    retryAfter: "-5",
  });
  header = "7";
  assert.deepEqual(await queryRegistry(url, "1234567893", { timeoutMs: 5000 }), {
    kind: "retry",
    status: 429,
    error: 'HTTP 429 with Retry-After "7"',
    retryAfterMs: 7000,
    retryAfter: "7",
  });
});

Deno.test("queryRegistry() ends a 404 for good, even with an HTML body: only 408, 429 and 5xx are retried", async () => {
  await using server = serveLocal(() =>
    new Response("<html>Not Found</html>", {
      status: 404,
      headers: { "content-type": "text/html" },
    })
  );
  assert.deepEqual(await queryRegistry(`${server.base}/api/`, "1234567893", { timeoutMs: 5000 }), {
    kind: "rejected",
    status: 404,
    body: "<html>Not Found</html>",
    error: "HTTP 404",
  });
});
