/**
 * One measured phase of `deno task bench tic`, in its own process so its
 * peak RSS is its own: `gunzip <file>` (DecompressionStream, counting
 * bytes), `zlib <file>` (node:zlib's gunzip, which wharf uses),
 * `tic <file> <db>` (wharf tic, which must complete) or `land <file> <db>`
 * (wharf tic, whatever the outcome). Prints `{"ms", "bytes", "peakRssMb"}`,
 * and for `land` the index's `status` and `warnings`; `leftover <db>`
 * prints `{"rows"}`, the rows of indexes that are not complete.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { resolveConfig } from "../src/config.ts";
import { peakRssMb } from "./phase.ts";
import { landTic } from "../src/tic/land_tic.ts";
import { openWarehouse } from "../src/engine/db/warehouse.ts";

const [mode, file, db] = Deno.args;
const start = performance.now();
const figures = (bytes: number) => ({
  ms: performance.now() - start,
  bytes,
  peakRssMb: peakRssMb(),
});
if (mode === "gunzip") {
  let bytes = 0;
  using f = await Deno.open(file!);
  for await (const chunk of f.readable.pipeThrough(new DecompressionStream("gzip"))) {
    bytes += chunk.length;
  }
  console.log(JSON.stringify(figures(bytes)));
} else if (mode === "zlib") {
  let bytes = 0;
  for await (const chunk of createReadStream(file!).pipe(createGunzip({ chunkSize: 1 << 17 }))) {
    bytes += (chunk as Uint8Array).length;
  }
  console.log(JSON.stringify(figures(bytes)));
} else if (mode === "tic" || mode === "land") {
  const summary = await landTic(resolveConfig(Deno.cwd()), file!, { db });
  if (mode === "tic" && summary.status !== "complete") throw new Error(summary.error ?? "failed");
  console.log(JSON.stringify(
    mode === "tic"
      ? figures(summary.bytes)
      : { ...figures(summary.bytes), status: summary.status, warnings: summary.warnings },
  ));
} else if (mode === "leftover") {
  // `leftover <db>`: rows of indexes that are not complete.
  const wh = await openWarehouse(file!, { readOnly: true });
  const [r] = await wh.query(
    `WITH gone AS (SELECT index_id FROM raw.tic_indexes WHERE status <> 'complete')
     SELECT (SELECT count(*) FROM raw.tic_plan_files WHERE index_id IN (SELECT index_id FROM gone))
       + (SELECT count(*) FROM raw.tic_plans WHERE index_id IN (SELECT index_id FROM gone))
       + (SELECT count(*) FROM raw.tic_files WHERE index_id IN (SELECT index_id FROM gone)) AS n`,
  );
  wh.close();
  console.log(JSON.stringify({ rows: Number(r!.n) }));
} else {
  throw new Error(`unknown mode "${mode}"`);
}
