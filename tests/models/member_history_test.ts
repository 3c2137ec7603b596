/**
 * The healthcare project's member history (`marts.member_history`), a model
 * over the deliveries themselves: one version per change across a client's
 * deliveries in delivery order, valid from the delivery that brought it to
 * the one that changed it, whatever the landing and build order. The key is
 * (client, member id), whose ids repeat across clients.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { generate } from "../../src/gen/generate.ts";
import { land } from "../../src/land/land.ts";
import { REAL, type TempProject, tempProject } from "../helpers.ts";
import { keysWithoutOneCurrent, sql } from "../snapshots/helpers.ts";
import { buildOk, healthcare } from "./helpers.ts";

const JULY = ["clientA-202307", "clientB-202307"].map((d) =>
  join(REAL, "waymark", `Patient-membership-${d}.xlsx`)
);
const AUGUST = [join(REAL, "waymark", "Patient-membership-clientA-202308.xlsx")];

/** Lands each group of files in turn, building the history after each; returns the history. */
async function landAndBuild(p: TempProject, ...groups: string[][]) {
  const config = await healthcare(p);
  for (const files of groups) {
    assert.ok((await land(config, files, { db: p.db })).ok);
    await buildOk(config, { db: p.db, select: ["+marts.member_history"] });
  }
  return await sql(
    p.db,
    `select client, member_id, address, city, state, zip, membership_end_date, period,
       strftime(dbt_valid_from, '%Y-%m-%d') as valid_from,
       strftime(dbt_valid_to, '%Y-%m-%d') as valid_to
     from marts.member_history order by client, member_id, dbt_valid_from`,
  );
}

Deno.test("member_history on the real Waymark deliveries: both landed, one build, a move is two versions, July's until August's delivery", async () => {
  await using p = await tempProject();
  const history = await landAndBuild(p, [...JULY, ...AUGUST]);
  assert.deepEqual(
    history.filter((v) => v.member_id === "86603683").map((v) => [
      v.address,
      v.city,
      v.state,
      v.valid_from,
      v.valid_to,
    ]),
    [
      ["37 West Ryan Ave.", "Plattsburgh", "NY", "2023-07-01", "2023-08-01"],
      ["40 Turning Street", "Oklahoma City", "OK", "2023-08-01", null],
    ],
  );
  // A member delivered the same in both months is one version, current since July.
  const same = await sql(
    p.db,
    `select member_id from staging.stg_members_client_a group by member_id
     having count(distinct period) = 2
       and count(distinct (address, city, state, zip, membership_end_date)) = 1
     order by 1 limit 1`,
  );
  assert.equal(same.length, 1, "no member is delivered unchanged in both months");
  assert.deepEqual(
    history.filter((v) => v.member_id === same[0]!.member_id).map((
      v,
    ) => [v.valid_from, v.valid_to]),
    [["2023-07-01", null]],
  );
  // Contact fields judged as int_members judges them: state ZZ and ZIP 123TY are NULL.
  assert.deepEqual(
    history.filter((v) => v.member_id === "55556987").map((v) => [v.state, v.zip]).at(-1),
    [null, null],
  );
  assert.deepEqual(
    await keysWithoutOneCurrent(p.db, "marts.member_history", "client, member_id"),
    [],
  );
  // A member rejected by int_members (an end date of 2023-11-31) is in the history as delivered,
  // with the end date NULL, and in int_members__rejected with the text, not in marts.members.
  await buildOk(await healthcare(p), { db: p.db, select: ["+marts.members"] });
  assert.deepEqual(
    history.filter((v) => v.member_id === "71494390").map((v) => [
      v.client,
      v.membership_end_date,
      v.valid_to,
    ]),
    [["clientA", null, null]],
  );
  assert.deepEqual(
    await sql(
      p.db,
      `select membership_end_date_raw as raw,
         (select count(*)::int from marts.members where member_id = '71494390') as in_members
       from intermediate.int_members__rejected where member_id = '71494390'`,
    ),
    [{ raw: "2023-11-31", in_members: 0 }],
  );
});

Deno.test("member_history: a delivery at a time, built after each, or late, gives the history of both landed and built once", async () => {
  await using once = await tempProject();
  const expected = await landAndBuild(once, [...JULY, ...AUGUST]);
  await using monthly = await tempProject();
  assert.deepEqual(await landAndBuild(monthly, JULY, AUGUST), expected);
  // August landed and built before July (a late delivery): the same history.
  await using late = await tempProject();
  assert.deepEqual(await landAndBuild(late, AUGUST, JULY), expected);
  // Built again with nothing new: unchanged.
  assert.deepEqual(await landAndBuild(late), expected);
});

Deno.test("member_history on generated deliveries: every member moved between July and August has two versions", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const data = join(p.root, "data");
  await generate(data, { seed: 42, scale: 1 });
  assert.ok((await land(config, [join(data, "waymark")], { db: p.db })).ok);
  await buildOk(config, {
    db: p.db,
    select: ["+marts.member_history", "+intermediate.int_members"],
  });
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
