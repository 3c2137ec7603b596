import assert from "node:assert/strict";
import { join } from "node:path";
import { buildDocs } from "../../src/docs/build_docs.ts";
import type { Manifest } from "../../src/docs/manifest.ts";
import { land } from "../../src/land/land.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { REAL, type TempProject, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { buildOk, healthcare } from "./helpers.ts";

/** Lands real files (folders under tests/fixtures/real) and builds the models `select` names with their parents. */
async function buildReal(
  p: TempProject,
  folders: string[],
  select: string[],
  vars: Record<string, string> = {},
) {
  const config = await healthcare(p);
  const landed = await land(config, folders.map((f) => join(REAL, f)), { db: p.db });
  assert.ok(landed.ok, JSON.stringify(landed.outcomes.filter((o) => o.status === "failed")));
  const build = await buildOk(config, {
    db: p.db,
    vars,
    select: select.map((s) => `+${s}`),
  });
  return build;
}

Deno.test("the real Waymark workbooks: one bad contact field keeps the member, the latest delivery decides the status", async () => {
  await using p = await tempProject();
  const build = await buildReal(p, ["waymark"], ["marts.members", "marts.member_claims"]);
  const members = build.results.find((r) => r.id === "intermediate.int_members")!;
  // Client A: 25 members over two monthly files, client B: 10; three end on an impossible date.
  assert.deepEqual([members.rows, members.rejected, members.checks], [32, 3, {
    landed_whole: 0,
    valid_membership_end_date: 3,
  }]);
  assert.deepEqual(
    await query(
      p.db,
      "select client, member_id, membership_end_date_raw as raw from intermediate.int_members__rejected order by 1, 2",
    ),
    [
      { client: "clientA", member_id: "71494390", raw: "2023-11-31" },
      { client: "clientA", member_id: "87398263", raw: "2023-11-31" },
      { client: "clientB", member_id: "0S4BU5ENMS", raw: "11/31/2023" },
    ],
  );
  // Every bad contact value of a latest row, set to NULL and recorded as delivered: a future birth
  // as the text of client A's workbook ("September 11, 2026"), client B's real Excel date as the
  // ISO text it landed as.
  assert.deepEqual(
    await query(
      p.db,
      `select row_key->>'client' as client, row_key->>'member_id' as member_id, column_name,
              value, failed_check
       from intermediate.int_members__rejected_values order by 1, 2, 3`,
    ),
    [
      ["clientA", "10351980", "zip", "RTEFG", "valid_zip"],
      [
        "clientA",
        "124547269",
        "date_of_birth",
        "September 11, 2026",
        "date_of_birth_not_after_as_of_date",
      ],
      ["clientA", "324654982", "phone", "88744589665", "valid_phone"],
      ["clientA", "55556987", "state", "ZZ", "valid_state"],
      ["clientA", "55556987", "zip", "123TY", "valid_zip"],
      [
        "clientA",
        "67281686",
        "date_of_birth",
        "November 12, 2025",
        "date_of_birth_not_after_as_of_date",
      ],
      ["clientA", "78924896", "zip", "89978", "known_zip"],
      ["clientA", "82505867", "state", "88", "valid_state"],
      [
        "clientA",
        "86603683",
        "date_of_birth",
        "March 16, 2027",
        "date_of_birth_not_after_as_of_date",
      ],
      ["clientA", "86603683", "gender", "X", "valid_gender"],
      ["clientB", "60WHJNNQUQ", "zip", "74444", "known_zip"],
      ["clientB", "71UH5758B2", "zip", "79712", "known_zip"],
      ["clientB", "DCFMWCJYF9", "zip", "777TR", "valid_zip"],
      [
        "clientB",
        "GZ08I3AHNR",
        "date_of_birth",
        "2025-05-01",
        "date_of_birth_not_after_as_of_date",
      ],
      ["clientB", "GZ08I3AHNR", "gender", "X", "valid_gender"],
      ["clientB", "GZ08I3AHNR", "zip", "25787", "known_zip"],
      ["clientB", "MEX3383TQM", "zip", "70245", "known_zip"],
    ].map(([client, member_id, column_name, value, failed_check]) => ({
      client,
      member_id,
      column_name,
      value,
      failed_check,
    })),
  );
  const member = (id: string) =>
    query(
      p.db,
      `select first_name, last_name, gender, date_of_birth::varchar as dob, city, state, zip, phone,
              membership_end_date::varchar as end_date, status, latest_period
       from marts.members where member_id = '${id}'`,
    );
  // August's row has an 11-digit phone and ends 2023-09-02; July's ended 2023-06-30.
  assert.deepEqual(await member("324654982"), [{
    first_name: "Benjamin",
    last_name: "Harris",
    gender: "F",
    dob: "1946-07-08",
    city: "Merrick",
    state: "NY",
    zip: "11566",
    phone: null,
    end_date: "2023-09-02",
    status: "active",
    latest_period: "202308",
  }]);
  // Born after as_of_date; August ends eligibility on 2023-07-31 (July said 2023-12-31).
  assert.deepEqual(
    (await member("124547269")).map((m) => [m.dob, m.end_date, m.status]),
    [[null, "2023-07-31", "inactive"]],
  );
  // State ZZ and ZIP 123TY: still a member.
  assert.deepEqual(
    (await member("55556987")).map((m) => [m.state, m.zip, m.status]),
    [[null, null, "active"]],
  );
  // Mixed case kept as delivered (MacLeod, Mcdonough); a lost leading zero restored.
  assert.deepEqual(
    (await member("88599238")).map((m) => [m.last_name, m.zip, m.status]),
    [["MacLeod", "08861", "inactive"]],
  );
  assert.deepEqual((await member("897821456")).map((m) => m.city), ["Mcdonough"]);
  // Client B's capitals are re-cased; the same row twice in one file: the later line wins.
  assert.deepEqual(
    (await member("M82YO3IBOK")).map((m) => [m.first_name, m.last_name, m.city, m.end_date]),
    [["Firstname4 Ran'd", "Lastname4", "Richmond", "2023-12-01"]],
  );
  // Client B's Elig_Dt is the membership end date: active when on or after as_of_date (2023-09-01).
  assert.deepEqual(
    [
      ...await member("AZGJ62FG6K"),
      ...await member("71UH5758B2"),
      ...await member("TBQNH7Y068"),
    ].map((m) => [m.end_date, m.status]),
    [["2023-10-01", "active"], ["2023-08-01", "inactive"], ["2023-07-01", "inactive"]],
  );
  // "LAST, FIRST MIDDLE": the middle initial is the last word, after given names of any length.
  assert.deepEqual(
    await query(
      p.db,
      `select member_id, first_name, middle_name from marts.members
       where member_id in ('AZGJ62FG6K', 'DCFMWCJYF9', 'M82YO3IBOK', '2YYT04J5H1') order by 1`,
    ),
    [
      ["2YYT04J5H1", "Firstname6 T", "F"],
      ["AZGJ62FG6K", "Firstname1", "A"],
      ["DCFMWCJYF9", "Firstname2 Ext", "B"],
      ["M82YO3IBOK", "Firstname4 Ran'd", "D"],
    ].map(([member_id, first_name, middle_name]) => ({ member_id, first_name, middle_name })),
  );
  assert.deepEqual(
    await query(
      p.db,
      "select client, status, count(*)::int as n from marts.members group by all order by all",
    ),
    [
      { client: "clientA", status: "active", n: 19 },
      { client: "clientA", status: "inactive", n: 4 },
      { client: "clientB", status: "active", n: 7 },
      { client: "clientB", status: "inactive", n: 2 },
    ],
  );
  // Claims: per member and client, totals in BIGINT cents; claims of rejected members flagged.
  assert.deepEqual(
    await query(
      p.db,
      `select client, count(*)::int as members, sum(claims)::int as claims,
              sum(billed_cents)::varchar as billed,
              count(*) filter (where not member_valid)::int as without_member
       from marts.member_claims group by 1 order by 1`,
    ),
    [
      {
        client: "clientA",
        members: 17,
        claims: 66,
        billed: "31879012",
        without_member: 1,
      },
      {
        client: "clientB",
        members: 9,
        claims: 27,
        billed: "13783813",
        without_member: 1,
      },
    ],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select distinct data_type from information_schema.columns where table_schema = 'marts' and table_name = 'member_claims' and column_name = 'billed_cents'",
    ),
    [{ data_type: "BIGINT" }],
  );
});

Deno.test("the real Waymark workbooks judge births against as_of_date, not today", async () => {
  await using p = await tempProject();
  // As of 2026-01-01, births in 2025 are in the past; 2026-09-11 and 2027-03-16 are not.
  await buildReal(p, ["waymark"], ["marts.members"], { as_of_date: "2026-01-01" });
  assert.deepEqual(
    await query(
      p.db,
      "select value from intermediate.int_members__rejected_values where failed_check = 'date_of_birth_not_after_as_of_date' order by 1",
    ),
    [{ value: "March 16, 2027" }, { value: "September 11, 2026" }],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select member_id, date_of_birth::varchar as dob from marts.members where member_id in ('67281686', 'GZ08I3AHNR') order by 1",
    ),
    [{ member_id: "67281686", dob: "2025-11-12" }, { member_id: "GZ08I3AHNR", dob: "2025-05-01" }],
  );
});

Deno.test("the real VisitPay files: latest version per hospital and key, balances reconciled", async () => {
  await using p = await tempProject();
  await buildReal(p, ["visitpay"], ["marts.visit_financials"]);
  assert.deepEqual(
    await query(
      p.db,
      "select hospital, procedure_id::int as id, procedure_description as d from intermediate.int_visitpay_procedures order by 2",
    ),
    [
      { hospital: "HospitalABC", id: 1, d: "ACL thing" },
      { hospital: "HospitalABC", id: 2, d: "Beard amputation" },
      { hospital: "HospitalABC", id: 3, d: "extra special bandaid" },
      { hospital: "HospitalABC", id: 4, d: "Can't remember" },
      { hospital: "HospitalABC", id: 5, d: "Face transplant" },
      { hospital: "HospitalABC", id: 6, d: "expensive pills" },
    ],
  );
  assert.deepEqual(
    await query(
      p.db,
      `select count(*)::int as visits, sum(balance_cents)::bigint::varchar as balances,
              sum(transactions_cents)::bigint::varchar as paid,
              list(visit_id order by visit_id) filter (where balance_mismatch) as mismatched,
              list(difference_cents::int order by visit_id) filter (where balance_mismatch) as differences,
              typeof(any_value(transactions_cents)) as type,
              typeof(any_value(delivered_at)) as instant
       from marts.visit_financials`,
    ),
    [{
      visits: 11,
      balances: "699066",
      paid: "643462",
      mismatched: ["321000004", "321000010"],
      differences: [49012, 6592],
      type: "BIGINT",
      instant: "TIMESTAMP WITH TIME ZONE",
    }],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select min(delivered_at)::varchar as first, max(delivered_at)::varchar as last from marts.visit_financials",
    ),
    [{ first: "2021-12-01 22:30:05+00", last: "2021-12-02 22:30:05+00" }],
  );
});

Deno.test("the real Waymark workbooks: the docs built on them publish no member id or diagnosis of a claim", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const landed = await land(config, [join(REAL, "waymark")], { db: p.db });
  assert.ok(landed.ok);
  const build = await runProject("build", config, { db: p.db });
  // Claims were rejected (a member in no membership file): there were rows to sample.
  const claims = build.results.find((r) => r.id === "intermediate.int_claims")!;
  assert.ok((claims.rejected ?? 0) > 0, JSON.stringify(claims));
  const out = join(p.root, "docs");
  await buildDocs(config, { db: p.db, out });
  const secrets = await query(
    p.db,
    `select distinct member_id as v from staging.stg_claims_client_a where member_id is not null
     union select distinct member_id from staging.stg_claims_client_b where member_id is not null
     union select distinct diagnosis from staging.stg_claims_client_a where diagnosis is not null
     union select distinct diagnosis from staging.stg_claims_client_b where diagnosis is not null`,
  );
  const values = secrets.map((r) => String(r.v));
  assert.ok(values.includes("9975642") && values.includes("Generalized anxiety disorders"));
  for (const file of ["manifest.json", "index.html"]) {
    const text = await Deno.readTextFile(join(out, file));
    const found = values.filter((v) =>
      new RegExp(`(?<![0-9A-Za-z])${v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![0-9A-Za-z])`)
        .test(text)
    );
    assert.deepEqual(found, [], `${file} holds claim data`);
  }
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json"))) as Manifest;
  const node = (id: string) => manifest.nodes.find((n) => n.id === id)!;
  assert.deepEqual(node("intermediate.int_claims").rejected_samples, []);
  assert.equal(node("intermediate.int_claims").samples_withheld, "tagged pii");
});

Deno.test("the real Waymark workbooks: client A onboarded alone has its members and claims; client B landing later adds its own", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const file = (name: string) => join(REAL, "waymark", `${name}.xlsx`);
  const build = async () => {
    const summary = await buildOk(config, {
      db: p.db,
      select: ["+marts.members", "+marts.member_claims"],
    });
    assert.deepEqual(
      summary.results.filter((r) => r.status === "skipped").map((r) => r.id),
      [],
    );
    return {
      members: await query(
        p.db,
        "select client, count(*)::int as n from marts.members group by 1 order by 1",
      ),
      claims: await query(
        p.db,
        "select client, count(*)::int as n from intermediate.int_claims group by 1 order by 1",
      ),
    };
  };
  assert.ok(
    (await land(config, [
      file("Patient-membership-clientA-202307"),
      file("Patient-claim-clientA-202307"),
    ], { db: p.db })).ok,
  );
  const a = await build();
  assert.deepEqual(a.members.map((r) => r.client), ["clientA"]);
  assert.deepEqual(a.claims.map((r) => r.client), ["clientA"]);
  assert.ok((a.members[0]!.n as number) > 0 && (a.claims[0]!.n as number) > 0);
  assert.ok(
    (await land(config, [
      file("Patient-membership-clientB-202307"),
      file("Patient-claim-clientB-202307"),
    ], { db: p.db })).ok,
  );
  const both = await build();
  assert.deepEqual(both.members.map((r) => r.client), ["clientA", "clientB"]);
  assert.deepEqual(both.claims.map((r) => r.client), ["clientA", "clientB"]);
  // Client A's answers do not change when client B lands.
  assert.deepEqual([both.members[0], both.claims[0]], [a.members[0], a.claims[0]]);
});

Deno.test("the real Waymark files: a member whose latest line was rejected at landing is rejected, no older row stands in, and a later valid line brings it back", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const header =
    "member id,member first name,member middle name,member last name,gender,date of birth,address,city,state,zip,phone number,membership end date,ethnicity\n";
  const line =
    '42711784,Jonathan,S,Campbell,F,"May 8, 1994",970 Canal Court ,Jamaica Plain,VA,2130';
  // September's line of 42711784 has 11 of the 13 fields: landing rejects it.
  const september = await p.write(
    "deliveries/Patient-membership-clientA-202309.csv",
    `${header}${line},6367722983\n`,
  );
  const landed = await land(config, [join(REAL, "waymark"), september], { db: p.db });
  assert.ok(landed.ok, JSON.stringify(landed.outcomes.filter((o) => o.status === "failed")));
  assert.deepEqual(
    await query(p.db, "select line, error, fields->>'member_id' as id from wharf.rejects"),
    [{ line: "2", error: "MISSING COLUMNS: expected 13 fields, found 11", id: "42711784" }],
  );
  const build = async () => {
    await buildOk(config, { db: p.db, select: ["+marts.members", "+marts.member_history"] });
    return {
      member: await query(
        p.db,
        "select status, latest_period from marts.members where member_id = '42711784'",
      ),
      history: await query(
        p.db,
        `select period, membership_end_date::varchar as ends, address, dbt_valid_to is null as current
         from marts.member_history where member_id = '42711784' order by dbt_valid_from`,
      ),
      rejected: await query(
        p.db,
        `select period, _failed_checks as checks, landing_rejection, landed_text
         from intermediate.int_members__rejected where member_id = '42711784'`,
      ),
    };
  };
  // Before, August's row stood in: active, latest_period 202308.
  const july = { period: "202307", ends: "2023-12-31", address: "970 Canal Court" };
  assert.deepEqual(await build(), {
    member: [],
    // What was delivered: September's line, of which nothing could be read.
    history: [
      { ...july, current: false },
      { period: "202309", ends: null, address: null, current: true },
    ],
    rejected: [{
      period: "202309",
      checks: ["landed_whole"],
      landing_rejection:
        `its line 2 in ${september} was rejected when landed: MISSING COLUMNS: expected 13 fields, found 11`,
      landed_text: `${line},6367722983`,
    }],
  });
  // October delivers the member whole again: it is back, with October's end date.
  const october = await p.write(
    "deliveries/Patient-membership-clientA-202310.csv",
    `${header}${line},6367722983,2023-06-30,Asian\n`,
  );
  assert.ok((await land(config, [october], { db: p.db })).ok);
  assert.deepEqual(await build(), {
    member: [{ status: "inactive", latest_period: "202310" }],
    history: [
      { ...july, current: false },
      { period: "202309", ends: null, address: null, current: false },
      { period: "202310", ends: "2023-06-30", address: "970 Canal Court", current: true },
    ],
    rejected: [],
  });
});

Deno.test("a member staging model built alone (-s) after a landing reads the lines that landing rejected (staging.stg_landing_rejects is inlined, not a table left from an earlier build)", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const july = join(REAL, "waymark", "Patient-membership-clientA-202307.csv");
  assert.ok((await land(config, [july], { db: p.db })).ok);
  await buildOk(config, { db: p.db, select: ["+staging.stg_members_client_a"] });
  const september = await p.write(
    "deliveries/Patient-membership-clientA-202309.csv",
    "member id,member first name,member middle name,member last name,gender,date of birth,address,city,state,zip,phone number,membership end date,ethnicity\n" +
      '42711784,Jonathan,S,Campbell,F,"May 8, 1994",970 Canal Court ,Jamaica Plain,VA,2130\n',
  );
  assert.ok((await land(config, [september], { db: p.db })).ok);
  const build = await buildOk(config, { db: p.db, select: ["staging.stg_members_client_a"] });
  assert.deepEqual(build.results.filter((r) => r.kind === "model").map((r) => r.id), [
    "staging.stg_members_client_a",
  ]);
  assert.deepEqual(
    await query(
      p.db,
      `select period, _file, _row_number, delivered_at::varchar as delivered_at, landing_error,
              landed_text, first_name
       from staging.stg_members_client_a where member_id = '42711784' and period = '202309'`,
    ),
    [{
      period: "202309",
      _file: september,
      _row_number: "2",
      // The file's delivery (wharf.files), from its period.
      delivered_at: "2023-09-01 00:00:00+00",
      landing_error: "MISSING COLUMNS: expected 13 fields, found 10",
      landed_text:
        '42711784,Jonathan,S,Campbell,F,"May 8, 1994",970 Canal Court ,Jamaica Plain,VA,2130',
      first_name: null,
    }],
  );
});

Deno.test("the real VisitPay files: a visit or transaction whose latest line was rejected at landing is rejected, no older version stands in, and a later valid line brings it back", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const visit = (stamp: string, line: string) =>
    p.write(
      `deliveries/HospitalABC_VisitPay_Visit_${stamp}.txt`,
      `VisitIdentifier\tGuarantorIdentifier\tAdmitDate\tDischargeDate\tVisitBalance\tInsuranceIdentifier\n${line}`,
    );
  const transaction = (stamp: string, line: string) =>
    p.write(
      `deliveries/HospitalABC_VisitPay_Transaction_${stamp}.txt`,
      `TransactionIdentifier\tVisitIdentifier\tProcedureId\tAmount\n${line}`,
    );
  // The next day, visit 321000001's line lacks its insurance, transaction 54321000002's its amount.
  const files = [
    await visit("20211203_223005", "321000001\t9870001\t1/1/2021\t1/4/2021\t1005.5"),
    await transaction("20211203_223133", "54321000002\t321000002\t5"),
  ];
  const landed = await land(config, [join(REAL, "visitpay"), ...files], { db: p.db });
  assert.ok(landed.ok, JSON.stringify(landed.outcomes.filter((o) => o.status === "failed")));
  const build = async () => {
    await buildOk(config, { db: p.db, select: ["+marts.visit_financials"] });
    return {
      visits: await query(
        p.db,
        `select visit_id, _failed_checks as checks, landing_rejection, landed_text
         from intermediate.int_visitpay_visits__rejected`,
      ),
      transactions: await query(
        p.db,
        `select transaction_id, visit_id, _failed_checks as checks, landing_rejection
         from intermediate.int_visitpay_transactions__rejected`,
      ),
      financials: await query(
        p.db,
        `select visit_id, balance_cents::int as balance, quarantined_transactions::int as q,
                reconciliation
         from marts.visit_financials where visit_id in ('321000001', '321000002') order by 1`,
      ),
    };
  };
  // Before, the visit of December 1 stood in (reconciled), and so did the transaction's amount.
  assert.deepEqual(await build(), {
    visits: [{
      visit_id: "321000001",
      checks: ["landed_whole"],
      landing_rejection: `its line 2 in ${
        files[0]
      } was rejected when landed: MISSING COLUMNS: expected 6 fields, found 5`,
      landed_text: "321000001\t9870001\t1/1/2021\t1/4/2021\t1005.5",
    }],
    transactions: [{
      transaction_id: "54321000002",
      visit_id: "321000002",
      checks: ["landed_whole"],
      landing_rejection: `its line 2 in ${
        files[1]
      } was rejected when landed: MISSING COLUMNS: expected 4 fields, found 3`,
    }],
    financials: [
      { visit_id: "321000002", balance: 30027, q: 1, reconciliation: "quarantined_transactions" },
    ],
  });
  // Delivered whole again, both are back with their new values.
  const again = [
    await visit("20211204_223005", "321000001\t9870001\t1/1/2021\t1/4/2021\t1005.5\t1"),
    await transaction("20211204_223133", "54321000002\t321000002\t5\t100.09"),
  ];
  assert.ok((await land(config, again, { db: p.db })).ok);
  const back = await build();
  assert.deepEqual([back.visits, back.transactions], [[], []]);
  assert.deepEqual(back.financials.map((r) => [r.visit_id, r.q]), [
    ["321000001", 0],
    ["321000002", 0],
  ]);
});
