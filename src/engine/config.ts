/**
 * The engine's configuration: the settings of `wharf.config.ts` the engine
 * itself reads (project name, warehouse, threads, folders, variables), and
 * the mechanism by which jobs contribute sections of their own (`sources`,
 * `serve`, …) without the engine knowing them: a {@linkcode ConfigSection}
 * resolves one top-level key. The project's full configuration is put
 * together outside the engine (`src/config.ts`).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, type ProjectIssue } from "./errors.ts";
import { checkVar, VAR_TYPES, type VarType } from "./check_var.ts";
import { closest } from "./suggest.ts";
import { parseTargetSpec, resolveTargetSpec } from "./target_spec.ts";

/** The settings of `wharf.config.ts` that the engine reads. */
export interface EngineSettings {
  /** Project name, shown in docs and logs. Default: the folder's name. */
  name?: string;
  /**
   * Warehouse file, relative to the project root. Default `warehouse.duckdb`.
   * Also `md:<database>` (MotherDuck) or `ducklake:<metadata file>` (DuckLake),
   * where DuckDB's extension for them is installed.
   */
  warehouse?: string;
  /**
   * Other databases attached to the warehouse under a name (their catalog):
   * models read them as `<name>.<schema>.<table>` and may build into them
   * (`config: { database: <name> }`). A DuckDB file relative to the project
   * root (created by the first build into it), `md:<database>` or
   * `ducklake:<metadata file>`; read-write unless `readOnly: true`.
   */
  attach?: Record<string, string | { path: string; readOnly?: boolean }>;
  /** Concurrent model builds. Default 4. */
  threads?: number;
  /** Folders, relative to the project root. */
  paths?: {
    /** Models, one folder per layer, and `seeds/`. Default `models`. */
    models?: string;
    /** DuckDB macro files. Default `sql/macros`. */
    macros?: string;
    /** Singular data tests. Default `sql/tests`. */
    tests?: string;
    /** Compiled SQL written by every command that compiles. Default `target`. */
    target?: string;
    /** Downloads of landed URLs. Default `.wharf/cache`. */
    cache?: string;
    /** Work files of landings in progress (links, copies). Default `.wharf/staging`. */
    staging?: string;
    /** Snapshots: `<name>.sql` (one SELECT) and YAML with `snapshots:`. Default `snapshots`. */
    snapshots?: string;
  };
  /**
   * Project variables, read in SQL as `wharf_var('name')` (text); `--vars
   * name=value` overrides. A variable is its value, or `{ default, type }`
   * ({@linkcode VarDeclaration}): then its value and every `--vars` value
   * for it are checked against the type before anything runs.
   */
  vars?: Record<string, string | number | boolean | VarDeclaration>;
  /** SQL run before anything of a `build`/`run`/`seed`/`test` (dbt's `on-run-start`). */
  onRunStart?: string | string[];
  /** SQL run once the nodes of a run are done, failed or not (dbt's `on-run-end`). */
  onRunEnd?: string | string[];
}

/**
 * A variable declared with its type (in `vars` of wharf.config.ts):
 * `as_of_date: { default: "2023-09-01", type: "date" }`.
 */
export interface VarDeclaration {
  /** Its value unless `--vars` gives another. */
  default: string | number | boolean;
  /** What its value must be: `text`, `date` (YYYY-MM-DD), `timestamp`, `integer`, `number`, `boolean`. */
  type: VarType;
}

/** A database attached to the warehouse (see {@linkcode EngineSettings.attach}). */
export interface AttachedDatabase {
  /** Its catalog name: models write `<name>.<schema>.<table>`. */
  name: string;
  /** A local file (absolute), `md:<database>` or `ducklake:<metadata>`. */
  target: string;
  /** Attached read-only: models read it but cannot be built into it. */
  readOnly: boolean;
  /** True when the command line points it elsewhere than the configuration does (`--attach name=path`). */
  redirected?: boolean;
}

/** The engine's settings with every default filled in and paths made absolute. */
export interface EngineConfig {
  root: string;
  name: string;
  /** A local file (absolute), `:memory:`, `md:<database>` or `ducklake:<metadata>`. */
  warehouse: string;
  /**
   * The warehouse a command compiles against when it is another than
   * `warehouse` (`--db`): a schema named like its catalog (DuckDB names it
   * after the file) is ambiguous there, not in `warehouse`'s.
   */
  opened?: string;
  /** Attached databases, by name. */
  attach: AttachedDatabase[];
  threads: number;
  paths: {
    models: string;
    macros: string;
    tests: string;
    target: string;
    cache: string;
    staging: string;
    snapshots: string;
  };
  vars: Record<string, string>;
  /**
   * False: a project load reads no parse cache (`target/wharf_parse_cache.json`)
   * and parses every text anew, then writes the cache, as dbt's
   * `--no-partial-parse` does with its own. Unset: a dbt project's
   * `partial_parse` flag, else true.
   */
  partialParse?: boolean;
  /** The types the variables of wharf.config.ts declare (those declared with one). */
  varTypes?: Record<string, VarType>;
  /** The variables `--vars` gave this command, apart (a dbt project's selectors.yml reads only these). */
  commandVars?: Record<string, string>;
  /** The same, as given: dbt's YAML mapping keeps its types (`"007"` stays text), which dbt's var() returns. */
  givenVars?: Readonly<Record<string, unknown>>;
  /**
   * `onRunStart`/`onRunEnd` of wharf.config.ts, or `on-run-start`/`on-run-end`
   * of dbt_project.yml (Jinja, rendered when the project loads); absent: none.
   */
  runHooks?: { start: string[]; end: string[] };
  /**
   * `--warn-unsupported`: what wharf does not support (Python models,
   * `grants`, keys it does not implement) is left out with a warning
   * instead of failing the command.
   */
  warnUnsupported?: boolean;
  /** Set when the project is a dbt project (`dbt_project.yml` at its root): see `src/engine/dbt/`. */
  dbt?: DbtConfig;
}

/** A dbt project's settings: what `dbt_project.yml` and the profile's target say. */
export interface DbtConfig {
  /** `name:` of dbt_project.yml. */
  project: string;
  /** Folders relative to the project root (`model-paths`, `seed-paths`, …). */
  paths: {
    models: string[];
    seeds: string[];
    tests: string[];
    macros: string[];
    analyses: string[];
    snapshots: string[];
  };
  /** `vars:` as YAML gives them: values of any kind, and mappings per project name. */
  vars: Record<string, unknown>;
  /** The `models:` and `seeds:` config trees as YAML gives them (validated when read). */
  models: Record<string, unknown>;
  seeds: Record<string, unknown>;
  /** `dispatch:` of dbt_project.yml: per macro namespace, the packages searched in order. */
  dispatch?: { macroNamespace: string; searchOrder: string[] }[];
  /** `packages-install-path` of dbt_project.yml (default `dbt_packages`), relative to the root. */
  packagesInstallPath?: string;
  /** `docs-paths` of dbt_project.yml: where `.md` files hold docs blocks (default: every resource folder). */
  docsPaths?: string[];
  /** The profile's target the project runs against. */
  target: DbtTarget;
  /**
   * Problems of dbt_project.yml that do not keep the project from loading
   * (an unknown key), when the caller deferred them: listed with the project's.
   */
  issues?: ProjectIssue[];
  /** `flags:` of dbt_project.yml (or the profile's older `config:`): what wharf applies of them. */
  flags: ProjectFlags;
  /** Where `flags` were read (`dbt_project.yml`, or the profile's file), when anywhere. */
  flagsFile?: string;
}

/**
 * How tests come along with the nodes selected (dbt's `--indirect-selection`):
 * `eager`, a test of any selected node; `cautious`, a test whose every node
 * is selected; `buildable`, a test whose every node is selected or an
 * ancestor of a selected one; `empty`, none (only tests selected themselves).
 */
export type IndirectSelection = "eager" | "cautious" | "buildable" | "empty";

/** The modes of {@linkcode IndirectSelection}, the default first. */
export const INDIRECT_SELECTION: readonly IndirectSelection[] = [
  "eager",
  "cautious",
  "buildable",
  "empty",
];

/** dbt's project flags wharf applies (the rest are validated, see dbt/project_flags.ts). */
export interface ProjectFlags {
  /** `fail_fast`: the default of `--fail-fast`. */
  failFast?: boolean;
  /** `warn_error`: the default of `--warn-error` (a test that would warn fails). */
  warnError?: boolean;
  /** `partial_parse`: false reads no parse cache (`--no-partial-parse`); it is written still. */
  partialParse?: boolean;
  /** `indirect_selection`: the default of `--indirect-selection`. */
  indirectSelection?: IndirectSelection;
  /** `use_colors`: false prints no colors, even on a terminal. */
  useColors?: boolean;
  /** `printer_width`: the width of a node's result line. */
  printerWidth?: number;
}

/** A dbt-duckdb target of `profiles.yml` (or the defaults when the project has no profile). */
export interface DbtTarget {
  /** The profile's name and the target's name (`dev`). */
  profile: string;
  name: string;
  /** The schema models build in when they set none (`main`). */
  schema: string;
  /** The warehouse's database name as dbt-duckdb gives it: the file's name without extension. */
  database: string;
  /**
   * The profile's `database:` when it names an attached database (its alias):
   * what models, seeds and snapshots build into, and sources are read from,
   * unless they name a database; dbt's `target.database`. Absent: the warehouse.
   */
  buildInto?: string;
  /** DuckDB extensions loaded when the warehouse opens. */
  extensions: string[];
  /** DuckDB settings applied when the warehouse opens. */
  settings: Record<string, string>;
  /** The file the settings came from, or undefined for the defaults. */
  file?: string;
}

/**
 * A top-level section of `wharf.config.ts` that a job reads (e.g. `sources`
 * for landing): its key and how its value (possibly absent) resolves.
 *
 * @example
 * ```ts
 * import type { ConfigSection } from "./config.ts";
 * const greeting: ConfigSection<"greeting", string | undefined, string> = {
 *   key: "greeting",
 *   resolve: (raw) => raw ?? "hello",
 * };
 * ```
 */
export interface ConfigSection<K extends string, Raw, Resolved> {
  key: K;
  /** Resolves the section's value; throws {@linkcode ConfigError} for a bad one. */
  resolve(raw: Raw | undefined, root: string): Resolved;
}

/**
 * Refuses every key of `value` (a mapping of wharf.config.ts at `path`,
 * e.g. `sources[0]`; none for the top level) that is not one of `known`,
 * naming the key, its path and the closest known key (`what` takes them):
 * a typo (`patern`) is never silently ignored.
 *
 * @throws {ConfigError} for the first unknown key.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { refuseUnknownKeys } from "./config.ts";
 *
 * assert.throws(
 *   () => refuseUnknownKeys({ patern: "x" }, ["name", "pattern"], { path: "sources[0]", what: "a source" }),
 *   { message: 'Unknown key "sources[0].patern" in wharf.config.ts (did you mean "pattern"?): a source takes "name", "pattern"' },
 * );
 * ```
 */
export function refuseUnknownKeys(
  value: object,
  known: readonly string[],
  where: { path?: string; what: string },
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = closest(key, known);
    throw new ConfigError(
      `Unknown key "${where.path ? `${where.path}.` : ""}${key}" in wharf.config.ts${
        guess ? ` (did you mean "${guess}"?)` : ""
      }: ${where.what} takes ${known.map((k) => `"${k}"`).join(", ")}`,
      { location: { file: "wharf.config.ts" } },
    );
  }
}

const ENGINE_KEYS = [
  "name",
  "warehouse",
  "attach",
  "threads",
  "paths",
  "vars",
  "onRunStart",
  "onRunEnd",
] as const;

/** `onRunStart`/`onRunEnd`: a statement or a list of them. */
function resolveRunHooks(settings: EngineSettings): EngineConfig["runHooks"] {
  const read = (key: "onRunStart" | "onRunEnd") => {
    const value = settings[key];
    if (value === undefined) return [];
    const list = typeof value === "string" ? [value] : value;
    if (!Array.isArray(list) || !list.every((h) => typeof h === "string")) {
      throw new ConfigError(
        `Invalid "${key}" in wharf.config.ts: expected a SQL statement or a list of them`,
        { location: { file: "wharf.config.ts" } },
      );
    }
    return list.filter((h) => h.trim() !== "");
  };
  const start = read("onRunStart");
  const end = read("onRunEnd");
  return start.length || end.length ? { start, end } : undefined;
}
const PATH_KEYS = [
  "models",
  "macros",
  "tests",
  "target",
  "cache",
  "staging",
  "snapshots",
] as const;

/**
 * Resolves the engine's settings of `config` against `root`, and refuses any
 * top-level key that is neither the engine's nor one of `sectionKeys` (the
 * jobs' sections), naming the closest known key.
 *
 * @throws {ConfigError} for an unknown key or a bad value.
 */
export function resolveEngineConfig(
  root: string,
  config: Record<string, unknown>,
  sectionKeys: readonly string[],
): EngineConfig {
  refuseUnknownKeys(config, [...ENGINE_KEYS, ...sectionKeys], { what: "it" });
  const settings = config as EngineSettings;
  refuseUnknownKeys(settings.paths ?? {}, PATH_KEYS, { path: "paths", what: "paths" });
  const abs = resolve(root);
  const threads = settings.threads ?? 4;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ConfigError(
      `Invalid "threads" in wharf.config.ts: expected a positive integer, got ${
        JSON.stringify(threads)
      }`,
    );
  }
  const paths = settings.paths ?? {};
  const runHooks = resolveRunHooks(settings);
  return {
    root: abs,
    name: settings.name ?? abs.split(/[\\/]/).pop() ?? "wharf",
    warehouse: resolveTargetSpec(settings.warehouse ?? "warehouse.duckdb", abs),
    attach: resolveAttach(abs, settings.attach),
    threads,
    paths: {
      models: resolve(abs, paths.models ?? "models"),
      macros: resolve(abs, paths.macros ?? "sql/macros"),
      tests: resolve(abs, paths.tests ?? "sql/tests"),
      target: resolve(abs, paths.target ?? "target"),
      cache: resolve(abs, paths.cache ?? ".wharf/cache"),
      staging: resolve(abs, paths.staging ?? ".wharf/staging"),
      snapshots: resolve(abs, paths.snapshots ?? "snapshots"),
    },
    ...resolveVars(settings.vars),
    ...(runHooks ? { runHooks } : {}),
  };
}

const VAR_KEYS = ["default", "type"];

/**
 * Resolves `vars`: each value as text, and the type of each declared
 * `{ default, type }`, its default checked against it.
 *
 * @throws {ConfigError} for a malformed declaration, an unknown type or a
 * default that does not fit its type, naming the variable and the value.
 */
function resolveVars(
  vars: EngineSettings["vars"],
): Pick<EngineConfig, "vars"> & { varTypes?: Record<string, VarType> } {
  const where = { location: { file: "wharf.config.ts" } };
  if (vars === undefined) return { vars: {} };
  if (typeof vars !== "object" || vars === null || Array.isArray(vars)) {
    throw new ConfigError(
      `Invalid "vars" in wharf.config.ts: expected a mapping of names to values, e.g. vars: { as_of_date: "2024-01-31" }`,
      where,
    );
  }
  const values: Record<string, string> = {};
  const types: Record<string, VarType> = {};
  for (const [name, value] of Object.entries(vars)) {
    if (typeof value !== "object" || value === null) {
      values[name] = String(value);
      continue;
    }
    const at = `"vars.${name}" in wharf.config.ts`;
    if (Array.isArray(value)) {
      throw new ConfigError(
        `Invalid ${at}: expected a value (text, number, true/false) or { default, type }, got a list`,
        where,
      );
    }
    refuseUnknownKeys(value, VAR_KEYS, { path: `vars.${name}`, what: "a declared variable" });
    const type = value.type as unknown;
    if (!(VAR_TYPES as readonly unknown[]).includes(type)) {
      const guess = typeof type === "string" ? closest(type, VAR_TYPES) : undefined;
      throw new ConfigError(
        `Invalid type of ${at}: expected one of ${VAR_TYPES.map((t) => `"${t}"`).join(", ")}, got ${
          JSON.stringify(type)
        }${guess ? ` (did you mean "${guess}"?)` : ""}`,
        where,
      );
    }
    const fallback = value.default as unknown;
    if (!["string", "number", "boolean"].includes(typeof fallback)) {
      throw new ConfigError(
        `Invalid ${at}: "default" is its value (text, a number or true/false), got ${
          JSON.stringify(fallback) ?? "nothing"
        }`,
        where,
      );
    }
    const text = String(fallback);
    const problem = checkVar(type as VarType, text);
    if (problem) {
      throw new ConfigError(
        `Invalid variable "${name}" in wharf.config.ts: ${problem}`,
        where,
      );
    }
    values[name] = text;
    types[name] = type as VarType;
  }
  return Object.keys(types).length ? { vars: values, varTypes: types } : { vars: values };
}

/** Catalog names DuckDB or wharf already use: an attached database may not take them. */
export const RESERVED_CATALOGS: readonly string[] = [
  "main",
  "memory",
  "system",
  "temp",
  "raw",
  "seeds",
  "wharf",
];

/** Resolves `attach:`: each entry's name and target checked, paths made absolute. */
function resolveAttach(root: string, attach: EngineSettings["attach"]): AttachedDatabase[] {
  if (attach === undefined) return [];
  const where = { location: { file: "wharf.config.ts" } };
  if (typeof attach !== "object" || attach === null || Array.isArray(attach)) {
    throw new ConfigError(
      `Invalid "attach" in wharf.config.ts: expected a mapping of names to databases, e.g. attach: { lake: "lake.duckdb" }`,
      where,
    );
  }
  return Object.entries(attach).map(([name, entry]) => {
    const at = `"attach.${name}" in wharf.config.ts`;
    if (!/^[a-z_][a-z0-9_]*$/.test(name) || RESERVED_CATALOGS.includes(name)) {
      throw new ConfigError(
        `Invalid name ${at}: ${
          RESERVED_CATALOGS.includes(name)
            ? `"${name}" is taken (by DuckDB or wharf's own schemas)`
            : "use lower-case letters, digits and underscores"
        }; pick another name for the database`,
        where,
      );
    }
    const value = typeof entry === "string" ? { path: entry } : entry;
    if (typeof value !== "object" || value === null || typeof value.path !== "string") {
      throw new ConfigError(
        `Invalid ${at}: expected a path ("lake.duckdb") or { path, readOnly }, got ${
          JSON.stringify(entry)
        }`,
        where,
      );
    }
    refuseUnknownKeys(value, ["path", "readOnly"], {
      path: `attach.${name}`,
      what: "an attached database",
    });
    if (value.readOnly !== undefined && typeof value.readOnly !== "boolean") {
      throw new ConfigError(`Invalid "readOnly" of ${at}: expected true or false`, where);
    }
    const target = parseTargetSpec(value.path, root);
    if (target.kind === "memory") {
      throw new ConfigError(
        `Invalid ${at}: an attached database holds data of its own; ":memory:" would lose it`,
        where,
      );
    }
    if (target.kind === "motherduck" && target.database !== name) {
      throw new ConfigError(
        `Invalid ${at}: MotherDuck attaches a database under its own name, so name the entry after it: attach: { ${
          target.database || "<database>"
        }: "md:${target.database || "<database>"}" }`,
        where,
      );
    }
    return { name, target: target.spec, readOnly: value.readOnly ?? false };
  }).sort((a, b) => a.name.localeCompare(b.name));
}

/** wharf's `mod.ts`, which a project's wharf.config.ts imports `defineConfig` from. */
const WHARF_MOD = new URL("../../mod.ts", import.meta.url);

/** Deno's colors in an error's message (it colors the place of a failed import). */
// deno-lint-ignore no-control-regex
const COLORS = /\x1b\[[0-9;]*m/g;

/**
 * The error for `file` (the project's wharf.config.ts) failing to load with
 * `err`: Deno's message without its colors and the module cache's query
 * (`?v=…`), the line of the config at fault, and, for an import that is not
 * found, how a project outside wharf's folder imports wharf (by the path of
 * its mod.ts) or that it needs no import (`export default { … }`).
 */
function loadError(file: string, err: unknown): ConfigError {
  const text = (err instanceof Error ? err.message : String(err)).replace(COLORS, "")
    .replace(/\?v=[\w-]*/g, "");
  // Deno names the place of a failed import on a last line: `    at file:///…/wharf.config.ts:1:30`.
  const at = /\n\s*at (\S+):(\d+):(\d+)$/.exec(text);
  const inConfig = at !== null && at[1] === new URL(`file://${file}`).href;
  const location = { file: "wharf.config.ts", ...(inConfig ? { line: Number(at[2]) } : {}) };
  // Its first line: Deno's hints after it are about its own deno.json, not wharf's.
  const detail = text.split("\n")[0]!.replace(/\.$/, "");
  // Deno gives a syntax error of the config that code too, as `SyntaxError: …`.
  if (
    (err as { code?: unknown })?.code !== "ERR_MODULE_NOT_FOUND" || /^\w*Error: /.test(detail)
  ) {
    return new ConfigError(`Cannot load "${file}": ${text}`, { cause: err, location });
  }
  const path = (url: URL) => url.protocol === "file:" ? fileURLToPath(url) : url.href;
  const importer = inConfig ? `line ${at[2]}` : at ? `${path(new URL(at[1]!))}:${at[2]}` : "it";
  return new ConfigError(
    `Cannot load "${file}": ${importer} imports a module that is not found (${detail}): to import wharf, give the path of its mod.ts, import { defineConfig } from "${
      path(WHARF_MOD)
    }", or export the configuration without an import, export default { … }`,
    { cause: err, location },
  );
}

/**
 * Reads the object `wharf.config.ts` in `root` exports by default (an empty
 * object when there is no such file).
 *
 * @throws {ConfigError} when the folder does not exist or the config file
 * fails to load or does not export a config object.
 */
export async function readConfigFile(root: string): Promise<Record<string, unknown>> {
  const abs = resolve(root);
  try {
    if (!(await Deno.stat(abs)).isDirectory) {
      throw new ConfigError(`Project folder "${root}" is not a folder`);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ConfigError(
        `Project folder "${root}" does not exist: pass --project with the folder that holds models/`,
      );
    }
    throw err;
  }
  const file = join(abs, "wharf.config.ts");
  let stat: Deno.FileInfo | undefined;
  try {
    stat = await Deno.stat(file);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (!stat?.isFile) return {};
  let mod: { default?: unknown };
  try {
    // The modification time in the URL makes an edited config load afresh
    // in a long-running process (server, tests) instead of from the module cache.
    const url = new URL(`file://${file}`);
    url.searchParams.set("v", `${stat.mtime?.getTime() ?? 0}-${stat.size}`);
    mod = await import(url.href);
  } catch (err) {
    throw loadError(file, err);
  }
  if (typeof mod.default !== "object" || mod.default === null || Array.isArray(mod.default)) {
    throw new ConfigError(
      `Invalid "${file}": it must \`export default defineConfig({...})\``,
      { location: { file: "wharf.config.ts" } },
    );
  }
  return mod.default as Record<string, unknown>;
}
