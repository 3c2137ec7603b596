/**
 * Reads a dbt project's properties files (`*.yml` under its folders):
 * `models:`, `seeds:`, `sources:` (tables with `identifier` and `schema`),
 * `macros:`, `snapshots:` (describing a `{% snapshot %}` block, or defining
 * a snapshot of a `relation:`) and singular tests' `data_tests:`, with descriptions, columns,
 * `config:` and generic tests. Keys dbt has and wharf does not run yet are
 * errors naming them.
 *
 * @module
 */
import { join } from "node:path";
import { splitRelation, warehouseCatalogOf } from "../db/sql.ts";
import type { ProjectIssue } from "../errors.ts";
import { type DeclaredUnitTest, readUnitTests } from "../project/read_unit_tests.ts";
import {
  type CustomTests,
  type DeclaredTest,
  type DescribedEntry,
  readTests,
} from "../project/read_yaml.ts";
import type { ExposureEntry } from "../project/read_exposures.ts";
import { closest, closestKey } from "../suggest.ts";
import { unsupportedKey } from "../unsupported.ts";
import { checkFreshnessOrder } from "../project/read_freshness.ts";
import { testConfigSchema, toTestConfig } from "../test_kinds/test_config.ts";
import type { ColumnDoc, FreshnessRule, Severity, TestConfig } from "../types.ts";
import { describe, YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import { isRecord, readValue } from "../yaml/yaml_schema.ts";
import type { Describe } from "./docs_blocks.ts";
import { type ConfigResource, type NodeConfig, readNodeConfig } from "./node_config.ts";
import { renderYamlValues, type YamlValueRender } from "./render_yaml_values.ts";
import { bothLoads, readSourceSettings, settleSource, type SourceSettings } from "./source_tree.ts";
import {
  type DeclaredConstraint,
  readConstraints,
  readDataType,
} from "../project/read_contract.ts";

/** A model's or seed's properties: what a plain-SQL project's YAML describes, and its config. */
export interface NodeProperties extends DescribedEntry {
  config: NodeConfig;
}

/**
 * A `snapshots:` entry: it describes a `{% snapshot %}` block of the same
 * name, or (with `relation:`) is a snapshot itself, of `select *` from the
 * relation (dbt 1.9's snapshots defined in YAML).
 */
export interface SnapshotProperties extends NodeProperties {
  /** `relation:` as written (`ref('x')`, `source('a', 'b')`), and where. */
  relation?: { written: string; path: YamlPath };
}

/** A table of a `sources:` entry. */
export interface SourceTable {
  file: YamlFile;
  path: YamlPath;
  /** Its graph node's id, `source.<source>.<table>` (lower-cased): a source of its own, whatever it reads. */
  id: string;
  source: string;
  table: string;
  /** Its source's `database:` as written; absent: the target's (see {@linkcode placeSource}). */
  database?: string;
  /** `[catalog.]schema.identifier`, lower-cased: the relation it reads. */
  relation: string;
  /** Its source's schema and its identifier, as written (rendered). */
  schema: string;
  identifier: string;
  /** The relation as SQL: `"schema"."identifier"`, with its catalog first when it has one. */
  sql: string;
  /**
   * What dbt-duckdb reads instead of the relation, from `external_location`
   * (see {@linkcode externalLocation}): a quoted path (`'data/orders.csv'`)
   * or a function call, as it goes in the SQL.
   */
  external?: string;
  description: string;
  /** Its source's description. */
  sourceDescription: string;
  /** Its source's `loader` (what loads it, as documentation). */
  loader: string;
  /** The tree's tags, its source's, then its own. */
  tags: string[];
  /** Its `meta`: the tree's, its source's and its own, merged by key (beside `config:` and in it). */
  meta: Record<string, unknown>;
  /** Its source's own `meta` (dbt's `source_meta`). */
  sourceMeta: Record<string, unknown>;
  /** dbt-duckdb's configs (`external_location`, `formatter`): the tree's, its source's, its own. */
  extra: Record<string, unknown>;
  /** False for `enabled: false` (in `config:` or the `sources:` tree): then it is no node. */
  enabled: boolean;
  /** What its source and it set (in that order), under which the `sources:` tree's configs go. */
  levels: SourceSettings[];
  /** dbt's fqn: `[package, ...folders of its properties file, source, table]` (set once its unit is known). */
  fqn?: string[];
  columns: ColumnDoc[];
  tests: DeclaredTest[];
  /** The column (or expression) holding when a row was loaded: the table's, else its source's. */
  loadedAtField?: string;
  /** Instead of `loadedAtField`: a query (Jinja, as written) giving the latest load (dbt 1.10). */
  loadedAtQuery?: string;
  /** Its freshness rule, inherited from its source; absent: not checked. */
  freshness?: FreshnessRule;
  /** Its `event_time` (its own, else its source's): what a microbatch model reading it filters by. */
  eventTime?: string;
}

/** A singular test's properties. */
export interface TestProperties {
  file: YamlFile;
  path: YamlPath;
  description: string;
  severity?: Severity;
  config?: TestConfig;
}

/** What a project's properties files say. */
export interface Properties {
  files: YamlFile[];
  models: Map<string, NodeProperties>;
  seeds: Map<string, NodeProperties>;
  snapshots: Map<string, SnapshotProperties>;
  sources: SourceTable[];
  tests: Map<string, TestProperties>;
  /** `exposures:` entries, as written (read once the nodes are named). */
  exposures: ExposureEntry[];
  /** `unit_tests:`, not yet resolved against the models. */
  unitTests: DeclaredUnitTest[];
  /** `groups:` entries. */
  groups: GroupEntry[];
  issues: ProjectIssue[];
}

const NOT_YET = "is not run by wharf yet";

/** Reports keys of `value` that are neither `known` nor `allowed`; `notYet` ones as such. */
function checkKeys(
  file: YamlFile,
  path: YamlPath,
  value: Record<string, unknown>,
  what: string,
  known: readonly string[],
  notYet: readonly string[] = [],
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const unsupported = unsupportedKey(key, what);
    if (unsupported) {
      file.report([...path, key], unsupported, { unsupported: true, key: true });
      continue;
    }
    if (notYet.includes(key)) {
      file.report([...path, key], `"${key}" in ${what} ${NOT_YET}`, {
        unsupported: true,
        key: true,
      });
      continue;
    }
    const guess = closestKey(key, known);
    file.report(
      [...path, key],
      `unknown key "${key}" in ${what}${guess ? ` (did you mean "${guess}"?)` : ""}`,
      { unsupported: !guess, key: true },
    );
  }
}

/** Which test names each properties file may use beside the built-in ones (`{% test %}`). */
const customTests = new WeakMap<YamlFile, CustomTests>();

/** Reads a tests list, with the project's own generic tests. */
function testsOf(
  file: YamlFile,
  path: YamlPath,
  raw: unknown,
  column: string | undefined,
): DeclaredTest[] {
  return readTests(file, path, raw, column, {
    custom: customTests.get(file),
    style: "dbt",
    renders: true,
  });
}

/** How each properties file renders its descriptions (`doc()`), when it does. */
const describers = new WeakMap<YamlFile, Describe>();

/** A description: its text, rendered (`{{ doc('name') }}`), problems reported at it. */
function description(file: YamlFile, path: YamlPath, value: unknown): string {
  const raw = text(file, path, value);
  const describe = describers.get(file);
  return describe ? describe(raw, (message) => file.report(path, message)) : raw;
}

function text(file: YamlFile, path: YamlPath, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  file.report(path, `expected text, got ${describe(value)}`);
  return "";
}

/** The entries of a list of named mappings at `key`. */
function named(
  file: YamlFile,
  path: YamlPath,
  value: unknown,
): { path: YamlPath; name: string; value: Record<string, unknown> }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    file.report(path, `expected a list, got ${describe(value)}`);
    return [];
  }
  return value.flatMap((item, i) => {
    if (!isRecord(item) || typeof item.name !== "string") {
      file.report([...path, i], `expected a mapping with a "name", got ${describe(item)}`);
      return [];
    }
    return [{ path: [...path, i], name: item.name, value: item }];
  });
}

const COLUMN_KEYS = [
  "name",
  "description",
  "data_type",
  "constraints",
  "tests",
  "data_tests",
  "meta",
  "tags",
];
const COLUMN_NOT_YET = ["quote", "policy_tags", "granularity"];

function readColumns(
  file: YamlFile,
  path: YamlPath,
  raw: unknown,
): {
  columns: ColumnDoc[];
  columnPaths: YamlPath[];
  tests: DeclaredTest[];
  constraints: DeclaredConstraint[];
} {
  const columns: ColumnDoc[] = [];
  const columnPaths: YamlPath[] = [];
  const tests: DeclaredTest[] = [];
  const constraints: DeclaredConstraint[] = [];
  for (const c of named(file, path, raw)) {
    checkKeys(file, c.path, c.value, `column "${c.name}"`, COLUMN_KEYS, COLUMN_NOT_YET);
    const dataType = readDataType(file, [...c.path, "data_type"], c.value.data_type);
    // Its meta and tags, as a node's are read (dbt gives its tags to its tests).
    const own = readNodeConfig(
      Object.fromEntries(
        Object.entries(c.value).filter(([k, v]) => (k === "meta" || k === "tags") && v !== null),
      ),
      "model",
      (key, message, options) => file.report([...c.path, key], message, options),
    );
    columns.push({
      name: c.name,
      description: description(file, [...c.path, "description"], c.value.description),
      ...(dataType ? { dataType } : {}),
      ...(own.meta ? { meta: own.meta } : {}),
      ...(own.tags?.length ? { tags: own.tags } : {}),
    });
    columnPaths.push(c.path);
    constraints.push(
      ...readConstraints(file, [...c.path, "constraints"], c.value.constraints, c.name),
    );
    const columnTests = [
      ...testsOf(file, [...c.path, "tests"], c.value.tests, c.name),
      ...testsOf(file, [...c.path, "data_tests"], c.value.data_tests, c.name),
    ];
    tests.push(
      ...columnTests.map((t) =>
        own.tags?.length
          ? {
            ...t,
            config: { ...t.config, tags: [...new Set([...own.tags, ...t.config?.tags ?? []])] },
          }
          : t
      ),
    );
  }
  return { columns, columnPaths, tests, constraints };
}

const NODE_KEYS = [
  "name",
  "description",
  "config",
  "columns",
  "tests",
  "data_tests",
  "docs",
  "meta",
  "constraints",
  "access",
  "group",
];
const NODE_NOT_YET = [
  "versions",
  "latest_version",
  "deprecation_date",
  "time_spine",
];

function readNode(
  file: YamlFile,
  entry: { path: YamlPath; name: string; value: Record<string, unknown> },
  resource: ConfigResource,
): NodeProperties {
  const { path, value } = entry;
  const keys = resource === "snapshot" ? [...NODE_KEYS, "relation"] : NODE_KEYS;
  checkKeys(file, path, value, `${resource} "${entry.name}"`, keys, NODE_NOT_YET);
  const { columns, columnPaths, tests, constraints } = readColumns(
    file,
    [...path, "columns"],
    value.columns,
  );
  constraints.unshift(...readConstraints(file, [...path, "constraints"], value.constraints));
  if (resource !== "model") {
    for (const c of constraints) {
      file.report(c.path, `constraints apply to models: test a ${resource}'s columns with tests:`);
    }
  }
  tests.unshift(
    ...testsOf(file, [...path, "tests"], value.tests, undefined),
    ...testsOf(file, [...path, "data_tests"], value.data_tests, undefined),
  );
  let config: NodeConfig = {};
  if (isRecord(value.config)) {
    config = readNodeConfig(
      value.config,
      resource,
      (key, message, options) => file.report([...path, "config", key], message, options),
      (within) => file.locate([...path, "config", ...within]),
    );
  } else if (value.config !== undefined && value.config !== null) {
    file.report([...path, "config"], `expected a mapping, got ${describe(value.config)}`);
  }
  if (value.meta !== undefined && value.meta !== null) {
    // Its meta beside config: goes with its config's, which wins key by key (dbt 1.10 moved it there).
    const beside = readNodeConfig(
      { meta: value.meta },
      resource,
      (key, message, options) => file.report([...path, key], message, options),
    );
    if (beside.meta) config = { ...config, meta: { ...beside.meta, ...config.meta } };
  }
  // docs, access and group beside config: are configs too (config: wins when both set one).
  const besideConfig = Object.fromEntries(
    ["docs", "access", "group"].filter((k) => value[k] !== undefined).map((k) => [k, value[k]]),
  );
  if (Object.keys(besideConfig).length) {
    const beside = readNodeConfig(
      besideConfig,
      resource,
      (key, message, options) => file.report([...path, key], message, options),
    );
    config = { ...beside, ...config };
  }
  return {
    file,
    path,
    name: entry.name.toLowerCase(),
    description: description(file, [...path, "description"], value.description),
    columns,
    columnPaths,
    tests,
    constraints,
    config,
  };
}

const SOURCE_KEYS = [
  "name",
  "description",
  "database",
  "schema",
  "tables",
  "meta",
  "tags",
  "loader",
  "loaded_at_field",
  "loaded_at_query",
  "freshness",
  "config",
];
const SOURCE_NOT_YET = [
  "quoting",
  "overrides",
];
const TABLE_KEYS = [
  "name",
  "description",
  "identifier",
  "columns",
  "tests",
  "data_tests",
  "meta",
  "tags",
  "loaded_at_field",
  "loaded_at_query",
  "freshness",
  "config",
];
const TABLE_NOT_YET = [
  "quoting",
  "external",
];

/**
 * What a source or one of its tables sets, in its `config:` or beside it
 * (`freshness`, `loaded_at_field`, `loaded_at_query`: in one place or the
 * other; `tags` and `meta`: both, added up).
 */
function readSourceLevel(
  file: YamlFile,
  path: YamlPath,
  value: Record<string, unknown>,
  what: string,
): SourceSettings {
  const config = value.config;
  if (config !== undefined && config !== null && !isRecord(config)) {
    file.report([...path, "config"], `expected a mapping, got ${describe(config)}`);
  }
  const inConfig = isRecord(config) ? config : {};
  const own = readSourceSettings(
    inConfig,
    (p, message, options) => file.report([...path, "config", ...p], message, options),
  );
  const besideKeys = ["freshness", "loaded_at_field", "loaded_at_query", "tags", "meta"];
  const beside = readSourceSettings(
    Object.fromEntries(Object.entries(value).filter(([k]) => besideKeys.includes(k))),
    (p, message, options) => file.report([...path, ...p], message, options),
  );
  for (const k of ["freshness", "loaded_at_field", "loaded_at_query"]) {
    if (k in inConfig && k in value) {
      file.report(
        [...path, "config", k],
        `"${k}" is set both in ${what}'s config: and beside it: keep one (config: is dbt's newer place)`,
      );
    }
  }
  const field = own.loadedAtField ?? beside.loadedAtField;
  const query = own.loadedAtQuery ?? beside.loadedAtQuery;
  const both = bothLoads({ loadedAtField: field, loadedAtQuery: query }, what);
  if (both) {
    file.report(
      [...path, ...(own.loadedAtQuery !== undefined ? ["config"] : []), "loaded_at_query"],
      both,
    );
  }
  const tags = [...beside.tags ?? [], ...own.tags ?? []];
  const meta = { ...beside.meta, ...own.meta };
  return {
    ...(own.enabled !== undefined ? { enabled: own.enabled } : {}),
    ...(tags.length ? { tags } : {}),
    ...(Object.keys(meta).length ? { meta } : {}),
    ...("freshness" in inConfig
      ? { freshness: own.freshness }
      : "freshness" in value
      ? { freshness: beside.freshness }
      : {}),
    ...(field !== undefined ? { loadedAtField: field } : {}),
    ...(query !== undefined ? { loadedAtQuery: query } : {}),
    ...(own.eventTime !== undefined ? { eventTime: own.eventTime } : {}),
    ...(own.extra !== undefined ? { extra: own.extra } : {}),
  };
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function readSources(file: YamlFile, raw: unknown): SourceTable[] {
  const out: SourceTable[] = [];
  for (const s of named(file, ["sources"], raw)) {
    checkKeys(file, s.path, s.value, `source "${s.name}"`, SOURCE_KEYS, SOURCE_NOT_YET);
    const schema = s.value.schema === undefined
      ? s.name
      : text(file, [...s.path, "schema"], s.value.schema) || s.name;
    const database = s.value.database === undefined || s.value.database === null
      ? undefined
      : text(file, [...s.path, "database"], s.value.database) || undefined;
    const sourceLevel = readSourceLevel(file, s.path, s.value, `source "${s.name}"`);
    const sourceDescription = description(file, [...s.path, "description"], s.value.description);
    const loader = text(file, [...s.path, "loader"], s.value.loader);
    for (const t of named(file, [...s.path, "tables"], s.value.tables)) {
      checkKeys(
        file,
        t.path,
        t.value,
        `table "${t.name}" of source "${s.name}"`,
        TABLE_KEYS,
        TABLE_NOT_YET,
      );
      const identifier = t.value.identifier === undefined
        ? t.name
        : text(file, [...t.path, "identifier"], t.value.identifier) || t.name;
      const { columns, tests, constraints } = readColumns(
        file,
        [...t.path, "columns"],
        t.value.columns,
      );
      for (const c of constraints) {
        file.report(c.path, "constraints apply to models: test a source's columns with tests:");
      }
      tests.unshift(
        ...testsOf(file, [...t.path, "tests"], t.value.tests, undefined),
        ...testsOf(file, [...t.path, "data_tests"], t.value.data_tests, undefined),
      );
      const levels = [
        sourceLevel,
        readSourceLevel(file, t.path, t.value, `table "${t.name}" of source "${s.name}"`),
      ];
      out.push({
        ...settleSource(levels),
        levels,
        sourceMeta: sourceLevel.meta ?? {},
        file,
        path: t.path,
        id: `source.${s.name}.${t.name}`.toLowerCase(),
        ...(database === undefined ? {} : { database }),
        source: s.name,
        table: t.name,
        relation: `${schema}.${identifier}`.toLowerCase(),
        schema,
        identifier,
        sql: `${quote(schema)}.${quote(identifier)}`,
        description: description(file, [...t.path, "description"], t.value.description),
        sourceDescription,
        loader,
        columns,
        tests,
      });
    }
  }
  return out;
}

/**
 * Puts a source table in its database: its source's `database:`, else
 * `target` (dbt's `target.database`). The warehouse's own (`warehouse`)
 * leaves its relation as it is; an attached database's alias makes it
 * `catalog.schema.identifier`; anything else is reported at its source.
 */
export function placeSource(
  s: SourceTable,
  options: {
    target: string;
    warehouse: string;
    /** The catalog of the warehouse opened (`--db` may open another file than the profile's). */
    opened: string;
    attached: readonly string[];
  },
): void {
  const database = (s.database ?? options.target).toLowerCase();
  if (database === options.warehouse.toLowerCase()) {
    // A schema named like a catalog is ambiguous without the warehouse's.
    const catalog = warehouseCatalogOf(
      splitRelation(s.relation).schema,
      options.opened,
      options.attached,
    );
    if (catalog === undefined) return;
    s.relation = `${catalog}.${s.relation}`;
    s.sql = `${quote(options.opened)}.${s.sql}`;
    return;
  }
  if (!options.attached.includes(database)) {
    const guess = closest(database, [options.warehouse, ...options.attached]);
    s.file.report(
      [...s.path.slice(0, -2), "database"],
      `"${database}" is neither the warehouse's database ("${options.warehouse}") nor attached${
        options.attached.length ? ` (the profile attaches ${options.attached.join(", ")})` : ""
      }${guess ? ` (did you mean "${guess}"?)` : ""}: attach it in the profile's attach:`,
    );
    return;
  }
  s.relation = `${database}.${s.relation}`;
  s.sql = `${quote(database)}.${s.sql}`;
}

/**
 * Settles a source table's configs with the `sources:` tree's levels
 * (`tree`, general first) under its own, and checks its freshness rule.
 */
export function settleSourceTable(s: SourceTable, tree: readonly SourceSettings[]): void {
  const settled = settleSource([...tree, ...s.levels]);
  delete s.freshness;
  delete s.loadedAtField;
  delete s.loadedAtQuery;
  delete s.eventTime;
  Object.assign(s, settled);
  checkFreshnessOrder(s.file, s.path, s.freshness);
}

const TOP_KEYS = [
  "version",
  "models",
  "seeds",
  "snapshots",
  "sources",
  "macros",
  "data_tests",
  "tests",
  "exposures",
  "unit_tests",
  "groups",
];
const TOP_NOT_YET = [
  "metrics",
  "semantic_models",
  "saved_queries",
  "analyses",
];

/** A `groups:` entry: a name its nodes' `group:` gives, and who owns them (metadata). */
export interface GroupEntry {
  name: string;
  description: string;
  /** `owner:` as written (`name`, `email`, and any other key). */
  owner: Record<string, unknown>;
  meta: Record<string, unknown>;
  file: YamlFile;
  path: YamlPath;
}

/** Reads the `groups:` entries of a properties file. */
function readGroups(file: YamlFile, raw: unknown): GroupEntry[] {
  return named(file, ["groups"], raw).flatMap((g) => {
    checkKeys(file, g.path, g.value, `group "${g.name}"`, [
      "name",
      "description",
      "owner",
      "config",
    ]);
    const owner = g.value.owner;
    if (!isRecord(owner) || (owner.name === undefined && owner.email === undefined)) {
      file.report(
        [...g.path, "owner"],
        `a group needs an owner with a "name" or an "email", got ${describe(owner)}`,
      );
      return [];
    }
    const config = g.value.config;
    if (config !== undefined && config !== null && !isRecord(config)) {
      file.report([...g.path, "config"], `expected a mapping, got ${describe(config)}`);
    } else if (isRecord(config)) {
      checkKeys(file, [...g.path, "config"], config, "a group's config", ["meta"]);
    }
    const meta = isRecord(config) && isRecord(config.meta) ? config.meta : {};
    return [{
      name: g.name,
      description: description(file, [...g.path, "description"], g.value.description),
      owner,
      meta,
      file,
      path: g.path,
    }];
  });
}

/**
 * Reads the properties files `paths` (relative to `root`), their values
 * holding Jinja rendered by `values` first (dbt's parse-time rendering:
 * see `render_yaml_values.ts`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readProperties } from "./properties.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/s.yml`, "sources:\n  - name: shop\n    schema: raw\n    tables:\n      - name: orders\n        identifier: raw_orders\n");
 * const props = await readProperties(root, ["s.yml"]);
 * assert.equal(props.sources[0]!.relation, "raw.raw_orders");
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function readProperties(
  root: string,
  paths: readonly string[],
  fixtureFolders: readonly string[] = [],
  render?: Describe,
  custom?: CustomTests,
  values?: YamlValueRender,
): Promise<Properties> {
  const files = await Promise.all(
    paths.map(async (p) => new YamlFile(p, await Deno.readTextFile(`${root}/${p}`))),
  );
  for (const f of files) {
    if (values) renderYamlValues(f, "properties", values);
    if (render) describers.set(f, render);
    if (custom) customTests.set(f, custom);
  }
  const out: Properties = {
    files,
    models: new Map(),
    seeds: new Map(),
    snapshots: new Map(),
    sources: [],
    tests: new Map(),
    exposures: [],
    unitTests: [],
    groups: [],
    issues: [],
  };
  for (const file of files) {
    const data = file.data;
    if (data === undefined || data === null) continue;
    if (!isRecord(data)) {
      file.report(
        [],
        `expected a mapping with "models:", "sources:" or "seeds:", got ${describe(data)}`,
      );
      continue;
    }
    checkKeys(file, [], data, "a properties file", TOP_KEYS, TOP_NOT_YET);
    for (const kind of ["models", "seeds"] as const) {
      for (const entry of named(file, [kind], data[kind])) {
        const node = readNode(file, entry, kind === "models" ? "model" : "seed");
        const first = out[kind].get(node.name);
        if (first) {
          file.report(
            [...entry.path, "name"],
            `"${node.name}" is described twice (also in ${first.file.path})`,
          );
        } else out[kind].set(node.name, node);
      }
    }
    for (const entry of named(file, ["snapshots"], data.snapshots)) {
      const node: SnapshotProperties = readNode(file, entry, "snapshot");
      const relation = entry.value.relation;
      if (relation !== undefined) {
        const at = [...entry.path, "relation"];
        if (typeof relation === "string" && relation.trim() !== "") {
          node.relation = { written: relation.trim(), path: at };
        } else {
          file.report(
            at,
            `expected ref('model') or source('source', 'table'), got ${describe(relation)}`,
          );
        }
      }
      const first = out.snapshots.get(node.name);
      if (first) {
        file.report(
          [...entry.path, "name"],
          `"${node.name}" is described twice (also in ${first.file.path})`,
        );
      } else out.snapshots.set(node.name, node);
    }
    out.sources.push(...readSources(file, data.sources));
    for (const g of readGroups(file, data.groups)) {
      const first = out.groups.find((o) => o.name === g.name);
      if (first) {
        file.report(
          [...g.path, "name"],
          `group "${g.name}" is declared twice (also in ${first.file.path})`,
        );
      } else out.groups.push(g);
    }
    for (const e of named(file, ["exposures"], data.exposures)) {
      out.exposures.push({ file, path: e.path, value: e.value });
    }
    out.unitTests.push(
      ...readUnitTests(file, data.unit_tests, {
        root,
        folders: fixtureFolders.map((f) => join(root, f)),
      }),
    );
    for (const m of named(file, ["macros"], data.macros)) {
      checkKeys(file, m.path, m.value, `macro "${m.name}"`, [
        "name",
        "description",
        "arguments",
        "docs",
        "meta",
      ]);
    }
    for (const key of ["data_tests", "tests"] as const) {
      for (const t of named(file, [key], data[key])) {
        checkKeys(file, t.path, t.value, `test "${t.name}"`, ["name", "description", "config"]);
        const settings = t.value.config === undefined || t.value.config === null
          ? {}
          : toTestConfig(readValue(file, [...t.path, "config"], testConfigSchema, t.value.config));
        if (settings.config?.where !== undefined) {
          file.report(
            [...t.path, "config", "where"],
            '"where" applies to generic tests (a singular test filters in its own SQL)',
            { key: true },
          );
        }
        out.tests.set(t.name.toLowerCase(), {
          file,
          path: t.path,
          description: description(file, [...t.path, "description"], t.value.description),
          ...settings,
        });
      }
    }
  }
  const seen = new Map<string, SourceTable>();
  for (const s of out.sources) {
    const key = s.id;
    const first = seen.get(key);
    if (first) {
      s.file.report(
        s.path,
        `source "${s.source}" table "${s.table}" is declared twice (also in ${first.file.path})`,
      );
    } else seen.set(key, s);
  }
  return out;
}
