/**
 * The `models:`, `seeds:`, `snapshots:` and `data_tests:` (or `tests:`)
 * trees of `dbt_project.yml`: configs (`+key`, or a known key without `+`,
 * as dbt allows) at the project's level and per folder (or per file), the
 * most specific winning. A folder of the tree that holds no node (a typo)
 * is an error naming it.
 *
 * @module
 */
import type { SourceLocation } from "../errors.ts";
import type { ReportOptions, YamlFile, YamlPath } from "../yaml/yaml_file.ts";
import { isRecord } from "../yaml/yaml_schema.ts";
import { closest } from "../suggest.ts";
import {
  type ConfigResource,
  isConfigKey,
  type NodeConfig,
  readNodeConfig,
} from "./node_config.ts";

/** How a tree reads the configs of its levels. */
export interface TreeReader<C> {
  /** The resource it configures, as messages name it (`model`, `test`). */
  resource: string;
  /** True when `key`, written without `+`, is a config rather than a folder. */
  isConfig(key: string, value: unknown): boolean;
  /**
   * Reads one level's configs (keys without `+`), reporting each problem at
   * its key; `locate` gives where a value is written (its path in `raw`).
   */
  read(
    raw: Record<string, unknown>,
    report: (key: string, message: string, options?: ReportOptions) => void,
    locate: (path: YamlPath) => SourceLocation,
  ): C;
}

/** The reader of a `models:` or `seeds:` tree. */
function nodeReader(resource: ConfigResource): TreeReader<NodeConfig> {
  return {
    resource,
    isConfig: (k, v) =>
      isConfigKey(k, resource) &&
      (!isRecord(v) || k === "docs" || k === "meta" || k === "column_types" ||
        k === "snapshot_meta_column_names" || k === "persist_docs"),
    read: (raw, report, locate) => readNodeConfig(raw, resource, report, locate),
  };
}

/** A read config tree. */
export interface ConfigTree<C = NodeConfig> {
  /** The configs that apply to a node of `fqn` (`[project, ...folders, name]`), general first. */
  configsFor(fqn: readonly string[]): C[];
  /** Checks that every path of the tree names nodes: reports those that name none. */
  checkPaths(fqns: readonly (readonly string[])[]): void;
  /**
   * Where the config `key` that applies to a node of `fqn` is written (the
   * most specific level setting it, `+key` or `key`), at `within` in its
   * value; undefined when no level sets it.
   */
  locate(fqn: readonly string[], key: string, within?: YamlPath): SourceLocation | undefined;
}

interface Level<C> {
  config: C;
  children: Map<string, { level: Level<C>; path: YamlPath }>;
  /** Its path in the file. */
  path: YamlPath;
  /** Its configs' keys as written (`+schema`, `schema`), by config key. */
  written: Map<string, string>;
}

/**
 * Reads the tree at `key` (`models`, `seeds` or `snapshots`) of `file` (dbt_project.yml),
 * reporting problems to the file.
 */
export function readConfigTree(
  file: YamlFile,
  key: "models" | "seeds" | "snapshots",
  project: string,
  resource: ConfigResource,
  packages: readonly string[] = [],
): ConfigTree {
  return readTree(file, key, project, nodeReader(resource), packages);
}

/**
 * Reads the tree at `key` of `file` (dbt_project.yml) with `reader`,
 * reporting problems to the file.
 */
export function readTree<C>(
  file: YamlFile,
  key: string,
  project: string,
  reader: TreeReader<C>,
  packages: readonly string[] = [],
): ConfigTree<C> {
  const resource = reader.resource;
  const readLevel = (value: Record<string, unknown>, path: YamlPath): Level<C> => {
    const configs: Record<string, unknown> = {};
    const written = new Map<string, string>();
    const children = new Map<string, { level: Level<C>; path: YamlPath }>();
    for (const [k, v] of Object.entries(value)) {
      if (k.startsWith("+")) {
        configs[k.slice(1)] = v;
        written.set(k.slice(1), k);
        continue;
      }
      if (reader.isConfig(k, v)) {
        configs[k] = v;
        written.set(k, k);
        continue;
      }
      if (v === null) continue;
      if (!isRecord(v)) {
        file.report(
          [...path, k],
          `expected a folder's configs (a mapping), or a config key with "+" (e.g. "+${k}")`,
        );
        continue;
      }
      children.set(k, { level: readLevel(v, [...path, k]), path: [...path, k] });
    }
    const config = reader.read(
      configs,
      (ck, message, options) => {
        const written = ck in value ? ck : `+${ck.split(".")[0]}`;
        file.report([...path, written], message, options);
      },
      ([ck, ...within]) => file.locate([...path, written.get(String(ck)) ?? String(ck), ...within]),
    );
    return { config, children, path, written };
  };
  const data = isRecord(file.data) ? file.data[key] : undefined;
  const root = readLevel(isRecord(data) ? data : {}, [key]);
  for (const [name, child] of root.children) {
    if (name !== project && !packages.includes(name)) {
      file.report(
        child.path,
        `"${name}" is not this project ("${project}")${
          packages.length
            ? ` or one of its packages (${packages.join(", ")})`
            : " and it has no packages"
        }: check the name`,
        { key: true },
      );
    }
  }
  return {
    configsFor(fqn) {
      const out = [root.config];
      let level: Level<C> | undefined = root;
      for (const part of fqn) {
        level = level.children.get(part)?.level;
        if (!level) break;
        out.push(level.config);
      }
      return out;
    },
    locate(fqn, key, within = []) {
      let found: Level<C> | undefined;
      let level: Level<C> | undefined = root;
      for (const part of ["", ...fqn]) {
        level = part === "" ? root : level?.children.get(part)?.level;
        if (!level) break;
        if (level.written.has(key)) found = level;
      }
      return found && file.locate([...found.path, found.written.get(key)!, ...within]);
    },
    checkPaths(fqns) {
      const walk = (level: Level<C>, prefix: string[]) => {
        for (const [name, child] of level.children) {
          const path = [...prefix, name];
          if (prefix.length === 0 && name !== project && !packages.includes(name)) continue;
          const used = fqns.some((f) => path.every((p, i) => f[i] === p));
          if (!used) {
            // The folders (or nodes) there are: a typo's closest.
            const there = fqns.filter((f) =>
              f.length > prefix.length && prefix.every((p, i) => f[i] === p)
            )
              .map((f) => f[prefix.length]!);
            const guess = closest(name, new Set(there));
            file.report(
              child.path,
              `no ${resource} under "${path.slice(1).join("/")}"${
                guess ? ` (did you mean "${guess}"?)` : ""
              }: check the folder's name (configs here would apply to nothing)`,
              { key: true },
            );
          } else walk(child.level, path);
        }
      };
      walk(root, []);
    },
  };
}
