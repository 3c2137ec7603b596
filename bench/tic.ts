/**
 * `deno task bench tic`: generates a synthetic Transparency-in-Coverage
 * index of at least 700 MB uncompressed in the real layout (one reporting
 * structure per line, signed URLs, the same files under many plans) and a
 * second one twice that size; then, in the same run and each in a fresh
 * process, measures gunzip alone (DecompressionStream, the baseline the
 * target names, and node:zlib, which wharf uses) and `wharf tic` end to end,
 * with peak RSS. Targets: ≥ 300 MB/s decompressed end to end, ≥ 40% of
 * gunzip alone, peak RSS ≤ 300 MB and flat between the two sizes. Then, as
 * a reliability check, an index of 10 million links (`BENCH_TIC_LINKS`) is
 * landed, landed again (a duplicate), a truncated copy of it after that (a
 * failed index), and a small index: the rows of the second and third must
 * go in DuckDB's 64 MB, and the last must land (a 1.2 GB index with 7.9
 * million rows landed twice once left the warehouse stuck for good).
 *
 * @module
 */
import { createGzip } from "node:zlib";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { runPhase } from "./phase.ts";

const TARGET_MB = Number(Deno.env.get("BENCH_TIC_MB") ?? 700);

/** Writes an index of about `mb` MB uncompressed; returns its exact size. */
export async function writeIndex(path: string, mb: number): Promise<number> {
  const gzip = createGzip({ level: 1 });
  const out = createWriteStream(path);
  gzip.pipe(out);
  const write = (s: string) =>
    new Promise<void>((r) => gzip.write(s) ? r() : gzip.once("drain", () => r()));
  let size = 0;
  const emit = async (s: string) => {
    size += s.length;
    await write(s);
  };
  await emit(
    '{"reporting_entity_name":"Synthetic Health","reporting_entity_type":"Health Insurance Issuer","reporting_structure":[\n',
  );
  const states = ["NY", "CA", "TX", "FL", "IL", "PA", "OH", "GA"];
  const networks = ["PPO", "HMO", "EPO", "POS"];
  for (let e = 0; size < mb * 1e6; e++) {
    const plans = Array.from(
      { length: 4 },
      (_, p) =>
        `{"plan_name":"PLAN ${p} ${states[e % 8]} ${
          networks[p]
        } - EMPLOYER ${e} - SYNTHETIC","plan_id_type":"${e % 3 ? "EIN" : "ein"}","plan_id":"${
          String(100000000 + e)
        }","plan_market_type":"${e % 2 ? "GROUP" : "group"}"}`,
    );
    const files = Array.from({ length: 60 }, (_, f) => {
      const n = (e * 7 + f * 13) % 3000;
      const sig = ((e * 2654435761 + f) >>> 0).toString(36).repeat(12);
      return `{"description":"${states[n % 8]} ${
        networks[n % 4]
      } network ${n}","location":"https://mrf${n % 3}.example.com/2023-04/${states[n % 8]}_${
        networks[n % 4]
      }_${n}_in-network-rates.json.gz?Expires=1684418421&Signature=${sig}&Key-Pair-Id=K27TQMT39R1C8A"}`;
    });
    const allowed = e % 2
      ? `"allowed_amount_file":{"description":"OON","location":"https://mrf0.example.com/2023-04/allowed-amounts_${
        e % 50
      }.json.gz"}`
      : `"allowed_amount_files":{"description":"OON","location":"https://mrf0.example.com/2023-04/allowed-amounts_${
        e % 50
      }.json.gz"}`;
    await emit(
      `${e ? ",\n" : ""}{"reporting_plans":[${plans.join(",")}],"in_network_files":[${
        files.join(",")
      }],${allowed}}`,
    );
  }
  await emit('\n],"version":"1.0.0"}\n');
  await new Promise<void>((r) => {
    out.on("finish", () => r());
    gzip.end();
  });
  return size;
}

/**
 * Writes an index where every reference is a file of its own (`structures`
 * × `files` distinct files): memory then grows with distinct files, which
 * the registry must remember. With `shared`, every structure links the same
 * `files` files instead (many links, few files). Returns its size.
 */
async function writeDistinctIndex(
  path: string,
  structures: number,
  files: number,
  shared = false,
) {
  const gzip = createGzip({ level: 1 });
  const out = createWriteStream(path);
  gzip.pipe(out);
  let size = 0;
  const emit = (s: string) => {
    size += s.length;
    return new Promise<void>((r) => gzip.write(s) ? r() : gzip.once("drain", () => r()));
  };
  await emit('{"reporting_structure":[');
  for (let e = 0; e < structures; e++) {
    const refs = Array.from(
      { length: files },
      (_, f) =>
        `{"description":"d","location":"https://h.example.com/d${
          shared ? 0 : e
        }/file_${f}.json.gz?sig=${e}"}`,
    );
    await emit(
      `${
        e ? "," : ""
      }{"reporting_plans":[{"plan_name":"P${e}","plan_id":"${e}","plan_id_type":"EIN","plan_market_type":"GROUP"}],"in_network_files":[${
        refs.join(",")
      }]}\n`,
    );
  }
  await emit("]}");
  await new Promise<void>((r) => {
    out.on("finish", () => r());
    gzip.end();
  });
  return size;
}

interface Phase {
  ms: number;
  bytes: number;
  peakRssMb: number;
}

/** A `land` phase: a landing whatever its outcome. */
interface Landing extends Phase {
  status: string;
  warnings: string[];
}

const LINKS = Number(Deno.env.get("BENCH_TIC_LINKS") ?? 10_000_000);

/**
 * Lands an index of {@linkcode LINKS} links (500 per structure, to 500
 * files) into a fresh warehouse, then again (a duplicate whose rows are
 * removed), then a truncated copy (a failed index whose rows are removed),
 * then a small index, each in its own process; prints each outcome, time
 * and peak RSS, and whether the warehouse ended as it must.
 */
async function reliability(dir: string): Promise<void> {
  const db = join(dir, "reliability.duckdb");
  const file = join(dir, "dense.json.gz");
  const truncated = join(dir, "truncated.json.gz");
  await writeDistinctIndex(file, Math.ceil(LINKS / 500), 500, true);
  const size = (await Deno.stat(file)).size;
  {
    using from = await Deno.open(file);
    using to = await Deno.open(truncated, { write: true, create: true, truncate: true });
    const buf = new Uint8Array(1 << 20);
    for (let left = Math.floor(size * 0.8); left > 0;) {
      const n = await from.read(buf.subarray(0, Math.min(buf.length, left)));
      if (n === null) break;
      await to.write(buf.subarray(0, n));
      left -= n;
    }
  }
  const small = join(dir, "small.json.gz");
  await writeDistinctIndex(small, 10, 10);
  console.log(
    `reliability: an index of ${LINKS} links, the same again, a truncated copy, a small index`,
  );
  const steps: [string, string, string][] = [
    ["first landing", file, "complete"],
    ["the same again", file, "duplicate"],
    ["truncated after", truncated, "failed"],
    ["a small index", small, "complete"],
  ];
  let ok = true;
  for (const [what, input, expected] of steps) {
    const r = await runPhase<Landing>("tic_worker.ts", ["land", input, db]);
    const good = r.status === expected && r.warnings.length === 0;
    ok &&= good;
    console.log(
      `  ${what.padEnd(20)} ${r.status.padEnd(9)} ${(r.ms / 1000).toFixed(1)} s, peak RSS ${
        r.peakRssMb.toFixed(0)
      } MB${good ? "" : `  NOT as expected (${expected}): ${r.warnings.join("; ")}`}`,
    );
  }
  const left = await runPhase<{ rows: number }>("tic_worker.ts", ["leftover", db]);
  ok &&= left.rows === 0;
  console.log(
    `  rows of indexes that did not land, left: ${left.rows}; ${ok ? "met" : "NOT met"}`,
  );
  for (const f of [db, file, truncated, small]) await Deno.remove(f);
}

/** Runs of each phase; the figures are medians (peak RSS: the highest). */
const RUNS = Number(Deno.env.get("BENCH_TIC_RUNS") ?? 3);

interface Figures {
  /** Median MB/s decompressed. */
  rate: number;
  /** Lowest and highest MB/s. */
  range: [number, number];
  seconds: number;
  peakRssMb: number;
}

function figures(runs: Phase[]): Figures {
  const rates = runs.map((p) => p.bytes / 1e6 / (p.ms / 1000)).sort((a, b) => a - b);
  const rate = rates[Math.floor(rates.length / 2)]!;
  return {
    rate,
    range: [rates[0]!, rates.at(-1)!],
    seconds: runs[0]!.bytes / 1e6 / rate,
    peakRssMb: Math.max(...runs.map((p) => p.peakRssMb)),
  };
}

function show(name: string, f: Figures, extra = ""): string {
  return `  ${name.padEnd(36)} ${f.rate.toFixed(0)} MB/s (${f.range[0].toFixed(0)}–${
    f.range[1].toFixed(0)
  })${extra}, ${f.seconds.toFixed(1)} s, peak RSS ${f.peakRssMb.toFixed(0)} MB`;
}

export default async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wharf_bench_tic_" });
  const results: { mb: number; tic: Figures; gunzip: Figures }[] = [];
  try {
    for (const mb of [TARGET_MB, TARGET_MB * 2]) {
      const file = join(dir, `index_${mb}.json.gz`);
      const t = performance.now();
      const size = await writeIndex(file, mb);
      const gz = (await Deno.stat(file)).size;
      console.log(
        `index: ${(size / 1e6).toFixed(0)} MB (${(gz / 1e6).toFixed(0)} MB gzipped), written in ${
          ((performance.now() - t) / 1000).toFixed(1)
        } s; ${RUNS} runs of each phase, interleaved, medians (lowest–highest)`,
      );
      const runs: Record<"gunzip" | "zlib" | "tic", Phase[]> = { gunzip: [], zlib: [], tic: [] };
      for (let r = 0; r < RUNS; r++) {
        runs.gunzip.push(await runPhase<Phase>("tic_worker.ts", ["gunzip", file]));
        runs.zlib.push(await runPhase<Phase>("tic_worker.ts", ["zlib", file]));
        const db = join(dir, `tic_${mb}_${r}.duckdb`);
        runs.tic.push(await runPhase<Phase>("tic_worker.ts", ["tic", file, db]));
        await Deno.remove(db);
      }
      const [g, z, w] = [figures(runs.gunzip), figures(runs.zlib), figures(runs.tic)];
      console.log(show("gunzip alone, DecompressionStream:", g));
      console.log(show("gunzip alone, node:zlib:", z));
      console.log(
        show(
          "wharf tic end to end:",
          w,
          ` decompressed = ${(100 * w.rate / g.rate).toFixed(0)}% of DecompressionStream, ${
            (100 * w.rate / z.rate).toFixed(0)
          }% of node:zlib`,
        ),
      );
      results.push({ mb, tic: w, gunzip: g });
      await Deno.remove(file);
    }
    // Not a target: what many distinct files cost (the registry remembers each).
    const distinct = join(dir, "distinct.json.gz");
    const size = await writeDistinctIndex(distinct, 200, 5000);
    const one = await runPhase<Phase>("tic_worker.ts", [
      "tic",
      distinct,
      join(dir, "distinct.duckdb"),
    ]);
    console.log(
      `index with every reference a file of its own: ${
        (size / 1e6).toFixed(0)
      } MB, 1,000,000 distinct files, one run`,
    );
    console.log(
      `  wharf tic end to end:              ${
        (one.bytes / 1e6 / (one.ms / 1000)).toFixed(0)
      } MB/s, ${(one.ms / 1000).toFixed(1)} s, peak RSS ${one.peakRssMb.toFixed(0)} MB`,
    );
    await reliability(dir);
    const [small, large] = results as [(typeof results)[0], (typeof results)[0]];
    const met = (ok: boolean) => (ok ? "met" : "NOT met");
    const slowest = Math.min(small.tic.rate, large.tic.rate);
    const ratio = Math.min(small.tic.rate / small.gunzip.rate, large.tic.rate / large.gunzip.rate);
    const peak = Math.max(small.tic.peakRssMb, large.tic.peakRssMb);
    const growth = large.tic.peakRssMb / small.tic.peakRssMb;
    console.log(`targets:
  >= 300 MB/s end to end:            ${met(slowest >= 300)} (${slowest.toFixed(0)} MB/s)
  >= 40% of gunzip alone:            ${met(ratio >= 0.4)} (${(100 * ratio).toFixed(0)}%)
  peak RSS <= 300 MB:                ${met(peak <= 300)} (${peak.toFixed(0)} MB)
  flat between sizes (within 15%):   ${met(growth <= 1.15)} (x${growth.toFixed(2)} for x2 data)`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
