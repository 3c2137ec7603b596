/**
 * The methods of a selector (`method:value`), one self-contained entry each:
 * wharf's (`tag:`, `path:`, `layer:`, `catalog:`, `type:`) and dbt's
 * (`fqn:`, `file:`, `source:`, `exposure:`, `unit_test:`, `resource_type:`,
 * `package:`, `config.<key>:` (a dotted key reads inside one: `config.meta.owner:`),
 * `test_type:`). A value is matched with dbt's wildcards (`*`, `?`, `[abc]`,
 * `[!abc]`), ignoring case.
 *
 * @module
 */
import { basename, extname, relative } from "node:path";
import type { Graph } from "./build_graph.ts";
import type { ProjectNode, SourceNode } from "../types.ts";
import { builtMaterialization, isSnapshot, writtenOptions } from "../materializations/index.ts";

/** What methods may know beside a node: its project. */
export interface SelectionContext {
  graph: Graph;
  /** The project's name: the package of its own nodes, the first part of their fqn. */
  project: string;
  /** The models folder, relative to the project root (a plain-SQL node's fqn is its path under it). */
  modelsPath: string;
}

/** One selector method. */
export interface SelectorMethod {
  /** As typed before the colon (`config` also takes `config.<key>`). */
  name: string;
  /** Whether `node` is selected by `value` (lower-cased, as typed; `key`: after `config.`). */
  matches(node: ProjectNode, value: string, ctx: SelectionContext, key?: string): boolean;
  /** The values it can match, for "did you mean" and "known … are". */
  candidates(ctx: SelectionContext, key?: string): string[];
  /** When nothing matches and nothing is close, list every known value. */
  listsKnown?: boolean;
}

/** dbt's wildcards (fnmatch): `*`, `?`, `[abc]`, `[!abc]`; the rest literal. */
export function wildcard(pattern: string): RegExp {
  let body = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") body += ".*";
    else if (c === "?") body += ".";
    else if (c === "[" && pattern.indexOf("]", i + 2) > i) {
      const end = pattern.indexOf("]", i + 2);
      let set = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
      if (set.startsWith("!")) set = `^${set.slice(1)}`;
      body += `[${set}]`;
      i = end;
    } else body += c.replace(/[.+^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${body}$`, "i");
}

/** A node's file, relative to the project root, when it has one (a source's: the YAML declaring it). */
export function nodePath(n: ProjectNode): string | undefined {
  if (n.kind === "source") return n.file;
  return "path" in n ? n.path : n.kind === "generic_test" ? n.location.file : undefined;
}

/** A node's tags, as `tag:` selects them (a test's from its configs and the `data_tests:` tree). */
export function nodeTags(n: ProjectNode): string[] {
  if (n.kind === "model") return n.config.tags;
  if (n.kind === "seed" || n.kind === "unit_test" || n.kind === "exposure") return n.tags;
  if (n.kind === "generic_test" || n.kind === "singular_test") return n.config?.tags ?? [];
  if (n.kind === "analysis") return [];
  return n.tags ?? [];
}

/** A node's type for `type:`: its kind, or `snapshot` for a model materialized as one. */
function nodeType(n: ProjectNode): string {
  return isSnapshot(n) ? "snapshot" : n.kind;
}

/** dbt's resource type: `model`, `seed`, `snapshot`, `source`, `test` (data tests), or the node's own kind. */
export function resourceType(n: ProjectNode): string {
  return n.kind === "generic_test" || n.kind === "singular_test" ? "test" : nodeType(n);
}

/** A test's type: `generic_test` → `generic`, `unit_test` → `unit`; undefined for other nodes. */
function testType(n: ProjectNode): string | undefined {
  return n.kind.endsWith("_test") ? n.kind.slice(0, -"_test".length) : undefined;
}

function nodePackage(n: ProjectNode, ctx: SelectionContext): string {
  return ("package" in n && n.package) || ctx.project;
}

/** dbt's fully qualified name of a node. */
export function nodeFqn(n: ProjectNode, ctx: SelectionContext): string[] {
  if (
    (n.kind === "model" || n.kind === "seed" || n.kind === "analysis" ||
      n.kind.endsWith("_test")) && "fqn" in n && n.fqn
  ) {
    return n.fqn;
  }
  if (n.kind === "source") {
    if (n.fqn) return n.fqn;
    const s = namesOf(n)[0]!;
    return [ctx.project, s.source, s.table];
  }
  const path = nodePath(n);
  if (n.kind === "model" || n.kind === "seed") {
    const under = relative(ctx.modelsPath, path!).split(/[\\/]/);
    const folders = under[0] === ".." ? [] : under.slice(0, -1);
    return [nodePackage(n, ctx), ...folders, basename(path!, extname(path!))];
  }
  return [nodePackage(n, ctx), n.name];
}

/** A source node's names (source and table): as declared, or `schema` and name of its relation. */
function namesOf(n: SourceNode): { source: string; table: string }[] {
  const parts = n.relation.split(".");
  return n.declared ?? [{ source: parts.at(-2) ?? "", table: parts.at(-1) ?? "" }];
}

function nodeCatalog(n: ProjectNode): string | undefined {
  return n.kind === "model" || n.kind === "source" ? n.catalog : undefined;
}

/**
 * A dbt node's configs as set, the project's own keys among them (dbt
 * keeps them beside its own: `config.owner_team:` selects by one); a
 * model's materialization keys, which wharf keeps apart, come from
 * {@linkcode writtenOptions}.
 */
function dbtConfigOf(n: { dbtConfig?: Record<string, unknown> }): Record<string, unknown> {
  const { custom, incremental: _incremental, snapshot: _snapshot, ...config } = n.dbtConfig ??
    {};
  return { ...(typeof custom === "object" && custom !== null ? custom : {}), ...config };
}

/**
 * A node's config as dbt's `config.<key>:` reads it: as written, as the
 * manifest records it (no default wharf runs by: a model that sets no
 * `incremental_strategy` has none; `unique_key` a column or a list), and
 * `materialized` what builds it (`table` for a model with row checks).
 */
function nodeConfig(n: ProjectNode): Record<string, unknown> {
  if (n.kind === "model") {
    return {
      ...writtenOptions(n),
      materialized: builtMaterialization(n).name,
      tags: n.config.tags,
      enabled: n.config.enabled,
      ...(n.config.writtenUniqueKey === undefined ? {} : { unique_key: n.config.writtenUniqueKey }),
      ...(n.catalog ? { database: n.catalog } : {}),
      ...dbtConfigOf(n),
    };
  }
  if (n.kind === "seed") {
    return { materialized: "seed", tags: n.tags, ...dbtConfigOf(n) };
  }
  if (n.kind === "generic_test" || n.kind === "singular_test") {
    return { severity: n.severity, ...(n.config?.tags ? { tags: n.config.tags } : {}) };
  }
  if (n.kind === "source") {
    // As dbt configures a source: enabled (a disabled one is no node), its tags and meta.
    return { enabled: true, tags: n.tags ?? [], meta: n.meta ?? {} };
  }
  return {};
}

/** The value of a config key, reading inside mappings for a dotted one (`meta.owner`). */
function configValue(n: ProjectNode, key: string): unknown {
  let value: unknown = nodeConfig(n);
  for (const part of key.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** Whether a config value is `value`: a scalar by its text, a list when one item is. */
function configMatches(v: unknown, re: RegExp): boolean {
  if (Array.isArray(v)) return v.some((x) => configMatches(x, re));
  if (v === null || v === undefined || typeof v === "object") return false;
  return re.test(String(v));
}

function unique(values: Iterable<string | undefined>): string[] {
  return [...new Set([...values].filter((v): v is string => v !== undefined && v !== ""))];
}

function each<T>(ctx: SelectionContext, f: (n: ProjectNode) => T): T[] {
  return [...ctx.graph.nodes.values()].map(f);
}

/**
 * `fqn:a.b` matches an fqn whose first parts are `a`, `b` (wildcards too),
 * with or without its package first, or whose last part is `a.b`.
 */
function fqnMatches(fqn: readonly string[], value: string): boolean {
  return fqnPrefix(fqn, value) || fqnPrefix(fqn.slice(1), value);
}

function fqnPrefix(fqn: readonly string[], value: string): boolean {
  if (fqn.length === 0) return false;
  if (wildcard(value).test(fqn.at(-1) ?? "")) return true;
  const wanted = value.split(".");
  const flat = fqn.flatMap((p) => p.split("."));
  if (wanted.length > flat.length) return false;
  for (let i = 0; i < wanted.length; i++) {
    if (wanted[i] === "*") return true;
    if (!wildcard(wanted[i]!).test(flat[i]!)) return false;
  }
  return true;
}

function pathMatches(n: ProjectNode, value: string): boolean {
  const p = nodePath(n)?.toLowerCase();
  if (p === undefined) return false;
  const prefix = value.replace(/^\.\//, "").replace(/\/+$/, "");
  return p === prefix || p.startsWith(`${prefix}/`) || wildcard(prefix).test(p);
}

/**
 * dbt's `exposure:` and `unit_test:`: a node of that kind by name, or by
 * `package.name` (what `ls --output selector` prints for one).
 */
function packagedNameMethod(kind: "exposure" | "unit_test"): SelectorMethod {
  return {
    name: kind,
    matches: (n, v, ctx) => {
      if (n.kind !== kind) return false;
      const parts = v.split(".");
      const [pkg, name] = parts.length === 2 ? parts : [undefined, v];
      return (pkg === undefined || wildcard(pkg).test(nodePackage(n, ctx))) &&
        wildcard(name!).test(n.name);
    },
    candidates: (ctx) =>
      unique(
        each(ctx, (n) => n.kind === kind ? [n.name, `${nodePackage(n, ctx)}.${n.name}`] : [])
          .flat(),
      ),
    listsKnown: true,
  };
}

/** Every selector method, by name. */
export const SELECTOR_METHODS: readonly SelectorMethod[] = [
  {
    name: "tag",
    matches: (n, v) => nodeTags(n).some((t) => wildcard(v).test(t)),
    candidates: (ctx) => unique(each(ctx, nodeTags).flat()),
    listsKnown: true,
  },
  {
    name: "path",
    matches: (n, v) => pathMatches(n, v),
    candidates: (ctx) => unique(each(ctx, nodePath)),
  },
  {
    name: "file",
    matches: (n, v) => {
      const p = nodePath(n);
      if (p === undefined) return false;
      const re = wildcard(v);
      return re.test(basename(p)) || re.test(basename(p, extname(p)));
    },
    candidates: (ctx) => unique(each(ctx, (n) => nodePath(n)?.split(/[\\/]/).pop())),
  },
  {
    name: "fqn",
    matches: (n, v, ctx) => fqnMatches(nodeFqn(n, ctx), v),
    candidates: (ctx) => unique(each(ctx, (n) => nodeFqn(n, ctx).join("."))),
  },
  {
    name: "layer",
    matches: (n, v) => n.kind === "model" && wildcard(v).test(n.layer),
    candidates: (ctx) => unique(each(ctx, (n) => n.kind === "model" ? n.layer : undefined)),
    listsKnown: true,
  },
  {
    name: "catalog",
    matches: (n, v) => wildcard(v).test(nodeCatalog(n) ?? ""),
    candidates: (ctx) => unique(each(ctx, nodeCatalog)),
    listsKnown: true,
  },
  {
    name: "type",
    matches: (n, v) => wildcard(v).test(nodeType(n)) || (v === "test" && n.kind.endsWith("_test")),
    candidates: (ctx) => unique([...each(ctx, nodeType), "test"]),
    listsKnown: true,
  },
  {
    name: "resource_type",
    matches: (n, v) => wildcard(v).test(resourceType(n)),
    candidates: (ctx) => unique(each(ctx, resourceType)),
    listsKnown: true,
  },
  {
    name: "test_type",
    matches: (n, v) => {
      const t = testType(n);
      if (t === undefined) return false;
      // dbt's `data` is every data test (generic and singular); `schema` the old name of generic.
      if (v === "data") return n.kind === "generic_test" || n.kind === "singular_test";
      if (v === "schema") return n.kind === "generic_test";
      return wildcard(v).test(t);
    },
    candidates: (ctx) => {
      const types = unique(each(ctx, testType));
      return types.some((t) => t === "generic" || t === "singular") ? [...types, "data"] : types;
    },
    listsKnown: true,
  },
  {
    name: "source",
    matches: (n, v, ctx) => {
      if (n.kind !== "source") return false;
      const parts = v.split(".");
      // `source:name`, `source:name.table`, or `source:package.name.table`.
      const [pkg, src, tbl] = parts.length === 3 ? parts : [undefined, parts[0]!, parts[1]];
      return (pkg === undefined || wildcard(pkg).test(nodePackage(n, ctx))) &&
        namesOf(n).some(({ source, table }) =>
          wildcard(src!).test(source) && (tbl === undefined || wildcard(tbl).test(table))
        );
    },
    candidates: (ctx) =>
      unique(
        each(ctx, (n) => {
          if (n.kind !== "source") return undefined;
          return namesOf(n).map((s) => `${s.source}.${s.table}`);
        }).flat(),
      ).flatMap((s) => [s.split(".")[0]!, s]),
  },
  packagedNameMethod("exposure"),
  packagedNameMethod("unit_test"),
  {
    name: "package",
    matches: (n, v, ctx) =>
      (v === "this" ? ctx.project : v) !== "" &&
      wildcard(v === "this" ? ctx.project : v).test(nodePackage(n, ctx)),
    candidates: (ctx) => unique(each(ctx, (n) => nodePackage(n, ctx))),
    listsKnown: true,
  },
  {
    name: "config",
    matches: (n, v, _ctx, key) =>
      key !== undefined && configMatches(configValue(n, key), wildcard(v)),
    candidates: (ctx, key) =>
      unique(
        each(ctx, (n) => {
          const c = key === undefined ? undefined : configValue(n, key);
          return [c].flat().filter((x) => x !== null && x !== undefined && typeof x !== "object")
            .map(String);
        }).flat(),
      ),
    listsKnown: true,
  },
];

/** The config keys the nodes of `ctx` have, for a `config.<key>:` no node has. */
export function configKeysOf(ctx: SelectionContext): string[] {
  const keys = (value: unknown, prefix: string): string[] =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? Object.entries(value).flatMap(([k, v]) => [`${prefix}${k}`, ...keys(v, `${prefix}${k}.`)])
      : [];
  return unique(each(ctx, (n) => keys(nodeConfig(n), "")).flat()).sort();
}

/** The method named `name`, if wharf has one. */
export function selectorMethod(name: string): SelectorMethod | undefined {
  return SELECTOR_METHODS.find((m) => m.name === name);
}
