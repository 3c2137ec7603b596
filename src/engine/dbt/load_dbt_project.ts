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
import type { EngineConfig } from "../config.ts";
import type { ProjectIssue } from "../errors.ts";
import { parseSql } from "../db/parse_sql.ts";
import { listFiles } from "../project/discover_files.ts";
import type { LoadProjectOptions } from "../project/load_project.ts";
import type {
  ConfiguredModel,
  ConfiguredProject,
  ConfiguredTest,
} from "../project/merge_config.ts";
import { parseNodes } from "../project/parse_nodes.ts";
import { type RenderHook, renderSql } from "../project/render.ts";
import type { DeclaredTest } from "../project/read_yaml.ts";
import { closest } from "../suggest.ts";
import { testKind } from "../test_kinds/index.ts";
import type { GenericTestNode, Project, SeedNode, Severity } from "../types.ts";
import { YamlFile } from "../yaml/yaml_file.ts";
import { readConfigTree } from "./config_tree.ts";
import { commonContext, type RunContext } from "./dbt_context.ts";
import { DbtJinja, type MacroFile, plain, RenderProblem, splitArgs } from "./dbt_jinja.ts";
import { DBT_PROJECT_FILE } from "./dbt_project.ts";
import { mergeNodeConfigs, type NodeConfig, readNodeConfig } from "./node_config.ts";
import { findMaterialization } from "../materializations/index.ts";
import { settleContract, type SettledContract } from "../project/read_contract.ts";
import { parseDependency, readExposures } from "../project/read_exposures.ts";
import type { NodeHooks } from "../types.ts";
import { type NodeProperties, readProperties, type SourceTable } from "./properties.ts";

/** Schemas a dbt model may not build in: wharf's own and DuckDB's catalogs. */
const RESERVED = ["raw", "wharf", "wharf_failures", "information_schema", "pg_catalog"];

/** A model or seed file of the project. */
interface NodeFile {
  kind: "model" | "seed";
  path: string;
  /** The name `ref()` uses: the file's name, lower-cased. */
  name: string;
  /** `[project, ...folders, name]`, what config paths match. */
  fqn: string[];
  props?: NodeProperties;
  config: NodeConfig;
  /** Set once named: `schema.alias` (lower-cased) and its SQL. */
  id?: string;
  schema?: string;
  alias?: string;
  sql?: string;
  /** False when its first render failed (it is left out; its problem is reported). */
  ok: boolean;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The files of the dbt project, by kind. */
async function discover(config: EngineConfig, issues: ProjectIssue[]) {
  const dbt = config.dbt!;
  const root = config.root;
  const rel = (p: string) => relative(root, p);
  const issue = (file: string, message: string) => issues.push({ message, location: { file } });
  const out = {
    models: [] as NodeFile[],
    seeds: [] as NodeFile[],
    properties: [] as string[],
    tests: [] as string[],
    macros: [] as MacroFile[],
    analyses: [] as string[],
  };
  const walk = async (
    folders: readonly string[],
    each: (file: string, parts: string[]) => Promise<void> | void,
  ) => {
    for (const folder of folders) {
      for (const file of await listFiles(join(root, folder))) {
        const parts = relative(join(root, folder), file).split(/[\\/]/);
        if (extname(file) === ".yml" || extname(file) === ".yaml") out.properties.push(rel(file));
        else await each(file, parts);
      }
    }
  };
  const nodeFile = (kind: "model" | "seed", file: string, parts: string[]): NodeFile => {
    const name = basename(file, extname(file));
    return {
      kind,
      path: rel(file),
      name: name.toLowerCase(),
      fqn: [dbt.project, ...parts.slice(0, -1), name],
      config: {},
      ok: true,
    };
  };
  await walk(dbt.paths.models, async (file, parts) => {
    const ext = extname(file).toLowerCase();
    if (ext === ".sql") out.models.push(nodeFile("model", file, parts));
    else if (ext === ".py") {
      issues.push({
        message: "Python models are not supported by wharf: write the model in SQL",
        location: { file: rel(file) },
        unsupported: true,
      });
    } else if (ext === ".md" && (await Deno.readTextFile(file)).includes("{% docs")) {
      issue(
        rel(file),
        "{% docs %} blocks are not read by wharf yet: remove the file, or run this project with dbt",
      );
    }
  });
  await walk(dbt.paths.seeds, (file, parts) => {
    if (extname(file).toLowerCase() === ".csv") out.seeds.push(nodeFile("seed", file, parts));
  });
  await walk(dbt.paths.tests, async (file, parts) => {
    if (extname(file).toLowerCase() !== ".sql") return;
    const text = await Deno.readTextFile(file);
    if (parts[0] === "generic" || /\{%-?\s*test\s/.test(text)) {
      issue(rel(file), "custom generic tests ({% test %}) are not run by wharf yet");
    } else out.tests.push(rel(file));
  });
  await walk(dbt.paths.macros, async (file) => {
    if (extname(file).toLowerCase() === ".sql") {
      out.macros.push({ path: rel(file), text: await Deno.readTextFile(file) });
    }
  });
  await walk(dbt.paths.snapshots, (file) => {
    if (extname(file).toLowerCase() === ".sql") {
      issue(
        rel(file),
        "snapshots are not run by wharf yet: remove the file, or run this project with dbt",
      );
    }
  });
  await walk(dbt.paths.analyses, (file) => {
    if (extname(file).toLowerCase() === ".sql") out.analyses.push(rel(file));
  });
  for (const name of ["packages.yml", "dependencies.yml"]) {
    try {
      const text = await Deno.readTextFile(join(root, name));
      if (/^\s*packages\s*:\s*\n\s*-/m.test(text) || /^\s*packages\s*:\s*\[\s*\S/m.test(text)) {
        issue(name, "packages are not run by wharf yet: the project's own macros and models are");
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return out;
}

/**
 * Loads the dbt project of `config` (whose `dbt` is set). Never throws for
 * problems in the project's files: they are returned in `issues`.
 */
export async function loadDbtProject(
  config: EngineConfig,
  options: LoadProjectOptions = {},
): Promise<Project> {
  const dbt = config.dbt!;
  const root = config.root;
  const issues: ProjectIssue[] = [];
  const files = await discover(config, issues);
  const props = await readProperties(root, files.properties);
  const projectFile = new YamlFile(
    DBT_PROJECT_FILE,
    await Deno.readTextFile(join(root, DBT_PROJECT_FILE)),
  );
  const modelTree = readConfigTree(projectFile, "models", dbt.project, "model");
  const seedTree = readConfigTree(projectFile, "seeds", dbt.project, "seed");
  modelTree.checkPaths(files.models.map((m) => m.fqn));
  seedTree.checkPaths(files.seeds.map((s) => s.fqn));

  // Names: one namespace for models and seeds, as ref() has.
  const byName = new Map<string, NodeFile>();
  for (const n of [...files.models, ...files.seeds]) {
    const first = byName.get(n.name);
    if (first) {
      issues.push({
        message: `"${n.name}" names two ${
          first.kind === n.kind ? `${n.kind}s` : "nodes"
        } (also ${first.path}): ref() needs one name per model and seed; rename one`,
        location: { file: n.path },
      });
      n.ok = false;
      continue;
    }
    byName.set(n.name, n);
  }
  for (
    const [kind, entries, nodes] of [
      ["model", props.models, files.models],
      ["seed", props.seeds, files.seeds],
    ] as const
  ) {
    for (const [name, entry] of entries) {
      const node = nodes.find((n) => n.name === name);
      if (node) node.props = entry;
      else {
        const guess = closest(name, nodes.map((n) => n.name));
        entry.file.report(
          [...entry.path, "name"],
          `no ${kind} "${name}" in the project${guess ? ` (did you mean "${guess}"?)` : ""}`,
        );
      }
    }
  }
  const sources = new Map<string, SourceTable>(
    props.sources.map((s) => [`${s.source}.${s.table}`, s]),
  );

  const jinja = new DbtJinja(dbt.project, files.macros);
  for (const i of jinja.issues) {
    issues.push({ message: i.message, location: { file: i.path, line: i.line } });
  }
  const run: RunContext = {
    dbt,
    vars: config.vars,
    startedAt: new Date(),
    invocationId: crypto.randomUUID(),
    path: config.warehouse,
    threads: config.threads,
  };

  /** The functions and values of one node's templates. */
  const nodeContext = (
    node: { kind: string; name: string; path: string; fqn?: string[]; file?: NodeFile },
    phase: 1 | 2,
    recorded: { configs: NodeConfig[]; relations: string[] },
  ): Record<string, unknown> => {
    const self = node.file;
    const current = () =>
      self
        ? mergeNodeConfigs([self.config, ...recorded.configs])
        : mergeNodeConfigs(recorded.configs);
    const relation = {
      database: dbt.target.database,
      schema: self?.schema ?? dbt.target.schema,
      identifier: self?.alias ?? node.name,
      name: self?.alias ?? node.name,
      table: self?.alias ?? node.name,
    };
    return {
      ...commonContext(jinja, run, phase),
      ref: (...args: unknown[]) => {
        const { positional, kwargs } = splitArgs(args);
        const at = /ref\s*\(/;
        if ("v" in kwargs || "version" in kwargs) {
          jinja.problem(`ref() with a version: model versions are not run by wharf yet`, at);
          return "";
        }
        if (positional.length === 2 && positional[0] !== dbt.project) {
          jinja.problem(
            `ref("${String(positional[0])}", "${
              String(positional[1])
            }"): packages are not run by wharf yet`,
            at,
          );
          return "";
        }
        const name = String(positional[positional.length - 1] ?? "").toLowerCase();
        const target = byName.get(name);
        const named = new RegExp(
          `ref\\(\\s*(['"]${escapeRe(dbt.project)}['"]\\s*,\\s*)?['"]${escapeRe(name)}['"]`,
          "i",
        );
        if (!target) {
          const guess = closest(name, [...byName.keys()]);
          jinja.problem(
            `ref("${name}"): no model or seed named "${name}"${
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
        if (phase === 2 && !target.id) return quote(name);
        if (target.id) recorded.relations.push(target.id);
        return target.sql ?? quote(name);
      },
      source: (...args: unknown[]) => {
        const { positional } = splitArgs(args);
        const [src, table] = positional.map(String);
        const found = sources.get(`${src}.${table}`);
        if (!found) {
          const guess = closest(`${src}.${table}`, [...sources.keys()]);
          jinja.problem(
            `source("${src}", "${table}"): no such table in the project's sources:${
              guess ? ` (did you mean "${guess}"?)` : " declare it in a properties file"
            }`,
            new RegExp(`source\\(\\s*['"]${escapeRe(src ?? "")}['"]`),
          );
          return "";
        }
        recorded.relations.push(found.relation);
        return found.sql;
      },
      config: (...args: unknown[]) => {
        if (phase === 2 && self) return "";
        const { positional, kwargs } = splitArgs(args);
        const raw = { ...(positional[0] as Record<string, unknown> ?? {}), ...kwargs };
        if (node.kind === "test") {
          recorded.configs.push({ meta: raw });
          return "";
        }
        recorded.configs.push(
          readNodeConfig(
            raw,
            "model",
            (key, message) => jinja.problem(`config(${key}=…): ${message}`, /config\s*\(/),
          ),
        );
        return "";
      },
      __wharf_config_get: (key: unknown, fallback: unknown = null) => {
        const value = (current() as Record<string, unknown>)[String(key)];
        return value === undefined ? plain(fallback) : value;
      },
      __wharf_config_require: (key: unknown) => {
        const value = (current() as Record<string, unknown>)[String(key)];
        if (value === undefined) {
          jinja.problem(`config.require("${String(key)}"): it is not set`, /config\.require/);
        }
        return value ?? "";
      },
      this: phase === 2 && self?.sql ? self.sql : quote(node.name),
      __wharf_this: relation,
      model: {
        name: node.name,
        alias: relation.identifier,
        schema: relation.schema,
        database: relation.database,
        resource_type: node.kind,
        package_name: dbt.project,
        unique_id: `${node.kind}.${dbt.project}.${node.name}`,
        path: node.path,
        original_file_path: node.path,
        fqn: node.fqn ?? [dbt.project, node.name],
        tags: current().tags ?? [],
        config: current(),
      },
    };
  };

  // First pass: each model's config() calls.
  const texts = new Map<string, string>();
  await Promise.all(
    [
      ...files.models,
      ...files.tests.map((path) => ({ path })),
      ...files.analyses.map((path) => ({ path })),
    ].map(async (n) => {
      texts.set(n.path, await Deno.readTextFile(join(root, n.path)));
    }),
  );
  for (const m of files.models) {
    if (!m.ok) continue;
    m.config = mergeNodeConfigs([...modelTree.configsFor(m.fqn), m.props?.config ?? {}]);
    const recorded = { configs: [] as NodeConfig[], relations: [] as string[] };
    try {
      jinja.render(m.path, texts.get(m.path)!, nodeContext({ ...m, file: m }, 1, recorded));
      m.config = mergeNodeConfigs([m.config, ...recorded.configs]);
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      m.ok = false;
      issues.push({
        message: `Cannot render the SQL: ${err.message}`,
        location: { file: m.path, line: err.line },
      });
    }
  }
  for (const s of files.seeds) {
    s.config = mergeNodeConfigs([...seedTree.configsFor(s.fqn), s.props?.config ?? {}]);
  }

  // Names: generate_schema_name and generate_alias_name, the project's when it has them.
  const generated = (macro: string, custom: string | undefined, node: NodeFile): string => {
    const nodeValue = {
      name: node.name,
      resource_type: node.kind,
      path: node.path,
      original_file_path: node.path,
      fqn: node.fqn,
      config: node.config,
      tags: node.config.tags ?? [],
      package_name: dbt.project,
      unique_id: `${node.kind}.${dbt.project}.${node.name}`,
    };
    if (!jinja.hasMacro(macro)) {
      if (macro === "generate_schema_name") {
        return custom === undefined ? dbt.target.schema : `${dbt.target.schema}_${custom.trim()}`;
      }
      return custom ? custom.trim() : node.name;
    }
    const definition = jinja.macros.find((d) => d.name === macro)!;
    const arg = macro === "generate_schema_name" ? "custom_schema_name" : "custom_alias_name";
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
  const relations = new Map<string, NodeFile>();
  for (const n of [...files.models, ...files.seeds]) {
    if (!n.ok || n.config.enabled === false) continue;
    try {
      n.schema = generated("generate_schema_name", n.config.schema, n);
      n.alias = generated("generate_alias_name", n.config.alias, n);
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      n.ok = false;
      issues.push({
        message: `Cannot name the relation of ${n.name}: ${err.message}`,
        location: { file: n.path },
      });
      continue;
    }
    if (!n.schema || !n.alias) {
      n.ok = false;
      issues.push({
        message: `The relation of ${n.name} has an empty ${
          n.schema ? "alias" : "schema"
        }: check generate_schema_name and generate_alias_name`,
        location: { file: n.path },
      });
      continue;
    }
    const id = `${n.schema}.${n.alias}`.toLowerCase();
    if (RESERVED.includes(n.schema.toLowerCase())) {
      n.ok = false;
      issues.push({
        message:
          `${n.name} would build in schema "${n.schema}", which wharf keeps for itself: set another +schema`,
        location: { file: n.path },
      });
      continue;
    }
    const first = relations.get(id);
    if (first) {
      n.ok = false;
      issues.push({
        message:
          `${n.name} and ${first.name} (${first.path}) both build ${id}: give one another alias or schema`,
        location: { file: n.path },
      });
      continue;
    }
    relations.set(id, n);
    n.id = id;
    n.sql = `${quote(n.schema)}.${quote(n.alias)}`;
  }

  // Second pass: the SQL, through the render hook.
  const byPath = new Map<string, NodeFile>(files.models.map((m) => [m.path, m]));
  const testRecords = new Map<string, { configs: NodeConfig[]; relations: string[] }>();
  const modelRecords = new Map<string, string[]>();
  const hook: RenderHook = (path, text, context) => {
    const file = byPath.get(path);
    const recorded = { configs: [] as NodeConfig[], relations: [] as string[] };
    if (file) modelRecords.set(file.id!, recorded.relations);
    else testRecords.set(path, recorded);
    const name = file?.name ?? basename(path, extname(path)).toLowerCase();
    return jinja.render(
      path,
      text,
      nodeContext({ kind: context.kind, name, path, file, fqn: file?.fqn }, 2, recorded),
    );
  };
  const models = files.models.filter((m) => m.ok && m.id && m.config.enabled !== false);
  const { rendered, issues: renderIssues } = await renderSql(
    [
      ...models.map((m) => ({ path: m.path, kind: "model" as const, id: m.id! })),
      ...files.tests.map((path) => ({
        path,
        kind: "test" as const,
        id: `test.${basename(path, ".sql")}`,
      })),
    ],
    hook,
    { vars: config.vars, root },
  );
  issues.push(...renderIssues);
  for (const path of files.analyses) {
    try {
      jinja.render(
        path,
        texts.get(path)!,
        nodeContext({ kind: "analysis", name: basename(path, ".sql"), path }, 2, {
          configs: [],
          relations: [],
        }),
      );
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      issues.push({
        message: `Cannot render the SQL: ${err.message}`,
        location: { file: path, line: err.line },
      });
    }
  }

  // Hooks render as the node's SQL does ({{ this }} its relation), once every relation is named.
  const hooksOf = (n: NodeFile): NodeHooks | undefined => {
    const render = (sql: string) => {
      try {
        return jinja.render(
          n.path,
          sql,
          nodeContext({ ...n, file: n }, 2, { configs: [], relations: [] }),
        ).text;
      } catch (err) {
        if (!(err instanceof RenderProblem)) throw err;
        issues.push({
          message: `Cannot render a hook of ${n.name} (${sql.trim()}): ${err.message}`,
          location: { file: n.path },
        });
        return "";
      }
    };
    const pre = (n.config.pre_hook ?? []).map(render).filter((h) => h.trim() !== "");
    const post = (n.config.post_hook ?? []).map(render).filter((h) => h.trim() !== "");
    return pre.length || post.length ? { pre, post } : undefined;
  };
  const withHooks = (n: NodeFile): { hooks?: NodeHooks } => {
    // As in dbt, an ephemeral model is not built, so hooks set for a whole folder skip it.
    if (findMaterialization(n.config.materialized ?? "view")?.inlined) return {};
    const hooks = hooksOf(n);
    return hooks ? { hooks } : {};
  };
  const contracts = new Map<string, SettledContract>();
  for (const m of models) {
    const materialization = findMaterialization(m.config.materialized ?? "view");
    if (!materialization) continue;
    const enforced = m.config.contract?.enforced ?? false;
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
    models: models.filter((m) => rendered.has(m.path)).map((m): ConfiguredModel => ({
      kind: "model",
      id: m.id!,
      layer: m.schema!.toLowerCase(),
      name: m.alias!.toLowerCase(),
      path: m.path,
      description: m.props?.description ?? "",
      columns: m.props?.columns ?? [],
      config: {
        materialized: m.config.materialized ?? "view",
        uniqueKey: [],
        tags: m.config.tags ?? [],
        enabled: true,
        options: {},
      },
      checks: [],
      ...(contracts.get(m.id!)?.contract ? { contract: contracts.get(m.id!)!.contract } : {}),
      ...withHooks(m),
    })),
    seeds: [],
    genericTests: [],
    singularTests: files.tests.filter((p) => rendered.has(p)).map((path): ConfiguredTest => {
      const name = basename(path, ".sql").toLowerCase();
      const entry = props.tests.get(name);
      const recorded = mergeNodeConfigs(testRecords.get(path)?.configs ?? []);
      const severity = String(recorded.meta?.severity ?? entry?.severity ?? "error").toLowerCase();
      return {
        id: `test.${name}`,
        name,
        path,
        description: entry?.description ?? "",
        severity: severity === "warn" ? "warn" : "error",
      };
    }),
    entries: new Map(),
    issues: [],
  };
  const seeds: SeedNode[] = files.seeds.filter((s) => s.ok && s.id).map((s) => ({
    kind: "seed",
    id: s.id!,
    name: s.alias!.toLowerCase(),
    path: s.path,
    description: s.props?.description ?? "",
    columns: s.props?.columns ?? [],
    columnTypes: s.config.column_types ?? {},
    tags: s.config.tags ?? [],
    ...withHooks(s),
  }));
  const parsed = await parseNodes(configured, rendered, options.parse ?? parseSql);
  for (const m of parsed.models) {
    const seen = new Set(m.refs.map((r) => r.relation));
    for (const relation of new Set(modelRecords.get(m.id) ?? [])) {
      if (!seen.has(relation)) m.checkRefs.push({ relation, offset: 0, line: 1 });
    }
  }

  // Generic tests of models, seeds and sources.
  const tests: GenericTestNode[] = [];
  const used = new Set<string>(configured.singularTests.map((t) => t.name));
  const resolveRead = (to: string): string => {
    const src = /^source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)$/.exec(to);
    if (src) return sources.get(`${src[1]}.${src[2]}`)?.relation ?? to;
    return byName.get(to)?.id ?? to;
  };
  const addTests = (
    owner: string,
    prefix: string,
    declared: readonly DeclaredTest[],
    file: YamlFile,
    source = false,
  ) => {
    const counts = new Map<string, number>();
    for (const t of declared) {
      const index = (counts.get(t.test.kind) ?? 0) + 1;
      counts.set(t.test.kind, index);
      const test = { ...t.test, reads: t.test.reads.map(resolveRead) };
      const suffix = testKind(test.kind)?.nameSuffix(test, index) ?? "";
      const kind = source ? `source_${test.kind}` : test.kind;
      const base = `${kind}_${prefix}${test.column ? `_${test.column}` : ""}${suffix}`
        .toLowerCase().replace(/[^a-z0-9_]+/g, "_");
      let name = base;
      for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
      used.add(name);
      tests.push({
        kind: "generic_test",
        id: `test.${name}`,
        name,
        attachedTo: owner,
        test,
        severity: t.severity as Severity,
        location: file.locate(t.path),
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
    addTests(s.relation, `${s.source}_${s.table}`, s.tests, s.file, true);
  }

  // on-run-start/on-run-end render with the project's context (no node's).
  const renderRunHook = (sql: string) => {
    try {
      return jinja.render(DBT_PROJECT_FILE, sql, commonContext(jinja, run, 2)).text;
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      issues.push({
        message: `Cannot render a hook (${sql.trim()}): ${err.message}`,
        location: { file: DBT_PROJECT_FILE },
      });
      return "";
    }
  };
  const runHooks = config.runHooks && {
    start: config.runHooks.start.map(renderRunHook).filter((h) => h.trim() !== ""),
    end: config.runHooks.end.map(renderRunHook).filter((h) => h.trim() !== ""),
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
      if (found) return { relation: found.relation };
      const guess = closest(`${d.source}.${d.table}`, [...sources.keys()]);
      return {
        problem: `source("${d.source}", "${d.table}"): no such table in the project's sources${
          guess ? ` (did you mean "${guess}"?)` : ""
        }`,
      };
    }
    const name = d.ref.toLowerCase();
    const target = byName.get(name);
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

  const yamlIssues = [...props.files, projectFile].flatMap((f) =>
    [...f.issues].sort((a, b) => (a.location.line ?? 0) - (b.location.line ?? 0))
  );
  return {
    config,
    models: parsed.models,
    seeds,
    tests: [...tests, ...parsed.tests],
    macros: [],
    declaredSources: [...new Set(props.sources.map((s) => s.relation))],
    ...(runHooks ? { runHooks } : {}),
    ...(exposures.length ? { exposures } : {}),
    issues: [...issues, ...yamlIssues, ...parsed.issues],
  };
}
