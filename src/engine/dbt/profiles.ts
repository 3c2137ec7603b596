/**
 * Reads the project's target from `profiles.yml`, looked for where dbt looks:
 * `--profiles-dir`, then `$DBT_PROFILES_DIR`, the project folder and
 * `~/.dbt/`. Only dbt-duckdb targets run here: `path`, `database` (the
 * file's own catalog, or an attached database's alias, which nodes then
 * build into, as dbt-duckdb takes it), `schema`, `threads`,
 * `extensions`, `settings` and `attach` are read; every other key is an
 * error naming it. Text values are rendered as dbt renders them, so
 * `{{ env_var('X', 'default') }}` works. A project with no profile anywhere
 * gets a local DuckDB file named after it.
 *
 * @module
 */
import { basename, extname, join, resolve } from "node:path";
import { Environment } from "minijinja-js";
import { renderYamlText } from "./yaml_jinja.ts";
import { type AttachedDatabase, type ProjectFlags, RESERVED_CATALOGS } from "../config.ts";
import { ConfigError, formatLocation, listIssues } from "../errors.ts";
import { parseTargetSpec } from "../target_spec.ts";
import { isFile } from "./packages.ts";
import { closest } from "../suggest.ts";
import { YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import { isRecord } from "../yaml/yaml_schema.ts";
import { readProjectFlags } from "./project_flags.ts";

/** Where to look for the profile and which target to use. */
export interface ProfileOptions {
  /** `--profiles-dir`: the folder holding profiles.yml. */
  profilesDir?: string;
  /** `--target`: the output of the profile to use instead of its `target:`. */
  target?: string;
}

/** A resolved target: what the engine needs from the profile. */
export interface ResolvedTarget {
  profile: string;
  name: string;
  schema: string;
  /** The warehouse file's own catalog (DuckDB names it after the file). */
  database: string;
  /** `database:` naming an attached database: what nodes build into by default. */
  buildInto?: string;
  /** Absolute warehouse path, or `:memory:`. */
  path: string;
  threads?: number;
  extensions: string[];
  settings: Record<string, string>;
  /** `attach:`: other databases, as wharf attaches them. */
  attach: AttachedDatabase[];
  /** The profiles.yml read, if any. */
  file?: string;
  /** profiles.yml's `config:` block (dbt's flags before dbt_project.yml's `flags:`), when it has one. */
  flags?: ProjectFlags;
}

const TARGET_KEYS = [
  "type",
  "path",
  "database",
  "schema",
  "threads",
  "extensions",
  "settings",
  "attach",
  // dbt-duckdb's keep_open keeps its connection between a command's steps: wharf holds one
  // connection per command either way, so it is read (true or false) and changes nothing.
  "keep_open",
];
const ATTACH_KEYS = ["path", "alias", "read_only", "type"];
const TARGET_NOT_YET: Record<string, string> = {
  plugins: "dbt-duckdb plugins are not run by wharf",
  filesystems: "fsspec filesystems are not run by wharf",
  secrets: "DuckDB secrets from the profile are not run by wharf yet",
  external_root: "dbt-duckdb's external materialization is not run by wharf yet",
  module_paths: "Python module paths are not run by wharf",
  use_credential_provider: "credential providers are not run by wharf",
  disable_transactions: "wharf runs each model in its own statements",
  retries: "retries of the connection are not run by wharf",
};

/** The profiles.yml to read, in dbt's order, or undefined when there is none. */
async function findProfiles(root: string, options: ProfileOptions): Promise<string | undefined> {
  if (options.profilesDir !== undefined) {
    const file = join(resolve(options.profilesDir), "profiles.yml");
    if (!(await isFile(file))) {
      throw new ConfigError(
        `No profiles.yml in --profiles-dir "${options.profilesDir}": put the project's profile there or leave the option out`,
      );
    }
    return file;
  }
  const dirs = [
    Deno.env.get("DBT_PROFILES_DIR"),
    root,
    Deno.env.get("HOME") === undefined ? undefined : join(Deno.env.get("HOME")!, ".dbt"),
  ];
  for (const dir of dirs) {
    if (dir === undefined) continue;
    const file = join(resolve(dir), "profiles.yml");
    if (await isFile(file)) return file;
  }
  return undefined;
}

/**
 * Reads the target the project runs against.
 *
 * @param root the absolute project root.
 * @param profile the profile's name (`profile:` of dbt_project.yml).
 * @param project the project's name, which the default warehouse file is named after.
 * @throws {ConfigError} listing every problem of the profile.
 */
export async function readProfile(
  root: string,
  profile: string,
  project: string,
  options: ProfileOptions & { warnUnsupported?: boolean } = {},
): Promise<ResolvedTarget> {
  const defaults = (): ResolvedTarget => ({
    profile,
    name: "default",
    schema: "main",
    database: project,
    path: join(root, `${project}.duckdb`),
    extensions: [],
    settings: {},
    attach: [],
  });
  const path = await findProfiles(root, options);
  if (path === undefined) {
    if (options.target !== undefined) {
      throw new ConfigError(
        `--target "${options.target}" needs a profile: no profiles.yml in the project folder, $DBT_PROFILES_DIR or ~/.dbt/ (or pass --profiles-dir)`,
      );
    }
    return defaults();
  }
  const file = new YamlFile(path, await Deno.readTextFile(path));
  const env = new Environment();
  const fail = (): never => {
    throw new ConfigError(
      `Invalid profile "${profile}": ${listIssues(file.issues)}`,
      { location: file.issues[0]?.location },
    );
  };
  if (file.issues.length) fail();
  const data = file.data;
  // `config:` is no profile: it holds the flags of dbt before 1.8 (now dbt_project.yml's flags:).
  const flags = isRecord(data) && "config" in data
    ? readProjectFlags(file, ["config"], data.config)
    : undefined;
  if (options.warnUnsupported) {
    for (const i of file.issues.filter((i) => i.unsupported)) {
      console.error(`warning: ${formatLocation(i.location)}: ${i.message}`);
    }
    file.issues.splice(0, file.issues.length, ...file.issues.filter((i) => !i.unsupported));
  }
  const entry = isRecord(data) ? data[profile] : undefined;
  if (entry === undefined) {
    if (options.target !== undefined) {
      throw new ConfigError(
        `--target "${options.target}": ${path} has no profile "${profile}" (the profile dbt_project.yml names)`,
      );
    }
    return { ...defaults(), ...(flags ? { flags } : {}) };
  }
  if (!isRecord(entry)) {
    file.report([profile], 'expected a mapping with "target:" and "outputs:"');
    fail();
  }
  const profileEntry = entry as Record<string, unknown>;
  for (const key of Object.keys(profileEntry)) {
    if (key !== "target" && key !== "outputs") {
      file.report([profile, key], `unknown key "${key}": a profile takes "target" and "outputs"`, {
        key: true,
      });
    }
  }
  const outputs = profileEntry.outputs;
  if (!isRecord(outputs)) {
    file.report([profile, "outputs"], "expected a mapping of target names to targets");
    fail();
  }
  const targets = outputs as Record<string, unknown>;
  let name = options.target;
  if (name === undefined) {
    const t = profileEntry.target;
    if (typeof t !== "string") {
      file.report([profile], 'expected "target:" naming one of its outputs (or pass --target)');
      fail();
    }
    name = renderYamlText(env, t as string, (m) => file.report([profile, "target"], m));
  }
  const target = targets[name];
  if (target === undefined) {
    const guess = closest(name, Object.keys(targets));
    throw new ConfigError(
      `Profile "${profile}" in ${path} has no target "${name}"${
        guess ? ` (did you mean "${guess}"?)` : ""
      }: it has ${Object.keys(targets).map((k) => `"${k}"`).join(", ")}`,
    );
  }
  const at: YamlPath = [profile, "outputs", name];
  if (!isRecord(target)) {
    file.report(at, "expected a mapping");
    fail();
  }
  const out = readTarget(file, at, target as Record<string, unknown>, env, root);
  const dbPath = out.path ?? `${project}.duckdb`;
  // DuckDB names a file's catalog after the file (`memory` in memory), and dbt-duckdb
  // takes `database` only as that name.
  const catalog = dbPath === ":memory:" ? "memory" : basename(dbPath, extname(dbPath));
  // ... or, as dbt-duckdb allows, an attached database's alias: what nodes build into by default.
  const attached = out.attach.find((a) => a.name === out.database);
  if (out.database !== undefined && out.database !== catalog) {
    const where = out.path === undefined ? `${dbPath} (no path: named after the project)` : dbPath;
    if (attached?.readOnly) {
      file.report(
        [...at, "database"],
        `"${out.database}" is attached read-only, so nothing can be built into it: drop read_only from its attach: entry, or set database: ${catalog} (the warehouse ${where})`,
      );
    } else if (!attached) {
      file.report(
        [...at, "database"],
        `"${out.database}" is not the warehouse's database "${catalog}" (DuckDB names it after the file ${where}) nor an attached database's alias${
          out.attach.length ? ` (${out.attach.map((a) => a.name).join(", ")})` : ""
        }: set database: ${catalog}, or leave it out, or name the file ${out.database}.duckdb in path:`,
      );
    }
  }
  if (file.issues.length) fail();
  const absolute = dbPath === ":memory:" ? dbPath : resolve(root, dbPath);
  return {
    profile,
    name,
    schema: out.schema ?? "main",
    database: catalog,
    ...(attached && !attached.readOnly ? { buildInto: attached.name } : {}),
    path: absolute,
    threads: out.threads,
    extensions: out.extensions,
    settings: out.settings,
    attach: out.attach,
    file: path,
    ...(flags ? { flags } : {}),
  };
}

function readTarget(
  file: YamlFile,
  at: YamlPath,
  target: Record<string, unknown>,
  env: Environment,
  root: string,
): {
  path?: string;
  /** `database:` as written (checked against the file's name by the caller). */
  database?: string;
  schema?: string;
  threads?: number;
  extensions: string[];
  settings: Record<string, string>;
  attach: AttachedDatabase[];
} {
  const text = (key: string, value: unknown): string | undefined => {
    if (typeof value === "number") return String(value);
    if (typeof value !== "string") {
      file.report([...at, key], "expected text");
      return undefined;
    }
    return renderYamlText(env, value, (m) => file.report([...at, key], m));
  };
  const out: ReturnType<typeof readTarget> = { extensions: [], settings: {}, attach: [] };
  for (const [key, value] of Object.entries(target)) {
    if (key in TARGET_NOT_YET) {
      file.report([...at, key], `"${key}": ${TARGET_NOT_YET[key]}`, { key: true });
      continue;
    }
    if (!TARGET_KEYS.includes(key)) {
      const guess = closest(key, TARGET_KEYS);
      file.report(
        [...at, key],
        `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ""}: wharf reads ${
          TARGET_KEYS.map((k) => `"${k}"`).join(", ")
        }`,
        { key: true },
      );
      continue;
    }
    switch (key) {
      case "type": {
        const t = text(key, value);
        if (t !== undefined && t !== "duckdb") {
          file.report(
            [...at, key],
            `wharf runs dbt projects on DuckDB only: expected "duckdb", got "${t}"`,
          );
        }
        break;
      }
      case "path": {
        const p = text(key, value);
        if (p === undefined) break;
        if (/^(md|motherduck):/.test(p)) {
          file.report(
            [...at, key],
            "MotherDuck databases are not run by wharf yet: use a local file",
          );
        } else out.path = p;
        break;
      }
      case "database":
        out.database = text(key, value);
        break;
      case "schema":
        out.schema = text(key, value);
        break;
      case "keep_open": {
        const v = typeof value === "string" ? text(key, value)?.toLowerCase() : value;
        if (v !== true && v !== false && v !== "true" && v !== "false") {
          file.report([...at, key], "expected true or false");
        }
        break;
      }
      case "threads": {
        const n = Number(typeof value === "string" ? text(key, value) : value);
        if (!Number.isInteger(n) || n < 1) {
          file.report([...at, key], "expected a positive whole number");
        } else out.threads = n;
        break;
      }
      case "extensions": {
        if (!Array.isArray(value)) {
          file.report([...at, key], "expected a list of DuckDB extension names");
          break;
        }
        value.forEach((e, i) => {
          if (typeof e === "string" && /^[A-Za-z0-9_]+$/.test(e)) out.extensions.push(e);
          else {
            file.report(
              [...at, key, i],
              "expected an extension's name (extensions from other repositories are not run by wharf yet)",
            );
          }
        });
        break;
      }
      case "settings": {
        if (!isRecord(value)) {
          file.report([...at, key], "expected a mapping of DuckDB settings to values");
          break;
        }
        for (const [k, v] of Object.entries(value)) {
          const s = typeof v === "boolean" ? String(v) : text(`${key}.${k}`, v);
          if (s !== undefined) out.settings[k] = s;
        }
        break;
      }
      case "attach":
        out.attach = readAttach(file, [...at, key], value, text, root);
        break;
    }
  }
  if (!("type" in target)) file.report(at, 'expected "type: duckdb"');
  return out;
}

/**
 * dbt-duckdb's `attach:` list (`path`, `alias`, `read_only`, `type:
 * duckdb`) as wharf's attached databases: the alias is the catalog name
 * (the file's name without extension when absent), a relative path is the
 * project folder's.
 */
function readAttach(
  file: YamlFile,
  at: YamlPath,
  value: unknown,
  text: (key: string, value: unknown) => string | undefined,
  root: string,
): AttachedDatabase[] {
  if (!Array.isArray(value)) {
    file.report(at, "expected a list of databases, each with a path (and alias, read_only)");
    return [];
  }
  const out: AttachedDatabase[] = [];
  value.forEach((entry, i) => {
    const here: YamlPath = [...at, i];
    if (!isRecord(entry)) {
      file.report(here, "expected a mapping with a path (and alias, read_only)");
      return;
    }
    for (const key of Object.keys(entry)) {
      if (ATTACH_KEYS.includes(key)) continue;
      const guess = closest(key, ATTACH_KEYS);
      file.report(
        [...here, key],
        `unknown key "${key}"${
          guess ? ` (did you mean "${guess}"?)` : ""
        }: an attached database takes ${
          ATTACH_KEYS.map((k) => `"${k}"`).join(", ")
        } (options and other types are not run by wharf)`,
        { key: true },
      );
    }
    if (entry.type !== undefined && entry.type !== "duckdb") {
      file.report(
        [...here, "type"],
        `wharf attaches DuckDB databases only: expected "duckdb", got ${
          JSON.stringify(entry.type)
        }`,
      );
    }
    if (entry.read_only !== undefined && typeof entry.read_only !== "boolean") {
      file.report([...here, "read_only"], "expected true or false");
    }
    const path = text(`attach.${i}.path`, entry.path);
    if (path === undefined) return;
    let spec;
    try {
      spec = parseTargetSpec(path, root);
    } catch (err) {
      file.report([...here, "path"], err instanceof Error ? err.message : String(err));
      return;
    }
    if (spec.kind === "memory") {
      file.report(
        [...here, "path"],
        'an attached database holds data of its own; ":memory:" would lose it',
      );
      return;
    }
    const alias = entry.alias === undefined
      ? spec.kind === "motherduck" ? spec.database : basename(path, extname(path))
      : text(`attach.${i}.alias`, entry.alias);
    if (alias === undefined) return;
    if (!/^[a-z_][a-z0-9_]*$/.test(alias) || RESERVED_CATALOGS.includes(alias)) {
      file.report(
        [...here, entry.alias === undefined ? "path" : "alias"],
        `the alias "${alias}" ${
          RESERVED_CATALOGS.includes(alias)
            ? "is taken (by DuckDB or wharf's own schemas)"
            : "is not a name wharf attaches (lower-case letters, digits and underscores)"
        }: set another alias`,
      );
      return;
    }
    if (out.some((a) => a.name === alias)) {
      file.report(
        [...here, "alias"],
        `the alias "${alias}" is attached twice: give one another alias`,
      );
      return;
    }
    out.push({ name: alias, target: spec.spec, readOnly: entry.read_only === true });
  });
  return out;
}
