/**
 * Kill -9 trials: a command is killed at random moments and run again, and
 * the result must equal one clean run's, compared by content (for a
 * warehouse: {@linkcode warehouseDigest} of `digest.ts`). Any command that
 * writes a warehouse can be tried this way (land, build, enrich, tic).
 *
 * @module
 */
import assert from "node:assert/strict";
import { basename, dirname, join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { seededRandom } from "./seed.ts";

/** Options of {@linkcode killTrials}. */
export interface KillTrialOptions<D> {
  /** The command doing the work on the warehouse file `target` (stdout and stderr piped). */
  command(target: string): Deno.Command;
  /** What must be equal between the clean run and every killed-and-rerun one. */
  digest(target: string): Promise<D>;
  /** Folder for the warehouse files. */
  dir: string;
  /** Trials: each a fresh warehouse, kills at random moments, then a run to the end. */
  trials: number;
  /** Seed of the kill moments. */
  seed: number;
  /** Kills per trial, one after the other on the same warehouse, before the run to the end. Default 1. */
  kills?: number;
  /** Exit code of a complete run. Default 0. */
  code?: number;
  /** Makes the starting state of a run's warehouse (the clean run's and each trial's), e.g. a copy. */
  prepare?(target: string): Promise<void>;
  /** Checks after each rerun (beyond the digest), e.g. no work files left, the run log. */
  after?(target: string): Promise<void>;
  /**
   * What to add to the message when a rerun's result differs, read from the
   * clean run's and the rerun's warehouse (e.g. rows per batch and the
   * manifest), so that a rare failure says more than its digest.
   */
  explain?(clean: string, rerun: string): Promise<string>;
}

/** What the trials did. */
export interface KillTrialReport {
  /** Duration of the clean run, ms. */
  cleanMs: number;
  /** Kill moments, ms after the start. */
  points: number[];
  /** Kills that hit a running process (not one that had finished). */
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
 * Starts `cmd`, kills it with SIGKILL after `ms` unless it ended; says
 * whether the kill hit it, and how long the run took when it missed.
 */
async function killAt(cmd: Deno.Command, ms: number): Promise<{ hit: boolean; ranMs: number }> {
  const child = cmd.spawn();
  // Drained as it runs, so a chatty process never blocks on a full pipe.
  const drained = Promise.all(
    [child.stdout, child.stderr].map((s) => s.pipeTo(new WritableStream()).catch(() => {})),
  );
  let exited = false;
  const started = performance.now();
  let ranMs = Infinity;
  const status = child.status.then((s) => {
    exited = true;
    ranMs = performance.now() - started;
    return s;
  });
  await Promise.race([status, new Promise((r) => setTimeout(r, ms))]);
  let hit = !exited;
  if (hit) {
    try {
      child.kill("SIGKILL");
    } catch (e) {
      // It ended between the timer and the kill (its status not yet seen): a miss.
      if (!(e instanceof TypeError && /already terminated/.test(e.message))) throw e;
      hit = false;
    }
  }
  await status;
  await drained;
  return { hit, ranMs: hit ? Infinity : ranMs };
}

/**
 * Copies the warehouse file and DuckDB's files beside it (`.wal`, and the
 * `.wal.checkpoint` or recovery log a checkpoint under way leaves) as they
 * are to a new folder; returns the folder.
 */
async function keepKilled(target: string): Promise<string> {
  const kept = await Deno.makeTempDir({ prefix: "wharf_killed_" });
  const name = basename(target);
  for await (const e of Deno.readDir(dirname(target))) {
    if (e.isFile && (e.name === name || e.name.startsWith(`${name}.`))) {
      await Deno.copyFile(join(dirname(target), e.name), join(kept, e.name));
    }
  }
  return kept;
}

/** Starts `cmd`, kills it with SIGKILL after `ms` unless it ended; true when the kill hit it. */
export async function killAfter(cmd: Deno.Command, ms: number): Promise<boolean> {
  return (await killAt(cmd, ms)).hit;
}

/**
 * Runs the command once cleanly, then `trials` times killed (SIGKILL) at
 * random moments within the clean run's duration (plus a tenth, to catch
 * its very end) and run again to the end; every result must have the clean
 * run's digest, and at least one kill must have interrupted work in
 * progress (should every earlier one miss, the last trial's kill falls
 * within the first four fifths of the clean run, or of the shortest run a
 * kill missed, when the machine got faster meanwhile).
 *
 * @throws {AssertionError} when a result differs or no kill interrupted anything.
 */
export async function killTrials<D>(options: KillTrialOptions<D>): Promise<KillTrialReport> {
  const code = options.code ?? 0;
  const clean = join(options.dir, "clean.duckdb");
  await options.prepare?.(clean);
  const t0 = performance.now();
  await runToEnd(options.command(clean), code, "the clean run");
  const cleanMs = performance.now() - t0;
  const expected = await options.digest(clean);
  const random = seededRandom(options.seed);
  const report: KillTrialReport = { cleanMs, points: [], interrupted: 0 };
  const kills = options.kills ?? 1;
  // The shortest whole run a kill missed: runs may be faster than the clean one (less load).
  let shortestRun = Infinity;
  for (let i = 0; i < options.trials; i++) {
    const target = join(options.dir, `killed_${i}.duckdb`);
    await options.prepare?.(target);
    const points: number[] = [];
    for (let k = 0; k < kills; k++) {
      const last = i === options.trials - 1 && k === kills - 1 && report.interrupted === 0;
      // The last chance falls within the first four fifths of the shortest run seen.
      const span = Math.min(cleanMs, shortestRun);
      const point = Math.round(last ? (0.1 + random() * 0.7) * span : random() * cleanMs * 1.1);
      points.push(point);
      const { hit, ranMs } = await killAt(options.command(target), point);
      if (hit) report.interrupted++;
      shortestRun = Math.min(shortestRun, ranMs);
    }
    report.points.push(...points);
    const at = `killed at ${points.join(", ")} ms (seed ${options.seed}, trial ${i})`;
    // The warehouse as the kills left it, kept when the rerun's result is wrong.
    const killed = await keepKilled(target);
    await runToEnd(
      options.command(target),
      code,
      `the run after ${at} (the warehouse as the kills left it: ${killed})`,
    );
    const got = await options.digest(target);
    if (isDeepStrictEqual(got, expected)) {
      await Deno.remove(killed, { recursive: true });
    } else {
      const explained = await options.explain?.(clean, target);
      assert.deepEqual(
        got,
        expected,
        `${at}, then run again: not the clean run's result (the warehouse as the kills left it: ${killed})${
          explained ? `\n${explained}` : ""
        }`,
      );
    }
    await options.after?.(target);
  }
  assert.ok(
    report.interrupted > 0,
    `no kill interrupted a running process (clean run ${Math.round(cleanMs)} ms)`,
  );
  return report;
}

/** One line for a case's note: how many kills hit, when, and how long a clean run takes. */
export function killNote(what: string, report: KillTrialReport): string {
  return `${report.interrupted} of ${report.points.length} kills hit a running ${what} (at ${
    report.points.join(", ")
  } ms; a clean run takes ${Math.round(report.cleanMs)} ms)`;
}
