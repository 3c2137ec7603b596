/**
 * A dbt project's packages: what `packages.yml` (or `dependencies.yml`)
 * asks for, and the packages found. A `local:` entry is read where it
 * points; hub (`package:`), `git:`, `private:` and `tarball:` entries are
 * read where `dbt deps` installed them (`dbt_packages/`, or the project's
 * `packages-install-path`): wharf downloads nothing. Every package already
 * installed there is used, as dbt uses them.
 *
 * @module
 */
import { basename, join, relative, resolve } from "node:path";
import { ConfigError, type ProjectIssue } from "../errors.ts";
import { describe, YamlFile } from "../yaml/yaml_file.ts";
import { isRecord } from "../yaml/yaml_schema.ts";
import { DBT_PROJECT_FILE, type DbtProjectFile, readDbtProject } from "./dbt_project.ts";

/** A package whose files are read: its name, folder and dbt_project.yml. */
export interface DbtPackage {
  /** `name:` of its dbt_project.yml: its macros are `<name>.<macro>`, its nodes `package:<name>`. */
  name: string;
  /** Absolute folder. */
  dir: string;
  /** The folder relative to the project root (`/`-separated): the prefix of its files' paths. */
  rel: string;
  project: DbtProjectFile;
  /** `local` (a `local:` entry) or `installed` (under the install path). */
  origin: "local" | "installed";
}

/** An entry of packages.yml. */
export interface PackageSpec {
  kind: "local" | "hub" | "git" | "private" | "tarball";
  /** As written: `dbt-labs/dbt_utils`, a git URL, a local path. */
  source: string;
  /** `version:` or `revision:`, as written. */
  version?: string;
  file: string;
  line?: number;
  /** The name of the package it gave, when it is there (installed, or the local folder). */
  found?: string;
}

/** What the project's packages are. */
export interface PackageSet {
  packages: DbtPackage[];
  specs: PackageSpec[];
  /** Where hub and git packages are installed, relative to the root. */
  installPath: string;
  issues: ProjectIssue[];
}

const FILES = ["packages.yml", "dependencies.yml"];
const ENTRY_KEYS: Record<PackageSpec["kind"], readonly string[]> = {
  local: ["local"],
  hub: ["package", "version", "install-prerelease"],
  git: ["git", "revision", "subdirectory", "warn-unpinned"],
  private: ["private", "revision", "subdirectory", "warn-unpinned", "provider"],
  tarball: ["tarball", "name"],
};

/** The names a package of this entry may have once installed. */
function namesOf(kind: PackageSpec["kind"], entry: Record<string, unknown>): string[] {
  const source = String(entry[kind === "hub" ? "package" : kind] ?? "");
  const last = (s: string) => basename(s.replace(/\.git$/, "").replace(/\/+$/, ""));
  const names = kind === "tarball"
    ? [String(entry.name ?? "")]
    : kind === "hub"
    ? [source.split("/").pop() ?? ""]
    : [
      last(source),
      ...(typeof entry.subdirectory === "string" ? [last(entry.subdirectory)] : []),
    ];
  return [...new Set(names.flatMap((n) => [n, n.replaceAll("-", "_")]))].filter((n) => n);
}

/** True when `path` is a file (false when nothing is there). */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Reads the package at `dir`, or reports why it cannot be read. */
async function readPackage(
  root: string,
  dir: string,
  origin: DbtPackage["origin"],
  issues: ProjectIssue[],
): Promise<DbtPackage | undefined> {
  const rel = relative(root, dir).split(/[\\/]/).join("/");
  try {
    const project = await readDbtProject(dir);
    if (!project) {
      issues.push({
        message: `${rel} has no ${DBT_PROJECT_FILE}: a dbt package is a dbt project`,
        location: { file: rel },
      });
      return undefined;
    }
    return { name: project.name, dir, rel, project, origin };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push({
      message: `package at ${rel}: ${err.message}`,
      location: { file: `${rel}/${DBT_PROJECT_FILE}` },
    });
    return undefined;
  }
}

/** Reads packages.yml / dependencies.yml: its entries, each with its kind. */
async function readSpecs(
  root: string,
  issues: ProjectIssue[],
): Promise<{ spec: PackageSpec; entry: Record<string, unknown> }[]> {
  const out: { spec: PackageSpec; entry: Record<string, unknown> }[] = [];
  const used: string[] = [];
  for (const name of FILES) {
    let text: string;
    try {
      text = await Deno.readTextFile(join(root, name));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw err;
    }
    const file = new YamlFile(name, text);
    const data = file.data;
    if (data === null || data === undefined) continue;
    if (!isRecord(data)) {
      file.report([], `expected a mapping with "packages:", got ${describe(data)}`);
    } else {
      for (const key of Object.keys(data)) {
        if (key === "packages") continue;
        file.report(
          [key],
          key === "projects"
            ? `"projects" (dbt Mesh cross-project refs) is not run by wharf`
            : `unknown key "${key}": ${name} takes "packages"`,
          { key: true },
        );
      }
      const list = data.packages;
      if (list !== undefined && list !== null && !Array.isArray(list)) {
        file.report(["packages"], `expected a list of packages, got ${describe(list)}`);
      } else if (Array.isArray(list) && list.length) {
        used.push(name);
        list.forEach((entry, i) => {
          const at = ["packages", i];
          const line = file.locate(at).line;
          if (!isRecord(entry)) {
            file.report(at, "expected a mapping: local:, package:, git:, private: or tarball:");
            return;
          }
          const kinds = (Object.keys(ENTRY_KEYS) as PackageSpec["kind"][]).filter((k) =>
            (k === "hub" ? "package" : k) in entry
          );
          if (kinds.length !== 1) {
            file.report(
              at,
              kinds.length
                ? `an entry is one package: it has ${kinds.join(" and ")}`
                : "expected local:, package:, git:, private: or tarball:",
            );
            return;
          }
          const kind = kinds[0]!;
          for (const key of Object.keys(entry)) {
            if (!ENTRY_KEYS[kind].includes(key)) {
              file.report([...at, key], `unknown key "${key}" in a ${kind} package entry`, {
                key: true,
              });
            }
          }
          const source = entry[kind === "hub" ? "package" : kind];
          if (typeof source !== "string" || source === "") {
            file.report(
              at,
              `expected the ${kind} package's ${kind === "local" ? "folder" : "name"}`,
            );
            return;
          }
          const version = entry.version ?? entry.revision;
          out.push({
            spec: {
              kind,
              source,
              ...(version === undefined ? {} : { version: [version].flat().join(", ") }),
              file: name,
              line,
            },
            entry,
          });
        });
      }
    }
    issues.push(...file.issues);
  }
  if (used.length > 1) {
    issues.push({
      message:
        "packages.yml and dependencies.yml both list packages: dbt reads one; keep the list in one of them",
      location: { file: "dependencies.yml" },
    });
  }
  return out;
}

/**
 * Reads the packages of the dbt project at `root`. Never throws for
 * problems of the project's files: they are in `issues`.
 *
 * @param installPath `packages-install-path` (relative to `root`).
 */
export async function readPackages(
  root: string,
  installPath = "dbt_packages",
): Promise<PackageSet> {
  const issues: ProjectIssue[] = [];
  const specs = await readSpecs(root, issues);
  const packages: DbtPackage[] = [];
  for (const { spec } of specs) {
    if (spec.kind !== "local") continue;
    const dir = resolve(root, spec.source);
    if (!(await isFile(join(dir, DBT_PROJECT_FILE)))) {
      issues.push({
        message:
          `the local package "${spec.source}" has no ${DBT_PROJECT_FILE} (looked in ${dir}): fix the path`,
        location: { file: spec.file, line: spec.line },
      });
      continue;
    }
    const pkg = await readPackage(root, dir, "local", issues);
    if (pkg) {
      spec.found = pkg.name;
      packages.push(pkg);
    }
  }
  const installed = join(root, installPath);
  const folders: string[] = [];
  try {
    for await (const e of Deno.readDir(installed)) {
      if (e.isDirectory && await isFile(join(installed, e.name, DBT_PROJECT_FILE))) {
        folders.push(e.name);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  for (const folder of folders.sort()) {
    const dir = join(installed, folder);
    if (packages.some((p) => p.dir === dir)) continue;
    const pkg = await readPackage(root, dir, "installed", issues);
    if (pkg) packages.push(pkg);
  }
  for (const { spec, entry } of specs) {
    if (spec.kind === "local") continue;
    const names = namesOf(spec.kind, entry);
    const pkg = packages.find((p) =>
      p.origin === "installed" && (names.includes(p.name) || names.includes(basename(p.dir)))
    );
    if (pkg) spec.found = pkg.name;
  }
  const seen = new Map<string, DbtPackage>();
  const unique = packages.filter((p) => {
    const first = seen.get(p.name);
    if (first) {
      issues.push({
        message:
          `two packages are named "${p.name}" (${first.rel} and ${p.rel}): dbt needs one package per name; remove one`,
        location: { file: `${p.rel}/${DBT_PROJECT_FILE}` },
      });
      return false;
    }
    seen.set(p.name, p);
    return true;
  });
  return { packages: unique, specs: specs.map((s) => s.spec), installPath, issues };
}

/**
 * What to do about a package the project names but does not have installed
 * (a `<package>.<macro>()` call, a `<package>.<test>` generic test).
 *
 * @param installPath `packages-install-path` (relative to the project root).
 */
export function installPackageHint(installPath: string): string {
  return `list it in packages.yml (if it is not there yet), install it where the network allows (\`dbt deps\`, or a copy of the package's folder under ${installPath}/), and run \`wharf deps\` to see what is still missing`;
}

/**
 * The problem of a package entry that is not there, in words for `wharf
 * deps` and for the project's load.
 */
export function missingPackage(spec: PackageSpec, installPath: string): string {
  const what = spec.kind === "hub"
    ? `hub package "${spec.source}"`
    : `${spec.kind} package "${spec.source}"`;
  return `the ${what}${
    spec.version ? ` (${spec.version})` : ""
  } is not installed under ${installPath}/: wharf downloads no packages; install it where the network allows (\`dbt deps\`, or copy the package's folder into ${installPath}/), then run \`wharf deps\` to check`;
}
