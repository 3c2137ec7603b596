import assert from "node:assert/strict";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { loadLanded } from "../../src/serve/landed.ts";
import { tempProject } from "../helpers.ts";
import { HEALTHCARE } from "./fakes.ts";

Deno.test("landed figures that are not integer amounts within bounds are kept as that source's error", async () => {
  await using p = await tempProject();
  const wh = await openWarehouse(p.db);
  try {
    await wh.exec(`create schema marts; create table marts.member_benefits as
      select * from (values
        ('m1', 'payer_a', 500000::bigint, 100000::bigint, 2500::bigint, null::timestamptz),
        ('m1', 'payer_b', 1152921504606846976::bigint, 1::bigint, 1::bigint, null),
        ('m1', 'payer_c', 1::bigint, null, -5::bigint, null)
      ) as t(member_id, source, oop_max, remaining_oop_max, copay, as_of)`);
    // The figures only: no relation of rejected ones.
    const benefits = await loadLanded(wh, { ...HEALTHCARE.serve.coalesce!, rejected: undefined });
    const m1 = benefits.get("m1")!;
    assert.deepEqual(m1.map((b) => [b.source, b.error]), [
      ["payer_a", undefined],
      [
        "payer_b",
        "landed value out of range: oop_max 1152921504606846976 (expected integer amounts from 0 to 100000000000)",
      ],
      [
        "payer_c",
        "landed value out of range: remaining_oop_max NULL, copay -5 (expected integer amounts from 0 to 100000000000)",
      ],
    ]);
    assert.deepEqual(m1[0]!.values, { oop_max: 500000, remaining_oop_max: 100000, copay: 2500 });
  } finally {
    wh.close();
  }
});
