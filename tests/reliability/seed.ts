/**
 * The suite's randomness: one seed per process, printed, and replayed with
 * `RELIABILITY_SEED=<n>`. Each case draws from its own generator, made from
 * the seed and the case's name, so a case replays the same whether it runs
 * alone (`deno task bench reliability "<name>"`) or with the others.
 *
 * @module
 */

/** A small seeded generator (mulberry32): the same seed, the same numbers in [0, 1). */
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

function readSeed(): number {
  const given = Deno.env.get("RELIABILITY_SEED");
  if (given === undefined || given === "") {
    return crypto.getRandomValues(new Uint32Array(1))[0]! % 1_000_000_000;
  }
  const n = Number(given);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new Error(`Invalid RELIABILITY_SEED "${given}": expected a whole number, e.g. 14`);
  }
  return n;
}

/** This process's seed: `RELIABILITY_SEED`, or a random one. */
export const SUITE_SEED: number = readSeed();

/** The seed of the case named `name` under {@linkcode SUITE_SEED}. */
export function caseSeed(name: string): number {
  let h = SUITE_SEED ^ 0x9e3779b9;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** How to run a case again with the same randomness. */
export function replayHint(title: string): string {
  return `replay: RELIABILITY_SEED=${SUITE_SEED} deno task bench reliability ${
    JSON.stringify(title)
  }`;
}

/** `RELIABILITY_KILL_TRIALS`, or `fallback`: how many kill trials a slow case runs. */
export function killTrialCount(fallback: number): number {
  const given = Deno.env.get("RELIABILITY_KILL_TRIALS");
  if (given === undefined || given === "") return fallback;
  const n = Number(given);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new Error(`Invalid RELIABILITY_KILL_TRIALS "${given}": expected a whole number from 1`);
  }
  return n;
}
