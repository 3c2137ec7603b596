import assert from "node:assert/strict";
import { join } from "node:path";
import { land } from "../../src/land/land.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { healthcare } from "./helpers.ts";

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
      [
        "VisitIdentifier",
        "GuarantorIdentifier",
        "AdmitDate",
        "DischargeDate",
        "VisitBalance",
        "InsuranceIdentifier",
      ],
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
  const build = await runProject("build", config, {
    db: p.db,
    select: ["+marts.visit_financials"],
  });
  assert.ok(
    build.ok,
    JSON.stringify(build.results.filter((r) => !["success", "pass", "warn"].includes(r.status))),
  );
  assert.deepEqual(
    (await query(
      p.db,
      "select visit_id, _failed_checks from staging.stg_visitpay_visits__rejected",
    )).map(Object.values),
    [["V2", ["valid_admit_date"]]],
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
