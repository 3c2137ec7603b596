/**
 * Loads a project folder into a plain {@linkcode Project}: model SQL and
 * YAML, seeds, macros and singular tests, with each model's dependencies
 * read by DuckDB's parser. Problems are collected, not thrown.
 *
 * @module
 */
import { basename, extname, join, relative } from "node:path";
import type { ResolvedConfig } from "../config.ts";
import type { ProjectIssue } from "../errors.ts";
import { type ParseResult, parseSql } from "../db/parse_sql.ts";
import { extractRelations, lineColumn } from "./relations.ts";
import { columnLineage } from "./column_lineage.ts";
import { readChecks } from "./read_checks.ts";
import { describe, YamlFile, type YamlPath } from "./yaml_file.ts";
import { closest } from "../graph/build_graph.ts";
import {
  type ColumnDoc,
  type GenericTest,
  type GenericTestNode,
  type MacroFile,
  type Materialization,
  MATERIALIZATIONS,
  type ModelNode,
  type Project,
  type SeedNode,
  type Severity,
  type SingularTestNode,
} from "./types.ts";

/** Options of {@linkcode loadProject}. */
export interface LoadProjectOptions {
  /** The SQL parser; DuckDB's by default. */
  parse?: (texts: readonly string[]) => Promise<ParseResult[]>;
}

/** Schemas wharf owns; a layer may not use these names. */
export const RESERVED_SCHEMAS: readonly string[] = [
  "raw",
  "seeds",
  "wharf",
  "wharf_failures",
  "main",
  "information_schema",
  "pg_catalog",
];

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return out;
    throw err;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory) out.push(...await listFiles(full));
    else if (e.isFile) out.push(full);
  }
  return out;
}

function isYaml(path: string): boolean {
  return path.endsWith(".yml") || path.endsWith(".yaml");
}

/** Removes trailing semicolons and white space so the SQL can be wrapped. */
export function trimSql(sql: string): string {
  return sql.replace(/[\s;]+$/, "");
}

interface YamlEntry {
  file: YamlFile;
  path: YamlPath;
  value: Record<string, unknown>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads the entries of a top-level list (`models:`, `seeds:`, `tests:`) by
 * name; an entry's keys must be among `entryKeys`.
 */
function collectEntries(
  files: YamlFile[],
  keys: readonly string[],
  entryKeys: readonly string[],
  what: string,
): Map<string, YamlEntry> {
  const byName = new Map<string, YamlEntry>();
  for (const file of files) {
    if (file.data === undefined || file.data === null) continue;
    if (!isRecord(file.data)) {
      file.report(
        [],
        `expected a mapping with ${keys.map((k) => `"${k}:"`).join(" or ")}, got ${
          describe(file.data)
        }`,
      );
      continue;
    }
    checkKeys(file, [], file.data, ["version", ...keys], "this file");
    for (const key of keys) {
      const list = file.data[key];
      if (list === undefined || list === null) continue;
      if (!Array.isArray(list)) {
        file.report([key], `expected a list, got ${describe(list)}`);
        continue;
      }
      list.forEach((item, i) => {
        const path = [key, i];
        if (!isRecord(item) || typeof item.name !== "string") {
          file.report(path, `expected a mapping with a "name", got ${describe(item)}`);
          return;
        }
        const name = item.name.toLowerCase();
        checkKeys(file, path, item, entryKeys, `${what} "${name}"`);
        const prev = byName.get(name);
        if (prev) {
          file.report(
            [...path, "name"],
            `"${name}" is described twice (also in ${prev.file.path})`,
          );
          return;
        }
        byName.set(name, { file, path, value: item });
      });
    }
  }
  return byName;
}

/** The keys wharf reads in each place of a project's YAML. */
const KEYS = {
  file: ["version", "models", "seeds", "tests", "data_tests"],
  model: ["name", "description", "config", "columns", "tests", "data_tests", "checks"],
  modelConfig: ["materialized", "unique_key", "watermark", "tags", "enabled"],
  seed: ["name", "description", "config", "columns", "tests", "data_tests"],
  seedConfig: ["column_types", "tags"],
  singularTest: ["name", "description", "config"],
  singularTestConfig: ["severity"],
  column: ["name", "description", "tests", "data_tests"],
  testConfig: ["severity"],
} as const;

/** The arguments each generic test reads, beside `config` and `severity`. */
const TEST_ARGS: Record<string, readonly string[]> = {
  unique: ["column_name"],
  not_null: ["column_name"],
  accepted_values: ["column_name", "values"],
  relationships: ["column_name", "to", "field"],
  expression: ["column_name", "expression"],
  expression_is_true: ["column_name", "expression"],
};

/**
 * Reports every key of `value` wharf does not read at `path`: a typo gets the
 * closest known key, anything else says wharf does not implement it.
 */
function checkKeys(
  file: YamlFile,
  path: YamlPath,
  value: Record<string, unknown>,
  known: readonly string[],
  what: string,
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = closest(key, known);
    file.report(
      [...path, key],
      guess
        ? `unknown key "${key}" in ${what} (did you mean "${guess}"?)`
        : `"${key}" in ${what} is not implemented by wharf: remove it (${what} reads ${
          known.map((k) => `"${k}"`).join(", ")
        })`,
    );
  }
}

function readString(entry: YamlEntry, key: string, sub: YamlPath = []): string | undefined {
  let obj: unknown = entry.value;
  for (const p of sub) obj = isRecord(obj) ? obj[p as string] : undefined;
  const v = isRecord(obj) ? obj[key] : undefined;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") {
    entry.file.report([...entry.path, ...sub, key], `expected text, got ${describe(v)}`);
    return undefined;
  }
  return v;
}

function readStringList(entry: YamlEntry, key: string, sub: YamlPath = []): string[] {
  let obj: unknown = entry.value;
  for (const p of sub) obj = isRecord(obj) ? obj[p as string] : undefined;
  const v = isRecord(obj) ? obj[key] : undefined;
  if (v === undefined || v === null) return [];
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  entry.file.report(
    [...entry.path, ...sub, key],
    `expected text or a list of text, got ${describe(v)}`,
  );
  return [];
}

/** Reads a test's `severity` (or `config: { severity }`) from the mapping at `path`. */
function readSeverity(file: YamlFile, path: YamlPath, args: Record<string, unknown>): Severity {
  const config = isRecord(args.config) ? args.config : undefined;
  if (config) checkKeys(file, [...path, "config"], config, KEYS.testConfig, "a test's config");
  const at = args.severity !== undefined ? [...path, "severity"] : [...path, "config", "severity"];
  const raw = args.severity ?? config?.severity;
  if (raw === undefined) return "error";
  const v = String(raw).toLowerCase();
  if (v === "error" || v === "warn") return v;
  file.report(at, `expected "error" or "warn", got ${describe(raw)}`);
  return "error";
}

/** Reads one entry of a `tests:` list into a generic test, or reports why not. */
function readTest(
  file: YamlFile,
  path: YamlPath,
  raw: unknown,
  column: string | undefined,
): { test: GenericTest; severity: Severity } | undefined {
  let kind: string;
  let args: Record<string, unknown> = {};
  if (typeof raw === "string") {
    kind = raw;
  } else if (isRecord(raw) && Object.keys(raw).length === 1) {
    kind = Object.keys(raw)[0]!;
    const value = raw[kind];
    if (kind === "expression" && typeof value === "string") args = { expression: value };
    else if (isRecord(value)) args = value;
    else if (value !== null && value !== undefined) {
      file.report(
        [...path, kind],
        `expected the test's arguments as a mapping, got ${describe(value)}`,
      );
      return undefined;
    }
  } else {
    file.report(
      path,
      `expected a test name or a mapping of one test name to its arguments, got ${describe(raw)}`,
    );
    return undefined;
  }
  const argPath = typeof raw === "string" ? path : [...path, kind];
  const accepted = TEST_ARGS[kind];
  if (accepted) {
    checkKeys(file, argPath, args, [...accepted, "config", "severity"], `test "${kind}"`);
  }
  const severity = readSeverity(file, argPath, args);
  const col = typeof args.column_name === "string" ? args.column_name : column;
  const needColumn = (): string | undefined => {
    if (col === undefined) {
      file.report(
        argPath,
        `test "${kind}" needs a column: put it under a column's tests or give "column_name"`,
      );
    }
    return col;
  };
  switch (kind) {
    case "unique":
    case "not_null": {
      const c = needColumn();
      return c === undefined ? undefined : { test: { kind, column: c }, severity };
    }
    case "accepted_values": {
      const c = needColumn();
      const values = args.values;
      if (!Array.isArray(values) || values.length === 0) {
        file.report(
          [...argPath, "values"],
          `expected a non-empty list of accepted values, got ${describe(values)}`,
        );
        return undefined;
      }
      return c === undefined
        ? undefined
        : { test: { kind, column: c, values: values.map(String) }, severity };
    }
    case "relationships": {
      const c = needColumn();
      const to = typeof args.to === "string" ? args.to : undefined;
      const field = typeof args.field === "string" ? args.field : undefined;
      if (!to) {
        file.report(
          [...argPath, "to"],
          `expected the referenced model, e.g. "staging.stg_members"`,
        );
      }
      if (!field) file.report([...argPath, "field"], `expected the referenced column name`);
      if (c === undefined || !to || !field) return undefined;
      const ref = /^ref\(\s*['"]([^'"]+)['"]\s*\)$/.exec(to.trim());
      return {
        test: { kind, column: c, to: (ref ? ref[1]! : to.trim()).toLowerCase(), field },
        severity,
      };
    }
    case "expression":
    case "expression_is_true": {
      const expression = args.expression;
      if (typeof expression !== "string" || expression.trim() === "") {
        file.report(
          [...argPath, "expression"],
          `expected a boolean SQL expression, e.g. "amount >= 0"`,
        );
        return undefined;
      }
      return { test: { kind: "expression", column: col, expression }, severity };
    }
    default:
      file.report(
        argPath,
        `unknown test "${kind}": expected unique, not_null, accepted_values, relationships or expression_is_true`,
      );
      return undefined;
  }
}

interface Described {
  description: string;
  columns: ColumnDoc[];
  tests: { test: GenericTest; severity: Severity; path: YamlPath }[];
}

/** Reads description, columns and tests of a model or seed entry. */
function readDescribed(entry: YamlEntry | undefined): Described {
  const out: Described = { description: "", columns: [], tests: [] };
  if (!entry) return out;
  const { file, path, value } = entry;
  out.description = readString(entry, "description") ?? "";
  const readTests = (list: unknown, listPath: YamlPath, column: string | undefined) => {
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) {
      file.report(listPath, `expected a list of tests, got ${describe(list)}`);
      return;
    }
    list.forEach((raw, i) => {
      const t = readTest(file, [...listPath, i], raw, column);
      if (t) out.tests.push({ ...t, path: [...listPath, i] });
    });
  };
  for (const key of ["tests", "data_tests"]) readTests(value[key], [...path, key], undefined);
  const columns = value.columns;
  if (columns !== undefined && columns !== null) {
    if (!Array.isArray(columns)) {
      file.report([...path, "columns"], `expected a list of columns, got ${describe(columns)}`);
    } else {
      columns.forEach((c, i) => {
        const cPath = [...path, "columns", i];
        if (!isRecord(c) || typeof c.name !== "string") {
          file.report(cPath, `expected a mapping with a "name", got ${describe(c)}`);
          return;
        }
        checkKeys(file, cPath, c, KEYS.column, `column "${c.name}"`);
        out.columns.push({
          name: c.name,
          description: typeof c.description === "string" ? c.description : "",
        });
        for (const key of ["tests", "data_tests"]) readTests(c[key], [...cPath, key], c.name);
      });
    }
  }
  return out;
}

function testName(t: GenericTest, owner: string, index: number): string {
  const col = t.column ? `_${t.column}` : "";
  switch (t.kind) {
    case "relationships":
      return `relationships_${owner}${col}__${t.to.replaceAll(".", "_")}`;
    case "expression":
      return `expression_${owner}${col}_${index}`;
    default:
      return `${t.kind}_${owner}${col}`;
  }
}

function sanitize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_]+/g, "_");
}

/**
 * Loads the project described by `config` from disk.
 *
 * Never throws for problems in the project's files: they are returned in
 * `issues` so that all of them can be shown at once.
 *
 * @example
 * ```ts ignore
 * const project = await loadProject(await loadConfig("."));
 * if (project.issues.length) throw new CompileError(project.issues);
 * ```
 */
export async function loadProject(
  config: ResolvedConfig,
  options: LoadProjectOptions = {},
): Promise<Project> {
  const parse = options.parse ?? parseSql;
  const rel = (p: string) => relative(config.root, p);
  const issues: ProjectIssue[] = [];
  const modelFiles = await listFiles(config.paths.models);
  const yamlFiles: YamlFile[] = [];
  const seedYaml: YamlFile[] = [];
  const models: ModelNode[] = [];
  const seeds: SeedNode[] = [];

  for (const file of modelFiles) {
    const r = relative(config.paths.models, file).split(/[\\/]/);
    const layer = r.length > 1 ? r[0]!.toLowerCase() : undefined;
    const ext = extname(file).toLowerCase();
    if (isYaml(file)) {
      const y = new YamlFile(rel(file), await Deno.readTextFile(file));
      (layer === "seeds" ? seedYaml : yamlFiles).push(y);
      continue;
    }
    if (ext !== ".sql" && !(layer === "seeds" && ext === ".csv")) continue;
    const name = basename(file, extname(file)).toLowerCase();
    if (layer === undefined) {
      issues.push({
        message: `Model file is not in a layer folder: move it to ${
          rel(config.paths.models)
        }/<layer>/ (e.g. staging)`,
        location: { file: rel(file) },
      });
      continue;
    }
    if (!IDENTIFIER.test(name)) {
      issues.push({
        message:
          `Invalid name "${name}": use lower-case letters, digits and underscores, starting with a letter`,
        location: { file: rel(file) },
      });
      continue;
    }
    if (layer === "seeds") {
      seeds.push({
        kind: "seed",
        id: `seeds.${name}`,
        name,
        path: rel(file),
        description: "",
        columns: [],
        columnTypes: {},
        tags: [],
      });
      continue;
    }
    if (!IDENTIFIER.test(layer) || RESERVED_SCHEMAS.includes(layer)) {
      issues.push({
        message: `Invalid layer folder "${layer}": ${
          RESERVED_SCHEMAS.includes(layer)
            ? `the schema "${layer}" is reserved by wharf`
            : "use lower-case letters, digits and underscores"
        }; rename the folder`,
        location: { file: rel(file) },
      });
      continue;
    }
    models.push({
      kind: "model",
      id: `${layer}.${name}`,
      layer,
      name,
      path: rel(file),
      sql: await Deno.readTextFile(file),
      description: "",
      columns: [],
      config: { materialized: "view", uniqueKey: [], tags: [], enabled: true },
      refs: [],
      checks: [],
      checkRefs: [],
      columnLineage: {},
    });
  }

  const tests: (GenericTestNode | SingularTestNode)[] = [];
  const usedTestNames = new Set<string>();
  const addGeneric = (owner: { id: string; name: string }, d: Described, file: YamlFile) => {
    let expressions = 0;
    for (const t of d.tests) {
      if (t.test.kind === "expression") expressions++;
      let name = sanitize(testName(t.test, owner.name, expressions));
      for (let n = 2; usedTestNames.has(name); n++) {
        name = `${sanitize(testName(t.test, owner.name, expressions))}_${n}`;
      }
      usedTestNames.add(name);
      tests.push({
        kind: "generic_test",
        id: `test.${name}`,
        name,
        attachedTo: owner.id,
        test: t.test,
        severity: t.severity,
        location: file.locate(t.path),
      });
    }
  };

  // Model YAML.
  const modelEntries = collectEntries(yamlFiles, ["models"], KEYS.model, "model");
  const byName = new Map<string, ModelNode[]>();
  for (const m of models) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  for (const [name, entry] of modelEntries) {
    const candidates = (byName.get(name) ?? []).filter((m) =>
      m.path.startsWith(entry.file.path.split(/[\\/]/).slice(0, -1).join("/"))
    );
    const model = candidates[0];
    if (!model) {
      entry.file.report(
        [...entry.path, "name"],
        `no model "${name}" in this folder: add ${name}.sql beside this file or remove the entry`,
      );
      continue;
    }
    const d = readDescribed(entry);
    model.description = d.description;
    model.columns = d.columns;
    const cfg = entry.value.config;
    if (cfg !== undefined && cfg !== null && !isRecord(cfg)) {
      entry.file.report([...entry.path, "config"], `expected a mapping, got ${describe(cfg)}`);
    } else if (isRecord(cfg)) {
      checkKeys(entry.file, [...entry.path, "config"], cfg, KEYS.modelConfig, "a model's config");
      const m = cfg.materialized;
      if (m !== undefined) {
        if (MATERIALIZATIONS.includes(m as Materialization)) {
          model.config.materialized = m as Materialization;
        } else {
          entry.file.report(
            [...entry.path, "config", "materialized"],
            `expected one of ${MATERIALIZATIONS.join(", ")}, got ${describe(m)}`,
          );
        }
      }
      model.config.uniqueKey = readStringList(entry, "unique_key", ["config"]);
      model.config.watermark = readString(entry, "watermark", ["config"]);
      model.config.tags = readStringList(entry, "tags", ["config"]);
      if (cfg.enabled === false) model.config.enabled = false;
      if (model.config.materialized === "incremental" && !model.config.watermark) {
        entry.file.report(
          [...entry.path, "config"],
          `incremental model "${model.id}" needs a "watermark" column (e.g. _batch_id) to know which rows are new`,
        );
      }
    }
    model.checks = readChecks(
      entry.file,
      [...entry.path, "checks"],
      entry.value.checks,
      model.id,
      model.config,
    );
    if (model.config.materialized !== "incremental" && model.config.watermark) {
      entry.file.report(
        [...entry.path, "config", "watermark"],
        `"watermark" applies to incremental models only`,
      );
    }
    addGeneric(model, d, entry.file);
  }

  // Seed YAML.
  const seedEntries = collectEntries(seedYaml, ["seeds"], KEYS.seed, "seed");
  for (const [name, entry] of seedEntries) {
    const seed = seeds.find((s) => s.name === name);
    if (!seed) {
      entry.file.report(
        [...entry.path, "name"],
        `no seed "${name}": add ${name}.csv beside this file or remove the entry`,
      );
      continue;
    }
    const d = readDescribed(entry);
    seed.description = d.description;
    seed.columns = d.columns;
    seed.tags = readStringList(entry, "tags", ["config"]);
    if (isRecord(entry.value.config)) {
      checkKeys(
        entry.file,
        [...entry.path, "config"],
        entry.value.config,
        KEYS.seedConfig,
        "a seed's config",
      );
    }
    const types = isRecord(entry.value.config) ? entry.value.config.column_types : undefined;
    if (isRecord(types)) {
      for (const [col, type] of Object.entries(types)) seed.columnTypes[col] = String(type);
    } else if (types !== undefined) {
      entry.file.report(
        [...entry.path, "config", "column_types"],
        `expected a mapping of column to type, got ${describe(types)}`,
      );
    }
    addGeneric(seed, d, entry.file);
  }

  // Singular tests and their YAML.
  const testFiles = await listFiles(config.paths.tests);
  const testYaml = [];
  for (const f of testFiles.filter(isYaml)) {
    testYaml.push(new YamlFile(rel(f), await Deno.readTextFile(f)));
  }
  const testEntries = collectEntries(
    testYaml,
    ["tests", "data_tests"],
    KEYS.singularTest,
    "test",
  );
  for (const file of testFiles.filter((f) => extname(f) === ".sql")) {
    const name = sanitize(basename(file, ".sql"));
    const entry = testEntries.get(name);
    testEntries.delete(name);
    if (usedTestNames.has(name)) {
      issues.push({
        message: `Test name "${name}" is already used by a generic test: rename the file`,
        location: { file: rel(file) },
      });
      continue;
    }
    usedTestNames.add(name);
    tests.push({
      kind: "singular_test",
      id: `test.${name}`,
      name,
      path: rel(file),
      sql: await Deno.readTextFile(file),
      description: entry ? readString(entry, "description") ?? "" : "",
      severity: entry ? readSeverity(entry.file, entry.path, entry.value) : "error",
      refs: [],
    });
  }
  for (const [name, entry] of testEntries) {
    entry.file.report([...entry.path, "name"], `no test file "${name}.sql" beside this file`);
  }

  // Macros.
  const macros: MacroFile[] = [];
  for (const f of (await listFiles(config.paths.macros)).filter((f) => extname(f) === ".sql")) {
    macros.push({ path: rel(f), sql: await Deno.readTextFile(f) });
  }

  // Dependencies from DuckDB's parser.
  const parsed = [
    ...models,
    ...tests.filter((t): t is SingularTestNode => t.kind === "singular_test"),
  ];
  const results = await parse(parsed.map((n) => trimSql(n.sql)));
  parsed.forEach((node, i) => {
    const r = results[i]!;
    if (!r.ok) {
      const where = r.position === undefined ? {} : lineColumn(node.sql, r.position);
      const message = /Only SELECT statements/i.test(r.message)
        ? "A model must be one SELECT statement (CTEs allowed): found another kind of statement"
        : `Cannot parse SQL: ${r.message}`;
      issues.push({ message, location: { file: node.path, ...where } });
      return;
    }
    const statements = (r.ast as { statements?: unknown[] }).statements ?? [];
    if (statements.length !== 1) {
      issues.push({
        message:
          `Expected one SELECT statement, found ${statements.length}: split them into separate files`,
        location: { file: node.path },
      });
      return;
    }
    node.refs = extractRelations(r.ast, node.sql);
    if (node.kind === "model") node.columnLineage = columnLineage(r.ast);
  });

  // Check expressions: their relations are dependencies too.
  const checked = models.flatMap((m) => m.checks.map((c) => ({ model: m, check: c })));
  const checkResults = await parse(
    checked.map(({ check }) => `SELECT (${check.expression}) AS ok`),
  );
  checked.forEach(({ model, check }, i) => {
    const r = checkResults[i]!;
    const yaml = yamlFiles.find((y) => modelEntries.get(model.name)?.file === y);
    if (!r.ok) {
      const where =
        yaml?.locate([...(modelEntries.get(model.name)?.path ?? []), "checks", check.name]) ??
          { file: model.path };
      issues.push({
        message: `Cannot parse check "${check.name}" of ${model.id}: ${r.message}`,
        location: where,
      });
      return;
    }
    model.checkRefs.push(...extractRelations(r.ast, check.expression));
  });

  for (const y of [...yamlFiles, ...seedYaml, ...testYaml]) issues.push(...y.issues);
  return {
    config,
    models: models.filter((m) => m.config.enabled),
    seeds,
    tests: tests.filter((t) =>
      t.kind !== "generic_test" ||
      models.find((m) => m.id === t.attachedTo)?.config.enabled !== false
    ),
    macros,
    issues,
  };
}
