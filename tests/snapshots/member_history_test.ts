/**
 * The healthcare project's snapshot of members (`marts.member_history`)
 * on generated deliveries landed a month at a time, built after each: a
 * member whose address changed between two deliveries has two versions,
 * the first valid from the first delivery to the second, the second
 * current; the key is (client, member id), whose ids repeat across clients.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { generate } from "../../src/gen/generate.ts";
import { land } from "../../src/land/land.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { tempProject } from "../helpers.ts";
import { healthcare } from "../models/helpers.ts";
import { keysWithoutOneCurrent, sql } from "./helpers.ts";

Deno.test("member_history: an address changed between two deliveries is two versions, July's valid until August's delivery", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const data = join(p.root, "data");
  await generate(data, { seed: 42, scale: 1 });
  const august = join(data, "waymark", "Patient-membership-clientA-202308.xlsx");
  const later = join(p.root, "later", "Patient-membership-clientA-202308.xlsx");
  await Deno.mkdir(join(p.root, "later"));
  await Deno.rename(august, later);
  const build = async () => {
    const summary = await runProject("build", config, { db: p.db, select: ["+member_history"] });
    const result = summary.results.find((r) => r.id === "marts.member_history");
    assert.equal(result?.status, "success", JSON.stringify(summary.results));
    return result!.message!;
  };
  assert.ok((await land(config, [join(data, "waymark")], { db: p.db })).ok);
  assert.match(await build(), /^snapshot: first build, \d+ current rows$/);
  assert.ok((await land(config, [later], { db: p.db })).ok);
  assert.match(await build(), /^snapshot: \d+ new, [1-9]\d* changed, \d+ unchanged$/);
  // Built again with nothing new delivered: nothing added.
  assert.match(await build(), /^snapshot: 0 new, 0 changed, \d+ unchanged$/);

  // The members delivered once in July and once in August, each time with a readable end
  // date, at two addresses (as the staging model types the delivered rows).
  const moved = await sql(
    p.db,
    `select member_id from staging.stg_members_client_a where member_id is not null
     group by member_id
     having count(*) = 2 and count(distinct _file) = 2 and count(membership_end_date) = 2
       and count(distinct trim(address, ' \u00a0')) = 2
     order by 1`,
  );
  assert.ok(moved.length > 0, "the generated deliveries move no member");
  for (const { member_id } of moved) {
    const versions = await sql(
      p.db,
      `select address, strftime(dbt_valid_from, '%Y-%m-%d') as valid_from,
         strftime(dbt_valid_to, '%Y-%m-%d') as valid_to
       from marts.member_history where client = 'clientA' and member_id = '${member_id}'
       order by dbt_valid_from`,
    );
    assert.deepEqual(
      versions.map((v) => [v.valid_from, v.valid_to]),
      [["2023-07-01", "2023-08-01"], ["2023-08-01", null]],
      `member ${member_id}: ${JSON.stringify(versions)}`,
    );
    assert.notEqual(versions[0]!.address, versions[1]!.address);
  }
  assert.deepEqual(
    await keysWithoutOneCurrent(p.db, "marts.member_history", "client, member_id"),
    [],
  );
  // The current versions are the members of intermediate.int_members, the latest delivery.
  assert.deepEqual(
    await sql(
      p.db,
      `select count(*)::INTEGER as n from intermediate.int_members m
       join marts.member_history h using (client, member_id)
       where h.dbt_valid_to is null and h.address is not distinct from m.address
         and h.membership_end_date = m.membership_end_date`,
    ),
    await sql(p.db, "select count(*)::INTEGER as n from intermediate.int_members"),
  );
});
