/**
 * Helpers of the healthcare model tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig, type ResolvedConfig } from "../../src/config.ts";
import {
  runProject,
  type RunProjectOptions,
  type RunSummary,
} from "../../src/engine/run/run_project.ts";
import { REPO, type TempProject } from "../helpers.ts";

/** The repository's healthcare project, writing its target/ and cache into `p`. */
export async function healthcare(p: TempProject): Promise<ResolvedConfig> {
  const base = await loadConfig(REPO);
  return {
    ...base,
    paths: { ...base.paths, target: join(p.root, "target"), cache: join(p.root, "cache") },
  };
}

/** Builds with `options` and asserts that nothing failed or errored (those results in the message). */
export async function buildOk(
  config: ResolvedConfig,
  options: RunProjectOptions,
): Promise<RunSummary> {
  const build = await runProject("build", config, options);
  assert.ok(
    build.ok,
    JSON.stringify(build.results.filter((r) => !["success", "pass", "warn"].includes(r.status))),
  );
  return build;
}
