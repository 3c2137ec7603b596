/**
 * The docs manifest: every node of the project with what an analyst needs
 * to know about it (description, columns with types as built, tests and
 * their last status, SQL as written and compiled, lineage, rows, rejected
 * rows with samples, last build), the edges, a precomputed layout, and the
 * run history. Machine-readable (`manifest.json`) and the data of the site.
 *
 * A dbt node configured `docs: { show: false }` is left out (as dbt's docs
 * site leaves it out), with its edges.
 *
 * It is published (`wharf serve` answers it at `/docs/manifest.json`), so it
 * holds no absolute path (paths are relative to the project root, others
 * are reduced to their file name) and no sample rows of a model tagged
 * `pii` or reading one (a model, seed or dbt source tagged `pii`, directly
 * or not).
 *
 * @module
 */
import type { CompiledProject } from "../engine/compile/compile_project.ts";
import type { Warehouse } from "../engine/db/warehouse.ts";
import { quoteRelation, relationIdSql, splitRelation } from "../engine/db/sql.ts";
import type { ProjectNode, SourceNode } from "../engine/types.ts";
import { relationOf } from "../engine/graph/build_graph.ts";
import { builtMaterialization } from "../engine/materializations/index.ts";
import { type Layout, layoutGraph } from "./layout.ts";
import { relativePaths } from "./relative_paths.ts";

/** A column as documented and as built. */
export interface ManifestColumn {
  name: string;
  type: string | null;
  description: string;
  tests: { name: string; status: string | null }[];
  /** Upstream `relation.column`s it is read from (direct references only). */
  lineage: string[];
}

/** One node of the docs. */
export interface ManifestNode {
  id: string;
  kind: "source" | "seed" | "model" | "test" | "api" | "exposure";
  layer: string;
  name: string;
  description: string;
  path: string | null;
  materialized: string | null;
  tags: string[];
  sql: string | null;
  compiled_sql: string | null;
  columns: ManifestColumn[];
  upstream: string[];
  downstream: string[];
  rows: number | null;
  rejected: Record<string, number> | null;
  /** Values set to NULL per `nullify` check (recorded in `<model>__rejected_values`). */
  nullified: Record<string, number> | null;
  rejected_samples: Record<string, unknown>[];
  /** Why `rejected_samples` is empty although rows were rejected (e.g. the model is tagged `pii`). */
  samples_withheld: string | null;
  last_run:
    | { status: string; duration_ms: number; ended_at: string; message: string | null }
    | null;
  /** Landing manifest of a raw table: its files. */
  files: {
    file_name: string;
    status: string;
    rows: number;
    rejected_rows: number;
    error: string | null;
  }[];
  checks: { name: string; expression: string; on_fail: string; column: string | null }[];
  /** An exposure's own keys (`exposures:` in YAML). */
  exposure?: {
    type: string;
    label: string | null;
    owner: { name?: string; email?: string };
    url: string | null;
    maturity: string | null;
  };
}

/** The whole manifest. */
export interface Manifest {
  /** Version of this format. */
  manifest_version: 2;
  generated_at: string;
  project: string;
  nodes: ManifestNode[];
  edges: [string, string][];
  /** The graph's columns, left to right, each with its nodes top to bottom. */
  layout: Layout;
  runs: {
    run_id: string;
    command: string;
    started_at: string;
    ended_at: string | null;
    status: string | null;
    nodes: number | null;
    errors: number | null;
    results: { node_id: string; status: string; duration_ms: number }[];
  }[];
}

/**
 * An API endpoint and the relation it reads: a node of the lineage graph
 * downstream of that relation. Whoever builds the docs says which there are
 * (the server's from `serve.coalesce`).
 */
export interface ApiNode {
  /** Node id, `api.<name>`. */
  id: string;
  /** As shown: method and path. */
  name: string;
  description: string;
  /** The relation it reads (`schema.name`); a node that reads none of the project's is left out. */
  reads: string;
}

/** Options of {@linkcode buildManifest}. */
export interface BuildManifestOptions {
  /** API endpoints to draw downstream of the relations they read. */
  apiNodes?: readonly ApiNode[];
}

const LAYER_OF: Record<ProjectNode["kind"], (n: ProjectNode) => string> = {
  source: (n) => splitRelation((n as SourceNode).relation).schema,
  seed: () => "seeds",
  model: (n) => (n as { layer: string }).layer,
  generic_test: () => "tests",
  singular_test: () => "tests",
  unit_test: () => "tests",
  exposure: () => "exposures",
  analysis: () => "analyses",
};

/**
 * The rows of `sql`, or none when there is no warehouse or one of `tables`
 * (`schema.name` or `catalog.schema.name`, which `sql` reads) does not
 * exist in it yet (nothing landed or built): the docs of a new project
 * still build.
 */
async function queryBuilt(
  db: Warehouse | undefined,
  tables: readonly string[],
  sql: string,
): Promise<Record<string, unknown>[]> {
  if (!db) return [];
  for (const table of tables) {
    const { catalog, schema, name } = splitRelation(table);
    const found = await db.query(
      "SELECT 1 FROM information_schema.tables WHERE table_catalog = coalesce(?, current_database()) AND table_schema = ? AND table_name = ?",
      [catalog ?? null, schema, name],
    );
    if (found.length === 0) return [];
  }
  return await db.query(sql);
}

/**
 * Builds the manifest of `cp`, reading what was built from `db` (a
 * read-only warehouse or snapshot) when there is one.
 */
export async function buildManifest(
  cp: CompiledProject,
  db: Warehouse | undefined,
  options: BuildManifestOptions = {},
): Promise<Manifest> {
  const { graph, project } = cp;
  const types = new Map<string, Map<string, string>>();
  for (
    const r of await queryBuilt(
      db,
      [],
      `SELECT ${
        relationIdSql("table_catalog", "table_schema", "table_name")
      } AS rel, column_name, data_type FROM information_schema.columns ORDER BY ordinal_position`,
    )
  ) {
    const rel = String(r.rel);
    if (!types.has(rel)) types.set(rel, new Map());
    types.get(rel)!.set(String(r.column_name), String(r.data_type));
  }
  const last = new Map<string, Record<string, unknown>>();
  for (
    const r of await queryBuilt(
      db,
      ["wharf.run_results"],
      `SELECT node_id, status, duration_ms, ended_at::VARCHAR AS ended_at, rows::DOUBLE AS rows, message, check_counts::VARCHAR AS check_counts, nullified_counts::VARCHAR AS nullified_counts
       FROM wharf.run_results WHERE status <> 'skipped' QUALIFY row_number() OVER (PARTITION BY node_id ORDER BY ended_at DESC) = 1`,
    )
  ) last.set(String(r.node_id), r);
  const files = new Map<string, ManifestNode["files"]>();
  for (
    const r of await queryBuilt(
      db,
      ["wharf.files"],
      "SELECT raw_table, file_name, status, rows::DOUBLE AS rows, rejected_rows::DOUBLE AS rejected_rows, error FROM wharf.files ORDER BY batch_id",
    )
  ) {
    const list = files.get(String(r.raw_table)) ?? [];
    list.push({
      file_name: String(r.file_name),
      status: String(r.status),
      rows: Number(r.rows ?? 0),
      rejected_rows: Number(r.rejected_rows ?? 0),
      error: (r.error as string) ?? null,
    });
    files.set(String(r.raw_table), list);
  }

  const lastRun = (run: Record<string, unknown> | undefined): ManifestNode["last_run"] =>
    run
      ? {
        status: String(run.status),
        duration_ms: Number(run.duration_ms),
        ended_at: String(run.ended_at),
        message: (run.message as string) ?? null,
      }
      : null;
  const bare = (
    n:
      & Pick<ManifestNode, "id" | "kind" | "layer" | "name" | "description" | "upstream">
      & Partial<ManifestNode>,
  ): ManifestNode => ({
    path: null,
    materialized: null,
    tags: [],
    sql: null,
    compiled_sql: null,
    columns: [],
    downstream: [],
    rows: null,
    rejected: null,
    nullified: null,
    rejected_samples: [],
    samples_withheld: null,
    last_run: null,
    files: [],
    checks: [],
    ...n,
  });
  const testsOf = (id: string) =>
    project.tests.filter((t) => t.kind === "generic_test" && t.attachedTo === id);
  const withheld = piiReasons(cp);
  // Left out of the site: nodes with `docs: {show: false}`, and dbt's analyses (SQL compiled, never built).
  const hidden = new Set(
    [...graph.nodes.values()].filter((n) =>
      n.kind === "analysis" ||
      "dbtConfig" in n && (n.dbtConfig?.docs as { show?: boolean } | undefined)?.show === false
    ).map((n) => n.id),
  );
  const shown = (ids: readonly string[]) => ids.filter((i) => !hidden.has(i));
  const nodes: ManifestNode[] = [];
  for (const id of graph.order) {
    const n = graph.nodes.get(id)!;
    if (
      n.kind === "generic_test" || n.kind === "singular_test" || n.kind === "unit_test" ||
      n.kind === "analysis" || hidden.has(id)
    ) continue;
    const c = cp.compiled.get(id);
    // A declared source's node reads a relation named otherwise.
    const relation = relationOf(n) ?? id;
    const built = types.get(relation);
    const documented = n.kind === "model" || n.kind === "seed" ? n.columns : [];
    const names = [...new Set([...(built?.keys() ?? []), ...documented.map((d) => d.name)])];
    const tests = testsOf(id);
    const columns: ManifestColumn[] = names.map((name) => ({
      name,
      type: built?.get(name) ?? null,
      description: documented.find((d) => d.name === name)?.description ?? "",
      tests: tests.filter((t) => t.kind === "generic_test" && t.test.column === name).map((t) => ({
        name: t.name,
        status: (last.get(t.id)?.status as string) ?? null,
      })),
      lineage: n.kind === "model" ? lineageOf(n.columnLineage, name, types) : [],
    }));
    const run = last.get(id);
    const rejected = run?.check_counts
      ? JSON.parse(String(run.check_counts)) as Record<string, number>
      : null;
    const samplesWithheld = withheld.get(id) ?? null;
    const samples = rejected && Object.values(rejected).some((v) => v > 0) && n.kind === "model" &&
        !samplesWithheld
      ? await queryBuilt(
        db,
        [`${n.id}__rejected`],
        `SELECT * FROM ${quoteRelation(n.layer, `${n.name}__rejected`, n.catalog)} LIMIT 5`,
      )
      : [];
    nodes.push({
      id,
      kind: n.kind,
      layer: LAYER_OF[n.kind](n),
      name: n.name,
      description: n.kind === "source"
        ? `Landed table (${files.get(relation)?.length ?? 0} files)`
        : n.description,
      path: "path" in n ? n.path : null,
      materialized: n.kind === "model"
        ? builtMaterialization(n).name
        : n.kind === "seed"
        ? "seed"
        : null,
      tags: n.kind === "model" || n.kind === "exposure"
        ? (n.kind === "model" ? n.config.tags : n.tags)
        : n.kind === "seed"
        ? n.tags
        : [],
      sql: n.kind === "model" ? n.sql : null,
      compiled_sql: c?.kind === "model" ? c.sql || c.select : c?.kind === "seed" ? c.sql : null,
      columns,
      upstream: shown(graph.parents.get(id) ?? []).filter((p) => !p.startsWith("test.")),
      downstream: shown(graph.children.get(id) ?? []).filter((p) => !p.startsWith("test.")),
      rows: run?.rows === undefined || run.rows === null ? null : Number(run.rows),
      rejected,
      nullified: run?.nullified_counts
        ? JSON.parse(String(run.nullified_counts)) as Record<string, number>
        : null,
      rejected_samples: samples,
      samples_withheld: samplesWithheld,
      last_run: lastRun(run),
      files: files.get(relation) ?? [],
      checks: n.kind === "model"
        ? n.checks.map((k) => ({
          name: k.name,
          expression: k.expression,
          on_fail: k.onFail,
          column: k.column ?? null,
        }))
        : [],
      ...(n.kind === "exposure"
        ? {
          exposure: {
            type: n.type,
            label: n.label ?? null,
            owner: n.owner,
            url: n.url ?? null,
            maturity: n.maturity ?? null,
          },
        }
        : {}),
    });
  }
  for (const t of project.tests) {
    if (t.kind !== "singular_test") continue;
    const run = last.get(t.id);
    nodes.push(bare({
      id: t.id,
      kind: "test",
      layer: "tests",
      name: t.name,
      description: t.description,
      path: t.path,
      sql: t.sql,
      upstream: shown(graph.parents.get(t.id) ?? []),
      rows: run?.rows === undefined || run.rows === null ? null : Number(run.rows),
      last_run: lastRun(run),
    }));
  }
  for (const api of options.apiNodes ?? []) {
    if (!graph.nodes.has(api.reads) || hidden.has(api.reads)) continue;
    nodes.push(
      bare({
        id: api.id,
        kind: "api",
        layer: "api",
        name: api.name,
        description: api.description,
        upstream: [api.reads],
      }),
    );
    nodes.find((n) => n.id === api.reads)?.downstream.push(api.id);
  }
  const ids = new Set(nodes.map((n) => n.id));
  const edges: [string, string][] = nodes.flatMap((n) =>
    n.upstream.filter((u) => ids.has(u)).map((u) => [u, n.id] as [string, string])
  );
  const runs = await queryBuilt(
    db,
    ["wharf.runs"],
    "SELECT run_id, command, started_at::VARCHAR AS started_at, ended_at::VARCHAR AS ended_at, status, nodes, errors FROM wharf.runs ORDER BY started_at DESC LIMIT 20",
  );
  const results = await queryBuilt(
    db,
    ["wharf.runs", "wharf.run_results"],
    "SELECT run_id, node_id, status, duration_ms FROM wharf.run_results WHERE run_id IN (SELECT run_id FROM wharf.runs ORDER BY started_at DESC LIMIT 20) ORDER BY started_at",
  );
  return relativePaths<Manifest>(
    {
      manifest_version: 2,
      generated_at: new Date().toISOString(),
      project: project.config.name,
      nodes,
      edges,
      layout: layoutGraph(nodes, edges),
      runs: runs.map((r) => ({
        run_id: String(r.run_id),
        command: String(r.command),
        started_at: String(r.started_at),
        ended_at: (r.ended_at as string) ?? null,
        status: (r.status as string) ?? null,
        nodes: r.nodes === null ? null : Number(r.nodes),
        errors: r.errors === null ? null : Number(r.errors),
        results: results.filter((x) => x.run_id === r.run_id && !hidden.has(String(x.node_id)))
          .map((x) => ({
            node_id: String(x.node_id),
            status: String(x.status),
            duration_ms: Number(x.duration_ms),
          })),
      })),
    },
    project.config.root,
    ["name", "description"],
  );
}

/**
 * Models whose sample rows must not be published, with the reason: those
 * tagged `pii` and those reading a model, seed or source (a dbt project's
 * `sources:` take tags) tagged `pii`, directly or not.
 */
function piiReasons(cp: CompiledProject): Map<string, string> {
  const tagged = (id: string) => {
    const n = cp.graph.nodes.get(id);
    const tags = n?.kind === "model"
      ? n.config.tags
      : n?.kind === "seed" || n?.kind === "source"
      ? n.tags ?? []
      : [];
    return tags.some((t) => t.toLowerCase() === "pii");
  };
  // In dependency order, so a node's parents are settled before it.
  const origin = new Map<string, string>();
  const reasons = new Map<string, string>();
  for (const id of cp.graph.order) {
    const parent = (cp.graph.parents.get(id) ?? []).find((p) => origin.has(p));
    if (tagged(id)) origin.set(id, id);
    else if (parent) origin.set(id, origin.get(parent)!);
    else continue;
    reasons.set(id, tagged(id) ? "tagged pii" : `upstream ${origin.get(id)} is tagged pii`);
  }
  return reasons;
}

/**
 * The upstream columns of a model's column `name`: those its SQL names, or
 * those a `*` passes through (`relation.*` → `relation.<name>`); a relation
 * whose built columns are known keeps only the columns it has (one side of
 * a `union all by name` may lack it).
 */
function lineageOf(
  lineage: Readonly<Record<string, string[]>>,
  name: string,
  built: ReadonlyMap<string, ReadonlyMap<string, unknown>>,
): string[] {
  const column = name.toLowerCase();
  const refs = lineage[column] ?? (lineage["*"] ?? []).map((r) => `${r.slice(0, -1)}${column}`);
  return refs.filter((ref) => {
    const dot = ref.lastIndexOf(".");
    const columns = built.get(ref.slice(0, dot));
    return !columns || [...columns.keys()].some((k) => k.toLowerCase() === ref.slice(dot + 1));
  });
}
