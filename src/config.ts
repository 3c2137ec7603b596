/**
 * Project configuration: `wharf.config.ts` at the project root exports
 * `defineConfig({...})` as its default. Every setting has a default, so a
 * folder with only `models/` is a valid project.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { ConfigError } from "./errors.ts";
import { compileSources, type Source, type SourceConfig } from "./land/sources.ts";
import type { Strategy } from "./serve/strategies.ts";

/** What a project may set in `wharf.config.ts`. */
export interface WharfConfig {
  /** Project name, shown in docs and logs. Default: the folder's name. */
  name?: string;
  /** Warehouse file, relative to the project root. Default `warehouse.duckdb`. */
  warehouse?: string;
  /** Concurrent model builds. Default 4. */
  threads?: number;
  /** Folders, relative to the project root. */
  paths?: {
    /** Models, one folder per layer, and `seeds/`. Default `models`. */
    models?: string;
    /** DuckDB macro files. Default `sql/macros`. */
    macros?: string;
    /** Singular data tests. Default `sql/tests`. */
    tests?: string;
    /** Compiled SQL written by every command that compiles. Default `target`. */
    target?: string;
    /** Downloads of landed URLs. Default `.wharf/cache`. */
    cache?: string;
    /** Work files of landings in progress (links, copies). Default `.wharf/staging`. */
    staging?: string;
  };
  /** Landing sources: file-name patterns and the raw tables they land in, in landing order. */
  sources?: SourceConfig[];
  /** Project variables, read in SQL as `wharf_var('name')` (text); `--vars name=value` overrides. */
  vars?: Record<string, string | number | boolean>;
  /** The API server (`wharf serve`). */
  serve?: ServeConfig;
  /** Extra coalescing strategies by name, beside default, max, min, avg and mode. */
  strategies?: Record<string, Strategy>;
  /** NPI enrichment. */
  npi?: {
    /** Registry base URL. Default: the public CMS NPPES API. */
    registry?: string;
  };
  /** Transparency in Coverage. */
  tic?: TicConfig;
}

/** Settings of `wharf tic`. */
export interface TicConfig {
  /**
   * URL of a payer's per-EIN lookup, `{ein}` standing for the nine-digit
   * EIN (e.g. `"https://…/anthem/{ein}.json"`): what `wharf tic lookup
   * --ein N` fetches. Default: none.
   */
  lookupUrl?: string;
}

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
  /** Live benefit servers (`GET <url>?member_id=…`). */
  upstreams?: string[];
  /** Per-upstream time limit, ms. Default 2000. */
  upstreamTimeoutMs?: number;
  /** Largest upstream answer, bytes; a larger one is that source's error. Default 65536. */
  upstreamMaxBytes?: number;
  /** Consecutive failures after which an upstream is skipped for a cool-down. Default 3. */
  upstreamFailures?: number;
  /** How long an upstream that is down is skipped before it is probed again, ms. Default 10000. */
  upstreamCooldownMs?: number;
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

/** A configuration with every default filled in and paths made absolute. */
export interface ResolvedConfig {
  root: string;
  name: string;
  warehouse: string;
  threads: number;
  paths: {
    models: string;
    macros: string;
    tests: string;
    target: string;
    cache: string;
    staging: string;
  };
  sources: Source[];
  vars: Record<string, string>;
  serve: Required<Omit<ServeConfig, "token" | "readToken" | "headerTimeoutMs">> & {
    token?: string;
    readToken?: string;
    headerTimeoutMs?: number;
  };
  strategies: Record<string, Strategy>;
  npi: { registry?: string };
  tic: TicConfig;
}

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

/** Fills defaults in and resolves paths against `root`. */
export function resolveConfig(root: string, config: WharfConfig = {}): ResolvedConfig {
  const abs = resolve(root);
  const threads = config.threads ?? 4;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new ConfigError(
      `Invalid "threads" in wharf.config.ts: expected a positive integer, got ${
        JSON.stringify(threads)
      }`,
    );
  }
  checkServeNumbers(config.serve);
  return {
    root: abs,
    name: config.name ?? abs.split(/[\\/]/).pop() ?? "wharf",
    warehouse: resolve(abs, config.warehouse ?? "warehouse.duckdb"),
    threads,
    paths: {
      models: resolve(abs, config.paths?.models ?? "models"),
      macros: resolve(abs, config.paths?.macros ?? "sql/macros"),
      tests: resolve(abs, config.paths?.tests ?? "sql/tests"),
      target: resolve(abs, config.paths?.target ?? "target"),
      cache: resolve(abs, config.paths?.cache ?? ".wharf/cache"),
      staging: resolve(abs, config.paths?.staging ?? ".wharf/staging"),
    },
    sources: compileSources(config.sources),
    vars: Object.fromEntries(Object.entries(config.vars ?? {}).map(([k, v]) => [k, String(v)])),
    serve: {
      port: config.serve?.port ?? 8787,
      host: config.serve?.host ?? "127.0.0.1",
      token: config.serve?.token,
      readToken: config.serve?.readToken,
      upstreams: config.serve?.upstreams ?? [],
      upstreamTimeoutMs: config.serve?.upstreamTimeoutMs ?? 2000,
      upstreamMaxBytes: config.serve?.upstreamMaxBytes ?? 64 * 1024,
      upstreamFailures: config.serve?.upstreamFailures ?? 3,
      upstreamCooldownMs: config.serve?.upstreamCooldownMs ?? 10_000,
      maxUploadBytes: config.serve?.maxUploadBytes ?? 512 * 1024 * 1024,
      ingestWaitMs: config.serve?.ingestWaitMs ?? 30_000,
      uploadIdleTimeoutMs: config.serve?.uploadIdleTimeoutMs ?? 30_000,
      uploadTimeoutMs: config.serve?.uploadTimeoutMs ?? 900_000,
      headerTimeoutMs: config.serve?.headerTimeoutMs,
    },
    strategies: config.strategies ?? {},
    npi: { registry: config.npi?.registry },
    tic: resolveTic(config.tic),
  };
}

/** Checks the `tic` section: known keys only, a lookup URL template with `{ein}`. */
function resolveTic(tic: TicConfig | undefined): TicConfig {
  if (tic === undefined) return {};
  if (typeof tic !== "object" || tic === null || Array.isArray(tic)) {
    throw new ConfigError(
      `Invalid "tic" in wharf.config.ts: expected an object, got ${JSON.stringify(tic)}`,
    );
  }
  const unknown = Object.keys(tic).filter((k) => k !== "lookupUrl");
  if (unknown.length) {
    throw new ConfigError(
      `Unknown key${unknown.length > 1 ? "s" : ""} ${
        unknown.map((k) => `"tic.${k}"`).join(", ")
      } in wharf.config.ts: the tic section takes "lookupUrl" only`,
    );
  }
  const url = tic.lookupUrl;
  if (url !== undefined && (typeof url !== "string" || !/^https?:\/\/.*\{ein\}/i.test(url))) {
    throw new ConfigError(
      `Invalid "tic.lookupUrl" in wharf.config.ts: expected an http(s) URL with {ein} where the EIN goes (e.g. "https://…/anthem/{ein}.json"), got ${
        JSON.stringify(url)
      }`,
    );
  }
  return { lookupUrl: url };
}

/**
 * Loads `wharf.config.ts` from `root` (when present) and resolves it.
 *
 * @throws {ConfigError} when the folder does not exist or the config file
 * fails to load or does not export a config object.
 */
export async function loadConfig(root: string): Promise<ResolvedConfig> {
  const abs = resolve(root);
  try {
    if (!(await Deno.stat(abs)).isDirectory) {
      throw new ConfigError(`Project folder "${root}" is not a folder`);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new ConfigError(
        `Project folder "${root}" does not exist: pass --project with the folder that holds models/`,
      );
    }
    throw err;
  }
  const file = join(abs, "wharf.config.ts");
  let stat: Deno.FileInfo | undefined;
  try {
    stat = await Deno.stat(file);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (!stat?.isFile) return resolveConfig(abs);
  let mod: { default?: unknown };
  try {
    // The modification time in the URL makes an edited config load afresh
    // in a long-running process (server, tests) instead of from the module cache.
    const url = new URL(`file://${file}`);
    url.searchParams.set("v", `${stat.mtime?.getTime() ?? 0}-${stat.size}`);
    mod = await import(url.href);
  } catch (err) {
    throw new ConfigError(
      `Cannot load "${file}": ${err instanceof Error ? err.message : String(err)}`,
      { cause: err, location: { file: "wharf.config.ts" } },
    );
  }
  if (typeof mod.default !== "object" || mod.default === null) {
    throw new ConfigError(
      `Invalid "${file}": it must \`export default defineConfig({...})\``,
      { location: { file: "wharf.config.ts" } },
    );
  }
  return resolveConfig(abs, mod.default as WharfConfig);
}
