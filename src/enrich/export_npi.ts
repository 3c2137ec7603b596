/**
 * `wharf export npi-by-state <dir>`: one CSV per practice state of the
 * enriched providers, plus `Other.csv` (a practice state that is no USPS
 * code, the registry's value kept), `None.csv` (enriched, no practice
 * location) and `Failed.csv` (not found, invalid, failed or still pending,
 * with the reason). One row per provider per state, showing its practice
 * address there; every file has the same header.
 *
 * Registry data decides no path: a file is named after a code of
 * {@linkcode USPS_STATE_CODES} or one of the three fixed names, and every
 * write is checked to land directly inside the export folder, through a
 * new temporary file renamed into place (a symbolic link planted in the
 * folder is replaced, never followed).
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import type { EngineConfig } from "../engine/config.ts";
import { csvLine } from "../csv/csv.ts";
import { openWarehouse } from "../engine/db/warehouse.ts";
import { WharfError } from "../engine/errors.ts";
import { runProject } from "../engine/run/run_project.ts";

/** The columns of every exported file. */
export const EXPORT_COLUMNS = [
  "npi",
  "practice_state",
  "registry_state",
  "ledger_state",
  "enumeration_type",
  "name",
  "primary_taxonomy_code",
  "primary_taxonomy",
  "address_1",
  "address_2",
  "city",
  "postal_code",
  "telephone_number",
  "status",
  "deactivation_date",
  "reactivation_date",
  "last_error",
] as const;

/**
 * The codes that may name an export file: the 50 states, DC and the
 * inhabited territories (PR, GU, VI, AS, MP), as in `seeds.us_states`.
 * Military (AA, AE, AP) and freely associated states' (FM, MH, PW) codes
 * are not practice states: such rows go to `Other.csv`.
 */
export const USPS_STATE_CODES: ReadonlySet<string> = new Set(
  ("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ " +
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP").split(" "),
);

/** The files written besides the states', always (header only when empty). */
const FIXED_FILES = ["None", "Other", "Failed"] as const;

/** What was written: file name → rows. */
export type ExportSummary = Record<string, number>;

/** The file (without `.csv`) a row of `marts.npi_providers_by_state` belongs in. */
function fileFor(row: Record<string, unknown>): string {
  if (row.ledger_state !== "enriched") return "Failed";
  const state = row.practice_state;
  if (typeof state === "string" && USPS_STATE_CODES.has(state)) return state;
  return state === null && row.registry_state === null ? "None" : "Other";
}

/**
 * Writes `text` as `name` directly inside the folder `root` (a real path):
 * into a new file beside it first, then renamed over it.
 *
 * @throws {WharfError} when `name` is not a plain file name inside `root`.
 */
async function writeInside(root: string, name: string, text: string): Promise<void> {
  const target = join(root, name);
  if (!/^[A-Za-z]+\.csv$/.test(name) || dirname(target) !== root || basename(target) !== name) {
    throw new WharfError(`Refusing to write "${name}": not a file name inside ${root}`);
  }
  const temp = join(root, `.${name}.${crypto.randomUUID()}.tmp`);
  // createNew fails on anything already there, a symbolic link included.
  const file = await Deno.open(temp, { write: true, createNew: true });
  try {
    await file.write(new TextEncoder().encode(text));
  } finally {
    file.close();
  }
  try {
    await Deno.rename(temp, target);
  } catch (err) {
    await Deno.remove(temp).catch(() => {});
    throw new WharfError(`Cannot write ${target}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Builds `marts.npi_providers_by_state` (with the seeds and models it needs),
 * then writes one CSV per file name into `dir`, creating it.
 *
 * @returns Rows per file written.
 * @throws {WharfError} when a model fails to build or a file cannot be written.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "../config.ts";
 * import { enrichNpis } from "./enrich_npi.ts";
 * import { exportNpiByState } from "./export_npi.ts";
 *
 * // One NPI enriched from a registry on 127.0.0.1 (a real answer: a Florida practice).
 * const body = await Deno.readFile("tests/fixtures/real/npi/1003101296_npi2.json");
 * await using registry = Deno.serve({ port: 0, onListen() {} }, () => new Response(body));
 * const dir = await Deno.makeTempDir();
 * const config = await loadConfig(".");
 * const db = `${dir}/warehouse.duckdb`;
 * await Deno.writeTextFile(`${dir}/npi-list.txt`, "1003101296\n");
 * await enrichNpis(config, `${dir}/npi-list.txt`, {
 *   db,
 *   registry: `http://127.0.0.1:${registry.addr.port}/api/`,
 * });
 * const summary = await exportNpiByState(config, `${dir}/exports`, { db });
 * assert.equal(summary["FL.csv"], 1);
 * assert.match(await Deno.readTextFile(`${dir}/exports/FL.csv`), /1003101296/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function exportNpiByState(
  config: EngineConfig,
  dir: string,
  options: { db: string },
): Promise<ExportSummary> {
  const select = ["+marts.npi_providers_by_state"];
  for (const command of ["seed", "run"] as const) {
    const build = await runProject(command, config, { db: options.db, select });
    const failed = build.results.find((r) => r.status === "error");
    if (failed) {
      throw new WharfError(`Cannot export: ${failed.id} failed to build: ${failed.message}`);
    }
  }
  const wh = await openWarehouse(options.db, { holder: "wharf export npi-by-state" });
  let rows: Record<string, unknown>[];
  try {
    rows = await wh.query(
      `SELECT ${
        EXPORT_COLUMNS.join(", ")
      } FROM marts.npi_providers_by_state ORDER BY practice_state NULLS LAST, npi, registry_state`,
    );
  } finally {
    wh.close();
  }
  const files = new Map<string, string[]>(FIXED_FILES.map((name) => [name, []]));
  for (const r of rows) {
    const name = fileFor(r);
    const lines = files.get(name) ?? [];
    lines.push(csvLine(EXPORT_COLUMNS.map((c) => r[c])));
    files.set(name, lines);
  }
  await Deno.mkdir(dir, { recursive: true });
  const root = await Deno.realPath(dir);
  const summary: ExportSummary = {};
  for (const [name, lines] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    await writeInside(root, `${name}.csv`, [EXPORT_COLUMNS.join(","), ...lines].join("\n") + "\n");
    summary[`${name}.csv`] = lines.length;
  }
  return summary;
}
