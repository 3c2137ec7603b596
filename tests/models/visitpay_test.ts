import assert from "node:assert/strict";
import { join } from "node:path";
import { land } from "../../src/land/land.ts";
import { tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { buildOk, healthcare } from "./helpers.ts";

/** A VisitPay delivery as hospitals write it: tab-delimited, no newline after the last line. */
function delivery(...lines: string[][]): string {
  return lines.map((l) => l.join("\t")).join("\n");
}

Deno.test("a transaction whose visit was delivered but rejected is kept and says why; one whose visit was never delivered is an orphan", async () => {
  await using p = await tempProject();
  await p.write(
    "vp/HospitalABC_VisitPay_Procedure_20211201_000000.txt",
    delivery(["ProcedureId", "ProcedureDescription"], ["5", "Office visit"]),
  );
  await p.write(
    "vp/HospitalABC_VisitPay_Visit_20211201_000100.txt",
    delivery(
      VISIT_HEADER,
      ["V1", "G1", "11/1/2021", "11/2/2021", "10", "I1"],
      ["V2", "G2", "11/31/2021", "12/2/2021", "20", "I2"],
    ),
  );
  await p.write(
    "vp/HospitalABC_VisitPay_Transaction_20211201_000200.txt",
    delivery(
      ["TransactionIdentifier", "VisitIdentifier", "ProcedureId", "Amount"],
      ["T1", "V1", "5", "10"],
      ["T2", "V2", "5", "20"],
      ["T3", "V9", "5", "30"],
    ),
  );
  const config = await healthcare(p);
  assert.ok((await land(config, [join(p.root, "vp")], { db: p.db })).ok);
  const build = await buildOk(config, {
    db: p.db,
    select: ["+marts.visit_financials"],
  });
  assert.deepEqual(
    (await query(
      p.db,
      "select visit_id, admit_date_raw, _failed_checks from intermediate.int_visitpay_visits__rejected",
    )).map(Object.values),
    [["V2", "11/31/2021", ["valid_admit_date"]]],
  );
  // T2's visit was delivered: T2 is kept, flagged with what its visit failed.
  assert.deepEqual(
    (await query(
      p.db,
      `select transaction_id, visit_valid, visit_failed_checks, amount_cents::int as cents
       from intermediate.int_visitpay_transactions order by 1`,
    )).map(Object.values),
    [["T1", true, null, 1000], ["T2", false, ["valid_admit_date"], 2000]],
  );
  // T3's visit V9 was never delivered: an orphan, quarantined.
  assert.deepEqual(
    (await query(
      p.db,
      "select transaction_id, _failed_checks from intermediate.int_visitpay_transactions__rejected",
    )).map(Object.values),
    [["T3", ["known_visit"]]],
  );
  // The build warns about the kept transaction of a rejected visit.
  const warned = build.results.find((r) =>
    r.id.startsWith("test.") && r.id.includes("int_visitpay_transactions_visit_valid")
  );
  assert.equal(warned?.status, "warn", JSON.stringify(warned));
  // Valid visits reconcile: V1 against T1.
  assert.deepEqual(
    (await query(
      p.db,
      "select visit_id, transactions::int as n, balance_mismatch from marts.visit_financials",
    )).map(Object.values),
    [["V1", 1, false]],
  );
});

const VISIT_HEADER = [
  "VisitIdentifier",
  "GuarantorIdentifier",
  "AdmitDate",
  "DischargeDate",
  "VisitBalance",
  "InsuranceIdentifier",
];
const TRANSACTION_HEADER = ["TransactionIdentifier", "VisitIdentifier", "ProcedureId", "Amount"];

Deno.test("a visit's latest delivery decides: rejected when it is invalid (no older version stands in), back when a later one is valid, and a late file changes nothing", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  /** Lands one file of its own folder, then builds the VisitPay models. */
  async function deliver(name: string, content: string): Promise<void> {
    const folder = name.replace(/\.txt$/, "");
    await p.write(`${folder}/${name}`, content);
    const landed = await land(config, [join(p.root, folder)], { db: p.db });
    assert.ok(landed.ok, JSON.stringify(landed));
    await buildOk(config, {
      db: p.db,
      select: ["+marts.visit_financials"],
    });
  }
  const visits = async () =>
    (await query(
      p.db,
      `select visit_id, guarantor_id, admit_date::varchar as admit, balance_cents::int as cents,
              parse_filename(_file) as file
       from intermediate.int_visitpay_visits order by 1`,
    )).map(Object.values);
  const rejected = async () =>
    (await query(
      p.db,
      `select visit_id, admit_date_raw, _failed_checks, parse_filename(_file) as file
       from intermediate.int_visitpay_visits__rejected order by 1`,
    )).map(Object.values);
  const transactions = async () =>
    (await query(
      p.db,
      `select transaction_id, visit_id, visit_valid, visit_failed_checks, amount_cents::int as cents
       from intermediate.int_visitpay_transactions order by 1`,
    )).map(Object.values);
  const financials = async () =>
    (await query(
      p.db,
      `select visit_id, balance_cents::int as cents, transactions_cents::int as paid, balance_mismatch
       from marts.visit_financials order by 1`,
    )).map(Object.values);

  await deliver(
    "HospitalABC_VisitPay_Procedure_20211201_000000.txt",
    delivery(["ProcedureId", "ProcedureDescription"], ["5", "Office visit"]),
  );
  // T1: both visits valid.
  const t1 = "HospitalABC_VisitPay_Visit_20211201_000100.txt";
  await deliver(
    t1,
    delivery(
      VISIT_HEADER,
      ["V1", "G1", "11/1/2021", "11/2/2021", "10", "I1"],
      ["V2", "G2", "11/3/2021", "11/4/2021", "20", "I2"],
    ),
  );
  await deliver(
    "HospitalABC_VisitPay_Transaction_20211201_000200.txt",
    delivery(TRANSACTION_HEADER, ["X1", "V1", "5", "10"], ["X2", "V2", "5", "20"]),
  );
  assert.deepEqual(await visits(), [
    ["V1", "G1", "2021-11-01", 1000, t1],
    ["V2", "G2", "2021-11-03", 2000, t1],
  ]);
  assert.deepEqual(await transactions(), [
    ["X1", "V1", true, null, 1000],
    ["X2", "V2", true, null, 2000],
  ]);

  // T2: V1 delivered again with an impossible admit date. V1 is rejected with T2's text; T1's
  // valid version does not stand in, and X1 is kept, flagged with what V1's delivery failed.
  const t2 = "HospitalABC_VisitPay_Visit_20211202_000100.txt";
  await deliver(t2, delivery(VISIT_HEADER, ["V1", "G1", "11/31/2021", "12/2/2021", "15", "I1"]));
  assert.deepEqual(await visits(), [["V2", "G2", "2021-11-03", 2000, t1]]);
  assert.deepEqual(await rejected(), [["V1", "11/31/2021", ["valid_admit_date"], t2]]);
  assert.deepEqual(await transactions(), [
    ["X1", "V1", false, ["valid_admit_date"], 1000],
    ["X2", "V2", true, null, 2000],
  ]);
  assert.deepEqual(await financials(), [["V2", 2000, 2000, false]]);

  // T3: V1 valid again, with new values: it is back, as T3 delivered it.
  const t3 = "HospitalABC_VisitPay_Visit_20211203_000100.txt";
  await deliver(t3, delivery(VISIT_HEADER, ["V1", "G3", "11/5/2021", "11/6/2021", "25", "I3"]));
  const current = [
    ["V1", "G3", "2021-11-05", 2500, t3],
    ["V2", "G2", "2021-11-03", 2000, t1],
  ];
  assert.deepEqual(await visits(), current);
  assert.deepEqual(await rejected(), []);
  assert.deepEqual(await transactions(), [
    ["X1", "V1", true, null, 1000],
    ["X2", "V2", true, null, 2000],
  ]);
  assert.deepEqual(await financials(), [["V1", 2500, 1000, true], ["V2", 2000, 2000, false]]);

  // T0, landed last but older than every visit file: neither its invalid V1 nor its other V2
  // replaces the newer deliveries.
  await deliver(
    "HospitalABC_VisitPay_Visit_20211130_000100.txt",
    delivery(
      VISIT_HEADER,
      ["V1", "G0", "11/31/2021", "11/6/2021", "1", "I0"],
      ["V2", "G0", "10/1/2021", "10/2/2021", "99", "I0"],
    ),
  );
  assert.deepEqual(await visits(), current);
  assert.deepEqual(await rejected(), []);

  // A transaction follows its latest delivery too: X2 delivered again with fractions of a cent
  // is rejected, not replaced by its valid first version.
  await deliver(
    "HospitalABC_VisitPay_Transaction_20211204_000200.txt",
    delivery(TRANSACTION_HEADER, ["X2", "V2", "5", "20.005"]),
  );
  assert.deepEqual(await transactions(), [["X1", "V1", true, null, 1000]]);
  assert.deepEqual(
    (await query(
      p.db,
      "select transaction_id, amount_raw, _failed_checks from intermediate.int_visitpay_transactions__rejected",
    )).map(Object.values),
    [["X2", "20.005", ["amount_in_whole_cents"]]],
  );
});

Deno.test("visit_financials: a visit one of whose transactions was quarantined is not reconciled, even when its kept transactions add up", async () => {
  await using p = await tempProject();
  await p.write(
    "vp/HospitalABC_VisitPay_Procedure_20211201_000000.txt",
    delivery(["ProcedureId", "ProcedureDescription"], ["1", "Office visit"]),
  );
  await p.write(
    "vp/HospitalABC_VisitPay_Visit_20211201_000100.txt",
    delivery(
      VISIT_HEADER,
      ["V1", "G1", "11/1/2021", "11/2/2021", "100.5", "I1"],
      ["V2", "G2", "11/1/2021", "11/2/2021", "7", "I2"],
      ["V3", "G3", "11/1/2021", "11/2/2021", "8", "I3"],
    ),
  );
  await p.write(
    "vp/HospitalABC_VisitPay_Transaction_20211201_000200.txt",
    delivery(
      TRANSACTION_HEADER,
      ["T1", "V1", "1", "100.5"],
      // Procedure 9 is unknown: quarantined (known_procedure).
      ["T2", "V1", "9", "3"],
      ["T3", "V2", "1", "7"],
      ["T4", "V3", "1", "5"],
    ),
  );
  const config = await healthcare(p);
  assert.ok((await land(config, [join(p.root, "vp")], { db: p.db })).ok);
  await buildOk(config, { db: p.db, select: ["+marts.visit_financials"] });
  assert.deepEqual(
    (await query(
      p.db,
      `select visit_id, transactions::int, transactions_cents::int, balance_mismatch,
              quarantined_transactions::int, quarantined_cents::int, reconciliation, reconciled
       from marts.visit_financials order by 1`,
    )).map(Object.values),
    [
      ["V1", 1, 10050, false, 1, 300, "quarantined_transactions", false],
      ["V2", 1, 700, false, 0, null, "reconciled", true],
      ["V3", 1, 500, true, 0, null, "balance_mismatch", false],
    ],
  );
});
