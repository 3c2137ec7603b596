/**
 * The materializations a model's `config: { materialized: … }` may name,
 * in the order messages and the docs list them. A new one is a module
 * beside these (see `materialization.ts`) added here.
 *
 * @module
 */
import { ephemeral } from "./ephemeral.ts";
import { external } from "./external.ts";
import { incremental } from "./incremental.ts";
import type { Materialization } from "./materialization.ts";
import type { ProjectNode } from "../types.ts";
import { snapshot } from "./snapshot.ts";
import { table } from "./table.ts";
import { view } from "./view.ts";

/** Every materialization; the first is the default. */
export const MATERIALIZATIONS: readonly Materialization[] = [
  view,
  table,
  incremental,
  ephemeral,
  external,
  snapshot,
];

/** The materializations a model may name: all but the one of snapshots. */
export const MODEL_MATERIALIZATIONS: readonly Materialization[] = MATERIALIZATIONS.filter((m) =>
  !m.snapshot
);

/** True for a node of `snapshots/`: a model whose materialization builds snapshots. */
export function isSnapshot(node: ProjectNode): boolean {
  return node.kind === "model" && findMaterialization(node.config.materialized)?.snapshot === true;
}

/** The materialization named `name`, if there is one. */
export function findMaterialization(name: string): Materialization | undefined {
  return MATERIALIZATIONS.find((m) => m.name === name);
}

/**
 * The materialization of a loaded model (whose name was checked when the
 * project was loaded).
 *
 * @throws {Error} for a name no materialization has: a bug, not a user error.
 */
export function materialization(name: string): Materialization {
  const found = findMaterialization(name);
  if (!found) throw new Error(`No materialization "${name}"`);
  return found;
}
