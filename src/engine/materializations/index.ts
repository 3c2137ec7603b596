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
import type { ModelNode, ProjectNode } from "../types.ts";
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

/**
 * A model's (or snapshot's) materialization keys as written, in dbt's flat
 * shape, with no default wharf runs by: a dbt project's, which wharf keeps
 * apart (an incremental model's `incremental_strategy`, a snapshot's
 * `strategy`, `updated_at`, …), or a plain project's YAML `config:` keys.
 * What the manifest records, and what `config.<key>:` selects by.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writtenOptions } from "./index.ts";
 * import type { ModelNode } from "../types.ts";
 *
 * const model = {
 *   kind: "model",
 *   config: { materialized: "incremental", options: { incremental_strategy: "append" } },
 *   dbtConfig: { materialized: "incremental", incremental: { on_schema_change: "fail" } },
 * } as unknown as ModelNode;
 * assert.deepEqual(writtenOptions(model), { on_schema_change: "fail" });
 * ```
 */
export function writtenOptions(model: ModelNode): Readonly<Record<string, unknown>> {
  const written = model.dbtConfig as
    | { incremental?: Record<string, unknown>; snapshot?: Record<string, unknown> }
    | undefined;
  if (!written) return model.config.options;
  return (isSnapshot(model) ? written.snapshot : written.incremental) ?? {};
}

/** The materialization named `name`, if there is one. */
export function findMaterialization(name: string): Materialization | undefined {
  return MATERIALIZATIONS.find((m) => m.name === name);
}

/**
 * The materialization a loaded model is built by: `table` for a model with
 * row checks (a view's rows are judged once, into the table and its
 * quarantine), else the one its config names. What compile builds and
 * what `wharf ls`, the manifests and the API report.
 *
 * @throws {Error} for a name no materialization has: a bug, not a user error.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { builtMaterialization } from "./index.ts";
 *
 * const config = { materialized: "view", uniqueKey: [], tags: [], enabled: true, options: {} };
 * assert.equal(builtMaterialization({ config, checks: [] }).name, "view");
 * const checks = [{ name: "valid_id", expression: "id > 0", onFail: "reject" as const }];
 * assert.equal(builtMaterialization({ config, checks }).name, "table");
 * ```
 */
export function builtMaterialization(model: Pick<ModelNode, "config" | "checks">): Materialization {
  const m = materialization(model.config.materialized);
  return model.checks.length && m.checks ? table : m;
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
