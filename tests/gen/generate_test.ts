import assert from "node:assert/strict";
import { join } from "node:path";
import { generate } from "../../src/gen/generate.ts";
import { isValidNpi } from "../../src/enrich/npi_check.ts";
import { land } from "../../src/land/land.ts";
import { loadConfig } from "../../src/config.ts";
import { REPO, runCli, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

/** SHA-256 of every generated file, workbooks included. */
async function hashes(dir: string, files: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of files) {
    const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(join(dir, f)));
    out[f] = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  return out;
}

Deno.test("generate() writes the same bytes for a seed, workbooks included, and others for another", async () => {
  await using a = await tempProject();
  const p1 = await generate(join(a.root, "one"), { seed: 7 });
  // Workbooks carry times: the second run starts in another second.
  await new Promise((r) => setTimeout(r, 1100));
  const p2 = await generate(join(a.root, "two"), { seed: 7 });
  const p3 = await generate(join(a.root, "three"), { seed: 8 });
  assert.deepEqual(p1, p2);
  assert.ok(p1.files.some((f) => f.endsWith(".xlsx")));
  const one = await hashes(join(a.root, "one"), p1.files);
  assert.deepEqual(one, await hashes(join(a.root, "two"), p2.files));
  const three = await hashes(join(a.root, "three"), p3.files);
  for (const f of p1.files.filter((f) => !f.endsWith("planted.json"))) {
    assert.notEqual(one[f], three[f], f);
  }
});

Deno.test("generated deliveries land through the project's sources with the planted counts", async () => {
  await using p = await tempProject();
  const planted = await generate(join(p.root, "deliveries"), { seed: 42, scale: 0.5 });
  const config = { ...(await loadConfig(REPO)), root: p.root };
  const deliveries = join(p.root, "deliveries");
  const first = await land(
    config,
    ["visitpay", "waymark", "benefits", "npi"].map((d) => join(deliveries, d)),
    { db: p.db },
  );
  assert.ok(first.ok, JSON.stringify(first.outcomes.filter((o) => o.status !== "landed")));
  assert.ok(first.outcomes.every((o) => o.rejectedRows === 0));
  const late = await land(config, [join(deliveries, "visitpay_late")], { db: p.db });
  assert.deepEqual(late.outcomes.map((o) => o.status), ["landed"]);

  const count = async (table: string) =>
    Number((await query(p.db, `select count(*)::int as n from raw.${table}`))[0]!.n);
  const v = planted.visitpay;
  assert.equal(await count("visitpay_procedure"), v.procedures);
  assert.equal(await count("visitpay_visit"), v.visits + v.upserted_visits + v.late_stale_versions);
  assert.equal(await count("visitpay_transaction"), v.transactions);
  assert.equal(await count("membership_client_a"), planted.membership.client_a.rows);
  assert.equal(await count("membership_client_b"), planted.membership.client_b.rows);
  assert.equal(await count("claims_client_a"), planted.claims.client_a);
  assert.equal(await count("claims_client_b"), planted.claims.client_b);
  assert.equal(
    await count("benefits"),
    Object.values(planted.benefits.rows).reduce((a, b) => a + b, 0),
  );
  assert.equal(await count("npi_list"), planted.npi.lines);

  // Traps arrive as delivered: text, untouched.
  const b = planted.membership.client_b;
  const [traps] = await query(
    p.db,
    `select count(*) filter (where member_state in ('88', 'ZZ', 'XX'))::int as bad_state,
            count(*) filter (where member_state is null)::int as empty_state,
            count(*) filter (where gender = 'X')::int as gender_x,
            count(*) filter (where member_fullname like '%' || chr(160) || ' %')::int as nbsp
     from raw.membership_client_b`,
  );
  assert.deepEqual(traps, {
    bad_state: b.bad_state,
    empty_state: b.empty_state,
    gender_x: b.gender_x,
    nbsp: b.trailing_nbsp,
  });
  assert.deepEqual(
    await query(
      p.db,
      "select count(*) filter (where mem_id is null)::int as missing_id from raw.membership_client_b",
    ),
    [{ missing_id: b.missing_member_id }],
  );
  // A second hospital reuses the first one's ids; one amount has fractions of a cent.
  const [hospitals] = await query(
    p.db,
    `select (select count(distinct _hospital) from raw.visitpay_visit)::int as hospitals,
            (select count(*) from (select visit_identifier from raw.visitpay_visit
              group by 1 having count(distinct _hospital) = 2))::int as shared,
            (select count(*) from raw.visitpay_transaction where amount = '12.345')::int as sub_cent`,
  );
  assert.deepEqual(hospitals, {
    hospitals: v.hospitals.length,
    shared: v.shared_visit_ids,
    sub_cent: v.sub_cent_amounts,
  });
  const npis = (await query(p.db, "select npi from raw.npi_list")).map((r) => String(r.npi));
  assert.equal(new Set(npis).size, planted.npi.unique);
  assert.equal(new Set(npis.filter((n) => !isValidNpi(n))).size, planted.npi.invalid);
});

Deno.test("wharf gen prints what it planted, as JSON with --json", async () => {
  await using p = await tempProject();
  const r = await runCli(["--json", "gen", join(p.root, "out"), "--scale", "0.2", "--seed", "3"]);
  assert.equal(r.code, 0, r.stderr);
  const planted = JSON.parse(r.stdout);
  assert.deepEqual(planted, await generate(join(p.root, "again"), { scale: 0.2, seed: 3 }));
  const bad = await runCli(["gen", join(p.root, "x"), "--scale", "-1"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid --scale "-1"/);
});

Deno.test("generate() at a tiny scale still writes every delivery, each landing (a day of visits was once empty and crashed)", async () => {
  await using p = await tempProject();
  const deliveries = join(p.root, "deliveries");
  const planted = await generate(deliveries, { seed: 7, scale: 0.01 });
  assert.ok(planted.visitpay.visits > 0);
  const config = { ...(await loadConfig(REPO)), root: p.root };
  const landed = await land(
    config,
    ["visitpay", "visitpay_late", "waymark", "benefits", "npi"].map((d) => join(deliveries, d)),
    { db: p.db },
  );
  assert.ok(landed.ok, JSON.stringify(landed.outcomes.filter((o) => o.status !== "landed")));
});
