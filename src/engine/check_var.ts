/**
 * Typed project variables: the types a variable of `wharf.config.ts` may
 * declare (`vars: { as_of_date: { default: "2023-09-01", type: "date" } }`),
 * and the check of a value against one, run on the default when the
 * configuration loads and on every `--vars` value before anything runs.
 *
 * @module
 */

/** The types a variable may declare. */
export const VAR_TYPES = ["text", "date", "timestamp", "integer", "number", "boolean"] as const;

/** A variable's declared type: what its value must be (it still reaches SQL as text). */
export type VarType = typeof VAR_TYPES[number];

/** Why `y-m-d` is no day of the calendar, or undefined when it is one. */
function impossibleDay(y: number, m: number, d: number): string | undefined {
  if (m < 1 || m > 12) return `there is no month ${m}`;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const month = new Date(Date.UTC(y, m - 1, 1)).toLocaleString("en-US", {
    month: "long",
    timeZone: "UTC",
  });
  if (d < 1 || d > days) return `${month} ${y} has ${days} days`;
  return undefined;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/;

/** What each type expects, for error messages. */
const EXPECTED: Record<VarType, string> = {
  text: "any text",
  date: "a date, YYYY-MM-DD (e.g. 2024-01-31)",
  timestamp: "a timestamp, YYYY-MM-DD HH:MM[:SS] with an optional Z or ±HH:MM offset",
  integer: "a whole number (e.g. 30)",
  number: "a number (e.g. 2.5)",
  boolean: "true or false",
};

/**
 * Checks `value` (a variable's text) against its declared `type`.
 *
 * @returns undefined when it fits, else why not: the value quoted, what is
 * wrong with it, and what the type expects.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkVar } from "./check_var.ts";
 *
 * assert.equal(checkVar("date", "2023-09-01"), undefined);
 * assert.equal(
 *   checkVar("date", "2023-09-31"),
 *   '"2023-09-31" is no date (September 2023 has 30 days): expected a date, YYYY-MM-DD (e.g. 2024-01-31)',
 * );
 * assert.equal(checkVar("integer", "30"), undefined);
 * ```
 */
export function checkVar(type: VarType, value: string): string | undefined {
  const wrong = (why?: string) =>
    `${JSON.stringify(value)} is no ${type}${why ? ` (${why})` : ""}: expected ${EXPECTED[type]}`;
  switch (type) {
    case "text":
      return undefined;
    case "date":
    case "timestamp": {
      const m = (type === "date" ? DATE : TIMESTAMP).exec(value);
      if (!m) return wrong();
      const day = impossibleDay(Number(m[1]), Number(m[2]), Number(m[3]));
      if (day) return wrong(day);
      if (type === "timestamp" && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 59)) {
        return wrong("no such time of day");
      }
      return undefined;
    }
    case "integer":
      return /^[+-]?\d+$/.test(value) ? undefined : wrong();
    case "number":
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? undefined : wrong();
    case "boolean":
      return value === "true" || value === "false" ? undefined : wrong();
  }
}
