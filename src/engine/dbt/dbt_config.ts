/**
 * dbt mode: a `dbt_project.yml` at the project root makes the project a dbt
 * project. Its settings (name, folders, variables, config trees) and its
 * profile's target (warehouse file, schema, threads, extensions, settings)
 * become the engine's configuration.
 *
 * @module
 */
import { resolve } from "node:path";
import type { DbtConfig, EngineConfig } from "../config.ts";
import { ConfigError } from "../errors.ts";
import { readDbtProject, type ReadDbtProjectOptions } from "./dbt_project.ts";
import type { ProfileOptions } from "./profiles.ts";

/** Engine settings a dbt project decides (set in dbt's files, not in wharf.config.ts). */
const DECIDED_BY_DBT = ["name", "warehouse", "threads", "vars", "onRunStart", "onRunEnd"] as const;

/**
 * Turns an engine configuration into a dbt project's when `root` holds a
 * `dbt_project.yml`; returns it unchanged otherwise.
 *
 * @param settings the engine keys wharf.config.ts sets: those dbt decides
 * are refused there.
 * @throws {ConfigError} for a problem in dbt_project.yml or the profile.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { applyDbtProject } from "./dbt_config.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${root}/dbt_project.yml`, "name: shop\n");
 * const config = await applyDbtProject(resolveEngineConfig(root, {}, []), {}, {});
 * assert.equal(config.dbt?.project, "shop");
 * assert.equal(config.warehouse, `${config.root}/shop.duckdb`);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function applyDbtProject(
  config: EngineConfig,
  settings: Record<string, unknown>,
  options: ProfileOptions & ReadDbtProjectOptions,
): Promise<EngineConfig> {
  const project = await readDbtProject(config.root, options);
  if (!project) {
    if (options.target !== undefined || options.profilesDir !== undefined) {
      throw new ConfigError(
        `${
          options.target !== undefined ? "--target" : "--profiles-dir"
        } is for dbt projects, and "${config.root}" has no dbt_project.yml`,
      );
    }
    return config;
  }
  for (const key of DECIDED_BY_DBT) {
    if (settings[key] === undefined) continue;
    throw new ConfigError(
      `"${key}" in wharf.config.ts: this is a dbt project, where ${
        key === "warehouse" || key === "threads"
          ? "the profile's target (profiles.yml) decides it"
          : "dbt_project.yml decides it"
      }: remove it from wharf.config.ts`,
      { location: { file: "wharf.config.ts" } },
    );
  }
  const paths = settings.paths as Record<string, unknown> | undefined;
  for (const key of ["models", "macros", "tests"]) {
    if (paths?.[key] === undefined) continue;
    throw new ConfigError(
      `"paths.${key}" in wharf.config.ts: this is a dbt project, whose folders dbt_project.yml names (model-paths, macro-paths, test-paths): remove it from wharf.config.ts`,
      { location: { file: "wharf.config.ts" } },
    );
  }
  // Loaded only for a dbt project: profiles.yml is rendered with Jinja (minijinja's WebAssembly).
  const { readProfile } = await import(
    new URL("./profiles.ts", import.meta.url).href
  ) as typeof import("./profiles.ts");
  const target = await readProfile(config.root, project.profile, project.name, options);
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(project.vars)) {
    // Per-project variables (`vars: { shop: { x: 1 } }`) are this project's when named after it.
    if (k === project.name && typeof v === "object" && v !== null && !Array.isArray(v)) {
      for (const [pk, pv] of Object.entries(v)) vars[pk] = varText(pv);
    } else vars[k] = varText(v);
  }
  if (project.flags && target.flags) {
    console.error(
      `warning: ${target.file}: its config: block is not read, as dbt_project.yml has flags: (dbt reads one of them): move what it sets into flags:`,
    );
  }
  const dbt: DbtConfig = {
    project: project.name,
    ...(project.issues.length ? { issues: project.issues } : {}),
    flags: project.flags ?? target.flags ?? {},
    ...(project.flags || target.flags
      ? { flagsFile: project.flags ? "dbt_project.yml" : target.file }
      : {}),
    paths: project.paths,
    vars: project.vars,
    models: project.models,
    seeds: project.seeds,
    dispatch: project.dispatch,
    packagesInstallPath: project.packagesInstallPath,
    ...(project.docsPaths ? { docsPaths: project.docsPaths } : {}),
    target: {
      profile: target.profile,
      name: target.name,
      schema: target.schema,
      database: target.database,
      ...(target.buildInto ? { buildInto: target.buildInto } : {}),
      extensions: target.extensions,
      // A relative path the SQL reads (a source's external_location, 'data/x.csv') is found in the
      // project folder, where dbt runs from (it moves there), unless the profile says otherwise.
      settings: { file_search_path: config.root, ...target.settings },
      file: target.file,
    },
  };
  for (const a of target.attach) {
    if (config.attach.some((c) => c.name === a.name)) {
      throw new ConfigError(
        `"attach.${a.name}" in wharf.config.ts: the profile's target attaches "${a.name}" too: keep one`,
        { location: { file: "wharf.config.ts" } },
      );
    }
  }
  return {
    ...config,
    name: project.name,
    attach: [...config.attach, ...target.attach].sort((a, b) => a.name.localeCompare(b.name)),
    warehouse: target.path,
    threads: target.threads ?? config.threads,
    paths: {
      ...config.paths,
      models: resolve(config.root, project.paths.models[0] ?? "models"),
      macros: resolve(config.root, project.paths.macros[0] ?? "macros"),
      tests: resolve(config.root, project.paths.tests[0] ?? "tests"),
      target: project.targetPath === undefined
        ? config.paths.target
        : resolve(config.root, project.targetPath),
    },
    vars,
    ...(project.runHooks ? { runHooks: project.runHooks } : {}),
    dbt,
  };
}

/** A variable's value as text (for `--vars` and `wharf_var()`): YAML's own form for lists and mappings. */
function varText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
