/**
 * dbt's `target/manifest.json` (schema v12) for any wharf project, dbt or
 * plain SQL: every model, seed, test, analysis, source and macro with its
 * unique id (`model.<project>.<name>`), file, checksum, config, columns, raw
 * SQL and, for what the invocation compiled, the compiled SQL and its file
 * under target/compiled/, dependencies, and the parent and child maps. Tools that read
 * dbt's artifacts (docs viewers, observability, orchestrators) read it, and
 * `--state` compares two of them.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { basename, extname, join, relative } from "node:path";
import type { CompiledProject } from "../compile/compile_project.ts";
import type { EngineConfig } from "../config.ts";
import { quoteIdent, splitRelation } from "../db/sql.ts";
import { pathInPackage } from "../compile/target_paths.ts";
import { builtMaterialization, isSnapshot, writtenOptions } from "../materializations/index.ts";
import { dbtGlobalMacros } from "./dbt_global_macros.ts";
import { dbtName } from "../graph/dbt_name.ts";
import { DBT_VERSION } from "../dbt/dbt_version.ts";
import type { Hook } from "../dbt/node_config.ts";
import type {
  ColumnDoc,
  FreshnessRule,
  FreshnessThreshold,
  GenericTestNode,
  HookSql,
  ModelNode,
  ProjectNode,
  SeedNode,
  UnitTestData,
} from "../types.ts";

/** The dbt version whose artifacts wharf writes (manifest v12, run results v6, catalog v1). */
export { DBT_VERSION };

/** Where dbt publishes each artifact's JSON schema; the `dbt_schema_version` of each. */
export const DBT_SCHEMAS = {
  manifest: "https://schemas.getdbt.com/dbt/manifest/v12.json",
  runResults: "https://schemas.getdbt.com/dbt/run-results/v6.json",
  catalog: "https://schemas.getdbt.com/dbt/catalog/v1.json",
  sources: "https://schemas.getdbt.com/dbt/sources/v3.json",
} as const;

/** A node of the manifest, as JSON. */
export type ManifestEntry = Record<string, unknown> & {
  unique_id: string;
  resource_type: string;
  name: string;
};

/** A macro of the manifest, as JSON. */
export interface ManifestMacro {
  unique_id: string;
  name: string;
  macro_sql: string;
  [key: string]: unknown;
}

/** The manifest, as JSON (the parts wharf fills in). */
export interface DbtManifest {
  metadata: Record<string, unknown>;
  nodes: Record<string, ManifestEntry>;
  sources: Record<string, ManifestEntry>;
  macros: Record<string, ManifestMacro>;
  /** Unit tests (absent from manifests written before wharf recorded them). */
  unit_tests?: Record<string, ManifestEntry>;
  parent_map: Record<string, string[]>;
  child_map: Record<string, string[]>;
  [key: string]: unknown;
}

/** Options of {@linkcode dbtManifest}. */
export interface DbtManifestOptions {
  /** The invocation's id (a UUID), shared with run_results.json. */
  invocationId: string;
  /** When the invocation started. */
  startedAt: Date;
  /**
   * The nodes this invocation compiled (as `compiledFiles` gives them), by
   * node id: its compiled file relative to the project root, or null when
   * it has none (a snapshot). Absent: none (`ls`, as dbt's parse).
   */
  compiled?: ReadonlyMap<string, string | null>;
}

/** The project's name as dbt packages are named: the dbt project's, or the wharf project's. */
export function packageName(config: EngineConfig): string {
  return config.dbt?.project ?? (config.name.toLowerCase().replace(/[^a-z0-9_]+/g, "_") || "wharf");
}

/**
 * The dbt package a node comes from: in a dbt project, a package's name for
 * its models, seeds, tests and sources (the first part of their fqn), else
 * the project's.
 */
function packageOf(n: ProjectNode, config: EngineConfig): string {
  const pkg = packageName(config);
  if (!config.dbt) return pkg;
  if ((n.kind === "model" || n.kind === "seed") && n.package) return n.package;
  if (n.kind === "source" || n.kind === "generic_test" || n.kind === "singular_test") {
    return n.fqn?.[0] ?? pkg;
  }
  return pkg;
}

/** The warehouse's database name as dbt-duckdb gives it: its file name without extension. */
export function databaseName(config: EngineConfig): string {
  if (config.dbt) return config.dbt.target.database;
  const spec = config.warehouse.replace(/^(md|ducklake):/, "");
  return basename(spec, extname(spec)).replace(/^:|:$/g, "") || "memory";
}

/** The `metadata` every artifact starts with. */
export function artifactMetadata(
  schema: string,
  options: { invocationId: string; startedAt: Date },
): Record<string, unknown> {
  return {
    dbt_schema_version: schema,
    dbt_version: DBT_VERSION,
    generated_at: new Date().toISOString(),
    invocation_id: options.invocationId,
    invocation_started_at: options.startedAt.toISOString(),
    env: {},
  };
}

/** SHA-256 of a text, in hex. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * A node's `docs` as dbt writes it: its `docs:` config (`show: false` keeps
 * it out of the docs site, not out of the manifest).
 */
function docsOf(n: ProjectNode): { show: boolean; node_color: string | null } {
  const docs = "dbtConfig" in n
    ? n.dbtConfig?.docs as { show?: boolean; node_color?: string } | undefined
    : undefined;
  return { show: docs?.show ?? true, node_color: docs?.node_color ?? null };
}

/** A node's `meta` (dbt projects: its config's, merged from every level); `{}` without. */
function metaOf(n: ProjectNode): Record<string, unknown> {
  if (n.kind === "source") return n.meta ?? {};
  const meta = "dbtConfig" in n ? n.dbtConfig?.meta : undefined;
  return typeof meta === "object" && meta !== null ? meta as Record<string, unknown> : {};
}

/** The configs of a dbt node dbt records as they are set (and wharf reads): absent when unset. */
const RECORDED_CONFIGS = [
  "access",
  "group",
  "full_refresh",
  "persist_docs",
  "sql_header",
  "event_time",
];

/** A node's configs of {@linkcode RECORDED_CONFIGS} as set (dbt projects). */
function recordedConfigs(n: ProjectNode): Record<string, unknown> {
  const config = "dbtConfig" in n ? n.dbtConfig : undefined;
  const custom = config?.custom;
  return {
    ...(typeof custom === "object" && custom !== null ? custom : {}),
    ...Object.fromEntries(
      RECORDED_CONFIGS.filter((k) => config?.[k] !== undefined).map((k) => [k, config![k]]),
    ),
  };
}

/** The group a node is in (dbt's `group` config), or null. */
function groupOf(n: ProjectNode): string | null {
  const group = "dbtConfig" in n ? n.dbtConfig?.group : undefined;
  return typeof group === "string" ? group : null;
}

/** A hook as dbt's manifest records one (dbt leaves `index` unset for a node's hooks). */
interface ManifestHook {
  sql: string;
  transaction: boolean;
  index: null;
}

/**
 * A node's `pre-hook` and `post-hook` as dbt's manifest records them: each
 * a list of `{sql, transaction, index}`, however written (one statement, a
 * list, mappings). A dbt project's as written, in their order; a plain
 * project's in the order they run (`transaction: false` pre-hooks first,
 * post-hooks last).
 */
function hooksOf(
  n: ModelNode | SeedNode,
): { "post-hook": ManifestHook[]; "pre-hook": ManifestHook[] } {
  const hook = (sql: string, transaction: boolean): ManifestHook => ({
    sql,
    transaction,
    index: null,
  });
  const written = n.dbtConfig as { pre_hook?: Hook[]; post_hook?: Hook[] } | undefined;
  if (written) {
    return {
      "post-hook": (written.post_hook ?? []).map((h) => hook(h.sql, h.transaction)),
      "pre-hook": (written.pre_hook ?? []).map((h) => hook(h.sql, h.transaction)),
    };
  }
  // A plain-SQL project's hooks are SQL (a dbt project's are read as written, above).
  const h = n.hooks;
  const text = (h: HookSql) => "sql" in h ? h.sql : h.template;
  return {
    "post-hook": [
      ...(h?.post ?? []).map((sql) => hook(text(sql), true)),
      ...(h?.afterCommit ?? []).map((sql) => hook(text(sql), false)),
    ],
    "pre-hook": [
      ...(h?.beforeBegin ?? []).map((sql) => hook(text(sql), false)),
      ...(h?.pre ?? []).map((sql) => hook(text(sql), true)),
    ],
  };
}

/**
 * Where a node's configs say it is built, as written (dbt's `database`,
 * `schema` and `alias` configs, null when not set; its top-level fields are
 * the relation they resolve to): a dbt project's configs, a plain project's
 * attached database (its schema is its folder, its name its file's, neither
 * configured).
 */
function placementOf(n: ModelNode | SeedNode): {
  alias: string | null;
  schema: string | null;
  database: string | null;
} {
  const written = n.dbtConfig as { alias?: string; schema?: string; database?: string } | undefined;
  if (written) {
    return {
      alias: written.alias ?? null,
      schema: written.schema ?? null,
      database: written.database ?? null,
    };
  }
  return { alias: null, schema: null, database: n.catalog ?? null };
}

/**
 * The checksum of a model's enforced contract, as dbt keeps one (null
 * without): its columns by name with their types and constraints, its
 * materialization and its constraints. `state:modified.contract` compares it.
 */
function contractChecksum(n: ModelNode): string | null {
  if (!n.contract) return null;
  const columns = [...n.contract.columns].sort((a, b) => a.name.localeCompare(b.name));
  const on = (column: string) =>
    n.contract!.constraints.filter((c) => c.columns.length === 1 && c.columns[0] === column);
  const state = columns.map((c) => `|${c.name}${c.dataType}${JSON.stringify(on(c.name))}`)
    .join("");
  return sha256(`${state}${n.config.materialized}${JSON.stringify(n.contract.constraints)}`);
}

/** A freshness rule as the manifest records one (an unset threshold: `count` and `period` null). */
function freshnessEntry(rule: FreshnessRule): Record<string, unknown> {
  const time = (t: FreshnessThreshold | undefined) => ({
    count: t?.count ?? null,
    period: t?.period ?? null,
  });
  return {
    warn_after: time(rule.warnAfter),
    error_after: time(rule.errorAfter),
    filter: rule.filter ?? null,
  };
}

/** A unit test's rows as the manifest records them: `dict` rows, or the text of a CSV or SQL. */
function fixture(data: UnitTestData): { rows: unknown; format: string; fixture: null } {
  return {
    rows: data.format === "dict" ? data.rows : data.format === "csv" ? data.csv : data.sql,
    format: data.format,
    fixture: null,
  };
}

/** dbt's `group_map`: each group's nodes, by unique id. */
function groupMap(nodes: Record<string, ManifestEntry>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [id, node] of Object.entries(nodes)) {
    const group = (node as { group?: unknown }).group;
    if (typeof group === "string") (out[group] ??= []).push(id);
  }
  return out;
}

/** JSON with its keys sorted, so equal values give equal texts (and checksums). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
        : v,
  );
}

/** dbt's resource type of a model node: `snapshot` for one of snapshots/, else `model`. */
function modelType(n: ModelNode): "model" | "snapshot" {
  return isSnapshot(n) ? "snapshot" : "model";
}

/**
 * The unique id of each node of the project, by wharf id: `model.<project>.<name>`,
 * `snapshot.…`, `seed.…`, `test.…`, `unit_test.<project>.<model>.<name>`,
 * `source.<project>.<source>.<table>` (a
 * plain project's sources are named by their schema:
 * `source.<project>.raw.<table>`). Two models (or snapshots) of one name in
 * different layers of a plain project are told apart by their layer:
 * `model.<project>.<layer>.<name>`.
 */
export function uniqueIds(cp: CompiledProject): Map<string, string> {
  const config = cp.project.config;
  const pkg = packageName(config);
  const out = new Map<string, string>();
  const names = new Map<string, number>();
  const key = (n: ModelNode) => `${modelType(n)}.${packageOf(n, config)}.${dbtName(n)}`;
  for (const n of cp.graph.nodes.values()) {
    if (n.kind === "model") names.set(key(n), (names.get(key(n)) ?? 0) + 1);
  }
  for (const n of cp.graph.nodes.values()) {
    switch (n.kind) {
      case "model": {
        const name = dbtName(n);
        out.set(
          n.id,
          `${modelType(n)}.${packageOf(n, config)}.${
            names.get(key(n))! > 1 ? `${n.layer}.` : ""
          }${name}`,
        );
        break;
      }
      case "seed":
        out.set(n.id, `seed.${packageOf(n, config)}.${dbtName(n)}`);
        break;
      case "source": {
        // A plain-SQL project's sources (nodes of their relation) are named by the relation.
        const t = n.id === n.relation ? undefined : n.declared?.[0];
        const { catalog, schema, name } = splitRelation(n.relation);
        out.set(
          n.id,
          t
            ? `source.${packageOf(n, config)}.${t.source}.${t.table}`
            : `source.${pkg}.${catalog ? `${catalog}.` : ""}${schema}.${name}`,
        );
        break;
      }
      case "exposure":
        out.set(n.id, `exposure.${pkg}.${n.name}`);
        break;
      case "analysis":
        out.set(n.id, `analysis.${pkg}.${n.fqn.at(-1) ?? n.name}`);
        break;
      case "unit_test": {
        const model = cp.graph.nodes.get(n.model);
        out.set(n.id, `unit_test.${pkg}.${model ? dbtName(model) : n.model}.${n.name}`);
        break;
      }
      default:
        out.set(n.id, `test.${packageOf(n, config)}.${n.name}`);
    }
  }
  return out;
}

/**
 * The macros a text calls (by name, or named in a string as `adapter.dispatch`
 * does: then its `duckdb__` and `default__` forms), with the macros they call.
 * With `jinja`, only the text's Jinja (`{{ … }}`, `{% … %}`) calls: a dbt
 * project's SQL may call a DuckDB function of a dbt macro's name (`concat`).
 */
function macrosCalled(
  text: string,
  macros: ReadonlyMap<string, ManifestMacro>,
  jinja = false,
): string[] {
  const found = new Set<string>();
  const visit = (body: string) => {
    const calls = jinja ? (body.match(/\{\{[^]*?\}\}|\{%[^]*?%\}/g) ?? []).join("\n") : body;
    for (const m of macros.values()) {
      if (found.has(m.unique_id)) continue;
      const name = m.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      // `adapter.dispatch('x')` calls duckdb__x or default__x.
      const dispatched = /^(?:duckdb|default)__(.+)$/.exec(name)?.[1];
      // dbt's own macros are called by name or as dbt.name, never as a method (`x.replace(…)`).
      const call = m.package_name === "dbt"
        ? `(?<![\\w.])${name}\\s*\\(|\\bdbt\\.${name}\\s*\\(`
        : `\\b${name}\\s*\\(`;
      if (new RegExp(`${call}|['"]${dispatched ?? name}['"]`, "i").test(calls)) {
        found.add(m.unique_id);
        visit(m.macro_sql);
      }
    }
  };
  visit(text);
  return [...found].sort();
}

/** A macro's manifest entry. */
function macroEntry(
  id: { name: string; package: string },
  file: { path: string; root: string },
  sql: string,
): ManifestMacro {
  return {
    unique_id: `macro.${id.package}.${id.name}`,
    name: id.name,
    resource_type: "macro",
    package_name: id.package,
    path: file.root ? relative(file.root, file.path) : file.path,
    original_file_path: file.path,
    macro_sql: sql,
    depends_on: { macros: [] },
    description: "",
    meta: {},
    docs: { show: true, node_color: null },
    patch_path: null,
    arguments: [],
    created_at: 0,
    supported_languages: ["sql"],
  };
}

/** dbt's own macros (see `dbt_global_macros.ts`), as the manifest records them. */
function dbtMacroEntries(): Map<string, ManifestMacro> {
  return new Map(
    [...dbtGlobalMacros()].map(([name, sql]) => {
      const path = `macros/${name}.sql`;
      const entry = macroEntry({ name, package: "dbt" }, { path, root: "" }, sql);
      return [entry.unique_id, entry];
    }),
  );
}

/**
 * The project's macros: dbt's Jinja macros (one per `{% macro %}`, and per
 * `{% test name %}` as `test_name`, as dbt records them), or each DuckDB
 * macro of `sql/macros/`; each with the macros it calls (among them and, in
 * a dbt project, `dbt`'s).
 */
function macroEntries(
  cp: CompiledProject,
  pkg: string,
  dbtMacros: ReadonlyMap<string, ManifestMacro>,
): Map<string, ManifestMacro> {
  const out = new Map<string, ManifestMacro>();
  const add = (name: string, path: string, sql: string, root: string, from = pkg) => {
    const entry = macroEntry({ name, package: from }, { path, root }, sql);
    out.set(entry.unique_id, entry);
  };
  const { project } = cp;
  for (const file of project.templateMacros ?? []) {
    const re = /\{%-?\s*(macro|test)\s+([A-Za-z_]\w*)\s*\(/g;
    // dbt records a macro's file by its path within its package, as both path and original_file_path.
    const path = pathInPackage(project, file.package, file.path);
    for (const m of file.text.matchAll(re)) {
      const end = new RegExp(`\\{%-?\\s*end${m[1]}\\s*-?%\\}`).exec(file.text.slice(m.index));
      const sql = end
        ? file.text.slice(m.index, m.index + end.index + end[0].length)
        : file.text.slice(m.index);
      add(m[1] === "test" ? `test_${m[2]}` : m[2]!, path, sql, "", file.package);
    }
  }
  // A plain project's DuckDB macros: each file's path under the macro folder.
  const root = relative(project.config.root, project.config.paths.macros);
  for (const file of project.macros) {
    const re =
      /create\s+(?:or\s+replace\s+)?(?:temp(?:orary)?\s+)?macro\s+(?:"?\w+"?\.)?"?(\w+)"?/gi;
    for (const m of file.sql.matchAll(re)) add(m[1]!.toLowerCase(), file.path, file.sql, root);
  }
  // Each macro's own calls.
  const dbt = project.config.dbt !== undefined;
  for (const m of out.values()) {
    const others = new Map([...out, ...dbtMacros].filter(([id]) => id !== m.unique_id));
    m.depends_on = { macros: macrosCalled(m.macro_sql, others, dbt) };
  }
  return out;
}

function columnsOf(columns: readonly ColumnDoc[]): Record<string, unknown> {
  return Object.fromEntries(
    columns.map((c) => [c.name, {
      name: c.name,
      description: c.description,
      meta: c.meta ?? {},
      data_type: c.dataType ?? null,
      constraints: [],
      quote: null,
      tags: c.tags ?? [],
    }]),
  );
}

/** A node's code as compiled: a model's SELECT, a test's query, an analysis's SQL. */
function compiledCode(cp: CompiledProject, id: string): string | undefined {
  const c = cp.compiled.get(id);
  if (c?.kind === "model") return c.select;
  if (c?.kind === "test") return c.query;
  return cp.project.analyses?.find((a) => a.id === id)?.sql;
}

/**
 * The fields saying whether a node was compiled, as dbt writes them: by
 * this invocation, with its code and its file under target/compiled/ (null:
 * none, as for a snapshot), or not (`code` undefined).
 */
function compiledState(code: string | undefined, path: string | null = null) {
  return {
    compiled_path: code === undefined ? null : path,
    compiled: code !== undefined,
    compiled_code: code ?? null,
    extra_ctes_injected: code !== undefined,
  };
}

/**
 * The manifest with the nodes of `compiled` (see
 * {@linkcode DbtManifestOptions.compiled}) recorded as compiled by this
 * invocation: their code, and their file under target/compiled/. A node
 * without compiled fields (a seed, a unit test) is left as it is.
 */
export function recordCompiled(
  manifest: DbtManifest,
  cp: CompiledProject,
  compiled: ReadonlyMap<string, string | null>,
): DbtManifest {
  const ids = uniqueIds(cp);
  const nodes = { ...manifest.nodes };
  for (const [id, path] of compiled) {
    const uid = ids.get(id);
    const entry = uid === undefined ? undefined : nodes[uid];
    if (!entry || !("compiled" in entry)) continue;
    nodes[uid!] = { ...entry, ...compiledState(compiledCode(cp, id), path) };
  }
  return { ...manifest, nodes };
}

/** A file's text, or "" when it cannot be read (a node whose file is gone). */
async function readText(root: string, path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path.startsWith("/") ? path : join(root, path));
  } catch {
    return "";
  }
}

/** The JSON test name dbt gives a wharf test kind. */
function testName(kind: string): string {
  return kind === "expression" ? "expression_is_true" : kind;
}

/**
 * The unique ids of a plain-SQL project's sources that several `sources:`
 * tables name (one node, the relation they read): one per name,
 * `source.<project>.<source>.<table>`, the first being the node's own (see
 * {@linkcode uniqueIds}), as dbt gives each declared table its own. By node id.
 */
export function sourceNameIds(cp: CompiledProject): Map<string, string[]> {
  const pkg = packageName(cp.project.config);
  const out = new Map<string, string[]>();
  for (const n of cp.graph.nodes.values()) {
    if (n.kind !== "source" || n.id !== n.relation || (n.declared?.length ?? 0) < 2) continue;
    out.set(n.id, n.declared!.map((d) => `source.${pkg}.${d.source}.${d.table}`));
  }
  return out;
}

/**
 * Builds the manifest of a compiled project.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { compileProject } from "../compile/compile_project.ts";
 * import { dbtManifest } from "./dbt_manifest.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/models/marts`, { recursive: true });
 * await Deno.writeTextFile(`${root}/models/marts/a.sql`, "select 1 as id");
 * await Deno.writeTextFile(`${root}/models/marts/b.sql`, "select * from marts.a");
 * const cp = await compileProject(resolveEngineConfig(root, { name: "shop" }, []));
 * const m = await dbtManifest(cp, { invocationId: crypto.randomUUID(), startedAt: new Date() });
 * assert.deepEqual(m.parent_map["model.shop.b"], ["model.shop.a"]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function dbtManifest(
  cp: CompiledProject,
  options: DbtManifestOptions,
): Promise<DbtManifest> {
  const { project, graph } = cp;
  const config = project.config;
  const pkg = packageName(config);
  const database = databaseName(config);
  const ids = uniqueIds(cp);
  const uid = (id: string) => ids.get(id)!;
  const named = sourceNameIds(cp);
  /** A node's unique ids: its own, or one per name of a plain project's source that has several. */
  const uids = (id: string) => named.get(id) ?? [uid(id)];
  const dbt = config.dbt !== undefined;
  const dbtMacros = dbtMacroEntries();
  const macros = macroEntries(cp, pkg, dbt ? dbtMacros : new Map());
  /** What a node's code may call: the project's macros and, in a dbt project, dbt's. */
  const callable = dbt ? new Map([...macros, ...dbtMacros]) : macros;
  const dbtPaths = config.dbt?.paths;
  /** A file of node `n`'s package by its path within that package, as dbt records it. */
  const within = (n: ProjectNode, file: string) =>
    pathInPackage(project, packageOf(n, config), file);
  /** A node's path relative to the folder of its kind, and its fqn. */
  const place = (
    path: string,
    kind: "model" | "seed" | "test" | "snapshot",
  ): [string, string[]] => {
    const roots = kind === "model"
      ? dbtPaths?.models ?? [relative(config.root, config.paths.models)]
      : kind === "seed"
      ? dbtPaths?.seeds ?? [relative(config.root, config.paths.models)]
      : kind === "snapshot"
      // A properties file defining snapshots may be in any resource folder.
      ? [
        ...dbtPaths?.snapshots ?? [relative(config.root, config.paths.snapshots)],
        ...dbtPaths?.models ?? [],
        ...dbtPaths?.seeds ?? [],
      ]
      : dbtPaths?.tests ?? [relative(config.root, config.paths.tests)];
    const root = roots.find((r) => path.startsWith(`${r}/`));
    const rel = root ? path.slice(root.length + 1) : path;
    const parts = rel.replace(/\.(sql|csv)$/, "").split("/");
    return [rel, [pkg, ...parts]];
  };
  /** A model's or seed's path under its package's folder of its kind, and its fqn (dbt's, when it has one). */
  const placeNode = (n: ModelNode | SeedNode, kind: "model" | "seed"): [string, string[]] => {
    const [path, fqn] = place(n.path, kind);
    if (!n.fqn) return [path, fqn];
    return [n.package ? `${n.fqn.slice(1).join("/")}${extname(n.path)}` : path, n.fqn];
  };
  const relationName = (id: string) => {
    const { catalog, schema, name } = splitRelation(id);
    return [catalog ?? database, schema, name].map(quoteIdent).join(".");
  };
  const common = (n: ProjectNode) => {
    const { catalog, schema, name } = splitRelation(n.id);
    return {
      database: catalog ?? database,
      schema,
      alias: name,
      package_name: packageOf(n, config),
      unique_id: uid(n.id),
      meta: metaOf(n),
      group: groupOf(n),
      docs: docsOf(n),
      patch_path: null,
      build_path: null,
      // Its configs as written (dbt projects), which state:modified compares.
      unrendered_config: "unrenderedConfig" in n ? n.unrenderedConfig ?? {} : {},
      created_at: options.startedAt.getTime() / 1000,
      config_call_dict: {},
      unrendered_config_call_dict: {},
      doc_blocks: [],
    };
  };
  const dependsOn = (id: string, code: string) => ({
    macros: macrosCalled(code, callable, dbt),
    nodes: (graph.parents.get(id) ?? []).flatMap(uids),
  });
  const refsAndSources = (id: string) => {
    const refs: { name: string; package: null; version: null }[] = [];
    const sources: string[][] = [];
    for (const u of (graph.parents.get(id) ?? []).flatMap(uids).map((u) => u.split("."))) {
      if (u[0] === "source") sources.push(u.slice(2));
      else refs.push({ name: u.slice(2).join("."), package: null, version: null });
    }
    return { refs, sources, metrics: [], functions: [] };
  };
  /**
   * A generic test's `test_metadata` as dbt writes it: its test's name (a
   * custom test's own, not wharf's kind), its arguments as given (rendered)
   * with `column_name` and `model`, and the package of a package's test.
   */
  const testMetadata = (n: GenericTestNode) => {
    const attached = graph.nodes.get(n.attachedTo);
    const sourceName = attached?.kind === "source" ? uid(attached.id).split(".") : undefined;
    const model = sourceName
      ? `source('${sourceName[2]}', '${sourceName.slice(3).join(".")}')`
      : `ref('${attached ? dbtName(attached) : n.attachedTo}')`;
    const custom = n.test.kind === "rendered"
      ? n.test.args as { test: string; arguments: Record<string, unknown>; package?: string }
      : undefined;
    return {
      name: custom ? custom.test.slice(custom.test.indexOf(".") + 1) : testName(n.test.kind),
      kwargs: {
        ...(custom ? custom.arguments : n.test.args),
        ...(n.test.column ? { column_name: n.test.column } : {}),
        model: `{{ get_where_subquery(${model}) }}`,
      },
      namespace: custom?.package ?? null,
    };
  };
  /** A node not compiled yet (see {@linkcode recordCompiled}). */
  const compiledFields = {
    ...compiledState(undefined),
    extra_ctes: [],
    contract: { enforced: false, alias_types: true, checksum: null },
  };

  /**
   * A model's (or snapshot's) config as the manifest records it: its
   * configs as written (a dbt project's merged from its levels, a plain
   * project's YAML) but `materialized`, what builds it (`table` for a
   * model with row checks), and null for what it does not set, as dbt
   * leaves them (`incremental_strategy` among them: not the default wharf
   * runs).
   */
  const configOf = (n: ModelNode, materialized: string) => {
    const snapshot = isSnapshot(n);
    return {
      enabled: n.config.enabled,
      ...placementOf(n),
      tags: n.config.tags,
      meta: metaOf(n),
      materialized,
      incremental_strategy: null,
      ...hooksOf(n),
      unique_key: n.config.writtenUniqueKey ?? null,
      ...(snapshot
        ? {
          strategy: null,
          target_schema: null,
          target_database: null,
          updated_at: null,
          check_cols: null,
        }
        : {}),
      ...writtenOptions(n),
      docs: docsOf(n),
      contract: { enforced: n.contract !== undefined, alias_types: true },
      ...recordedConfigs(n),
    };
  };
  /**
   * A snapshot as dbt records one: its fqn has its file's name (a `{% snapshot %}`
   * file) or its YAML file's folders; its code is its block's (a file may hold
   * several), or for one defined in YAML `select * from` its relation, with a
   * path named after it beside its YAML file.
   */
  const snapshotEntry = async (n: ModelNode): Promise<ManifestEntry> => {
    const raw = n.rawCode ?? await textOf(n.path);
    const [rel, fileFqn] = place(n.path, "snapshot");
    const name = dbtName(n);
    const inYaml = /\.ya?ml$/i.test(n.path);
    const fqn = n.fqn ?? (inYaml ? [...fileFqn.slice(0, -1), name] : [...fileFqn, name]);
    return {
      ...common(n),
      name,
      resource_type: "snapshot",
      path: inYaml ? `${rel}/${name}.sql` : rel,
      original_file_path: within(n, n.path),
      fqn,
      checksum: { name: "sha256", checksum: sha256(raw) },
      config: configOf(n, "snapshot"),
      tags: n.config.tags,
      description: n.description,
      columns: columnsOf(n.columns),
      relation_name: relationName(n.id),
      raw_code: raw,
      language: "sql",
      ...refsAndSources(n.id),
      depends_on: dependsOn(n.id, raw),
      ...compiledFields,
    };
  };

  const nodes: Record<string, ManifestEntry> = {};
  const sources: Record<string, ManifestEntry> = {};
  const exposures: Record<string, ManifestEntry> = {};
  // The files whose text it records (code, checksums), read at once rather than one by one.
  const reads = new Map<string, Promise<string>>();
  const textOf = (path: string) => {
    let text = reads.get(path);
    if (!text) {
      const known = cp.project.texts?.get(path);
      reads.set(
        path,
        text = known === undefined ? readText(config.root, path) : Promise.resolve(known),
      );
    }
    return text;
  };
  for (const n of graph.nodes.values()) {
    if (
      (n.kind === "model" && n.rawCode === undefined) || n.kind === "seed" ||
      n.kind === "singular_test" || n.kind === "analysis"
    ) textOf(n.path);
  }
  const unitTests: Record<string, ManifestEntry> = {};
  for (const id of graph.order) {
    const n = graph.nodes.get(id)!;
    switch (n.kind) {
      case "model": {
        if (isSnapshot(n)) {
          nodes[uid(id)] = await snapshotEntry(n);
          break;
        }
        const raw = await textOf(n.path);
        const [path, fqn] = placeNode(n, "model");
        const materialized = builtMaterialization(n).name;
        nodes[uid(id)] = {
          ...common(n),
          name: dbtName(n),
          resource_type: "model",
          path,
          original_file_path: within(n, n.path),
          fqn,
          checksum: { name: "sha256", checksum: sha256(raw) },
          config: configOf(n, materialized),
          tags: n.config.tags,
          description: n.description,
          columns: columnsOf(n.columns),
          relation_name: materialized === "ephemeral" ? null : relationName(id),
          raw_code: raw,
          language: "sql",
          ...refsAndSources(id),
          depends_on: dependsOn(id, raw),
          ...compiledFields,
          contract: {
            enforced: n.contract !== undefined,
            alias_types: true,
            checksum: contractChecksum(n),
          },
          access: (n.dbtConfig?.access as string | undefined) ?? "protected",
          constraints: (n.contract?.constraints ?? []).map((c) => ({
            type: c.type,
            name: c.name ?? null,
            expression: c.expression ?? null,
            warn_unenforced: true,
            warn_unsupported: true,
            to: null,
            to_columns: [],
            columns: c.columns,
          })),
          version: null,
          latest_version: null,
          deprecation_date: null,
          primary_key: n.config.uniqueKey,
        };
        break;
      }
      case "seed": {
        const raw = await textOf(n.path);
        const [path, fqn] = placeNode(n, "seed");
        nodes[uid(id)] = {
          ...common(n),
          name: dbtName(n),
          resource_type: "seed",
          path,
          original_file_path: within(n, n.path),
          fqn,
          checksum: { name: "sha256", checksum: sha256(raw) },
          config: {
            enabled: true,
            ...placementOf(n),
            materialized: "seed",
            tags: n.tags,
            ...hooksOf(n),
            column_types: n.columnTypes,
            delimiter: n.delimiter ?? ",",
            quote_columns: (n.dbtConfig?.quote_columns as boolean | undefined) ?? null,
            meta: metaOf(n),
            docs: docsOf(n),
            contract: { enforced: false, alias_types: true },
            ...recordedConfigs(n),
          },
          tags: n.tags,
          description: n.description,
          columns: columnsOf(n.columns),
          relation_name: relationName(id),
          raw_code: "",
          // The folder of its package (dbt's `root_path`), the project's own.
          root_path: join(config.root, project.packageDirs?.[packageOf(n, config)] ?? ""),
          depends_on: { macros: [] },
        };
        break;
      }
      case "generic_test":
      case "singular_test": {
        const generic = n.kind === "generic_test";
        const meta = generic ? testMetadata(n) : undefined;
        const raw = generic
          ? `{{ ${meta!.namespace ? `${meta!.namespace}.` : ""}test_${
            meta!.name
          }(**_dbt_generic_test_kwargs) }}`
          : await textOf(n.path);
        const file = generic ? n.location.file : n.path;
        const [path, placed] = generic
          ? [`${n.fileName ?? n.name}.sql`, [pkg, ...place(file, "model")[1].slice(1, -1), n.name]]
          : place(file, "test");
        const fqn = n.fqn ?? placed;
        nodes[uid(id)] = {
          ...common(n),
          database,
          schema: "wharf_failures",
          alias: n.name,
          name: n.name,
          resource_type: "test",
          path,
          original_file_path: within(n, file),
          fqn,
          // A generic test's body: its code and its arguments as written (a ref() unresolved).
          checksum: {
            name: "sha256",
            checksum: sha256(generic ? canonicalJson({ raw, kwargs: meta!.kwargs }) : raw),
          },
          config: {
            enabled: true,
            materialized: "test",
            severity: n.severity.toUpperCase(),
            tags: n.config?.tags ?? [],
            meta: {},
            schema: "wharf_failures",
            store_failures: n.config?.storeFailures ?? true,
            store_failures_as: n.config?.storeFailuresAs ?? null,
            fail_calc: n.config?.failCalc ?? "count(*)",
            warn_if: n.config?.warnIf ?? "!= 0",
            error_if: n.config?.errorIf ?? "!= 0",
            where: n.config?.where ?? null,
            limit: n.config?.limit ?? null,
          },
          tags: n.config?.tags ?? [],
          description: generic ? "" : n.description,
          columns: {},
          relation_name: null,
          raw_code: raw,
          language: "sql",
          ...refsAndSources(id),
          depends_on: generic
            ? {
              // A generic test calls its test's macro, and get_where_subquery on what it tests.
              macros: [
                ...new Set([
                  ...(n.test.kind === "rendered"
                    ? macrosCalled(raw, callable, true)
                    : [`macro.dbt.test_${meta!.name}`]),
                  "macro.dbt.get_where_subquery",
                ]),
              ].sort(),
              nodes: (graph.parents.get(id) ?? []).flatMap(uids),
            }
            : dependsOn(id, raw),
          ...compiledFields,
          ...(generic
            ? {
              column_name: n.test.column ?? null,
              file_key_name: `${
                graph.nodes.get(n.attachedTo)?.kind === "source" ? "sources" : "models"
              }.${dbtName(graph.nodes.get(n.attachedTo) ?? n)}`,
              attached_node: graph.nodes.get(n.attachedTo)?.kind === "source"
                ? null
                : uid(n.attachedTo),
              test_metadata: meta,
            }
            : {}),
        };
        break;
      }
      case "unit_test": {
        const model = graph.nodes.get(n.model);
        const [path, fileFqn] = place(n.path, "model");
        const overrides = {
          macros: n.macros,
          vars: n.vars,
          env_vars: n.envVars,
        };
        const definition = {
          model: model ? dbtName(model) : n.model,
          given: n.given.map((g) => ({ input: g.input, ...fixture(g.data) })),
          expect: fixture(n.expect),
          overrides: Object.values(overrides).some((o) => Object.keys(o).length) ? overrides : null,
        };
        unitTests[uid(id)] = {
          ...definition,
          name: n.name,
          resource_type: "unit_test",
          package_name: packageOf(n, config),
          path,
          original_file_path: within(n, n.path),
          unique_id: uid(id),
          // dbt's: the project, the folders of the YAML file, the model, the test.
          fqn: [...fileFqn.slice(0, -1), definition.model, n.name],
          description: n.description,
          depends_on: { macros: [], nodes: (graph.parents.get(id) ?? []).flatMap(uids) },
          config: { tags: n.tags, meta: {}, enabled: true },
          checksum: sha256(canonicalJson(definition)),
          created_at: options.startedAt.getTime() / 1000,
          versions: null,
          version: null,
        };
        break;
      }
      case "analysis": {
        // As dbt 1.9 records one: its path under `analysis/`, the target's schema, nothing built.
        const raw = await textOf(n.path);
        nodes[uid(id)] = {
          ...common(n),
          database: config.dbt?.target.buildInto ?? database,
          schema: config.dbt?.target.schema ?? "main",
          alias: n.fqn.at(-1) ?? n.name,
          name: n.fqn.at(-1) ?? n.name,
          resource_type: "analysis",
          path: [...n.fqn.slice(1, -1), basename(n.path)].join("/"),
          original_file_path: within(n, n.path),
          fqn: n.fqn,
          checksum: { name: "sha256", checksum: sha256(raw) },
          config: {
            enabled: true,
            materialized: "view",
            tags: [],
            meta: {},
            docs: { show: true, node_color: null },
            contract: { enforced: false, alias_types: true },
          },
          tags: [],
          description: "",
          columns: {},
          relation_name: null,
          raw_code: raw,
          language: "sql",
          ...refsAndSources(id),
          depends_on: dependsOn(id, raw),
          ...compiledFields,
        };
        break;
      }
      case "exposure": {
        const { refs, sources: read } = refsAndSources(id);
        const [path, fileFqn] = place(n.path, "model");
        exposures[uid(id)] = {
          name: n.name,
          resource_type: "exposure",
          package_name: packageOf(n, config),
          path,
          original_file_path: within(n, n.path),
          unique_id: uid(id),
          // dbt's: the project, the folders of the YAML file, the exposure's name.
          fqn: [...fileFqn.slice(0, -1), n.name],
          type: n.type,
          owner: { email: n.owner.email ?? null, name: n.owner.name ?? null },
          description: n.description,
          label: n.label ?? null,
          maturity: n.maturity ?? null,
          meta: n.meta ?? {},
          tags: n.tags,
          config: { enabled: true, tags: n.tags, meta: n.meta ?? {} },
          unrendered_config: {},
          url: n.url ?? null,
          depends_on: { macros: [], nodes: (graph.parents.get(id) ?? []).flatMap(uids) },
          refs,
          sources: read,
          metrics: [],
          created_at: options.startedAt.getTime() / 1000,
        };
        break;
      }
      case "source": {
        const table = project.sourceTables?.find((t) => t.id === id);
        const { catalog, schema, name } = splitRelation(n.relation);
        const tags = n.tags ?? [];
        // A plain project's relation: an entry per name its sources: tables give it.
        const names = n.id === n.relation ? n.declared : undefined;
        for (const [i, u] of uids(id).entries()) {
          const d = names?.[i];
          const declared = project.sources?.find((s) =>
            d ? s.id === undefined && s.source === d.source && s.table === d.table : s.id === id
          );
          const [, , ...rest] = u.split(".");
          const sourceName = table?.source ?? d?.source ?? rest.slice(0, -1).join(".");
          const tableName = table?.table ?? d?.table ?? name;
          const file = table?.path ?? declared?.location.file ?? "";
          const loads = {
            loaded_at_field: declared?.loadedAtField ?? null,
            loaded_at_query: declared?.loadedAtQuery ?? null,
            freshness: declared?.freshness ? freshnessEntry(declared.freshness) : null,
          };
          sources[u] = {
            database: catalog ?? database,
            schema,
            name: tableName,
            resource_type: "source",
            package_name: packageOf(n, config),
            path: within(n, file),
            original_file_path: within(n, file),
            unique_id: u,
            fqn: n.fqn ?? [pkg, sourceName, tableName],
            source_name: sourceName,
            source_description: table?.sourceDescription ?? "",
            loader: table?.loader ?? "",
            identifier: name,
            quoting: { database: null, schema: null, identifier: null, column: null },
            ...loads,
            external: null,
            description: table?.description ?? "",
            columns: columnsOf(table?.columns ?? []),
            meta: metaOf(n),
            source_meta: table?.sourceMeta ?? {},
            tags,
            // dbt-duckdb's configs (external_location, formatter) are dbt's extra configs.
            config: { enabled: true, meta: metaOf(n), tags, ...loads, ...table?.extra },
            patch_path: null,
            unrendered_config: {},
            // As written: its database when it names one (else the target's), its schema.
            unrendered_database: table?.written ? table.written.database : catalog ?? null,
            unrendered_schema: table?.written?.schema ?? schema,
            // dbt-duckdb's relation of a source with an external_location is the file it reads.
            relation_name: n.external ?? relationName(n.relation),
            created_at: options.startedAt.getTime() / 1000,
            doc_blocks: [],
          };
        }
        break;
      }
    }
  }

  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = {};
  for (const id of graph.order) {
    for (const u of uids(id)) {
      parentMap[u] = (graph.parents.get(id) ?? []).flatMap(uids);
      childMap[u] = (graph.children.get(id) ?? []).flatMap(uids).sort();
    }
  }
  // dbt's own macros that some node or macro calls join the project's.
  const called = new Set(
    [...Object.values(nodes), ...macros.values()].flatMap((e) =>
      (e.depends_on as { macros?: string[] } | undefined)?.macros ?? []
    ),
  );
  for (const [id, m] of dbtMacros) {
    if (!called.has(id)) continue;
    const others = new Map([...dbtMacros].filter(([other]) => other !== id));
    macros.set(id, { ...m, depends_on: { macros: macrosCalled(m.macro_sql, others, true) } });
  }
  for (const m of macros.keys()) childMap[m] ??= [];
  const manifest: DbtManifest = {
    metadata: {
      ...artifactMetadata(DBT_SCHEMAS.manifest, options),
      project_name: pkg,
      project_id: createHash("md5").update(pkg).digest("hex"),
      user_id: null,
      send_anonymous_usage_stats: false,
      adapter_type: "duckdb",
    },
    nodes,
    sources,
    macros: Object.fromEntries(macros),
    docs: Object.fromEntries((cp.project.docsBlocks ?? []).map((b) => {
      const id = `doc.${b.package ?? pkg}.${b.name}`;
      const file = pathInPackage(project, b.package, b.path);
      return [id, {
        name: b.name,
        resource_type: "doc",
        package_name: b.package ?? pkg,
        // dbt's: the file's path under its resource folder, and from the project root.
        path: file.split("/").slice(1).join("/") || file,
        original_file_path: file,
        unique_id: id,
        block_contents: b.text,
      }];
    })),
    exposures,
    metrics: {},
    groups: Object.fromEntries(
      (cp.project.groups ?? []).map((g) => {
        const id = `group.${g.package ?? pkg}.${g.name}`;
        return [id, {
          name: g.name,
          resource_type: "group",
          package_name: g.package ?? pkg,
          path: pathInPackage(project, g.package, g.path),
          original_file_path: pathInPackage(project, g.package, g.path),
          unique_id: id,
          owner: g.owner,
          description: g.description || null,
          config: { meta: g.meta },
        }];
      }),
    ),
    selectors: {},
    disabled: {},
    parent_map: parentMap,
    child_map: childMap,
    group_map: groupMap(nodes),
    saved_queries: {},
    semantic_models: {},
    unit_tests: unitTests,
  };
  return options.compiled ? recordCompiled(manifest, cp, options.compiled) : manifest;
}

/**
 * Writes an artifact to `<target>/<name>` whole or not at all (a killed run
 * leaves the previous file): into a temporary file, then renamed.
 *
 * @returns the file's path.
 */
export async function writeArtifact(
  config: EngineConfig,
  name: string,
  value: unknown,
): Promise<string> {
  await Deno.mkdir(config.paths.target, { recursive: true });
  const file = join(config.paths.target, name);
  const temporary = `${file}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(temporary, JSON.stringify(value));
  await Deno.rename(temporary, file);
  return file;
}

/** Writes `manifest` to `<target>/manifest.json`; returns the file's path. */
export function writeDbtManifest(config: EngineConfig, manifest: DbtManifest): Promise<string> {
  return writeArtifact(config, "manifest.json", manifest);
}

/**
 * Builds the manifest of `cp` for a new invocation and writes it to
 * `<target>/manifest.json`; `compiled`: the nodes it compiled (see
 * {@linkcode DbtManifestOptions.compiled}).
 */
export async function writeManifestOf(
  cp: CompiledProject,
  compiled?: ReadonlyMap<string, string | null>,
): Promise<DbtManifest> {
  const manifest = await dbtManifest(cp, {
    invocationId: crypto.randomUUID(),
    startedAt: new Date(),
    compiled,
  });
  await writeDbtManifest(cp.project.config, manifest);
  return manifest;
}
