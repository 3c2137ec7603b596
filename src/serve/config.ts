/**
 * The API server's sections of `wharf.config.ts`: `serve` and `strategies`.
 *
 * @module
 */
import { type ConfigSection, refuseUnknownKeys } from "../engine/config.ts";
import { ConfigError } from "../engine/errors.ts";
import type { LandConfig } from "../land/config.ts";
import { type CoalesceConfig, type CoalesceSpec, resolveCoalesce } from "./coalesce_config.ts";
import type { Strategy } from "./strategies.ts";

/** Settings of `wharf serve`. */
export interface ServeConfig {
  /** Default 8787. */
  port?: number;
  /** Default 127.0.0.1. Without a token, only loopback addresses are allowed. */
  host?: string;
  /**
   * Bearer token for uploads, and for reads too; also read from WHARF_API_TOKEN.
   * None: uploads disabled.
   */
  token?: string;
  /**
   * Bearer token for reads only (models, rows, coalescing, docs); also read from
   * WHARF_API_READ_TOKEN. With either token set, every read needs one of them.
   */
  readToken?: string;
  /**
   * The coalescing endpoint (`/api/coalescence/{strategy}?<key>=…`): the model
   * holding the sources' figures, its key, source column and fields. Absent:
   * no coalescing routes.
   */
  coalesce?: CoalesceConfig;
  /** Live sources for coalescing (`GET <url>?<key>=…`, answering the fields); need `coalesce`. */
  upstreams?: string[];
  /** Per-upstream time limit, ms. Default 2000. */
  upstreamTimeoutMs?: number;
  /** Largest upstream answer, bytes; a larger one is that source's error. Default 65536. */
  upstreamMaxBytes?: number;
  /** Consecutive failures after which an upstream is skipped for a cool-down. Default 3. */
  upstreamFailures?: number;
  /** How long an upstream that is down is skipped before it is probed again, ms. Default 10000. */
  upstreamCooldownMs?: number;
  /**
   * How long an upstream's answer for a key is reused, ms. Default 0: every
   * request asks (identical concurrent requests still share one call).
   */
  upstreamCacheTtlMs?: number;
  /** After the TTL, how long an old answer is still given while one call refreshes it, ms. Default 0. */
  upstreamCacheStaleMs?: number;
  /** Most upstream answers cached. Default 100000. */
  upstreamCacheEntries?: number;
  /** Largest upload, bytes. Default 512 MiB. */
  maxUploadBytes?: number;
  /**
   * How long an upload request waits for its file to be landed before it answers
   * 202 with a job to poll, ms. Default 30000.
   */
  ingestWaitMs?: number;
  /** An upload that sends no bytes for this long is cut off (408), ms. Default 30000. */
  uploadIdleTimeoutMs?: number;
  /** The longest an upload may take to arrive (408 past it), ms. Default 900000 (15 min). */
  uploadTimeoutMs?: number;
  /**
   * How long a request's headers may take to arrive before the connection is closed, ms;
   * 0 turns the guard off (connections go straight to the HTTP server). Default: 10000 when
   * serving beyond loopback, off on loopback (the guard relays every byte, which costs about a
   * third of the throughput of small requests).
   */
  headerTimeoutMs?: number;
}

/** `serve` with every default filled in. */
export type ResolvedServe =
  & Required<Omit<ServeConfig, "coalesce" | "token" | "readToken" | "headerTimeoutMs">>
  & {
    coalesce?: CoalesceSpec;
    token?: string;
    readToken?: string;
    headerTimeoutMs?: number;
  };

/** What a project may set for the API server. */
export interface ServeSettings {
  /** The API server (`wharf serve`). */
  serve?: ServeConfig;
  /**
   * The project's coalescing strategies by name, beside the built-in max, min,
   * avg and mode (a project's may replace one of those).
   */
  strategies?: Record<string, Strategy>;
}

/** A project's configuration as the server reads it (uploads land, so landing's too). */
export interface ServeAppConfig extends LandConfig {
  serve: ResolvedServe;
  strategies: Record<string, Strategy>;
}

/** The keys of `serve` (see {@linkcode ServeConfig}). */
const SERVE_KEYS = Object.keys(
  {
    port: true,
    host: true,
    token: true,
    readToken: true,
    coalesce: true,
    upstreams: true,
    upstreamTimeoutMs: true,
    upstreamMaxBytes: true,
    upstreamFailures: true,
    upstreamCooldownMs: true,
    upstreamCacheTtlMs: true,
    upstreamCacheStaleMs: true,
    upstreamCacheEntries: true,
    maxUploadBytes: true,
    ingestWaitMs: true,
    uploadIdleTimeoutMs: true,
    uploadTimeoutMs: true,
    headerTimeoutMs: true,
  } satisfies Record<keyof ServeConfig, true>,
);

/** Refuses a `serve` limit that is not a non-negative integer (a port within 0..65535). */
function checkServeNumbers(serve: ServeConfig | undefined): void {
  for (const [key, value] of Object.entries(serve ?? {})) {
    if (typeof value !== "number" && !(key === "port" && value !== undefined)) continue;
    const max = key === "port" ? 65535 : Number.MAX_SAFE_INTEGER;
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new ConfigError(
        `Invalid "serve.${key}" in wharf.config.ts: expected ${
          key === "port" ? "a port from 0 to 65535" : "a non-negative integer"
        }, got ${JSON.stringify(value)}`,
      );
    }
  }
}

/**
 * Resolves `serve`: limits are non-negative integers, `coalesce` names
 * columns, upstreams come with `coalesce`; defaults filled in.
 */
export const serveSection: ConfigSection<"serve", ServeConfig, ResolvedServe> = {
  key: "serve",
  resolve(serve) {
    if (
      serve !== undefined && (typeof serve !== "object" || serve === null || Array.isArray(serve))
    ) {
      throw new ConfigError(
        `Invalid "serve" in wharf.config.ts: expected an object, got ${JSON.stringify(serve)}`,
      );
    }
    refuseUnknownKeys(serve ?? {}, SERVE_KEYS, { path: "serve", what: "the serve section" });
    checkServeNumbers(serve);
    const coalesce = resolveCoalesce(serve?.coalesce);
    if (!coalesce && serve?.upstreams?.length) {
      throw new ConfigError(
        `Invalid "serve.upstreams" in wharf.config.ts: upstreams answer the coalescing endpoint, which needs serve.coalesce ({ model, key, fields })`,
      );
    }
    return {
      port: serve?.port ?? 8787,
      host: serve?.host ?? "127.0.0.1",
      coalesce,
      token: serve?.token,
      readToken: serve?.readToken,
      upstreams: serve?.upstreams ?? [],
      upstreamTimeoutMs: serve?.upstreamTimeoutMs ?? 2000,
      upstreamMaxBytes: serve?.upstreamMaxBytes ?? 64 * 1024,
      upstreamFailures: serve?.upstreamFailures ?? 3,
      upstreamCooldownMs: serve?.upstreamCooldownMs ?? 10_000,
      upstreamCacheTtlMs: serve?.upstreamCacheTtlMs ?? 0,
      upstreamCacheStaleMs: serve?.upstreamCacheStaleMs ?? 0,
      upstreamCacheEntries: serve?.upstreamCacheEntries ?? 100_000,
      maxUploadBytes: serve?.maxUploadBytes ?? 512 * 1024 * 1024,
      ingestWaitMs: serve?.ingestWaitMs ?? 30_000,
      uploadIdleTimeoutMs: serve?.uploadIdleTimeoutMs ?? 30_000,
      uploadTimeoutMs: serve?.uploadTimeoutMs ?? 900_000,
      headerTimeoutMs: serve?.headerTimeoutMs,
    };
  },
};

/** Resolves `strategies`: each a function. */
export const strategiesSection: ConfigSection<
  "strategies",
  Record<string, Strategy>,
  Record<string, Strategy>
> = {
  key: "strategies",
  resolve(raw) {
    for (const [name, fn] of Object.entries(raw ?? {})) {
      if (typeof fn !== "function") {
        throw new ConfigError(
          `Invalid "strategies.${name}" in wharf.config.ts: expected a function of the sources' answers`,
        );
      }
    }
    return raw ?? {};
  },
};
