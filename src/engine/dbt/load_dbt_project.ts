/**
 * Loads a dbt project into the same plain {@linkcode Project} a plain-SQL
 * project loads into, so the graph, compile and run stages work unchanged.
 *
 * dbt reads a project in two passes, and so does wharf: the first renders
 * each model to learn its `{{ config(...) }}` (materialized, schema, alias,
 * tags, enabled: merged over `dbt_project.yml` and the properties files, the
 * SQL's own winning); the schema and alias follow from
 * `generate_schema_name` / `generate_alias_name` (the project's, when it
 * defines them); the second pass, through the render hook
 * (`project/render.ts`), renders the SQL with every `ref()` and `source()`
 * naming its relation. Dependencies are the relations the `ref()` and
 * `source()` calls name, and the rendered SQL still goes through DuckDB's
 * parser (`project/parse_nodes.ts`) for column lineage and for errors at the
 * line the user wrote.
 *
 * @module
 */
import { basename, extname, join, relative } from "node:path";
import type { DbtConfig, EngineConfig } from "../config.ts";
import type { ProjectIssue, SourceLocation } from "../errors.ts";
import { parseSql } from "../db/parse_sql.ts";
import { openParseCache } from "../db/parse_cache.ts";
import { splitRelation, warehouseCatalogOf } from "../db/sql.ts";
import { listFiles } from "../project/discover_files.ts";
import type { LoadProjectOptions } from "../project/load_project.ts";
import type {
  ConfiguredModel,
  ConfiguredProject,
  ConfiguredTest,
} from "../project/merge_config.ts";
import { disabledTarget } from "../project/merge_config.ts";
import { parseNodes, type SqlParser } from "../project/parse_nodes.ts";
import { checkYamlColumns } from "../project/check_yaml_columns.ts";
import {
  type DeclaredUnitTest,
  parseInputCall,
  resolveUnitTests,
} from "../project/read_unit_tests.ts";
import { extractRelations, trimSql } from "../project/relations.ts";
import { type RenderedSql, type RenderHook, renderSql } from "../project/render.ts";
import { seedLines, type SeedLineShape } from "../project/seed_lines.ts";
import { type DeclaredTest, readTestSettings } from "../project/read_yaml.ts";
import { closest } from "../suggest.ts";
import { catalogOfSpec } from "../target_spec.ts";
import { incremental } from "../materializations/incremental.ts";
import { testKind } from "../test_kinds/index.ts";
import { MODEL_MARK, readMark } from "../test_kinds/rendered.ts";
import { testConfigSchema, toTestConfig } from "../test_kinds/test_config.ts";
import type {
  GenericTestNode,
  ModelConfig,
  ModelNode,
  Project,
  SeedNode,
  UnitTestNode,
} from "../types.ts";
import { materialization } from "../materializations/index.ts";
import { dbtTestFileName, dbtTestName } from "./test_names.ts";
import { YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import { asList, isRecord, readValue } from "../yaml/yaml_schema.ts";
import { type ConfigTree, readConfigTree, readTree } from "./config_tree.ts";
import { unrenderedConfig } from "./unrendered_config.ts";
import { commonContext, type RunContext } from "./dbt_context.ts";
import { WAREHOUSE_FUNCTIONS, warehouseContext, type WarehousePass } from "./warehouse_context.ts";
import { DbtJinja, type MacroFile, plain, RenderProblem, splitArgs } from "./dbt_jinja.ts";
import { readLineMarkers } from "./rewrite_jinja.ts";
import { printedValue } from "./py_modules.ts";
import { relationValue } from "./relation_value.ts";
import { refAccess } from "./ref_access.ts";
import { externalLocation } from "./external_location.ts";
import { DBT_PROJECT_FILE } from "./dbt_project.ts";
import { SELECTORS_FILE } from "../graph/read_selectors.ts";
import { describer, type DocsBlock, readDocsBlocks } from "./docs_blocks.ts";
import { installPackageHint, missingPackage, readPackages } from "./packages.ts";
import {
  type Hook,
  mergeNodeConfigs,
  type NodeConfig,
  otherAdapterWarnings,
  readNodeConfig,
} from "./node_config.ts";
import { findMaterialization } from "../materializations/index.ts";
import { materializationBlocks } from "./materialization_blocks.ts";
import { settleContract, type SettledContract } from "../project/read_contract.ts";
import { parseDependency, readExposures } from "../project/read_exposures.ts";
import type {
  AnalysisNode,
  AnsweredQuery,
  HookLists,
  HookSql,
  NodeHookRenderer,
  NodeHooks,
  OperationMacro,
  RunHookRenderer,
  Said,
  WarehouseRenderer,
} from "../types.ts";
import {
  type NodeProperties,
  placeSource,
  readProperties,
  settleSourceTable,
  type SnapshotProperties,
  type SourceTable,
} from "./properties.ts";
import { seedColumns } from "./seed_columns.ts";
import { seedTypes } from "./seed_types.ts";
import { settleTest, TEST_TREE, type TestSettings } from "./test_tree.ts";
import { renderTestArguments } from "./test_arguments.ts";
import { SOURCE_TREE } from "./source_tree.ts";
import { renderedValuesOf, renderYamlValues } from "./render_yaml_values.ts";
import { parseRenderer } from "./yaml_jinja.ts";

/** Schemas a dbt model may not build in: wharf's own and DuckDB's catalogs. */
const RESERVED = ["raw", "wharf", "wharf_failures", "information_schema", "pg_catalog"];

/** A model, seed or snapshot of the project (its file, or the YAML entry of a snapshot defined there). */
interface NodeFile {
  kind: "model" | "seed" | "snapshot";
  path: string;
  /** The name `ref()` uses: the file's name, lower-cased. */
  name: string;
  /**
   * `[project, ...folders, name]`, what config paths match (a `{% snapshot %}`
   * file's has its file's name before the snapshot's, as dbt's has).
   */
  fqn: string[];
  /** The package it comes from; undefined for the project's own. */
  package?: string;
  props?: NodeProperties | SnapshotProperties;
  config: NodeConfig;
  /** Its configs as written, Jinja unrendered (see `unrenderedConfig`); set with `config`. */
  unrendered?: Record<string, unknown>;
  /** Set once named: `[catalog.]schema.alias` (lower-cased) and its SQL. */
  id?: string;
  /** Its database as named (`generate_database_name`), and the attached one it builds into, if not the warehouse. */
  database?: string;
  catalog?: string;
  schema?: string;
  alias?: string;
  sql?: string;
  /** False when its first render failed (it is left out; its problem is reported). */
  ok: boolean;
  /**
   * A snapshot defined in YAML (dbt 1.9): its `relation:` as written
   * (`ref('x')`, `source('a', 'b')`) and the line of its YAML file.
   */
  yaml?: { relation: string; line: number };
  /** A snapshot of a `{% snapshot %}` block: the text it renders, and its code as written. */
  block?: { body: string; contents: string };
}

/** What rendering one node's template records: its `config()` calls and the relations it names. */
interface Recorded {
  configs: NodeConfig[];
  relations: string[];
  /** Keys of its `config()` wharf does not support (given: they are issues, not a failed render). */
  unsupported?: string[];
  /** Set when it names a node that could not be read (its own problems are reported). */
  blocked?: boolean;
}

/**
 * Leaves out of `rendered` the models, snapshots and singular tests that
 * read, directly or through others, a node that could not be read (a
 * model or snapshot missing from `rendered`, or one whose render recorded
 * `blocked`): that node's problem is reported, and theirs would only
 * repeat it.
 *
 * @returns the ids of the models and snapshots left out, with those that
 * could not be rendered.
 */
function leaveOutBlocked(
  rendered: Map<string, unknown>,
  models: readonly { id: string; recorded?: Recorded }[],
  tests: readonly { id: string; recorded?: Recorded }[],
): Set<string> {
  const out = new Set(models.filter((m) => !rendered.has(m.id)).map((m) => m.id));
  const reads = (r: Recorded | undefined) =>
    r?.blocked === true || (r?.relations ?? []).some((id) => out.has(id));
  for (let grew = true; grew;) {
    grew = false;
    for (const m of models) {
      if (!out.has(m.id) && reads(m.recorded)) {
        out.add(m.id);
        rendered.delete(m.id);
        grew = true;
      }
    }
  }
  for (const t of tests) if (reads(t.recorded)) rendered.delete(t.id);
  return out;
}

/**
 * A source table's source `database:` and `schema:` as written (Jinja
 * unrendered; no database: null): what dbt compares across targets
 * (`unrendered_database`, `unrendered_schema`).
 */
function sourceAsWritten(
  s: SourceTable,
): { written: { database: string | null; schema?: string } } {
  // A table's path is [sources, i, tables, j]; its source's keys are at [sources, i, key].
  const at = s.path.slice(0, 2);
  const written: { database: string | null; schema?: string } = { database: s.database ?? null };
  for (const v of renderedValuesOf(s.file)) {
    const key = v.path[2];
    if (
      v.path.length === 3 && v.path[0] === at[0] && v.path[1] === at[1] &&
      (key === "database" || key === "schema")
    ) written[key] = v.text;
  }
  return { written };
}

/** Where problems of `--inline` SQL are reported. */
const INLINE = "--inline";

/** A config's value as `config.get` reads it: one wharf reads, or one of the project's own. */
function configValue(config: NodeConfig, key: string): unknown {
  return (config as Record<string, unknown>)[key] ?? config.custom?.[key];
}

/**
 * A node's config as its templates see it (`config.get()`, `model.config`):
 * each hook as dbt's Hook, `sql`, `transaction` and `index` (none for a
 * node's hook), without where wharf found it (`at`, for its messages).
 */
function templateConfig(config: NodeConfig): NodeConfig {
  const hooks = (list: readonly Hook[]) =>
    list.map(({ sql, transaction }) => ({ sql, transaction, index: null }));
  return {
    ...config,
    ...(config.pre_hook ? { pre_hook: hooks(config.pre_hook) } : {}),
    ...(config.post_hook ? { post_hook: hooks(config.post_hook) } : {}),
  };
}

/** The SQL a snapshot defined in YAML renders: `select *` from its relation, as dbt writes it. */
function yamlSnapshotSql(relation: string): string {
  return `select * from {{ ${relation} }}`;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The SQL of an incremental model whose `is_incremental()` changes what it
 * renders: both renders, each taken when `wharf_is_incremental()` says so
 * (false on the first build and on `--full-refresh`, true on later runs),
 * so the choice is made when the model builds, as dbt makes it. The first
 * render is marked (`firstBuild`): a first build runs it alone, since the
 * later one may read the model's own relation, which does not exist yet.
 */
function bothRuns(
  full: { text: string; sourceLines: number[] },
  later: { text: string; sourceLines: number[] },
): RenderedSql & { sourceLines: number[] } {
  const opening = "SELECT * FROM (\n";
  const text = [
    `${opening}${full.text}`,
    ") WHERE NOT wharf_is_incremental()",
    "UNION ALL BY NAME",
    "SELECT * FROM (",
    later.text,
    ") WHERE wharf_is_incremental()",
  ].join("\n");
  const first = full.sourceLines[0] ?? 1;
  const lastFull = full.sourceLines[full.sourceLines.length - 1] ?? first;
  const lastLater = later.sourceLines[later.sourceLines.length - 1] ?? first;
  return {
    text,
    sourceLines: [
      first,
      ...full.sourceLines,
      lastFull,
      lastFull,
      first,
      ...later.sourceLines,
      lastLater,
    ],
    firstBuild: { start: opening.length, end: opening.length + full.text.length },
  };
}

/**
 * The `config(…)` calls of `text` (a node's Jinja) that set `key`: where
 * each call begins and where the value of `key` in it begins (string
 * indexes).
 */
function configCalls(text: string, key: string): { call: number; value: number }[] {
  const name = new RegExp(`(^|[\\s,({])["']?${escapeRe(key)}["']?\\s*[=:]\\s*`);
  const out: { call: number; value: number }[] = [];
  for (const call of text.matchAll(/\bconfig\s*\(/g)) {
    // The call's arguments: up to the end of its Jinja tag.
    const start = call.index + call[0].length;
    const end = text.slice(call.index).search(/[}%]}/);
    const set = name.exec(text.slice(start, end < 0 ? undefined : call.index + end));
    if (set) out.push({ call: call.index, value: start + set.index + set[0].length });
  }
  return out;
}

/** The 1-based line of the string index `at` of `text`. */
function lineAt(text: string, at: number): number {
  return text.slice(0, at).split("\n").length;
}

/**
 * The line of the `config(…)` call of `text` (a node's Jinja) that sets
 * `key`, or undefined when none does.
 */
function configCallLine(text: string, key: string): number | undefined {
  const [first] = configCalls(text, key);
  return first && lineAt(text, first.call);
}

/**
 * Where the value of `key` is written in the `config(…)` call of `file`'s
 * `text` that sets it: its line and column when one call alone does (a
 * snapshots file may set it in each of its blocks), else the file.
 */
function configValueLocation(file: string, text: string, key: string): SourceLocation {
  const calls = configCalls(text, key);
  if (calls.length !== 1) return { file };
  const before = text.slice(0, calls[0]!.value).split("\n");
  return { file, line: before.length, column: before.at(-1)!.length + 1 };
}

/**
 * An incremental model's options for wharf's incremental materialization:
 * its keys as configured, the strategy dbt-duckdb defaults to when none is
 * named (`delete+insert` with a `unique_key`, `append` without), each
 * problem reported on the model's file. What dbt ignores is a warning
 * naming it: strategy keys on a model that is not incremental (a model
 * switched from incremental keeps them), `incremental_predicates` of an
 * append model.
 */
function incrementalOptions(
  m: NodeFile,
  issues: ProjectIssue[],
  locate: (key: string) => SourceLocation,
): Record<string, unknown> {
  const report = (message: string, key: string) => issues.push({ message, location: locate(key) });
  const warn = (message: string, key: string) =>
    issues.push({ message, location: locate(key), warning: true });
  if (m.config.materialized !== "incremental") {
    const keys = [
      ...(m.config.unique_key !== undefined ? ["unique_key"] : []),
      ...Object.keys(m.config.incremental ?? {}),
    ];
    for (const key of keys) {
      warn(
        `config "${key}" applies to incremental models only (${m.name} is materialized as ${
          m.config.materialized ?? "view"
        }): ignored, as dbt does; remove it, or materialize ${m.name} as incremental`,
        key,
      );
    }
    return {};
  }
  const options: Record<string, unknown> = {
    incremental_strategy: asList(m.config.unique_key).length ? "delete+insert" : "append",
    ...m.config.incremental,
  };
  // dbt reads `predicates` (their older name) first, when set (Jinja's truth: not empty).
  const given = (v: unknown) =>
    v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0);
  const older = given(m.config.custom?.predicates);
  if (older) options.incremental_predicates = m.config.custom!.predicates;
  if (options.incremental_strategy === "append" && given(options.incremental_predicates)) {
    const key = older ? "predicates" : "incremental_predicates";
    warn(
      `config "${key}": the append strategy inserts the new rows and deletes or updates none, so its incremental_predicates limit nothing: ignored, as dbt does; remove it, or use merge, delete+insert or microbatch`,
      key,
    );
    delete options.incremental_predicates;
  }
  // event_time is any node's (what microbatch models reading it filter by); a microbatch model's batches too.
  if (options.incremental_strategy === "microbatch" && m.config.event_time !== undefined) {
    options.event_time = m.config.event_time;
  }
  if (m.config.full_refresh !== undefined) options.full_refresh = m.config.full_refresh;
  const parsed = incremental.config.safeParse(options);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      report(`config "${i.path.join(".")}": ${i.message}`, String(i.path[0] ?? ""));
    }
    return {};
  }
  const problems = incremental.problems(options, {
    materialized: "incremental",
    uniqueKey: asList(m.config.unique_key),
    tags: [],
    enabled: true,
    options,
  });
  for (const p of problems) report(`config "${p.key}": ${p.message}`, p.key.split(".")[0]!);
  return options;
}

/** The project or one of its packages: whose files are read. */
interface Unit {
  /** The project's or package's name (the first part of its nodes' fqn). */
  name: string;
  /** Its absolute folder. */
  dir: string;
  paths: DbtConfig["paths"];
  /** `docs-paths`, when set. */
  docsPaths?: string[];
  /** Set for a package. */
  package?: string;
}

/** The files of the dbt project (or of one of its packages), by kind. */
async function discover(root: string, unit: Unit, issues: ProjectIssue[]) {
  const rel = (p: string) => relative(root, p).split(/[\\/]/).join("/");
  const issue = (file: string, message: string) => issues.push({ message, location: { file } });
  const out = {
    models: [] as NodeFile[],
    seeds: [] as NodeFile[],
    properties: [] as string[],
    tests: [] as string[],
    macros: [] as MacroFile[],
    /** Each analysis file with its fqn (`[project, "analysis", ...folders, name]`, as dbt 1.9 gives it). */
    analyses: [] as { path: string; fqn: string[] }[],
    /** `.md` files: their docs blocks. */
    docs: [] as string[],
    snapshots: [] as NodeFile[],
    /** Each properties file's folders under the resource folder it is in (a YAML snapshot's fqn). */
    propertyFolders: new Map<string, string[]>(),
  };
  const walk = async (
    folders: readonly string[],
    each: (file: string, parts: string[]) => Promise<void> | void,
  ) => {
    for (const folder of folders) {
      for (const file of await listFiles(join(unit.dir, folder))) {
        const parts = relative(join(unit.dir, folder), file).split(/[\\/]/);
        if (extname(file) === ".yml" || extname(file) === ".yaml") {
          out.properties.push(rel(file));
          out.propertyFolders.set(rel(file), parts.slice(0, -1));
        } else if (extname(file).toLowerCase() === ".md") {
          if (!unit.docsPaths && !out.docs.includes(rel(file))) out.docs.push(rel(file));
        } else await each(file, parts);
      }
    }
  };
  const nodeFile = (kind: "model" | "seed", file: string, parts: string[]): NodeFile => {
    const name = basename(file, extname(file));
    return {
      kind,
      path: rel(file),
      name: name.toLowerCase(),
      fqn: [unit.name, ...parts.slice(0, -1), name],
      ...(unit.package === undefined ? {} : { package: unit.package }),
      config: {},
      ok: true,
    };
  };
  const dbt = unit;
  await walk(dbt.paths.models, (file, parts) => {
    const ext = extname(file).toLowerCase();
    if (ext === ".sql") out.models.push(nodeFile("model", file, parts));
    else if (ext === ".py") {
      issues.push({
        message: "Python models are not supported by wharf: write the model in SQL",
        location: { file: rel(file) },
        unsupported: true,
      });
    }
  });
  await walk(dbt.paths.seeds, (file, parts) => {
    if (extname(file).toLowerCase() === ".csv") out.seeds.push(nodeFile("seed", file, parts));
  });
  await walk(dbt.paths.tests, async (file, parts) => {
    // tests/fixtures/ holds unit tests' fixture files, not tests.
    if (extname(file).toLowerCase() !== ".sql" || parts[0] === "fixtures") return;
    const text = await Deno.readTextFile(file);
    if (parts[0] === "generic" || /\{%-?\s*test\s/.test(text)) {
      // Custom generic tests are macros (`test_<name>`), as dbt makes them.
      out.macros.push({
        path: rel(file),
        text,
        ...(unit.package === undefined ? {} : { package: unit.package }),
      });
    } else out.tests.push(rel(file));
  });
  await walk(dbt.paths.macros, async (file) => {
    if (extname(file).toLowerCase() === ".sql") {
      const { text, blocks } = materializationBlocks(await Deno.readTextFile(file));
      for (const b of blocks) {
        // Left out of the file's macros: --warn-unsupported makes it a warning.
        issues.push({
          message: b.message,
          location: { file: rel(file), line: b.line },
          unsupported: true,
        });
      }
      out.macros.push({
        path: rel(file),
        text,
        ...(unit.package === undefined ? {} : { package: unit.package }),
      });
    }
  });
  await walk(dbt.paths.snapshots, async (file, parts) => {
    if (extname(file).toLowerCase() !== ".sql") return;
    const { blocks, problems } = snapshotBlocks(await Deno.readTextFile(file));
    for (const p of problems) {
      issues.push({ message: p.message, location: { file: rel(file), line: p.line } });
    }
    if (blocks.length === 0 && problems.length === 0) {
      issue(
        rel(file),
        "no {% snapshot <name> %} … {% endsnapshot %} block: a file of snapshot-paths holds its snapshots in such blocks",
      );
    }
    for (const block of blocks) {
      out.snapshots.push({
        ...nodeFile("model", file, parts),
        kind: "snapshot",
        name: block.name.toLowerCase(),
        fqn: [unit.name, ...parts.slice(0, -1), basename(file, extname(file)), block.name],
        block: { body: block.body, contents: block.contents },
      });
    }
  });
  await walk(unit.package === undefined ? dbt.paths.analyses : [], (file, parts) => {
    if (extname(file).toLowerCase() !== ".sql") return;
    out.analyses.push({
      path: rel(file),
      fqn: [unit.name, "analysis", ...parts.slice(0, -1), basename(file, extname(file))],
    });
  });
  for (const folder of unit.docsPaths ?? []) {
    for (const file of await listFiles(join(unit.dir, folder))) {
      if (extname(file).toLowerCase() === ".md") out.docs.push(rel(file));
    }
  }
  return out;
}

/** A `{% snapshot <name> %}` … `{% endsnapshot %}` block of a snapshot file. */
interface SnapshotBlock {
  /** The name as written. */
  name: string;
  /**
   * The file's text with all but the block's contents blanked (line breaks
   * kept, so lines stay the file's): the SELECT and its `{{ config(...) }}`,
   * rendered as a model's SQL is.
   */
  body: string;
  /** The text between the two tags: dbt's `raw_code` for the snapshot. */
  contents: string;
}

/**
 * The `{% snapshot <name> %}` blocks of a snapshot file, in order, as dbt
 * reads them (text outside them is not part of any), and the problems of
 * its tags: a block not closed, one opened inside another, a name given
 * twice, an `{% endsnapshot %}` closing nothing.
 */
function snapshotBlocks(
  text: string,
): { blocks: SnapshotBlock[]; problems: { message: string; line: number }[] } {
  const blocks: SnapshotBlock[] = [];
  const problems: { message: string; line: number }[] = [];
  const blank = (s: string) => s.replace(/[^\n]/g, "");
  const lineAt = (at: number) => text.slice(0, at).split("\n").length;
  const first = new Map<string, number>();
  let open: { name: string; end: number; line: number } | undefined;
  for (const tag of text.matchAll(/\{%-?\s*(?:snapshot\s+([A-Za-z_]\w*)|endsnapshot)\s*-?%\}/g)) {
    const line = lineAt(tag.index);
    const name = tag[1];
    if (name === undefined) {
      if (!open) {
        problems.push({ message: "{% endsnapshot %} closes no {% snapshot %} block", line });
        continue;
      }
      const seen = first.get(open.name.toLowerCase());
      if (seen !== undefined) {
        problems.push({
          message:
            `a second {% snapshot ${open.name} %} block (the first is at line ${seen}): give each snapshot its own name`,
          line: open.line,
        });
      } else {
        first.set(open.name.toLowerCase(), open.line);
        blocks.push({
          name: open.name,
          body: blank(text.slice(0, open.end)) + text.slice(open.end, tag.index) +
            blank(text.slice(tag.index)),
          contents: text.slice(open.end, tag.index),
        });
      }
      open = undefined;
    } else if (open) {
      problems.push({
        message:
          `{% snapshot ${name} %} opens inside {% snapshot ${open.name} %} (line ${open.line}): close it with {% endsnapshot %} first`,
        line,
      });
    } else open = { name, end: tag.index + tag[0].length, line };
  }
  if (open) {
    problems.push({
      message: `{% snapshot ${open.name} %} has no {% endsnapshot %}`,
      line: open.line,
    });
  }
  return { blocks, problems };
}

/**
 * The name node `n`'s templates render under: its file's, or for a snapshot
 * defined in YAML one that does not end in `.yml` (minijinja would escape
 * what a YAML template writes).
 */
function renderName(n: NodeFile): string {
  return n.yaml ? `${n.path} (snapshot ${n.name})` : n.path;
}

/** Where a problem of node `n` as a whole is: its file, or its YAML entry's line. */
function placeOf(n: NodeFile): { file: string; line?: number } {
  return n.yaml ? { file: n.path, line: n.yaml.line } : { file: n.path };
}

/** A snapshot's model config from its settings, each problem added to `issues` at its file. */
function snapshotConfig(n: NodeFile, issues: ProjectIssue[]): ModelConfig {
  // A key set to null (`target_schema: null`) is unset, as in dbt.
  const options = Object.fromEntries(
    Object.entries(n.config.snapshot ?? {}).filter(([, v]) => v !== null),
  );
  const problem = (message: string) => issues.push({ message, location: placeOf(n) });
  const snapshot = materialization("snapshot");
  const parsed = snapshot.config.safeParse(options);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      problem(`config(${i.path.join(".")}=…) of snapshot ${n.name}: ${i.message}`);
    }
  }
  const config: ModelConfig = {
    materialized: "snapshot",
    uniqueKey: asList(n.config.unique_key),
    ...(n.config.unique_key === undefined ? {} : { writtenUniqueKey: n.config.unique_key }),
    tags: n.config.tags ?? [],
    enabled: true,
    options: parsed.success ? options : {},
  };
  if (parsed.success) {
    for (const p of snapshot.problems(options, config)) {
      problem(`config(${p.key}=…) of snapshot ${n.name}: ${p.message}`);
    }
  }
  return config;
}

/**
 * A render against the warehouse: the answers to the queries run so far
 * (none: the render dbt does while it parses, `execute` false, `run_query()`
 * none) and what the pass asks and says.
 */
interface WarehouseRender {
  answered?: readonly AnsweredQuery[];
  pass: WarehousePass;
}

/** A dbt project, loaded, and how what it renders later renders. */
export interface LoadedDbtProject {
  project: Project;
  /**
   * A pass of a run hook kept as its template (see `HookSql`) against the
   * warehouse, with the project's context (its macros, vars, target) and,
   * for on-run-end, the run's results.
   */
  renderRunHook: RunHookRenderer;
  /** A pass of a node's pre_hook or post_hook kept as its template against the warehouse. */
  renderNodeHook: NodeHookRenderer;
  /**
   * A pass of model `id` (one `renderedAtRun`) against the warehouse.
   *
   * @throws {Error} naming its file and line, for what keeps it from rendering.
   */
  renderAtRun: (id: string) => WarehouseRenderer<RenderedSql>;
  /** dbt's run-operation: the macro `written` names, called with `args`. */
  operation: (written: string, args: Readonly<Record<string, unknown>>) => OperationMacro;
}

/**
 * One pass of `render` against the warehouse with the answers `answered`
 * (see `WarehouseRenderer`); a problem of a pass that asked for a query is
 * the empty answer's doing, and not one.
 */
function warehousePass<T>(
  answered: readonly AnsweredQuery[],
  render: (warehouse: WarehouseRender) => T,
  where: (err: RenderProblem) => string | undefined,
): { ask: string } | { done: T; said: Said[] } {
  const pass: WarehousePass = { said: [], next: 0 };
  let done: T;
  try {
    done = render({ answered, pass });
  } catch (err) {
    if (pass.asked !== undefined) return { ask: pass.asked };
    if (!(err instanceof RenderProblem)) throw err;
    const at = where(err);
    throw new Error(at === undefined ? err.message : `${at}: ${err.message}`, { cause: err });
  }
  return pass.asked === undefined ? { done, said: pass.said } : { ask: pass.asked };
}

/**
 * Loads the dbt project of `config` (whose `dbt` is set). Never throws for
 * problems in the project's files: they are returned in `issues`.
 */
export async function loadDbtProject(
  config: EngineConfig,
  options: LoadProjectOptions = {},
): Promise<LoadedDbtProject> {
  const dbt = config.dbt!;
  const root = config.root;
  const issues: ProjectIssue[] = [];
  // What an earlier load parsed is read while the project is (target/'s parse cache).
  const caching = openParseCache(config.paths.target, options.parse ?? parseSql, {
    read: (config.partialParse ?? config.dbt?.flags.partialParse) !== false,
  });
  const packageSet = await readPackages(root, dbt.packagesInstallPath ?? "dbt_packages");
  issues.push(...packageSet.issues);
  for (const spec of packageSet.specs) {
    if (spec.kind !== "local" && spec.found === undefined) {
      issues.push({
        message: missingPackage(spec, packageSet.installPath),
        location: { file: spec.file, line: spec.line },
      });
    }
  }
  const packages = packageSet.packages.filter((p) => {
    if (p.name !== dbt.project) return true;
    issues.push({
      message:
        `the package at ${p.rel} is named "${p.name}", as this project is: dbt needs one name per project; remove it`,
      location: { file: `${p.rel}/${DBT_PROJECT_FILE}` },
    });
    return false;
  });
  const packageNames = packages.map((p) => p.name);
  /** A node's file by its path within its package, as dbt gives it (`model.original_file_path`). */
  const withinPackage = (node: { path: string; package?: string }): string => {
    const dir = packages.find((p) => p.name === node.package)?.rel;
    return dir !== undefined && node.path.startsWith(`${dir}/`)
      ? node.path.slice(dir.length + 1)
      : node.path;
  };
  for (const [i, d] of (dbt.dispatch ?? []).entries()) {
    for (const name of d.searchOrder) {
      if (name === dbt.project || name === "dbt" || packageNames.includes(name)) continue;
      const guess = closest(name, [dbt.project, ...packageNames]);
      issues.push({
        message:
          `dispatch[${i}].search_order: "${name}" is not this project or one of its packages${
            guess ? ` (did you mean "${guess}"?)` : ""
          }`,
        location: { file: DBT_PROJECT_FILE },
      });
    }
  }
  const units: Unit[] = [
    {
      name: dbt.project,
      dir: root,
      paths: dbt.paths,
      ...(dbt.docsPaths ? { docsPaths: dbt.docsPaths } : {}),
    },
    ...packages.map((p) => ({
      name: p.name,
      dir: p.dir,
      paths: p.project.paths,
      ...(p.project.docsPaths ? { docsPaths: p.project.docsPaths } : {}),
      package: p.name,
    })),
  ];
  const found = await Promise.all(units.map((u) => discover(root, u, issues)));
  const files = {
    models: found.flatMap((f) => f.models),
    seeds: found.flatMap((f) => f.seeds),
    tests: found.flatMap((f) => f.tests),
    macros: found.flatMap((f) => f.macros),
    analyses: found.flatMap((f) => f.analyses),
    snapshots: found.flatMap((f) => f.snapshots),
  };
  /** The package of each test file (absent: the project's). */
  const testPackage = new Map<string, string>(
    found.flatMap((f, i) => f.tests.map((t) => [t, units[i]!.package] as const))
      .filter((e): e is readonly [string, string] => e[1] !== undefined),
  );
  const jinja = new DbtJinja(dbt.project, files.macros, dbt.dispatch ?? [], packageNames);
  for (const i of jinja.issues) {
    issues.push({ message: i.message, location: { file: i.path, line: i.line } });
  }
  const blocks: DocsBlock[] = [];
  for (const [i, f] of found.entries()) {
    for (const path of f.docs) {
      const read = readDocsBlocks(
        path,
        await Deno.readTextFile(join(root, path)),
        units[i]!.package,
      );
      blocks.push(...read.blocks);
      issues.push(...read.issues);
    }
  }
  const docs = describer(blocks, dbt.project);
  issues.push(...docs.issues);
  const run: RunContext = {
    dbt,
    vars: config.vars,
    ...(config.givenVars ? { given: config.givenVars } : {}),
    startedAt: options.invocation?.startedAt ?? new Date(),
    invocationId: options.invocation?.id ?? crypto.randomUUID(),
    path: config.warehouse,
    threads: config.threads,
  };
  const projectFile = new YamlFile(
    DBT_PROJECT_FILE,
    await Deno.readTextFile(join(root, DBT_PROJECT_FILE)),
  );
  /** How dbt_project.yml's values are rendered: their var() reads only --vars, as dbt's does. */
  const projectRender = parseRenderer(run, DBT_PROJECT_FILE, {
    only: DBT_PROJECT_FILE,
    given: config.givenVars ?? config.commandVars ?? {},
  });
  renderYamlValues(projectFile, "dbt_project", projectRender);
  // Its vars render as its other values do, once (`tgt: "{{ target.name }}_x"` is dev_x on dev).
  const renderedVars = isRecord(projectFile.data) ? projectFile.data.vars : undefined;
  run.dbt = { ...dbt, vars: isRecord(renderedVars) ? renderedVars : dbt.vars };
  /**
   * The run as a package's templates see it: their `var()` reads the
   * project's variables (scoped to the package, then global), then the
   * package's own dbt_project.yml `vars:` (scoped, then global).
   */
  const packageRuns = new Map<string, RunContext>();
  const runOf = (pkg: string | undefined): RunContext => {
    if (pkg === undefined) return run;
    const cached = packageRuns.get(pkg);
    if (cached) return cached;
    const own = packages.find((p) => p.name === pkg)?.project.vars ?? {};
    const isScope = (key: string, value: unknown) =>
      isRecord(value) && (key === dbt.project || packageNames.includes(key));
    const globals = (vars: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(vars).filter(([k, v]) => !isScope(k, v)));
    const scoped = (vars: Record<string, unknown>) =>
      isRecord(vars[pkg]) ? vars[pkg] as Record<string, unknown> : {};
    const project = run.dbt.vars;
    const vars = { ...globals(own), ...scoped(own), ...globals(project), ...scoped(project) };
    const out = { ...run, dbt: { ...dbt, vars } };
    packageRuns.set(pkg, out);
    return out;
  };

  const unitProps = await Promise.all(
    found.map((f, i) =>
      readProperties(
        root,
        f.properties,
        // Unit tests' fixture files: tests/fixtures of each test path.
        units[i]!.paths.tests.map((t) => relative(root, join(units[i]!.dir, t, "fixtures"))),
        docs.describe,
        {
          has: (name) => jinja.customTest(name, units[i]!.package) !== undefined,
          names: jinja.macros.filter((d) => d.name.startsWith("test_")).map((d) =>
            d.package === undefined || d.package === units[i]!.package
              ? d.name.slice(5)
              : `${d.package}.${d.name.slice(5)}`
          ),
          notInstalled: (namespace) =>
            // dbt's own namespace is no package: an unknown test there is one of wharf's kinds.
            namespace === "dbt" || namespace === dbt.project || packageNames.includes(namespace)
              ? undefined
              : `the package "${namespace}" is not installed: ${
                installPackageHint(packageSet.installPath)
              }`,
        },
        parseRenderer(runOf(units[i]!.package), "properties"),
      )
    ),
  );
  /** The package of each properties file (absent: the project's). */
  const fileUnit = new Map<YamlFile, string | undefined>(
    unitProps.flatMap((p, i) => p.files.map((f) => [f, units[i]!.package] as const)),
  );
  const props = {
    files: unitProps.flatMap((p) => p.files),
    sources: unitProps.flatMap((p) => p.sources),
    tests: new Map(unitProps.flatMap((p) => [...p.tests])),
    unitTests: unitProps.flatMap((p) => p.unitTests),
    exposures: unitProps.flatMap((p) => p.exposures),
    groups: unitProps.flatMap((p) => p.groups),
  };
  // Snapshots of `snapshots:` entries with a relation (dbt 1.9): nodes of their own.
  found.forEach((f, i) => {
    const unit = units[i]!;
    for (const [name, entry] of unitProps[i]!.snapshots) {
      if (!entry.relation) continue;
      const sql = f.snapshots.find((n) => n.name === name);
      if (sql) {
        entry.file.report(
          [...entry.path, "relation"],
          `snapshot "${name}" is also a {% snapshot %} block of ${sql.path}: remove one of them`,
        );
        continue;
      }
      if (!parseDependency(entry.relation.written)) {
        entry.file.report(
          entry.relation.path,
          `expected ref('model') or source('source', 'table'), got ${
            JSON.stringify(entry.relation.written)
          }`,
        );
        continue;
      }
      f.snapshots.push({
        kind: "snapshot",
        path: entry.file.path,
        name,
        fqn: [unit.name, ...(f.propertyFolders.get(entry.file.path) ?? []), name],
        ...(unit.package === undefined ? {} : { package: unit.package }),
        config: {},
        ok: true,
        yaml: {
          relation: entry.relation.written,
          line: entry.file.locate(entry.relation.path).line ?? 1,
        },
      });
      files.snapshots.push(f.snapshots[f.snapshots.length - 1]!);
    }
  });
  const kinds = [
    ["models", "model"],
    ["seeds", "seed"],
    ["snapshots", "snapshot"],
  ] as const;
  type Trees = Record<NodeFile["kind"], ConfigTree>;
  /** The config trees of a dbt_project.yml, each checked against the nodes they configure. */
  const readTrees = (file: YamlFile, name: string, pkg?: string): Trees => {
    const trees = {} as Trees;
    for (const [key, kind] of kinds) {
      trees[kind] = readConfigTree(file, key, name, kind, pkg === undefined ? packageNames : []);
      // The project's trees may configure its packages' nodes too (under their names).
      const nodes: NodeFile[] = files[key].filter((n) => pkg === undefined || n.package === pkg);
      trees[kind].checkPaths(nodes.map((n) => n.fqn));
    }
    return trees;
  };
  const projectTrees = readTrees(projectFile, dbt.project);
  const packageFiles: YamlFile[] = [];
  /** Each package's own config trees, under the project's. */
  const packageTrees = new Map<string, Trees>();
  /** The tests' tree: `data_tests:`, or its older name `tests:`. */
  const testsKey = (f: YamlFile) =>
    isRecord(f.data) && "data_tests" in f.data ? "data_tests" : "tests";
  const testTree = readTree(
    projectFile,
    testsKey(projectFile),
    dbt.project,
    TEST_TREE,
    packageNames,
  );
  /** Each package's own tests' tree, under the project's. */
  const packageTestTrees = new Map<string, ConfigTree<TestSettings>>();
  for (const p of packages) {
    const file = new YamlFile(
      `${p.rel}/${DBT_PROJECT_FILE}`,
      await Deno.readTextFile(join(p.dir, DBT_PROJECT_FILE)),
    );
    renderYamlValues(file, "dbt_project", projectRender);
    packageFiles.push(file);
    packageTrees.set(p.name, readTrees(file, p.name, p.name));
    packageTestTrees.set(p.name, readTree(file, testsKey(file), p.name, TEST_TREE));
  }
  /** The unit (project or package) of a package name (undefined: the project). */
  const unitOf = (pkg: string | undefined): Unit => units.find((u) => u.package === pkg)!;
  /** A file's path under its unit's folder (`models/staging/x.yml`, also in a package). */
  const withinUnit = (path: string, pkg: string | undefined): string => {
    const dir = relative(root, unitOf(pkg).dir).split(/[\\/]/).join("/");
    return dir === "" ? path : path.slice(dir.length + 1);
  };
  /** Every test's fqn, for the tests' trees to check their folders against. */
  const testFqns: string[][] = [];
  /** The tests' tree configs of a test of `pkg` whose fqn is `fqn`: its package's, then the project's. */
  const testTreeSettings = (fqn: string[], pkg: string | undefined): TestSettings[] => {
    testFqns.push(fqn);
    return [
      ...(pkg === undefined ? [] : packageTestTrees.get(pkg)?.configsFor(fqn) ?? []),
      ...testTree.configsFor(fqn),
    ];
  };
  /**
   * Where the config `key` of node `n` is written, at `within` in its value:
   * its properties' `config:`, else the most specific level of the project's
   * tree (or its package's) setting it; else the node's file.
   */
  const configLocation = (n: NodeFile, key: string, within: YamlPath): SourceLocation => {
    const props = n.props;
    let written: unknown = props?.file.data;
    for (const part of [...props?.path ?? [], "config"]) {
      written = isRecord(written) || Array.isArray(written)
        ? (written as Record<string | number, unknown>)[part]
        : undefined;
    }
    if (props && isRecord(written)) {
      const as = key in written ? key : `+${key}` in written ? `+${key}` : undefined;
      if (as !== undefined) return props.file.locate([...props.path, "config", as, ...within]);
    }
    const own = n.package === undefined ? undefined : packageTrees.get(n.package);
    return projectTrees[n.kind].locate(n.fqn, key, within) ??
      own?.[n.kind].locate(n.fqn, key, within) ?? placeOf(n);
  };
  const treeConfigs = (n: NodeFile): NodeConfig[] => {
    const own = n.package === undefined ? undefined : packageTrees.get(n.package);
    return [
      ...(own?.[n.kind].configsFor(n.fqn) ?? []),
      ...projectTrees[n.kind].configsFor(n.fqn),
    ];
  };

  // Names: one namespace for models, seeds and snapshots per package, as ref() has.
  const byName = new Map<string, NodeFile[]>();
  for (const n of [...files.models, ...files.seeds, ...files.snapshots]) {
    const same = byName.get(n.name) ?? [];
    const first = same.find((o) => o.package === n.package);
    if (first) {
      issues.push({
        message: `"${n.name}" names two ${
          first.kind === n.kind ? `${n.kind}s` : "nodes"
        } (also ${first.path}): ref() needs one name per model and seed; rename one`,
        location: placeOf(n),
      });
      n.ok = false;
      continue;
    }
    byName.set(n.name, [...same, n]);
  }
  /**
   * The node `ref()` names from a node of `from`: in `pkg` when given
   * (the project's name for its own), else its own package's, the
   * project's, or the one package's that has it.
   */
  const lookup = (
    name: string,
    from: string | undefined,
    pkg?: string,
  ): NodeFile | NodeFile[] | undefined => {
    const all = byName.get(name) ?? [];
    if (pkg !== undefined) {
      return all.find((n) => (n.package ?? dbt.project) === pkg);
    }
    return all.find((n) => n.package === from) ?? all.find((n) => n.package === undefined) ??
      (all.length > 1 ? all : all[0]);
  };
  found.forEach((f, i) => {
    const nodes = { model: f.models, seed: f.seeds, snapshot: f.snapshots };
    const entries = unitProps[i]!;
    for (
      const [kind, map] of [
        ["model", entries.models],
        ["seed", entries.seeds],
        ["snapshot", entries.snapshots],
      ] as const
    ) {
      for (const [name, entry] of map) {
        const node = nodes[kind].find((n) => n.name === name);
        if (node) node.props = entry;
        else if (!("relation" in entry && entry.relation)) {
          const guess = closest(name, nodes[kind].map((n) => n.name));
          entry.file.report(
            [...entry.path, "name"],
            `no ${kind} "${name}" in the ${
              units[i]!.package ? `package ${units[i]!.name}` : "project"
            }${guess ? ` (did you mean "${guess}"?)` : ""}${
              kind === "snapshot"
                ? `: define it here with relation: ref('<model>') or source('<source>', '<table>'), or in a {% snapshot ${name} %} block`
                : ""
            }`,
          );
        }
      }
    }
  });
  // Source tables: their fqn, their configs under the sources: trees (a package's own, then the
  // project's), and those left enabled.
  const sourceTree = readTree(projectFile, "sources", dbt.project, SOURCE_TREE, packageNames);
  const packageSourceTrees = new Map(
    packages.map((p, i) => [p.name, readTree(packageFiles[i]!, "sources", p.name, SOURCE_TREE)]),
  );
  unitProps.forEach((unit, i) => {
    for (const s of unit.sources) {
      const pkg = units[i]!.package;
      s.fqn = [
        units[i]!.name,
        ...found[i]!.propertyFolders.get(s.file.path) ?? [],
        s.source,
        s.table,
      ];
      settleSourceTable(s, [
        ...(pkg === undefined ? [] : packageSourceTrees.get(pkg)!.configsFor(s.fqn)),
        ...sourceTree.configsFor(s.fqn),
      ]);
    }
  });
  // Each in its database: its source's database:, else the target's (an attached one's, when the
  // profile builds into it).
  // The catalog of the warehouse file opened (`--db` may name another than the profile's path).
  const warehouseCatalog = catalogOfSpec(config.opened ?? config.warehouse, config.root);
  const placed = {
    target: dbt.target.buildInto ?? dbt.target.database,
    warehouse: dbt.target.database,
    opened: warehouseCatalog,
    attached: config.attach.map((a) => a.name),
  };
  for (const s of props.sources) {
    placeSource(s, placed);
    // dbt-duckdb's external_location: source() reads the file instead of the table.
    const external = externalLocation({
      name: s.table,
      identifier: s.identifier,
      schema: s.schema,
      database: s.database ?? placed.target,
      tags: s.tags,
      meta: s.meta,
      extra: s.extra,
    });
    if (external && "problem" in external) s.file.report(s.path, external.problem);
    else if (external) s.external = external.sql;
  }
  sourceTree.checkPaths(props.sources.map((s) => s.fqn!));
  for (const [name, tree] of packageSourceTrees) {
    tree.checkPaths(props.sources.filter((s) => s.fqn![0] === name).map((s) => s.fqn!));
  }
  /** Source tables disabled (`enabled: false`), by `source.table`: what source() cannot name. */
  const disabledSources = new Map(
    props.sources.filter((s) => !s.enabled).map((s) => [`${s.source}.${s.table}`, s]),
  );
  props.sources = props.sources.filter((s) => s.enabled);
  const sources = new Map<string, SourceTable>();
  for (const s of props.sources) {
    const key = `${s.source}.${s.table}`;
    if (!sources.has(key)) sources.set(key, s);
  }
  /** The declared source tables by node id (what a `source()` call records). */
  const sourceById = new Map([...sources.values()].map((s) => [s.id, s]));

  /** The parts of node `n`'s relation (`name` when it is not named yet). */
  const partsOf = (n: NodeFile | undefined, name: string) => ({
    database: n?.catalog ?? n?.database ?? dbt.target.buildInto ?? dbt.target.database,
    schema: n?.schema ?? dbt.target.schema,
    identifier: n?.alias ?? name,
  });
  /** What `source()` gives for table `s`: its relation, or the file its `external_location` names. */
  const sourceValue = (s: SourceTable) => {
    const { catalog, schema, name } = splitRelation(s.relation);
    return relationValue({
      database: s.database ?? catalog ?? dbt.target.buildInto ?? dbt.target.database,
      schema: s.schema ?? schema,
      identifier: s.identifier ?? name,
      sql: s.external ?? s.sql,
      ...(s.external === undefined ? {} : { external: true }),
    });
  };

  /**
   * The functions and values of one node's templates. Its `ref()`s of
   * models are checked for access (`ref_access.ts`) unless `unchecked`: a
   * generic test's are checked with the group of the node it tests, and
   * dbt checks none of an inline query's, a macro's run by run-operation or
   * a source's loaded_at_query.
   */
  const nodeContext = (
    node: {
      kind: string;
      name: string;
      path: string;
      fqn?: string[];
      file?: NodeFile;
      package?: string;
      unchecked?: true;
    },
    phase: 1 | 2,
    recorded: Recorded,
    incremental = false,
    warehouse?: WarehouseRender,
  ): Record<string, unknown> => {
    const self = node.file;
    const packageOf = node.package ?? self?.package;
    /** The node's config so far, as its templates see it. */
    const current = () =>
      templateConfig(
        self
          ? mergeNodeConfigs([self.config, ...recorded.configs])
          : mergeNodeConfigs(recorded.configs),
      );
    const relation = relationValue({
      ...partsOf(self, node.name),
      sql: phase === 2 && self?.sql ? self.sql : quote(node.name),
    });
    // While the project is read, run_query() gives none, as in dbt's parse (`execute` is false).
    const pass = warehouse?.pass ?? { said: [], next: 0 };
    const common = commonContext(
      jinja,
      runOf(packageOf),
      phase,
      warehouse ? (said) => pass.said.push(said) : undefined,
    );
    return {
      ...common,
      // Elsewhere (tests, hooks, analyses), they are the environment's errors.
      ...(phase === 1 || warehouse
        ? warehouseContext(
          jinja,
          warehouse?.answered,
          pass,
          common.adapter as Record<string, unknown>,
        )
        : {}),
      ...(warehouse && !warehouse.answered ? { execute: false } : {}),
      ref: (...args: unknown[]) => {
        const { positional, kwargs } = splitArgs(args);
        const at = /ref\s*\(/;
        if ("v" in kwargs || "version" in kwargs) {
          jinja.problem(`ref() with a version: model versions are not run by wharf yet`, at);
          return "";
        }
        const pkg = positional.length === 2 ? String(positional[0]) : undefined;
        if (pkg !== undefined && pkg !== dbt.project && !packageNames.includes(pkg)) {
          const guess = closest(pkg, [dbt.project, ...packageNames]);
          jinja.problem(
            `ref("${pkg}", "${String(positional[1])}"): no package "${pkg}" in the project${
              guess ? ` (did you mean "${guess}"?)` : ""
            }: add it to packages.yml, or run \`wharf deps\` to see what is missing`,
            at,
          );
          return "";
        }
        const name = String(positional[positional.length - 1] ?? "").toLowerCase();
        const hit = lookup(name, packageOf, pkg);
        const named = new RegExp(
          `ref\\(\\s*(['"][\\w]+['"]\\s*,\\s*)?['"]${escapeRe(name)}['"]`,
          "i",
        );
        if (Array.isArray(hit)) {
          jinja.problem(
            `ref("${name}"): packages ${
              hit.map((n) => n.package).join(" and ")
            } both have a "${name}": name the package, ref("<package>", "${name}")`,
            named,
          );
          return "";
        }
        const target = hit;
        if (!target) {
          const guess = closest(name, [...byName.keys()]);
          jinja.problem(
            `ref(${
              pkg === undefined ? "" : `"${pkg}", `
            }"${name}"): no model or seed named "${name}"${pkg === undefined ? "" : ` in ${pkg}`}${
              guess ? ` (did you mean "${guess}"?)` : ""
            }`,
            named,
          );
          return "";
        }
        if (phase === 2 && target.config.enabled === false) {
          jinja.problem(`ref("${name}"): ${target.path} is disabled (enabled: false)`, named);
          return "";
        }
        const denied = phase === 2 && !node.unchecked && target.kind === "model"
          ? refAccess({ ...target.config, name: target.name }, {
            label: node.kind === "operation"
              ? "an on-run-start/on-run-end hook"
              : `${node.kind} ${node.name}`,
            group: current().group,
            ...(node.kind === "operation" ? { groupable: false as const } : {}),
          })
          : undefined;
        if (denied) {
          jinja.problem(`ref("${name}"): ${denied}`, named);
          return "";
        }
        const value = (sql: string) => relationValue({ ...partsOf(target, name), sql });
        if (phase === 2 && !target.ok) {
          // It could not be read (its problem is reported): this node is left out, silently.
          recorded.blocked = true;
          return value(target.sql ?? quote(name));
        }
        if (phase === 2 && !target.id) return value(quote(name));
        if (target.id) recorded.relations.push(target.id);
        return value(target.sql ?? quote(name));
      },
      source: (...args: unknown[]) => {
        const { positional, kwargs } = splitArgs(args);
        const [src, table] = [
          positional[0] ?? kwargs.source_name,
          positional[1] ?? kwargs.table_name,
        ].map((v) => v === undefined ? undefined : String(v));
        if (src === undefined || table === undefined) {
          jinja.problem(
            `source(${
              positional.map((p) => JSON.stringify(p)).join(", ")
            }): a source() names its source and its table, source('source_name', 'table_name')`,
            /source\s*\(/,
          );
          return "";
        }
        const found = sources.get(`${src}.${table}`);
        const disabled = disabledSources.get(`${src}.${table}`);
        if (disabled) {
          jinja.problem(
            `source("${src}", "${table}"): the table is disabled (enabled: false, ${disabled.file.path} or the sources: tree of dbt_project.yml)`,
            new RegExp(`source\\(\\s*['"]${escapeRe(src ?? "")}['"]`),
          );
          return "";
        }
        if (!found) {
          const guess = closest(`${src}.${table}`, [...sources.keys()]);
          jinja.problem(
            `source("${src}", "${table}"): no such table in the project's sources${
              guess ? ` (did you mean "${guess}"?)` : ": declare it in a properties file"
            }`,
            new RegExp(`source\\(\\s*['"]${escapeRe(src ?? "")}['"]`),
          );
          return "";
        }
        recorded.relations.push(found.id);
        return sourceValue(found);
      },
      config: (...args: unknown[]) => {
        if (phase === 2 && self) return "";
        const { positional, kwargs } = splitArgs(args);
        // A relation given (`post_hook="grant … on " ~ this`) is its text, as dbt's is.
        const raw = printedValue({
          ...(positional[0] as Record<string, unknown> ?? {}),
          ...kwargs,
        }) as Record<string, unknown>;
        // A header written in a {% call set_sql_header(config) %} block: its text, without line marks.
        if (typeof raw.sql_header === "string") {
          raw.sql_header = readLineMarkers(raw.sql_header).text;
        }
        if (node.kind === "test") {
          recorded.configs.push({ meta: raw });
          return "";
        }
        recorded.configs.push(
          readNodeConfig(
            raw,
            node.kind === "snapshot" ? "snapshot" : "model",
            (key, message, options) => {
              // What wharf does not support is the node's issue, not a failed render:
              // --warn-unsupported leaves it out with a warning, as it does a YAML key.
              if (options?.unsupported && recorded.unsupported) {
                recorded.unsupported.push(`config(${key}=…): ${message}`);
              } else jinja.problem(`config(${key}=…): ${message}`, /config\s*\(/);
            },
            // A hook's location: its value in the file's config() call.
            ([key]) => configValueLocation(node.path, texts.get(node.path) ?? "", String(key)),
          ),
        );
        return "";
      },
      __wharf_config_get: (key: unknown, fallback: unknown = null) => {
        const value = configValue(current(), String(key));
        return value === undefined ? plain(fallback) : value;
      },
      __wharf_config_require: (key: unknown) => {
        const value = configValue(current(), String(key));
        if (value === undefined) {
          jinja.problem(`config.require("${String(key)}"): it is not set`, /config\.require/);
        }
        return value ?? "";
      },
      is_incremental: () => incremental,
      this: relation,
      __wharf_this: relation,
      model: {
        name: node.name,
        alias: relation.identifier,
        schema: relation.schema,
        database: relation.database,
        resource_type: node.kind,
        package_name: packageOf ?? dbt.project,
        unique_id: `${node.kind}.${packageOf ?? dbt.project}.${node.name}`,
        path: node.path,
        original_file_path: withinPackage(node),
        fqn: node.fqn ?? [dbt.project, node.name],
        tags: current().tags ?? [],
        config: current(),
      },
    };
  };

  /**
   * The configs of node `n` that YAML gave as Jinja (dbt_project.yml's tree
   * for its kind, and its properties entry's `config:`), as written: what
   * dbt's unrendered_config records, so that a change of target is no change.
   */
  const asWritten = (n: NodeFile): Record<string, string> => {
    const out: Record<string, string> = {};
    const tree = n.kind === "model" ? "models" : `${n.kind}s`;
    // The most general first, so that a more specific folder's value wins.
    const fromTree = renderedValuesOf(projectFile)
      .filter((v) => v.path[0] === tree)
      .map((v) => {
        const segments = v.path.slice(1).map(String);
        const at = segments.findIndex((s) => s.startsWith("+"));
        const end = at < 0 ? segments.length - 1 : at;
        // Only a config's own value (not one inside a mapping or list).
        if (end !== segments.length - 1) return undefined;
        return {
          folders: segments.slice(0, end),
          key: segments[end]!.replace(/^\+/, ""),
          text: v.text,
        };
      })
      .filter((v) => v !== undefined && v.folders.every((f, i) => n.fqn[i] === f))
      .sort((a, b) => a!.folders.length - b!.folders.length);
    for (const v of fromTree) out[v!.key] = v!.text;
    if (n.props) {
      const entry = n.props.path;
      for (const v of renderedValuesOf(n.props.file)) {
        const rest = v.path.slice(entry.length);
        if (
          entry.every((p, i) => v.path[i] === p) && rest.length === 2 && rest[0] === "config"
        ) out[String(rest[1])] = v.text;
      }
    }
    return out;
  };

  // First pass: each model's config() calls.
  const texts = new Map<string, string>();
  await Promise.all(
    [
      ...files.models,
      ...files.tests.map((path) => ({ path })),
      ...files.analyses,
    ].map(async (n) => texts.set(n.path, await Deno.readTextFile(join(root, n.path)))),
  );
  /** The SQL (Jinja) a node renders: its file's, its snapshot block's, or a YAML snapshot's `select *`. */
  const textOf = (n: NodeFile) =>
    n.yaml ? yamlSnapshotSql(n.yaml.relation) : n.block?.body ?? texts.get(n.path)!;
  /**
   * Where node `n`'s config `key` is set: the line of its file's `config()`
   * call naming it, else where its properties or dbt_project.yml set it.
   */
  const keyLocation = (n: NodeFile, key: string): SourceLocation => {
    const line = n.yaml ? undefined : configCallLine(texts.get(n.path)!, key);
    return line === undefined ? configLocation(n, key, []) : { file: n.path, line };
  };
  for (const m of [...files.models, ...files.snapshots]) {
    if (!m.ok) continue;
    const written = mergeNodeConfigs([...treeConfigs(m), m.props?.config ?? {}]);
    m.unrendered = unrenderedConfig({ node: written, jinja: asWritten(m) }, textOf(m));
    m.config = mergeNodeConfigs([
      ...(m.kind === "snapshot" ? [{ materialized: "snapshot" }] : []),
      written,
    ]);
    const recorded: Recorded = { configs: [], relations: [], unsupported: [] };
    // What config() holds that wharf does not support is named whether or not the render fails,
    // so that one run lists every problem of the call.
    const unsupportedIssues = () => {
      const text = textOf(m);
      const at = /config\s*\(/.exec(text);
      for (const message of recorded.unsupported!) {
        issues.push({
          message,
          location: m.yaml ? placeOf(m) : {
            file: m.path,
            ...(at ? { line: text.slice(0, at.index).split("\n").length } : {}),
          },
          unsupported: true,
        });
      }
    };
    try {
      jinja.render(
        renderName(m),
        textOf(m),
        nodeContext({ ...m, file: m }, 1, recorded),
        m.package,
      );
      m.config = mergeNodeConfigs([m.config, ...recorded.configs]);
      unsupportedIssues();
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      unsupportedIssues();
      m.ok = false;
      issues.push({
        message: `Cannot render the SQL: ${err.message}`,
        location: m.yaml ? placeOf(m) : { file: m.path, line: err.line },
      });
    }
  }
  for (const s of files.seeds) {
    s.config = mergeNodeConfigs([...treeConfigs(s), s.props?.config ?? {}]);
    s.unrendered = unrenderedConfig({ node: s.config, jinja: asWritten(s) });
  }

  // Names: generate_schema_name and generate_alias_name, the project's when it has them.
  const generated = (macro: string, custom: string | undefined, node: NodeFile): string => {
    const nodeValue = {
      name: node.name,
      resource_type: node.kind,
      path: node.path,
      original_file_path: withinPackage(node),
      fqn: node.fqn,
      config: node.config,
      tags: node.config.tags ?? [],
      package_name: node.package ?? dbt.project,
      unique_id: `${node.kind}.${node.package ?? dbt.project}.${node.name}`,
    };
    if (!jinja.hasMacro(macro)) {
      if (macro === "generate_schema_name") {
        return custom === undefined ? dbt.target.schema : `${dbt.target.schema}_${custom.trim()}`;
      }
      if (macro === "generate_database_name") {
        return custom === undefined ? dbt.target.buildInto ?? dbt.target.database : custom.trim();
      }
      return custom ? custom.trim() : node.name;
    }
    const definition = jinja.macros.find((d) => d.name === macro && d.package === undefined)!;
    const arg = macro === "generate_schema_name"
      ? "custom_schema_name"
      : macro === "generate_database_name"
      ? "custom_database_name"
      : "custom_alias_name";
    const rendered = jinja.render(
      definition.path,
      `{{ ${macro}(${arg}, node) }}`,
      {
        ...nodeContext({ ...node, file: node }, 1, { configs: [], relations: [] }),
        [arg]: custom ?? null,
        node: nodeValue,
      },
    );
    return rendered.text.trim();
  };
  /**
   * The attached database node `n` builds into (its database when it is
   * not the warehouse's), undefined for the warehouse; null (reported)
   * when its database is neither the warehouse's nor one attached read-write.
   */
  const catalogOf = (n: NodeFile): string | undefined | null => {
    const database = n.database!.toLowerCase();
    // An ephemeral model is not built: it goes into no database.
    if (database === dbt.target.database.toLowerCase() || n.config.materialized === "ephemeral") {
      return undefined;
    }
    const attached = config.attach.find((a) => a.name === database);
    if (attached && !attached.readOnly) return database;
    const names = config.attach.map((a) => a.name);
    const guess = closest(database, [dbt.target.database, ...names]);
    n.ok = false;
    issues.push({
      message: attached
        ? `${n.name} would build into "${database}", which the profile attaches read-only: drop its read_only, or set another +database`
        : `${n.name} would build into the database "${database}"${
          guess ? ` (did you mean "${guess}"?)` : ""
        }, which is neither the warehouse's ("${dbt.target.database}") nor attached${
          names.length ? ` (the profile attaches ${names.join(", ")})` : ""
        }: attach it in the profile's attach:, or set another +database`,
      location: placeOf(n),
    });
    return null;
  };
  // Other warehouses' keys (transient, cluster_by, …): ignored, as dbt-duckdb does; a warning each.
  const enabledNodes = [...files.models, ...files.seeds, ...files.snapshots].filter((n) =>
    n.ok && n.config.enabled !== false
  );
  for (const w of otherAdapterWarnings(enabledNodes)) {
    const at = w.first.kind === "model"
      ? keyLocation(w.first, w.key)
      : configLocation(w.first, w.key, []);
    issues.push({ message: w.message, location: at, warning: true });
  }
  const relations = new Map<string, NodeFile>();
  for (const n of [...files.models, ...files.seeds, ...files.snapshots]) {
    if (!n.ok || n.config.enabled === false) continue;
    try {
      // A snapshot's target_schema is its schema as written (dbt's older key, which wins);
      // its schema is a custom one, as a model's is.
      const targetSchema = n.config.snapshot?.target_schema;
      n.schema = typeof targetSchema === "string" && targetSchema !== ""
        ? targetSchema
        : generated("generate_schema_name", n.config.schema, n);
      n.alias = generated("generate_alias_name", n.config.alias, n);
      n.database = generated("generate_database_name", n.config.database, n);
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      n.ok = false;
      issues.push({
        message: `Cannot name the relation of ${n.name}: ${err.message}`,
        location: placeOf(n),
      });
      continue;
    }
    // Jinja left in a name (config() arguments are not rendered, as in dbt) never names a relation.
    const unrendered = (["database", "schema", "alias"] as const).find((part) =>
      /\{\{|\{%/.test(n[part] ?? "")
    );
    if (unrendered) {
      n.ok = false;
      issues.push({
        message: `The relation of ${n.name} would have the ${unrendered} ${
          JSON.stringify(n[unrendered])
        }, Jinja that is not rendered (text inside config() arguments is not, as in dbt): write the ${unrendered} itself, or an expression (${unrendered}=target.name ~ '_x')`,
        location: placeOf(n),
      });
      continue;
    }
    if (!n.schema || !n.alias) {
      n.ok = false;
      issues.push({
        message: `The relation of ${n.name} has an empty ${
          n.schema ? "alias" : "schema"
        }: check generate_schema_name and generate_alias_name`,
        location: placeOf(n),
      });
      continue;
    }
    const attachedTo = catalogOf(n);
    if (attachedTo === null) continue;
    // In the warehouse, a schema named like a catalog needs the warehouse's catalog too.
    const catalog = attachedTo ??
      (n.config.materialized === "ephemeral" ? undefined : warehouseCatalogOf(
        n.schema,
        warehouseCatalog,
        config.attach.map((a) => a.name),
      ));
    const id = `${catalog ? `${catalog}.` : ""}${n.schema}.${n.alias}`.toLowerCase();
    if (!attachedTo && RESERVED.includes(n.schema.toLowerCase())) {
      n.ok = false;
      issues.push({
        message:
          `${n.name} would build in schema "${n.schema}", which wharf keeps for itself: set another +schema`,
        location: placeOf(n),
      });
      continue;
    }
    const first = relations.get(id);
    if (first) {
      n.ok = false;
      issues.push({
        message:
          `${n.name} and ${first.name} (${first.path}) both build ${id}: give one another alias or schema`,
        location: placeOf(n),
      });
      continue;
    }
    relations.set(id, n);
    n.id = id;
    if (catalog) n.catalog = catalog;
    n.sql = `${catalog ? `${quote(catalog)}.` : ""}${quote(n.schema)}.${quote(n.alias)}`;
  }

  // A node's group must be declared (groups: in a properties file), as dbt requires.
  const groupNames = props.groups.map((g) => g.name);
  for (const n of [...files.models, ...files.seeds, ...files.snapshots]) {
    const group = n.config.group;
    if (!n.ok || n.config.enabled === false || group === undefined || groupNames.includes(group)) {
      continue;
    }
    const guess = closest(group, groupNames);
    issues.push({
      message: `${n.name} is in group "${group}", which no properties file declares${
        guess ? ` (did you mean "${guess}"?)` : ""
      }: declare it under groups: (name and owner)`,
      location: placeOf(n),
    });
  }
  // Seeds' columns and types, read before the models that read them render.
  const seedShapes = new Map<
    NodeFile,
    { names: string[]; types: Record<string, string>; lines: SeedLineShape }
  >();
  for (const s of files.seeds.filter((s) => s.ok && s.id)) {
    const text = await Deno.readTextFile(join(root, s.path));
    texts.set(s.path, text);
    // Its quotes and lines first: agate reads a line of fewer fields than the header with nulls,
    // and fails on one of more.
    const lines = seedLines(text, { delimiter: s.config.delimiter ?? ",", short: "pad" });
    if ("problems" in lines) {
      for (const problem of lines.problems) {
        issues.push({ message: `seed ${s.name}: ${problem}`, location: { file: s.path } });
      }
      s.ok = false;
      continue;
    }
    // Its columns as dbt-duckdb names them, read from the header with its delimiter.
    const columns = await seedColumns(text, {
      delimiter: s.config.delimiter ?? ",",
      quoteColumns: s.config.quote_columns ?? true,
      parse: options.parse ?? parseSql,
    });
    if ("problem" in columns) {
      issues.push({ message: `seed ${s.name}: ${columns.problem}`, location: { file: s.path } });
      s.ok = false;
      continue;
    }
    // column_types naming a column the file lacks: dbt-duckdb's load would fail on it.
    const unknown = Object.keys(s.config.column_types ?? {}).filter((c) =>
      !columns.names.some((n) => n.toLowerCase() === c.toLowerCase())
    );
    for (const column of unknown) {
      const guess = closest(column, columns.names);
      issues.push({
        message: `seed ${s.name}: column_types names "${column}", which ${s.path} has no column of${
          guess ? ` (did you mean "${guess}"?)` : ""
        }: its columns are ${columns.names.join(", ")}`,
        location: configLocation(s, "column_types", [column]),
      });
    }
    if (unknown.length) {
      s.ok = false;
      continue;
    }
    // Its types as dbt-duckdb gives them (agate's inference), under its column_types.
    const typed = seedTypes(text, {
      delimiter: s.config.delimiter ?? ",",
      names: columns.names,
      columnTypes: s.config.column_types ?? {},
    });
    if ("problems" in typed) {
      for (const problem of typed.problems) {
        issues.push({ message: `seed ${s.name}: ${problem}`, location: { file: s.path } });
      }
      s.ok = false;
      continue;
    }
    seedShapes.set(s, { names: columns.names, types: typed.types, lines });
  }
  // Second pass: the SQL, through the render hook.
  const testRecords = new Map<string, Recorded>();
  const modelRecords = new Map<string, Recorded>();
  /** Models whose Jinja reads the warehouse: rendered again, against it, just before they build. */
  const readsWarehouse = templateReader(files.macros, WAREHOUSE_FUNCTIONS);
  const atRun = new Map<string, (warehouse: WarehouseRender) => RenderedSql>();
  const hook: RenderHook = (path, text, context) => {
    const file = context.kind === "model" ? relations.get(context.id) : undefined;
    const recorded: Recorded = { configs: [], relations: [] };
    if (file) modelRecords.set(file.id!, recorded);
    else testRecords.set(path, recorded);
    const name = file?.name ?? basename(path, extname(path)).toLowerCase();
    const node = {
      kind: context.kind,
      name,
      path,
      file,
      fqn: file?.fqn,
      package: file?.package ?? testPackage.get(path),
    };
    const body = file?.block?.body ?? text;
    const as = file ? renderName(file) : path;
    const render = (recorded: Recorded, warehouse?: WarehouseRender) => {
      const full = jinja.render(
        as,
        body,
        nodeContext(node, 2, recorded, false, warehouse),
        node.package,
      );
      if (file?.config.materialized !== "incremental") return full;
      const later = jinja.render(
        as,
        body,
        nodeContext(node, 2, recorded, true, warehouse),
        node.package,
      );
      return later.text === full.text ? full : bothRuns(full, later);
    };
    if (!file || !readsWarehouse(body)) return render(recorded);
    atRun.set(file.id!, (warehouse) => render({ configs: [], relations: [] }, warehouse));
    return render(recorded, { pass: { said: [], next: 0 } });
  };
  const models = [...files.models, ...files.snapshots].filter((m) =>
    m.ok && m.id && m.config.enabled !== false
  );
  const { rendered, issues: renderIssues } = await renderSql(
    [
      ...models.map((m) => ({
        path: m.path,
        kind: "model" as const,
        id: m.id!,
        ...(m.yaml ? { text: yamlSnapshotSql(m.yaml.relation), line: m.yaml.line } : {}),
      })),
      ...files.tests.map((path) => ({
        path,
        kind: "test" as const,
        id: `test.${basename(path, ".sql").toLowerCase()}`,
      })),
    ],
    hook,
    { vars: config.vars, root },
    texts,
  );
  issues.push(...renderIssues);
  /** Models and snapshots left out: not rendered, or reading one that was not. */
  const leftOut = leaveOutBlocked(
    rendered,
    models.map((m) => ({ id: m.id!, recorded: modelRecords.get(m.id!) })),
    files.tests.map((path) => ({
      id: `test.${basename(path, ".sql").toLowerCase()}`,
      recorded: testRecords.get(path),
    })),
  );
  /** True when `ref('<name>')` names a node that could not be read (or reads one that could not). */
  const unreadable = (name: string): boolean => {
    const nodes = byName.get(name.toLowerCase()) ?? [];
    const n = nodes.find((n) => n.package === undefined) ?? nodes[0];
    return n !== undefined && (!n.ok || leftOut.has(n.id ?? ""));
  };
  // Analyses (and --inline SQL, as dbt compiles it) are compiled, never run.
  const analyses: AnalysisNode[] = [];
  let inline: string | undefined;
  for (
    const file of [
      ...files.analyses,
      ...(options.inline === undefined ? [] : [{ path: INLINE, fqn: [] }]),
    ]
  ) {
    const { path, fqn } = file;
    const name = path === INLINE ? "inline_query" : basename(path, ".sql").toLowerCase();
    const recorded: Recorded = { configs: [], relations: [] };
    try {
      const sql = jinja.render(
        path,
        path === INLINE ? options.inline! : texts.get(path)!,
        nodeContext(
          { kind: "analysis", name, path, ...(path === INLINE ? { unchecked: true } : {}) },
          2,
          recorded,
        ),
      ).text;
      if (path === INLINE) inline = sql;
      else if (!recorded.blocked) {
        const taken = analyses.find((a) => a.name === name);
        if (taken) {
          issues.push({
            message:
              `Two analyses are named "${name}": ${taken.path} and ${path}; dbt needs one name per analysis: rename one`,
            location: { file: path },
          });
          continue;
        }
        analyses.push({
          kind: "analysis",
          id: `analysis.${name}`,
          name,
          path,
          sql,
          refs: [...new Set(recorded.relations)].map((relation) => ({
            relation,
            offset: 0,
            line: 1,
          })),
          fqn,
        });
      }
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      issues.push({
        message: `Cannot render the SQL: ${err.message}`,
        location: { file: path, line: err.line },
      });
    }
  }

  // Hooks render as the node's SQL does ({{ this }} its relation), once every relation is named,
  // an incremental model's also with is_incremental() true, as its later runs run them; one
  // reading the warehouse renders as it runs, against it (see renderNodeHook).
  const hooksOf = (n: NodeFile): NodeHooks | undefined => {
    /** Hooks that cannot be rendered, each reported once. */
    const unrenderable = new Set<string>();
    const render = ({ sql, at }: Hook, incremental: boolean): HookSql => {
      const where = at ? { at } : {};
      if (readsWarehouse(sql)) return { template: sql, ...where };
      try {
        return {
          sql: jinja.render(
            renderName(n),
            sql,
            nodeContext({ ...n, file: n }, 2, { configs: [], relations: [] }, incremental),
          ).text,
          ...where,
        };
      } catch (err) {
        if (!(err instanceof RenderProblem)) throw err;
        if (!unrenderable.has(sql)) {
          unrenderable.add(sql);
          issues.push({
            message: `Cannot render a hook of ${n.name} (${sql.trim()}): ${err.message}`,
            location: at ?? { file: n.path },
          });
        }
        return { sql: "" };
      }
    };
    /** The hooks of a build (a later run's: `incremental`), rendered. */
    const lists = (incremental: boolean): HookLists => {
      /** The hooks of `list` that run in the build's transaction (or not), rendered. */
      const rendered = (list: readonly Hook[] | undefined, inside: boolean) =>
        (list ?? []).filter((h) => h.transaction === inside).map((h) => render(h, incremental))
          .filter((h) => !("sql" in h) || h.sql.trim() !== "");
      const hooks: HookLists = {
        pre: rendered(n.config.pre_hook, true),
        post: rendered(n.config.post_hook, true),
      };
      const beforeBegin = rendered(n.config.pre_hook, false);
      const afterCommit = rendered(n.config.post_hook, false);
      if (beforeBegin.length) hooks.beforeBegin = beforeBegin;
      if (afterCommit.length) hooks.afterCommit = afterCommit;
      return hooks;
    };
    const first = lists(false);
    const later = n.config.materialized === "incremental" ? lists(true) : first;
    const any = (l: HookLists) => Object.values(l).some((h: HookSql[]) => h.length);
    if (!any(first) && !any(later)) return undefined;
    return JSON.stringify(later) === JSON.stringify(first) ? first : { ...first, later };
  };
  const withHooks = (n: NodeFile): { hooks?: NodeHooks } => {
    // As in dbt, an ephemeral model is not built, so hooks set for a whole folder skip it.
    if (findMaterialization(n.config.materialized ?? "view")?.inlined) return {};
    const hooks = hooksOf(n);
    return hooks ? { hooks } : {};
  };
  /**
   * What a built node carries of its config beside its SQL: `sql_header`
   * (rendered as its hooks are), `persist_docs` (its description and its
   * columns'), and `event_time`.
   */
  const builtExtras = (n: NodeFile): Pick<ModelNode, "sqlHeader" | "persistDocs" | "eventTime"> => {
    if (findMaterialization(n.config.materialized ?? "view")?.inlined) return {};
    const out: Pick<ModelNode, "sqlHeader" | "persistDocs" | "eventTime"> = {};
    if (n.config.event_time !== undefined) out.eventTime = n.config.event_time;
    const header = n.config.sql_header;
    if (header !== undefined && header.trim() !== "") {
      try {
        out.sqlHeader = jinja.render(
          renderName(n),
          header,
          nodeContext({ ...n, file: n }, 2, { configs: [], relations: [] }),
        ).text;
      } catch (err) {
        if (!(err instanceof RenderProblem)) throw err;
        issues.push({
          message: `Cannot render the sql_header of ${n.name}: ${err.message}`,
          location: { file: n.path },
        });
      }
    }
    const persist = n.config.persist_docs;
    const description = n.props?.description ?? "";
    const columns = Object.fromEntries(
      (n.props?.columns ?? []).filter((c) => c.description !== "").map((c) => [
        c.name,
        c.description,
      ]),
    );
    const docs = {
      ...(persist?.relation && description !== "" ? { relation: description } : {}),
      ...(persist?.columns && Object.keys(columns).length ? { columns } : {}),
    };
    if (Object.keys(docs).length) out.persistDocs = docs;
    return out;
  };
  const contracts = new Map<string, SettledContract>();
  for (const m of models) {
    const materialization = findMaterialization(m.config.materialized ?? "view");
    if (!materialization) continue;
    const enforced = m.config.contract?.enforced ?? false;
    // A snapshot's config reads no contract (its table has dbt's validity columns besides its SELECT's).
    if (m.kind === "snapshot") continue;
    if (!m.props) {
      if (enforced) {
        issues.push({
          message:
            `${m.name} has an enforced contract but no columns: declare them, each with its data_type, in a properties file`,
          location: { file: m.path },
        });
      }
      continue;
    }
    contracts.set(
      m.id!,
      settleContract({
        file: m.props.file,
        path: m.props.path,
        enforced,
        contractPath: [...m.props.path, "config", "contract"],
        columns: m.props.columns.map((c, i) => ({ ...c, path: m.props!.columnPaths[i]! })),
        constraints: m.props.constraints,
        materialization,
      }),
    );
  }

  const configured: ConfiguredProject = {
    models: models.filter((m) => rendered.has(m.id!)).map((m): ConfiguredModel => ({
      kind: "model",
      id: m.id!,
      layer: m.schema!.toLowerCase(),
      name: m.alias!.toLowerCase(),
      ...(m.catalog ? { catalog: m.catalog } : {}),
      ...(m.package === undefined ? {} : { package: m.package }),
      path: m.path,
      description: m.props?.description ?? "",
      columns: m.props?.columns ?? [],
      ...(m.yaml
        ? { rawCode: yamlSnapshotSql(m.yaml.relation) }
        : m.block
        ? { rawCode: m.block.contents }
        : {}),
      config: m.kind === "snapshot" ? snapshotConfig(m, issues) : {
        materialized: m.config.materialized ?? "view",
        uniqueKey: asList(m.config.unique_key),
        ...(m.config.unique_key === undefined ? {} : { writtenUniqueKey: m.config.unique_key }),
        tags: m.config.tags ?? [],
        enabled: true,
        options: incrementalOptions(m, issues, (key) => keyLocation(m, key)),
      },
      checks: [],
      ...(contracts.get(m.id!)?.contract ? { contract: contracts.get(m.id!)!.contract } : {}),
      ...withHooks(m),
      ...builtExtras(m),
      ...(atRun.has(m.id!) ? { renderedAtRun: true as const } : {}),
    })),
    seeds: [],
    genericTests: [],
    singularTests: files.tests.filter((p) =>
      rendered.has(`test.${basename(p, ".sql").toLowerCase()}`)
    ).flatMap((path): ConfiguredTest[] => {
      const name = basename(path, ".sql").toLowerCase();
      const entry = props.tests.get(name);
      const recorded = mergeNodeConfigs(testRecords.get(path)?.configs ?? []);
      const fromSql = testConfigSchema.safeParse(recorded.meta ?? {});
      if (!fromSql.success) {
        for (const i of fromSql.error.issues) {
          issues.push({
            message: `config(${i.path.join(".")}=…): ${i.message}`,
            location: { file: path },
          });
        }
      }
      const sql = toTestConfig(fromSql.success ? fromSql.data : undefined);
      if (sql.config?.where !== undefined) {
        issues.push({
          message:
            'config(where=…): "where" applies to generic tests (a singular test filters in its own SQL)',
          location: { file: path },
        });
      }
      // dbt's fqn of a singular test: its package, its folders under the test path, its name.
      const pkg = testPackage.get(path);
      const under = withinUnit(path, pkg);
      const testPath = unitOf(pkg).paths.tests.find((t) => under.startsWith(`${t}/`));
      const folders = (testPath ? under.slice(testPath.length + 1) : under).split("/").slice(0, -1);
      const fqn = [unitOf(pkg).name, ...folders, basename(path, extname(path))];
      // A tree's "where" applies to generic tests only, as in dbt.
      const tree = testTreeSettings(fqn, pkg).map((l) => {
        const { where: _where, ...config } = l.config ?? {};
        return { ...l, config };
      });
      const { severity, config } = settleTest([...tree, entry ?? {}, sql]);
      if (config?.enabled === false) return [];
      const own = { severity: entry?.severity, config: entry?.config };
      return [{
        id: `test.${name}`,
        name,
        path,
        description: entry?.description ?? "",
        severity,
        ...(config ? { config } : {}),
        fqn,
        unrenderedConfig: unrenderedConfig({ test: [...tree, own] }, texts.get(path)),
      }];
    }),
    // Where each model's properties are, for the problems of its columns found when it is parsed.
    entries: new Map(
      models.filter((m) => m.props && rendered.has(m.id!)).map((m) => [m.id!, {
        file: m.props!.file,
        path: m.props!.path,
        columnPaths: m.props!.columnPaths,
      }]),
    ),
    issues: [],
  };
  const seeds: SeedNode[] = [];
  for (const [s, shape] of seedShapes) {
    seeds.push({
      kind: "seed",
      id: s.id!,
      name: s.alias!.toLowerCase(),
      ...(s.catalog ? { catalog: s.catalog } : {}),
      ...(s.package === undefined ? {} : { package: s.package }),
      path: s.path,
      description: s.props?.description ?? "",
      columns: s.props?.columns ?? [],
      columnTypes: s.config.column_types ?? {},
      ...(s.config.delimiter === undefined ? {} : { delimiter: s.config.delimiter }),
      columnNames: shape.names,
      inferredTypes: shape.types,
      ...(shape.lines.mixed ? { mixedLineBreaks: true as const } : {}),
      ...(shape.lines.short ? { shortLines: true as const } : {}),
      tags: s.config.tags ?? [],
      ...withHooks(s),
      ...builtExtras(s),
      fqn: s.fqn,
      dbtConfig: s.config as Record<string, unknown>,
      unrenderedConfig: s.unrendered,
    });
  }
  const cache = await caching;
  const parsed = await parseNodes(configured, rendered, cache.parse);
  await cache.save();
  for (const m of parsed.models) {
    const file = relations.get(m.id)!;
    m.fqn = file.fqn;
    m.dbtConfig = file.config as Record<string, unknown>;
    m.unrenderedConfig = file.unrendered;
    const seen = new Set(m.refs.map((r) => r.relation));
    const named = new Set<string>();
    for (const id of new Set(modelRecords.get(m.id)?.relations ?? [])) {
      const source = sourceById.get(id);
      if (source) named.add(id);
      // A call the SQL does not read (`-- depends_on:`) is still a dependency.
      if (!seen.has(source?.relation ?? id)) m.checkRefs.push({ relation: id, offset: 0, line: 1 });
    }
    if (named.size) m.namedSources = [...named];
  }
  for (const t of parsed.tests) {
    const named = (testRecords.get(t.path)?.relations ?? []).filter((id) => sourceById.has(id));
    if (named.length) t.namedSources = [...new Set(named)];
  }

  // A unit test of such a node, or given one, would only repeat its problem.
  const testable = props.unitTests.filter((t) =>
    !unreadable(t.model) &&
    !t.given.some((g) => {
      const call = parseInputCall(g.input);
      return call?.kind === "ref" && unreadable(call.args.at(-1) ?? "");
    })
  );
  const unitTests = await dbtUnitTests(testable, {
    models: parsed.models,
    // Unit tests name models as ref() does from the project: its own first.
    byName: new Map(
      [...byName].map(([name, nodes]) => [
        name,
        nodes.find((n) => n.package === undefined) ?? nodes[0]!,
      ]),
    ),
    sources,
    render: (model, test) => {
      const file = relations.get(model.id)!;
      // The model's own refs, checked when it rendered.
      const context = nodeContext({ ...file, file, unchecked: true }, 2, {
        configs: [],
        relations: [],
      });
      const how = overridden(context, test, jinja);
      return how.jinja.render(file.path, textOf(file), how.context, file.package);
    },
    parse: options.parse ?? parseSql,
  });

  // Generic tests of models, seeds and sources.
  const tests: GenericTestNode[] = [];
  const used = new Set<string>(configured.singularTests.map((t) => t.name));
  const resolveRead = (to: string): string => {
    const src = /^source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)$/.exec(to);
    if (src) return sources.get(`${src[1]}.${src[2]}`)?.id ?? to;
    const hit = lookup(to.toLowerCase(), undefined);
    return (Array.isArray(hit) ? undefined : hit?.id) ?? to;
  };
  /** SQL of each relation a custom test may read: models, seeds and sources. */
  const relationSqls = new Map<string, string>([
    ...[...relations].map(([id, n]) => [id, n.sql!] as const),
    ...props.sources.map((src) => [src.id, src.external ?? src.sql] as const),
  ]);
  /**
   * A custom generic test, rendered: its macro called with the relation
   * under test, its column and its arguments (a `ref(…)`/`source(…)`
   * argument rendered as dbt renders it), the relations it reads marked
   * in its SQL. Undefined (reported) when it cannot render.
   */
  /**
   * A test's arguments with their Jinja rendered as dbt renders test
   * arguments, in the test's context (see `test_arguments.ts`); undefined
   * (reported) when one cannot render.
   */
  const renderArguments = (
    t: DeclaredTest,
    file: YamlFile,
    test: string,
    args: Readonly<Record<string, unknown>>,
    what?: string,
  ): Record<string, unknown> | undefined => {
    const pkg = fileUnit.get(file);
    const recorded: Recorded = { configs: [], relations: [] };
    const context = nodeContext(
      { kind: "test", name: test, path: file.path, package: pkg, unchecked: true },
      2,
      recorded,
    );
    const rendered = renderTestArguments(
      args,
      t.argsPath ?? t.path,
      // Named so that minijinja does not escape what it writes as it would in a .yml file.
      (text) => jinja.render(`${file.path} (test ${test})`, text, context, pkg).text,
      (path, message) => file.report(path, message),
      what,
    );
    // A ref() of a node that could not be read: that node's problem is reported.
    return recorded.blocked ? undefined : rendered;
  };
  /** A built-in test whose arguments hold Jinja: rendered, then validated by its kind. */
  const renderBuiltin = (t: DeclaredTest, file: YamlFile): DeclaredTest | undefined => {
    const kind = testKind(t.test.kind)!;
    const args = renderArguments(t, file, t.test.kind, t.test.args);
    if (!args) return undefined;
    if (readValue(file, t.argsPath ?? t.path, kind.args("dbt"), args) === undefined) {
      return undefined;
    }
    return { ...t, test: { ...t.test, args, reads: kind.reads(args) }, jinja: false };
  };
  /** A test whose configs hold Jinja: rendered in its context, then read as configs. */
  const renderSettings = <T extends DeclaredTest>(
    t: T,
    file: YamlFile,
    test: string,
  ): T | undefined => {
    const rendered = renderArguments(
      { ...t, argsPath: t.path },
      file,
      test,
      t.jinjaSettings!,
      "test config",
    );
    const read = rendered && readTestSettings(file, t.path, rendered);
    return read && { ...t, ...read, jinjaSettings: undefined };
  };
  const renderCustom = (
    t: DeclaredTest,
    file: YamlFile,
  ): DeclaredTest & { macro: TestSettings } | undefined => {
    const declared = t.test.args as { test: string; arguments: Record<string, unknown> };
    const rendered = renderArguments(t, file, declared.test, declared.arguments);
    if (!rendered) return undefined;
    const args = { test: declared.test, arguments: rendered };
    const found = jinja.customTest(args.test, fileUnit.get(file))!;
    const values: Record<string, unknown> = { __wharf_model: MODEL_MARK };
    const call = ["model=__wharf_model"];
    if (t.test.column !== undefined) {
      values.__wharf_column_name = t.test.column;
      call.push("column_name=__wharf_column_name");
    }
    for (const [i, [key, value]] of Object.entries(args.arguments).entries()) {
      if (!/^[A-Za-z_]\w*$/.test(key)) {
        file.report(
          [...(t.argsPath ?? [...t.path, args.test]), key],
          `"${key}" is not an argument name a macro can take`,
        );
        return undefined;
      }
      if (typeof value === "string" && /^\s*(ref|source)\s*\([^{}]*\)\s*$/.test(value)) {
        call.push(`${key}=${value.trim()}`);
      } else {
        values[`__wharf_arg_${i}`] = value;
        call.push(`${key}=__wharf_arg_${i}`);
      }
    }
    const recorded: Recorded = { configs: [], relations: [] };
    let sql: string;
    try {
      // Named so that minijinja does not escape the SQL as it would a .yml file's text.
      sql = jinja.render(
        `${file.path} (test ${args.test})`,
        `{{ ${found.macro}(${call.join(", ")}) }}`,
        {
          ...nodeContext(
            {
              kind: "test",
              name: args.test,
              path: file.path,
              package: found.package,
              unchecked: true,
            },
            2,
            recorded,
          ),
          ...values,
        },
        found.package,
      ).text;
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      // The call wharf wrote is not the user's: its text is left out.
      const message = err.message.replace(/: "\{\{[^]*\}\}"$/, "");
      file.report(t.path, `Cannot render the test "${args.test}": ${message}`);
      return undefined;
    }
    // It reads a node that could not be read: that node's problem is reported.
    if (recorded.blocked) return undefined;
    const reads = [...new Set(recorded.relations)];
    reads.forEach((id, i) => {
      const text = relationSqls.get(id);
      if (text) sql = sql.replaceAll(text, readMark(i));
    });
    const own = testConfigSchema.safeParse(mergeNodeConfigs(recorded.configs).meta ?? {});
    if (!own.success) {
      for (const i of own.error.issues) {
        file.report(
          t.path,
          `the test "${args.test}" calls config(${i.path.join(".")}=…): ${i.message}`,
        );
      }
      return undefined;
    }
    return {
      ...t,
      test: {
        ...t.test,
        args: {
          test: args.test,
          sql,
          reads,
          arguments: args.arguments,
          ...(found.package ? { package: found.package } : {}),
        },
        reads,
      },
      macro: toTestConfig(own.data),
    };
  };
  const addTests = (
    owner: string,
    prefix: string,
    declared: readonly DeclaredTest[],
    file: YamlFile,
    source = false,
  ) => {
    for (const declaredTest of declared) {
      const custom = declaredTest.test.kind === "rendered"
        ? renderCustom(declaredTest, file)
        : undefined;
      if (declaredTest.test.kind === "rendered" && !custom) continue;
      // A test of a node that could not be read would only repeat its problem.
      if (declaredTest.test.reads.some((r) => !r.startsWith("source(") && unreadable(r))) continue;
      const builtin = declaredTest.jinja ? renderBuiltin(declaredTest, file) : declaredTest;
      if (!builtin) continue;
      const label = custom ? String(custom.test.args.test) : builtin.test.kind;
      const t = declaredTest.jinjaSettings
        ? renderSettings(custom ?? builtin, file, label)
        : custom ?? builtin;
      if (!t) continue;
      const test = { ...t.test, reads: t.test.reads.map(resolveRead) };
      // As in dbt, a generic test is in the group of the node it tests, for the models it refs.
      const from = {
        label: `the test ${label} of ${prefix}`,
        group: relations.get(owner)?.config.group,
        ...(source ? { groupable: false as const } : {}),
      };
      const denied = test.reads.map((id) => relations.get(id))
        .map((n) =>
          n?.kind === "model" ? refAccess({ ...n.config, name: n.name }, from) : undefined
        )
        .find((m) => m !== undefined);
      if (denied) {
        file.report(t.path, denied);
        continue;
      }
      // Named as dbt names it, from its arguments as written.
      const written = declaredTest.test;
      const naming = [
        custom ? label : label === "expression" ? "expression_is_true" : label,
        prefix,
        {
          ...(custom ? (written.args.arguments as Record<string, unknown>) : written.args),
          ...(test.column === undefined ? {} : { column_name: test.column }),
        },
        { source },
      ] as const;
      const base = dbtTestName(...naming);
      let name = t.name ?? base;
      if (t.name !== undefined && used.has(name)) {
        file.report([...t.path, "name"], `the test name "${name}" is taken: give another`);
        continue;
      }
      for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
      used.add(name);
      // dbt's fqn of a generic test: its package, the folders of its properties file under the first, its name.
      const pkg = fileUnit.get(file);
      const fqn = [unitOf(pkg).name, ...withinUnit(file.path, pkg).split("/").slice(1, -1), name];
      const tree = testTreeSettings(fqn, pkg);
      const { severity, config } = settleTest([...tree, ...(custom ? [custom.macro] : []), t]);
      // Its own settings as written: Jinja in them unrendered.
      const own = declaredTest.jinjaSettings ?? { severity: t.severity, config: t.config };
      if (config?.enabled === false) continue;
      // As in dbt, a test that reads a disabled model or seed is left out, with a warning.
      const off = t.test.reads.map((r) =>
        r.startsWith("source(") ? undefined : lookup(r.toLowerCase(), undefined)
      )
        .find((n): n is NodeFile =>
          n !== undefined && !Array.isArray(n) && n.config.enabled === false
        );
      if (off) {
        issues.push({
          message: disabledTarget(name, off.name, off.path),
          location: file.locate(t.path),
          warning: true,
        });
        continue;
      }
      // dbt's shorter name for the compiled file of a test named after its arguments.
      const fileName = name === base ? dbtTestFileName(...naming) : name;
      tests.push({
        kind: "generic_test",
        id: `test.${name}`,
        name,
        ...(fileName === name ? {} : { fileName }),
        attachedTo: owner,
        test,
        severity,
        ...(config ? { config } : {}),
        location: file.locate(t.path),
        fqn,
        unrenderedConfig: unrenderedConfig({
          test: [...tree, ...(custom ? [custom.macro] : []), own],
        }),
      });
    }
  };
  for (
    const n of [
      ...parsed.models.map((m) => relations.get(m.id)!),
      ...files.seeds.filter((s) => s.id),
    ]
  ) {
    if (n.props) {
      addTests(n.id!, n.name, [
        ...n.props.tests,
        ...(contracts.get(n.id!)?.tests ?? []),
      ], n.props.file);
    }
  }
  for (const s of props.sources) {
    addTests(s.id, `${s.source}_${s.table}`, s.tests, s.file, true);
  }
  testTree.checkPaths(testFqns);
  for (const [name, tree] of packageTestTrees) {
    tree.checkPaths(testFqns.filter((f) => f[0] === name));
  }

  // on-run-start/on-run-end render with the project's context and ref()/source(), as dbt's hook
  // nodes do: a ref() gives the model's relation whether this run selects the model or not.
  // Against the warehouse (a hook kept as its template, as it runs), run_query() and statement
  // run there, and what log() says is collected by the pass.
  const runHookContext = (warehouse?: WarehouseRender): Record<string, unknown> => {
    const { ref, source } = nodeContext(
      { kind: "operation", name: dbt.project, path: DBT_PROJECT_FILE },
      2,
      { configs: [], relations: [] },
    );
    const common = commonContext(
      jinja,
      run,
      2,
      warehouse ? (said) => warehouse.pass.said.push(said) : undefined,
    );
    return {
      ...common,
      ...(warehouse
        ? warehouseContext(
          jinja,
          warehouse.answered,
          warehouse.pass,
          common.adapter as Record<string, unknown>,
        )
        : {}),
      ref,
      source,
    };
  };
  /** Where hook `index` of `on-run-start`/`on-run-end` (their hooks not empty) is written. */
  const runHookLocation = (key: "on-run-start" | "on-run-end", index: number): SourceLocation => {
    const written = isRecord(projectFile.data) ? projectFile.data[key] : undefined;
    // Not in dbt_project.yml: wharf.config.ts's onRunStart/onRunEnd.
    if (written === undefined) return { file: "wharf.config.ts" };
    if (!Array.isArray(written)) return projectFile.locate([key]);
    const at =
      written.flatMap((h, i) => typeof h === "string" && h.trim() !== "" ? [i] : [])[index];
    return projectFile.locate(at === undefined ? [key] : [key, at]);
  };
  /** Hook `index` of the `count` of `key`, rendered ("" when it cannot be: an issue). */
  const renderRunHookNow = (
    key: "on-run-start" | "on-run-end",
    sql: string,
    index: number,
    count: number,
  ) => {
    try {
      // Named so that minijinja does not escape what it writes as it would in a .yml file.
      return jinja.render(`${DBT_PROJECT_FILE} (hook)`, sql, runHookContext()).text;
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      // The problem's message quotes the hook's line it is on, when minijinja tells it.
      const which = count > 1 ? ` ${index + 1} of ${count}` : "";
      issues.push({
        message: `${key}${which} cannot be rendered: ${err.message}${
          err.quoted ? "" : `: ${JSON.stringify(sql.trim())}`
        }`,
        location: runHookLocation(key, index),
      });
      return "";
    }
  };
  // A hook reading the warehouse renders as it runs, against it (dbt renders hooks then); so
  // does an on-run-end hook reading what the run did (dbt's results, schemas …).
  const readsRunEnd = templateReader(files.macros, RUN_END_CONTEXT);
  const keep = (
    key: "on-run-start" | "on-run-end",
    reads: (sql: string) => boolean,
  ) =>
  (sql: string, i: number, all: string[]): HookSql => {
    const at = runHookLocation(key, i);
    return reads(sql)
      ? { template: sql, at }
      : { sql: renderRunHookNow(key, sql, i, all.length), at };
  };
  const runHooks = config.runHooks && {
    start: config.runHooks.start.map(keep("on-run-start", readsWarehouse))
      .filter((h) => !("sql" in h) || h.sql.trim() !== ""),
    end: config.runHooks.end.map(
      keep("on-run-end", (sql) => readsRunEnd(sql) || readsWarehouse(sql)),
    ).filter((h) => !("sql" in h) || h.sql.trim() !== ""),
  };
  const renderRunHook: RunHookRenderer = (template, context) => {
    // The run's results are converted for the renderer once, not at each pass.
    const lent = jinja.lend({ ...context });
    return {
      render: (answered) =>
        warehousePass(
          answered,
          (warehouse) =>
            jinja.render(`${DBT_PROJECT_FILE} (hook)`, template, runHookContext(warehouse)).text,
          (err) => err.line === undefined ? undefined : `line ${err.line} of the hook`,
        ),
      origin: (query) => jinja.queryOrigin(template, query),
      [Symbol.dispose]: () => lent[Symbol.dispose](),
    };
  };

  const exposures = readExposures(props.exposures, (written) => {
    const d = parseDependency(written);
    if (!d) {
      return {
        problem: `expected ref('model') or source('source', 'table'), got ${
          JSON.stringify(written)
        }`,
      };
    }
    if ("source" in d) {
      const found = sources.get(`${d.source}.${d.table}`);
      if (found) return { relation: found.id };
      const guess = closest(`${d.source}.${d.table}`, [...sources.keys()]);
      return {
        problem: `source("${d.source}", "${d.table}"): no such table in the project's sources${
          guess ? ` (did you mean "${guess}"?)` : ""
        }`,
      };
    }
    const name = d.ref.toLowerCase();
    const target = lookup(name, undefined);
    if (Array.isArray(target)) {
      return {
        problem: `ref("${name}"): ${target.length} packages have a node "${name}" (${
          target.map((n) => n.path).join(", ")
        })`,
      };
    }
    if (target && (!target.ok || leftOut.has(target.id ?? ""))) return { unreadable: true };
    const denied = target?.kind === "model"
      ? refAccess({ ...target.config, name: target.name }, {
        label: "an exposure",
        groupable: false,
      })
      : undefined;
    if (denied) return { problem: `ref("${name}"): ${denied}` };
    if (target?.id && target.config.enabled !== false) return { relation: target.id };
    const guess = closest(name, [...byName.keys()]);
    return {
      problem: target
        ? `ref("${name}"): ${target.path} is ${
          target.config.enabled === false ? "disabled (enabled: false)" : "not built"
        }`
        : `ref("${name}"): no model or seed named "${name}"${
          guess ? ` (did you mean "${guess}"?)` : ""
        }`,
    };
  });

  /** A source table's loaded_at_query, rendered: `{{ this }}` is the table, `source()`/`ref()` as in models. */
  const renderLoadedAtQuery = (s: SourceTable): string => {
    const path = `${s.file.path} (loaded_at_query of ${s.source}.${s.table})`;
    try {
      return jinja.render(path, s.loadedAtQuery!, {
        ...nodeContext(
          {
            kind: "source",
            name: s.table,
            path: s.file.path,
            fqn: [dbt.project, s.source, s.table],
            unchecked: true,
          },
          2,
          { configs: [], relations: [] },
        ),
        this: sourceValue(s),
        __wharf_this: sourceValue(s),
      }).text;
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      s.file.report(s.path, `Cannot render loaded_at_query: ${err.message}`);
      return "";
    }
  };

  const freshnessSources = props.sources.map((s) => ({
    id: s.id,
    source: s.source,
    table: s.table,
    relation: s.relation,
    sql: s.external ?? s.sql,
    ...(s.external ? { external: s.external } : {}),
    ...(s.loadedAtField ? { loadedAtField: s.loadedAtField } : {}),
    ...(s.loadedAtQuery ? { loadedAtQuery: renderLoadedAtQuery(s) } : {}),
    ...(s.freshness ? { freshness: s.freshness } : {}),
    ...(s.eventTime ? { eventTime: s.eventTime } : {}),
    ...(s.tags.length ? { tags: s.tags } : {}),
    ...(Object.keys(s.meta).length ? { meta: s.meta } : {}),
    fqn: s.fqn!,
    location: s.file.locate(s.path),
  }));

  // The texts a var() may be in: read again only when --vars names an undeclared variable.
  await warnUnreadVars(config, packages.map((p) => p.project.vars), async () => [
    ...texts.values(),
    ...files.macros.map((m) => m.text),
    ...await Promise.all(
      [...props.files, projectFile, ...packageFiles].map((f) =>
        Deno.readTextFile(join(root, f.path))
      ),
    ),
    await Deno.readTextFile(join(root, SELECTORS_FILE)).catch(() => ""),
    options.inline ?? "",
  ]);

  const yamlIssues = [...props.files, projectFile, ...packageFiles].flatMap((f) =>
    [...f.issues].sort((a, b) => (a.location.line ?? 0) - (b.location.line ?? 0))
  );
  const project: Project = {
    config,
    models: parsed.models,
    seeds,
    tests: [...tests, ...parsed.tests],
    unitTests,
    macros: [],
    ...(runHooks ? { runHooks } : {}),
    ...(exposures.length ? { exposures } : {}),
    sources: freshnessSources,
    sourceTables: props.sources.map((s) => ({
      id: s.id,
      source: s.source,
      table: s.table,
      relation: s.relation,
      description: s.description,
      sourceDescription: s.sourceDescription,
      loader: s.loader,
      columns: s.columns,
      path: s.file.path,
      meta: s.meta,
      sourceMeta: s.sourceMeta,
      ...(Object.keys(s.extra).length ? { extra: s.extra } : {}),
      ...sourceAsWritten(s),
    })),
    templateMacros: files.macros,
    ...(analyses.length ? { analyses } : {}),
    ...(packages.length
      ? { packageDirs: Object.fromEntries(packages.map((p) => [p.name, p.rel])) }
      : {}),
    ...(inline === undefined ? {} : { inline }),
    texts,
    ...(blocks.length ? { docsBlocks: blocks } : {}),
    ...(props.groups.length
      ? {
        groups: props.groups.map((g) => ({
          name: g.name,
          description: g.description,
          owner: g.owner,
          meta: g.meta,
          path: g.file.path,
          ...(fileUnit.get(g.file) === undefined ? {} : { package: fileUnit.get(g.file) }),
        })),
      }
      : {}),
    issues: [
      ...issues,
      ...yamlIssues,
      ...parsed.issues,
      // dbt accepts such columns: each is a warning.
      ...checkYamlColumns(parsed.models, tests, {
        known: parsed.columns,
        entries: configured.entries,
      }, { dbt: true }),
    ],
  };
  const renderAtRun = (id: string): WarehouseRenderer<RenderedSql> => (answered) => {
    const file = relations.get(id)!;
    return warehousePass(
      answered,
      atRun.get(id)!,
      (err) => `${file.path}${err.line === undefined ? "" : `:${err.line}`}`,
    );
  };
  const operation = (written: string, args: Readonly<Record<string, unknown>>): OperationMacro => {
    const dot = written.indexOf(".");
    const pkg = dot < 0 ? undefined : written.slice(0, dot);
    const name = dot < 0 ? written : written.slice(dot + 1);
    if (pkg !== undefined && pkg !== dbt.project && !packageNames.includes(pkg)) {
      const guess = closest(pkg, [dbt.project, ...packageNames]);
      return {
        problem: `no package "${pkg}" in the project${
          guess ? ` (did you mean "${guess}"?)` : ""
        }: its packages are ${[dbt.project, ...packageNames].join(", ")}`,
      };
    }
    // As dbt's: the project's macro first, else the one package's that has it.
    const owner = pkg === dbt.project ? undefined : pkg;
    const named = jinja.macros.filter((d) =>
      d.name === name && (pkg === undefined || d.package === owner)
    );
    const found = named.find((d) => d.package === undefined) ??
      (named.length === 1 ? named[0] : undefined);
    if (!found) {
      const qualified = (d: { name: string; package?: string }) =>
        d.package === undefined ? d.name : `${d.package}.${d.name}`;
      const guess = named.length ? undefined : closest(written, jinja.macros.map(qualified));
      return {
        problem: named.length
          ? `packages ${
            named.map((d) => d.package).join(" and ")
          } both have a macro "${name}": name one (${named.map(qualified).join(", ")})`
          : `no macro "${written}" in the project${packageNames.length ? " or its packages" : ""}${
            guess ? ` (did you mean "${guess}"?)` : ""
          }`,
      };
    }
    const odd = Object.keys(args).find((k) => !/^[A-Za-z_]\w*$/.test(k));
    if (odd !== undefined) {
      return {
        problem: `argument ${JSON.stringify(odd)} is not a name a macro's argument can have`,
      };
    }
    const macro = found.package === undefined ? name : `${found.package}.${name}`;
    const takes = found.args.length
      ? `${macro} takes ${
        found.args.map((a) => a.default === undefined ? a.name : `${a.name}=${a.default}`)
          .join(", ")
      }`
      : `${macro} takes no arguments`;
    const unknown = found.kwargs
      ? undefined
      : Object.keys(args).find((k) => !found.args.some((a) => a.name === k));
    if (unknown !== undefined) {
      const guess = closest(unknown, found.args.map((a) => a.name));
      return {
        problem: `unknown argument "${unknown}" in --args${
          guess ? ` (did you mean "${guess}"?)` : ""
        }: ${takes} (${found.path}:${found.line})`,
      };
    }
    // dbt would render a missing argument as nothing, and its query fail further on.
    const missing = found.args.filter((a) =>
      a.default === undefined && !Object.hasOwn(args, a.name)
    );
    if (missing.length) {
      return {
        problem: `argument${missing.length === 1 ? "" : "s"} ${
          missing.map((a) => `"${a.name}"`).join(", ")
        } not given: ${takes} (${found.path}:${found.line}); pass ${
          missing.length === 1 ? "it" : "them"
        } in --args '{${missing.map((a) => `${a.name}: …`).join(", ")}}'`,
      };
    }
    const call = `{{ ${macro}(${
      Object.keys(args).map((k) => `${k}=__wharf_args[${JSON.stringify(k)}]`).join(", ")
    }) }}`;
    const node = {
      kind: "operation",
      name,
      path: found.path,
      package: found.package,
      unchecked: true as const,
    };
    return {
      macro,
      path: found.path,
      line: found.line,
      call: (answered) =>
        warehousePass(answered, (warehouse) => {
          jinja.render(`run-operation ${macro}`, call, {
            ...nodeContext(node, 2, { configs: [], relations: [] }, false, warehouse),
            __wharf_args: args,
          });
        }, () => `macro ${macro} (${found.path}:${found.line})`),
    };
  };
  const renderNodeHook: NodeHookRenderer = (id, template, incremental) => {
    const n = relations.get(id)!;
    return {
      render: (answered) =>
        warehousePass(
          answered,
          (warehouse) =>
            jinja.render(
              renderName(n),
              template,
              nodeContext(
                { ...n, file: n },
                2,
                { configs: [], relations: [] },
                incremental,
                warehouse,
              ),
            ).text,
          (err) => err.line === undefined ? undefined : `line ${err.line} of the hook`,
        ),
      origin: (query) => jinja.queryOrigin(template, query),
      [Symbol.dispose]: () => {},
    };
  };
  return { project, renderRunHook, renderNodeHook, renderAtRun, operation };
}

/**
 * Warns about each `--vars` name that neither dbt_project.yml (the
 * project's or a package's) declares nor any `var()` of `texts` names: dbt
 * takes it, and nothing reads it (a typo, most likely).
 */
async function warnUnreadVars(
  config: EngineConfig,
  packageVars: readonly Record<string, unknown>[],
  texts: () => Promise<readonly string[]>,
): Promise<void> {
  const dbt = config.dbt!;
  const declared = new Set<string>();
  for (const vars of [dbt.vars, ...packageVars]) {
    for (const [k, v] of Object.entries(vars)) {
      declared.add(k);
      if (isRecord(v)) { for (const scoped of Object.keys(v)) declared.add(scoped); }
    }
  }
  const given = Object.keys(config.commandVars ?? {}).filter((name) => !declared.has(name));
  if (!given.length) return;
  const read = new Set(
    (await texts()).flatMap((t) =>
      [...t.matchAll(/\bvar\s*\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!)
    ),
  );
  for (const name of given) {
    if (read.has(name)) continue;
    const guess = closest(name, [...new Set([...declared, ...read])]);
    console.error(
      `warning: --vars "${name}": dbt_project.yml declares no such variable and no var('${name}') reads it${
        guess ? ` (did you mean "${guess}"?)` : ""
      }`,
    );
  }
}

/**
 * `context` with a unit test's overrides: `var()` and `env_var()` give the
 * test's values first, and each overridden macro returns the test's value:
 * a function of the context (`is_incremental`, `invocation_id`, …), or a
 * macro of the project, of a package (`package.macro`) or of dbt's
 * (`current_timestamp`), wherever it is called from, as dbt overrides them
 * (then rendered by an environment `jinja` makes with them). A name that
 * is no macro is an error naming the closest.
 */
function overridden(
  context: Record<string, unknown>,
  test: DeclaredUnitTest,
  jinja: DbtJinja,
): { context: Record<string, unknown>; jinja: DbtJinja } {
  const out = { ...context };
  const call = (fn: unknown, args: unknown[]) => (fn as (...a: unknown[]) => unknown)(...args);
  out.var = (...args: unknown[]) => {
    const name = String(splitArgs(args).positional[0]);
    return name in test.vars ? test.vars[name] : call(context.var, args);
  };
  out.env_var = (...args: unknown[]) => {
    const name = String(splitArgs(args).positional[0]);
    return test.envVars[name] ?? call(context.env_var, args);
  };
  const macros: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(test.macros)) {
    if (name in context && !name.startsWith("__") && !jinja.hasMacro(name)) {
      out[name] = typeof context[name] === "function" ? () => value : value;
    } else macros[name] = value;
  }
  if (!Object.keys(macros).length) return { context: out, jinja };
  const made = jinja.withMacroOverrides(macros);
  if ("jinja" in made) return { context: out, jinja: made.jinja };
  const name = made.unknown[0]!;
  const known = [
    ...Object.keys(context).filter((k) => !k.startsWith("__")),
    ...jinja.macros.map((d) => d.package === undefined ? d.name : `${d.package}.${d.name}`),
  ];
  const guess = closest(name, known);
  throw new RenderProblem(
    `overrides.macros: no macro "${name}" the model can call${
      guess ? ` (did you mean "${guess}"?)` : ""
    }`,
  );
}

/** What resolving a dbt project's unit tests needs from its loader. */
interface DbtUnitTestContext {
  models: readonly ModelNode[];
  byName: ReadonlyMap<string, NodeFile>;
  sources: ReadonlyMap<string, SourceTable>;
  /** The model's SQL rendered again with the test's overrides. */
  render(model: ModelNode, test: DeclaredUnitTest): { text: string; sourceLines: number[] };
  parse: SqlParser;
}

/**
 * Resolves a dbt project's unit tests (`ref()`/`source()` inputs, model by
 * name), and renders the model again for each test that overrides vars,
 * macros or environment variables.
 */
async function dbtUnitTests(
  declared: readonly DeclaredUnitTest[],
  ctx: DbtUnitTestContext,
): Promise<UnitTestNode[]> {
  const inputNames = new Map<string, string>();
  for (const [name, n] of ctx.byName) if (n.id) inputNames.set(n.id, `ref('${name}')`);
  /** How a model reads a source's relation: the `source()` it calls (several tables may read it). */
  const sourceName = (relation: string, model: ModelNode) => {
    const tables = [...ctx.sources.values()].filter((s) => s.relation === relation);
    const s = tables.find((t) => model.namedSources?.includes(t.id)) ?? tables[0];
    return s && `source('${s.source}', '${s.table}')`;
  };
  const resolved = resolveUnitTests(declared, {
    model(written) {
      const name = written.toLowerCase();
      const file = ctx.byName.get(name);
      const model = file?.kind === "model" ? ctx.models.find((m) => m.id === file.id) : undefined;
      if (model) return model;
      if (file?.kind === "model") return `model "${written}" is disabled or could not be read`;
      const guess = closest(
        name,
        [...ctx.byName.values()].filter((n) => n.kind === "model").map((n) => n.name),
      );
      return `no model "${written}"${guess ? ` (did you mean "${guess}"?)` : ""}`;
    },
    input(written) {
      const call = parseInputCall(written);
      if (call?.kind === "ref") {
        const name = (call.args.at(-1) ?? "").toLowerCase();
        const id = ctx.byName.get(name)?.id;
        if (id) return id;
        const guess = closest(name, [...ctx.byName.keys()]);
        return {
          error: `ref('${name}'): no model or seed named "${name}"${
            guess ? ` (did you mean "${guess}"?)` : ""
          }`,
        };
      }
      if (call?.kind === "source") {
        const key = call.args.join(".");
        const found = ctx.sources.get(key);
        // Its model reads the file, not a relation the given rows could stand for.
        if (found?.external) {
          return {
            error:
              `${written}: the source has an external_location (${found.external}), which a unit test cannot give rows for in wharf: test a model reading it through a ref()`,
          };
        }
        if (found) return found.relation;
        const guess = closest(key, [...ctx.sources.keys()]);
        return {
          error: `${written}: no such table in the project's sources${
            guess ? ` (did you mean "source('${guess.replace(".", "', '")}')"?)` : ""
          }`,
        };
      }
      return {
        error:
          `expected ref('<model or seed>'), source('<source>', '<table>') or this, got "${written}"`,
      };
    },
    inputName: (relation, model) =>
      inputNames.get(relation) ?? sourceName(relation, model) ?? relation,
    isSeed: (relation) =>
      [...ctx.byName.values()].some((n) => n.kind === "seed" && n.id === relation),
    envVars: true,
  });
  const out: UnitTestNode[] = [];
  for (const { test, declared: d } of resolved) {
    if (
      !Object.keys(d.vars).length && !Object.keys(d.macros).length && !Object.keys(d.envVars).length
    ) {
      out.push(test);
      continue;
    }
    const model = ctx.models.find((m) => m.id === test.model)!;
    let rendered: { text: string; sourceLines: number[] };
    try {
      rendered = ctx.render(model, d);
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      d.file.report(
        [...d.path, "overrides"],
        `Cannot render ${model.path} with these overrides: ${err.message}`,
      );
      continue;
    }
    const [parsed] = await ctx.parse([trimSql(rendered.text)]);
    if (!parsed?.ok) {
      d.file.report(
        [...d.path, "overrides"],
        `Cannot parse ${model.path} rendered with these overrides: ${
          parsed?.message ?? "no result"
        }`,
      );
      continue;
    }
    out.push({
      ...test,
      sql: { text: rendered.text, refs: extractRelations(parsed.ast, rendered.text) },
    });
  }
  return out;
}

/** What dbt gives on-run-end hooks only, from the run that ended. */
const RUN_END_CONTEXT = ["results", "schemas", "database_schemas"];

/** The Jinja code of `text` (inside `{{ }}` or `{% %}`), its strings blanked. */
function jinjaCode(text: string): string {
  return [...text.matchAll(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g)]
    .map((m) => m[0].replace(/'[^']*'|"[^"]*"/g, "''"))
    .join("\n");
}

/** The names of a Jinja code's calls (`name(`, `package.name(`: `name`). */
function calledNames(code: string): string[] {
  return [...code.matchAll(/(\w+)\s*\(/g)].map((m) => m[1]!);
}

/**
 * The names of the macros a template's Jinja may call: those of its calls
 * ({@linkcode calledNames}), and `duckdb__x` and `default__x` of each
 * `adapter.dispatch('x')`, whose name is a string.
 */
function calledMacros(text: string): string[] {
  const dispatched = [
    ...text.matchAll(/adapter\s*\.\s*dispatch\s*\(\s*(?:macro_name\s*=\s*)?['"](\w+)['"]/g),
  ].flatMap((m) => [`duckdb__${m[1]}`, `default__${m[1]}`]);
  return [...calledNames(jinjaCode(text)), ...dispatched];
}

/**
 * Whether a template reads one of `names` (dbt's {@linkcode RUN_END_CONTEXT}
 * in an on-run-end hook, or its functions that read the warehouse in a
 * model): in its own Jinja, or in that of a macro it calls, directly or not
 * (a macro's parameter of that name counts too: rendering such a template
 * later costs nothing more).
 */
function templateReader(
  macroFiles: readonly { text: string }[],
  names: readonly string[],
): (sql: string) => boolean {
  // `adapter.x` is the method x of adapter.
  const patterns = names.map((name) =>
    new RegExp(`(?<![\\w.])${name.split(".").map(escapeRe).join("\\s*\\.\\s*")}(?!\\w)`)
  );
  const reads = (code: string) => patterns.some((p) => p.test(code));
  // Each macro's code, by name (of any package: a name shared reads if one does).
  const bodies = new Map<string, string[]>();
  for (const f of macroFiles) {
    for (
      const m of f.text.matchAll(
        /\{%-?\s*macro\s+(\w+)[\s\S]*?\{%-?\s*endmacro\s*-?%\}/g,
      )
    ) {
      bodies.set(m[1]!, [...bodies.get(m[1]!) ?? [], m[0]]);
    }
  }
  const memo = new Map<string, boolean>();
  const textReads = (text: string) => reads(jinjaCode(text)) || calledMacros(text).some(macroReads);
  const macroReads = (name: string): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    memo.set(name, false); // a macro calling itself reads what its body reads
    const found = (bodies.get(name) ?? []).some(textReads);
    memo.set(name, found);
    return found;
  };
  return textReads;
}
