/**
 * dbt's model access (`access: private | protected | public`), checked
 * where a node refs a model, as dbt checks it when it parses a project: a
 * private model may be referenced only by nodes of its `group` (a generic
 * test is in the group of the node it tests; an exposure, a source's test
 * or an `on-run-start` hook is in none). A protected model may be
 * referenced from another package only when its package sets
 * `restrict-access`, which wharf does not run (dbt_project.yml refuses it),
 * so protected and public refs are always allowed. Inline queries
 * (`--inline`), `run-operation` and a source's `loaded_at_query` are not
 * checked, as dbt does not check them.
 *
 * @module
 */

/** The model a node refs: what its access depends on. */
export interface RefTarget {
  /** Its name, as `ref()` names it. */
  name: string;
  /** `private`, `protected` or `public`; unset is `protected`, as in dbt. */
  access?: string;
  /** The group it is in, if any. */
  group?: string;
}

/** The node that refs it. */
export interface RefFrom {
  /** How messages name it: `model orders`, `analysis revenue`, `test unique_x`, … */
  label: string;
  /** The group it is in, if any (a generic test: the group of the node it tests). */
  group?: string;
  /** False for what cannot be in a group (an exposure, an on-run-start hook, a source's test). */
  groupable?: false;
}

/**
 * Why `from` may not ref `target`, as dbt refuses it ("… which is not
 * allowed because the referenced node is private to the … group"), with
 * what to do; undefined when it may.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refAccess } from "./ref_access.ts";
 *
 * const ledger = { name: "ledger", access: "private", group: "finance" };
 * assert.equal(refAccess(ledger, { label: "model revenue", group: "finance" }), undefined);
 * assert.match(refAccess(ledger, { label: "model orders" })!, /private to the group "finance"/);
 * ```
 */
export function refAccess(target: RefTarget, from: RefFrom): string | undefined {
  if (target.access !== "private" || (from.group !== undefined && from.group === target.group)) {
    return undefined;
  }
  const group = target.group === undefined ? "no group" : `the group "${target.group}"`;
  const own = from.group === undefined
    ? `in no group${from.groupable === false ? " (it cannot be in one)" : ""}`
    : `in the group "${from.group}"`;
  const move = target.group === undefined
    ? `give ${target.name} a group, `
    : from.groupable === false
    ? ""
    : `put ${from.label} in the group "${target.group}", `;
  return `model ${target.name} is private to ${group} (access: private), and ${from.label} is ${own}: only nodes of ${group} may ref it; ${move}or make ${target.name} protected or public`;
}
