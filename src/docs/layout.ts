/**
 * A left-to-right layered layout of the lineage graph, computed once when
 * the docs are built (the page never lays out): one column per layer
 * (raw → seeds → staging → intermediate → marts → api, other layers in
 * between), nodes ordered in each column by the mean position of their
 * parents (a few sweeps of the barycenter heuristic) to keep edges short.
 *
 * @module
 */

/** Where a node is drawn. */
export interface Position {
  x: number;
  y: number;
}

const ORDER = ["raw", "wharf", "seeds", "staging", "intermediate", "marts", "tests", "api"];

/** Column spacing and row spacing, in SVG units. */
export const COLUMN_WIDTH = 300;
export const ROW_HEIGHT = 44;

/** Lays out nodes by layer; see the module doc. */
export function layoutGraph(
  nodes: readonly { id: string; layer: string }[],
  edges: readonly [string, string][],
): Record<string, Position> {
  const layers = [...new Set(nodes.map((n) => n.layer))].sort((a, b) => {
    const ia = ORDER.indexOf(a), ib = ORDER.indexOf(b);
    return (ia === -1 ? ORDER.indexOf("marts") - 0.5 : ia) -
        (ib === -1 ? ORDER.indexOf("marts") - 0.5 : ib) || a.localeCompare(b);
  });
  const columns = layers.map((l) => nodes.filter((n) => n.layer === l).map((n) => n.id).sort());
  const parents = new Map<string, string[]>();
  for (const [from, to] of edges) parents.set(to, [...(parents.get(to) ?? []), from]);
  const rank = new Map<string, number>();
  const setRanks = () => columns.forEach((col) => col.forEach((id, i) => rank.set(id, i)));
  setRanks();
  for (let sweep = 0; sweep < 4; sweep++) {
    for (const col of columns.slice(1)) {
      const score = (id: string) => {
        const ps = (parents.get(id) ?? []).filter((p) => rank.has(p));
        return ps.length ? ps.reduce((s, p) => s + rank.get(p)!, 0) / ps.length : rank.get(id)!;
      };
      const scores = new Map(col.map((id) => [id, score(id)]));
      col.sort((a, b) => scores.get(a)! - scores.get(b)! || a.localeCompare(b));
      col.forEach((id, i) => rank.set(id, i));
    }
  }
  const out: Record<string, Position> = {};
  columns.forEach((col, x) =>
    col.forEach((id, y) => (out[id] = { x: x * COLUMN_WIDTH, y: y * ROW_HEIGHT }))
  );
  return out;
}
