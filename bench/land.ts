/**
 * `deno task bench land`: lands a generated 5,000,000-row pipe-delimited
 * file and, in the same run, times DuckDB alone on it (`CREATE TABLE … AS
 * SELECT * FROM read_csv(…, all_varchar = true)`), each in a fresh process
 * on a fresh warehouse; prints both, the ratio (target ≤ 1.15×) and peak RSS.
 *
 * @module
 */
import { join } from "node:path";
import { runPhase } from "./phase.ts";
import { openWarehouse } from "../src/engine/db/warehouse.ts";
import { quoteLiteral } from "../src/engine/db/sql.ts";

const ROWS = Number(Deno.env.get("BENCH_LAND_ROWS") ?? 5_000_000);

function phase(args: string[]): Promise<{ ms: number; peakRssMb: number; rows: number }> {
  return runPhase("land_worker.ts", args);
}

export default async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wharf_bench_land_" });
  try {
    const file = join(dir, "claims-20240105_101500.txt");
    const wh = await openWarehouse(":memory:");
    await wh.exec(
      `COPY (SELECT range AS claim_id, 'M' || (range % 100000) AS member_id, 'client' || (range % 3) AS client,
              strftime(DATE '2023-01-01' + (range % 365)::INT, '%-m/%-d/%Y') AS service_date, 'E' || (range % 90) AS code,
              round((range * 7919 % 100000) / 100.0, 2) AS amount, 'Completed' AS status, 'Vendor ' || (range % 50) AS vendor
            FROM range(${ROWS})) TO ${quoteLiteral(file)} (DELIMITER '|', HEADER true)`,
    );
    wh.close();
    const size = (await Deno.stat(file)).size;
    console.log(
      `file: ${ROWS.toLocaleString("en-US")} rows, ${(size / 1e6).toFixed(0)} MB, pipe-delimited`,
    );
    const bare: number[] = [];
    const landed: { ms: number; peakRssMb: number }[] = [];
    let bareRss = 0;
    for (let round = 0; round < 2; round++) {
      const b = await phase(["bare", file, join(dir, `bare${round}.duckdb`)]);
      bare.push(b.ms);
      bareRss = Math.max(bareRss, b.peakRssMb);
      const l = await phase(["land", file, join(dir, `land${round}.duckdb`), dir]);
      if (l.rows !== ROWS || b.rows !== ROWS) {
        throw new Error(`row counts differ: land ${l.rows}, bare ${b.rows}`);
      }
      landed.push(l);
    }
    const bestBare = Math.min(...bare);
    const bestLand = Math.min(...landed.map((l) => l.ms));
    const rss = Math.max(...landed.map((l) => l.peakRssMb));
    console.log(
      `DuckDB alone (CTAS read_csv all_varchar): ${
        (bestBare / 1000).toFixed(2)
      } s (best of 2), peak RSS ${bareRss.toFixed(0)} MB`,
    );
    console.log(
      `wharf land (hash, lineage, rejects, manifest): ${
        (bestLand / 1000).toFixed(2)
      } s (best of 2), peak RSS ${rss.toFixed(0)} MB`,
    );
    console.log(
      `ratio land / DuckDB alone: ${(bestLand / bestBare).toFixed(2)}x  (target <= 1.15x)`,
    );
    console.log(
      `throughput: ${(ROWS / (bestLand / 1000) / 1e6).toFixed(2)} M rows/s, ${
        (size / 1e6 / (bestLand / 1000)).toFixed(0)
      } MB/s`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
