/**
 * Enrichment test helpers: the repository's project with its build output
 * and cache in a temporary folder, and short waits for the retry loop.
 *
 * @module
 */
import { join } from "node:path";
import { loadConfig, type ResolvedConfig } from "../../src/config.ts";
import { REPO, type TempProject } from "../helpers.ts";

/** The repository's project (its models), writing into `p`'s folder. */
export async function npiProject(p: TempProject): Promise<ResolvedConfig> {
  const base = await loadConfig(REPO);
  return {
    ...base,
    paths: { ...base.paths, target: join(p.root, "target"), cache: join(p.root, "cache") },
  };
}

/** Backoffs, timeouts and pauses short enough for tests. */
export const FAST = { backoffMs: 5, backoffCapMs: 40, timeoutMs: 300, breaker: { pauseMs: 50 } };
