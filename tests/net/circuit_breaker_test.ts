import assert from "node:assert/strict";
import { CircuitBreaker } from "../../src/net/circuit_breaker.ts";

/** A breaker on a clock the test moves. */
function onClock(options: { window: number; threshold: number; cooldownMs: number }) {
  const clock = { now: 1_000_000 };
  const breaker = new CircuitBreaker({ ...options, now: () => clock.now });
  return { clock, breaker };
}

Deno.test("CircuitBreaker opens when the share of failures in its window reaches the threshold", () => {
  const { breaker } = onClock({ window: 5, threshold: 0.8, cooldownMs: 1000 });
  // 3 of 5 failed: below 80%.
  for (const ok of [true, false, false, true, false]) ok ? breaker.success() : breaker.failure("x");
  assert.equal(breaker.state, "closed");
  breaker.failure("x"); // the window is now false, false, true, false, false: 4 of 5
  assert.equal(breaker.state, "open");
  assert.deepEqual([breaker.opened, breaker.failuresInARow, breaker.lastFailure], [1, 2, "x"]);
  // Too few outcomes never open it, however bad.
  const fresh = onClock({ window: 5, threshold: 0.8, cooldownMs: 1000 }).breaker;
  for (let i = 0; i < 4; i++) fresh.failure("y");
  assert.equal(fresh.state, "closed");
});

Deno.test("CircuitBreaker with threshold 1 is failures in a row: a success in between starts the count again", () => {
  const { breaker } = onClock({ window: 3, threshold: 1, cooldownMs: 1000 });
  breaker.failure("a");
  breaker.failure("b");
  breaker.success();
  breaker.failure("c");
  breaker.failure("d");
  assert.deepEqual([breaker.state, breaker.failuresInARow], ["closed", 2]);
  breaker.failure("e");
  assert.deepEqual([breaker.state, breaker.lastFailure], ["open", "e"]);
});

Deno.test("CircuitBreaker lets one probe through after the cool-down: its success closes, its failure opens again", () => {
  const { clock, breaker } = onClock({ window: 2, threshold: 1, cooldownMs: 1000 });
  breaker.failure("down");
  breaker.failure("down");
  const since = breaker.since;
  assert.equal(since, clock.now);
  assert.equal(breaker.tryAcquire(), false);
  clock.now += 999;
  assert.equal(breaker.tryAcquire(), false);
  clock.now += 1;
  assert.equal(breaker.tryAcquire(), true);
  assert.equal(breaker.state, "half_open");
  assert.equal(breaker.tryAcquire(), false, "one probe at a time");
  breaker.failure("still down");
  assert.deepEqual([breaker.state, breaker.opened, breaker.since], ["open", 2, since]);
  assert.equal(breaker.failuresInARow, 3);
  clock.now += 1000;
  assert.equal(breaker.tryAcquire(), true);
  breaker.success();
  assert.deepEqual([breaker.state, breaker.since, breaker.failuresInARow], [
    "closed",
    undefined,
    0,
  ]);
  assert.equal(breaker.tryAcquire(), true);
  // The window starts empty: one failure does not open it again.
  breaker.failure("once");
  assert.equal(breaker.state, "closed");
});

Deno.test("CircuitBreaker replaces a probe that never reports after another cool-down", () => {
  const { clock, breaker } = onClock({ window: 1, threshold: 1, cooldownMs: 500 });
  breaker.failure("down");
  clock.now += 500;
  assert.equal(breaker.tryAcquire(), true);
  clock.now += 499;
  assert.equal(breaker.tryAcquire(), false);
  clock.now += 1;
  assert.equal(breaker.tryAcquire(), true);
});

Deno.test("CircuitBreaker.hold() keeps every request back until then, closed or not", () => {
  const { clock, breaker } = onClock({ window: 3, threshold: 1, cooldownMs: 100 });
  breaker.hold(clock.now + 2000);
  breaker.hold(clock.now + 1000); // an earlier time does not shorten it
  assert.equal(breaker.tryAcquire(), false);
  clock.now += 1999;
  assert.equal(breaker.tryAcquire(), false);
  clock.now += 1;
  assert.equal(breaker.tryAcquire(), true);
  assert.equal(breaker.state, "closed");
});

Deno.test("CircuitBreaker.ready() waits while open and wakes when a probe closes it", async () => {
  const breaker = new CircuitBreaker({ window: 1, threshold: 1, cooldownMs: 60_000 });
  breaker.failure("down");
  let ready = false;
  const waiting = breaker.ready().then(() => (ready = true));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(ready, false);
  breaker.success(); // another request's answer
  await waiting;
  assert.equal(ready, true);
  // An aborted signal ends the wait too.
  breaker.failure("down again");
  const stop = new AbortController();
  const stopped = breaker.ready(stop.signal);
  stop.abort();
  await stopped;
  assert.equal(breaker.state, "open");
});
