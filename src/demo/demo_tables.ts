/**
 * Which raw tables the demo lands: what a build that skipped nodes for want
 * of landed data may suggest `deno task demo` for, and nothing else (the
 * demo generates deliveries only: no TiC index, no NPI registry answer).
 *
 * @module
 */
import type { Source } from "../land/sources.ts";

/** The file name of the demo's NPI list. */
const NPI_LIST = "npi-list.txt";

/**
 * The names of the files the demo generates (`generate()` writes these,
 * whatever the scale; a test holds the two together).
 */
const DEMO_FILE_NAMES: readonly string[] = [
  "benefits-payer_a-20240115_120000.json",
  "benefits-payer_b-20240115_120001.ndjson",
  "benefits-payer_c-20240115_120002.csv",
  NPI_LIST,
  "HospitalABC_VisitPay_Procedure_20240101_220000.txt",
  "HospitalABC_VisitPay_Procedure_20240102_220000.txt",
  "HospitalABC_VisitPay_Transaction_20240101_223000.txt",
  "HospitalABC_VisitPay_Transaction_20240103_223000.txt",
  "HospitalABC_VisitPay_Visit_20240101_221500.txt",
  "HospitalABC_VisitPay_Visit_20240102_221500.txt",
  "HospitalABC_VisitPay_Visit_20240103_221500.txt",
  "HospitalXYZ_VisitPay_Procedure_20240101_230000.txt",
  "HospitalXYZ_VisitPay_Transaction_20240101_233000.txt",
  "HospitalXYZ_VisitPay_Visit_20240101_231500.txt",
  "Patient-claim-clientA-202307.csv",
  "Patient-claim-clientA-202308.csv",
  "Patient-claim-clientB-202307.xlsx",
  "Patient-membership-clientA-202307.csv",
  "Patient-membership-clientA-202308.xlsx",
  "Patient-membership-clientB-202307.xlsx",
];

/**
 * The raw tables (`raw.<table>`) the demo's deliveries land in with the
 * project's `sources`: those of the sources whose pattern one of the
 * generated file names matches (the first matching source, as landing
 * picks it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileSources } from "../land/sources.ts";
 * import { demoTables } from "./demo_tables.ts";
 *
 * const sources = compileSources([
 *   { name: "npi_list", pattern: /^npi[-_].*\.txt$/ },
 *   { name: "pharmacy", pattern: /^rx_.*\.csv$/ },
 * ]);
 * assert.deepEqual(demoTables(sources), ["raw.npi_list"]);
 * ```
 */
export function demoTables(sources: readonly Source[]): string[] {
  const tables = new Set<string>();
  for (const name of DEMO_FILE_NAMES) {
    const source = sources.find((s) => s.pattern.test(name));
    if (source) tables.add(`raw.${source.table}`);
  }
  return [...tables].sort();
}

/**
 * The raw table (`raw.<table>`) the demo's NPI list (`npi/npi-list.txt`)
 * lands in with the project's `sources`, the list `wharf enrich npi` then
 * reads; undefined when no source takes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileSources } from "../land/sources.ts";
 * import { demoNpiList } from "./demo_tables.ts";
 *
 * assert.equal(demoNpiList(compileSources([{ name: "npis", pattern: /^npi[-_].*\.txt$/ }])), "raw.npis");
 * assert.equal(demoNpiList([]), undefined);
 * ```
 */
export function demoNpiList(sources: readonly Source[]): string | undefined {
  const source = sources.find((s) => s.pattern.test(NPI_LIST));
  return source && `raw.${source.table}`;
}
