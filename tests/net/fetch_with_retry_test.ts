import assert from "node:assert/strict";
import { AttemptFailure } from "../../src/net/attempt_failure.ts";
import { CircuitBreaker } from "../../src/net/circuit_breaker.ts";
import { fetchWithRetry } from "../../src/net/fetch_with_retry.ts";
import type { RetryInfo } from "../../src/net/retrier.ts";
import { fetchFailure } from "./helpers.ts";
import { answer, cutOff, faultyServer } from "./faulty_server.ts";

/** Short waits, so that the tests are about what happens, not how long it takes. */
const FAST = { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 5000 };
const BODY = JSON.stringify({ values: Array.from({ length: 2000 }, (_, i) => i) });

Deno.test("fetchWithRetry() retries a 503 and a body cut off mid-way, and returns the whole answer", async () => {
  await using server = faultyServer((_req, n) =>
    n === 1
      ? answer(503, "busy")
      : n === 2
      ? cutOff(new TextEncoder().encode(BODY), 1000, { "content-type": "application/json" })
      : answer(200, BODY, { "content-type": "application/json" })
  );
  const retries: RetryInfo[] = [];
  const got = await fetchWithRetry(`${server.base}/values`, {
    ...FAST,
    onRetry: (r) => retries.push(r),
  });
  assert.equal(got.status, 200);
  assert.equal(got.text(), BODY);
  assert.equal(server.requests.length, 3);
  assert.deepEqual(retries.map((r) => [r.attempt, r.status]), [[2, 503], [3, undefined]]);
  assert.equal(retries[0]!.error, "HTTP 503");
  assert.match(retries[1]!.error, /^connection failed: /);
});

Deno.test("fetchWithRetry() retries a refused connection, then names it", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${(closed.addr as Deno.NetAddr).port}/`;
  closed.close();
  const err = await fetchFailure(fetchWithRetry(url, { ...FAST, attempts: 3 }));
  assert.deepEqual([err.kind, err.attempts], ["connection", 3]);
  assert.match(
    err.message,
    /^Cannot fetch "http:\/\/127\.0\.0\.1:\d+\/" after 3 attempts: connection failed: /,
  );
});

Deno.test("fetchWithRetry() honors Retry-After in seconds and as an HTTP-date, and backs off normally on garbage", async () => {
  await using server = faultyServer((_req, n) =>
    n === 1
      ? answer(429, "slow down", { "retry-after": "1" })
      : n === 2
      ? answer(503, "", { "retry-after": new Date(Date.now() + 2000).toUTCString() })
      : n === 3
      ? answer(503, "", { "retry-after": "soon" })
      : answer(200, "ok")
  );
  const retries: RetryInfo[] = [];
  const got = await fetchWithRetry(`${server.base}/`, {
    ...FAST,
    random: () => 0, // no backoff of its own: every wait is the server's
    onRetry: (r) => retries.push(r),
  });
  assert.equal(got.text(), "ok");
  assert.deepEqual(retries.map((r) => r.error.replace(/"[A-Z][a-z]{2}, .* GMT"/, "<date>")), [
    'HTTP 429 with Retry-After "1"',
    "HTTP 503 with Retry-After <date>",
    'HTTP 503 with Retry-After "soon" (not a valid value: normal backoff)',
  ]);
  assert.equal(retries[0]!.delayMs, 1000);
  // The date is in whole seconds, two ahead: a wait of one to two.
  assert.ok(retries[1]!.delayMs > 0 && retries[1]!.delayMs <= 2000, `${retries[1]!.delayMs}`);
  assert.equal(retries[2]!.delayMs, 0);
});

Deno.test("fetchWithRetry() does not wait for a Retry-After over the cap: it fails at once saying what was asked", async () => {
  await using server = faultyServer(() => answer(503, "", { "retry-after": "3600" }));
  const url = `${server.base}/x`;
  const err = await fetchFailure(fetchWithRetry(url, FAST));
  assert.equal(err.kind, "wait");
  assert.equal(err.attempts, 1);
  assert.equal(err.status, 503);
  assert.equal(err.retryAfter, "3600");
  assert.equal(err.retryAfterMs, 3_600_000);
  assert.equal(err.detail, 'HTTP 503 with Retry-After "3600"');
  assert.equal(
    err.message,
    `Cannot fetch "${url}": HTTP 503 with Retry-After "3600": the server asked to wait 60 min 0 s, longer than the 60 s cap`,
  );
  assert.equal(server.requests.length, 1);
});

Deno.test("fetchWithRetry() times out a server that hangs, before the headers or in the body", async () => {
  await using silent = faultyServer(() => [{ hang: true }]);
  const err = await fetchFailure(
    fetchWithRetry(`${silent.base}/`, { ...FAST, timeoutMs: 200, attempts: 2 }),
  );
  assert.deepEqual([err.kind, err.detail, err.attempts], ["timeout", "timed out after 200 ms", 2]);
  assert.equal(silent.requests.length, 2);

  // A live request that must not wait twice: a timeout is final.
  await using stalling = faultyServer(() => [
    { status: 200, headers: { "content-length": 100 } },
    { body: "x".repeat(10) },
    { hang: true },
  ]);
  const once = await fetchFailure(
    fetchWithRetry(`${stalling.base}/`, { ...FAST, timeoutMs: 200, retryTimeouts: false }),
  );
  assert.deepEqual([once.kind, once.attempts], ["timeout", 1]);
  assert.equal(stalling.requests.length, 1);
});

Deno.test("fetchWithRetry() refuses an answer over the size cap, declared or not, without retrying", async () => {
  const big = "x".repeat(5000);
  await using declared = faultyServer(() => answer(200, big));
  const a = await fetchFailure(fetchWithRetry(`${declared.base}/`, { ...FAST, maxBytes: 1000 }));
  assert.deepEqual([a.kind, a.detail], ["too_large", "answer too large: over 1000 bytes"]);
  assert.equal(declared.requests.length, 1);
  // No Content-Length: the body runs until the connection closes.
  await using undeclared = faultyServer(() => [{ status: 200 }, { body: big }]);
  const b = await fetchFailure(fetchWithRetry(`${undeclared.base}/`, { ...FAST, maxBytes: 1000 }));
  assert.deepEqual([b.kind, b.attempts], ["too_large", 1]);
  // Within the cap, the same undeclared body is read whole.
  const ok = await fetchWithRetry(`${undeclared.base}/`, { ...FAST, maxBytes: 5000 });
  assert.equal(ok.text(), big);
});

Deno.test("fetchWithRetry(): read retries an answer that cannot be used, and a 404 is final", async () => {
  await using server = faultyServer((req, n) =>
    req.path === "/missing"
      ? answer(404, "no such thing")
      : n === 1
      ? answer(200, "<html>maintenance</html>")
      : answer(200, '{"ok":true}')
  );
  const got = await fetchWithRetry(`${server.base}/`, {
    ...FAST,
    read: (a) => {
      try {
        return JSON.parse(a.text());
      } catch {
        throw new AttemptFailure("invalid", `HTTP ${a.status} with a body that is not JSON`);
      }
    },
  });
  assert.deepEqual(got, { ok: true });
  assert.equal(server.requests.length, 2);
  const url = `${server.base}/missing`;
  const err = await fetchFailure(fetchWithRetry(url, FAST));
  assert.deepEqual([err.kind, err.status, err.attempts], ["status", 404, 1]);
  assert.equal(err.message, `Cannot fetch "${url}": HTTP 404 Not Found`);
  assert.equal(server.requests.length, 3);
});

Deno.test("fetchWithRetry() with a circuit breaker: failures open it, the next request waits for the probe", async () => {
  let healthy = false;
  await using server = faultyServer(() => healthy ? answer(200, "ok") : answer(503, ""));
  const breaker = new CircuitBreaker({ window: 2, threshold: 1, cooldownMs: 50 });
  const err = await fetchFailure(
    fetchWithRetry(`${server.base}/`, { ...FAST, attempts: 2, breaker }),
  );
  assert.equal(err.attempts, 2);
  assert.deepEqual([breaker.state, breaker.opened, breaker.lastFailure], ["open", 1, "HTTP 503"]);
  healthy = true;
  const got = await fetchWithRetry(`${server.base}/`, { ...FAST, breaker });
  assert.equal(got.text(), "ok");
  assert.deepEqual([breaker.state, breaker.failuresInARow], ["closed", 0]);
  assert.equal(server.requests.length, 3);
});

Deno.test("fetchWithRetry() stops when beforeAttempt says so, or when its signal aborts a wait", async () => {
  await using server = faultyServer((req) =>
    answer(503, "", { "retry-after": req.path === "/slow" ? "30" : "0" })
  );
  const stopped = await fetchFailure(
    fetchWithRetry(`${server.base}/`, { ...FAST, beforeAttempt: (n) => n === 1 }),
  );
  assert.deepEqual([stopped.kind, stopped.attempts, stopped.status], ["stopped", 1, 503]);
  assert.equal(stopped.detail, 'HTTP 503 with Retry-After "0"');
  assert.match(stopped.message, /: HTTP 503 with Retry-After "0"; then stopped$/);

  const never = await fetchFailure(
    fetchWithRetry(`${server.base}/`, { beforeAttempt: () => false }),
  );
  assert.deepEqual([never.kind, never.attempts], ["stopped", 0]);
  assert.equal(never.detail, "stopped before the first attempt");

  // Aborting during the 30 s Retry-After ends the wait at once.
  const controller = new AbortController();
  const waiting = fetchFailure(
    fetchWithRetry(`${server.base}/slow`, {
      ...FAST,
      signal: controller.signal,
      onRetry: () => controller.abort(),
    }),
  );
  const aborted = await waiting;
  assert.deepEqual([aborted.kind, aborted.attempts], ["stopped", 1]);
  assert.equal(server.requests.length, 2);
});
