/**
 * Helpers of the healthcare model tests.
 *
 * @module
 */
import { join } from "node:path";
import { loadConfig, type ResolvedConfig } from "../../src/config.ts";
import { REPO, type TempProject } from "../helpers.ts";

/** The repository's healthcare project, writing its target/ and cache into `p`. */
export async function healthcare(p: TempProject): Promise<ResolvedConfig> {
  const base = await loadConfig(REPO);
  return {
    ...base,
    paths: { ...base.paths, target: join(p.root, "target"), cache: join(p.root, "cache") },
  };
}
