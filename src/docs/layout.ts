/**
 * A left-to-right layered layout of the lineage graph, computed once when
 * the docs are built: which column each node goes in and its place in that
 * column. The page sizes each column to its longest label, so the graph is
 * as narrow as its names allow.
 *
 * Columns: sources (raw tables, wharf's own tables and seeds) first, then
 * one column per model layer (staging → intermediate → … → marts, other
 * layers before marts), then what reads the models (singular tests, API
 * endpoints and exposures). Nodes are ordered in each column by the mean position of
 * their neighbours in the other columns (a few down and up sweeps of the
 * barycenter heuristic) to keep edges short and crossings few.
 *
 * The sources column is usually the tallest (the healthcare project's has 21
 * nodes); it stays one column, as one more column (even wharf's three
 * tables alone) would make the graph too wide for 11 px labels at 1280×800,
 * where the page fits it by giving the graph the whole height instead.
 *
 * @module
 */

/** A column of the graph: its title and its nodes, top to bottom. */
export interface LayoutColumn {
  title: string;
  nodes: string[];
}

/** The graph's layout: its columns, left to right. */
export interface Layout {
  columns: LayoutColumn[];
}

/** What the layout needs to know of a node. */
export interface LayoutNode {
  id: string;
  kind: "source" | "seed" | "model" | "test" | "api" | "exposure";
  layer: string;
}

const MODEL_LAYERS = ["staging", "intermediate", "marts"];
const SOURCE_LAYERS = ["raw", "wharf", "seeds"];

function columnOf(n: LayoutNode): string {
  if (n.kind === "source" || n.kind === "seed") return "sources";
  if (n.kind === "test" || n.kind === "api" || n.kind === "exposure") return "readers";
  return n.layer;
}

/** Column order: sources, model layers (unknown ones before marts), readers. */
function columnRank(key: string): number {
  if (key === "sources") return 0;
  if (key === "readers") return 100;
  const i = MODEL_LAYERS.indexOf(key);
  return 10 + (i === -1 ? MODEL_LAYERS.indexOf("marts") - 0.5 : i);
}

function titleOf(key: string, members: readonly LayoutNode[]): string {
  if (key !== "readers") return key;
  const kinds = new Set<string>(members.map((n) => n.kind));
  return ([["test", "tests"], ["api", "api"], ["exposure", "exposures"]] as const)
    .filter(([kind]) => kinds.has(kind)).map(([, title]) => title).join(" · ");
}

/** Initial order inside a column: by layer (raw, wharf, seeds, others), then id. */
function initialOrder(a: LayoutNode, b: LayoutNode): number {
  const ra = SOURCE_LAYERS.indexOf(a.layer), rb = SOURCE_LAYERS.indexOf(b.layer);
  return (ra === -1 ? 99 : ra) - (rb === -1 ? 99 : rb) || a.id.localeCompare(b.id);
}

/**
 * Lays out `nodes` in columns; see the module doc.
 *
 * @param nodes every node of the graph
 * @param edges `[from, to]` pairs (edges to unknown nodes are ignored)
 * @returns the columns, left to right, each with its nodes top to bottom
 * @example
 * ```ts
 * import { layoutGraph } from "./layout.ts";
 * const layout = layoutGraph(
 *   [{ id: "raw.a", kind: "source", layer: "raw" }, { id: "staging.b", kind: "model", layer: "staging" }],
 *   [["raw.a", "staging.b"]],
 * );
 * // layout.columns: [{ title: "sources", nodes: ["raw.a"] }, { title: "staging", nodes: ["staging.b"] }]
 * ```
 */
export function layoutGraph(
  nodes: readonly LayoutNode[],
  edges: readonly [string, string][],
): Layout {
  const keys = [...new Set(nodes.map(columnOf))].sort((a, b) =>
    columnRank(a) - columnRank(b) || a.localeCompare(b)
  );
  const members = keys.map((k) => nodes.filter((n) => columnOf(n) === k).sort(initialOrder));
  const columns = members.map((m) => m.map((n) => n.id));
  const columnIndex = new Map<string, number>();
  columns.forEach((col, i) => col.forEach((id) => columnIndex.set(id, i)));
  // Neighbours in other columns only: an edge inside a column says nothing about order.
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const [from, to] of edges) {
    const cf = columnIndex.get(from), ct = columnIndex.get(to);
    if (cf === undefined || ct === undefined || cf === ct) continue;
    parents.set(to, [...(parents.get(to) ?? []), from]);
    children.set(from, [...(children.get(from) ?? []), to]);
  }
  const rank = new Map<string, number>();
  const setRanks = (col: string[]) => col.forEach((id, i) => rank.set(id, i));
  columns.forEach(setRanks);
  const sweep = (col: string[], neighbours: Map<string, string[]>) => {
    const score = new Map(col.map((id) => {
      const ns = neighbours.get(id) ?? [];
      return [id, ns.length ? ns.reduce((s, n) => s + rank.get(n)!, 0) / ns.length : rank.get(id)!];
    }));
    col.sort((a, b) => score.get(a)! - score.get(b)! || rank.get(a)! - rank.get(b)!);
    setRanks(col);
  };
  for (let round = 0; round < 4; round++) {
    for (const col of columns.slice(1)) sweep(col, parents);
    for (const col of columns.slice(0, -1).reverse()) sweep(col, children);
  }
  return { columns: keys.map((k, i) => ({ title: titleOf(k, members[i]!), nodes: columns[i]! })) };
}
