/**
 * `wharf export npi-by-state <dir>`: one CSV per practice state of the
 * enriched providers, plus `None.csv` (enriched, no practice location) and
 * `Failed.csv` (not found, invalid, failed or still pending, with the
 * reason). One row per provider per state; every file has the same header.
 *
 * @module
 */
import { join } from "node:path";
import type { ResolvedConfig } from "../config.ts";
import { csvLine } from "../csv.ts";
import { openWarehouse } from "../db/warehouse.ts";
import { WharfError } from "../errors.ts";
import { runProject } from "../run/run_project.ts";

/** The columns of every exported file. */
export const EXPORT_COLUMNS = [
  "npi",
  "practice_state",
  "ledger_state",
  "enumeration_type",
  "name",
  "primary_taxonomy_code",
  "primary_taxonomy",
  "address_1",
  "city",
  "postal_code",
  "telephone_number",
  "last_error",
] as const;

/** What was written: file name → rows. */
export type ExportSummary = Record<string, number>;

/** Builds `marts.npi_providers_by_state` (and what it needs), then writes the files into `dir`. */
export async function exportNpiByState(
  config: ResolvedConfig,
  dir: string,
  options: { db: string },
): Promise<ExportSummary> {
  const build = await runProject("run", config, {
    db: options.db,
    select: ["+marts.npi_providers_by_state"],
  });
  const failed = build.results.find((r) => r.status === "error");
  if (failed) {
    throw new WharfError(`Cannot export: ${failed.id} failed to build: ${failed.message}`);
  }
  const wh = await openWarehouse(options.db, { holder: "wharf export npi-by-state" });
  let rows: Record<string, unknown>[];
  try {
    rows = await wh.query(
      `SELECT ${
        EXPORT_COLUMNS.join(", ")
      } FROM marts.npi_providers_by_state ORDER BY practice_state NULLS LAST, npi`,
    );
  } finally {
    wh.close();
  }
  const files = new Map<string, string[]>();
  for (const r of rows) {
    const name = r.ledger_state !== "enriched"
      ? "Failed"
      : r.practice_state === null
      ? "None"
      : String(r.practice_state);
    const lines = files.get(name) ?? [];
    lines.push(csvLine(EXPORT_COLUMNS.map((c) => r[c])));
    files.set(name, lines);
  }
  await Deno.mkdir(dir, { recursive: true });
  const summary: ExportSummary = {};
  for (const name of ["None", "Failed"]) if (!files.has(name)) files.set(name, []);
  for (const [name, lines] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    await Deno.writeTextFile(
      join(dir, `${name}.csv`),
      [EXPORT_COLUMNS.join(","), ...lines].join("\n") + "\n",
    );
    summary[`${name}.csv`] = lines.length;
  }
  return summary;
}
