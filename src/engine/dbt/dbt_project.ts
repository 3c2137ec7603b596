/**
 * Reads `dbt_project.yml`: the project's name, profile, folders and
 * variables, and its `models:`/`seeds:`/`snapshots:`/`sources:`/`data_tests:` config trees (validated later,
 * against the files found). A key of dbt's that wharf does not run yet is
 * an error naming it, never ignored.
 *
 * @module
 */
import { join } from "node:path";
import type { DbtConfig, ProjectFlags } from "../config.ts";
import { ConfigError, formatLocation, listIssues, type ProjectIssue } from "../errors.ts";
import { closest } from "../suggest.ts";
import { namedKey, unsupportedKey } from "../unsupported.ts";
import { YamlFile } from "../yaml/yaml_file.ts";
import { isRecord } from "../yaml/yaml_schema.ts";
import { readProjectFlags } from "./project_flags.ts";

/** The file that makes a folder a dbt project. */
export const DBT_PROJECT_FILE = "dbt_project.yml";

/** What `dbt_project.yml` says. */
export interface DbtProjectFile {
  name: string;
  /** `profile:`; the project's name when absent. */
  profile: string;
  paths: DbtConfig["paths"];
  /** `target-path`, when set. */
  targetPath?: string;
  vars: Record<string, unknown>;
  models: Record<string, unknown>;
  seeds: Record<string, unknown>;
  /** `on-run-start`/`on-run-end`, as written (Jinja). */
  runHooks?: { start: string[]; end: string[] };
  /** `dispatch:`: for a macro namespace, the packages `adapter.dispatch` searches, in order. */
  dispatch: DispatchOrder[];
  /** `packages-install-path`: where hub and git packages are installed (`dbt_packages`). */
  packagesInstallPath: string;
  /** `docs-paths`: the folders whose `.md` files hold docs blocks (default: every resource folder). */
  docsPaths?: string[];
  /** `flags:`, when the file has it (then the profile's older `config:` is not read). */
  flags?: ProjectFlags;
  /**
   * With `deferIssues`: the file's problems that do not keep the rest of the
   * project from loading (an unknown key, a bad `on-run-start`), to list
   * with the project's; empty otherwise.
   */
  issues: ProjectIssue[];
}

/** One entry of `dispatch:`. */
export interface DispatchOrder {
  macroNamespace: string;
  searchOrder: string[];
}

const PATH_KEYS = {
  "model-paths": ["models", ["models"]],
  "seed-paths": ["seeds", ["seeds"]],
  "test-paths": ["tests", ["tests"]],
  "macro-paths": ["macros", ["macros"]],
  "analysis-paths": ["analyses", ["analyses"]],
  "snapshot-paths": ["snapshots", ["snapshots"]],
} as const;

/** Keys read by dbt commands wharf has no counterpart of: validated, documented as unused. */
const UNUSED_KEYS = ["version", "clean-targets", "require-dbt-version"];

/** dbt keys wharf does not run yet, with what they are. */
const NOT_YET: Record<string, string> = {
  "unit_tests": "unit test configs",
  quoting: "quoting configs",
  "query-comment": "query comments",
  exposures: "exposures",
  analyses: "analysis configs",
  "asset-paths": "docs assets",
  "log-path": "dbt's log files",
  "restrict-access": "model access groups",
};

const KNOWN = [
  "name",
  "profile",
  "config-version",
  "target-path",
  "vars",
  "models",
  "seeds",
  "snapshots",
  "sources",
  "data_tests",
  "tests",
  "on-run-start",
  "on-run-end",
  "dispatch",
  "packages-install-path",
  "docs-paths",
  "flags",
  ...Object.keys(PATH_KEYS),
  ...UNUSED_KEYS,
];

/**
 * The keys whose problems keep the project from loading (its name, profile,
 * folders, variables, macro dispatch): the others' are listed with the
 * project's problems (see `deferIssues`).
 */
const LOADS_BY = new Set([
  "name",
  "profile",
  "target-path",
  "vars",
  "dispatch",
  "packages-install-path",
  "docs-paths",
  "source-paths",
  "data-paths",
  ...Object.keys(PATH_KEYS),
]);

/** Options of {@linkcode readDbtProject}. */
export interface ReadDbtProjectOptions {
  /** `--warn-unsupported`: what wharf does not run is a warning, not a problem. */
  warnUnsupported?: boolean;
  /**
   * Return the problems that do not keep the project from loading in
   * `issues` (the caller lists them with the project's), instead of throwing.
   */
  deferIssues?: boolean;
}

/** The error of a `dbt_project.yml` with `issues`. */
export function invalidDbtProject(issues: readonly ProjectIssue[]): ConfigError {
  return new ConfigError(
    `Invalid ${DBT_PROJECT_FILE}: ${listIssues(issues)}`,
    { location: issues[0]?.location },
  );
}

/**
 * Reads `dbt_project.yml` at `root`, or returns undefined when there is none.
 *
 * @throws {ConfigError} listing every problem of the file (with
 * `deferIssues`, only when one of them keeps the project from loading).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDbtProject } from "./dbt_project.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/dbt_project.yml`, "name: shop\nmodel-paths: [transform]\n");
 * const project = await readDbtProject(root);
 * assert.equal(project?.name, "shop");
 * assert.deepEqual(project?.paths.models, ["transform"]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function readDbtProject(
  root: string,
  options: ReadDbtProjectOptions = {},
): Promise<DbtProjectFile | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(root, DBT_PROJECT_FILE));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  const file = new YamlFile(DBT_PROJECT_FILE, text);
  const data = file.data;
  const out: DbtProjectFile = {
    name: "",
    profile: "",
    paths: {
      models: ["models"],
      seeds: ["seeds"],
      tests: ["tests"],
      macros: ["macros"],
      analyses: ["analyses"],
      snapshots: ["snapshots"],
    },
    vars: {},
    models: {},
    seeds: {},
    dispatch: [],
    packagesInstallPath: "dbt_packages",
    issues: [],
  };
  if (file.issues.length === 0 && !isRecord(data)) {
    file.report([], 'expected a mapping with at least "name:"');
  }
  // Problems of keys the loading does not depend on.
  const deferrable = new Set<ProjectIssue>();
  if (isRecord(data)) {
    for (const [key, value] of Object.entries(data)) {
      const before = file.issues.length;
      readKey(file, data, out, key, value);
      if (LOADS_BY.has(key)) continue;
      for (const i of file.issues.slice(before)) deferrable.add(i);
    }
    if (out.name === "" && !file.issues.some((i) => i.message.startsWith("name:"))) {
      file.report([], 'the project needs a "name:"');
    }
    if (out.profile === "") out.profile = out.name;
  }
  const left = options.warnUnsupported ? file.issues.filter((i) => !i.unsupported) : file.issues;
  for (const i of file.issues.filter((i) => !left.includes(i))) {
    console.error(`warning: ${formatLocation(i.location)}: ${i.message}`);
  }
  if (options.deferIssues && left.every((i) => deferrable.has(i))) {
    out.issues = left;
  } else if (left.length) throw invalidDbtProject(left);
  return out;
}

/** Reads the top-level `key` of the file into `out`, reporting its problems. */
function readKey(
  file: YamlFile,
  data: Record<string, unknown>,
  out: DbtProjectFile,
  key: string,
  value: unknown,
): void {
  if (key in PATH_KEYS) {
    const [field] = PATH_KEYS[key as keyof typeof PATH_KEYS];
    const list = typeof value === "string" ? [value] : value;
    if (!Array.isArray(list) || !list.every((p) => typeof p === "string" && p.trim() !== "")) {
      file.report([key], "expected a list of folders relative to the project root");
      return;
    }
    for (const p of list as string[]) {
      if (p.startsWith("/") || p.split(/[\\/]/).includes("..")) {
        file.report([key], `"${p}" is outside the project: use a folder inside it`);
      }
    }
    out.paths[field] = (list as string[]).map((p) => p.replace(/[\\/]+$/, ""));
    return;
  }
  switch (key) {
    case "name":
      if (typeof value !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) {
        file.report([key], "expected a name of letters, digits and underscores");
      } else out.name = value;
      return;
    case "profile":
      if (typeof value !== "string") file.report([key], "expected a profile name");
      else out.profile = value;
      return;
    case "config-version":
      if (value !== 2) file.report([key], "expected 2 (the only version dbt reads today)");
      return;
    case "target-path":
      if (typeof value !== "string") file.report([key], "expected a folder");
      else out.targetPath = value;
      return;
    case "vars":
      if (value === null) return;
      if (!isRecord(value)) file.report([key], "expected a mapping of variable names to values");
      else out.vars = value;
      return;
    case "models":
    case "seeds":
      if (value === null) return;
      if (!isRecord(value)) file.report([key], "expected a mapping of configs and folders");
      else out[key] = value;
      return;
    case "snapshots":
    case "sources":
      // Read with the nodes it configures (config_tree.ts, source_tree.ts).
      if (value !== null && !isRecord(value)) {
        file.report([key], "expected a mapping of configs and folders");
      }
      return;
    case "data_tests":
    case "tests":
      // Read with the tests it configures (test_tree.ts).
      if (value !== null && !isRecord(value)) {
        file.report([key], "expected a mapping of configs and folders");
      } else if (key === "tests" && "data_tests" in data) {
        file.report(
          [key],
          '"tests" and "data_tests" are the same tree (dbt renamed it data_tests): keep one',
          { key: true },
        );
      }
      return;
    case "version":
      return;
    case "on-run-start":
    case "on-run-end": {
      const list = typeof value === "string" ? [value] : value ?? [];
      if (!Array.isArray(list) || !list.every((h) => typeof h === "string")) {
        file.report([key], "expected a SQL statement or a list of them");
        return;
      }
      const hooks = out.runHooks ?? { start: [], end: [] };
      hooks[key === "on-run-start" ? "start" : "end"] = (list as string[]).filter((h) =>
        h.trim() !== ""
      );
      out.runHooks = hooks;
      return;
    }
    case "dispatch":
      out.dispatch = readDispatch(file, value);
      return;
    case "flags":
      out.flags = readProjectFlags(file, [key], value);
      return;
    case "docs-paths": {
      const list = typeof value === "string" ? [value] : value;
      if (!Array.isArray(list) || !list.every((p) => typeof p === "string" && p.trim() !== "")) {
        file.report([key], "expected a list of folders relative to the project root");
      } else out.docsPaths = (list as string[]).map((p) => p.replace(/[\\/]+$/, ""));
      return;
    }
    case "packages-install-path":
      if (typeof value !== "string" || value.trim() === "") {
        file.report([key], "expected a folder relative to the project root");
      } else out.packagesInstallPath = value.replace(/[\\/]+$/, "");
      return;
    case "clean-targets":
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        file.report([key], "expected a list of folders");
      }
      return;
    case "require-dbt-version":
      if (
        typeof value !== "string" &&
        !(Array.isArray(value) && value.every((v) => typeof v === "string"))
      ) file.report([key], "expected a version range or a list of them");
      return;
  }
  // metrics:, semantic-models:, saved-queries: (see unsupported.ts).
  const unsupported = unsupportedKey(key, DBT_PROJECT_FILE);
  if (unsupported) {
    file.report([key], unsupported, { unsupported: true, key: true });
    return;
  }
  if (key in NOT_YET) {
    file.report(
      [key],
      `${
        namedKey(key, NOT_YET[key]!)
      } is not run by wharf yet: remove it, or run this project with dbt`,
      { unsupported: true, key: true },
    );
    return;
  }
  if (key === "source-paths" || key === "data-paths") {
    file.report(
      [key],
      `"${key}" was renamed by dbt 1.0: use "${
        key === "source-paths" ? "model-paths" : "seed-paths"
      }"`,
      { key: true },
    );
    return;
  }
  const guess = closest(key, KNOWN);
  file.report([key], `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ""}`, {
    key: true,
  });
}

/** Reads `dispatch:`: a list of `{ macro_namespace, search_order }`. */
function readDispatch(file: YamlFile, value: unknown): DispatchOrder[] {
  if (!Array.isArray(value)) {
    file.report(["dispatch"], "expected a list of { macro_namespace, search_order }");
    return [];
  }
  const out: DispatchOrder[] = [];
  value.forEach((entry, i) => {
    const at = ["dispatch", i];
    if (!isRecord(entry)) {
      file.report(at, "expected a mapping with macro_namespace and search_order");
      return;
    }
    for (const key of Object.keys(entry)) {
      if (key !== "macro_namespace" && key !== "search_order") {
        const guess = closest(key, ["macro_namespace", "search_order"]);
        file.report(
          [...at, key],
          `unknown key "${key}"${
            guess ? ` (did you mean "${guess}"?)` : ""
          }: a dispatch entry takes "macro_namespace" and "search_order"`,
          { key: true },
        );
      }
    }
    const ns = entry.macro_namespace;
    const order = entry.search_order;
    if (typeof ns !== "string" || ns === "") {
      file.report(at, 'expected "macro_namespace": the package whose macros are dispatched');
      return;
    }
    if (!Array.isArray(order) || order.length === 0 || !order.every((p) => typeof p === "string")) {
      file.report([...at, "search_order"], "expected a list of package names, searched in order");
      return;
    }
    if (out.some((d) => d.macroNamespace === ns)) {
      file.report([...at, "macro_namespace"], `"${ns}" has two dispatch entries: keep one`);
      return;
    }
    out.push({ macroNamespace: ns, searchOrder: order as string[] });
  });
  return out;
}
