/**
 * The name dbt gives a node, which `ref()`, selection and `wharf show`
 * take: a model's file name, whatever alias names its relation.
 *
 * @module
 */
import { basename } from "node:path";
import type { ProjectNode } from "../types.ts";

/**
 * The name dbt gives a node: a model's file name (its relation may have
 * another alias), a seed's file name, a snapshot's own name (a
 * `{% snapshot %}` block's, or a YAML entry's), else its name.
 *
 * @param n the node
 * @returns its dbt name: `rpt_orders` for `models/marts/rpt_orders.sql`,
 * whose `config(alias='big_orders')` names its relation
 */
export function dbtName(n: ProjectNode): string {
  if (n.kind === "model") {
    if (n.fqn) return n.fqn[n.fqn.length - 1]!;
    return n.path.endsWith(".sql") ? basename(n.path, ".sql") : n.name;
  }
  if (n.kind === "seed") return basename(n.path, ".csv");
  return n.name;
}
