import assert from "node:assert/strict";
import { parseRetryAfter } from "../../src/net/retry_after.ts";

const NOW = Date.UTC(1994, 10, 6, 8, 49, 7); // 30 s before Sun, 06 Nov 1994 08:49:37 GMT

Deno.test("parseRetryAfter() reads delay-seconds and the three HTTP-date forms", () => {
  assert.equal(parseRetryAfter("120", NOW), 120_000);
  assert.equal(parseRetryAfter(" 0 ", NOW), 0);
  assert.equal(parseRetryAfter("3600", NOW), 3_600_000);
  assert.equal(parseRetryAfter("99999999", NOW), 99_999_999_000);
  assert.equal(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", NOW), 30_000);
  assert.equal(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", NOW), 30_000);
  assert.equal(parseRetryAfter("Sun Nov  6 08:49:37 1994", NOW), 30_000);
  // A date in the past asks for no wait.
  assert.equal(parseRetryAfter("Sat, 05 Nov 1994 08:49:37 GMT", NOW), 0);
});

Deno.test("parseRetryAfter() gives undefined for what HTTP does not allow", () => {
  for (
    const value of [
      null,
      "",
      "-5",
      "1.5",
      "+3",
      "1e3",
      "soon",
      "Sun, 06 Nov 1994 08:49:37", // no GMT
      "Sun, 31 Feb 1994 08:49:37 GMT", // no such day
      "Sun, 06 Nov 1994 25:49:37 GMT",
      "2024-01-01T00:00:00Z",
    ]
  ) {
    assert.equal(parseRetryAfter(value, NOW), undefined, String(value));
  }
});
