/**
 * Landing cases: a temporary project whose sources take any file by its
 * extension, the input a case writes, and the exact outcome it expects per
 * file (status, rows landed, rows rejected, message) — with the invariant
 * checked on the warehouse after every case: each landed file's rows are in
 * raw under its batch, its rejects in `wharf.rejects`, as many as the
 * manifest says, and nothing at all of a failed file.
 *
 * @module
 */
import assert from "node:assert/strict";
import { basename } from "node:path";
import { land, type LandSummary } from "../../src/land/land.ts";
import type { SourceConfig } from "../../src/land/sources.ts";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { quoteRelation } from "../../src/engine/db/sql.ts";
import { type TempProject, tempProject } from "../helpers.ts";
import { defineCase } from "./registry.ts";

/** Sources taking any file by its extension (one raw table per format). */
export const ANY_SOURCES: SourceConfig[] = [
  { name: "csv", pattern: /\.csv(\.gz)?$/i },
  { name: "tsv", pattern: /\.(tsv|txt)(\.gz)?$/i },
  { name: "json", pattern: /\.json(\.gz)?$/i },
  { name: "ndjson", pattern: /\.(ndjson|jsonl)(\.gz)?$/i },
  { name: "xlsx", pattern: /\.xlsx$/i },
];

/** The outcome a case expects for one file. */
export interface ExpectedFile {
  /** The file's name (its last path segment, or a URL's). */
  file: string;
  status: "landed" | "skipped" | "failed";
  /** Rows landed. Default 0. */
  rows?: number;
  /** Rows rejected. Default 0. */
  rejected?: number;
  /** The exact message, or a pattern it matches; absent: no message. */
  message?: string | RegExp;
}

/** A landing case; see {@linkcode landCase}. */
export interface LandCase {
  name: string;
  issue?: string;
  slow?: boolean;
  /** Sources of the project. Default {@linkcode ANY_SOURCES}. */
  sources?: SourceConfig[];
  /**
   * Writes the input into the project and returns what to land (default:
   * the project's `in/` folder).
   */
  setup(p: TempProject): Promise<string[] | void>;
  /** Outcomes in landing order. */
  expect: ExpectedFile[];
  /** Further checks on what landed. */
  check?(p: TempProject, summary: LandSummary): Promise<void>;
}

/** Runs a query on the warehouse file and closes it. */
export async function rows(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    return await wh.query(sql);
  } finally {
    wh.close();
  }
}

/**
 * The invariant on a warehouse: for every file in the manifest, raw holds
 * exactly its `rows` under its batch and `wharf.rejects` exactly its
 * `rejected_rows` (none of either for a failed file).
 */
export async function assertLandingInvariant(db: string): Promise<void> {
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    const files = await wh.query(
      "SELECT batch_id::DOUBLE AS b, raw_table AS t, status, rows::DOUBLE AS r, rejected_rows::DOUBLE AS j, path FROM wharf.files",
    );
    for (const f of files) {
      const [schema, table] = String(f.t).split(".");
      const exists = (await wh.query(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema!, table!],
      )).length > 0;
      const landed = exists
        ? Number(
          (await wh.query(
            `SELECT count(*)::DOUBLE AS n FROM ${
              quoteRelation(schema!, table!)
            } WHERE _batch_id = ?`,
            [f.b as number],
          ))[0]!.n,
        )
        : 0;
      const rejected = Number(
        (await wh.query("SELECT count(*)::DOUBLE AS n FROM wharf.rejects WHERE batch_id = ?", [
          f.b as number,
        ]))[0]!.n,
      );
      const want = f.status === "landed" ? [f.r, f.j] : [0, 0];
      assert.deepEqual(
        [landed, rejected],
        want,
        `${f.status} ${f.path}: raw holds ${landed} rows, wharf.rejects ${rejected}; the manifest says ${want}`,
      );
    }
  } finally {
    wh.close();
  }
}

/** Compares outcomes with what a case expects, file by file, in order. */
export function assertOutcomes(summary: LandSummary, expect: readonly ExpectedFile[]): void {
  const name = (f: string) => /^https?:/i.test(f) ? new URL(f).pathname.split("/").pop()! : f;
  const got = summary.outcomes.map((o) => ({
    file: basename(name(o.file)),
    status: o.status,
    rows: o.rows,
    rejected: o.rejectedRows,
    message: o.message,
  }));
  assert.deepEqual(
    got.map((g) => [g.file, g.status, g.rows, g.rejected]),
    expect.map((e) => [e.file, e.status, e.rows ?? 0, e.rejected ?? 0]),
    `outcomes: ${JSON.stringify(got, null, 1)}`,
  );
  got.forEach((g, i) => {
    const want = expect[i]!.message;
    if (want instanceof RegExp) assert.match(g.message ?? "", want, g.file);
    else assert.equal(g.message, want, g.file);
  });
  assert.equal(summary.ok, expect.every((e) => e.status !== "failed"));
}

/** Defines a landing case: see {@linkcode LandCase}. */
export function landCase(c: LandCase): void {
  defineCase({
    area: "land",
    name: c.name,
    issue: c.issue,
    slow: c.slow,
    async run() {
      await using p = await tempProject({ "models/.keep": "" }, {
        sources: c.sources ?? ANY_SOURCES,
      });
      const args = (await c.setup(p)) ?? [`${p.root}/in`];
      const summary = await land(p.config, args, { db: p.db });
      assertOutcomes(summary, c.expect);
      await assertLandingInvariant(p.db);
      await c.check?.(p, summary);
    },
  });
}
