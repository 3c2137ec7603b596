/**
 * A data test's configs beyond its severity, as dbt has them and in the
 * same YAML keys for plain-SQL and dbt projects: `where` (test only the
 * rows of the relation where a condition holds), `limit` (count and store
 * at most so many failing rows), `fail_calc` (what is counted over the
 * failing rows: `count(*)` by default, e.g. `sum(n_records)`), `warn_if` /
 * `error_if` (thresholds on that count, `!= 0` by default, e.g. `> 10`),
 * `store_failures` (failing rows go to `wharf_failures.<test>`; true by
 * default) and `store_failures_as` (`table`, `view` or `ephemeral`: not
 * stored; it wins over `store_failures`, as in dbt), `tags` and `enabled`.
 * And the outcome of a test from its count of failures.
 *
 * @module
 */
import { z } from "../zod.ts";
import type { Severity, TestConfig } from "../types.ts";
import { describe } from "../yaml/yaml_file.ts";
import { flag, mapping, oneOf, text, textList } from "../yaml/yaml_schema.ts";

/** The config keys of a test beside `severity`. */
export const TEST_CONFIG_KEYS: readonly string[] = [
  "where",
  "limit",
  "warn_if",
  "error_if",
  "store_failures",
  "store_failures_as",
  "fail_calc",
  "tags",
  "enabled",
];

/** How a test's failing rows are kept (`store_failures_as`): `ephemeral` keeps none. */
export const STORE_FAILURES_AS = ["table", "view", "ephemeral"] as const;

const THRESHOLD = /^\s*(!=|<>|==|=|>=|<=|>|<)\s*(\d+)\s*$/;
const THRESHOLD_EXPECTED =
  'expected a comparison with a number of failing rows, e.g. "!= 0" or ">10"';

/**
 * True when `count` failing rows meet `threshold` (`!= 0`, `>10`, `=0`, …).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { meets } from "./test_config.ts";
 *
 * assert.equal(meets(3, "!= 0"), true);
 * assert.equal(meets(3, ">10"), false);
 * assert.equal(meets(0, "=0"), true);
 * ```
 */
export function meets(count: number, threshold: string): boolean {
  const m = THRESHOLD.exec(threshold);
  if (!m) throw new Error(`Invalid threshold "${threshold}"`);
  const n = Number(m[2]);
  switch (m[1]) {
    case "!=":
    case "<>":
      return count !== n;
    case "=":
    case "==":
      return count === n;
    case ">":
      return count > n;
    case ">=":
      return count >= n;
    case "<":
      return count < n;
    default:
      return count <= n;
  }
}

const threshold = text("a threshold", THRESHOLD_EXPECTED).refine((v) => THRESHOLD.test(v), {
  error: (iss) => `${THRESHOLD_EXPECTED}, got ${JSON.stringify(iss.input)}`,
});

/** The schema of a test's config keys (with `severity`), for `config:` and the top-level form. */
export const testConfigShape = {
  severity: oneOf(["error", "warn", "ERROR", "WARN"] as const).optional(),
  where: text("a SQL condition", "expected a SQL condition, e.g. \"status = 'active'\"")
    .optional(),
  limit: z.custom<number>((v) => Number.isInteger(v) && (v as number) > 0, {
    error: (iss) => `expected a whole number of rows above 0, got ${describe(iss.input)}`,
  }).optional(),
  warn_if: threshold.optional(),
  error_if: threshold.optional(),
  store_failures: flag().optional(),
  store_failures_as: oneOf(STORE_FAILURES_AS).optional(),
  fail_calc: text(
    "a SQL expression over the failing rows",
    'expected a SQL expression over the failing rows, e.g. "sum(n_records)"',
  ).refine((v) => v.trim() !== "", {
    error: 'expected a SQL expression over the failing rows, e.g. "sum(n_records)", got ""',
  }).optional(),
  tags: textList().optional(),
  enabled: flag().optional(),
};

/** A test's `config:` mapping. */
export const testConfigSchema = mapping("a test's config", testConfigShape);

/** The parsed keys of {@linkcode testConfigShape}, as a node carries them. */
export function toTestConfig(
  raw: z.output<typeof testConfigSchema> | undefined,
): { severity?: Severity; config?: TestConfig } {
  if (!raw) return {};
  const config: TestConfig = {
    ...(raw.where === undefined ? {} : { where: raw.where }),
    ...(raw.limit === undefined ? {} : { limit: raw.limit }),
    ...(raw.warn_if === undefined ? {} : { warnIf: raw.warn_if }),
    ...(raw.error_if === undefined ? {} : { errorIf: raw.error_if }),
    ...(raw.store_failures === undefined ? {} : { storeFailures: raw.store_failures }),
    ...(raw.store_failures_as === undefined ? {} : { storeFailuresAs: raw.store_failures_as }),
    ...(raw.fail_calc === undefined ? {} : { failCalc: raw.fail_calc.trim() }),
    ...(raw.tags === undefined ? {} : { tags: raw.tags }),
    ...(raw.enabled === undefined ? {} : { enabled: raw.enabled }),
  };
  return {
    ...(raw.severity === undefined ? {} : { severity: raw.severity.toLowerCase() as Severity }),
    ...(Object.keys(config).length ? { config } : {}),
  };
}

/**
 * How a test's failing rows are kept: `store_failures_as` when set, else
 * a table unless `store_failures: false` (wharf keeps them by default).
 */
export function storedAs(config: TestConfig = {}): typeof STORE_FAILURES_AS[number] {
  return config.storeFailuresAs ?? (config.storeFailures === false ? "ephemeral" : "table");
}

/**
 * Merges test configs from the most general to the most specific: a later
 * value wins, except `tags`, added up (as dbt adds them up).
 */
export function mergeTestConfigs(configs: readonly (TestConfig | undefined)[]): TestConfig {
  const out: TestConfig = {};
  for (const c of configs) {
    if (!c) continue;
    const tags = [...new Set([...(out.tags ?? []), ...(c.tags ?? [])])];
    Object.assign(out, c);
    if (tags.length) out.tags = tags;
  }
  return out;
}

/**
 * A test's status from its count of failures (its `fail_calc`), as dbt decides it: with
 * severity error, `error_if` met fails it; otherwise `warn_if` met warns;
 * otherwise it passes.
 */
export function testStatus(
  failures: number,
  severity: Severity,
  config: TestConfig = {},
): "pass" | "warn" | "fail" {
  if (severity === "error" && meets(failures, config.errorIf ?? "!= 0")) return "fail";
  if (meets(failures, config.warnIf ?? "!= 0")) return "warn";
  return "pass";
}
