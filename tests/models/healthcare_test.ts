import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { generate, MIXED_CASE_NAMES, type Planted } from "../../src/gen/generate.ts";
import { land } from "../../src/land/land.ts";
import { loadProject } from "../../src/engine/project/load_project.ts";
import { runProject, type RunSummary } from "../../src/engine/run/run_project.ts";
import { REPO, runCli, type TempProject, tempProject } from "../helpers.ts";
import { gzip, query } from "../land/helpers.ts";
import { healthcare } from "./helpers.ts";

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
  assert.ok(
    build.ok,
    JSON.stringify(build.results.filter((r) => r.status !== "success" && r.status !== "pass")),
  );
  return { planted, build };
}

Deno.test("the healthcare models on generated deliveries: every planted trap ends where the domain says", async (t) => {
  await using p = await tempProject();
  const { planted, build } = await buildOnGenerated(p);
  const result = (id: string) => build.results.find((r) => r.id === id)!;
  const a = planted.membership.client_a;
  const b = planted.membership.client_b;
  const latest = planted.latest_membership;

  await t.step(
    "members: identity and eligibility reject the row, contact fields are nullified",
    async () => {
      // Only a missing member id rejects a delivered row in staging.
      for (
        const [model, traps] of [["staging.stg_members_client_a", a], [
          "staging.stg_members_client_b",
          b,
        ]] as const
      ) {
        const r = result(model);
        assert.deepEqual(r.checks, { valid_member_id: traps.missing_member_id }, model);
        assert.equal(
          (r.rows ?? 0) + (r.rejected ?? 0),
          traps.rows,
          `${model}: input rows = kept + rejected`,
        );
      }
      // Client A's July traps are superseded by August; client B's one delivery is its latest.
      const members = result("intermediate.int_members");
      // No line of the generated deliveries is rejected at landing.
      assert.deepEqual(members.checks, {
        landed_whole: 0,
        valid_membership_end_date: b.impossible_date,
      });
      assert.deepEqual(members.nullified, {
        valid_date_of_birth: 0,
        date_of_birth_not_after_as_of_date: b.future_dob + latest.future_dob,
        valid_gender: b.gender_x + latest.gender_x,
        // An empty state has nothing to nullify.
        valid_state: b.bad_state + latest.bad_state,
        valid_zip: b.bad_zip + latest.bad_zip,
        // The generated ZIPs are all US ZIP codes (the real workbooks' are not: real_files_test).
        known_zip: 0,
        valid_phone: b.bad_phone + latest.bad_phone,
      });
      assert.equal(
        (members.rows ?? 0) + (members.rejected ?? 0),
        a.members + b.members - b.missing_member_id,
      );
      assert.deepEqual(
        await query(
          p.db,
          "select client, count(*)::int as n from marts.members group by client order by client",
        ),
        [
          { client: "clientA", n: a.members },
          { client: "clientB", n: b.members - b.missing_member_id - b.impossible_date },
        ],
      );
      // The rejected row keeps the delivered end date and says why.
      const rejected = await query(
        p.db,
        "select membership_end_date_raw as raw, _failed_checks from intermediate.int_members__rejected",
      );
      assert.equal(rejected.length, b.impossible_date);
      for (const r of rejected) {
        assert.match(String(r.raw), /31|30/);
        assert.deepEqual(r._failed_checks, ["valid_membership_end_date"]);
      }
      // Every nullified value is recorded with the member's key, its check and its file.
      const values = await query(
        p.db,
        `select v.row_key->>'client' as client, v.column_name, v.value, v.failed_check, v._file,
              m.member_id is not null as kept
       from intermediate.int_members__rejected_values as v
       left join marts.members as m
         on m.client = (v.row_key->>'client') and m.member_id = (v.row_key->>'member_id')`,
      );
      assert.equal(values.length, Object.values(members.nullified!).reduce((x, y) => x + y, 0));
      assert.ok(values.every((v) => v.kept && v.value !== null));
      assert.ok(
        values.filter((v) => v.column_name === "zip").every((v) =>
          !/^\d{5}$/.test(String(v.value))
        ),
      );
      assert.deepEqual(
        [...new Set(values.filter((v) => v.column_name === "gender").map((v) => v.value))],
        ["X"],
      );
    },
  );

  await t.step(
    "members: the latest row is chosen before validation, and decides the status",
    async () => {
      // Client A members whose August row has a bad contact field: clean in July and ending
      // before as_of_date then, ending after it in August.
      const rows = await query(
        p.db,
        `select m.status, m.membership_end_date::varchar as end_date, m.latest_period, v.column_name,
              (select max(j.membership_end_date) from staging.stg_members_client_a as j
               where j.member_id = m.member_id and j.period = '202307')::varchar as july_end,
              case v.column_name when 'phone' then m.phone when 'zip' then m.zip
                when 'state' then m.state when 'gender' then m.gender
                when 'date_of_birth' then m.date_of_birth::varchar end as now
       from intermediate.int_members__rejected_values as v
       join marts.members as m
         on m.client = (v.row_key->>'client') and m.member_id = (v.row_key->>'member_id')
       where m.client = 'clientA'`,
      );
      const planted = latest.bad_phone + latest.bad_zip + latest.bad_state + latest.gender_x +
        latest.future_dob;
      assert.ok(planted > 0);
      assert.equal(rows.length, planted);
      for (const r of rows) {
        assert.deepEqual(
          [r.status, r.end_date, r.latest_period, r.july_end, r.now],
          ["active", "2023-12-31", "202308", "2023-08-15", null],
          JSON.stringify(r),
        );
      }
    },
  );

  await t.step(
    "members: names are re-cased only when delivered all upper or all lower case",
    async () => {
      const [names] = await query(
        p.db,
        `select
         count(*) filter (where last_name in (${
          MIXED_CASE_NAMES.map((n) => `'${n.replace("'", "''")}'`).join(", ")
        }))::int as mixed,
         count(*) filter (where first_name = upper(first_name) or last_name = lower(last_name))::int as unchanged_case,
         count(*) filter (where first_name like '%' || chr(160) || '%')::int as nbsp
       from marts.members where client = 'clientA'`,
      );
      assert.deepEqual(names, { mixed: latest.mixed_case_names, unchanged_case: 0, nbsp: 0 });
      assert.ok(latest.mixed_case_names > 0 && latest.upper_lower_names > 0);
      // Client B delivers names in capitals: they are re-cased.
      const [capitals] = await query(
        p.db,
        "select count(*) filter (where last_name = upper(last_name))::int as n, count(*)::int as total from marts.members where client = 'clientB'",
      );
      assert.equal(capitals!.n, 0);
    },
  );

  await t.step("visitpay: two hospitals with the same ids land and reconcile apart", async () => {
    const v = planted.visitpay;
    const [visits] = await query(
      p.db,
      `select (select count(*) from staging.stg_visitpay_visits)::int as delivered,
              (select count(*) from intermediate.int_visitpay_visits)::int as latest,
              (select count(*) from marts.visit_financials)::int as reconciled,
              (select count(*) filter (where balance_mismatch) from marts.visit_financials)::int as mismatches,
              (select count(*) from (select visit_id from marts.visit_financials group by 1 having count(distinct hospital) = 2))::int as shared`,
    );
    assert.deepEqual(visits, {
      delivered: v.visits + v.upserted_visits + v.late_stale_versions,
      latest: v.visits,
      reconciled: v.visits,
      mismatches: v.balance_mismatches,
      shared: v.shared_visit_ids,
    });
    // A transaction naming a visit only another hospital has is an orphan, not a match.
    assert.deepEqual(result("intermediate.int_visitpay_transactions").checks, {
      landed_whole: 0,
      valid_amount: 0,
      amount_in_whole_cents: v.sub_cent_amounts,
      known_visit: v.orphan_transactions,
      known_procedure: 0,
    });
    assert.deepEqual(
      await query(
        p.db,
        `select hospital, count(*)::int as n from intermediate.int_visitpay_transactions__rejected
         where list_contains(_failed_checks, 'known_visit') group by 1 order by 1`,
      ),
      [
        { hospital: "HospitalABC", n: v.orphan_transactions - v.cross_hospital_transactions },
        { hospital: "HospitalXYZ", n: v.cross_hospital_transactions },
      ],
    );
    assert.deepEqual(
      await query(
        p.db,
        "select hospital, count(*)::int as procedures from intermediate.int_visitpay_procedures group by 1 order by 1",
      ),
      [
        { hospital: "HospitalABC", procedures: v.procedures / 2 },
        { hospital: "HospitalXYZ", procedures: v.procedures / 2 },
      ],
    );
  });

  await t.step(
    "visitpay: an amount with fractions of a cent is quarantined, not rounded",
    async () => {
      assert.deepEqual(result("staging.stg_visitpay_transactions").checks, {
        valid_transaction_id: 0,
      });
      assert.deepEqual(
        await query(
          p.db,
          "select hospital, amount_raw, amount_cents, _failed_checks from intermediate.int_visitpay_transactions__rejected where list_contains(_failed_checks, 'amount_in_whole_cents')",
        ),
        [{
          hospital: "HospitalXYZ",
          amount_raw: "12.345",
          amount_cents: null,
          _failed_checks: ["amount_in_whole_cents"],
        }],
      );
    },
  );

  await t.step("claims and benefits follow their seeds and sources", async () => {
    assert.equal(
      result("intermediate.int_claims").checks!.valid_received_date,
      planted.claims.impossible_dates,
    );
    assert.equal(
      result("intermediate.int_claims").checks!.known_member,
      planted.claims.unknown_members,
    );
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
      "select (select count(*) from intermediate.int_claims)::int as claims, (select sum(claims) from marts.member_claims)::int as counted, (select count(*) from marts.member_claims where diagnosis_category = 'chronic' and chronic_claims = 0)::int as wrong, (select sum(billed_cents) from intermediate.int_claims) = (select sum(billed_cents) from marts.member_claims) as totals_agree",
    );
    assert.deepEqual(claims, {
      claims: claims!.claims,
      counted: claims!.claims,
      wrong: 0,
      totals_agree: true,
    });
    const [benefits] = await query(
      p.db,
      "select count(*)::int as n, count(distinct source)::int as sources from marts.member_benefits",
    );
    assert.deepEqual(benefits, {
      n: Object.values(planted.benefits.rows).reduce((x, y) => x + y, 0),
      sources: 3,
    });
  });

  await t.step("shipped models: no HUGEINT columns, instants are TIMESTAMPTZ", async () => {
    const columns = await query(
      p.db,
      `select table_schema || '.' || table_name as relation, column_name, data_type
       from information_schema.columns
       where table_schema in ('staging', 'intermediate', 'marts')
         and (data_type = 'HUGEINT' or data_type = 'TIMESTAMP'
              or (column_name in ('delivered_at', 'as_of') and data_type <> 'TIMESTAMP WITH TIME ZONE'))`,
    );
    assert.deepEqual(columns, []);
    const [instant] = await query(
      p.db,
      "select min(delivered_at)::varchar as first, typeof(min(delivered_at)) as type from marts.members where client = 'clientA'",
    );
    assert.deepEqual(instant, {
      first: "2023-08-01 00:00:00+00",
      type: "TIMESTAMP WITH TIME ZONE",
    });
  });

  await t.step(
    "member status follows as_of_date, and so do the checks: same input, same result",
    async () => {
      const config = await healthcare(p);
      const [before] = await query(
        p.db,
        "select count(*) filter (where status = 'active')::int as active, count(*) filter (where status = 'inactive')::int as inactive, count(*) filter (where (membership_end_date >= date '2023-09-01') <> (status = 'active'))::int as wrong, count(date_of_birth)::int as births from marts.members",
      );
      assert.equal(before!.wrong, 0);
      assert.ok(Number(before!.active) > 0 && Number(before!.inactive) > 0);
      // A later as_of_date: the members born in 2024 are born by then; everyone has ended.
      const later = await runProject("run", config, {
        db: p.db,
        select: ["intermediate.int_members", "marts.members"],
        vars: { as_of_date: "2025-01-01" },
      });
      assert.ok(later.ok);
      assert.equal(
        later.results.find((r) => r.id === "intermediate.int_members")!.nullified!
          .date_of_birth_not_after_as_of_date,
        b.future_dob,
      );
      assert.deepEqual(
        await query(
          p.db,
          "select distinct status, status_as_of::varchar as as_of from marts.members",
        ),
        [{ status: "inactive", as_of: "2025-01-01" }],
      );
      // Back to the configured date: exactly the first answer.
      assert.ok(
        (await runProject("run", config, {
          db: p.db,
          select: ["intermediate.int_members", "marts.members"],
        })).ok,
      );
      const [again] = await query(
        p.db,
        "select count(*) filter (where status = 'active')::int as active, count(*) filter (where status = 'inactive')::int as inactive, count(*) filter (where (membership_end_date >= date '2023-09-01') <> (status = 'active'))::int as wrong, count(date_of_birth)::int as births from marts.members",
      );
      assert.deepEqual(again, before);
    },
  );
});

/**
 * The raw tables that hold no personal data: the public NPI registry and TiC indexes, and the
 * hospitals' procedure catalogue. Any other raw table (members, claims, visits, transactions,
 * benefits, and any table added later) is personal until it is listed here.
 */
const NOT_PERSONAL =
  /^(raw\.visitpay_procedure|raw\.npi_responses|wharf\.npi_ledger|raw\.tic_\w+)$/;

Deno.test("every shipped model reading a raw table of personal data is tagged pii, so the docs publish none of its rows", async () => {
  const project = await loadProject(await loadConfig(REPO));
  assert.deepEqual(project.issues, []);
  const untagged = project.models.flatMap((m) => {
    const personal = [...m.refs, ...m.checkRefs].map((r) => r.relation)
      .filter((r) => /^(raw|wharf)\./.test(r) && !NOT_PERSONAL.test(r));
    return personal.length && !m.config.tags.includes("pii")
      ? [`${m.id} reads ${[...new Set(personal)].join(", ")}`]
      : [];
  });
  assert.deepEqual(untagged, []);
  // Member-level data, tagged (what reads them inherits the withholding in the docs).
  const pii = project.models.filter((m) => m.config.tags.includes("pii")).map((m) => m.id).sort();
  assert.deepEqual(pii, [
    "intermediate.int_benefits",
    "intermediate.int_claims",
    "intermediate.int_members",
    "intermediate.int_visitpay_transactions",
    "intermediate.int_visitpay_visits",
    "marts.member_benefits",
    "marts.member_claims",
    "marts.member_history",
    "marts.members",
    "marts.visit_financials",
    "staging.stg_benefits",
    "staging.stg_claims_client_a",
    "staging.stg_claims_client_b",
    "staging.stg_landing_rejects",
    "staging.stg_members_client_a",
    "staging.stg_members_client_b",
    "staging.stg_visitpay_transactions",
    "staging.stg_visitpay_visits",
  ]);
});

Deno.test("visitpay procedures delivered A, then B, then A again end at A; at the same delivery time the later batch wins", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const header = "ProcedureId\tProcedureDescription\n";
  const files = {
    "HospitalABC_VisitPay_Procedure_20240101_000000.txt": `${header}1\tACL thing\n2\tBandaid`,
    "HospitalABC_VisitPay_Procedure_20240102_000000.txt": `${header}1\tACL repair`,
    // A again: the very bytes of the first delivery, under a new name.
    "HospitalABC_VisitPay_Procedure_20240103_000000.txt": `${header}1\tACL thing\n2\tBandaid`,
    // Another hospital's procedure 1 is another procedure.
    "HospitalXYZ_VisitPay_Procedure_20240104_000000.txt": `${header}1\tX-ray\n2\tCast`,
    // Same delivery time as the next file, landed first (names sort .txt before .txt.gz).
    "HospitalABC_VisitPay_Procedure_20240105_000000.txt": `${header}2\tBandaid large`,
  };
  for (const [name, text] of Object.entries(files)) await p.write(`in/${name}`, text);
  await p.write(
    "in/HospitalABC_VisitPay_Procedure_20240105_000000.txt.gz",
    gzip(`${header}2\tBandaid small`),
  );
  assert.ok((await land(config, [join(p.root, "in")], { db: p.db })).ok);
  const build = await runProject("build", config, {
    db: p.db,
    select: ["+intermediate.int_visitpay_procedures"],
  });
  assert.ok(build.ok, JSON.stringify(build.results));
  assert.deepEqual(
    await query(
      p.db,
      "select hospital, procedure_id::int as id, procedure_description as d from intermediate.int_visitpay_procedures order by 1, 2",
    ),
    [
      { hospital: "HospitalABC", id: 1, d: "ACL thing" },
      { hospital: "HospitalABC", id: 2, d: "Bandaid small" },
      { hospital: "HospitalXYZ", id: 1, d: "X-ray" },
      { hospital: "HospitalXYZ", id: 2, d: "Cast" },
    ],
  );
});

Deno.test("wharf demo builds from a fresh folder, shows rejected rows and nullified values apart, and a second run lands nothing new", async () => {
  await using p = await tempProject();
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
  assert.match(first.stdout, /Landed 19 files/);
  assert.match(first.stdout, /Rows per layer:/);
  const rejected = first.stdout.indexOf("Rows rejected by checks (in <model>__rejected):");
  const nullified = first.stdout.indexOf(
    "Values nullified by checks, rows kept (in <model>__rejected_values):",
  );
  assert.ok(rejected > 0 && nullified > rejected, first.stdout);
  const rejectedTable = first.stdout.slice(rejected, nullified);
  const nullifiedTable = first.stdout.slice(nullified, first.stdout.indexOf("Tests:"));
  assert.match(
    rejectedTable,
    /\| intermediate\.int_members +\| valid_membership_end_date +\| \d+ +\|/,
  );
  assert.doesNotMatch(rejectedTable, /valid_zip|valid_phone/);
  assert.match(nullifiedTable, /\| model +\| check +\| values \|/);
  assert.match(nullifiedTable, /\| intermediate\.int_members +\| valid_zip +\| \d+ +\|/);
  assert.match(nullifiedTable, /\| intermediate\.int_members +\| valid_phone +\| \d+ +\|/);
  assert.match(first.stdout, /Tests: \d+ passed, \d+ warned, 0 failed, \d+ skipped\./);
  assert.match(
    first.stdout,
    /\n {2}deno task wharf --db \S+ sql "select status, count\(\*\) from marts\.members group by status"\n/,
  );
  const second = await runCli(args);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /Nothing new to land: all 19 files were landed before\./);
  assert.match(second.stdout, /Reused deliveries/);
});
