/**
 * `default`: the largest oop_max and remaining_oop_max any source reports;
 * the copay is the largest reported, but never above that remaining_oop_max.
 *
 * @module
 */
import type { Strategy } from "../strategies.ts";

/** The largest figures, the copay capped at the largest remaining_oop_max. */
export const capped: Strategy = (answers) => {
  const oop = Math.max(...answers.map((x) => x.oop_max));
  const remaining = Math.max(...answers.map((x) => x.remaining_oop_max));
  return {
    oop_max: oop,
    remaining_oop_max: remaining,
    copay: Math.min(Math.max(...answers.map((x) => x.copay)), remaining),
  };
};
