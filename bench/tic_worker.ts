/**
 * One measured phase of `deno task bench tic`, in its own process so its
 * peak RSS is its own:
 *
 * - `zlib <file>`: node:zlib's gunzip alone, counting bytes (the limit).
 * - `tic <file> <db> <expected>`: wharf tic, which must complete and land
 *   exactly the expected rows (`expected`: JSON of {@linkcode Expected});
 *   checked after the clock stops, before anything is reported. Also
 *   prints where the CPU time went, per thread.
 * - `floor <db>`: DuckDB alone writing the rows `tic` landed in `<db>`
 *   into a fresh database, on one thread in 32 MB as wharf tic gives it
 *   (what storing them costs, whoever produces them).
 * - `land <file> <db>`: wharf tic whatever the outcome (its `status` and
 *   `warnings`); `leftover <db>`: the rows of indexes that are not complete.
 *
 * Prints one JSON line: `{"ms", "bytes", "peakRssMb", …}`.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { resolveConfig } from "../src/config.ts";
import { peakRssMb } from "./phase.ts";
import { landTic } from "../src/tic/land_tic.ts";
import { openWarehouse } from "../src/engine/db/warehouse.ts";
import { quoteLiteral } from "../src/engine/db/sql.ts";

/** What an index must land as: its structures, plans, distinct files and links. */
export interface Expected {
  structures: number;
  plans: number;
  files: number;
  links: number;
}

/** CPU seconds of this process: all threads, and per live thread name. */
function cpuSeconds(): { total: number; threads: Record<string, number> } {
  const ticks = (stat: string) => {
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  };
  const threads: Record<string, number> = {};
  for (const t of Deno.readDirSync("/proc/self/task")) {
    try {
      const name = t.name === String(Deno.pid)
        ? "main"
        : Deno.readTextFileSync(`/proc/self/task/${t.name}/comm`).trim();
      threads[name] = (threads[name] ?? 0) +
        ticks(Deno.readTextFileSync(`/proc/self/task/${t.name}/stat`));
    } catch { /* the thread ended meanwhile */ }
  }
  return { total: ticks(Deno.readTextFileSync("/proc/self/stat")), threads };
}

const [mode, file, db, expected] = Deno.args;
const start = performance.now();
const figures = (bytes: number) => ({
  ms: performance.now() - start,
  bytes,
  peakRssMb: peakRssMb(),
});
if (mode === "zlib") {
  let bytes = 0;
  for await (const chunk of createReadStream(file!).pipe(createGunzip({ chunkSize: 1 << 17 }))) {
    bytes += (chunk as Uint8Array).length;
  }
  console.log(JSON.stringify(figures(bytes)));
} else if (mode === "tic") {
  const cpu0 = cpuSeconds();
  const summary = await landTic(resolveConfig(Deno.cwd()), file!, { db });
  const result = figures(summary.bytes);
  const cpu1 = cpuSeconds();
  if (summary.status !== "complete") throw new Error(summary.error ?? "failed");
  await check(db!, summary, JSON.parse(expected!) as Expected);
  // DuckDB runs on the runtime's blocking threads; the gunzip worker has
  // ended by now, so it is what the live threads do not account for.
  const used = (name: string) => (cpu1.threads[name] ?? 0) - (cpu0.threads[name] ?? 0);
  const main = used("main");
  const duckdb = used("tokio-runtime-w");
  const live = Object.keys(cpu1.threads).reduce((n, t) => n + used(t), 0);
  console.log(JSON.stringify({
    ...result,
    cpu: { main, duckdb, worker: cpu1.total - cpu0.total - live, other: live - main - duckdb },
  }));
} else if (mode === "floor") {
  const copy = `${file}.floor.duckdb`;
  const wh = await openWarehouse(copy, { memoryLimit: "32MB", threads: 1 });
  await wh.exec(`ATTACH ${quoteLiteral(file!)} AS landed (READ_ONLY)`);
  const t = performance.now();
  for (const table of ["tic_plans", "tic_files", "tic_plan_files"]) {
    await wh.exec(`CREATE TABLE ${table} AS SELECT * FROM landed.raw.${table}`);
  }
  await wh.exec("DETACH landed");
  wh.close();
  console.log(JSON.stringify({ ms: performance.now() - t, bytes: 0, peakRssMb: peakRssMb() }));
  await Deno.remove(copy);
} else if (mode === "land") {
  const summary = await landTic(resolveConfig(Deno.cwd()), file!, { db });
  console.log(JSON.stringify({
    ...figures(summary.bytes),
    status: summary.status,
    warnings: summary.warnings,
  }));
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

/** Throws unless the summary and the landed tables hold exactly what the index holds. */
async function check(
  path: string,
  summary: { elements: number; plans: number; files: number; links: number },
  want: Expected,
): Promise<void> {
  const wh = await openWarehouse(path, { readOnly: true });
  const [r] = await wh.query(
    `SELECT (SELECT count(*) FROM raw.tic_plans)::DOUBLE AS plans,
       (SELECT count(DISTINCT structure_id) FROM raw.tic_plans)::DOUBLE AS planned,
       (SELECT count(*) FROM raw.tic_files)::DOUBLE AS files,
       (SELECT count(DISTINCT url_key || kind) FROM raw.tic_files)::DOUBLE AS keys,
       (SELECT count(*) FROM raw.tic_plan_files)::DOUBLE AS links,
       (SELECT count(*) FROM raw.tic_plan_files l ANTI JOIN raw.tic_files f USING (file_id))::DOUBLE AS dangling,
       (SELECT count(*) FROM raw.tic_plans WHERE plan_name IS NULL OR plan_id IS NULL)::DOUBLE AS blank`,
  );
  wh.close();
  const got = {
    structures: summary.elements,
    plans: summary.plans,
    files: summary.files,
    links: summary.links,
    planRows: r!.plans,
    structuresWithPlans: r!.planned,
    fileRows: r!.files,
    distinctKeys: r!.keys,
    linkRows: r!.links,
    danglingLinks: r!.dangling,
    blankPlans: r!.blank,
  };
  const right = {
    ...want,
    planRows: want.plans,
    structuresWithPlans: want.structures,
    fileRows: want.files,
    distinctKeys: want.files,
    linkRows: want.links,
    danglingLinks: 0,
    blankPlans: 0,
  };
  if (JSON.stringify(got) !== JSON.stringify(right)) {
    throw new Error(
      `wharf tic landed the wrong rows: ${JSON.stringify(got)}, expected ${JSON.stringify(right)}`,
    );
  }
}
