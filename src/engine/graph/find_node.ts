/**
 * Finds the one node a user named on the command line.
 *
 * @module
 */
import { NotFoundError } from "../errors.ts";
import type { Graph } from "./build_graph.ts";
import { materialization } from "../materializations/index.ts";
import type { ProjectNode } from "../types.ts";
import { closest } from "../suggest.ts";

/**
 * How strongly a bare name means a node of this kind, as dbt reads one: a
 * model first, then a seed or a snapshot, then anything else (a source
 * needs its full name, as dbt's `source:`).
 */
function rank(n: ProjectNode): number {
  if (n.kind === "model") return materialization(n.config.materialized).snapshot ? 1 : 0;
  return n.kind === "seed" ? 1 : 2;
}

/**
 * Resolves `name` (`layer.name`, a bare name, or `test.name`) to a node id;
 * a source also by the relation it reads or its source and table names
 * (`app.orders`: a dbt project's declared table is `source.app.orders`).
 * A bare name several nodes have means the model of that name, then the
 * seed or snapshot, as in dbt.
 *
 * @throws {NotFoundError} when nothing matches, or more than one node of
 * the kind it means, with the closest names.
 */
export function findNode(graph: Graph, name: string): string {
  const wanted = name.toLowerCase();
  if (graph.nodes.has(wanted)) return wanted;
  const sources = [...graph.nodes.values()].filter((n) =>
    n.kind === "source" &&
    (n.relation === wanted ||
      n.declared?.some((d) => `${d.source}.${d.table}`.toLowerCase() === wanted))
  ).map((n) => n.id);
  if (sources.length === 1) return sources[0]!;
  if (sources.length > 1) {
    throw new NotFoundError(
      `"${name}" names ${sources.length} sources: use one of ${
        sources.map((s) => `"${s}"`).join(", ")
      }`,
    );
  }
  const named = [...graph.nodes.values()].filter((n) => n.name === wanted);
  const best = Math.min(...named.map(rank));
  const matches = named.filter((n) => rank(n) === best).map((n) => n.id);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new NotFoundError(
      `Node name "${name}" is ambiguous: use one of ${matches.map((m) => `"${m}"`).join(", ")}`,
    );
  }
  // Tests are suggested only for a name that looks like one (they are rarely what was meant).
  const test = /^(unit_)?test\./.test(wanted);
  const guess = closest(
    wanted,
    [...graph.nodes.values()].filter((n) => test || !n.kind.endsWith("_test")).map((n) => n.id),
  );
  throw new NotFoundError(
    `No node named "${name}" in the project${
      guess ? ` (did you mean "${guess}"?)` : ""
    }: \`wharf ls\` lists them`,
  );
}
