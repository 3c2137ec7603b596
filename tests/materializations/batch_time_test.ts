import assert from "node:assert/strict";
import {
  addBatches,
  batchesBetween,
  batchLabel,
  batchStart,
  formatEventTime,
  parseEventTime,
} from "../../src/engine/materializations/incremental_strategies/batch_time.ts";

const t = (text: string) => parseEventTime(text)!;

Deno.test("parseEventTime() reads dates and times as UTC, and refuses what names no instant", () => {
  assert.equal(t("2024-01-31").toISOString(), "2024-01-31T00:00:00.000Z");
  assert.equal(t("2024-01-31 06:30").toISOString(), "2024-01-31T06:30:00.000Z");
  assert.equal(t("2024-01-31T06:30:15Z").toISOString(), "2024-01-31T06:30:15.000Z");
  assert.equal(t("2024-02-29").toISOString(), "2024-02-29T00:00:00.000Z");
  for (
    const bad of ["2023-02-29", "2024-13-01", "2024-01-31 24:00", "31/01/2024", "2024-1-31", ""]
  ) {
    assert.equal(parseEventTime(bad), undefined, bad);
  }
});

Deno.test("batches of an hour, a day and a month cover a range whole, in UTC", () => {
  const labels = (from: string, to: string, size: "hour" | "day" | "month") =>
    batchesBetween(t(from), t(to), size).map((b) => batchLabel(b.start, size));
  assert.deepEqual(labels("2024-01-31 22:30", "2024-02-01 01:00", "hour"), [
    "2024-01-31 22:00",
    "2024-01-31 23:00",
    "2024-02-01 00:00",
  ]);
  assert.deepEqual(labels("2024-02-28 12:00", "2024-03-01 00:00:01", "day"), [
    "2024-02-28",
    "2024-02-29",
    "2024-03-01",
  ]);
  assert.deepEqual(labels("2023-12-31", "2024-03-01", "month"), ["2023-12", "2024-01", "2024-02"]);
  assert.deepEqual(labels("2024-01-01", "2024-01-01", "day"), []);
  // Month arithmetic from a month's first day never skips a short month.
  assert.equal(formatEventTime(addBatches(t("2024-01-01"), "month", 1)), "2024-02-01");
  assert.equal(formatEventTime(addBatches(t("2024-03-01"), "month", -1)), "2024-02-01");
  assert.equal(formatEventTime(batchStart(t("2024-03-31 23:59"), "month")), "2024-03-01");
  assert.equal(formatEventTime(t("2024-03-31 23:59")), "2024-03-31 23:59");
  assert.equal(formatEventTime(t("2024-03-31 23:59:30")), "2024-03-31 23:59:30");
});
