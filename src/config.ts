/**
 * A project's configuration: `wharf.config.ts` at the project root exports
 * `defineConfig({...})` as its default. The engine's settings (name,
 * warehouse, threads, paths, vars) and each job's section (`sources`,
 * `serve`, `strategies`, `npi`, `tic`) are put together here, outside the
 * engine, which knows only its own. Every setting has a default, so a folder
 * with only `models/` is a valid project.
 *
 * @module
 */
import {
  type EngineConfig,
  type EngineSettings,
  readConfigFile,
  resolveEngineConfig,
} from "./engine/config.ts";
import { applyDbtProject } from "./engine/dbt/dbt_config.ts";
import type { ProfileOptions } from "./engine/dbt/profiles.ts";
import type { ReadDbtProjectOptions } from "./engine/dbt/dbt_project.ts";
import { type EnrichConfig, type EnrichSettings, npiSection } from "./enrich/config.ts";
import { type LandConfig, landSection, type LandSettings } from "./land/config.ts";
import {
  type ServeAppConfig,
  serveSection,
  type ServeSettings,
  strategiesSection,
} from "./serve/config.ts";
import { type TicJobConfig, ticSection, type TicSettings } from "./tic/config.ts";

/** What a project may set in `wharf.config.ts`. */
export interface WharfConfig
  extends EngineSettings, LandSettings, ServeSettings, EnrichSettings, TicSettings {}

/** A configuration with every default filled in and paths made absolute. */
export type ResolvedConfig =
  & EngineConfig
  & LandConfig
  & ServeAppConfig
  & EnrichConfig
  & TicJobConfig;

const SECTIONS = [landSection, serveSection, strategiesSection, npiSection, ticSection];

/**
 * Declares a project's configuration with type checking.
 *
 * @example
 * ```ts
 * import { defineConfig } from "./config.ts";
 * export default defineConfig({ warehouse: "data/warehouse.duckdb", threads: 2 });
 * ```
 */
export function defineConfig(config: WharfConfig): WharfConfig {
  return config;
}

/**
 * Fills defaults in and resolves paths against `root`.
 *
 * @throws {ConfigError} for an unknown key (with the closest) or a bad value.
 */
export function resolveConfig(root: string, config: WharfConfig = {}): ResolvedConfig {
  const engine = resolveEngineConfig(
    root,
    config as Record<string, unknown>,
    SECTIONS.map((s) => s.key),
  );
  return {
    ...engine,
    sources: landSection.resolve(config.sources, engine.root),
    serve: serveSection.resolve(config.serve, engine.root),
    strategies: strategiesSection.resolve(config.strategies, engine.root),
    npi: npiSection.resolve(config.npi, engine.root),
    tic: ticSection.resolve(config.tic, engine.root),
  };
}

/**
 * Loads `wharf.config.ts` from `root` (when present) and resolves it. A
 * `dbt_project.yml` at the root makes it a dbt project, whose name, folders,
 * variables and warehouse come from dbt's files and the profile's target
 * (`options`: `--profiles-dir`, `--target`; `--warn-unsupported` leaves what
 * wharf does not support out, with a warning; `deferIssues`: the problems of
 * dbt_project.yml that do not keep the project from loading are kept in
 * `dbt.issues`, for the project's compile to list with its own).
 *
 * @throws {ConfigError} when the folder does not exist, the config file
 * fails to load or does not export a config object, or a setting is wrong.
 */
export async function loadConfig(
  root: string,
  options: ProfileOptions & ReadDbtProjectOptions = {},
): Promise<ResolvedConfig> {
  const settings = await readConfigFile(root);
  const resolved = resolveConfig(root, settings as WharfConfig);
  return {
    ...resolved,
    ...await applyDbtProject(resolved, settings, options),
    ...(options.warnUnsupported ? { warnUnsupported: true } : {}),
  };
}
