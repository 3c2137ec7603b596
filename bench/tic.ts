/**
 * `deno task bench tic`: generates a synthetic Transparency-in-Coverage
 * index of at least 700 MB uncompressed in the real layout (one reporting
 * structure per line, signed URLs, the same files under many plans) and a
 * second one twice that size; then, in the same run and each in a fresh
 * process, measures gunzip alone (DecompressionStream, the baseline the
 * target names, and node:zlib, which wharf uses) and `wharf tic` end to end,
 * with peak RSS. Targets: ≥ 300 MB/s decompressed end to end, ≥ 40% of
 * gunzip alone, peak RSS ≤ 300 MB and flat between the two sizes.
 *
 * @module
 */
import { createGzip } from "node:zlib";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { runPhase } from "./phase.ts";

const TARGET_MB = Number(Deno.env.get("BENCH_TIC_MB") ?? 700);

/** Writes an index of about `mb` MB uncompressed; returns its exact size. */
async function writeIndex(path: string, mb: number): Promise<number> {
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

function phase(args: string[]): Promise<{ ms: number; bytes: number; peakRssMb: number }> {
  return runPhase("tic_worker.ts", args);
}

export default async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wharf_bench_tic_" });
  try {
    for (const mb of [TARGET_MB, TARGET_MB * 2]) {
      const file = join(dir, `index_${mb}.json.gz`);
      const t = performance.now();
      const size = await writeIndex(file, mb);
      const gz = (await Deno.stat(file)).size;
      console.log(
        `index: ${(size / 1e6).toFixed(0)} MB (${(gz / 1e6).toFixed(0)} MB gzipped), written in ${
          ((performance.now() - t) / 1000).toFixed(1)
        } s`,
      );
      const gunzip = await phase(["gunzip", file]);
      const zlib = await phase(["zlib", file]);
      const tic = await phase(["tic", file, join(dir, `tic_${mb}.duckdb`)]);
      const rate = (p: { ms: number; bytes: number }) => p.bytes / 1e6 / (p.ms / 1000);
      const [g, z, w] = [rate(gunzip), rate(zlib), rate(tic)];
      console.log(
        `  gunzip alone, DecompressionStream: ${g.toFixed(0)} MB/s, peak RSS ${
          gunzip.peakRssMb.toFixed(0)
        } MB`,
      );
      console.log(
        `  gunzip alone, node:zlib:           ${z.toFixed(0)} MB/s, peak RSS ${
          zlib.peakRssMb.toFixed(0)
        } MB`,
      );
      console.log(
        `  wharf tic end to end:              ${w.toFixed(0)} MB/s decompressed (${
          (100 * w / g).toFixed(0)
        }% of DecompressionStream, ${(100 * w / z).toFixed(0)}% of node:zlib), ${
          (tic.ms / 1000).toFixed(1)
        } s, peak RSS ${tic.peakRssMb.toFixed(0)} MB`,
      );
      await Deno.remove(file);
    }
    console.log(
      "targets: >= 300 MB/s, >= 40% of gunzip, peak RSS <= 300 MB and flat between sizes",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
