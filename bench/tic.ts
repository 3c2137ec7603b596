/**
 * `deno task bench tic`: `wharf tic` against the physical limits, measured
 * side by side in one run, each phase in a fresh process, on three shapes
 * of Transparency-in-Coverage index (gzipped, one reporting structure per
 * line, signed URLs):
 *
 * 1. The usual index, of `BENCH_TIC_MB` MB (700) and twice that: 4 plans
 *    and 61 file references per structure, 3,050 distinct files. Limit:
 *    node:zlib's gunzip alone. Targets: ≥ 60% of it, peak RSS ≤ 300 MB and
 *    flat (within 15%) between the two sizes.
 * 2. A plan-heavy index, of `BENCH_TIC_PLAN_STRUCTURES` structures
 *    (400,000, about 745 MB) × 8 plans and 3 references to 30 distinct
 *    files: a payer that lists every employer plan. Target: ≥ 20% of gunzip
 *    alone.
 * 3. An index where every reference is a file of its own, 1,000,000
 *    distinct files. Targets: ≥ 150 MB/s, peak RSS ≤ 350 MB.
 *
 * Every landing is checked (structures, plans, distinct files, links, and
 * the rows in `raw.tic_*`) before its time is reported. Each shape also
 * prints where the CPU time went (the scan on the main thread, gunzip in
 * its worker, DuckDB loading the rows) and, for the last two, DuckDB
 * writing the same rows alone, with nothing to read: the limit that
 * `wharf tic` cannot beat there, since DuckDB's insert (about 1 µs a row
 * with four text columns, on one thread) is most of the work.
 *
 * Profiled with `--cpu-prof` on the usual index, the scan's time goes to
 * looking up known files (hashing each location up to its query, then
 * comparing the bytes: ~45%), finding the ends of strings (~25%), matching
 * the layout of references (~15%), the rest to plans and staging rows;
 * `Uint8Array.prototype.indexOf` was measured slower here than the
 * four-bytes-at-a-time loops for the string lengths of an index (its call
 * costs ~50 ns). On the million distinct files (`--cpu-prof` and `perf`),
 * the main thread's time goes to the file registry (finding and adding
 * each new file: ~55%, mostly cache misses in its table) and staging rows
 * (~20%); DuckDB's to its CSV reader (~20%), compressing the three text
 * columns that differ on every row (FSST and dictionary analysis, ~30%)
 * and their statistics (~10%). Loading a row group per table per
 * transaction (not 10,000 rows logged and compressed again at every
 * checkpoint) halved DuckDB's part there; the rest is the bench's floor.
 * All three threads share two cores, so the end-to-end time follows their
 * CPU time added up.
 *
 * Measured again (issue #18, 2 cores at load average 5–7, so per-thread
 * CPU seconds, not wall time, decided): for 300 MB of the usual index the
 * main thread takes 0.8–1.0 s, the worker 0.45–0.55, DuckDB 0.4–0.6, and
 * about 0.2 s goes to other threads (V8's, file writes). Two costs were not
 * CPU: (1) the reader woke the gunzip worker (waiting on a full ring) at
 * every slot it read, and each `Atomics.notify` that woke it held the
 * reading thread 1–2 ms (the woken thread takes its core): 629 wake-ups,
 * 1.3 s of a 367 MB plan-heavy read; it now wakes it once per half ring
 * (150, 0.37 s). (2) The tail: the last partial row group of each table
 * (a usual index of 0.7 GB has about 50,000 plans left over) is loaded and
 * logged when reading ends and compressed by the checkpoint when the
 * warehouse closes, with nothing to overlap it: 0.35–0.45 s of 2.2–2.8 s
 * for 300 MB (DuckDB writes only whole row groups straight to its file,
 * and merges a partial row group with the next at a later checkpoint, so
 * committing it earlier moves the work rather than saving it).
 *
 * DuckDB's own cost per row, on one thread in 32 MB, staged files of a
 * row group each (CPU seconds, load average 5): 1.6 million plans of the
 * plan-heavy index take 2.4–2.9 s, of which its CSV reader 0.4; 1 million
 * distinct files 2.0–2.5 s. `perf` puts the rest in string statistics
 * (~11%), choosing and applying the compression (dictionary and FSST
 * analysis and compression, ~35%) and the row groups' appends. Other
 * settings for the load, measured and not taken: no dictionary
 * compression, 15% (plans) to 29% (files) less CPU but a 1.3–1.7 times
 * larger file; no FSST, 3–20% less and 3.3–3.7 times larger; uncompressed,
 * 27–45% less and 5–6 times larger; each column told its method
 * (`USING COMPRESSION`, a migration) 2–19% less at the same size, but the
 * right method depends on the payer's data. So with DuckDB as the writer
 * the million distinct files stay under 150 MB/s: storing their file
 * rows alone, uncompressed, costs DuckDB 1.4 s of CPU for 85 MB of index,
 * more than the target leaves for everything on two cores (0.57 s, 1.1 s
 * of CPU); the floor this bench prints says the same with compression.
 *
 * Then, as a reliability check, an index of 10 million links
 * (`BENCH_TIC_LINKS`) is landed, landed again (a duplicate), a truncated
 * copy of it after that (a failed index), and a small index: the rows of
 * the second and third must go in DuckDB's 64 MB, and the last must land.
 * `BENCH_TIC_RUNS` (3) runs of each timed phase, medians;
 * `BENCH_TIC_SHAPES` (`usual,plan,distinct,reliability`) picks the parts
 * to run.
 *
 * @module
 */
import { createGzip } from "node:zlib";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { runPhase } from "./phase.ts";
import type { Expected } from "./tic_worker.ts";

const TARGET_MB = Number(Deno.env.get("BENCH_TIC_MB") ?? 700);
const PLAN_STRUCTURES = Number(Deno.env.get("BENCH_TIC_PLAN_STRUCTURES") ?? 400_000);
const LINKS = Number(Deno.env.get("BENCH_TIC_LINKS") ?? 10_000_000);
/** Runs of each phase; the figures are medians (peak RSS: the highest). */
const RUNS = Number(Deno.env.get("BENCH_TIC_RUNS") ?? 3);

/** An index written: its size (decompressed) and what it must land as. */
interface Written extends Expected {
  bytes: number;
}

/** Writes a gzipped index from `lines` (one per structure) between `head` and `tail`. */
async function writeGzip(
  path: string,
  head: string,
  lines: (emit: (line: string) => Promise<void>) => Promise<void>,
  tail: string,
): Promise<number> {
  const gzip = createGzip({ level: 1 });
  const out = createWriteStream(path);
  gzip.pipe(out);
  let size = 0;
  const write = (s: string) => {
    size += s.length;
    return new Promise<void>((r) => gzip.write(s) ? r() : gzip.once("drain", () => r()));
  };
  await write(head);
  let first = true;
  await lines((line) => {
    const text = first ? line : `,\n${line}`;
    first = false;
    return write(text);
  });
  await write(tail);
  await new Promise<void>((r) => {
    out.on("finish", () => r());
    gzip.end();
  });
  return size;
}

const STATES = ["NY", "CA", "TX", "FL", "IL", "PA", "OH", "GA"];
const NETWORKS = ["PPO", "HMO", "EPO", "POS"];

/**
 * The usual index, of at least `mb` MB: 4 plans, 60 in-network files out
 * of 3,000 (on three hosts, signed anew each time) and an allowed-amounts
 * file out of 50 per structure.
 */
async function writeUsualIndex(path: string, mb: number): Promise<Written> {
  let structures = 0;
  const inNetwork = new Set<number>(), allowed = new Set<number>();
  const bytes = await writeGzip(
    path,
    '{"reporting_entity_name":"Synthetic Health","reporting_entity_type":"Health Insurance Issuer","reporting_structure":[\n',
    async (emit) => {
      for (let e = 0, size = 0; size < mb * 1e6; e++, structures++) {
        const plans = Array.from(
          { length: 4 },
          (_, p) =>
            `{"plan_name":"PLAN ${p} ${STATES[e % 8]} ${
              NETWORKS[p]
            } - EMPLOYER ${e} - SYNTHETIC","plan_id_type":"${e % 3 ? "EIN" : "ein"}","plan_id":"${
              String(100000000 + e)
            }","plan_market_type":"${e % 2 ? "GROUP" : "group"}"}`,
        );
        const files = Array.from({ length: 60 }, (_, f) => {
          const n = (e * 7 + f * 13) % 3000;
          inNetwork.add(n);
          const sig = ((e * 2654435761 + f) >>> 0).toString(36).repeat(12);
          return `{"description":"${STATES[n % 8]} ${
            NETWORKS[n % 4]
          } network ${n}","location":"https://mrf${n % 3}.example.com/2023-04/${STATES[n % 8]}_${
            NETWORKS[n % 4]
          }_${n}_in-network-rates.json.gz?Expires=1684418421&Signature=${sig}&Key-Pair-Id=K27TQMT39R1C8A"}`;
        });
        allowed.add(e % 50);
        const aa =
          `{"description":"OON","location":"https://mrf0.example.com/2023-04/allowed-amounts_${
            e % 50
          }.json.gz"}`;
        const line = `{"reporting_plans":[${plans.join(",")}],"in_network_files":[${
          files.join(",")
        }],${e % 2 ? `"allowed_amount_file":${aa}` : `"allowed_amount_files":[${aa}]`}}`;
        size += line.length + 2;
        await emit(line);
      }
    },
    '\n],"version":"1.0.0"}\n',
  );
  return {
    bytes,
    structures,
    plans: 4 * structures,
    files: inNetwork.size + allowed.size,
    links: 61 * structures,
  };
}

const PRODUCTS = [
  "CHOICE PLUS PPO",
  "CHOICE PLUS HDHP",
  "NAVIGATE HMO",
  "CORE EPO",
  "OPTIONS PPO",
  "SELECT PLUS POS",
  "DENTAL PPO",
  "CHARTER HMO",
];

/**
 * A plan-heavy index: `structures` employers, each a structure of its 8
 * plans and 2 in-network files out of 20 (signed once per file, as a payer
 * signs its URLs per index) and an allowed-amounts file out of 10.
 */
async function writePlanHeavyIndex(path: string, structures: number): Promise<Written> {
  let links = 0;
  const inNetwork = new Set<number>(), allowed = new Set<number>();
  const file = (f: number) =>
    `{"description":"in-network file","location":"https://mrf.example.com/2023-04/2023-04-01_${
      STATES[f % 8]
    }_${
      PRODUCTS[f % 8]!.replaceAll(" ", "-")
    }_in-network-rates_${f}.json.gz?Expires=1684418421&Signature=${
      ((f * 2654435761) >>> 0).toString(36).repeat(10)
    }&Key-Pair-Id=K27TQMT39R1C8A"}`;
  const bytes = await writeGzip(
    path,
    '{"reporting_entity_name":"Synthetic Administrator","reporting_entity_type":"Third-Party Administrator","reporting_structure":[\n',
    async (emit) => {
      for (let e = 0; e < structures; e++) {
        const ein = String(100000000 + ((e * 7919) % 900000000));
        const plans = PRODUCTS.map((p) =>
          `{"plan_name":"EMPLOYER ${e} HOLDINGS LLC - ${p} - OPEN ACCESS","plan_id_type":"EIN","plan_id":"${ein}","plan_market_type":"group"}`
        );
        const ids = [...new Set([e % 20, (e * 3 + 7) % 20])];
        for (const f of ids) inNetwork.add(f);
        allowed.add(e % 10);
        links += ids.length + 1;
        await emit(
          `{"reporting_plans":[${plans.join(",")}],"in_network_files":[${
            ids.map(file).join(",")
          }],"allowed_amount_file":{"description":"allowed amounts","location":"https://mrf.example.com/2023-04/2023-04-01_allowed-amounts_${
            e % 10
          }.json.gz"}}`,
        );
      }
    },
    '\n],"version":"1.0.0"}\n',
  );
  return { bytes, structures, plans: 8 * structures, files: inNetwork.size + allowed.size, links };
}

/**
 * An index of `structures` structures of `files` references each, every
 * reference a file of its own (memory then grows with distinct files,
 * which the registry must remember); with `shared`, every structure links
 * the same `files` files instead (many links, few files).
 */
async function writeDistinctIndex(
  path: string,
  structures: number,
  files: number,
  shared = false,
): Promise<Written> {
  const bytes = await writeGzip(
    path,
    '{"reporting_structure":[',
    async (emit) => {
      for (let e = 0; e < structures; e++) {
        const refs = Array.from(
          { length: files },
          (_, f) =>
            `{"description":"d","location":"https://h.example.com/d${
              shared ? 0 : e
            }/file_${f}.json.gz?sig=${e}"}`,
        );
        await emit(
          `{"reporting_plans":[{"plan_name":"P${e}","plan_id":"${e}","plan_id_type":"EIN","plan_market_type":"GROUP"}],"in_network_files":[${
            refs.join(",")
          }]}`,
        );
      }
    },
    "]}",
  );
  return {
    bytes,
    structures,
    plans: structures,
    files: shared ? files : structures * files,
    links: structures * files,
  };
}

interface Phase {
  ms: number;
  bytes: number;
  peakRssMb: number;
}

/** A `tic` phase: where its CPU time went, seconds. */
interface TicPhase extends Phase {
  cpu: { main: number; duckdb: number; worker: number; other: number };
}

/** A `land` phase: a landing whatever its outcome. */
interface Landing extends Phase {
  status: string;
  warnings: string[];
}

interface Figures {
  /** Median MB/s decompressed. */
  rate: number;
  /** Lowest and highest MB/s. */
  range: [number, number];
  seconds: number;
  peakRssMb: number;
}

function figures(runs: Phase[], bytes = runs[0]!.bytes): Figures {
  const rates = runs.map((p) => bytes / 1e6 / (p.ms / 1000)).sort((a, b) => a - b);
  const rate = rates[Math.floor(rates.length / 2)]!;
  return {
    rate,
    range: [rates[0]!, rates.at(-1)!],
    seconds: bytes / 1e6 / rate,
    peakRssMb: Math.max(...runs.map((p) => p.peakRssMb)),
  };
}

function show(name: string, f: Figures, extra = ""): string {
  return `  ${name.padEnd(34)} ${f.rate.toFixed(0)} MB/s (${f.range[0].toFixed(0)}–${
    f.range[1].toFixed(0)
  })${extra}, ${f.seconds.toFixed(1)} s, peak RSS ${f.peakRssMb.toFixed(0)} MB`;
}

/** Where the CPU time of the median `tic` run went. */
function where(runs: TicPhase[]): string {
  const median = [...runs].sort((a, b) => a.ms - b.ms)[Math.floor(runs.length / 2)]!;
  const { main, duckdb, worker, other } = median.cpu;
  return `  where the CPU time went (s): scan and staging on the main thread ${
    main.toFixed(2)
  }, gunzip and hashing in the worker ${worker.toFixed(2)}, DuckDB loading the rows ${
    duckdb.toFixed(2)
  }, other ${other.toFixed(2)}`;
}

/** Times gunzip alone and `wharf tic` on `file`, interleaved; prints and returns both. */
async function measure(
  dir: string,
  name: string,
  file: string,
  want: Written,
  floor: boolean,
): Promise<{ tic: Figures; zlib: Figures; floorSeconds?: number }> {
  const gz = (await Deno.stat(file)).size;
  console.log(
    `${name}: ${(want.bytes / 1e6).toFixed(0)} MB (${
      (gz / 1e6).toFixed(0)
    } MB gzipped), ${want.structures} structures, ${want.plans} plans, ${want.files} distinct files, ${want.links} links; ${RUNS} runs of each phase, interleaved, medians (lowest–highest)`,
  );
  const zlib: Phase[] = [], tic: TicPhase[] = [];
  let floorSeconds: number | undefined;
  for (let r = 0; r < RUNS; r++) {
    zlib.push(await runPhase<Phase>("tic_worker.ts", ["zlib", file]));
    const db = join(dir, `tic_${r}.duckdb`);
    const { structures, plans, files, links } = want;
    const expected = JSON.stringify({ structures, plans, files, links } satisfies Expected);
    tic.push(await runPhase<TicPhase>("tic_worker.ts", ["tic", file, db, expected]));
    if (floor && r === RUNS - 1) {
      floorSeconds = (await runPhase<Phase>("tic_worker.ts", ["floor", db])).ms / 1000;
    }
    await Deno.remove(db);
  }
  const [z, t] = [figures(zlib), figures(tic)];
  console.log(show("gunzip alone, node:zlib:", z));
  console.log(
    show(
      "wharf tic end to end (rows checked):",
      t,
      ` = ${(100 * t.rate / z.rate).toFixed(0)}% of gunzip alone`,
    ),
  );
  console.log(where(tic));
  if (floorSeconds !== undefined) {
    console.log(
      `  DuckDB alone writing the same rows (one thread, 32 MB): ${
        floorSeconds.toFixed(1)
      } s, i.e. at most ${(want.bytes / 1e6 / floorSeconds).toFixed(0)} MB/s of index = ${
        (100 * want.bytes / 1e6 / floorSeconds / z.rate).toFixed(0)
      }% of gunzip alone`,
    );
  }
  return { tic: t, zlib: z, floorSeconds };
}

/**
 * Lands an index of {@linkcode LINKS} links (500 per structure, to 500
 * files) into a fresh warehouse, then again (a duplicate whose rows are
 * removed), then a truncated copy (a failed index whose rows are removed),
 * then a small index, each in its own process; prints each outcome, time
 * and peak RSS, and whether the warehouse ended as it must.
 */
async function reliability(dir: string): Promise<boolean> {
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
  return ok;
}

/** The parts of the bench, in the order they run ({@linkcode SHAPES} selects). */
const PARTS = ["usual", "plan", "distinct", "reliability"] as const;
/**
 * `BENCH_TIC_SHAPES`: the parts to run, comma-separated (default all), e.g.
 * `distinct` for the million distinct files alone.
 */
const SHAPES = (Deno.env.get("BENCH_TIC_SHAPES") ?? PARTS.join(",")).split(",").map((s) =>
  s.trim()
);
for (const s of SHAPES) {
  if (!(PARTS as readonly string[]).includes(s)) {
    throw new Error(`BENCH_TIC_SHAPES: unknown part "${s}" (the parts: ${PARTS.join(", ")})`);
  }
}

export default async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wharf_bench_tic_" });
  try {
    /** Writes an index with `write`, measures it and removes it. */
    const shape = async (
      name: string,
      write: (path: string) => Promise<Written>,
      floor: boolean,
    ) => {
      const file = join(dir, "index.json.gz");
      const result = await measure(dir, name, file, await write(file), floor);
      await Deno.remove(file);
      return result;
    };
    const runs = (part: (typeof PARTS)[number]) => SHAPES.includes(part);
    const usual = runs("usual")
      ? [
        await shape("usual index", (f) => writeUsualIndex(f, TARGET_MB), false),
        await shape("usual index", (f) => writeUsualIndex(f, 2 * TARGET_MB), false),
      ]
      : undefined;
    const planned = runs("plan")
      ? await shape("plan-heavy index", (f) => writePlanHeavyIndex(f, PLAN_STRUCTURES), true)
      : undefined;
    const distinct = runs("distinct")
      ? await shape(
        "every reference a file of its own",
        (f) => writeDistinctIndex(f, 200, 5000),
        true,
      )
      : undefined;
    const reliable = runs("reliability") ? await reliability(dir) : undefined;

    const met = (ok: boolean) => (ok ? "met" : "NOT met");
    const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
    const lines: string[] = [];
    if (usual) {
      const [small, large] = usual as [(typeof usual)[0], (typeof usual)[0]];
      const ratio = Math.min(small.tic.rate / small.zlib.rate, large.tic.rate / large.zlib.rate);
      const peak = Math.max(small.tic.peakRssMb, large.tic.peakRssMb);
      const growth = large.tic.peakRssMb / small.tic.peakRssMb;
      const slowest = Math.min(small.tic.rate, large.tic.rate);
      lines.push(
        `  usual index, >= 60% of gunzip alone:    ${met(ratio >= 0.6)} (${pct(ratio)}, ${
          slowest.toFixed(0)
        } MB/s; first target >= 300 MB/s: ${met(slowest >= 300)})`,
        `  usual index, peak RSS <= 300 MB:        ${met(peak <= 300)} (${peak.toFixed(0)} MB)`,
        `  usual index, flat (within 15%):         ${met(growth <= 1.15)} (x${
          growth.toFixed(2)
        } for x2 data)`,
      );
    }
    if (planned) {
      const planRatio = planned.tic.rate / planned.zlib.rate;
      lines.push(
        `  plan-heavy, >= 20% of gunzip alone:     ${met(planRatio >= 0.2)} (${pct(planRatio)}, ${
          planned.tic.rate.toFixed(0)
        } MB/s)`,
      );
    }
    if (distinct) {
      lines.push(
        `  1,000,000 distinct files, >= 150 MB/s:  ${met(distinct.tic.rate >= 150)} (${
          distinct.tic.rate.toFixed(0)
        } MB/s)`,
        `  1,000,000 distinct files, RSS <= 350 MB: ${met(distinct.tic.peakRssMb <= 350)} (${
          distinct.tic.peakRssMb.toFixed(0)
        } MB)`,
      );
    }
    if (reliable !== undefined) {
      lines.push(`  reliability:                            ${met(reliable)}`);
    }
    console.log(`targets:\n${lines.join("\n")}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
