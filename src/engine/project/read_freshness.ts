/**
 * A source's `loaded_at_field` and `freshness:` as dbt reads them
 * (`warn_after`/`error_after: { count, period }`, `filter`), at the source's
 * level and its tables', a table's keys overriding its source's one by one,
 * and `freshness: null` on a table leaving it unchecked.
 *
 * @module
 */
import type { FreshnessPeriod, FreshnessRule, FreshnessThreshold } from "../types.ts";
import { describe, type YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import { isRecord } from "../yaml/yaml_schema.ts";

const PERIODS: readonly FreshnessPeriod[] = ["minute", "hour", "day"];
const PERIOD_MS: Record<FreshnessPeriod, number> = { minute: 60e3, hour: 3600e3, day: 86400e3 };
const KEYS = ["warn_after", "error_after", "filter"];

/**
 * What one level writes: `undefined` when it says nothing, `null` for
 * `freshness: null`; in a rule, a threshold of `null` is an unset one.
 */
export type FreshnessLevel =
  | {
    warnAfter?: FreshnessThreshold | null;
    errorAfter?: FreshnessThreshold | null;
    filter?: string;
  }
  | null
  | undefined;

/** Where problems go: a YAML file, or anything that reports at a path the same way. */
type Reporter = Pick<YamlFile, "report">;

function threshold(
  file: Reporter,
  path: YamlPath,
  raw: unknown,
): FreshnessThreshold | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === null) return null;
  if (!isRecord(raw)) {
    file.report(path, `expected a mapping with "count" and "period", got ${describe(raw)}`);
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (key !== "count" && key !== "period") {
      file.report([...path, key], `unknown key "${key}": expected "count" and "period"`);
    }
  }
  if (raw.count === null || raw.count === undefined) return null;
  const count = raw.count;
  if (typeof count !== "number" || !Number.isInteger(count) || count <= 0) {
    file.report([...path, "count"], `expected a positive whole number, got ${describe(count)}`);
    return undefined;
  }
  const period = typeof raw.period === "string" ? raw.period.toLowerCase() : raw.period;
  if (!PERIODS.includes(period as FreshnessPeriod)) {
    file.report(
      [...path, "period"],
      `expected one of ${PERIODS.join(", ")}, got ${describe(raw.period)}`,
    );
    return undefined;
  }
  return { count, period: period as FreshnessPeriod };
}

/** Reads the `freshness:` of one level (a source or one of its tables). */
export function readFreshness(file: Reporter, path: YamlPath, raw: unknown): FreshnessLevel {
  if (raw === undefined) return undefined;
  if (raw === null) return null;
  if (!isRecord(raw)) {
    file.report(
      path,
      `expected a mapping with "warn_after" and/or "error_after", got ${describe(raw)}`,
    );
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) {
      file.report([...path, key], `unknown key "${key}": expected ${KEYS.join(", ")}`);
    }
  }
  if (raw.filter !== undefined && raw.filter !== null && typeof raw.filter !== "string") {
    file.report([...path, "filter"], `expected a SQL condition, got ${describe(raw.filter)}`);
  }
  return {
    warnAfter: threshold(file, [...path, "warn_after"], raw.warn_after),
    errorAfter: threshold(file, [...path, "error_after"], raw.error_after),
    ...(typeof raw.filter === "string" ? { filter: raw.filter } : {}),
  };
}

/**
 * A table's freshness from its source's and its own: keys the table gives
 * win, `null` on the table turns checking off, and a rule with neither
 * threshold is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inheritFreshness } from "./read_freshness.ts";
 *
 * const source = { warnAfter: { count: 12, period: "hour" as const }, errorAfter: { count: 1, period: "day" as const } };
 * assert.deepEqual(inheritFreshness(source, { warnAfter: null }), { errorAfter: { count: 1, period: "day" } });
 * assert.equal(inheritFreshness(source, null), undefined);
 * ```
 */
export function inheritFreshness(
  source: FreshnessLevel,
  table: FreshnessLevel,
): FreshnessRule | undefined {
  if (table === null) return undefined;
  const merged = { ...(source ?? {}), ...definedOf(table ?? {}) };
  const out: FreshnessRule = {
    ...(merged.warnAfter ? { warnAfter: merged.warnAfter } : {}),
    ...(merged.errorAfter ? { errorAfter: merged.errorAfter } : {}),
    ...(merged.filter ? { filter: merged.filter } : {}),
  };
  return out.warnAfter || out.errorAfter ? out : undefined;
}

function definedOf<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Reports a table's rule (as inherited) whose `warn_after` is not shorter
 * than its `error_after`: the warning could never come first.
 */
export function checkFreshnessOrder(
  file: YamlFile,
  path: YamlPath,
  rule: FreshnessRule | undefined,
): void {
  const { warnAfter: w, errorAfter: e } = rule ?? {};
  if (!w || !e || w.count * PERIOD_MS[w.period] < e.count * PERIOD_MS[e.period]) return;
  file.report(
    [...path, "freshness"],
    `warn_after (${w.count} ${w.period}) is not shorter than error_after (${e.count} ${e.period}), as this table has them with its source's: a table past error_after is an error before it could warn; shorten warn_after or lengthen error_after`,
  );
}
