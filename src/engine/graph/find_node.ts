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
import { dbtName } from "./dbt_name.ts";

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
 * A bare name is a model's name as dbt means it (its file's, when an alias
 * names its relation) or its alias; several nodes of that name mean the
 * model, then the seed or snapshot, as in dbt.
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
  // A model's name is its file's (dbt's), whatever alias its relation has; the alias works too.
  const byName = (n: ProjectNode) => dbtName(n).toLowerCase() === wanted;
  const named = [...graph.nodes.values()].filter((n) => byName(n) || n.name === wanted);
  const best = Math.min(...named.map(rank));
  const matches = named.filter((n) => rank(n) === best);
  if (matches.length === 1) return matches[0]!.id;
  if (matches.length > 1) {
    const which = (n: ProjectNode) =>
      byName(n) ? `"${n.id}"` : `"${n.id}" (the alias of ${n.kind} "${dbtName(n)}")`;
    throw new NotFoundError(
      `Node name "${name}" is ambiguous: use one of ${matches.map(which).join(", ")}`,
    );
  }
  // Tests are suggested only for a name that looks like one (they are rarely what was meant).
  const test = /^(unit_)?test\./.test(wanted);
  const candidates = [...graph.nodes.values()].filter((n) => test || !n.kind.endsWith("_test"));
  const guess = closest(wanted, [
    ...candidates.map((n) => n.id),
    ...candidates.filter((n) => dbtName(n) !== n.name).map(dbtName),
  ]);
  throw new NotFoundError(
    `No node named "${name}" in the project${
      guess ? ` (did you mean "${guess}"?)` : ""
    }: \`wharf ls\` lists them`,
  );
}
