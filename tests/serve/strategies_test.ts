import assert from "node:assert/strict";
import { BUILTIN_STRATEGIES } from "../../src/serve/strategies/index.ts";
import { roundedMean } from "../../src/serve/strategies/avg.ts";
import { modeOf } from "../../src/serve/strategies/mode.ts";
import project from "../../wharf.config.ts";

const a = { oop_max: 500000, remaining_oop_max: 100000, copay: 2500 };
const b = { oop_max: 400000, remaining_oop_max: 300000, copay: 5000 };
const c = { oop_max: 400000, remaining_oop_max: 1000, copay: 400000 };

Deno.test("max and min work per field", () => {
  assert.deepEqual(BUILTIN_STRATEGIES.max!([a, b]), {
    oop_max: 500000,
    remaining_oop_max: 300000,
    copay: 5000,
  });
  assert.deepEqual(BUILTIN_STRATEGIES.min!([a, b]), {
    oop_max: 400000,
    remaining_oop_max: 100000,
    copay: 2500,
  });
});

Deno.test("avg rounds to the nearest integer, halves away from zero", () => {
  assert.equal(roundedMean([100, 101]), 101);
  assert.equal(roundedMean([100, 100, 101]), 100);
  assert.equal(roundedMean([1, 2]), 2);
  assert.equal(roundedMean([-1, -2]), -2);
  assert.deepEqual(BUILTIN_STRATEGIES.avg!([a, b]), {
    oop_max: 450000,
    remaining_oop_max: 200000,
    copay: 3750,
  });
});

Deno.test("mode takes the most frequent value per field; a tie goes to the smallest", () => {
  assert.equal(modeOf([3, 1, 3, 2]), 3);
  assert.equal(modeOf([5, 2, 9]), 2);
  assert.equal(modeOf([7, 7, 4, 4]), 4);
  assert.deepEqual(BUILTIN_STRATEGIES.mode!([a, b, c]), {
    oop_max: 400000,
    remaining_oop_max: 1000,
    copay: 2500,
  });
});

Deno.test("the built-in strategies work on whatever fields a project configures", () => {
  const prices = [{ price: 300, stock: 2 }, { price: 200, stock: 2 }, { price: 201, stock: 9 }];
  assert.deepEqual(BUILTIN_STRATEGIES.max!(prices), { price: 300, stock: 9 });
  assert.deepEqual(BUILTIN_STRATEGIES.min!(prices), { price: 200, stock: 2 });
  assert.deepEqual(BUILTIN_STRATEGIES.avg!(prices), { price: 234, stock: 4 });
  assert.deepEqual(BUILTIN_STRATEGIES.mode!(prices), { price: 200, stock: 2 });
  assert.equal("default" in BUILTIN_STRATEGIES, false, "default is the healthcare project's");
});

Deno.test("the healthcare project's default takes the largest oop_max and remaining_oop_max, and caps the largest copay at that remaining", () => {
  const benefitsDefault = project.strategies!.default!;
  assert.deepEqual(benefitsDefault([a, b]), {
    oop_max: 500000,
    remaining_oop_max: 300000,
    copay: 5000,
  });
  // c's copay (400,000) is above every remaining_oop_max: it is capped at the largest remaining.
  assert.deepEqual(benefitsDefault([a, c]), {
    oop_max: 500000,
    remaining_oop_max: 100000,
    copay: 100000,
  });
  assert.deepEqual(benefitsDefault([a]), a);
});
