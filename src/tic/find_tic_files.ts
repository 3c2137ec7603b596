/**
 * `wharf tic files --state NY --network PPO [--ein N]`: the question users
 * of TiC indexes ask, answered from `marts.tic_in_network_files` (for one
 * EIN, from `intermediate.int_tic_file_attribution`, which attributes each
 * file by that EIN's plans) after building them, so the answer reflects
 * every index and lookup landed so far.
 *
 * @module
 */
import type { EngineConfig } from "../engine/config.ts";
import { openWarehouse } from "../engine/db/warehouse.ts";
import { ModelError, UsageError } from "../engine/errors.ts";
import { runProject, type RunSummary } from "../engine/run/run_project.ts";
import { normalizeEin } from "./land_lookup.ts";

/** Options of {@linkcode findTicFiles}. */
export interface TicFilesOptions {
  /** Warehouse file; the configured one by default. */
  db?: string;
  /** USPS code (`NY`). */
  state: string;
  /** PPO, HMO, EPO or POS. */
  network: string;
  /** Only files linked to plans with this EIN. */
  ein?: string;
}

/** One file of the answer (once per path, over every complete index that lists it). */
export interface TicFileAnswer {
  url: string;
  url_key: string;
  file_name: string;
  description: string | null;
  states: string[];
  network_types: string[];
  state_basis: string;
  network_basis: string;
  eins: string[];
  plans: number;
}

/** The answer, with how the mart attributed files in general. */
export interface TicFilesAnswer {
  state: string;
  network: string;
  ein: string | null;
  files: TicFileAnswer[];
  /** Files per basis, for the state and the network (marts.tic_attribution). */
  attribution: { attribute: string; basis: string; files: number }[];
  /** Distinct in-network files (by path, over every index) no state-and-network question finds (marts.tic_unattributed_files). */
  unattributed: number;
  /** With an EIN: its in-network files, whatever their state and network (0: no plan of it is landed). */
  einFiles: number | null;
  build: RunSummary;
}

const NETWORKS = ["PPO", "HMO", "EPO", "POS"];

/**
 * Builds the TiC marts and returns the in-network files for `state` and
 * `network` (and `ein`), ordered by path.
 *
 * @throws {UsageError} for a state, network or EIN that cannot be one, or
 * when no TiC index is landed; {@linkcode ModelError} when the build fails
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "../config.ts";
 * import { findTicFiles } from "./find_tic_files.ts";
 * import { landLookup } from "./land_lookup.ts";
 * import { landTic } from "./land_tic.ts";
 *
 * // An excerpt of Anthem's real index, and the EIN lookup of one New York employer.
 * const real = "tests/fixtures/real/serif";
 * const dir = await Deno.makeTempDir();
 * const db = `${dir}/warehouse.duckdb`;
 * const config = await loadConfig(".");
 * await landTic(config, `${real}/anthem_2023-04_index_excerpt.compact-lines.json.gz`, { db });
 * await landLookup(config, `${real}/anthem_ein_lookup_010643676.ny_excerpt.json`, { db });
 * const answer = await findTicFiles(config, { db, state: "NY", network: "PPO" });
 * assert.equal(answer.files.length, 47);
 * assert.ok(answer.files.every((f) => f.url.startsWith("https://")));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function findTicFiles(
  config: EngineConfig,
  options: TicFilesOptions,
): Promise<TicFilesAnswer> {
  const state = options.state.trim().toUpperCase();
  const network = options.network.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(state)) {
    throw new UsageError(`Invalid --state "${options.state}": expected a USPS code such as NY`);
  }
  if (!NETWORKS.includes(network)) {
    throw new UsageError(
      `Invalid --network "${options.network}": expected one of ${NETWORKS.join(", ")}`,
    );
  }
  const ein = options.ein === undefined ? null : normalizeEin(options.ein);
  const db = options.db ?? config.warehouse;
  await requireIndex(db);
  const build = await runProject("build", config, {
    db,
    select: ["+marts.tic_attribution", "+marts.tic_unattributed_files"],
  });
  const failed = build.results.filter((r) => r.status === "error");
  if (failed.length) {
    throw new ModelError(
      failed[0]!.id,
      `Cannot answer: building the TiC models failed: ${
        failed.map((r) => `${r.id}: ${r.message ?? "error"}`).join("; ")
      }`,
    );
  }
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    const known = await wh.query("SELECT 1 FROM seeds.us_states WHERE code = ?", [state]);
    if (!known.length) {
      throw new UsageError(
        `Unknown --state "${options.state}": not a code of seeds.us_states (50 states, DC and the territories)`,
      );
    }
    // For one EIN, what its own plans say (a file shared with another
    // employer's PPO plan is not a PPO file of this one).
    const [from, scope] = ein === null
      ? ["marts.tic_in_network_files", []]
      : ["intermediate.int_tic_file_attribution", [ein]];
    const rows = await wh.query(
      `SELECT url_key, url, file_name, description, states, network_types, state_basis,
         network_basis, eins, plans::DOUBLE AS plans
       FROM ${from}
       WHERE ${scope.length ? "scope = ? AND " : ""}list_contains(states, ?)
         AND list_contains(network_types, ?)
       ORDER BY url_key`,
      [...scope, state, network],
    );
    const attribution = await wh.query(
      "SELECT attribute, basis, files::DOUBLE AS files FROM marts.tic_attribution",
    );
    const [unattributed] = await wh.query(
      "SELECT count(*)::DOUBLE AS n FROM marts.tic_unattributed_files",
    );
    const einFiles = ein === null ? null : Number(
      (await wh.query(
        "SELECT count(*)::DOUBLE AS n FROM intermediate.int_tic_file_attribution WHERE scope = ?",
        [ein],
      ))[0]?.n ?? 0,
    );
    return {
      state,
      network,
      ein,
      files: rows.map((r) => ({ ...r, plans: Number(r.plans) }) as unknown as TicFileAnswer),
      attribution: attribution.map((r) => ({
        attribute: String(r.attribute),
        basis: String(r.basis),
        files: Number(r.files),
      })),
      unattributed: Number(unattributed?.n ?? 0),
      einFiles,
      build,
    };
  } finally {
    wh.close();
  }
}

/** Refuses to answer before a TiC index has landed (nothing to answer from). */
async function requireIndex(db: string): Promise<void> {
  const none = new UsageError(
    `No Transparency-in-Coverage index is landed in "${db}" yet: land one first (\`wharf tic <index.json.gz | url>\`)`,
  );
  try {
    await Deno.stat(db);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw none;
    throw err;
  }
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    const [r] = await wh.query(
      "SELECT count(*) FILTER (WHERE table_name = 'tic_indexes')::DOUBLE AS n FROM information_schema.tables WHERE table_schema = 'raw'",
    );
    if (!Number(r?.n)) throw none;
    const [c] = await wh.query(
      "SELECT count(*)::DOUBLE AS n FROM raw.tic_indexes WHERE status = 'complete'",
    );
    if (!Number(c?.n)) throw none;
  } finally {
    wh.close();
  }
}
