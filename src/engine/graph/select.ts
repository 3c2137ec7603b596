/**
 * dbt-style node selection: `name`, `layer.name`, `layer`, `+name` (with ancestors),
 * `name+` (with descendants), `2+name` / `name+1` (bounded depth),
 * `tag:x`, `path:models/staging`, `layer:staging`, `catalog:lake` (built into or
 * read from an attached database), `type:seed`, `test_type:unit|data|generic|singular`,
 * `*` in names (`lake.*`);
 * space-separated selectors are a union, comma-joined ones an intersection.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import type { Graph } from "./build_graph.ts";
import { closest } from "../suggest.ts";
import type { ProjectNode } from "../types.ts";
import { isSnapshot } from "../materializations/index.ts";

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*");
  return new RegExp(`^${body}$`);
}

function nodePath(n: ProjectNode): string | undefined {
  return "path" in n ? n.path : undefined;
}

function nodeTags(n: ProjectNode): string[] {
  if (n.kind === "model") return n.config.tags;
  if (n.kind === "seed" || n.kind === "unit_test") return n.tags;
  return [];
}

/** dbt's test types: `unit` (unit tests), `data` (generic and singular data tests). */
function testType(n: ProjectNode): string | undefined {
  if (n.kind === "unit_test") return "unit";
  if (n.kind === "generic_test") return "generic";
  if (n.kind === "singular_test") return "singular";
  return undefined;
}

function nodeCatalog(n: ProjectNode): string | undefined {
  return n.kind === "model" || n.kind === "source" ? n.catalog : undefined;
}

function matchAtom(graph: Graph, atom: string): Set<string> {
  const out = new Set<string>();
  const colon = atom.indexOf(":");
  const method = colon > 0 ? atom.slice(0, colon) : "";
  const value = (colon > 0 ? atom.slice(colon + 1) : atom).toLowerCase();
  const re = globToRegExp(value);
  for (const n of graph.nodes.values()) {
    let hit: boolean;
    switch (method) {
      case "":
        // A bare word matches ids, names and (as in dbt's fqn) a model's layer folder.
        hit = re.test(n.id) || re.test(n.id.replace(/^test\./, "")) || re.test(n.name) ||
          (n.kind === "model" && re.test(n.layer));
        break;
      case "tag":
        hit = nodeTags(n).some((t) => re.test(t.toLowerCase()));
        break;
      case "path": {
        const p = nodePath(n)?.toLowerCase();
        const prefix = value.replace(/\/+$/, "");
        hit = p !== undefined && (p === prefix || p.startsWith(`${prefix}/`) || re.test(p));
        break;
      }
      case "layer":
        hit = n.kind === "model" && re.test(n.layer);
        break;
      case "catalog":
        hit = re.test(nodeCatalog(n) ?? "");
        break;
      case "type":
        hit = isSnapshot(n)
          ? re.test("snapshot")
          : re.test(n.kind) || (value === "test" && n.kind.endsWith("_test"));
        break;
      case "test_type":
        hit = re.test(testType(n) ?? "") ||
          (value === "data" && (n.kind === "generic_test" || n.kind === "singular_test"));
        break;
      default:
        throw new UsageError(
          `Unknown selector method "${method}" in "${atom}": use tag:, path:, layer:, catalog:, type: or test_type:`,
        );
    }
    if (hit) out.add(n.id);
  }
  if (out.size === 0) throw noMatch(graph, atom, method, value);
  return out;
}

/** The values a selector method can match, to suggest the closest. */
function candidates(graph: Graph, method: string): string[] {
  const nodes = [...graph.nodes.values()];
  const values = (f: (n: ProjectNode) => (string | undefined)[]) =>
    [...new Set(nodes.flatMap(f))].filter((v): v is string => v !== undefined);
  switch (method) {
    case "tag":
      return values((n) => nodeTags(n));
    case "path":
      return values((n) => [nodePath(n)]);
    case "layer":
      return values((n) => [n.kind === "model" ? n.layer : undefined]);
    case "catalog":
      return values((n) => [nodeCatalog(n)]);
    case "type":
      return ["model", "seed", "snapshot", "source", "test"];
    case "test_type":
      return ["unit", "data", "generic", "singular"];
    default:
      return values((n) => [n.name, n.id]);
  }
}

function noMatch(graph: Graph, atom: string, method: string, value: string): UsageError {
  const known = candidates(graph, method);
  const prefix = method ? `${method}:` : "";
  const quote = (names: readonly string[]) => names.map((k) => `"${prefix}${k}"`).join(", ");
  // Names that hold what was typed come first (`stg_members` → `stg_members_client_a`), then
  // the closest spelling.
  const names = [...graph.nodes.values()].filter((n) => !n.kind.endsWith("_test")).map((n) =>
    n.name
  );
  const holding = value.includes("*") || method ? [] : [
    ...new Set(
      names.filter((k) => k.startsWith(value)).length
        ? names.filter((k) => k.startsWith(value))
        : names.filter((k) => k.includes(value)),
    ),
  ];
  const guess = value.includes("*") ? undefined : closest(value, known);
  const hint = holding.length && holding.length <= 4
    ? ` (did you mean ${quote(holding.slice(0, 4)).replace(/, ([^,]*)$/, " or $1")}?)`
    : guess
    ? ` (did you mean "${prefix}${guess}"?)`
    : method === "tag" || method === "layer" || method === "catalog" || method === "type" ||
        method === "test_type"
    ? known.length
      ? `: known ${method}s are ${quote([...known].sort())}`
      : `: there are no ${method}s`
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

/** Resolves one selector without commas, with its graph operators. */
function selectOne(graph: Graph, selector: string): Set<string> {
  const m = /^(\d*\+)?(.+?)(\+\d*)?$/.exec(selector);
  if (!m) throw new UsageError(`Invalid selector "${selector}"`);
  const [, up, atom, down] = m;
  const depth = (op: string | undefined) =>
    op === undefined ? 0 : op.replace("+", "") === "" ? Infinity : Number(op.replace("+", ""));
  const base = matchAtom(graph, atom!);
  const ancestors = walk(base, graph.parents, depth(up));
  const descendants = walk(base, graph.children, depth(down));
  return new Set([...ancestors, ...descendants]);
}

function selectExpression(graph: Graph, expressions: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const expr of expressions.flatMap((e) => e.split(/\s+/)).filter(Boolean)) {
    const parts = expr.split(",").filter(Boolean).map((p) => selectOne(graph, p));
    const [first, ...rest] = parts;
    for (const id of first ?? []) {
      if (rest.every((p) => p.has(id))) out.add(id);
    }
  }
  return out;
}

/** Options of {@linkcode selectNodes}. */
export interface SelectOptions {
  /** Selectors; empty means every node. */
  select?: readonly string[];
  /** Selectors whose nodes are removed afterwards. */
  exclude?: readonly string[];
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
  const select = options.select?.filter((s) => s.trim()) ?? [];
  const chosen = select.length ? selectExpression(graph, select) : new Set(graph.nodes.keys());
  for (const id of [...chosen]) {
    for (const c of graph.children.get(id) ?? []) {
      if (
        graph.nodes.get(c)?.kind.endsWith("_test") &&
        (graph.parents.get(c) ?? []).every((p) => chosen.has(p))
      ) chosen.add(c);
    }
  }
  if (select.length && chosen.size === 0) {
    throw new UsageError(
      `The selection ${
        select.map((s) => `"${s}"`).join(" ")
      } matches no node: each part matches some, but not together`,
    );
  }
  const excluded = options.exclude?.length
    ? selectExpression(graph, options.exclude)
    : new Set<string>();

  // A test goes with every node it reads: excluding one excludes the test.
  const kept = (id: string) =>
    chosen.has(id) && !excluded.has(id) &&
    (!graph.nodes.get(id)?.kind.endsWith("_test") ||
      (graph.parents.get(id) ?? []).every((p) => !excluded.has(p)));
  const result = graph.order.filter(kept);
  if (select.length && result.length === 0) {
    throw new UsageError(
      `--exclude ${options.exclude!.map((e) => `"${e}"`).join(" ")} leaves out every node ${
        select.map((s) => `"${s}"`).join(" ")
      } selects: nothing to run`,
    );
  }
  return result;
}
