/**
 * Coalescing strategies: how several sources' benefit figures become one
 * answer. Each is a function of the non-empty list of answers; a new one is
 * registered by name (`strategies` in wharf.config.ts) without touching the
 * routes.
 *
 * @module
 */

/** Benefit figures in integer cents. */
export interface Benefits {
  oop_max: number;
  remaining_oop_max: number;
  copay: number;
}

/**
 * The largest figure a source may report: $1,000,000,000 in cents. Larger
 * (or fractional, or negative) values are that source's error, never an
 * answer; sums of this many sources' figures stay exact in a double.
 */
export const MAX_CENTS = 100_000_000_000;

/** Turns the answers of several sources (at least one) into one. */
export type Strategy = (answers: readonly Benefits[]) => Benefits;

const FIELDS = ["oop_max", "remaining_oop_max", "copay"] as const;

function perField(answers: readonly Benefits[], pick: (values: number[]) => number): Benefits {
  const out = {} as Benefits;
  for (const f of FIELDS) out[f] = pick(answers.map((a) => a[f]));
  return out;
}

/**
 * The most frequent value; a tie goes to the smallest of the tied values
 * (the conservative reading for money a member owes or has left).
 */
export function modeOf(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = values[0]!;
  let bestCount = 0;
  for (const [v, n] of counts) {
    if (n > bestCount || (n === bestCount && v < best)) {
      best = v;
      bestCount = n;
    }
  }
  return best;
}

/**
 * The mean rounded to the nearest cent, halves away from zero
 * (`Math.round` on the absolute value): 100.5 → 101, -100.5 → -101.
 */
export function averageCents(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sign(mean) * Math.round(Math.abs(mean));
}

/** The built-in strategies. */
export const BUILTIN_STRATEGIES: Readonly<Record<string, Strategy>> = {
  max: (a) => perField(a, (v) => Math.max(...v)),
  min: (a) => perField(a, (v) => Math.min(...v)),
  avg: (a) => perField(a, averageCents),
  mode: (a) => perField(a, modeOf),
  /**
   * The largest oop_max and remaining_oop_max any source reports; the copay
   * is the largest reported, but never above that remaining_oop_max.
   */
  default: (a) => {
    const oop = Math.max(...a.map((x) => x.oop_max));
    const remaining = Math.max(...a.map((x) => x.remaining_oop_max));
    return {
      oop_max: oop,
      remaining_oop_max: remaining,
      copay: Math.min(Math.max(...a.map((x) => x.copay)), remaining),
    };
  },
};
