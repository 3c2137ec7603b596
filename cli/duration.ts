/**
 * Duration options of the CLI (`--timeout 10s`, `--settle 2s`,
 * `--refresh-older-than 30d`): one way to write them for every command.
 *
 * @module
 */
import { UsageError } from "../src/engine/errors.ts";

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * The milliseconds of a duration option's value: a whole number and a unit,
 * `ms`, `s`, `m`, `h` or `d` (`500ms`, `2s`, `5m`, `12h`, `30d`).
 *
 * @param flag The option, as the message names it (`--settle`).
 * @param value The value given.
 * @param examples Values that fit this option, for the message (`500ms, 10s`).
 * @throws {UsageError} naming the option and the value, with the examples.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { durationOption } from "./duration.ts";
 *
 * assert.equal(durationOption("--settle", "2s", "500ms, 2s"), 2000);
 * assert.throws(
 *   () => durationOption("--settle", "2 sec", "500ms, 2s"),
 *   { message: 'Invalid --settle "2 sec": expected a whole number and a unit (ms, s, m, h or d), e.g. 500ms, 2s' },
 * );
 * ```
 */
export function durationOption(flag: string, value: string, examples: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!m) {
    throw new UsageError(
      `Invalid ${flag} "${value}": expected a whole number and a unit (ms, s, m, h or d), e.g. ${examples}`,
    );
  }
  return Number(m[1]) * UNITS[m[2] as keyof typeof UNITS];
}
