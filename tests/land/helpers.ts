/**
 * Landing test helpers: a project with sources, and reading the warehouse.
 *
 * @module
 */
import { gzipSync } from "node:zlib";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import type { SourceConfig } from "../../src/land/sources.ts";
import { type TempProject, tempProject } from "../helpers.ts";

/** Sources used by the landing tests. */
export const SOURCES: SourceConfig[] = [
  { name: "procedures", pattern: /^(?<hospital>\w+)_Procedure_(?<delivered_at>\d{8}_\d{6})\.txt$/ },
  { name: "visits", pattern: /^(?<hospital>\w+)_Visit_(?<delivered_at>\d{8}_\d{6})\.txt(\.gz)?$/ },
  {
    name: "members",
    pattern: /^members-(?<client>client[A-Z])-(?<period>\d{6})\.(csv|xlsx|json|ndjson)(\.gz)?$/,
  },
  { name: "latin", pattern: /^latin.*\.csv$/ },
];

/** A temporary project with {@linkcode SOURCES}. */
export function landingProject(): Promise<TempProject> {
  return tempProject({ "models/.keep": "" }, { sources: SOURCES });
}

/** Runs a query on the warehouse file and closes it. */
export async function query(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const wh = await openWarehouse(db);
  try {
    return await wh.query(sql);
  } finally {
    wh.close();
  }
}

/** Gzips text or bytes. */
export function gzip(data: string | Uint8Array): Uint8Array {
  return new Uint8Array(gzipSync(typeof data === "string" ? new TextEncoder().encode(data) : data));
}
