/**
 * One measured phase of `deno task bench land`, in a process of its own so
 * its peak RSS is its own: `bare <file> <db>` (DuckDB alone) or
 * `land <file> <db> <project>` (wharf). Prints `{"ms", "peakRssMb", "rows"}`.
 *
 * @module
 */
import { openWarehouse } from "../src/engine/db/warehouse.ts";
import { resolveConfig } from "../src/config.ts";
import { peakRssMb } from "./phase.ts";
import { land } from "../src/land/land.ts";
import { quoteLiteral } from "../src/engine/db/sql.ts";

const [mode, file, db, project] = Deno.args;
const start = performance.now();
let rows = 0;
if (mode === "bare") {
  const wh = await openWarehouse(db!);
  rows = await wh.count(
    `CREATE TABLE bare AS SELECT * FROM read_csv(${
      quoteLiteral(file!)
    }, all_varchar = true, header = true, delim = '|')`,
  );
  wh.close();
} else {
  const config = resolveConfig(project!, {
    sources: [{
      name: "bench_claims",
      pattern: /^claims-(?<delivered_at>\d{8}_\d{6})\.txt$/,
      delimiter: "|",
    }],
  });
  const summary = await land(config, [file!], { db });
  const o = summary.outcomes[0]!;
  if (o.status !== "landed") throw new Error(`bench file did not land: ${o.message}`);
  rows = o.rows;
}
console.log(JSON.stringify({ ms: performance.now() - start, peakRssMb: peakRssMb(), rows }));
