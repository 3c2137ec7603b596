/**
 * dbt's node selection, and wharf's: `name`, `layer.name`, `layer`, `+name`
 * (with ancestors), `name+` (with descendants), `2+name` / `name+1`
 * (bounded depth), `@name` (its descendants and all their ancestors),
 * `method:value` (the methods are `select_methods.ts`: `tag:`, `path:`,
 * `file:`, `fqn:`, `layer:`, `catalog:`, `type:`, `resource_type:`,
 * `test_type:`, `source:`, `package:`, `config.<key>:`, and `selector:` for
 * a selector of `selectors.yml`), with dbt's wildcards in names and values
 * (`stg_*`, `lake.*`); space-separated selectors are a union, comma-joined
 * ones an intersection. Tests come along with the nodes they read as dbt's
 * `--indirect-selection` says (by default `eager` in a dbt project, as in
 * dbt, and `cautious` in a plain-SQL one), and go away with any node they
 * read that is excluded.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { ancestorsOf, type Graph } from "./build_graph.ts";
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

// Defined with the configuration (dbt's flags name a default), used here.
import { INDIRECT_SELECTION, type IndirectSelection } from "../config.ts";
export { INDIRECT_SELECTION, type IndirectSelection };

/**
 * What a selector picks: the nodes it selects, and (`cautious`,
 * `buildable`) the tests of those nodes kept aside until the rest of the
 * selection shows whether their other nodes are selected too (dbt's
 * direct and indirect sets).
 */
interface Picked {
  direct: Set<string>;
  indirect: Set<string>;
}

/** What resolving a selection needs: the graph, its project, the named selectors. */
interface Resolver {
  ctx: SelectionContext;
  selectors: readonly NamedSelector[];
  /** What `--state` gives `state:`, `result:` and `source_status:`. */
  state?: SelectionState;
  /** Selectors being resolved, to refuse one that names itself. */
  resolving: string[];
  /** How tests come along (a selectors.yml definition may say otherwise for itself). */
  mode: IndirectSelection;
  /**
   * A selector that matches nothing is a warning, not an error (dbt's way,
   * and every `--exclude`'s): then each atom's hint is kept here for the message.
   */
  lenient: boolean;
  hints: Map<string, string>;
  warn: (message: string) => void;
}

/** True for a node that comes along with the nodes it reads (data and unit tests). */
function isTest(graph: Graph, id: string): boolean {
  return graph.nodes.get(id)?.kind.endsWith("_test") ?? false;
}

/**
 * `selected` with the tests that come along as `mode` says (dbt's
 * expansion): a test of a selected node is selected (`eager`), or when
 * every node it reads is (`cautious`), or is that or an ancestor of one, or
 * a source (`buildable`); the others are kept aside as indirect.
 */
function withTests(graph: Graph, selected: Set<string>, mode: IndirectSelection): Picked {
  const direct = new Set(selected);
  const indirect = new Set<string>();
  if (mode === "empty") return { direct, indirect };
  const buildable = mode === "buildable"
    ? new Set([
      ...selected,
      ...ancestorsOf(graph, selected),
      ...[...graph.nodes.values()].filter((n) => n.kind === "source").map((n) => n.id),
    ])
    : undefined;
  for (const id of selected) {
    for (const t of graph.children.get(id) ?? []) {
      if (!isTest(graph, t) || direct.has(t)) continue;
      const reads = graph.parents.get(t) ?? [];
      if (
        mode === "eager" || reads.every((p) => selected.has(p)) ||
        (buildable && reads.every((p) => buildable.has(p)))
      ) direct.add(t);
      else indirect.add(t);
    }
  }
  for (const t of direct) indirect.delete(t);
  return { direct, indirect };
}

/**
 * The tests kept aside whose nodes the whole selection now holds (every one
 * of them, `cautious`; or ancestors of those, `buildable`), added to `direct`.
 */
function incorporate(
  graph: Graph,
  direct: Set<string>,
  indirect: Set<string>,
  mode: IndirectSelection,
): Set<string> {
  if (mode !== "cautious" && mode !== "buildable") return direct;
  const out = new Set(direct);
  const within = mode === "buildable"
    ? new Set([...direct, ...ancestorsOf(graph, direct)])
    : direct;
  for (const t of indirect) {
    if ((graph.parents.get(t) ?? []).every((p) => within.has(p))) out.add(t);
  }
  return out;
}

/** Combines the picks of a union or an intersection as dbt combines them. */
function combine(
  graph: Graph,
  picks: readonly Picked[],
  op: (sets: Set<string>[]) => Set<string>,
  mode: IndirectSelection,
): Picked {
  const direct = op(picks.map((p) => p.direct));
  const indirect = op(picks.map((p) => new Set([...p.direct, ...p.indirect])));
  return { direct: incorporate(graph, direct, indirect, mode), indirect };
}

const union = (sets: Set<string>[]) => new Set(sets.flatMap((s) => [...s]));
const intersection = (sets: Set<string>[]) => {
  const [first, ...rest] = sets;
  return new Set([...first ?? []].filter((id) => rest.every((s) => s.has(id))));
};

function matchAtom(r: Resolver, method: string, value: string, atom: string): Set<string> {
  const out = new Set<string>();
  const { graph } = r.ctx;
  // Comparisons with --state (select_state.ts): these may select nothing.
  if (STATE_METHODS.includes(method)) {
    const found = matchStateMethod(method, value.toLowerCase(), r.state);
    return new Set([...found].filter((id) => graph.nodes.has(id)));
  }
  if (method === "selector") return resolveNamed(r, value).direct;
  const [base, key] = splitMethod(method);
  const m = method ? selectorMethod(base) : undefined;
  const unknown = method ? unknownMethod(method) : undefined;
  if (unknown) throw new UsageError(`Unknown selector method "${method}" in "${atom}"${unknown}`);
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
  if (out.size === 0) {
    const hint = noMatch(r, method, lower, key);
    if (!r.lenient) throw new UsageError(`Selector "${atom}" matches no node${hint}`);
    r.hints.set(atom, hint);
  }
  return out;
}

/** The nodes of the named selector `name` of `selectors.yml`. */
function resolveNamed(r: Resolver, name: string): Picked {
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

/**
 * What to say of a selector that matches no node, after "matches no node":
 * the closest names, values, config keys, or what the method knows.
 */
function noMatch(
  r: Resolver,
  method: string,
  value: string,
  key: string | undefined,
): string {
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
    return `: no node has a config "${key}"${
      near
        ? ` (did you mean "config.${near}:"?)`
        : `: the nodes' config keys are ${keys.join(", ")}`
    }`;
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
  return hint;
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

/** `config.materialized` → `["config", "materialized"]`; `tag` → `["tag", undefined]`. */
function splitMethod(method: string): [string, string | undefined] {
  const dot = method.indexOf(".");
  return dot < 0 ? [method, undefined] : [method.slice(0, dot), method.slice(dot + 1)];
}

/**
 * What is wrong with the selector method `method` (`tag`, `config.<key>`,
 * `selector`, `state` …), to follow its name in a message, with the closest
 * method and the list; undefined for a method that exists. Methods are
 * written as in a selector text (`tag:`), or, for a selectors.yml
 * `method:` (`yaml`), by name alone (`tag`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unknownMethod } from "./select.ts";
 *
 * assert.equal(unknownMethod("config.materialized"), undefined);
 * assert.match(unknownMethod("tagg")!, /^ \(did you mean "tag:"\?\): use tag:, path:/);
 * assert.match(unknownMethod("tagg", true)!, /^ \(did you mean "tag"\?\): use tag, path, /);
 * assert.match(unknownMethod("stat", true)!, /did you mean "state".*, state, result, source_status$/);
 * ```
 */
export function unknownMethod(method: string, yaml = false): string | undefined {
  if (method === "selector" || STATE_METHODS.includes(method)) return undefined;
  const [base, key] = splitMethod(method);
  if (selectorMethod(base) && (base === "config") === (key !== undefined)) return undefined;
  const names = [...SELECTOR_METHODS.map((x) => x.name), "selector", ...STATE_METHODS];
  const written = (name: string) => yaml ? name : `${name}:`;
  // `confg.materialized` is the config method misspelled: its key stays.
  const near = closest(key === undefined ? method : base, names);
  const guess = near === "config" ? `config.${key ?? "<key>"}` : near;
  return `${guess ? ` (did you mean "${written(guess)}"?)` : ""}: use ${
    names.map((n) => written(n === "config" ? "config.<key>" : n)).join(", ")
  }`;
}

/** One selector without commas or spaces, in its parts (dbt's graph operators, method, value). */
export interface SelectorAtom {
  /** `@`: its descendants and all their ancestors. */
  at: boolean;
  /** Depth of the ancestors (`+`: Infinity, `2+`: 2; 0: none). */
  up: number;
  /** The method, or "" for a bare name or path. */
  method: string;
  value: string;
  /** Depth of the descendants. */
  down: number;
  /** `method:value` without the operators. */
  atom: string;
}

/**
 * Parses one selector without commas or spaces (`@tag:x`, `2+name+`).
 *
 * @throws {UsageError} for one that is not a selector.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSelectorAtom } from "./select.ts";
 *
 * const a = parseSelectorAtom("2+tag:nightly+");
 * assert.deepEqual([a.up, a.method, a.value, a.down], [2, "tag", "nightly", Infinity]);
 * ```
 */
export function parseSelectorAtom(selector: string): SelectorAtom {
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
  return {
    at: !!at,
    up: depth(up),
    method: method ?? "",
    value: value!,
    down: depth(down),
    atom: selector.slice((at ?? "").length + (up ?? "").length).replace(/\+\d*$/, ""),
  };
}

/** Resolves one selector without commas or spaces, with its graph operators and tests. */
function selectOne(r: Resolver, selector: string): Picked {
  const a = parseSelectorAtom(selector);
  const base = matchAtom(r, a.method, a.value, a.atom);
  return withTests(r.ctx.graph, expand(r.ctx.graph, base, a.up, a.down, a.at), r.mode);
}

/**
 * A CLI-style selection: space-separated unions of comma-joined
 * intersections. A part that selects nothing is an error, or (lenient) a
 * warning naming it, as dbt warns.
 */
function selectExpression(r: Resolver, expressions: readonly string[]): Picked {
  const parts: Picked[] = [];
  for (const expr of expressions.flatMap((e) => e.split(/\s+/)).filter(Boolean)) {
    const atoms = expr.split(",").filter(Boolean);
    const picked = combine(r.ctx.graph, atoms.map((p) => selectOne(r, p)), intersection, r.mode);
    if (picked.direct.size === 0 && !expr.split(",").some(usesState)) {
      if (!r.lenient) {
        throw new UsageError(
          `The selection "${expr}" matches no node: each part matches some, but not together`,
        );
      }
      const hint = atoms.length === 1
        ? r.hints.get(atoms[0]!.replace(/^@|^\d*\+|\+\d*$/g, "")) ?? ""
        : ": each part matches some, but not together";
      r.warn(`The selection criterion "${expr}" does not match any enabled nodes${hint}`);
    }
    parts.push(picked);
  }
  return combine(r.ctx.graph, parts, union, r.mode);
}

/** Resolves a definition of `selectors.yml`. */
function resolveSpec(r: Resolver, spec: SelectorSpec): Picked {
  const { graph } = r.ctx;
  switch (spec.op) {
    case "cli":
      return selectExpression(r, [spec.text]);
    case "method": {
      const atom = `${spec.method}:${spec.value}`;
      const base = matchAtom(r, spec.method, spec.value, atom);
      if (base.size === 0 && r.lenient && r.hints.has(atom)) {
        r.warn(
          `The selection criterion "${atom}" does not match any enabled nodes${
            r.hints.get(atom) ?? ""
          } (selectors.yml)`,
        );
      }
      const nodes = expand(graph, base, spec.parents, spec.children, spec.childrensParents);
      return withTests(graph, nodes, spec.indirectSelection ?? r.mode);
    }
    case "union":
      return combine(graph, spec.items.map((i) => resolveSpec(r, i)), union, r.mode);
    case "intersection":
      return combine(graph, spec.items.map((i) => resolveSpec(r, i)), intersection, r.mode);
    case "difference": {
      const include = resolveSpec(r, spec.include);
      const exclude = resolveSpec(r, spec.exclude);
      const minus = (a: Set<string>, b: Set<string>) => new Set([...a].filter((id) => !b.has(id)));
      const direct = minus(include.direct, exclude.direct);
      const indirect = minus(
        new Set([...include.direct, ...include.indirect]),
        new Set([...exclude.direct, ...exclude.indirect]),
      );
      return { direct: incorporate(graph, direct, indirect, r.mode), indirect };
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

/**
 * How tests come along when the command does not say: in a dbt project
 * its `flags: indirect_selection`, or `eager` as in dbt (a test of any
 * selected node, which errors when it reads a relation never built); in a
 * plain-SQL project `cautious`, as
 * wharf always selected them (a test whose every node is selected, so a
 * partial build of a new warehouse runs no test of what it leaves out).
 */
export function defaultIndirectSelection(project: Project | undefined): IndirectSelection {
  const dbt = project?.config.dbt;
  return dbt ? dbt.flags.indirectSelection ?? "eager" : "cautious";
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
  /**
   * How tests come along with the nodes selected (`--indirect-selection`);
   * default {@linkcode defaultIndirectSelection}.
   */
  indirectSelection?: IndirectSelection;
  /** Where warnings go (a selector that matches nothing, where that is not an error); standard error by default. */
  warn?: (message: string) => void;
}

/**
 * Returns the ids of the selected nodes, in graph order, as dbt selects
 * them. Tests come along with the nodes they read as `indirectSelection`
 * says (see {@linkcode defaultIndirectSelection}), and a test reading a
 * node that is excluded is excluded too, whatever the mode.
 *
 * A selector that matches nothing is, in a dbt project, a warning naming
 * it (as dbt warns), and the rest runs; in a plain-SQL project an error
 * with the closest names. An `--exclude` matching nothing is a warning in
 * both.
 *
 * @throws {UsageError} when a selector matches no node in a plain-SQL
 * project (with the closest name), the selection as a whole matches
 * nothing there, or a selector cannot be read (an unknown method or
 * named selector).
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
  const dbt = options.project?.config.dbt !== undefined;
  const warn = options.warn ?? ((message: string) => console.error(`warning: ${message}`));
  const mode = options.indirectSelection ?? defaultIndirectSelection(options.project);
  if (!INDIRECT_SELECTION.includes(mode)) {
    throw new UsageError(
      `Invalid --indirect-selection "${mode}": expected ${INDIRECT_SELECTION.join(", ")}`,
    );
  }
  const r: Resolver = {
    ctx: contextOf(graph, options.project),
    selectors: options.selectors ?? [],
    resolving: [],
    state: options.state,
    mode,
    lenient: dbt,
    hints: new Map(),
    warn,
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
  const chosen: Picked = named !== undefined
    ? resolveNamed(r, named)
    : select.length
    ? selectExpression(r, select)
    : { direct: new Set(graph.nodes.keys()), indirect: new Set() };
  // Nothing modified (or failed, or fresher) since the state: nothing to run, not a mistake.
  if (chosen.direct.size === 0 && select.some(usesState)) return [];
  const what = named !== undefined
    ? `The selector "${named}"${named === fallback ? " (the default of selectors.yml)" : ""}`
    : `The selection ${select.map((s) => `"${s}"`).join(" ")}`;
  if (named !== undefined && chosen.direct.size === 0) {
    if (!dbt) {
      throw new UsageError(`${what} matches no node: its parts match some, but not together`);
    }
    warn(`${what} does not match any enabled nodes`);
  }
  // Excluding a node excludes every test that reads it (dbt's "always greedy" exclusion);
  // an --exclude that matches nothing is a warning, in every project.
  const excluded = exclude.length
    ? selectExpression({ ...r, mode: "eager", lenient: true }, exclude).direct
    : new Set<string>();
  const direct = new Set([...chosen.direct].filter((id) => !excluded.has(id)));
  const indirect = new Set([...chosen.indirect].filter((id) => !excluded.has(id)));
  const kept = incorporate(graph, direct, indirect, mode);
  const result = graph.order.filter((id) => kept.has(id));
  if (select.length && result.length === 0 && chosen.direct.size > 0 && !dbt) {
    throw new UsageError(
      `--exclude ${exclude.map((e) => `"${e}"`).join(" ")} leaves out every node ${
        select.map((s) => `"${s}"`).join(" ")
      } selects: nothing to run`,
    );
  }
  return result;
}
