/**
 * What the API needs from the rest of wharf, injected into
 * {@linkcode createApp} so tests can build it on anything.
 *
 * @module
 */
import type { CompiledProject } from "../engine/compile/compile_project.ts";
import type { FileOutcome } from "../land/land_file.ts";
import type { LandingQueue } from "../land/landing_queue.ts";
import type { Source } from "../land/sources.ts";
import type { CoalesceSpec } from "./coalesce_config.ts";
import type { Snapshot } from "./snapshot.ts";
import type { Strategy } from "./strategies.ts";
import type { UpstreamAnswers } from "./upstream_answers.ts";
import type { UpstreamHealth } from "./upstream_health.ts";
import type { UpstreamOptions } from "./upstreams.ts";

/** Dependencies of the API. */
export interface AppDeps {
  /** The warehouse snapshot answering now. */
  snapshot: () => Snapshot;
  /** The compiled project (models, columns, tests, lineage). */
  project: () => Promise<CompiledProject | undefined>;
  /** What the coalescing endpoint reads and answers (`serve.coalesce`); absent: no coalescing. */
  coalesce?: CoalesceSpec;
  /** Coalescing strategies by name. */
  strategies: Readonly<Record<string, Strategy>>;
  /** Live sources for coalescing (`GET <url>?<key>=…`). */
  upstreams: readonly string[];
  upstreamOptions?: UpstreamOptions;
  /**
   * Which upstreams are down, shared by the requests; by default the app
   * keeps its own with the default thresholds.
   */
  upstreamHealth?: UpstreamHealth;
  /**
   * Upstream answers shared by the requests (single flight, and the cache
   * when configured); by default the app keeps its own, without a cache,
   * asking through `upstreamHealth`.
   */
  upstreamAnswers?: UpstreamAnswers;
  /** Tokens that allow reads; none: reads are open. See `auth.ts`. */
  readTokens?: readonly string[];
  /** Upload ingestion; absent disables the write endpoints. */
  ingest?: IngestDeps;
  /** Structured access log sink. */
  log?: (entry: Record<string, unknown>) => void;
}

/** What upload ingestion needs. */
export interface IngestDeps {
  /** Bearer token the write endpoints require. */
  token: string;
  /** Largest upload, bytes. */
  maxBytes: number;
  /** Longest pause between two chunks of an upload, ms. */
  idleTimeoutMs: number;
  /** Longest upload, ms. */
  timeoutMs: number;
  /** How long a request waits for its landing before answering 202 with a job, ms. */
  waitMs: number;
  sources: readonly Source[];
  /** Folder for uploads in progress. */
  tmpDir: string;
  /** The process's one writer: every landing is a job of it. */
  queue: LandingQueue;
  /** Lands an uploaded file as `source` (called inside a job of `queue`). */
  land: (
    source: string,
    path: string,
    name: string,
    fields?: Record<string, string>,
  ) => Promise<FileOutcome>;
  /** Aborted when the server stops: uploads still arriving are cut off. */
  signal?: AbortSignal;
}
