/**
 * A counting semaphore: at most `size` holders at once, the others wait in
 * the order they asked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Slots } from "./slots.ts";
 * const slots = new Slots(1);
 * await slots.acquire();
 * let second = false;
 * const waiting = slots.acquire().then(() => (second = true));
 * await Promise.resolve();
 * assert.equal(second, false, "the one slot is held");
 * slots.release();
 * await waiting;
 * assert.equal(second, true);
 * ```
 *
 * @module
 */

/** At most `size` holders at once. */
export class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  /** Resolves when the caller holds a slot. */
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a slot back: to the longest waiter, if any. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}
