/**
 * Wiring the API to a project: the snapshot of its warehouse, its compiled
 * project, strategies, upstreams and upload ingestion. `cli/serve.ts` puts
 * the result on a socket.
 *
 * @module
 */
import { join } from "node:path";
import type { ResolvedConfig } from "../config.ts";
import { type CompiledProject, compileProject } from "../compile/compile_project.ts";
import { landUpload } from "../land/land.ts";
import { listSources } from "../run/run_project.ts";
import type { AppDeps } from "./deps.ts";
import { type Snapshot, SnapshotManager } from "./snapshot.ts";
import { BUILTIN_STRATEGIES } from "./strategies.ts";

/** Options of {@linkcode prepareServer}. */
export interface PrepareServerOptions {
  db: string;
  /** Extra upstreams besides the config's. */
  upstreams?: string[];
  /** Bearer token for uploads (else the config's, else none: uploads disabled). */
  token?: string;
  log?: (entry: Record<string, unknown>) => void;
  /** How often to look for a new warehouse version, ms. Default 1000; 0 disables polling. */
  pollMs?: number;
}

/** The API's dependencies and the snapshot manager to close on shutdown. */
export interface PreparedServer {
  deps: AppDeps;
  snapshots: SnapshotManager;
}

/** Builds the API's dependencies for a project and takes the first snapshot. */
export async function prepareServer(
  config: ResolvedConfig,
  options: PrepareServerOptions,
): Promise<PreparedServer> {
  const log = options.log ?? (() => {});
  const snapshots = new SnapshotManager(options.db, {
    dir: join(config.root, ".wharf", "snapshots", String(Deno.pid)),
    onEvent: (e) =>
      log({ time: new Date().toISOString(), event: `snapshot_${e.kind}`, detail: e.detail }),
  });
  await snapshots.refresh();
  if (options.pollMs !== 0) snapshots.watch(options.pollMs ?? 1000);

  let compiled: { for?: Snapshot; project?: Promise<CompiledProject | undefined> } = {};
  const project = () => {
    const current = snapshots.current;
    if (compiled.for !== current || !compiled.project) {
      const db = current.db;
      compiled = {
        for: current,
        project: (async () => {
          const sources = db ? await listSources(db) : undefined;
          return await compileProject(config, { sources, deferMissingSources: true });
        })().catch((err) => {
          log({
            time: new Date().toISOString(),
            level: "error",
            event: "project",
            error: err instanceof Error ? err.message : String(err),
          });
          return undefined;
        }),
      };
    }
    return compiled.project!;
  };

  const token = options.token ?? config.serve.token ?? Deno.env.get("WHARF_API_TOKEN");
  const tmpDir = join(config.root, ".wharf", "uploads");
  await Deno.mkdir(tmpDir, { recursive: true });
  const deps: AppDeps = {
    snapshot: () => snapshots.current,
    project,
    strategies: { ...BUILTIN_STRATEGIES, ...config.strategies },
    upstreams: [...config.serve.upstreams, ...(options.upstreams ?? [])],
    upstreamOptions: { timeoutMs: config.serve.upstreamTimeoutMs },
    log,
    ingest: token
      ? {
        token,
        maxBytes: config.serve.maxUploadBytes,
        sources: config.sources,
        tmpDir,
        land: async (source, path, name) => {
          const outcome = await landUpload(config, { db: options.db, source, path, name });
          snapshots.refresh().catch(() => {});
          return outcome;
        },
      }
      : undefined,
  };
  return { deps, snapshots };
}
