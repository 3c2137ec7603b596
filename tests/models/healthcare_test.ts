import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { generate, type Planted } from "../../src/gen/generate.ts";
import { land } from "../../src/land/land.ts";
import { runProject, type RunSummary } from "../../src/run/run_project.ts";
import { REPO, type TempProject, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

/** The repository's healthcare project, writing its target/ and cache into `p`. */
async function healthcare(p: TempProject) {
  const base = await loadConfig(REPO);
  return {
    ...base,
    paths: { ...base.paths, target: join(p.root, "target"), cache: join(p.root, "cache") },
  };
}

async function buildOnGenerated(p: TempProject): Promise<{ planted: Planted; build: RunSummary }> {
  const config = await healthcare(p);
  const data = join(p.root, "data");
  const planted = await generate(data, { seed: 42, scale: 1 });
  assert.ok(
    (await land(config, ["visitpay", "waymark", "benefits", "npi"].map((d) => join(data, d)), {
      db: p.db,
    })).ok,
  );
  assert.ok((await land(config, [join(data, "visitpay_late")], { db: p.db })).ok);
  const build = await runProject("build", config, { db: p.db });
  return { planted, build };
}

Deno.test("the healthcare models quarantine exactly the planted traps, per check", async () => {
  await using p = await tempProject();
  const { planted, build } = await buildOnGenerated(p);
  assert.ok(
    build.ok,
    JSON.stringify(build.results.filter((r) => r.status !== "success" && r.status !== "pass")),
  );
  const result = (id: string) => build.results.find((r) => r.id === id)!;
  for (
    const [client, model] of [["client_a", "staging.stg_members_client_a"], [
      "client_b",
      "staging.stg_members_client_b",
    ]] as const
  ) {
    const t = planted.membership[client];
    const r = result(model);
    assert.deepEqual(r.checks, {
      valid_member_id: 0,
      valid_state: t.bad_state + t.empty_state,
      valid_zip: t.bad_zip,
      valid_phone: t.bad_phone,
      valid_gender: t.gender_x,
      valid_date_of_birth: 0,
      date_of_birth_not_future: t.future_dob,
      valid_membership_end_date: t.impossible_date,
    }, model);
    // Traps that are normalized, not rejected: text dates, lost leading zeros, NBSP, commas.
    assert.equal(
      r.rejected,
      t.bad_state + t.empty_state + t.bad_zip + t.bad_phone + t.gender_x + t.future_dob +
        t.impossible_date,
    );
    assert.equal(
      (r.rows ?? 0) + (r.rejected ?? 0),
      t.rows,
      `${model}: input rows = kept + rejected`,
    );
  }
  assert.equal(
    result("staging.stg_claims_client_a").checks!.valid_received_date! +
      result("staging.stg_claims_client_b").checks!.valid_received_date!,
    planted.claims.impossible_dates,
  );
  assert.equal(
    result("intermediate.int_claims").checks!.known_member,
    planted.claims.unknown_members,
  );
  assert.deepEqual(result("intermediate.int_visitpay_transactions").checks, {
    known_visit: planted.visitpay.orphan_transactions,
    known_procedure: 0,
  });

  // The rejected rows keep what was delivered and why they failed.
  const [zip] = await query(
    p.db,
    "select zip_raw, _failed_checks, _file like '%clientB%' as from_b from staging.stg_members_client_b__rejected where list_contains(_failed_checks, 'valid_zip') limit 1",
  );
  assert.deepEqual([zip!.from_b, zip!._failed_checks], [true, ["valid_zip"]]);
  assert.doesNotMatch(String(zip!.zip_raw), /^\d{3,5}$/);
});

Deno.test("the healthcare models apply upserts, keep late files from winning, and flag balance mismatches", async () => {
  await using p = await tempProject();
  const { planted, build } = await buildOnGenerated(p);
  assert.ok(build.ok);
  const v = planted.visitpay;
  const [visits] = await query(
    p.db,
    "select (select count(*) from staging.stg_visitpay_visits)::int as delivered, (select count(*) from intermediate.int_visitpay_visits)::int as latest, (select count(*) filter (where balance_mismatch) from marts.visit_financials)::int as mismatches",
  );
  assert.deepEqual(visits, {
    delivered: v.visits + v.upserted_visits + v.late_stale_versions,
    latest: v.visits,
    mismatches: v.balance_mismatches,
  });
  // Latest per member: client A delivered twice (July with traps, August clean), client B once.
  const [members] = await query(
    p.db,
    "select count(*) filter (where client = 'clientA')::int as a, count(*) filter (where client = 'clientB')::int as b from marts.members",
  );
  const b = planted.membership.client_b;
  assert.deepEqual(members, {
    a: planted.membership.client_a.members,
    b: b.members -
      (b.bad_state + b.empty_state + b.bad_zip + b.bad_phone + b.gender_x + b.future_dob +
        b.impossible_date),
  });
  assert.deepEqual(
    await query(p.db, "select distinct latest_period from marts.members where client = 'clientA'"),
    [{ latest_period: "202308" }],
  );
  // Names trimmed of non-breaking spaces and in proper case.
  assert.deepEqual(
    await query(
      p.db,
      "select count(*)::int as n from marts.members where first_name like '%' || chr(160) || '%' or first_name <> proper_case(first_name)",
    ),
    [{ n: 0 }],
  );
});

Deno.test("member status follows as_of_date and claim categories follow the diagnosis seed", async () => {
  await using p = await tempProject();
  const { planted, build } = await buildOnGenerated(p);
  assert.ok(build.ok);
  const [status] = await query(
    p.db,
    "select count(*) filter (where status = 'active')::int as active, count(*) filter (where status = 'inactive')::int as inactive, count(*) filter (where (membership_end_date >= date '2023-09-01') <> (status = 'active'))::int as wrong from marts.members",
  );
  assert.equal(status!.wrong, 0);
  assert.ok(Number(status!.active) > 0 && Number(status!.inactive) > 0);
  const config = await healthcare(p);
  assert.ok(
    (await runProject("run", config, {
      db: p.db,
      select: ["marts.members"],
      vars: { as_of_date: "2000-01-01" },
    })).ok,
  );
  assert.deepEqual(await query(p.db, "select distinct status from marts.members"), [{
    status: "active",
  }]);
  assert.deepEqual(
    await query(
      p.db,
      "select diagnosis_code, diagnosis_category from intermediate.int_claims group by all order by 1",
    ),
    [
      { diagnosis_code: "E08", diagnosis_category: "chronic" },
      { diagnosis_code: "E66", diagnosis_category: "chronic" },
      { diagnosis_code: "F32", diagnosis_category: "behavioral" },
      { diagnosis_code: "F41", diagnosis_category: "behavioral" },
      { diagnosis_code: "I10", diagnosis_category: "chronic" },
      { diagnosis_code: "J06", diagnosis_category: "other" },
      { diagnosis_code: "J45", diagnosis_category: "chronic" },
      { diagnosis_code: "S93", diagnosis_category: "other" },
    ],
  );
  const [claims] = await query(
    p.db,
    "select (select count(*) from intermediate.int_claims)::int as claims, (select sum(claims) from marts.member_claims)::int as counted, (select count(*) from marts.member_claims where diagnosis_category = 'chronic' and chronic_claims = 0)::int as wrong",
  );
  assert.equal(claims!.claims, claims!.counted);
  assert.equal(claims!.wrong, 0);
  const [benefits] = await query(
    p.db,
    "select count(*)::int as n, count(distinct source)::int as sources from marts.member_benefits",
  );
  assert.deepEqual(benefits, {
    n: Object.values(planted.benefits.rows).reduce((a, b) => a + b, 0),
    sources: 3,
  });
});

Deno.test("wharf demo builds from a fresh folder, and a second run lands nothing new", async () => {
  await using p = await tempProject();
  const { runCli } = await import("../helpers.ts");
  const args = [
    "--project",
    REPO,
    "--db",
    p.db,
    "demo",
    "--data",
    join(p.root, "demo-data"),
    "--scale",
    "0.3",
  ];
  const first = await runCli(args);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /Landed 16 files/);
  assert.match(first.stdout, /Rows per layer:/);
  assert.match(first.stdout, /\| staging\.stg_members_client_b +\| valid_state +\| \d+ +\|/);
  assert.match(first.stdout, /Tests: \d+ passed, 1 warned, 0 failed\./);
  assert.match(
    first.stdout,
    /\n {2}deno task wharf --db \S+ sql "select status, count\(\*\) from marts\.members group by status"\n/,
  );
  const second = await runCli(args);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /Nothing new to land: all 16 files were landed before\./);
  assert.match(second.stdout, /Reused deliveries/);
});
