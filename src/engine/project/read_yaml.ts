/**
 * The second stage of loading a project: read its YAML files and validate
 * them with zod schemas (`yaml_schema.ts`). Every problem is reported with
 * the file, the path in the YAML and its line, and a key wharf does not read
 * is named with the closest known key. The entries come out as plain data,
 * not yet matched to the models, seeds and tests they describe.
 *
 * @module
 */
import { join } from "node:path";
import { z } from "../zod.ts";
import type { EngineConfig } from "../config.ts";
import { findMaterialization, MODEL_MATERIALIZATIONS } from "../materializations/index.ts";
import { closest } from "../suggest.ts";
import type { ProjectFiles } from "./discover_files.ts";
import { COMMON_TEST_KEYS } from "../test_kinds/common.ts";
import { testConfigSchema, testConfigShape, toTestConfig } from "../test_kinds/test_config.ts";
import { TEST_KINDS, testKind } from "../test_kinds/index.ts";
import type { ProjectStyle } from "../test_kinds/test_kind.ts";
import type {
  ColumnDoc,
  DeclaredSource,
  GenericTest,
  NodeHooks,
  Severity,
  TestConfig,
} from "../types.ts";
import type { ExposureEntry } from "./read_exposures.ts";
import {
  contractConfig,
  type DeclaredConstraint,
  HOOK_KEYS,
  readConstraints,
  readDataType,
  readHooks,
} from "./read_contract.ts";
import { readSources } from "./read_sources.ts";
import { describe, YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import { type DeclaredUnitTest, readUnitTests } from "./read_unit_tests.ts";
import {
  flag,
  isRecord,
  list,
  mapping,
  readMapping,
  readValue,
  text,
  textList,
  textOrList,
} from "../yaml/yaml_schema.ts";

/** A generic test as a YAML entry declares it. */
export interface DeclaredTest {
  test: GenericTest;
  /** As written; absent: not set (`error`, unless a dbt project's `data_tests:` tree says otherwise). */
  severity?: Severity;
  /** `where`, `limit`, `fail_calc`, `warn_if`, `error_if`, `store_failures`, …, when set. */
  config?: TestConfig;
  /** Where it is declared. */
  path: YamlPath;
  /** Where its arguments are written: under `arguments:` (dbt 1.10's form), or beside its configs. */
  argsPath?: YamlPath;
  /**
   * The name it is given (dbt's `name:` beside its arguments or configs, or
   * beside `test_name:`), lower-cased; absent: one is made up.
   */
  name?: string;
  /**
   * dbt projects: its arguments hold Jinja (`values: "{{ var('x') }}"`), so
   * they are rendered in the test's context once the project's nodes are
   * named, and validated by its kind then (its `reads` are empty until).
   */
  jinja?: boolean;
  /**
   * dbt projects: its configs hold Jinja (`where: "x > {{ var('min') }}"`),
   * as written (beside its arguments, and `config:`): dbt renders them in
   * the test's context, then they are read as {@linkcode readTestSettings}
   * reads them (its `severity` and `config` are unset until).
   */
  jinjaSettings?: Record<string, unknown>;
}

/** What every entry (model, seed) describes. */
export interface DescribedEntry {
  file: YamlFile;
  /** The entry's path in the file (`["models", 0]`). */
  path: YamlPath;
  /** Lower-cased. */
  name: string;
  description: string;
  columns: ColumnDoc[];
  /** Where each of `columns` is declared. */
  columnPaths: YamlPath[];
  tests: DeclaredTest[];
  /** Its columns' and its own `constraints:`. */
  constraints: DeclaredConstraint[];
}

/** A model's `config:` as YAML gives it. */
export interface ModelConfigEntry {
  materialized?: string;
  /** The attached database the model is built into. */
  database?: string;
  unique_key?: string | string[];
  tags?: string[];
  enabled?: boolean;
  /** `contract: { enforced }` */
  contract?: { enforced?: boolean };
  hooks?: NodeHooks;
  /** The keys that belong to materializations, as written (each validated by its own). */
  settings: Record<string, unknown>;
}

/** An entry of `models:`. */
export interface ModelEntry extends DescribedEntry {
  config?: ModelConfigEntry;
  /** `checks:` as written (read once the model's materialization is known). */
  checks: unknown;
}

/**
 * An entry of `snapshots:`: it configures the snapshot file of its name, or
 * (with `relation:`) is a snapshot itself, of `select *` from that relation.
 */
export interface SnapshotEntry extends ModelEntry {
  /** `relation:` as written (`raw.people`, `ref('stg_people')`, `source('raw', 'people')`), and where. */
  relation?: { written: string; path: YamlPath };
}

/** An entry of `seeds:`. */
export interface SeedEntry extends DescribedEntry {
  columnTypes: Record<string, string>;
  tags: string[];
  hooks?: NodeHooks;
}

/** An entry of a singular test's YAML (`tests:` or `data_tests:`). */
export interface TestEntry {
  file: YamlFile;
  path: YamlPath;
  name: string;
  description: string;
  severity: Severity;
  /** `limit`, `fail_calc`, `warn_if`, `error_if`, `store_failures`, …, when set. */
  config?: TestConfig;
}

/** A project's YAML, validated. */
export interface ProjectYaml {
  /** Every YAML file read, with the problems found in it. */
  files: YamlFile[];
  models: ModelEntry[];
  /** `exposures:` entries, as written (read once the models are known). */
  exposures: ExposureEntry[];
  seeds: SeedEntry[];
  tests: TestEntry[];
  /** `unit_tests:` of the models' YAML files. */
  unitTests: DeclaredUnitTest[];
  /** Entries of `snapshots:` in the snapshots folder's YAML (their config's materialization: snapshot). */
  snapshots: SnapshotEntry[];
  /** The tables of `sources:` entries in model YAML. */
  sources: DeclaredSource[];
}

const testConfig = testConfigSchema;

/** Every key of a model materialization's settings, in registry order. */
const SETTING_KEYS: readonly string[] = [
  ...new Set(MODEL_MATERIALIZATIONS.flatMap((m) => m.configKeys)),
];

const modelConfig = mapping("a model's config", {
  materialized: text("the name of a materialization").optional(),
  unique_key: textOrList().optional(),
  tags: textList().optional(),
  enabled: flag().optional(),
  database: text("the name of an attached database").optional(),
  contract: contractConfig.optional(),
}, { alsoKnown: [...SETTING_KEYS, ...HOOK_KEYS] });

/** What every test reads beside its kind's arguments (which report unknown keys). */
const testCommon = mapping("a test", {
  column_name: text("a column name").optional(),
  config: testConfig.optional(),
  ...testConfigShape,
}, { open: true });

const snapshotConfig = mapping("a snapshot's config", {
  unique_key: textOrList().optional(),
  tags: textList().optional(),
  enabled: flag().optional(),
}, { alsoKnown: [...findMaterialization("snapshot")!.configKeys, ...HOOK_KEYS] });

const seedConfig = mapping("a seed's config", {
  column_types: z.record(z.string(), text("a DuckDB type name"), {
    error: (iss) => `expected a mapping of column to type, got ${describe(iss.input)}`,
  }).optional(),
  tags: textList().optional(),
}, { alsoKnown: HOOK_KEYS });

/** The entries of the lists `keys` of a file, each a mapping with a name. */
function entriesOf(
  file: YamlFile,
  keys: readonly string[],
  alsoKnown: readonly string[] = [],
): { path: YamlPath; name: string; value: Record<string, unknown> }[] {
  if (file.data === undefined || file.data === null) return [];
  const top = readValue(
    file,
    [],
    mapping(
      "this file",
      Object.fromEntries([
        ["version", z.unknown().optional()],
        ...keys.map((k) => [k, list(z.unknown()).nullish()]),
      ]),
      { expected: `a mapping with ${keys.map((k) => `"${k}:"`).join(" or ")}`, alsoKnown },
    ),
    file.data,
  );
  if (!isRecord(file.data)) return [];
  const out: { path: YamlPath; name: string; value: Record<string, unknown> }[] = [];
  for (const key of keys) {
    const items = top?.[key] ?? file.data[key];
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => {
      const path = [key, i];
      if (!isRecord(item) || typeof item.name !== "string") {
        file.report(path, `expected a mapping with a "name", got ${describe(item)}`);
        return;
      }
      out.push({ path, name: item.name.toLowerCase(), value: item });
    });
  }
  return out;
}

/** `a, b or c` */
function orList(items: readonly string[]): string {
  return items.length < 2
    ? items.join("")
    : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

/**
 * A test's severity and configs: its `config:` block over the same keys
 * written beside its arguments (dbt's older form).
 */
export function testSettings(
  common: { config?: Record<string, unknown> | null } & Record<string, unknown> | undefined,
): { severity?: Severity; config?: TestConfig } {
  const top = toTestConfig(common as Parameters<typeof toTestConfig>[0]);
  const block = toTestConfig((common?.config ?? undefined) as Parameters<typeof toTestConfig>[0]);
  const config = { ...top.config, ...block.config };
  return {
    ...(block.severity ?? top.severity ? { severity: block.severity ?? top.severity } : {}),
    ...(Object.keys(config).length ? { config } : {}),
  };
}

/**
 * Reads a test's configs as written (beside its arguments, and under
 * `config:`) into its severity and configs, reporting what is wrong at
 * `path`; undefined when they cannot be read.
 */
export function readTestSettings(
  file: YamlFile,
  path: YamlPath,
  settings: Record<string, unknown>,
): { severity?: Severity; config?: TestConfig } | undefined {
  const common = readMapping(file, path, testCommon, settings);
  return common && testSettings(common);
}

/** Reads one entry of a `tests:` list into a generic test, or reports why not. */
function readTest(
  file: YamlFile,
  path: YamlPath,
  raw: unknown,
  column: string | undefined,
  options: ReadTestsOptions,
): DeclaredTest | undefined {
  const { custom, style = "plain" } = options;
  let name: string;
  let args: Record<string, unknown> = {};
  // dbt's named form (`- name: …`, `test_name: …` and the rest beside them) gives the test's name.
  let given: string | undefined;
  // Where its arguments and configs are: beside the test's name, or under it.
  let argPath = path;
  if (typeof raw === "string") {
    name = raw;
  } else if (isRecord(raw) && "test_name" in raw) {
    const { name: named, test_name: test, ...rest } = raw;
    if (typeof test !== "string" || test.trim() === "") {
      file.report(
        [...path, "test_name"],
        `expected the name of a generic test, got ${describe(test)}`,
      );
      return undefined;
    }
    if (!testNameValid(file, [...path, "name"], named)) return undefined;
    name = test;
    given = (named as string | undefined)?.toLowerCase();
    args = rest;
  } else if (isRecord(raw) && Object.keys(raw).length === 1) {
    name = Object.keys(raw)[0]!;
    argPath = [...path, name];
    const value = raw[name];
    const shorthand = testKind(name)?.shorthand;
    if (shorthand && typeof value === "string") args = { [shorthand]: value };
    else if (isRecord(value)) {
      // `name:` beside the arguments (or beside `arguments:`) names the test, as in dbt.
      const { name: named, ...rest } = value;
      if (!testNameValid(file, [...argPath, "name"], named)) return undefined;
      given = (named as string | undefined)?.toLowerCase();
      args = rest;
    } else if (value !== null && value !== undefined) {
      file.report(
        [...path, name],
        `expected the test's arguments as a mapping, got ${describe(value)}`,
      );
      return undefined;
    }
  } else {
    file.report(
      path,
      `expected a test name, a mapping of one test name to its arguments, or dbt's named form (name:, test_name:), got ${
        describe(raw)
      }`,
    );
    return undefined;
  }
  const split = splitArguments(file, argPath, name, args);
  if (!split) return undefined;
  const { own, ownPath } = split;
  // dbt renders configs holding Jinja in the test's context: they are read once rendered.
  const { column_name: columnName, ...configs } = split.settings;
  const jinjaSettings = options.renders === true && holdsJinja(configs) ? configs : undefined;
  const settings = jinjaSettings ? { column_name: columnName } : split.settings;
  if (custom?.has(name)) {
    // A project's own generic test: its arguments are its macro's to check.
    const common = readMapping(file, argPath, testCommon, settings);
    return {
      test: {
        kind: "rendered",
        ...(common?.column_name ?? column) === undefined
          ? {}
          : { column: common?.column_name ?? column },
        args: { test: name, arguments: own },
        reads: [],
      },
      ...testSettings(common),
      ...(jinjaSettings ? { jinjaSettings } : {}),
      path,
      argsPath: ownPath,
      ...(given ? { name: given } : {}),
    };
  }
  const found = testKind(name);
  const kind = found?.names.length ? found : undefined;
  const namespace = /^(\w+)\.\w+$/.exec(name)?.[1];
  const missing = !kind && namespace !== undefined ? custom?.notInstalled?.(namespace) : undefined;
  if (missing) {
    file.report(argPath, `test "${name}": ${missing}`);
    return undefined;
  }
  if (!kind) {
    const named = TEST_KINDS.filter((k) => k.names.length);
    const guess = closest(name, [...named.flatMap((k) => k.names), ...(custom?.names ?? [])]);
    file.report(
      argPath,
      `unknown test "${name}"${guess ? ` (did you mean "${guess}"?)` : ""}: expected ${
        orList(named.map((k) => k.names[0]!))
      }${custom ? ", or a {% test %} of the project's macros" : ""}`,
    );
    return undefined;
  }
  // dbt renders arguments holding Jinja in the test's context: they are validated once rendered.
  const jinja = options.renders === true && holdsJinja(own);
  const valid = jinja || readValue(file, ownPath, kind.args(style), own) !== undefined;
  const common = readMapping(file, argPath, testCommon, settings);
  const col = common?.column_name ?? column;
  if (col === undefined && kind.column === "required") {
    file.report(
      argPath,
      `test "${name}" needs a column: put it under a column's tests or give "column_name"`,
    );
    return undefined;
  }
  if (!valid) return undefined;
  return {
    test: {
      kind: kind.kind,
      ...(col === undefined ? {} : { column: col }),
      args: own,
      reads: jinja ? [] : kind.reads(own),
    },
    ...testSettings(common),
    ...(jinjaSettings ? { jinjaSettings } : {}),
    path,
    argsPath: ownPath,
    ...(given ? { name: given } : {}),
    ...(jinja ? { jinja } : {}),
  };
}

/** True when `name` (a test's `name:`, if given) is one; else reports why at `path`. */
function testNameValid(file: YamlFile, path: YamlPath, name: unknown): boolean {
  if (name === undefined || (typeof name === "string" && /^[A-Za-z_][\w]*$/.test(name))) {
    return true;
  }
  file.report(
    path,
    `expected the test's name (letters, digits and underscores), got ${describe(name)}`,
  );
  return false;
}

/**
 * True when a text in `value` (a test's arguments, searched through lists
 * and mappings) holds Jinja: `{{ … }}` or `{% … %}`.
 */
export function holdsJinja(value: unknown): boolean {
  if (typeof value === "string") return value.includes("{{") || value.includes("{%");
  if (Array.isArray(value)) return value.some(holdsJinja);
  return isRecord(value) && Object.values(value).some(holdsJinja);
}

/**
 * A test's entry split into its settings (`column_name`, `config:`, and
 * the config keys written beside it) and its own arguments: those of
 * `arguments:` (dbt 1.10's form), or else every other key beside them (the
 * older form). Both forms in one test, or a setting under `arguments:`, is
 * reported (undefined).
 */
function splitArguments(
  file: YamlFile,
  argPath: YamlPath,
  name: string,
  args: Record<string, unknown>,
):
  | { settings: Record<string, unknown>; own: Record<string, unknown>; ownPath: YamlPath }
  | undefined {
  const { arguments: nested, ...beside } = args;
  const isSetting = (k: string) => COMMON_TEST_KEYS.includes(k);
  if (nested === undefined || nested === null) {
    return {
      settings: beside,
      own: Object.fromEntries(Object.entries(beside).filter(([k]) => !isSetting(k))),
      ownPath: argPath,
    };
  }
  const ownPath = [...argPath, "arguments"];
  if (!isRecord(nested)) {
    file.report(
      ownPath,
      `expected the arguments of test "${name}" as a mapping, got ${describe(nested)}`,
    );
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(beside).filter((k) => !isSetting(k))) {
    ok = false;
    file.report(
      [...argPath, key],
      `"${key}" is an argument of test "${name}" written beside "arguments": put it under arguments:, or write every argument beside the configs (dbt's older form), not both`,
      { key: true },
    );
  }
  for (const key of Object.keys(nested).filter(isSetting)) {
    ok = false;
    file.report(
      [...ownPath, key],
      `"${key}" is not an argument of test "${name}": ${
        key === "column_name" ? "write it beside arguments:" : "put it under config:"
      }`,
      { key: true },
    );
  }
  return ok ? { settings: beside, own: nested, ownPath } : undefined;
}

/** A project's own generic tests (dbt's `{% test %}`): whether a name is one, and their names. */
export interface CustomTests {
  has(name: string): boolean;
  names: readonly string[];
  /**
   * Why the tests of `namespace` (`<package>.<test>`) cannot be found when
   * no package or project of that name is installed; undefined when one is.
   */
  notInstalled?(namespace: string): string | undefined;
}

/** Options of {@linkcode readTests}. */
export interface ReadTestsOptions {
  /**
   * Which other names are the project's own generic tests (dbt's `{% test %}`):
   * those become `rendered` tests with their arguments, rendered once the
   * project's relations are named.
   */
  custom?: CustomTests;
  /** The kind of project the tests are declared in (for the examples of messages); default plain. */
  style?: ProjectStyle;
  /**
   * dbt projects: arguments holding Jinja are left to be rendered (and
   * validated) in the test's context (see `DeclaredTest.jinja`); a plain-SQL
   * project's YAML has no Jinja.
   */
  renders?: boolean;
}

/** A `tests:` list before each test is read (built once: a schema per model costs compile time). */
const TEST_LIST = list(z.unknown(), "a list of tests").nullish();

/** A `columns:` list before each column is read. */
const COLUMN_LIST = list(z.unknown(), "a list of columns").nullish();

/** Reads a `tests:` (or `data_tests:`) list: each test validated by its kind. */
export function readTests(
  file: YamlFile,
  path: YamlPath,
  raw: unknown,
  column: string | undefined,
  options: ReadTestsOptions = {},
): DeclaredTest[] {
  const items = readValue(file, path, TEST_LIST, raw);
  return (items ?? []).flatMap((item, i) =>
    readTest(file, [...path, i], item, column, options) ?? []
  );
}

/** Reads description, columns and tests of a model or seed entry. */
function readDescribed(
  file: YamlFile,
  path: YamlPath,
  name: string,
  value: Record<string, unknown>,
): DescribedEntry {
  const tests = [
    ...readTests(file, [...path, "tests"], value.tests, undefined),
    ...readTests(file, [...path, "data_tests"], value.data_tests, undefined),
  ];
  const columns: ColumnDoc[] = [];
  const columnPaths: YamlPath[] = [];
  const constraints = readConstraints(file, [...path, "constraints"], value.constraints);
  const listed = readValue(
    file,
    [...path, "columns"],
    COLUMN_LIST,
    value.columns,
  );
  (listed ?? []).forEach((c, i) => {
    const cPath = [...path, "columns", i];
    if (!isRecord(c) || typeof c.name !== "string") {
      file.report(cPath, `expected a mapping with a "name", got ${describe(c)}`);
      return;
    }
    const column = readMapping(
      file,
      cPath,
      columnEntry,
      c,
    );
    const dataType = readDataType(file, [...cPath, "data_type"], c.data_type);
    columns.push({
      name: c.name,
      description: column?.description ?? "",
      ...(dataType ? { dataType } : {}),
    });
    columnPaths.push(cPath);
    constraints.push(...readConstraints(file, [...cPath, "constraints"], c.constraints, c.name));
    tests.push(
      ...readTests(file, [...cPath, "tests"], c.tests, c.name),
      ...readTests(file, [...cPath, "data_tests"], c.data_tests, c.name),
    );
  });
  const description = typeof value.description === "string" ? value.description : "";
  return { file, path, name, description, columns, columnPaths, tests, constraints };
}

const columnEntry = mapping((c) => `column "${c.name}"`, {
  name: z.string(),
  description: text().nullish(),
  tests: z.unknown().optional(),
  data_tests: z.unknown().optional(),
  data_type: z.unknown().optional(),
  constraints: z.unknown().optional(),
});

/** An entry that describes a node (`what` names it, e.g. `model`), with `extra` keys. */
function described(what: string, extra: z.ZodRawShape) {
  return mapping((v) => `${what} "${String(v.name).toLowerCase()}"`, {
    name: z.string(),
    description: text().nullish(),
    config: z.unknown().optional(),
    columns: z.unknown().optional(),
    tests: z.unknown().optional(),
    data_tests: z.unknown().optional(),
    ...extra,
  });
}

const modelEntry = described("model", {
  checks: z.unknown().optional(),
  constraints: z.unknown().optional(),
});
const seedEntry = described("seed", {});
const snapshotEntry = described("snapshot", {
  relation: text("ref('model'), source('source', 'table') or a relation (raw.people)")
    .optional(),
});
const testEntry = mapping((v) => `test "${String(v.name).toLowerCase()}"`, {
  name: z.string(),
  description: text().nullish(),
  config: testConfig.nullish(),
});

function readModels(
  file: YamlFile,
  entries: readonly { path: YamlPath; name: string; value: Record<string, unknown> }[],
): ModelEntry[] {
  return entries.map(({ path, name, value }) => {
    readMapping(file, path, modelEntry, value);
    const entry: ModelEntry = { ...readDescribed(file, path, name, value), checks: value.checks };
    if (value.config === undefined || value.config === null) return entry;
    const config = readMapping(file, [...path, "config"], modelConfig, value.config);
    if (!config || !isRecord(value.config)) return entry;
    const settings = Object.fromEntries(
      Object.entries(value.config).filter(([k]) => SETTING_KEYS.includes(k)),
    );
    const hooks = readHooks(file, [...path, "config"], value.config);
    return { ...entry, config: { ...config, settings, ...(hooks ? { hooks } : {}) } };
  });
}

function readSnapshots(file: YamlFile): SnapshotEntry[] {
  const own = findMaterialization("snapshot")!.configKeys;
  return entriesOf(file, ["snapshots"]).map(({ path, name, value }) => {
    readMapping(file, path, snapshotEntry, value);
    const entry: SnapshotEntry = {
      ...readDescribed(file, path, name, value),
      checks: undefined,
      ...(typeof value.relation !== "string"
        ? {}
        : { relation: { written: value.relation.trim(), path: [...path, "relation"] } }),
    };
    if (value.config === undefined || value.config === null) {
      return { ...entry, config: { materialized: "snapshot", settings: {} } };
    }
    const config = readMapping(file, [...path, "config"], snapshotConfig, value.config);
    if (!config || !isRecord(value.config)) return entry;
    const settings = Object.fromEntries(
      Object.entries(value.config).filter(([k]) => own.includes(k)),
    );
    const hooks = readHooks(file, [...path, "config"], value.config);
    return {
      ...entry,
      config: { ...config, materialized: "snapshot", settings, ...(hooks ? { hooks } : {}) },
    };
  });
}

function readSeeds(file: YamlFile): SeedEntry[] {
  return entriesOf(file, ["seeds"]).map(({ path, name, value }) => {
    readMapping(file, path, seedEntry, value);
    const config = value.config === undefined || value.config === null
      ? {}
      : readMapping(file, [...path, "config"], seedConfig, value.config);
    const described = readDescribed(file, path, name, value);
    for (const c of described.constraints) {
      file.report(c.path, "constraints apply to models: test a seed's columns with tests:");
    }
    const hooks = isRecord(value.config)
      ? readHooks(file, [...path, "config"], value.config)
      : undefined;
    return {
      ...described,
      columnTypes: config?.column_types ?? {},
      tags: config?.tags ?? [],
      ...(hooks ? { hooks } : {}),
    };
  });
}

function readTestEntries(file: YamlFile): TestEntry[] {
  return entriesOf(file, ["tests", "data_tests"]).map(({ path, name, value }) => {
    const entry = readMapping(file, path, testEntry, value);
    const { severity, config } = toTestConfig(entry?.config ?? undefined);
    if (config?.where !== undefined) {
      file.report(
        [...path, "config", "where"],
        '"where" applies to generic tests (a singular test filters in its own SQL)',
        { key: true },
      );
    }
    return {
      file,
      path,
      name,
      description: entry?.description ?? "",
      severity: severity ?? "error",
      ...(config ? { config } : {}),
    };
  });
}

/**
 * Reads and validates every YAML file of the project. Never throws for a
 * problem in a file: each is recorded in its file's `issues`.
 */
export async function readYaml(config: EngineConfig, files: ProjectFiles): Promise<ProjectYaml> {
  const open = (path: string) =>
    Deno.readTextFile(join(config.root, path)).then((text) => new YamlFile(path, text));
  const modelYaml = await Promise.all(files.modelYaml.map(open));
  const seedYaml = await Promise.all(files.seedYaml.map(open));
  const testYaml = await Promise.all(files.testYaml.map(open));
  const snapshotYaml = await Promise.all(files.snapshotYaml.map(open));
  // A models folder's YAML describes models and sources, and may declare exposures
  // (`sources:` is read by read_sources.ts, `unit_tests:` by read_unit_tests.ts).
  const declaredSources = new Map<string, DeclaredSource>();
  const described = modelYaml.map((file) => ({
    file,
    entries: entriesOf(file, ["models", "sources", "exposures"], ["unit_tests"]),
  }));
  return {
    files: [...modelYaml, ...seedYaml, ...testYaml, ...snapshotYaml],
    snapshots: snapshotYaml.flatMap(readSnapshots),
    models: described.flatMap(({ file, entries }) =>
      readModels(file, entries.filter((e) => e.path[0] === "models"))
    ),
    exposures: described.flatMap(({ file, entries }) =>
      entries.filter((e) => e.path[0] === "exposures").map((e) => ({
        file,
        path: e.path,
        value: e.value,
      }))
    ),
    seeds: seedYaml.flatMap(readSeeds),
    tests: testYaml.flatMap(readTestEntries),
    unitTests: modelYaml.flatMap((f) =>
      isRecord(f.data)
        ? readUnitTests(f, f.data.unit_tests, {
          root: config.root,
          folders: [join(config.paths.tests, "fixtures")],
        })
        : []
    ),
    sources: modelYaml.flatMap((file) => readSources(file, declaredSources)),
  };
}
