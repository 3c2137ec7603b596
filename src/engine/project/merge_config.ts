/**
 * The third stage of loading a project: match each YAML entry to the model,
 * seed or test it describes and settle each node's configuration: its
 * materialization (with that materialization's own settings validated),
 * unique key, tags, row checks, and its generic tests as test nodes.
 *
 * A model entry describes the model of its name in the YAML file's folder
 * or below it (folders compared segment by segment), so
 * `models/staging/staging.yml` and `models/marts/marts.yml` may each
 * describe a model called `members`: `staging.members` and `marts.members`.
 *
 * @module
 */
import type { AttachedDatabase } from "../config.ts";
import {
  findMaterialization,
  MATERIALIZATIONS,
  MODEL_MATERIALIZATIONS,
} from "../materializations/index.ts";
import { quoteRelationId } from "../db/sql.ts";
import type { ProjectIssue } from "../errors.ts";
import { closest } from "../suggest.ts";
import {
  folderSegments,
  isInFolder,
  type NodeFile,
  type ProjectFiles,
  RESERVED_SCHEMAS,
} from "./discover_files.ts";
import { DEFAULT_SNAPSHOT_SCHEMA, snapshotSchema } from "../materializations/snapshot.ts";
import type {
  DescribedEntry,
  ModelEntry,
  ProjectYaml,
  SnapshotEntry,
  TestEntry,
} from "./read_yaml.ts";
import { readChecks } from "./read_checks.ts";
import { settleContract } from "./read_contract.ts";
import { testKind } from "../test_kinds/index.ts";
import type {
  GenericTest,
  GenericTestNode,
  ModelConfig,
  ModelNode,
  SeedNode,
  Severity,
  TestConfig,
} from "../types.ts";
import { describe, type YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import { asList, readValue } from "../yaml/yaml_schema.ts";
import { withArticle } from "../with_article.ts";

/** A model with its configuration, before its SQL is rendered and parsed. */
export type ConfiguredModel = Omit<ModelNode, "sql" | "refs" | "checkRefs" | "columnLineage">;

/** A singular test with its YAML, before its SQL is rendered and parsed. */
export interface ConfiguredTest {
  id: string;
  name: string;
  path: string;
  description: string;
  severity: Severity;
  /** Its configs beyond severity, when it has any. */
  config?: TestConfig;
  /** dbt's fully qualified name, when it has one. */
  fqn?: string[];
  /** dbt projects: its configs as written (see `SingularTestNode.unrenderedConfig`). */
  unrenderedConfig?: Readonly<Record<string, unknown>>;
}

/** Every node of a project with its configuration settled. */
export interface ConfiguredProject {
  /** Enabled models only. */
  models: ConfiguredModel[];
  seeds: SeedNode[];
  /** Generic tests of enabled models and of seeds. */
  genericTests: GenericTestNode[];
  singularTests: ConfiguredTest[];
  /**
   * Where each model's YAML entry is, for problems found later (e.g. in its
   * checks), and each of its `columns:`.
   */
  entries: Map<string, ModelEntryPlace>;
  /**
   * The SELECT of each model without a file of its own (a snapshot defined
   * in YAML), by id, and the line of its YAML file it is written at.
   */
  definitions?: Map<string, { sql: string; line: number }>;
  issues: ProjectIssue[];
}

/** Where a model's YAML entry is in its file, and each of its `columns:`. */
export interface ModelEntryPlace {
  file: YamlFile;
  path: YamlPath;
  /** Where each of the model's `columns` is declared, in their order. */
  columnPaths?: readonly YamlPath[];
}

/** The default configuration of a model without YAML. */
function defaultConfig(): ModelConfig {
  return {
    materialized: MATERIALIZATIONS[0]!.name,
    uniqueKey: [],
    tags: [],
    enabled: true,
    options: {},
  };
}

/**
 * Matches each entry to the node of its name in its file's folder (or
 * below); reports entries that match none, more than one, or a node
 * already described.
 */
function match<E extends DescribedEntry>(
  entries: readonly E[],
  nodes: readonly NodeFile[],
  what: "model" | "seed" | "snapshot",
): Map<string, E> {
  const byId = new Map<string, E>();
  for (const entry of entries) {
    const folder = folderSegments(entry.file.path);
    const found = nodes.filter((n) => n.name === entry.name && isInFolder(n.path, folder));
    const at = [...entry.path, "name"];
    if (found.length === 0) {
      const guess = closest(
        entry.name,
        nodes.filter((n) => isInFolder(n.path, folder)).map((n) => n.name),
      );
      const mean = guess ? ` (did you mean "${guess}"?)` : "";
      entry.file.report(
        at,
        what !== "seed"
          ? `no ${what} "${entry.name}" in this folder${mean}: add ${entry.name}.sql beside this file or remove the entry`
          : `no seed "${entry.name}"${mean}: add ${entry.name}.csv beside this file or remove the entry`,
      );
      continue;
    }
    if (found.length > 1) {
      entry.file.report(
        at,
        `"${entry.name}" names ${found.length} models under this folder (${
          found.map((n) => `${n.layer}.${n.name}`).join(", ")
        }): describe each in a YAML file of its layer folder`,
      );
      continue;
    }
    const id = `${found[0]!.layer}.${found[0]!.name}`;
    const prev = byId.get(id);
    if (prev) {
      entry.file.report(at, `"${entry.name}" is described twice (also in ${prev.file.path})`);
      continue;
    }
    byId.set(id, entry);
  }
  return byId;
}

/** Settles a model's (or a snapshot's) configuration from its YAML `config:`. */
function configure(entry: ModelEntry, what: "model" | "snapshot" = "model"): ModelConfig {
  const config = defaultConfig();
  if (what === "snapshot") config.materialized = "snapshot";
  const yaml = entry.config;
  if (!yaml) return config;
  const at = [...entry.path, "config"];
  config.uniqueKey = asList(yaml.unique_key);
  if (yaml.unique_key !== undefined) config.writtenUniqueKey = yaml.unique_key;
  config.tags = yaml.tags ?? [];
  config.enabled = yaml.enabled ?? true;
  if (yaml.materialized !== undefined && what === "model") {
    const found = findMaterialization(yaml.materialized);
    if (found && !found.snapshot) config.materialized = found.name;
    else {
      entry.file.report(
        [...at, "materialized"],
        `expected one of ${MODEL_MATERIALIZATIONS.map((m) => m.name).join(", ")}, got ${
          describe(yaml.materialized)
        }${found ? " (a snapshot is a file of snapshots/, not a model)" : ""}`,
      );
    }
  }
  const materialization = findMaterialization(config.materialized)!;
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(yaml.settings)) {
    if (materialization.configKeys.includes(key)) {
      own[key] = value;
      continue;
    }
    const owners = MATERIALIZATIONS.filter((m) => m.configKeys.includes(key)).map((m) => m.name);
    entry.file.report([...at, key], `"${key}" applies to ${owners.join(" and ")} models only`);
  }
  if (readValue(entry.file, at, materialization.config, own) !== undefined) {
    config.options = own;
    for (const p of materialization.problems(own, config)) {
      entry.file.report([...at, p.key], p.message);
    }
  }
  return config;
}

/**
 * The attached database a model's `config: { database }` builds it into,
 * or undefined (reported) when it is not attached, attached read-only, or
 * the model is not built at all.
 */
function databaseOf(
  entry: ModelEntry,
  config: ModelConfig,
  attach: readonly AttachedDatabase[],
): string | undefined {
  const name = entry.config!.database!.toLowerCase();
  const at = [...entry.path, "config", "database"];
  const db = attach.find((a) => a.name === name);
  if (!db) {
    const guess = closest(name, attach.map((a) => a.name));
    entry.file.report(
      at,
      `"${name}" is not an attached database${guess ? ` (did you mean "${guess}"?)` : ""}: ${
        attach.length
          ? `wharf.config.ts attaches ${attach.map((a) => `"${a.name}"`).join(", ")}`
          : "wharf.config.ts attaches none"
      }; attach it there, e.g. attach: { ${name}: "${name}.duckdb" }`,
    );
    return undefined;
  }
  if (db.readOnly) {
    entry.file.report(
      at,
      `"${name}" is attached read-only, so no model can be built into it: drop readOnly from attach.${name} in wharf.config.ts`,
    );
    return undefined;
  }
  if (findMaterialization(config.materialized)?.inlined) {
    entry.file.report(
      at,
      `${config.materialized} models are not built, so they go into no database: remove "database"`,
    );
    return undefined;
  }
  return name;
}

function sanitize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]+/g, "_");
}

/** The name of a generic test: `<kind>_<owner>_<column>` and what its kind adds. */
function testName(test: GenericTest, owner: string, index: number): string {
  const col = test.column ? `_${test.column}` : "";
  const suffix = testKind(test.kind)?.nameSuffix(test, index) ?? "";
  return sanitize(`${test.kind}_${owner}${col}${suffix}`);
}

/** Options of {@linkcode mergeConfig}. */
export interface MergeConfigOptions {
  /** The databases attached to the warehouse, which models may be built into. */
  attach?: readonly AttachedDatabase[];
  /**
   * What a snapshot's `relation:` names, among `nodes` (models, snapshots
   * and seeds); by default the relation as written.
   */
  resolve?: (
    written: string,
    nodes: readonly { id: string; name: string }[],
  ) => { relation: string } | { problem: string };
}

/**
 * The warning for the test `test` that reads `model` (of the file `path`),
 * which is disabled: dbt leaves such a test out, and so does wharf.
 */
export function disabledTarget(test: string, model: string, path: string): string {
  return `Test "${test}" refers to "${model}" (${path}), which is disabled (enabled: false): the test is left out, as dbt leaves out a test of a disabled node; enable "${model}", or disable the test too (config: enabled: false)`;
}

/**
 * Settles the configuration of every node of `files` from `yaml`.
 * Problems in YAML are reported to their files; others are returned; a
 * test that reads a disabled model is left out with a warning.
 */
export function mergeConfig(
  files: ProjectFiles,
  yaml: ProjectYaml,
  options: MergeConfigOptions = {},
): ConfiguredProject {
  const issues: ProjectIssue[] = [];
  const modelEntries = match(yaml.models, files.models, "model");
  const seedEntries = match(yaml.seeds, files.seeds, "seed");
  const entries = new Map<string, ModelEntryPlace>();
  const usedTestNames = new Set<string>();
  const genericTests: GenericTestNode[] = [];
  const addTests = (
    owner: { id: string; name: string },
    entry: DescribedEntry | undefined,
    more: readonly DescribedEntry["tests"][number][] = [],
  ) => {
    const counts = new Map<string, number>();
    for (const t of [...entry?.tests ?? [], ...more]) {
      if (t.config?.enabled === false) continue;
      const index = (counts.get(t.test.kind) ?? 0) + 1;
      counts.set(t.test.kind, index);
      const base = testName(t.test, owner.name, index);
      let name = t.name ?? base;
      if (t.name !== undefined && usedTestNames.has(name)) {
        entry!.file.report([...t.path, "name"], `the test name "${name}" is taken: give another`);
        continue;
      }
      for (let n = 2; usedTestNames.has(name); n++) name = `${base}_${n}`;
      usedTestNames.add(name);
      genericTests.push({
        kind: "generic_test",
        id: `test.${name}`,
        name,
        attachedTo: owner.id,
        test: t.test,
        severity: t.severity ?? "error",
        ...(t.config ? { config: t.config } : {}),
        location: entry!.file.locate(t.path),
      });
    }
  };

  const models: ConfiguredModel[] = [];
  const disabled: ConfiguredModel[] = [];
  for (const file of files.models) {
    const entry = modelEntries.get(`${file.layer}.${file.name}`);
    const config = entry ? configure(entry) : defaultConfig();
    const catalog = entry?.config?.database === undefined
      ? undefined
      : databaseOf(entry, config, options.attach ?? []);
    const id = `${catalog ? `${catalog}.` : ""}${file.layer}.${file.name}`;
    const settled = entry
      ? settleContract({
        file: entry.file,
        path: entry.path,
        enforced: entry.config?.contract?.enforced ?? false,
        contractPath: [...entry.path, "config", "contract"],
        columns: entry.columns.map((c, i) => ({ ...c, path: entry.columnPaths[i]! })),
        constraints: entry.constraints,
        materialization: findMaterialization(config.materialized)!,
      })
      : { tests: [] };
    const model: ConfiguredModel = {
      kind: "model",
      id,
      layer: file.layer,
      name: file.name,
      ...(catalog ? { catalog } : {}),
      path: file.path,
      description: entry?.description ?? "",
      columns: entry?.columns ?? [],
      config,
      checks: entry
        ? readChecks(entry.file, [...entry.path, "checks"], entry.checks, {
          model: id,
          config,
          allowed: findMaterialization(config.materialized)!.checks,
        })
        : [],
      ...(settled.contract ? { contract: settled.contract } : {}),
      ...(entry?.config?.hooks ? { hooks: entry.config.hooks } : {}),
    };
    if (entry) {
      entries.set(id, { file: entry.file, path: entry.path, columnPaths: entry.columnPaths });
    }
    if (entry?.config?.hooks && findMaterialization(config.materialized)!.inlined) {
      entry.file.report(
        [...entry.path, "config"],
        `${
          withArticle(config.materialized)
        } model is not built, so its hooks would never run: remove them`,
      );
    }
    if (entry && model.contract && model.checks.length) {
      entry.file.report(
        [...entry.path, "checks"],
        "a model with an enforced contract cannot have row checks (they build it with their own columns): remove one",
      );
    }
    // Tests of a disabled model are named (so names stay stable) but left out.
    const before = genericTests.length;
    addTests(model, entry, settled.tests);
    if (!config.enabled) {
      genericTests.splice(before);
      disabled.push(model);
    } else models.push(model);
  }

  const modelIds = new Set(models.map((m) => m.id));
  /** Adds the snapshot `entry` configures, whose SELECT is `path` (or its relation). */
  const addSnapshot = (entry: SnapshotEntry, name: string, path: string, schemaOf: string) => {
    const config = configure(entry, "snapshot");
    // A snapshot has no contract: its table has wharf's validity columns besides the SELECT's.
    for (const c of entry.constraints) {
      entry.file.report(
        c.path,
        "constraints apply to models: test a snapshot's columns with tests:",
      );
    }
    const schema = snapshotSchema(config.options) ?? schemaOf;
    if (!/^[a-z_][a-z0-9_]*$/.test(schema) || RESERVED_SCHEMAS.includes(schema)) {
      const key = entry.config?.settings.schema === undefined ? "target_schema" : "schema";
      entry.file.report(
        [...entry.path, "config", key],
        RESERVED_SCHEMAS.includes(schema)
          ? `the schema "${schema}" is reserved by wharf: choose another`
          : `invalid schema "${schema}": use lower-case letters, digits and underscores`,
      );
      return undefined;
    }
    const id = `${schema}.${name}`;
    if (modelIds.has(id)) {
      const other = models.find((m) => m.id === id)!;
      entry.file.report(
        [...entry.path, "name"],
        `${id} is also ${
          findMaterialization(other.config.materialized)?.snapshot ? "a snapshot" : "a model"
        } (${other.path}): rename the snapshot or give it another schema`,
      );
      return undefined;
    }
    modelIds.add(id);
    const node: ConfiguredModel = {
      kind: "model",
      id,
      layer: schema,
      name,
      path,
      description: entry.description,
      columns: entry.columns,
      config,
      checks: [],
      ...(entry.config?.hooks ? { hooks: entry.config.hooks } : {}),
    };
    entries.set(id, { file: entry.file, path: entry.path, columnPaths: entry.columnPaths });
    const before = genericTests.length;
    addTests(node, entry);
    if (!config.enabled) genericTests.splice(before);
    else models.push(node);
    return node;
  };

  const defined = yaml.snapshots.filter((e) => e.relation);
  const snapshotEntries = match(
    yaml.snapshots.filter((e) => !e.relation),
    files.snapshots,
    "snapshot",
  );
  for (const file of files.snapshots) {
    const entry = snapshotEntries.get(`${file.layer}.${file.name}`);
    if (entry) {
      addSnapshot(entry, file.name, file.path, file.layer);
      continue;
    }
    const inYaml = defined.find((e) =>
      e.name === file.name && isInFolder(file.path, folderSegments(e.file.path))
    );
    issues.push({
      message: inYaml
        ? `Snapshot "${file.name}" is also defined by the relation: of ${inYaml.file.path}: remove one of them`
        : `Snapshot "${file.name}" has no config: describe it under "snapshots:" in a YAML file beside it, with unique_key and strategy (timestamp with updated_at, or check with check_cols)`,
      location: { file: file.path },
    });
  }
  // Snapshots defined in YAML: `select *` from their relation, once every node is named.
  const pending: { node: ConfiguredModel; entry: SnapshotEntry }[] = [];
  for (const entry of defined) {
    if (!/^[a-z_][a-z0-9_]*$/.test(entry.name)) {
      entry.file.report(
        [...entry.path, "name"],
        `invalid snapshot name "${entry.name}": use lower-case letters, digits and underscores, starting with a letter`,
      );
      continue;
    }
    const node = addSnapshot(entry, entry.name, entry.file.path, DEFAULT_SNAPSHOT_SCHEMA);
    if (node && models.includes(node)) pending.push({ node, entry });
  }
  const definitions = new Map<string, { sql: string; line: number }>();
  const named = [
    ...models,
    ...files.seeds.map((f) => ({ id: `seeds.${f.name}`, name: f.name })),
  ];
  for (const { node, entry } of pending) {
    const { written, path } = entry.relation!;
    const found = options.resolve?.(written, named) ?? { relation: written.toLowerCase() };
    if ("problem" in found) {
      entry.file.report(path, found.problem);
      models.splice(models.indexOf(node), 1);
      for (let i = genericTests.length - 1; i >= 0; i--) {
        if (genericTests[i]!.attachedTo === node.id) genericTests.splice(i, 1);
      }
      continue;
    }
    node.rawCode = /^(ref|source)\s*\(/.test(written)
      ? `select * from {{ ${written} }}`
      : `select * from ${written}`;
    definitions.set(node.id, {
      sql: `SELECT * FROM ${quoteRelationId(found.relation)}`,
      line: entry.file.locate(path).line ?? 1,
    });
  }

  const seeds: SeedNode[] = files.seeds.map((file) => {
    const entry = seedEntries.get(`seeds.${file.name}`);
    const seed: SeedNode = {
      kind: "seed",
      id: `seeds.${file.name}`,
      name: file.name,
      path: file.path,
      description: entry?.description ?? "",
      columns: entry?.columns ?? [],
      columnTypes: entry?.columnTypes ?? {},
      tags: entry?.tags ?? [],
      ...(entry?.hooks ? { hooks: entry.hooks } : {}),
    };
    addTests(seed, entry);
    return seed;
  });

  const testEntries = new Map<string, TestEntry>();
  for (const entry of yaml.tests) {
    const prev = testEntries.get(entry.name);
    if (prev) {
      entry.file.report(
        [...entry.path, "name"],
        `"${entry.name}" is described twice (also in ${prev.file.path})`,
      );
    } else testEntries.set(entry.name, entry);
  }
  const singularTests: ConfiguredTest[] = [];
  for (const path of files.tests) {
    const name = sanitize(path.split(/[\\/]/).pop()!.replace(/\.sql$/, ""));
    const entry = testEntries.get(name);
    testEntries.delete(name);
    if (entry?.config?.enabled === false) continue;
    if (usedTestNames.has(name)) {
      issues.push({
        message: `Test name "${name}" is already used by a generic test: rename the file`,
        location: { file: path },
      });
      continue;
    }
    usedTestNames.add(name);
    singularTests.push({
      id: `test.${name}`,
      name,
      path,
      description: entry?.description ?? "",
      severity: entry?.severity ?? "error",
      ...(entry?.config ? { config: entry.config } : {}),
    });
  }
  for (const [name, entry] of testEntries) {
    entry.file.report([...entry.path, "name"], `no test file "${name}.sql" beside this file`);
  }
  // As in dbt, a test that reads a disabled model is left out, with a warning.
  const enabledNames = new Set([...models, ...seeds].map((n) => n.name));
  const kept = genericTests.filter((t) => {
    const off = disabled.find((d) =>
      t.test.reads.some((r) => r === d.id || (r === d.name && !enabledNames.has(r)))
    );
    if (off) {
      issues.push({
        message: disabledTarget(t.name, off.id, off.path),
        location: t.location,
        warning: true,
      });
    }
    return off === undefined;
  });
  return { models, seeds, genericTests: kept, singularTests, entries, definitions, issues };
}
