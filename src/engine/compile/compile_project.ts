/**
 * The whole front half of the pipeline: load the project, resolve its graph,
 * compile every node; and the plan and `target/` files derived from it.
 *
 * @module
 */
import { dirname, join, relative } from "node:path";
import type { EngineConfig } from "../config.ts";
import { CompileError, formatLocation, type ProjectIssue } from "../errors.ts";
import { ancestorsOf, buildGraph, type Graph, runParents } from "../graph/build_graph.ts";
import { type NamedSelector, readSelectors } from "../graph/read_selectors.ts";
import { loadProject, type LoadProjectOptions } from "../project/load_project.ts";
import type {
  AnalysisNode,
  NodeHookRenderer,
  OperationMacro,
  Project,
  RunHookRenderer,
  WarehouseRenderer,
} from "../types.ts";
import type { RenderedSql } from "../project/render.ts";
import { type CompiledNode, compileNode } from "./compile.ts";
import { compileUnitTest } from "./compile_unit_test.ts";
import { materialization } from "../materializations/index.ts";
import { targetPaths } from "./target_paths.ts";

/** A project with its graph and every node compiled. */
export interface CompiledProject {
  project: Project;
  graph: Graph;
  compiled: Map<string, CompiledNode>;
  /** With `deferMissingSources`: raw tables referenced but not landed (their source nodes), and where. */
  missing: Map<string, ProjectIssue[]>;
  /** The named selectors of the project's `selectors.yml`. */
  selectors?: NamedSelector[];
  /**
   * A dbt project's: a pass of a run hook kept as its template (one reading
   * the warehouse, or an on-run-end hook reading the run's results) against
   * the warehouse, as it runs.
   */
  renderRunHook?: RunHookRenderer;
  /** A dbt project's: a pass of a node's pre_hook or post_hook kept as its template, as it runs. */
  renderNodeHook?: NodeHookRenderer;
  /**
   * A dbt project's: a pass of a model whose Jinja reads the warehouse
   * (`renderedAtRun`) against it, just before it builds.
   */
  renderAtRun?: (id: string) => WarehouseRenderer<RenderedSql>;
  /** A dbt project's: the macro `wharf run-operation` names, called with its arguments. */
  operation?: (written: string, args: Readonly<Record<string, unknown>>) => OperationMacro;
}

/** Options of {@linkcode compileProject}. */
export interface CompileProjectOptions extends LoadProjectOptions {
  /**
   * `raw.*` (and `wharf.*`) tables that exist in the warehouse: a promise
   * while they are being listed (the project's files are read meanwhile).
   */
  sources?: readonly string[] | Promise<readonly string[]>;
  /**
   * The attached databases that could be read, with their tables (see
   * `buildGraph`): a promise while they are being listed.
   */
  catalogs?:
    | ReadonlyMap<string, readonly string[]>
    | Promise<ReadonlyMap<string, readonly string[]>>;
  /**
   * Keep references to raw tables that are not landed out of the error, in
   * `missing`; the caller refuses only the nodes that need them
   * ({@linkcode checkMissingSources}).
   */
  deferMissingSources?: boolean;
  /** `--empty`: models compile to select no row (see `CompileOptions.empty`). */
  empty?: boolean;
}

/**
 * The project's `selectors.yml`: a dbt project's rendered as dbt renders it
 * (its Jinja module loads only for a dbt project).
 */
export async function readProjectSelectors(
  config: EngineConfig,
): Promise<{ selectors: NamedSelector[]; issues: ProjectIssue[] }> {
  const render = config.dbt
    ? (await import(
      new URL("../dbt/yaml_jinja.ts", import.meta.url).href
    ) as typeof import("../dbt/yaml_jinja.ts")).selectorRenderer(config)
    : undefined;
  return await readSelectors(config.root, { render });
}

/**
 * Loads, resolves and compiles the project at `config.root`.
 *
 * @throws {CompileError} listing every problem found, when there is any.
 * @throws {CycleError} when a dependency cycle is the only problem.
 */
export async function compileProject(
  config: EngineConfig,
  options: CompileProjectOptions = {},
): Promise<CompiledProject> {
  // A dbt project (dbt_project.yml at its root) is read by its own loader into the same Project.
  // Its modules (Jinja included) load only for a dbt project, not at every start.
  const { project, ...rendersLater } = config.dbt
    ? await (await import(
      new URL("../dbt/load_dbt_project.ts", import.meta.url).href
    ) as typeof import("../dbt/load_dbt_project.ts")).loadDbtProject(config, options)
    : { project: await loadProject(config, options) };
  const { graph, issues, missing } = buildGraph(project, await options.sources, {
    catalogs: await options.catalogs,
  });
  const { selectors, issues: selectorIssues } = await readProjectSelectors(config);
  const found = [
    // dbt_project.yml's problems that did not keep the project from loading come first.
    ...config.dbt?.issues ?? [],
    ...project.issues,
    ...selectorIssues,
    ...issues,
    ...(options.deferMissingSources ? [] : [...missing.values()].flat()),
  ];
  // --warn-unsupported: what wharf does not support is left out, with a warning each.
  // A warning (what dbt ignores, and wharf too) is only said.
  const warned = (i: ProjectIssue) =>
    i.warning === true || (!!config.warnUnsupported && !!i.unsupported);
  const all = found.filter((i) => !warned(i));
  for (const i of found.filter(warned)) {
    console.error(`warning: ${formatLocation(i.location)}: ${i.message}`);
  }
  if (all.length) throw new CompileError(all);
  const compiled = new Map<string, CompiledNode>();
  for (const id of graph.order) {
    const node = graph.nodes.get(id)!;
    const c = node.kind === "unit_test"
      ? compileUnitTest(graph, node, { root: config.root, vars: config.vars })
      : compileNode(graph, node, { root: config.root, empty: options.empty });
    if (c) compiled.set(id, c);
  }
  return {
    project,
    graph,
    compiled,
    missing: options.deferMissingSources ? missing : new Map(),
    selectors,
    ...rendersLater,
  };
}

/**
 * Which of `ids` read, directly or through their ancestors, a raw table that
 * is not landed: node id → the missing tables (their relations). Nodes of
 * `present` (copied from a state's warehouse by `--defer`) are there,
 * whatever is above them.
 */
export function blockedByMissingSources(
  cp: CompiledProject,
  ids: readonly string[],
  present: ReadonlySet<string> = new Set(),
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (cp.missing.size === 0) return out;
  const memo = new Map<string, string[]>();
  const missingAbove = (id: string, seen: Set<string>): string[] => {
    const known = memo.get(id);
    if (known) return known;
    if (seen.has(id) || present.has(id)) return [];
    seen.add(id);
    const node = cp.graph.nodes.get(id);
    const found = new Set<string>(
      cp.missing.has(id) ? [node?.kind === "source" ? node.relation : id] : [],
    );
    for (const p of cp.graph.parents.get(id) ?? []) {
      for (const m of missingAbove(p, seen)) found.add(m);
    }
    const list = [...found].sort();
    memo.set(id, list);
    return list;
  };
  for (const id of ids) {
    const missing = missingAbove(id, new Set());
    if (missing.length) out.set(id, missing);
  }
  return out;
}

/** Which kinds of node a command runs. */
export type PlanKind = "build" | "run" | "seed" | "test" | "snapshot";

/** What a compiled node is to a command: its kind, or `snapshot` for a model of `snapshots/`. */
export type NodeRole = CompiledNode["kind"] | "snapshot";

/** The kinds of node each command runs. */
export const PLAN_KINDS: Record<PlanKind, readonly NodeRole[]> = {
  build: ["seed", "snapshot", "model", "test"],
  run: ["model"],
  seed: ["seed"],
  test: ["test"],
  snapshot: ["snapshot"],
};

/** The role of a compiled node (see {@linkcode NodeRole}). */
export function roleOf(n: CompiledNode): NodeRole {
  return n.kind === "model" && materialization(n.materialized).snapshot ? "snapshot" : n.kind;
}

function isEphemeral(n: CompiledNode | undefined): boolean {
  return n?.kind === "model" && materialization(n.materialized).inlined;
}

/**
 * The executable plan for the selected ids: nodes of the kinds `kind` runs
 * (ephemeral models are inlined, so they are left out and their parents
 * waited for instead). In `build`, a model also waits for the error-severity
 * tests of its parents, so a failed test stops what is built on bad data:
 * as in dbt, a test of several relations (`relationships`) for the nodes
 * that read all of them (those below the most downstream one).
 */
export function planFor(
  cp: CompiledProject,
  ids: readonly string[],
  kind: PlanKind,
): { nodes: CompiledNode[]; parents: Map<string, string[]> } {
  const wanted = new Set(PLAN_KINDS[kind]);
  const nodes = ids.map((id) => cp.compiled.get(id)).filter((n): n is CompiledNode =>
    n !== undefined && wanted.has(roleOf(n)) && !isEphemeral(n)
  );
  const inPlan = new Set(nodes.map((n) => n.id));
  const { graph } = cp;
  const realParents = (id: string, seen = new Set<string>()): string[] => {
    const out: string[] = [];
    for (const p of runParents(graph, id)) {
      if (seen.has(p)) continue;
      seen.add(p);
      if (isEphemeral(cp.compiled.get(p))) out.push(...realParents(p, seen));
      else out.push(p);
    }
    return out;
  };
  /**
   * The nodes of the plan `id` waits for: its parents in the plan, and
   * through a parent the plan leaves out, that one's (as dbt keeps the
   * order of a selection: `-s seed model` builds the seed first even when
   * a view between them is not selected).
   */
  const through = new Map<string, string[]>();
  const planParents = (id: string): string[] => {
    const known = through.get(id);
    if (known) return known;
    through.set(id, []); // a cycle is reported elsewhere; here it ends the walk
    const out = new Set<string>();
    for (const p of realParents(id)) {
      if (inPlan.has(p)) out.add(p);
      else for (const q of planParents(p)) out.add(q);
    }
    through.set(id, [...out]);
    return [...out];
  };
  const parents = new Map<string, string[]>();
  for (const n of nodes) {
    // A unit test runs on given rows: it waits for its model's parents (to type its
    // inputs), not for the model, which waits for it instead (as dbt's build does).
    const unit = n.kind === "test" ? n.unit?.model : undefined;
    const all = realParents(unit ?? n.id);
    const ps = planParents(unit ?? n.id);
    if (n.kind === "model") {
      ps.push(
        ...nodes.filter((t) => t.kind === "test" && t.unit?.model === n.id).map((t) => t.id),
      );
    }
    if (kind === "build" && n.kind !== "test") {
      // As in dbt: it waits for an error test of any of its parents (in the plan, the
      // parent built or not: `wharf retry` reruns a failed test without the model it
      // tests) when it reads, directly or not, every relation that test reads.
      const above = ancestorsOf(graph, [n.id]);
      for (const p of all) {
        for (const t of graph.children.get(p) ?? []) {
          const test = cp.compiled.get(t);
          if (
            test?.kind === "test" && test.severity === "error" && inPlan.has(t) &&
            (graph.parents.get(t) ?? []).every((tp) => above.has(tp))
          ) ps.push(t);
        }
      }
    }
    parents.set(n.id, [...new Set(ps)]);
  }
  return { nodes, parents };
}

/**
 * The ephemeral models `nodes` read, directly or through other ephemeral
 * models: compiled (inlined) with them, so their compiled SQL is written
 * with theirs, as dbt writes it.
 */
export function inlinedInto(cp: CompiledProject, nodes: readonly CompiledNode[]): CompiledNode[] {
  const out = new Map<string, CompiledNode>();
  const stack = nodes.map((n) => n.id);
  while (stack.length) {
    for (const p of cp.graph.parents.get(stack.pop()!) ?? []) {
      const c = cp.compiled.get(p);
      if (!out.has(p) && c && isEphemeral(c)) {
        out.set(p, c);
        stack.push(p);
      }
    }
  }
  return [...out.values()];
}

/** Options of {@linkcode compiledFiles}. */
export interface CompiledFilesOptions {
  /** dbt analyses compiled with the nodes (their compiled SQL only: they never run). */
  analyses?: readonly AnalysisNode[];
  /** False: the compiled files only (what `docs build` writes, as `dbt docs generate` does). */
  run?: boolean;
}

/** The files of {@linkcode compiledFiles}, and where each node's are. */
export interface CompiledFiles {
  /** Path to text: write them with {@linkcode writeFiles}. */
  files: Map<string, string>;
  /** Node id to its run file (what runs), relative to the project root. */
  run: Map<string, string>;
  /**
   * Node id (analyses included) to its compiled file relative to the project
   * root, or null for a node compiled without one (a dbt snapshot, as in
   * dbt); seeds are not compiled.
   */
  compiled: Map<string, string | null>;
}

/** The text of a node's run file: the statements it runs. */
export function runText(n: CompiledNode): string {
  return n.kind === "test" ? `${n.query}\n` : n.kind === "model" ? n.script : `${n.sql};\n`;
}

/**
 * The files that show what each node runs and compiles to, where
 * `target_paths.ts` puts them: its statements under `target/run/` and its
 * compiled SELECT (or test query) under `target/compiled/`.
 */
export function compiledFiles(
  cp: CompiledProject,
  nodes: readonly CompiledNode[],
  options: CompiledFilesOptions = {},
): CompiledFiles {
  const { project } = cp;
  const { target } = project.config.paths;
  const root = project.config.root;
  const out: CompiledFiles = { files: new Map(), run: new Map(), compiled: new Map() };
  const add = (id: string, kind: "run" | "compiled", path: string, text: string) => {
    const file = join(target, path);
    out.files.set(file, text);
    out[kind].set(id, relative(root, file));
  };
  for (const n of nodes) {
    const paths = targetPaths(project, cp.graph.nodes.get(n.id)!);
    if (paths.run && options.run !== false) add(n.id, "run", paths.run, runText(n));
    const compiled = n.kind === "test"
      ? `${n.query}\n`
      : n.kind === "model"
      ? `${n.select}\n`
      : undefined;
    if (compiled === undefined) continue;
    if (paths.compiled) add(n.id, "compiled", paths.compiled, compiled);
    else out.compiled.set(n.id, null);
  }
  for (const a of options.analyses ?? []) {
    add(a.id, "compiled", targetPaths(project, a).compiled!, `${a.sql.trimEnd()}\n`);
  }
  return out;
}

/**
 * Writes each file of `files` (path to text), making the folders they need,
 * and leaves those that have their text already: a few at a time, since a
 * build writes them while its nodes run (hundreds at once take threads and
 * the disk from DuckDB).
 */
export async function writeFiles(files: ReadonlyMap<string, string>): Promise<void> {
  const dirs = new Set([...files.keys()].map((f) => dirname(f)));
  await Promise.all([...dirs].map((d) => Deno.mkdir(d, { recursive: true })));
  const queue = files.entries();
  const lane = async () => {
    for (const [f, text] of queue) {
      // A file that has the text already is left as it is: a build again writes the same SQL,
      // and reading a file costs a third of rewriting it. (One that cannot be read is written,
      // and a write that fails says why.)
      const old = await Deno.readTextFile(f).catch(() => undefined);
      if (old !== text) await Deno.writeTextFile(f, text);
    }
  };
  await Promise.all(Array.from({ length: WRITE_LANES }, lane));
}

/** How many files {@linkcode writeFiles} writes at a time. */
const WRITE_LANES = 4;
