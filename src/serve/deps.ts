/**
 * What the API needs from the rest of wharf, injected into
 * {@linkcode createApp} so tests can build it on anything.
 *
 * @module
 */
import type { CompiledProject } from "../compile/compile_project.ts";
import type { FileOutcome } from "../land/land_file.ts";
import type { Source } from "../land/sources.ts";
import type { Snapshot } from "./snapshot.ts";
import type { Strategy } from "./strategies.ts";
import type { UpstreamOptions } from "./upstreams.ts";

/** Dependencies of the API. */
export interface AppDeps {
  /** The warehouse snapshot answering now. */
  snapshot: () => Snapshot;
  /** The compiled project (models, columns, tests, lineage). */
  project: () => Promise<CompiledProject | undefined>;
  /** Coalescing strategies by name. */
  strategies: Readonly<Record<string, Strategy>>;
  /** Live benefit servers. */
  upstreams: readonly string[];
  upstreamOptions?: UpstreamOptions;
  /** Upload ingestion; absent disables the write endpoints. */
  ingest?: IngestDeps;
  /** Structured access log sink. */
  log?: (entry: Record<string, unknown>) => void;
}

/** What upload ingestion needs. */
export interface IngestDeps {
  /** Bearer token the write endpoints require. */
  token: string;
  maxBytes: number;
  sources: readonly Source[];
  /** Folder for uploads in progress. */
  tmpDir: string;
  /** Lands an uploaded file as `source`. */
  land: (source: string, path: string, name: string) => Promise<FileOutcome>;
}
