/**
 * What `dbt ls --output …` prints for the selected nodes, from the
 * manifest's entries, in dbt's order (by unique id): `selector` (each
 * node's selection method form: its fqn, `source:<package>.<source>.<table>`,
 * `exposure:<package>.<name>`, `unit_test:<package>.<name>`), `json` (one
 * JSON object a line with dbt's keys, or those `--output-keys` names,
 * `config.materialized` included), `name` and `path`.
 *
 * @module
 */
import type { DbtManifest, ManifestEntry } from "./dbt_manifest.ts";

/** dbt's `--output` forms. */
export const LIST_OUTPUTS = ["selector", "json", "name", "path"] as const;

/** One of {@linkcode LIST_OUTPUTS}. */
export type ListOutput = typeof LIST_OUTPUTS[number];

/** The keys `dbt ls --output json` prints without `--output-keys`, in the order dbt's nodes have them. */
const JSON_KEYS = [
  "name",
  "resource_type",
  "package_name",
  "original_file_path",
  "unique_id",
  "alias",
  "source_name",
  "config",
  "tags",
  "depends_on",
];

/** Options of {@linkcode dbtList}. */
export interface DbtListOptions {
  /** `--output-keys`: the keys `json` prints (a dotted key reads inside one: `config.materialized`). */
  keys?: readonly string[];
}

/** The manifest entry of a unique id: a node, source, exposure or unit test. */
function entryOf(manifest: DbtManifest, uid: string): ManifestEntry | undefined {
  return manifest.nodes[uid] ?? manifest.sources[uid] ??
    (manifest.exposures as Record<string, ManifestEntry> | undefined)?.[uid] ??
    manifest.unit_tests?.[uid];
}

/** The value at a dotted key (`config.materialized`), or undefined. */
function nested(entry: Record<string, unknown>, key: string): unknown {
  let current: unknown = entry;
  for (const part of key.split(".")) {
    if (typeof current !== "object" || current === null || !(part in current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * JSON as Python's `json.dumps` writes it (dbt's form): `{"a": 1, "b": [1, 2]}`.
 * JSON.stringify escapes line breaks inside strings, so every line break it
 * writes is between values.
 */
export function pythonJson(value: unknown): string {
  return JSON.stringify(value, null, 1)
    .replace(/([{[])\n */g, "$1")
    .replace(/,\n */g, ", ")
    .replace(/\n *([}\]])/g, "$1");
}

/** The selector dbt prints for an entry: its method form (sources, exposures, unit tests) or fqn. */
function selectorOf(entry: ManifestEntry): string {
  const pkg = String(entry.package_name);
  switch (entry.resource_type) {
    case "source":
      return `source:${pkg}.${String(entry.source_name)}.${entry.name}`;
    case "exposure":
      return `exposure:${pkg}.${entry.name}`;
    case "unit_test":
      return `unit_test:${pkg}.${entry.name}`;
    default:
      return (entry.fqn as string[]).join(".");
  }
}

/** The name dbt prints (its `search_name`): a source's `source.table`, else the node's name. */
function nameOf(entry: ManifestEntry): string {
  return entry.resource_type === "source"
    ? `${String(entry.source_name)}.${entry.name}`
    : entry.name;
}

/**
 * The lines `dbt ls --output <output>` prints for the nodes `uids` (unique
 * ids of `manifest`), sorted by unique id as dbt sorts them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dbtList } from "./dbt_list.ts";
 *
 * const manifest = {
 *   metadata: {}, parent_map: {}, child_map: {}, macros: {}, nodes: {},
 *   sources: {
 *     "source.shop.app.orders": {
 *       unique_id: "source.shop.app.orders", resource_type: "source", name: "orders",
 *       package_name: "shop", source_name: "app", original_file_path: "models/_sources.yml",
 *       fqn: ["shop", "app", "orders"], config: { enabled: true }, tags: [],
 *     },
 *   },
 * };
 * assert.deepEqual(dbtList(manifest, ["source.shop.app.orders"], "selector"), ["source:shop.app.orders"]);
 * assert.deepEqual(dbtList(manifest, ["source.shop.app.orders"], "json", { keys: ["name", "config.enabled"] }), [
 *   '{"name": "orders", "config.enabled": true}',
 * ]);
 * ```
 */
export function dbtList(
  manifest: DbtManifest,
  uids: readonly string[],
  output: ListOutput,
  options: DbtListOptions = {},
): string[] {
  const entries = [...new Set(uids)].sort().map((u) => entryOf(manifest, u))
    .filter((e): e is ManifestEntry => e !== undefined);
  return entries.flatMap((e): string[] => {
    switch (output) {
      case "selector":
        return [selectorOf(e)];
      case "name":
        return [nameOf(e)];
      case "path":
        return e.original_file_path ? [String(e.original_file_path)] : [];
      case "json": {
        const out: Record<string, unknown> = {};
        if (options.keys?.length) {
          // As dbt: a key the node has (a dotted one when its value is not null).
          for (const key of options.keys) {
            const value = key.includes(".") ? nested(e, key) : e[key];
            if (key.includes(".") ? value !== undefined && value !== null : key in e) {
              out[key] = value;
            }
          }
        } else {
          for (const key of JSON_KEYS) if (key in e) out[key] = e[key];
        }
        return [pythonJson(out)];
      }
    }
  });
}
