/**
 * dbt's node selection, and wharf's: `name`, `layer.name`, `layer`, `+name`
 * (with ancestors), `name+` (with descendants), `2+name` / `name+1`
 * (bounded depth), `@name` (its descendants and all their ancestors),
 * `method:value` (the methods are `select_methods.ts`: `tag:`, `path:`,
 * `file:`, `fqn:`, `layer:`, `catalog:`, `type:`, `resource_type:`,
 * `test_type:`, `source:`, `package:`, `config.<key>:`, and `selector:` for
 * a selector of `selectors.yml`), with dbt's wildcards in names and values
 * (`stg_*`, `lake.*`); space-separated selectors are a union, comma-joined
 * ones an intersection.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Graph } from "./build_graph.ts";
import { closest } from "../suggest.ts";
import type { Project } from "../types.ts";
import type { NamedSelector, SelectorSpec } from "./read_selectors.ts";
import {
  configKeysOf,
  type SelectionContext,
  SELECTOR_METHODS,
  selectorMethod,
  wildcard,
} from "./select_methods.ts";
import { matchStateMethod, type SelectionState, STATE_METHODS, usesState } from "./select_state.ts";

/** What resolving a selection needs: the graph, its project, the named selectors. */
interface Resolver {
  ctx: SelectionContext;
  selectors: readonly NamedSelector[];
  /** What `--state` gives `state:`, `result:` and `source_status:`. */
  state?: SelectionState;
  /** Selectors being resolved, to refuse one that names itself. */
  resolving: string[];
}

function matchAtom(r: Resolver, method: string, value: string, atom: string): Set<string> {
  const out = new Set<string>();
  const { graph } = r.ctx;
  // Comparisons with --state (select_state.ts): these may select nothing.
  if (STATE_METHODS.includes(method)) {
    const found = matchStateMethod(method, value.toLowerCase(), r.state);
    return new Set([...found].filter((id) => graph.nodes.has(id)));
  }
  if (method === "selector") return resolveNamed(r, value);
  const [base, key] = method.includes(".")
    ? [method.slice(0, method.indexOf(".")), method.slice(method.indexOf(".") + 1)]
    : [method, undefined];
  const m = method ? selectorMethod(base) : undefined;
  if (method && (!m || (base === "config") !== (key !== undefined))) {
    const names = [...SELECTOR_METHODS.map((x) => x.name), "selector"];
    const guess = closest(method, names);
    throw new UsageError(
      `Unknown selector method "${method}" in "${atom}"${
        guess ? ` (did you mean "${guess}:"?)` : ""
      }: use ${names.map((n) => n === "config" ? "config.<key>:" : `${n}:`).join(", ")}`,
    );
  }
  const lower = value.toLowerCase();
  if (m) {
    for (const n of graph.nodes.values()) if (m.matches(n, lower, r.ctx, key)) out.add(n.id);
  } else if (lower.includes("/") || /\.(sql|csv)$/.test(lower)) {
    // dbt's default for a path: the path method.
    for (const n of graph.nodes.values()) {
      if (selectorMethod("path")!.matches(n, lower, r.ctx)) out.add(n.id);
    }
  } else {
    // A bare word matches ids, names, a model's layer folder and dbt's fqn.
    const re = wildcard(lower);
    for (const n of graph.nodes.values()) {
      if (
        re.test(n.id) || re.test(n.id.replace(/^test\./, "")) || re.test(n.name) ||
        (n.kind === "model" && re.test(n.layer)) || (n.kind === "source" && re.test(n.relation)) ||
        (n.kind !== "source" && selectorMethod("fqn")!.matches(n, lower, r.ctx))
      ) out.add(n.id);
    }
  }
  if (out.size === 0) throw noMatch(r, atom, method, lower, key);
  return out;
}

/** The nodes of the named selector `name` of `selectors.yml`. */
function resolveNamed(r: Resolver, name: string): Set<string> {
  const s = r.selectors.find((x) => x.name === name);
  if (!s) {
    const guess = closest(name, r.selectors.map((x) => x.name));
    throw new UsageError(
      `No selector "${name}" in selectors.yml${
        guess
          ? ` (did you mean "${guess}"?)`
          : r.selectors.length
          ? `: it defines ${r.selectors.map((x) => `"${x.name}"`).join(", ")}`
          : ": the project has no selectors.yml, or it defines none"
      }`,
    );
  }
  if (r.resolving.includes(name)) {
    throw new UsageError(
      `Selector "${name}" of selectors.yml names itself: ${[...r.resolving, name].join(" → ")}`,
    );
  }
  r.resolving.push(name);
  try {
    return resolveSpec(r, s.definition);
  } finally {
    r.resolving.pop();
  }
}

function noMatch(
  r: Resolver,
  atom: string,
  method: string,
  value: string,
  key: string | undefined,
): UsageError {
  const { graph } = r.ctx;
  const m = selectorMethod(method.split(".")[0]!);
  const known = m
    ? m.candidates(r.ctx, key)
    : [...new Set([...graph.nodes.values()].flatMap((n) => [n.name, n.id]))];
  const prefix = method ? `${method}:` : "";
  const quote = (names: readonly string[]) => names.map((k) => `"${prefix}${k}"`).join(", ");
  // Names that hold what was typed come first (`stg_members` → `stg_members_client_a`), then
  // the closest spelling.
  const names = [...graph.nodes.values()].filter((n) => !n.kind.endsWith("_test")).map((n) =>
    n.name
  );
  const wild = /[*?[]/.test(value);
  const starts = names.filter((k) => k.startsWith(value));
  const holding = wild || method
    ? []
    : [...new Set(starts.length ? starts : names.filter((k) => k.includes(value)))];
  if (key !== undefined && known.length === 0) {
    const keys = configKeysOf(r.ctx);
    const near = closest(key, keys);
    return new UsageError(
      `Selector "${atom}" matches no node: no node has a config "${key}"${
        near
          ? ` (did you mean "config.${near}:"?)`
          : `: the nodes' config keys are ${keys.join(", ")}`
      }`,
    );
  }
  const guess = wild ? undefined : closest(value, known);
  const what = method === "config" || key !== undefined ? `values of ${method}` : `${method}s`;
  const hint = holding.length && holding.length <= 4
    ? ` (did you mean ${quote(holding.slice(0, 4)).replace(/, ([^,]*)$/, " or $1")}?)`
    : guess
    ? ` (did you mean "${prefix}${guess}"?)`
    : m?.listsKnown
    ? known.length ? `: known ${what} are ${quote([...known].sort())}` : `: there are no ${what}`
    : ": run `wharf ls` to see the nodes";
  return new UsageError(`Selector "${atom}" matches no node${hint}`);
}

function walk(
  start: Set<string>,
  edges: Map<string, string[]>,
  depth: number,
): Set<string> {
  const out = new Set(start);
  let frontier = [...start];
  for (let d = 0; d < depth && frontier.length; d++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const e of edges.get(id) ?? []) {
        if (!out.has(e)) {
          out.add(e);
          next.push(e);
        }
      }
    }
    frontier = next;
  }
  return out;
}

/** Adds ancestors, descendants, or (`@`) descendants and all their ancestors to `base`. */
function expand(
  graph: Graph,
  base: Set<string>,
  parents: number,
  children: number,
  childrensParents: boolean,
): Set<string> {
  if (childrensParents) {
    return walk(walk(base, graph.children, Infinity), graph.parents, Infinity);
  }
  return new Set([...walk(base, graph.parents, parents), ...walk(base, graph.children, children)]);
}

/** Resolves one selector without commas or spaces, with its graph operators. */
function selectOne(r: Resolver, selector: string): Set<string> {
  const m = /^(@)?(\d*\+)?(?:([A-Za-z_][\w.]*):(?!\/))?(.+?)(\+\d*)?$/.exec(selector);
  if (!m) throw new UsageError(`Invalid selector "${selector}"`);
  const [, at, up, method, value, down] = m;
  if (at && up) {
    throw new UsageError(
      `Invalid selector "${selector}": "@" and a leading "+" cannot be used together (@ already adds every ancestor)`,
    );
  }
  const depth = (op: string | undefined) =>
    op === undefined ? 0 : op.replace("+", "") === "" ? Infinity : Number(op.replace("+", ""));
  const atom = selector.slice((at ?? "").length + (up ?? "").length).replace(/\+\d*$/, "");
  const base = matchAtom(r, method ?? "", value!, atom);
  return expand(r.ctx.graph, base, depth(up), depth(down), !!at);
}

/** A CLI-style selection: space-separated unions of comma-joined intersections. */
function selectExpression(r: Resolver, expressions: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const expr of expressions.flatMap((e) => e.split(/\s+/)).filter(Boolean)) {
    const parts = expr.split(",").filter(Boolean).map((p) => selectOne(r, p));
    const [first, ...rest] = parts;
    for (const id of first ?? []) {
      if (rest.every((p) => p.has(id))) out.add(id);
    }
  }
  return out;
}

/** Resolves a definition of `selectors.yml`. */
function resolveSpec(r: Resolver, spec: SelectorSpec): Set<string> {
  switch (spec.op) {
    case "cli":
      return selectExpression(r, [spec.text]);
    case "method": {
      const atom = `${spec.method}:${spec.value}`;
      const base = matchAtom(r, spec.method, spec.value, atom);
      return expand(r.ctx.graph, base, spec.parents, spec.children, spec.childrensParents);
    }
    case "union":
      return new Set(spec.items.flatMap((i) => [...resolveSpec(r, i)]));
    case "intersection": {
      const [first, ...rest] = spec.items.map((i) => resolveSpec(r, i));
      return new Set([...first!].filter((id) => rest.every((s) => s.has(id))));
    }
    case "difference": {
      const out = resolveSpec(r, spec.include);
      for (const id of resolveSpec(r, spec.exclude)) out.delete(id);
      return out;
    }
  }
}

/** The selection context of `project` (defaults when there is none: a hand-made graph). */
function contextOf(graph: Graph, project: Project | undefined): SelectionContext {
  const root = project?.config.root ?? "";
  const models = project?.config.dbt ? "" : project?.config.paths.models ?? "models";
  return {
    graph,
    project: project?.config.dbt?.project ?? project?.config.name ?? "",
    modelsPath: models.startsWith(root) ? models.slice(root.length).replace(/^[\\/]/, "") : models,
  };
}

/** Options of {@linkcode selectNodes}. */
export interface SelectOptions {
  /** Selectors; empty means every node. */
  select?: readonly string[];
  /** Selectors whose nodes are removed afterwards. */
  exclude?: readonly string[];
  /** `--selector NAME`: a selector of `selectors.yml`, instead of `select`/`exclude`. */
  selector?: string;
  /** The selectors of `selectors.yml`; the `default: true` one applies when nothing is selected. */
  selectors?: readonly NamedSelector[];
  /** The project the graph was built from (its name, sources and folders, for dbt's methods). */
  project?: Project;
  /** What `--state` gives `state:`, `result:` and `source_status:` selectors. */
  state?: SelectionState;
}

/**
 * Returns the ids of the selected nodes, in graph order. Tests come along
 * with their models: a test is included when every node it reads is
 * selected (so a relationships test does not run against a model that was
 * left out), and excluded with any node it reads.
 *
 * @throws {UsageError} when a selector matches no node (with the closest
 * name), or the selection as a whole matches nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { loadProject } from "../project/load_project.ts";
 * import { buildGraph } from "./build_graph.ts";
 * import { selectNodes } from "./select.ts";
 *
 * const root = await Deno.makeTempDir();
 * const write = async (path: string, text: string) => {
 *   await Deno.mkdir(`${root}/${path.split("/").slice(0, -1).join("/")}`, { recursive: true });
 *   await Deno.writeTextFile(`${root}/${path}`, text);
 * };
 * await write("models/staging/stg_members.sql", "select 1 as id");
 * await write("models/staging/stg_old.sql", "select 1 as id");
 * await write("models/marts/members.sql", "select * from staging.stg_members");
 * const { graph } = buildGraph(await loadProject(resolveEngineConfig(root, {}, [])), []);
 * assert.deepEqual(selectNodes(graph, { select: ["+marts.members"] }), [
 *   "staging.stg_members",
 *   "marts.members",
 * ]);
 * assert.deepEqual(selectNodes(graph, { select: ["layer:staging"], exclude: ["stg_old"] }), [
 *   "staging.stg_members",
 * ]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function selectNodes(graph: Graph, options: SelectOptions = {}): string[] {
  const r: Resolver = {
    ctx: contextOf(graph, options.project),
    selectors: options.selectors ?? [],
    resolving: [],
    state: options.state,
  };
  const select = options.select?.filter((s) => s.trim()) ?? [];
  const exclude = options.exclude?.filter((s) => s.trim()) ?? [];
  if (options.selector !== undefined && (select.length || exclude.length)) {
    throw new UsageError(
      `--selector "${options.selector}" cannot be combined with --select or --exclude: put the whole selection in selectors.yml, or use selector:${options.selector} in --select`,
    );
  }
  const fallback = select.length || exclude.length
    ? undefined
    : r.selectors.find((s) => s.default)?.name;
  const named = options.selector ?? fallback;
  const chosen = named !== undefined
    ? resolveNamed(r, named)
    : select.length
    ? selectExpression(r, select)
    : new Set(graph.nodes.keys());
  const selecting = select.length > 0 || named !== undefined;
  // Nothing modified (or failed, or fresher) since the state: nothing to run, not a mistake.
  if (chosen.size === 0 && select.some(usesState)) return [];
  for (const id of [...chosen]) {
    for (const c of graph.children.get(id) ?? []) {
      if (
        graph.nodes.get(c)?.kind.endsWith("_test") &&
        (graph.parents.get(c) ?? []).every((p) => chosen.has(p))
      ) chosen.add(c);
    }
  }
  const what = named !== undefined
    ? `The selector "${named}"${named === fallback ? " (the default of selectors.yml)" : ""}`
    : `The selection ${select.map((s) => `"${s}"`).join(" ")}`;
  if (selecting && chosen.size === 0) {
    throw new UsageError(
      `${what} matches no node: ${
        named !== undefined
          ? "its parts match some, but not together"
          : "each part matches some, but not together"
      }`,
    );
  }
  const excluded = exclude.length ? selectExpression(r, exclude) : new Set<string>();

  // A test goes with every node it reads: excluding one excludes the test.
  const kept = (id: string) =>
    chosen.has(id) && !excluded.has(id) &&
    (!graph.nodes.get(id)?.kind.endsWith("_test") ||
      (graph.parents.get(id) ?? []).every((p) => !excluded.has(p)));
  const result = graph.order.filter(kept);
  if (select.length && result.length === 0) {
    throw new UsageError(
      `--exclude ${exclude.map((e) => `"${e}"`).join(" ")} leaves out every node ${
        select.map((s) => `"${s}"`).join(" ")
      } selects: nothing to run`,
    );
  }
  return result;
}
