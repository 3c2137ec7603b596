import assert from "node:assert/strict";
import { backoff } from "../../src/net/backoff.ts";

Deno.test("backoff() is full jitter under a ceiling that doubles up to the cap", () => {
  const whole = { baseDelayMs: 250, maxDelayMs: 10_000, random: () => 1 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 30].map((n) => backoff(n, whole)),
    [250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000],
  );
  assert.equal(backoff(4, { ...whole, random: () => 0 }), 0);
  assert.equal(backoff(4, { ...whole, random: () => 0.25 }), 500);
  // Defaults: 250 ms doubling to 10 s, with Math.random.
  for (let i = 0; i < 100; i++) {
    const wait = backoff(3);
    assert.ok(wait >= 0 && wait < 1000, String(wait));
  }
});
