/**
 * What wharf does not support, by the YAML key dbt users write it under:
 * a clear "not supported" error naming the file and key, never ignored.
 * `--warn-unsupported` turns these (and every key wharf does not
 * implement) into warnings, and the things they name are left out.
 *
 * @module
 */

/** dbt keys wharf does not support, with what they are. */
export const UNSUPPORTED_KEYS: Readonly<Record<string, string>> = {
  versions: "model versions",
  latest_version: "model versions",
  grants: "grants",
  semantic_models: "semantic models",
  metrics: "metrics",
  saved_queries: "saved queries",
  // dbt_project.yml's configs of those.
  "semantic-models": "semantic models",
  "saved-queries": "saved queries",
  // A dbt project runs these (dbt/node_config.ts, dbt/properties.ts); a plain-SQL project's YAML does not.
  persist_docs: "persist_docs",
  access: "model access",
  group: "model groups",
  groups: "model groups",
  deprecation_date: "model deprecation dates",
  time_spine: "time spines",
  sql_header: "SQL headers",
};

/**
 * A key as messages name it: quoted, with what it is when that says more
 * than the key's own words (`"access" (model access)`, but `"grants"`, not
 * `"grants" (grants)`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { namedKey } from "./unsupported.ts";
 *
 * assert.equal(namedKey("access", "model access"), '"access" (model access)');
 * assert.equal(namedKey("grants", "grants"), '"grants"');
 * assert.equal(namedKey("semantic-models", "semantic models"), '"semantic-models"');
 * assert.equal(namedKey("persist_docs", "persist_docs"), '"persist_docs"');
 * ```
 */
export function namedKey(key: string, meaning: string): string {
  const words = key.toLowerCase().replace(/[-_]+/g, " ");
  const said = meaning.toLowerCase().replace(/[-_]+/g, " ");
  return said === words || said === `${words}s` ? `"${key}"` : `"${key}" (${meaning})`;
}

/**
 * The message for a key wharf does not support, in `what` (e.g. `a
 * model's config`), or undefined for a key not listed.
 */
export function unsupportedKey(key: string, what: string): string | undefined {
  const name = UNSUPPORTED_KEYS[key];
  if (name === undefined) return undefined;
  return `${namedKey(key, name)} in ${what} is not supported by wharf: remove it`;
}
