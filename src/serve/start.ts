/**
 * Wiring the API to a project: the snapshot of its warehouse, its compiled
 * project, strategies, upstreams and upload ingestion. `cli/serve.ts` puts
 * the result on a socket.
 *
 * @module
 */
import { join } from "node:path";
import { ConfigError } from "../engine/errors.ts";
import type { ServeAppConfig } from "./config.ts";
import { type CompiledProject, compileProject } from "../engine/compile/compile_project.ts";
import { landUpload } from "../land/land.ts";
import { LandingQueue } from "../land/landing_queue.ts";
import { listSources } from "../engine/run/run_project.ts";
import { relationOf } from "../engine/graph/build_graph.ts";
import { closest } from "../engine/suggest.ts";
import type { CoalesceSpec } from "./coalesce_config.ts";
import type { AppDeps } from "./deps.ts";
import { warehouseRelations } from "./landed.ts";
import { claimDir } from "./owned_dir.ts";
import { QUERY_FIELDS } from "./routes/ingest.ts";
import { type Snapshot, SnapshotManager } from "./snapshot.ts";
import { BUILTIN_STRATEGIES } from "./strategies/index.ts";
import { UpstreamAnswers } from "./upstream_answers.ts";
import { UpstreamHealth } from "./upstream_health.ts";

/**
 * Refuses a `serve.coalesce` whose model is neither one of the project's
 * (model, seed or source) nor a relation of the warehouse, naming the
 * closest; likewise its `rejected.relation` (a checked model's
 * `<model>__rejected` counts as the project's); or whose model, built, lacks
 * a column it names (the first snapshot's error). Skipped when the project
 * does not compile: its own errors, logged, come first.
 */
async function checkCoalesce(
  spec: CoalesceSpec,
  snapshots: SnapshotManager,
  project: () => Promise<CompiledProject | undefined>,
): Promise<void> {
  if (snapshots.lastError instanceof ConfigError) throw snapshots.lastError;
  const cp = await project();
  if (!cp) return;
  const db = snapshots.current.db;
  const nodes = [...cp.graph.nodes.values()];
  const known = [
    ...nodes.flatMap((n) => relationOf(n) ?? []),
    ...(db ? await warehouseRelations(db) : []),
  ];
  const quarantines = nodes.flatMap((n) =>
    n.kind === "model" && n.checks.length > 0 ? [`${n.id}__rejected`] : []
  );
  const refuse = (setting: string, relation: string, of: string, candidates: string[]) => {
    if (candidates.some((id) => id.toLowerCase() === relation.toLowerCase())) return;
    const guess = closest(relation, candidates);
    throw new ConfigError(
      `Invalid "serve.coalesce.${setting}" in wharf.config.ts: ${relation} is neither ${of} nor a table of the warehouse${
        guess ? ` (did you mean "${guess}"?)` : ""
      }`,
      { location: { file: "wharf.config.ts" } },
    );
  };
  refuse("model", spec.model, "a model of the project", known);
  if (spec.rejected) {
    refuse(
      "rejected.relation",
      spec.rejected.relation,
      "the rejected rows of a model with checks (<layer>.<name>__rejected)",
      [...quarantines, ...known],
    );
  }
}

/** Options of {@linkcode prepareServer}. */
export interface PrepareServerOptions {
  db: string;
  /** Extra upstreams besides the config's. */
  upstreams?: string[];
  /** Bearer token for uploads and reads (else the config's, else WHARF_API_TOKEN, else none: uploads disabled). */
  token?: string;
  /** Bearer token for reads only (else the config's, else WHARF_API_READ_TOKEN). */
  readToken?: string;
  log?: (entry: Record<string, unknown>) => void;
  /** How often to look for a new warehouse version, ms. Default 1000; 0 disables polling. */
  pollMs?: number;
}

/** The API's dependencies, and what to stop on shutdown. */
export interface PreparedServer {
  deps: AppDeps;
  snapshots: SnapshotManager;
  /** The process's one landing queue (uploads). */
  queue: LandingQueue;
  /**
   * Stops: cuts uploads still arriving, fails queued landings (their
   * requests answer 503), waits for the one landing, closes the snapshot
   * and removes this server's working folders.
   */
  close(): Promise<void>;
}

/**
 * Builds the API's dependencies for a project and takes the first snapshot.
 *
 * @throws {ConfigError} when `upstreams` are given to a project that
 * configures no coalescing (`serve.coalesce`), or `serve.coalesce` names a
 * model or a column that does not exist (see {@linkcode checkCoalesce}).
 */
export async function prepareServer(
  config: ServeAppConfig,
  options: PrepareServerOptions,
): Promise<PreparedServer> {
  if (!config.serve.coalesce && options.upstreams?.length) {
    throw new ConfigError(
      `Cannot ask upstreams (--upstream ${
        options.upstreams[0]
      }) without coalescing: name the model holding the sources' figures, its key and its fields in wharf.config.ts, serve: { coalesce: { model, key, fields } }`,
    );
  }
  const log = options.log ?? (() => {});
  const queue = new LandingQueue({
    onBusy: (job, message) =>
      log({
        time: new Date().toISOString(),
        event: "ingest_waiting",
        job: job.id,
        detail: message,
      }),
  });
  // The snapshot is tried every second: what it finds is logged when it changes, not each time.
  let lastSnapshotEvent = "";
  const snapshots = new SnapshotManager(options.db, {
    dir: join(config.root, ".wharf", "snapshots"),
    onEvent: (e) => {
      const event = `snapshot_${e.kind}`;
      if (`${event} ${e.detail}` === lastSnapshotEvent) return;
      lastSnapshotEvent = `${event} ${e.detail}`;
      log({ time: new Date().toISOString(), event, detail: e.detail });
    },
    exclusive: (fn) => queue.exclusive(fn),
    coalesce: config.serve.coalesce,
  });
  await snapshots.refresh();

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

  if (config.serve.coalesce) {
    try {
      await checkCoalesce(config.serve.coalesce, snapshots, project);
    } catch (err) {
      await snapshots.close();
      throw err;
    }
  }
  if (options.pollMs !== 0) snapshots.watch(options.pollMs ?? 1000);

  const { token, readToken } = serverTokens(config, options);
  const uploads = await claimDir(join(config.root, ".wharf", "uploads"));
  const stopping = new AbortController();
  const spec = config.serve.coalesce;
  const upstreamOptions = {
    timeoutMs: config.serve.upstreamTimeoutMs,
    maxBytes: config.serve.upstreamMaxBytes,
  };
  const health = new UpstreamHealth({
    failures: config.serve.upstreamFailures,
    cooldownMs: config.serve.upstreamCooldownMs,
  });
  const deps: AppDeps = {
    snapshot: () => snapshots.current,
    project,
    coalesce: spec,
    strategies: { ...BUILTIN_STRATEGIES, ...config.strategies },
    upstreams: [...config.serve.upstreams, ...(options.upstreams ?? [])],
    upstreamOptions,
    upstreamHealth: health,
    upstreamAnswers: spec
      ? new UpstreamAnswers((u, value) => health.ask(u, spec, value, upstreamOptions), {
        ttlMs: config.serve.upstreamCacheTtlMs,
        staleMs: config.serve.upstreamCacheStaleMs,
        maxEntries: config.serve.upstreamCacheEntries,
      })
      : undefined,
    readTokens: [token, readToken].filter((t): t is string => !!t),
    log,
    ingest: token
      ? {
        token,
        maxBytes: config.serve.maxUploadBytes,
        idleTimeoutMs: config.serve.uploadIdleTimeoutMs,
        timeoutMs: config.serve.uploadTimeoutMs,
        waitMs: config.serve.ingestWaitMs,
        sources: config.sources,
        tmpDir: uploads.path,
        queue,
        signal: stopping.signal,
        land: async (source, path, name, fields) => {
          const outcome = await landUpload(config, {
            db: options.db,
            source,
            path,
            name,
            fields,
            fieldsHint: QUERY_FIELDS,
          });
          snapshots.refresh().catch(() => {});
          return outcome;
        },
      }
      : undefined,
  };
  let closing: Promise<void> | undefined;
  return {
    deps,
    snapshots,
    queue,
    close() {
      closing ??= (async () => {
        stopping.abort();
        await queue.close();
        await deps.upstreamAnswers?.settle();
        await health.settle();
        await snapshots.close();
        await uploads.release();
      })();
      return closing;
    },
  };
}

/**
 * The server's tokens: the write token (uploads and reads) and the read
 * token, each from the options, else the config, else the environment
 * (WHARF_API_TOKEN, WHARF_API_READ_TOKEN).
 */
export function serverTokens(
  config: ServeAppConfig,
  options: { token?: string; readToken?: string } = {},
): { token?: string; readToken?: string } {
  return {
    token: options.token ?? config.serve.token ?? (Deno.env.get("WHARF_API_TOKEN") || undefined),
    readToken: options.readToken ?? config.serve.readToken ??
      (Deno.env.get("WHARF_API_READ_TOKEN") || undefined),
  };
}
