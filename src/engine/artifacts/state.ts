/**
 * `--state DIR`: an earlier run's artifacts (a `target/` folder: manifest.json,
 * and run_results.json, sources.json when that run wrote them) compared with
 * the project as it is now, as dbt compares them: checksums of each node's
 * file, its config, its relation, the macros it calls, its enforced
 * contract, its place in the project (fqn) and the descriptions its
 * `persist_docs` writes to the warehouse.
 *
 * @module
 */
import { join, resolve } from "node:path";
import type { CompiledProject } from "../compile/compile_project.ts";
import { UsageError } from "../errors.ts";
import type { ModifiedPart, SelectionState } from "../graph/select_state.ts";
import {
  canonicalJson as canonical,
  type DbtManifest,
  type ManifestEntry,
  sourceNameIds,
  uniqueIds,
} from "./dbt_manifest.ts";
import type { RunArgs } from "./dbt_run_results.ts";

/** An earlier run's artifacts, as read from its folder. */
export interface StateArtifacts {
  /** The folder, absolute. */
  dir: string;
  manifest: DbtManifest;
  /** run_results.json, when the state has one. */
  runResults?: { results: { unique_id: string; status: string }[]; args?: Partial<RunArgs> };
  /** sources.json (source freshness results), when the state has one. */
  sources?: FreshnessResults;
}

/** What sources.json says wharf reads: each source's latest load. */
interface FreshnessResults {
  results: { unique_id: string; max_loaded_at?: string; status?: string }[];
}

async function readJson(file: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `Cannot read ${file}: ${(err as Error).message} (it is not JSON; pass another --state)`,
    );
  }
}

/**
 * Reads the artifacts in `dir`.
 *
 * @throws {UsageError} when `dir` holds no manifest.json, or a file is not the artifact it is named after.
 */
export async function readState(dir: string): Promise<StateArtifacts> {
  const abs = resolve(dir);
  const manifest = await readJson(join(abs, "manifest.json")) as DbtManifest | undefined;
  if (!manifest) {
    throw new UsageError(
      `--state "${dir}" holds no manifest.json: pass the target/ folder of an earlier run (build, run, test, seed, ls or compile write one)`,
    );
  }
  const kind = (v: unknown) =>
    String((v as { metadata?: { dbt_schema_version?: string } })?.metadata?.dbt_schema_version);
  if (!kind(manifest).includes("/manifest/")) {
    throw new UsageError(
      `${join(abs, "manifest.json")} is not a dbt manifest: pass another --state`,
    );
  }
  const runResults = await readJson(join(abs, "run_results.json")) as
    | StateArtifacts["runResults"]
    | undefined;
  if (runResults && !kind(runResults).includes("/run-results/")) {
    throw new UsageError(`${join(abs, "run_results.json")} is not dbt's run results`);
  }
  const sources = await readJson(join(abs, "sources.json")) as FreshnessResults | undefined;
  if (sources && !kind(sources).includes("/sources/")) {
    throw new UsageError(`${join(abs, "sources.json")} is not dbt's source freshness results`);
  }
  return { dir: abs, manifest, runResults, sources };
}

/** A node's enforced contract as the manifest records it: its checksum and column types. */
function contractOf(n: ManifestEntry): { enforced: boolean; checksum: unknown } {
  const c = n.contract as { enforced?: boolean; checksum?: unknown } | undefined;
  return { enforced: c?.enforced === true, checksum: c?.checksum ?? null };
}

/**
 * Why the contract of `now` breaks the one of `then` (both manifest
 * entries; `then` enforced), as dbt judges it: enforcement dropped, a
 * column removed or given another type, a constraint removed. Undefined
 * when it does not.
 */
function breakingChange(now: ManifestEntry, then: ManifestEntry): string | undefined {
  if (!contractOf(now).enforced) return "its contract is no longer enforced";
  type Column = { data_type?: string | null };
  const before = (then.columns ?? {}) as Record<string, Column>;
  const after = (now.columns ?? {}) as Record<string, Column>;
  const lower = new Map(Object.entries(after).map(([k, v]) => [k.toLowerCase(), v]));
  const reasons: string[] = [];
  for (const [name, col] of Object.entries(before)) {
    const found = lower.get(name.toLowerCase());
    if (!found) reasons.push(`column "${name}" was removed`);
    else if (
      String(found.data_type ?? "").toLowerCase() !== String(col.data_type ?? "").toLowerCase()
    ) {
      reasons.push(
        `column "${name}" changed type from ${col.data_type ?? "none"} to ${
          found.data_type ?? "none"
        }`,
      );
    }
  }
  const key = (c: unknown) => canonical(c);
  const kept = new Set(((now.constraints ?? []) as unknown[]).map(key));
  for (const c of (then.constraints ?? []) as { type: string; columns?: string[] }[]) {
    if (!kept.has(key(c))) {
      reasons.push(
        `its ${c.type} constraint${
          c.columns?.length ? ` on ${c.columns.join(", ")}` : ""
        } was removed`,
      );
    }
  }
  return reasons.length ? reasons.join("; ") : undefined;
}

/** The macros a manifest entry calls. */
function macrosOf(n: ManifestEntry): string[] {
  return (n.depends_on as { macros?: string[] } | undefined)?.macros ?? [];
}

/** True when `now` calls a macro that is new or changed since `state`. */
function callsChangedMacro(now: ManifestEntry, current: DbtManifest, state: DbtManifest): boolean {
  return macrosOf(now).some((m) => current.macros[m]?.macro_sql !== state.macros[m]?.macro_sql);
}

/**
 * What counts as changed in a node the state does not have, as in dbt: a
 * new node is modified (so `state:modified+` builds it) in its body,
 * configs, relation, contract and place, in its persisted descriptions
 * unless it is a source or unit test (which have none), and in its macros
 * when one it calls is new or changed too. A source has no body or contract.
 */
function newNodeParts(
  now: ManifestEntry,
  current: DbtManifest,
  state: DbtManifest,
): Set<ModifiedPart> {
  const parts = new Set<ModifiedPart>(
    now.resource_type === "source"
      ? ["configs", "relation", "fqn"]
      : ["body", "configs", "relation", "contract", "fqn"],
  );
  if (now.resource_type !== "source" && now.resource_type !== "unit_test") {
    parts.add("persisted_descriptions");
  }
  if (callsChangedMacro(now, current, state)) parts.add("macros");
  return parts;
}

/**
 * True when a description `now`'s `persist_docs` writes to the warehouse
 * differs from `then`'s, as dbt compares them: its description when
 * `relation` is on, its columns' (which are documented, and how) when
 * `columns` is on. A change of `persist_docs` itself is a change of configs.
 */
function persistedDescriptionsChanged(now: ManifestEntry, then: ManifestEntry): boolean {
  const persist = (now.config as { persist_docs?: { relation?: boolean; columns?: boolean } })
    ?.persist_docs;
  if (persist?.relation && now.description !== then.description) return true;
  if (!persist?.columns) return false;
  const described = (n: ManifestEntry) =>
    canonical(
      Object.fromEntries(
        Object.entries((n.columns ?? {}) as Record<string, { description?: string }>)
          .map(([name, c]) => [name, c.description ?? ""]),
      ),
    );
  return described(now) !== described(then);
}

/**
 * A node's body: a generic test's code and arguments as written (the
 * checksum of older manifests took its arguments resolved), else its checksum
 * (`{ name, checksum }`; a unit test's, the text itself).
 */
function bodyOf(n: ManifestEntry): unknown {
  const meta = n.test_metadata as { kwargs?: unknown } | null | undefined;
  if (meta) return canonical({ raw: n.raw_code, kwargs: meta.kwargs });
  return typeof n.checksum === "string"
    ? n.checksum
    : (n.checksum as { checksum?: string } | undefined)?.checksum;
}

/** The configs that are a node's relation, or that dbt does not count as a change (tags, group). */
const NOT_CONFIGS = ["database", "schema", "alias", "tags", "group"];
/** The configs dbt compares of a test: those that change its verdict. */
const TEST_CONFIGS = [
  "severity",
  "where",
  "limit",
  "fail_calc",
  "warn_if",
  "error_if",
  "store_failures",
  "store_failures_as",
];

/**
 * A node's configs as written (dbt's `unrendered_config`) that
 * `state:modified.configs` compares, as dbt compares them: a test's that
 * change its verdict; a model's, seed's or snapshot's but its relation, tags
 * and group. A source's configs are its YAML's, compared as recorded.
 */
function writtenConfigs(n: ManifestEntry): string {
  if (n.resource_type === "source") return canonical(n.config);
  const all = (n.unrendered_config ?? {}) as Record<string, unknown>;
  const kept = Object.entries(all).filter(([k]) =>
    n.resource_type === "test" ? TEST_CONFIGS.includes(k) : !NOT_CONFIGS.includes(k)
  );
  return canonical(Object.fromEntries(kept));
}

/**
 * A node's relation as configured (written): its `database`, `schema` and
 * `alias` configs, unset ones being the target's and the node's name, as
 * dbt compares them; a source's database and schema as written, and its
 * table.
 */
function writtenRelation(n: ManifestEntry): string {
  if (n.resource_type === "source") {
    return canonical([n.unrendered_database ?? null, n.unrendered_schema ?? null, n.identifier]);
  }
  const c = (n.unrendered_config ?? {}) as Record<string, unknown>;
  return canonical([c.database ?? null, c.schema ?? null, c.alias ?? null]);
}

/**
 * True when `m` records its nodes' configs as written (a manifest of a
 * wharf that writes them, or of dbt): some node's `unrendered_config` is
 * not empty, or its sources have `unrendered_schema`.
 */
function recordsWritten(m: DbtManifest): boolean {
  return Object.values(m.nodes).some((n) =>
    Object.keys((n.unrendered_config ?? {}) as object).length > 0
  ) || Object.values(m.sources).some((s) => "unrendered_schema" in s);
}

/**
 * What changed in `now` since `then` (empty: nothing). With `written`,
 * configs and relations are compared as written, as dbt compares them (a
 * dbt project, whose target renders them); else as they are.
 */
function changes(
  now: ManifestEntry,
  then: ManifestEntry,
  manifests: { current: DbtManifest; state: DbtManifest },
  written: boolean,
): Set<ModifiedPart> {
  const { current, state } = manifests;
  const out = new Set<ModifiedPart>();
  if (bodyOf(now) !== bodyOf(then)) out.add("body");
  const configs = written ? writtenConfigs : (n: ManifestEntry) => canonical(n.config);
  if (configs(now) !== configs(then)) out.add("configs");
  const rel = written
    ? writtenRelation
    : (n: ManifestEntry) => [n.database, n.schema, n.alias].join(".");
  if (rel(now) !== rel(then)) out.add("relation");
  if (
    callsChangedMacro(now, current, state) || canonical(macrosOf(now)) !== canonical(macrosOf(then))
  ) out.add("macros");
  const [c, was] = [contractOf(now), contractOf(then)];
  if ((c.enforced || was.enforced) && canonical(c) !== canonical(was)) out.add("contract");
  if (canonical(now.fqn) !== canonical(then.fqn)) out.add("fqn");
  if (persistedDescriptionsChanged(now, then)) out.add("persisted_descriptions");
  return out;
}

/**
 * Compares the project `cp` (whose manifest is `current`) with `state`, for
 * the selection; `target` is this project's target folder (its sources.json
 * is the current freshness).
 */
export async function selectionState(
  cp: CompiledProject,
  current: DbtManifest,
  state: StateArtifacts,
  target: string,
): Promise<SelectionState> {
  const byUnique = new Map([
    ...[...uniqueIds(cp)].map(([id, u]) => [u, id] as const),
    ...[...sourceNameIds(cp)].flatMap(([id, us]) => us.map((u) => [u, id] as const)),
  ]);
  const modified = new Map<string, Set<ModifiedPart>>();
  const breaking = new Map<string, string>();
  const added = new Set<string>();
  const entries = (m: DbtManifest) => [
    ...Object.entries(m.nodes),
    ...Object.entries(m.sources),
    ...Object.entries(m.unit_tests ?? {}),
  ];
  const earlier = new Map(entries(state.manifest));
  // A dbt project's configs and relations are compared as written, so that
  // another target is no change; against the state of an older wharf, which
  // did not record them, as they are.
  const written = cp.project.config.dbt !== undefined &&
    (recordsWritten(state.manifest) || !recordsWritten(current));
  for (const [u, node] of entries(current)) {
    const id = byUnique.get(u);
    if (!id) continue;
    const then = earlier.get(u);
    if (!then) {
      added.add(id);
      modified.set(id, newNodeParts(node, current, state.manifest));
      continue;
    }
    const parts = changes(node, then, { current, state: state.manifest }, written);
    if (parts.size) modified.set(id, parts);
    const broken = parts.has("contract") && contractOf(then).enforced
      ? breakingChange(node, then)
      : undefined;
    if (broken) breaking.set(id, broken);
  }

  let results: SelectionState["results"] =
    `run_results.json in "${state.dir}", which is not there: pass the target/ folder of a build, run, test, seed or snapshot`;
  if (state.runResults) {
    const statuses = new Map<string, string>();
    for (const r of state.runResults.results) {
      const id = byUnique.get(r.unique_id);
      if (id) statuses.set(id, r.status === "runtime error" ? "error" : r.status);
    }
    results = statuses;
  }

  let fresher: SelectionState["fresher"];
  const now = await readJson(join(target, "sources.json")) as FreshnessResults | undefined;
  if (!state.sources || !now) {
    fresher = `sources.json (source freshness results) in ${
      [
        !state.sources ? `the state "${state.dir}"` : "",
        !now ? `the target folder "${target}"` : "",
      ]
        .filter(Boolean).join(" and ")
    }, which is not there: check source freshness in both runs`;
  } else {
    // As dbt: newer than in the state, or new since; a runtime error in either run rules it out.
    const before = new Map(state.sources.results.map((r) => [r.unique_id, r]));
    const loaded = new Set<string>();
    for (const r of now.results) {
      const id = byUnique.get(r.unique_id);
      if (!id || !r.max_loaded_at || r.status === "runtime error") continue;
      const was = before.get(r.unique_id);
      if (was && (!was.max_loaded_at || was.status === "runtime error")) continue;
      if (!was || Date.parse(r.max_loaded_at) > Date.parse(was.max_loaded_at!)) loaded.add(id);
    }
    fresher = loaded;
  }
  const notice = cp.project.config.dbt !== undefined && !written
    ? `the state "${state.dir}" was written by an older wharf, which did not record configs as written: configs and relations are compared as the state's target rendered them (another target changes them); rebuild the state to compare them as dbt does`
    : undefined;
  return {
    dir: state.dir,
    modified,
    breaking,
    added,
    results,
    fresher,
    ...(notice ? { notice } : {}),
    ...(cp.project.config.dbt === undefined
      ? {
        unsupported: {
          persisted_descriptions:
            "it selects nodes whose descriptions dbt's persist_docs writes to the warehouse, and persist_docs is not supported in a plain-SQL project (a dbt project, with a dbt_project.yml, runs it)",
        },
      }
      : {}),
  };
}
