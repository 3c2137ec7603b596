/**
 * The API's endpoints as nodes of the docs' lineage graph: what the
 * server's configuration says they read. `wharf docs build` and the
 * server's `/docs` both draw them from here.
 *
 * @module
 */
import type { ApiNode } from "../docs/manifest.ts";
import type { CoalesceSpec } from "./coalesce_config.ts";

/**
 * The API nodes of a project: the coalescing endpoint, reading the model
 * `serve.coalesce` names, when it configures one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiNodes } from "./api_nodes.ts";
 *
 * const spec = { model: "marts.prices", key: "sku", source: "source", fields: ["price"] };
 * assert.deepEqual(apiNodes(spec).map((n) => [n.id, n.reads]), [["api.coalescence", "marts.prices"]]);
 * assert.deepEqual(apiNodes(undefined), []);
 * ```
 */
export function apiNodes(coalesce: CoalesceSpec | undefined): ApiNode[] {
  if (!coalesce) return [];
  return [{
    id: "api.coalescence",
    name: "GET /api/coalescence/{strategy}",
    description: `Coalesced ${
      coalesce.fields.join(", ")
    } per ${coalesce.key}, from the rows of ${coalesce.model} and live upstreams.`,
    reads: coalesce.model,
  }];
}
