/**
 * The reliability suite's registry. Every case — a hostile input, a kill -9
 * trial, an abuse of the API — is one entry: its area, the issue item it
 * keeps fixed, whether it is slow, and a function that throws unless the
 * outcome is exactly the expected one. Fast cases run in `deno task test`
 * (each area's `<area>_test.ts` here registers them as Deno tests); every
 * case runs in `deno task bench reliability`, which prints a summary table
 * and exits 1 on a failure.
 *
 * To add cases for an area: write `tests/reliability/<area>_cases.ts` calling
 * {@linkcode defineCase} (see `kill.ts` for kill trials, `digest.ts` for
 * comparing warehouses and `serve_harness.ts` for a real `wharf serve`),
 * import it from `cases.ts`, and add `<area>_test.ts` with
 * `registerTests("<area>")`.
 *
 * @module
 */
import { caseSeed, replayHint, seededRandom, SUITE_SEED } from "./seed.ts";

/**
 * The part of wharf a case exercises: a command's corpus and kill trials
 * (land, build, enrich, tic), processes at once (concurrency), hostile
 * requests to a real server (api).
 */
export type Area = "land" | "build" | "enrich" | "tic" | "concurrency" | "api";

/** What a case gets to run with. */
export interface CaseContext {
  /** The case's seed (from `RELIABILITY_SEED` and its name). */
  seed: number;
  /** A generator seeded with {@linkcode CaseContext.seed}. */
  random(): number;
}

/** One reliability case. */
export interface ReliabilityCase {
  /** Says the behaviour: "an unclosed quote mid-file rejects its line only". */
  name: string;
  area: Area;
  /** The issue item it keeps fixed ("#14.2"), if any. */
  issue?: string;
  /** Runs only in `deno task bench reliability` (kill trials, millions of rows). */
  slow?: boolean;
  /** Draws from {@linkcode CaseContext.random}: its title shows the seed to replay it. */
  seeded?: boolean;
  /**
   * Throws (an assertion) unless the outcome is exactly the expected one;
   * may return a note for the summary (what a kill trial hit, how long).
   */
  run(ctx: CaseContext): Promise<string | void>;
}

const registry: ReliabilityCase[] = [];

/**
 * Adds a case to the suite.
 *
 * @throws {Error} when a case of the same area has the same name.
 */
export function defineCase(c: ReliabilityCase): void {
  if (registry.some((r) => r.area === c.area && r.name === c.name)) {
    throw new Error(`Duplicate reliability case "${c.area}: ${c.name}"`);
  }
  registry.push(c);
}

/** The cases defined so far, in definition order. */
export function allCases(): readonly ReliabilityCase[] {
  return registry;
}

/** The title a case runs under: `<area>: <name> (<issue>)`. */
export function caseTitle(c: ReliabilityCase): string {
  return `${c.area}: ${c.name}${c.issue ? ` (${c.issue})` : ""}`;
}

/** The context a case runs with under this process's seed. */
export function caseContext(c: ReliabilityCase): CaseContext {
  const seed = caseSeed(`${c.area}: ${c.name}`);
  return { seed, random: seededRandom(seed) };
}

/**
 * Runs a case; a failure of a seeded case says how to replay it.
 *
 * @throws what the case threw.
 */
export async function runCase(c: ReliabilityCase): Promise<string | void> {
  try {
    return await c.run(caseContext(c));
  } catch (err) {
    if (c.seeded && err instanceof Error) {
      const hint = `\n(${replayHint(caseTitle(c))})`;
      err.message += hint;
      if (err.stack) err.stack += hint;
    }
    throw err;
  }
}

/**
 * Registers the fast cases of `area` as Deno tests; a seeded case's test
 * name ends with the seed that replays it (`[RELIABILITY_SEED=…]`).
 */
export function registerTests(area: Area): void {
  for (const c of registry) {
    if (c.area !== area || c.slow) continue;
    const name = c.seeded ? `${caseTitle(c)} [RELIABILITY_SEED=${SUITE_SEED}]` : caseTitle(c);
    Deno.test(name, async () => void await runCase(c));
  }
}
