/**
 * A dbt source table's configs, wherever they are written: the `sources:`
 * tree of `dbt_project.yml` (per package, folder of the properties file,
 * source and table: `+enabled`, `+tags`, `+meta`, `+freshness`,
 * `+loaded_at_field`, `+loaded_at_query`, `+event_time`, and dbt-duckdb's
 * `+external_location` and `+formatter`), then its source's `config:` (and
 * keys beside it), then the table's, the most specific winning: `tags` add
 * up, `meta` merges by key, `freshness` is inherited key by key
 * (`freshness: null` turns it off), and the level nearest the table that
 * says how loads are told (`loaded_at_field` or `loaded_at_query`) decides
 * it. Keys dbt has and wharf does not run yet are errors naming them.
 *
 * @module
 */
import { closest } from "../suggest.ts";
import { type FreshnessLevel, inheritFreshness, readFreshness } from "../project/read_freshness.ts";
import type { FreshnessRule } from "../types.ts";
import type { ReportOptions, YamlPath } from "../yaml/yaml_file.ts";
import { isRecord } from "../yaml/yaml_schema.ts";
import type { TreeReader } from "./config_tree.ts";

/** What one level (the tree's, a source's, a table's) sets. */
export interface SourceSettings {
  enabled?: boolean;
  tags?: string[];
  meta?: Record<string, unknown>;
  /** Undefined: says nothing; null: `freshness: null`. */
  freshness?: FreshnessLevel;
  loadedAtField?: string;
  loadedAtQuery?: string;
  /** The column (or expression) of its rows' time: a microbatch model reading it reads each batch's rows. */
  eventTime?: string;
  /** dbt-duckdb's configs of its own (`external_location`, `formatter`), merged by key. */
  extra?: Record<string, unknown>;
}

/** The config keys of a source wharf reads (in `config:`, or in the `sources:` tree). */
export const SOURCE_CONFIG_KEYS = [
  "enabled",
  "tags",
  "meta",
  "freshness",
  "loaded_at_field",
  "loaded_at_query",
  "event_time",
  "external_location",
  "formatter",
];

/** dbt's source configs wharf does not run yet, with why. */
const NOT_YET: Record<string, string> = {
  plugin:
    "dbt-duckdb's source plugins (excel, gsheet, sqlalchemy, …) load a source with Python; read the file with external_location instead",
};

/** Where a problem is: the key's path under the level, and the message. */
type Report = (path: YamlPath, message: string, options?: ReportOptions) => void;

/**
 * Reads the config keys of one level (`raw`, keys without `+`), reporting
 * each problem at its key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSourceSettings } from "./source_tree.ts";
 *
 * const problems: string[] = [];
 * const s = readSourceSettings({ enabled: false, tags: "pii", event_time: "at", fresh: 1 },
 *   (path, message) => problems.push(`${path.join(".")}: ${message}`));
 * assert.deepEqual(s, { enabled: false, tags: ["pii"], eventTime: "at" });
 * assert.match(problems[0]!, /^fresh: unknown config "fresh" of a source \(did you mean "freshness"\?\)/);
 * ```
 */
export function readSourceSettings(raw: Record<string, unknown>, report: Report): SourceSettings {
  const out: SourceSettings = {};
  for (const [key, value] of Object.entries(raw)) {
    switch (key) {
      case "enabled":
        if (typeof value === "boolean") out.enabled = value;
        else report([key], `expected true or false, got ${JSON.stringify(value)}`);
        break;
      case "tags":
        if (value === null) break;
        if (typeof value === "string") out.tags = [value];
        else if (Array.isArray(value) && value.every((t) => typeof t === "string")) {
          out.tags = value as string[];
        } else report([key], "expected text or a list of text");
        break;
      case "meta":
        if (value === null) break;
        if (isRecord(value)) out.meta = value;
        else report([key], "expected a mapping");
        break;
      case "freshness":
        out.freshness = readFreshness({ report: (path, m) => report(path, m) }, [key], value);
        break;
      case "event_time":
        if (value === null) break;
        if (typeof value === "string" && value.trim() !== "") out.eventTime = value;
        else report([key], "expected a column of its rows' time (or a SQL expression)");
        break;
      case "loaded_at_field":
      case "loaded_at_query":
        if (value === null) break;
        if (typeof value !== "string" || value.trim() === "") {
          report(
            [key],
            key === "loaded_at_field"
              ? "expected a column (or SQL expression) holding when a row was loaded"
              : "expected a query whose one value is the latest load",
          );
        } else if (key === "loaded_at_field") out.loadedAtField = value;
        else out.loadedAtQuery = value;
        break;
      case "external_location":
      case "formatter":
        if (value === null) break;
        if (typeof value === "string") out.extra = { ...out.extra, [key]: value };
        else {
          report(
            [key],
            key === "formatter"
              ? "expected newstyle, oldstyle or template"
              : "expected the file to read (a path, or a call such as read_csv('…'))",
          );
        }
        break;
      default: {
        if (key in NOT_YET) {
          report(
            [key],
            `"${key}" in a source's config is not run by wharf yet (${
              NOT_YET[key]
            }): remove it, or run this project with dbt`,
            { unsupported: true, key: true },
          );
          break;
        }
        const guess = closest(key, SOURCE_CONFIG_KEYS);
        report(
          [key],
          `unknown config "${key}" of a source${guess ? ` (did you mean "${guess}"?)` : ""}: ${
            SOURCE_CONFIG_KEYS.map((k) => `"${k}"`).join(", ")
          } are a source's configs`,
          { unsupported: !guess, key: true },
        );
      }
    }
  }
  return out;
}

/** The problem of a level that sets both ways of telling its loads, if it does. */
export function bothLoads(s: SourceSettings, what: string): string | undefined {
  return s.loadedAtField !== undefined && s.loadedAtQuery !== undefined
    ? `${what} sets both loaded_at_field and loaded_at_query: keep one (dbt refuses both)`
    : undefined;
}

/** The reader of the `sources:` tree of dbt_project.yml. */
export const SOURCE_TREE: TreeReader<SourceSettings> = {
  resource: "source",
  isConfig: (key, value) =>
    (SOURCE_CONFIG_KEYS.includes(key) || key in NOT_YET) &&
    (!isRecord(value) || key === "meta" || key === "freshness"),
  read: (raw, report) => {
    const s = readSourceSettings(
      raw,
      (path, message, options) =>
        report(
          String(path[0]),
          path.length > 1 ? `${path.join(".")}: ${message}` : message,
          options,
        ),
    );
    const both = bothLoads(s, "this level");
    if (both) report("loaded_at_query", both);
    return s;
  },
};

/** A source table's settings, all levels taken together. */
export interface SettledSource {
  enabled: boolean;
  tags: string[];
  meta: Record<string, unknown>;
  freshness?: FreshnessRule;
  loadedAtField?: string;
  loadedAtQuery?: string;
  eventTime?: string;
  /** dbt-duckdb's configs (`external_location`, `formatter`), the most specific level's winning. */
  extra: Record<string, unknown>;
}

/**
 * Settles a source table's configs from its levels, the most general
 * first (the tree's, its source's, its own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settleSource } from "./source_tree.ts";
 *
 * const settled = settleSource([
 *   { tags: ["raw"], freshness: { warnAfter: { count: 1, period: "day" } }, loadedAtField: "_at" },
 *   { enabled: false, meta: { owner: "ops" } },
 *   { tags: ["pii"], enabled: true, loadedAtQuery: "select now()" },
 * ]);
 * assert.deepEqual(settled, {
 *   enabled: true,
 *   tags: ["raw", "pii"],
 *   meta: { owner: "ops" },
 *   extra: {},
 *   freshness: { warnAfter: { count: 1, period: "day" } },
 *   loadedAtQuery: "select now()",
 * });
 * ```
 */
export function settleSource(levels: readonly SourceSettings[]): SettledSource {
  let enabled = true;
  const tags: string[] = [];
  let meta: Record<string, unknown> = {};
  let freshness: FreshnessLevel = undefined;
  let loads: { field?: string; query?: string } = {};
  let eventTime: string | undefined;
  let extra: Record<string, unknown> = {};
  for (const level of levels) {
    extra = { ...extra, ...level.extra };
    if (level.eventTime !== undefined) eventTime = level.eventTime;
    if (level.enabled !== undefined) enabled = level.enabled;
    for (const t of level.tags ?? []) if (!tags.includes(t)) tags.push(t);
    meta = { ...meta, ...level.meta };
    if (level.freshness === null) freshness = null;
    else if (level.freshness !== undefined) {
      const own = Object.fromEntries(
        Object.entries(level.freshness).filter(([, v]) => v !== undefined),
      );
      freshness = { ...(freshness ?? {}), ...own };
    }
    // A level that says how its loads are told decides it for the tables under it.
    if (level.loadedAtField !== undefined || level.loadedAtQuery !== undefined) {
      loads = { field: level.loadedAtField, query: level.loadedAtQuery };
    }
  }
  const rule = inheritFreshness(undefined, freshness);
  return {
    enabled,
    tags,
    meta,
    extra,
    ...(rule ? { freshness: rule } : {}),
    ...(loads.field !== undefined ? { loadedAtField: loads.field } : {}),
    ...(loads.query !== undefined ? { loadedAtQuery: loads.query } : {}),
    ...(eventTime !== undefined ? { eventTime } : {}),
  };
}
