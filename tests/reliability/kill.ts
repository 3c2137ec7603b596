/**
 * Kill -9 trials: a command is killed at random moments and run again, and
 * the result must equal one clean run's, compared by content
 * ({@linkcode warehouseDigest}). Any command that writes a warehouse can be
 * tried this way (land, build, enrich, tic).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Digest } from "./digest.ts";

/** A small seeded random generator (mulberry32): the same seed, the same kill points. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of {@linkcode killTrials}. */
export interface KillTrialOptions {
  /** The command doing the work on the warehouse file `target` (stdout and stderr piped). */
  command(target: string): Deno.Command;
  /** What must be equal between the clean run and every killed-and-rerun one. */
  digest(target: string): Promise<Digest>;
  /** Folder for the warehouse files. */
  dir: string;
  /** Trials: each a fresh warehouse, a kill at a random moment, then a run to the end. */
  trials: number;
  /** Seed of the kill moments. */
  seed: number;
  /** Exit code of a complete run. Default 0. */
  code?: number;
  /** Checks after each rerun (beyond the digest), e.g. no work files left. */
  after?(target: string): Promise<void>;
}

/** What the trials did. */
export interface KillTrialReport {
  /** Duration of the clean run, ms. */
  cleanMs: number;
  /** Kill moments, ms after the start. */
  points: number[];
  /** Trials whose kill hit a running process (not one that had finished). */
  interrupted: number;
}

async function runToEnd(cmd: Deno.Command, code: number, what: string): Promise<void> {
  const out = await cmd.output();
  assert.equal(
    out.code,
    code,
    `${what} exited ${out.code}: ${new TextDecoder().decode(out.stderr).slice(0, 2000)}`,
  );
}

/**
 * Runs the command once cleanly, then `trials` times killed (SIGKILL) at a
 * random moment within the clean run's duration and run again to the end;
 * every result must have the clean run's digest, and at least one kill
 * must have interrupted work in progress.
 *
 * @throws {AssertionError} when a result differs or no kill interrupted anything.
 */
export async function killTrials(options: KillTrialOptions): Promise<KillTrialReport> {
  const code = options.code ?? 0;
  const clean = join(options.dir, "clean.duckdb");
  const t0 = performance.now();
  await runToEnd(options.command(clean), code, "the clean run");
  const cleanMs = performance.now() - t0;
  const expected = await options.digest(clean);
  const random = seededRandom(options.seed);
  const report: KillTrialReport = { cleanMs, points: [], interrupted: 0 };
  for (let i = 0; i < options.trials; i++) {
    const target = join(options.dir, `killed_${i}.duckdb`);
    const point = Math.round(random() * cleanMs * 1.1);
    report.points.push(point);
    const child = options.command(target).spawn();
    // Drained as it runs, so a chatty process never blocks on a full pipe.
    const drained = Promise.all(
      [child.stdout, child.stderr].map((s) => s.pipeTo(new WritableStream()).catch(() => {})),
    );
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    await new Promise((r) => setTimeout(r, point));
    if (!exited) {
      child.kill("SIGKILL");
      report.interrupted++;
    }
    await status;
    await drained;
    await runToEnd(options.command(target), code, `the run after a kill at ${point} ms`);
    assert.deepEqual(
      await options.digest(target),
      expected,
      `killed at ${point} ms, then run again: not the clean run's result`,
    );
    await options.after?.(target);
  }
  assert.ok(
    report.interrupted > 0,
    `no kill interrupted a running process (clean run ${Math.round(cleanMs)} ms)`,
  );
  return report;
}
