/**
 * Finds the one node a user named on the command line.
 *
 * @module
 */
import { NotFoundError } from "../errors.ts";
import type { Graph } from "./build_graph.ts";
import { closest } from "../suggest.ts";

/**
 * Resolves `name` (`layer.name`, a bare unique name, or `test.name`) to a
 * node id.
 *
 * @throws {NotFoundError} when nothing or more than one node matches, with
 * the closest names.
 */
export function findNode(graph: Graph, name: string): string {
  const wanted = name.toLowerCase();
  if (graph.nodes.has(wanted)) return wanted;
  const matches = [...graph.nodes.values()].filter((n) => n.name === wanted).map((n) => n.id);
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
