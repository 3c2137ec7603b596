/**
 * The configuration dbt gives a model, seed or snapshot (`materialized`,
 * `database`, `schema`, `alias`, `tags`, `enabled`, `docs`, `meta`, hooks, a model's
 * `contract`, a seed's `column_types`, `delimiter` and `quote_columns`, a
 * snapshot's `strategy`, `unique_key`, …), wherever it is written: the
 * `models:`/`seeds:`/`snapshots:` tree of `dbt_project.yml` (with or
 * without `+`), a properties file's `config:`, or `{{ config(...) }}` in
 * the SQL. Keys dbt has and wharf does not run yet are errors naming them,
 * never ignored; other warehouses' keys that dbt-duckdb ignores are ignored
 * too, with a warning naming them ({@linkcode OTHER_ADAPTER_KEYS}).
 *
 * @module
 */
import { materialization } from "../materializations/index.ts";
import { closest, nameDistance } from "../suggest.ts";
import { unsupportedKey } from "../unsupported.ts";
import type { SourceLocation } from "../errors.ts";
import { formatYamlPath, type ReportOptions, type YamlPath } from "../yaml/yaml_file.ts";

/** What a model or seed is configured with (every key optional: levels are merged). */
export interface NodeConfig {
  materialized?: string;
  /** The database (catalog) it is built into: the warehouse's, or an attached database's alias. */
  database?: string;
  schema?: string;
  alias?: string;
  tags?: string[];
  enabled?: boolean;
  docs?: { show?: boolean; node_color?: string };
  meta?: Record<string, unknown>;
  /** Seeds: column name to DuckDB type. */
  column_types?: Record<string, string>;
  /** Seeds: the CSV file's delimiter (`,` by default). */
  delimiter?: string;
  /** Seeds: whether the header's names are quoted in the table (true by default, as in dbt-duckdb). */
  quote_columns?: boolean;
  /** `contract: { enforced }` (models). */
  contract?: { enforced?: boolean };
  /** `pre_hook`/`pre-hook`: SQL (Jinja) run before the build, added up across levels. */
  pre_hook?: Hook[];
  /** `post_hook`/`post-hook`: SQL (Jinja) run after the build, added up across levels. */
  post_hook?: Hook[];
  /**
   * Incremental models and snapshots: `unique_key` as written, a column or a
   * list of them (the manifest records it so).
   */
  unique_key?: string | string[];
  /** Incremental models: the strategy's keys as written (checked by wharf's incremental materialization). */
  incremental?: Record<string, unknown>;
  /** Snapshots: their own keys as written (`strategy`, `updated_at`, …; checked by wharf's snapshot materialization). */
  snapshot?: Record<string, unknown>;
  /**
   * `full_refresh`: false, an incremental model is never rebuilt from
   * everything, `--full-refresh` or not; true, always (dbt's semantics).
   */
  full_refresh?: boolean;
  /** Models: SQL run in the model's session before its statements (`sql_header`). */
  sql_header?: string;
  /** Models: who may ref it (metadata in wharf: recorded in the manifest, not enforced). */
  access?: "private" | "protected" | "public";
  /** The group it belongs to (a `groups:` entry; metadata, recorded in the manifest). */
  group?: string;
  /** `persist_docs`: its description (`relation`) and its columns' (`columns`) as DuckDB comments. */
  persist_docs?: { relation?: boolean; columns?: boolean };
  /**
   * Keys of the project's own (dbt allows any): `config.get()` reads them,
   * the manifest records them; wharf does nothing else with them.
   */
  custom?: Record<string, unknown>;
  /**
   * The column (or expression) of its rows' time: a microbatch model's
   * batches, and what a microbatch model reading it filters it by.
   */
  event_time?: string;
}

/**
 * A hook as dbt records one: its SQL (Jinja), and whether it runs in the
 * build's transaction (`transaction: false`: before it begins, or after it
 * commits); `at`, where it is written, when the reader was told (see
 * {@linkcode readNodeConfig}).
 */
export interface Hook {
  sql: string;
  transaction: boolean;
  at?: SourceLocation;
}

/**
 * The config keys of an incremental model besides `unique_key`, as wharf's
 * incremental materialization reads them (its strategies' keys among them):
 * the same keys as in a plain-SQL project.
 */
export const INCREMENTAL_KEYS: readonly string[] = materialization("incremental").configKeys;

/**
 * A snapshot's own config keys besides `unique_key` (`strategy`,
 * `updated_at`, `target_schema`, …), as wharf's snapshot materialization
 * reads them; `schema` is every node's.
 */
export const SNAPSHOT_KEYS: readonly string[] = materialization("snapshot").configKeys.filter((k) =>
  k !== "schema"
);

/** Which resources a config is for. */
export type ConfigResource = "model" | "seed" | "snapshot";

const SHARED = [
  "materialized",
  "database",
  "schema",
  "alias",
  "tags",
  "enabled",
  "docs",
  "meta",
  "pre_hook",
  "pre-hook",
  "post_hook",
  "post-hook",
  "full_refresh",
  "persist_docs",
  "group",
  "event_time",
] as const;
const SEED_ONLY = ["column_types", "delimiter", "quote_columns"] as const;
const MODEL_ONLY = [
  "contract",
  "unique_key",
  "sql_header",
  "access",
  ...INCREMENTAL_KEYS.filter((k) => !(SHARED as readonly string[]).includes(k)),
];

/** Every config key wharf reads for `resource`. */
export function configKeys(resource: ConfigResource): readonly string[] {
  if (resource === "seed") return [...SHARED.filter((k) => k !== "materialized"), ...SEED_ONLY];
  if (resource === "snapshot") return [...SHARED, "unique_key", ...SNAPSHOT_KEYS];
  return [...SHARED, ...MODEL_ONLY];
}

/**
 * dbt config keys wharf does not run yet, with a behaviour in dbt-core or
 * dbt-duckdb: errors naming them (`--warn-unsupported`: warnings), never
 * ignored.
 */
const NOT_YET: readonly string[] = [
  "quoting",
  "concurrent_batches",
  "packages",
  "location",
  "format",
  "options",
  "partition_by",
  "target_database",
  // dbt-duckdb creates them on the table.
  "indexes",
];

/**
 * Config keys of other warehouses' adapters that dbt-duckdb ignores (it
 * has no such thing), with the warehouses they apply to. wharf ignores
 * them too, as dbt-duckdb does, keeping them as the project's own keys
 * (`config.get` reads them), and warns once per key, naming the nodes that
 * set it (see {@linkcode otherAdapterWarnings}).
 */
export const OTHER_ADAPTER_KEYS: Readonly<Record<string, string>> = {
  on_configuration_change:
    "materialized views and dynamic tables (Postgres, Snowflake, BigQuery, Redshift, Databricks)",
  auto_refresh: "materialized views (BigQuery, Redshift, Databricks)",
  file_format: "Spark and Databricks",
  tblproperties: "Spark and Databricks",
  location_root: "Spark and Databricks",
  liquid_clustered_by: "Databricks",
  transient: "Snowflake",
  copy_grants: "Snowflake",
  secure: "Snowflake",
  query_tag: "Snowflake",
  snowflake_warehouse: "Snowflake",
  target_lag: "Snowflake",
  automatic_clustering: "Snowflake",
  cluster_by: "Snowflake, BigQuery and Databricks",
  partitions: "BigQuery",
  grant_access_to: "BigQuery",
  hours_to_expiration: "BigQuery",
  labels: "BigQuery",
  kms_key_name: "BigQuery",
  require_partition_filter: "BigQuery",
  partition_expiration_days: "BigQuery",
  dist: "Redshift",
  sort: "Redshift",
  sort_type: "Redshift",
  bind: "Redshift",
};

/**
 * One warning per key of {@linkcode OTHER_ADAPTER_KEYS} that `nodes` set
 * (their configs as merged), naming the nodes by kind, in the order first
 * set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { otherAdapterWarnings } from "./node_config.ts";
 *
 * const [w] = otherAdapterWarnings([
 *   { kind: "model", name: "a", config: { custom: { transient: false } } },
 *   { kind: "model", name: "b", config: { custom: { transient: true, owner: "x" } } },
 *   { kind: "seed", name: "c", config: { custom: { transient: true } } },
 * ]);
 * assert.equal(w!.key, "transient");
 * assert.equal(
 *   w!.message,
 *   'config "transient" applies to Snowflake; DuckDB has no such thing; ignored, as dbt-duckdb does (models a, b; seed c)',
 * );
 * ```
 */
export function otherAdapterWarnings<N extends { kind: string; name: string; config: NodeConfig }>(
  nodes: readonly N[],
): { key: string; message: string; first: N }[] {
  const byKey = new Map<string, N[]>();
  for (const n of nodes) {
    for (const key of Object.keys(n.config.custom ?? {})) {
      if (!Object.hasOwn(OTHER_ADAPTER_KEYS, key)) continue;
      byKey.set(key, [...byKey.get(key) ?? [], n]);
    }
  }
  return [...byKey].map(([key, set]) => {
    const kinds = [...new Set(set.map((n) => n.kind))].map((kind) => {
      const names = set.filter((n) => n.kind === kind).map((n) => n.name);
      return `${kind}${names.length === 1 ? "" : "s"} ${names.join(", ")}`;
    });
    return {
      key,
      first: set[0]!,
      message: `config "${key}" applies to ${
        OTHER_ADAPTER_KEYS[key]
      }; DuckDB has no such thing; ignored, as dbt-duckdb does (${kinds.join("; ")})`,
    };
  });
}

/** The materializations a dbt model may name in this wharf. */
export const DBT_MATERIALIZATIONS: readonly string[] = [
  "view",
  "table",
  "ephemeral",
  "incremental",
];

/** dbt materializations wharf does not run for dbt projects yet. */
const MATERIALIZATIONS_NOT_YET: Record<string, string> = {
  snapshot:
    "a snapshot is a {% snapshot <name> %} block in a file of snapshot-paths (snapshots/), or a snapshots: entry with a relation: in a properties file, not a model",
  external:
    "dbt-duckdb's external materialization is not run by wharf yet (wharf's own external models take location and partition_by in a plain-SQL project)",
  materialized_view: "materialized views are not run by wharf yet",
  microbatch: "microbatch models are not run by wharf yet",
};

/** True for a key this resource's config reads or knows as not run yet. */
export function isConfigKey(key: string, resource: ConfigResource): boolean {
  return configKeys(resource).includes(key) || NOT_YET.includes(key) ||
    (resource === "seed" && key === "materialized");
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return JSON.stringify(value);
}

/**
 * Reads one hook: a statement, or a mapping `{ sql, transaction }` (dbt's
 * form, which `before_begin()` and `after_commit()` return too).
 */
function readHook(value: unknown, report: (message: string) => void): Hook | undefined {
  if (typeof value === "string") return { sql: value, transaction: true };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    report(`expected a SQL statement or { sql, transaction }, got ${describeValue(value)}`);
    return undefined;
  }
  const { sql, transaction, ...others } = value as Record<string, unknown>;
  const other = Object.keys(others)[0];
  if (other !== undefined) {
    const guess = closest(other, ["sql", "transaction"]);
    report(
      `unknown key "${other}" in a hook${
        guess ? ` (did you mean "${guess}"?)` : ""
      }: a hook takes "sql" and "transaction"`,
    );
    return undefined;
  }
  if (typeof sql !== "string") {
    report(`expected "sql": the hook's SQL statement, got ${describeValue(sql)}`);
    return undefined;
  }
  if (transaction !== undefined && typeof transaction !== "boolean") {
    report(`expected "transaction" to be true or false, got ${describeValue(transaction)}`);
    return undefined;
  }
  return { sql, transaction: transaction ?? true };
}

/**
 * Reads the config keys of `raw` (keys already stripped of `+`), reporting
 * each problem with `report(key, message, options)` (`options.key`: the
 * problem is the key, not its value). Each hook is `at` `locate(path)`, its
 * path in `raw` (`["post_hook"]`, `["pre-hook", 1]` in a list), when
 * `locate` is given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readNodeConfig } from "./node_config.ts";
 *
 * const problems: string[] = [];
 * const config = readNodeConfig({ materialized: "table", tags: "pii", grants: {} }, "model",
 *   (key, message) => problems.push(`${key}: ${message}`));
 * assert.deepEqual(config, { materialized: "table", tags: ["pii"] });
 * assert.match(problems[0]!, /^grants: .*not supported by wharf/);
 * ```
 */
export function readNodeConfig(
  raw: Record<string, unknown>,
  resource: ConfigResource,
  report: (key: string, message: string, options?: ReportOptions) => void,
  locate?: (path: YamlPath) => SourceLocation,
): NodeConfig {
  const out: NodeConfig = {};
  const known = configKeys(resource);
  for (const [key, value] of Object.entries(raw)) {
    const text = (what = "text") => {
      if (typeof value === "string") return value;
      report(key, `expected ${what}, got ${describeValue(value)}`);
      return undefined;
    };
    switch (key) {
      case "materialized": {
        if (resource === "seed") {
          report(key, "a seed is always loaded as a table: remove it", { key: true });
          break;
        }
        if (resource === "snapshot") {
          if (value === "snapshot") out.materialized = value;
          else report(key, `a snapshot is materialized as "snapshot", got ${describeValue(value)}`);
          break;
        }
        const v = text("the name of a materialization");
        if (v === undefined) break;
        const name = v.toLowerCase();
        if (DBT_MATERIALIZATIONS.includes(name)) out.materialized = name;
        else if (MATERIALIZATIONS_NOT_YET[name]) report(key, `${MATERIALIZATIONS_NOT_YET[name]}`);
        else {
          report(
            key,
            `unknown materialization "${v}": expected ${DBT_MATERIALIZATIONS.join(", ")}`,
          );
        }
        break;
      }
      case "database":
      case "schema":
      case "alias": {
        if (value === null) out[key] = undefined;
        else {
          const v = text(
            key === "schema"
              ? "a schema name"
              : key === "database"
              ? "a database name (the warehouse's, or an attached one's)"
              : "a relation name",
          );
          if (v !== undefined) out[key] = v;
        }
        break;
      }
      case "tags":
        if (typeof value === "string") out.tags = [value];
        else if (Array.isArray(value) && value.every((t) => typeof t === "string")) {
          out.tags = value as string[];
        } else report(key, `expected text or a list of text, got ${describeValue(value)}`);
        break;
      case "enabled":
        if (typeof value === "boolean") out.enabled = value;
        else report(key, `expected true or false, got ${describeValue(value)}`);
        break;
      case "docs": {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          report(
            key,
            `expected a mapping with "show" and "node_color", got ${describeValue(value)}`,
          );
          break;
        }
        const docs: NodeConfig["docs"] = {};
        for (const [k, v] of Object.entries(value)) {
          if (k === "show" && typeof v === "boolean") docs.show = v;
          else if (k === "node_color" && typeof v === "string") docs.node_color = v;
          else if (k === "show" || k === "node_color") {
            report(`${key}.${k}`, `expected ${k === "show" ? "true or false" : "a color"}`);
          } else {
            report(`${key}.${k}`, `unknown key "${k}" in docs: it takes "show", "node_color"`, {
              key: true,
            });
          }
        }
        out.docs = docs;
        break;
      }
      case "meta":
        if (typeof value === "object" && value !== null && !Array.isArray(value)) {
          out.meta = value as Record<string, unknown>;
        } else report(key, `expected a mapping, got ${describeValue(value)}`);
        break;
      case "contract": {
        if (resource !== "model") {
          report(
            key,
            resource === "snapshot"
              ? "a snapshot has no contract (its table has dbt's validity columns besides its SELECT's): contracts apply to models"
              : "contracts apply to models",
            { key: true },
          );
          break;
        }
        const enforced = typeof value === "object" && value !== null && !Array.isArray(value)
          ? (value as Record<string, unknown>).enforced
          : undefined;
        const others = typeof value === "object" && value !== null && !Array.isArray(value)
          ? Object.keys(value).filter((k) => k !== "enforced")
          : [];
        if (typeof enforced !== "boolean" && enforced !== undefined || others.length) {
          report(
            key,
            others.length
              ? `"${others[0]}" in a contract is not implemented by wharf: it reads "enforced"`
              : `expected { enforced: true } or { enforced: false }, got ${describeValue(value)}`,
          );
          break;
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          report(key, `expected { enforced: true }, got ${describeValue(value)}`);
          break;
        }
        out.contract = { enforced: enforced === true };
        break;
      }
      case "pre_hook":
      case "pre-hook":
      case "post_hook":
      case "post-hook": {
        const list = Array.isArray(value) ? value : [value];
        const hooks: Hook[] = [];
        for (const [i, h] of list.entries()) {
          const path = Array.isArray(value) ? [key, i] : [key];
          const hook = readHook(h, (message) => report(formatYamlPath(path), message));
          if (hook && hook.sql.trim() !== "") {
            hooks.push(locate ? { ...hook, at: locate(path) } : hook);
          }
        }
        const field = key.startsWith("pre") ? "pre_hook" : "post_hook";
        out[field] = [...(out[field] ?? []), ...hooks];
        break;
      }
      case "column_types": {
        if (resource !== "seed") {
          report(key, "column_types applies to seeds only", { key: true });
          break;
        }
        if (
          typeof value !== "object" || value === null || Array.isArray(value) ||
          !Object.values(value).every((t) => typeof t === "string")
        ) {
          report(key, `expected a mapping of column to type, got ${describeValue(value)}`);
          break;
        }
        out.column_types = value as Record<string, string>;
        break;
      }
      case "delimiter":
      case "quote_columns": {
        if (resource !== "seed") {
          report(key, `${key} applies to seeds only`, { key: true });
          break;
        }
        if (key === "quote_columns") {
          if (typeof value === "boolean") out.quote_columns = value;
          else report(key, `expected true or false, got ${describeValue(value)}`);
        } else if (typeof value === "string" && value !== "" && !/[\r\n"]/.test(value)) {
          out.delimiter = value;
        } else {
          report(
            key,
            `expected the character that separates a seed's values (e.g. ";" or "|"), got ${
              describeValue(value)
            }`,
          );
        }
        break;
      }
      case "full_refresh":
        if (typeof value === "boolean") out.full_refresh = value;
        else if (value !== null) report(key, `expected true or false, got ${describeValue(value)}`);
        break;
      case "sql_header":
        if (resource !== "model") report(key, "sql_header applies to models", { key: true });
        else if (value === null) out.sql_header = undefined;
        else {
          const v = text("SQL to run before the model's statements");
          if (v !== undefined) out.sql_header = v;
        }
        break;
      case "access":
        if (resource !== "model") report(key, "access applies to models", { key: true });
        else if (value === "private" || value === "protected" || value === "public") {
          out.access = value;
        } else report(key, `expected private, protected or public, got ${describeValue(value)}`);
        break;
      case "group":
        if (value === null) out.group = undefined;
        else {
          const v = text("the name of a group (groups: in a properties file)");
          if (v !== undefined) out.group = v;
        }
        break;
      case "event_time":
        if (value === null) out.event_time = undefined;
        else {
          const v = text("a column of its rows' time (or a SQL expression)");
          if (v !== undefined) out.event_time = v;
        }
        break;
      case "persist_docs": {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
          report(key, `expected { relation: true, columns: true }, got ${describeValue(value)}`);
          break;
        }
        const docs: NonNullable<NodeConfig["persist_docs"]> = {};
        for (const [k, v] of Object.entries(value)) {
          if ((k === "relation" || k === "columns") && typeof v === "boolean") docs[k] = v;
          else if (k === "relation" || k === "columns") {
            report(`${key}.${k}`, `expected true or false, got ${describeValue(v)}`);
          } else {
            report(
              `${key}.${k}`,
              `unknown key "${k}" in persist_docs: it takes "relation" and "columns"`,
              { key: true },
            );
          }
        }
        out.persist_docs = docs;
        break;
      }
      case "unique_key":
        if (resource === "seed") {
          report(key, "unique_key applies to incremental models only", { key: true });
        } else if (typeof value === "string") out.unique_key = value;
        else if (Array.isArray(value) && value.every((c) => typeof c === "string")) {
          out.unique_key = value as string[];
        } else report(key, `expected a column name or a list of them, got ${describeValue(value)}`);
        break;
      default: {
        // hard_deletes is a key of both.
        const ofModels = INCREMENTAL_KEYS.includes(key);
        const ofSnapshots = SNAPSHOT_KEYS.includes(key);
        if (ofModels && resource === "model") {
          out.incremental = { ...out.incremental, [key]: value };
          break;
        }
        if (ofSnapshots && resource === "snapshot") {
          out.snapshot = { ...out.snapshot, [key]: value };
          break;
        }
        if (ofModels || ofSnapshots) {
          report(
            key,
            `"${key}" applies to ${
              ofModels && ofSnapshots
                ? "incremental models and snapshots"
                : ofModels
                ? "incremental models"
                : "snapshots"
            } only`,
            { key: true },
          );
          break;
        }
        const unsupported = unsupportedKey(key, `a ${resource}'s config`);
        if (unsupported) {
          report(key, unsupported, { unsupported: true, key: true });
          break;
        }
        if (NOT_YET.includes(key)) {
          report(
            key,
            `"${key}" is not run by wharf yet: remove it, or run this project with dbt`,
            { unsupported: true, key: true },
          );
          break;
        }
        // Another warehouse's key: kept as dbt-duckdb keeps it (the loader warns about it).
        if (Object.hasOwn(OTHER_ADAPTER_KEYS, key)) {
          out.custom = { ...out.custom, [key]: value };
          break;
        }
        // A key a typo away from one wharf reads is a mistake; any other is the project's own,
        // as dbt takes it (its macros read it with config.get).
        const typo = [...known, ...NOT_YET].find((k) => nameDistance(key, k) <= 2);
        if (typo === undefined) {
          out.custom = { ...out.custom, [key]: value };
          break;
        }
        report(
          key,
          `unknown config "${key}" (did you mean "${typo}"?): wharf reads ${
            known.map((k) => `"${k}"`).join(", ")
          }, and takes a key of the project's own only when it is not one typo away from those`,
          { key: true },
        );
      }
    }
  }
  return out;
}

/**
 * Merges configs from the most general to the most specific: a later value
 * wins, except `tags` (added up, as dbt does) and `meta` (merged by key).
 */
export function mergeNodeConfigs(configs: readonly NodeConfig[]): NodeConfig {
  const out: NodeConfig = {};
  for (const c of configs) {
    for (const [key, value] of Object.entries(c) as [keyof NodeConfig, unknown][]) {
      if (key === "tags") {
        out.tags = [...new Set([...(out.tags ?? []), ...(value as string[])])];
      } else if (key === "pre_hook" || key === "post_hook") {
        // Hooks add up across levels, the most general first, as dbt runs them.
        out[key] = [...(out[key] ?? []), ...(value as Hook[])];
      } else if (
        key === "meta" || key === "docs" || key === "column_types" || key === "incremental" ||
        key === "custom" ||
        key === "snapshot" || key === "persist_docs"
      ) {
        (out as Record<string, unknown>)[key] = {
          ...(out[key] ?? {}),
          ...(value as Record<string, unknown>),
        };
      } else (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}
