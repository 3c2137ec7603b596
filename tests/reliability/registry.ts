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
 * {@linkcode defineCase} (see `kill.ts` for kill trials and `digest.ts` for
 * comparing warehouses), import it from `cases.ts`, and add
 * `<area>_test.ts` with `registerTests("<area>")`.
 *
 * @module
 */

/** The part of wharf a case exercises. */
export type Area = "land" | "build" | "enrich" | "tic" | "serve";

/** One reliability case. */
export interface ReliabilityCase {
  /** Says the behaviour: "an unclosed quote mid-file rejects its line only". */
  name: string;
  area: Area;
  /** The issue item it keeps fixed ("#14.2"), if any. */
  issue?: string;
  /** Runs only in `deno task bench reliability` (kill trials, millions of rows). */
  slow?: boolean;
  /**
   * Throws (an assertion) unless the outcome is exactly the expected one;
   * may return a note for the summary (what a kill trial hit, how long).
   */
  run(): Promise<string | void>;
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

/** Registers the fast cases of `area` as Deno tests. */
export function registerTests(area: Area): void {
  for (const c of registry) {
    if (c.area === area && !c.slow) Deno.test(caseTitle(c), async () => void await c.run());
  }
}
