import assert from "node:assert/strict";
import { join } from "node:path";
import { land } from "../../src/land/land.ts";
import { tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { buildOk, healthcare } from "./helpers.ts";

const CLAIM_HEADER =
  "claim category,member id,claim number,date received,vendor,hospital service,coding system,code,primary diagnosis,total billed,processing status";

Deno.test("a claim's latest delivery decides: rejected when it is invalid (no older version stands in), back when a later one is valid, and a late file changes nothing", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  let step = 0;
  /** Lands files (name → lines) in a folder of their own, then builds the claim models. */
  async function deliver(files: Record<string, string[]>): Promise<void> {
    const folder = `delivery_${++step}`;
    for (const [name, lines] of Object.entries(files)) {
      await p.write(`${folder}/${name}`, lines.join("\n") + "\n");
    }
    const landed = await land(config, [join(p.root, folder)], { db: p.db });
    assert.ok(landed.ok, JSON.stringify(landed));
    await buildOk(config, {
      db: p.db,
      select: ["+marts.member_claims"],
    });
  }
  const claim = (number: string, received: string, billed: string) =>
    `OP,1,${number},${received},V,Clinic,ICD10,I10,Hypertension,${billed},Completed`;
  const claims = async () =>
    (await query(
      p.db,
      `select claim_number, received_date::varchar as received, billed_cents::int as cents,
              parse_filename(_file) as file
       from intermediate.int_claims order by 1`,
    )).map(Object.values);
  const rejected = async () =>
    (await query(
      p.db,
      `select claim_number, received_date_raw, _failed_checks, parse_filename(_file) as file
       from intermediate.int_claims__rejected order by 1`,
    )).map(Object.values);
  const totals = async () =>
    (await query(
      p.db,
      "select member_id, claims::int as n, billed_cents::int as cents from marts.member_claims",
    )).map(Object.values);

  const july = "Patient-claim-clientA-202307.csv";
  await deliver({
    "Patient-membership-clientA-202307.csv": [
      "member id,member first name,member middle name,member last name,gender,date of birth,address,city,state,zip,membership end date",
      "1,ANN,,SMITH,F,1980-01-02,1 Main St,Boston,MA,02130,2024-12-31",
    ],
    // Client B delivers nothing here but its (empty) files.
    "Patient-membership-clientB-202307.csv": [
      "Elig_Dt,mem_id,Member_Fullname,Dob,Gender,Member_Address,Member_City,Member_State,Member_Zip",
    ],
    "Patient-claim-clientB-202307.csv": [
      "claim_category,memb_id,claim_number,received_date,hospital_service,code_system,code,diagnosis_type,cost_total,status",
    ],
    [july]: [
      CLAIM_HEADER,
      claim("C1", "2023-07-05", "100.00"),
      claim("C2", "2023-07-06", "50.00"),
    ],
  });
  assert.deepEqual(await claims(), [
    ["C1", "2023-07-05", 10000, july],
    ["C2", "2023-07-06", 5000, july],
  ]);

  // August delivers C1 again with an impossible date: C1 is rejected with August's text; July's
  // valid version does not stand in, and the member's totals leave it out.
  const august = "Patient-claim-clientA-202308.csv";
  await deliver({ [august]: [CLAIM_HEADER, claim("C1", "2023-06-31", "120.00")] });
  assert.deepEqual(await claims(), [["C2", "2023-07-06", 5000, july]]);
  assert.deepEqual(await rejected(), [["C1", "2023-06-31", ["valid_received_date"], august]]);
  assert.deepEqual(await totals(), [["1", 1, 5000]]);

  // September delivers C1 valid again: it is back, as September delivered it.
  const september = "Patient-claim-clientA-202309.csv";
  await deliver({ [september]: [CLAIM_HEADER, claim("C1", "2023-09-01", "130.00")] });
  const current = [
    ["C1", "2023-09-01", 13000, september],
    ["C2", "2023-07-06", 5000, july],
  ];
  assert.deepEqual(await claims(), current);
  assert.deepEqual(await rejected(), []);
  assert.deepEqual(await totals(), [["1", 2, 18000]]);

  // June's file, landed last, is older than every other: it changes nothing.
  await deliver({
    "Patient-claim-clientA-202306.csv": [
      CLAIM_HEADER,
      claim("C1", "2023-06-31", "1.00"),
      claim("C2", "2023-06-01", "2.00"),
    ],
  });
  assert.deepEqual(await claims(), current);
  assert.deepEqual(await rejected(), []);
});

Deno.test("billed amounts from a workbook: $20.00 and 1,234.56 are exact cents, an empty amount or one that is no number rejects the claim with its reason, never 0", async () => {
  const { default: ExcelJS } = await import("exceljs");
  await using p = await tempProject();
  const config = await healthcare(p);
  await p.write(
    "in/Patient-membership-clientA-202307.csv",
    "member id,member first name,member middle name,member last name,gender,date of birth,address,city,state,zip,membership end date\n1,ANN,,SMITH,F,1980-01-02,1 Main St,Boston,MA,02130,2024-12-31\n",
  );
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet("Claims");
  ws.addRow(CLAIM_HEADER.split(","));
  const claim = (number: string, billed: unknown) =>
    ws.addRow([
      "OP",
      "1",
      number,
      "2023-07-05",
      "V",
      "Clinic",
      "ICD10",
      "I10",
      "Hypertension",
      billed,
      "Completed",
    ]);
  claim("DOLLAR", "$20.00");
  claim("THOUSANDS", "1,234.56");
  claim("BOTH", "$1,234,567.8");
  claim("NEGATIVE", "-$5.00");
  claim("EMPTY", null);
  claim("BLANK", " ");
  claim("EUROPEAN", "1.234,56");
  claim("GROUPS", "1,23");
  claim("SUB_CENT", "$1.234");
  // A number cell shown as currency lands as its value.
  claim("FORMATTED", 20).getCell(10).numFmt = '"$"#,##0.00';
  await wb.xlsx.writeFile(`${p.root}/in/Patient-claim-clientA-202307.xlsx`);
  await p.write(
    "in/Patient-membership-clientB-202307.csv",
    "Elig_Dt,mem_id,Member_Fullname,Dob,Gender,Member_Address,Member_City,Member_State,Member_Zip\n",
  );
  await p.write(
    "in/Patient-claim-clientB-202307.csv",
    "claim_category,memb_id,claim_number,received_date,hospital_service,code_system,code,diagnosis_type,cost_total,status\n",
  );
  const landed = await land(config, [join(p.root, "in")], { db: p.db });
  assert.ok(landed.ok, JSON.stringify(landed));
  await buildOk(config, { db: p.db, select: ["+marts.member_claims"] });
  assert.deepEqual(
    await query(
      p.db,
      "select claim_number, billed_raw, billed_cents::varchar as cents from intermediate.int_claims order by 1",
    ),
    [
      ["BOTH", "$1,234,567.8", "123456780"],
      ["DOLLAR", "$20.00", "2000"],
      ["FORMATTED", "20", "2000"],
      ["THOUSANDS", "1,234.56", "123456"],
    ].map(([claim_number, billed_raw, cents]) => ({ claim_number, billed_raw, cents })),
  );
  assert.deepEqual(
    await query(
      p.db,
      "select claim_number, billed_raw, _failed_checks from intermediate.int_claims__rejected order by 1",
    ),
    [
      ["BLANK", " ", ["billed_amount_delivered"]],
      ["EMPTY", null, ["billed_amount_delivered"]],
      ["EUROPEAN", "1.234,56", ["valid_billed_amount"]],
      ["GROUPS", "1,23", ["valid_billed_amount"]],
      ["NEGATIVE", "-$5.00", ["valid_billed_amount"]],
      ["SUB_CENT", "$1.234", ["billed_in_whole_cents"]],
    ].map(([claim_number, billed_raw, _failed_checks]) => ({
      claim_number,
      billed_raw,
      _failed_checks,
    })),
  );
  assert.deepEqual(
    await query(
      p.db,
      "select claims::int as n, billed_cents::varchar as cents from marts.member_claims",
    ),
    [{ n: 4, cents: String(2000 + 123456 + 123456780 + 2000) }],
  );
});

Deno.test("a claims file delivered as A, then B, then A again under one name: the mart shows A", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  await p.write(
    "in/Patient-membership-clientA-202311.csv",
    "member id,member first name,member middle name,member last name,gender,date of birth,address,city,state,zip,membership end date\n1,ANN,,SMITH,F,1980-01-02,1 Main St,Boston,MA,02130,2024-12-31\n",
  );
  await p.write(
    "in/Patient-membership-clientB-202311.csv",
    "Elig_Dt,mem_id,Member_Fullname,Dob,Gender,Member_Address,Member_City,Member_State,Member_Zip\n",
  );
  await p.write(
    "in/Patient-claim-clientB-202311.csv",
    "claim_category,memb_id,claim_number,received_date,hospital_service,code_system,code,diagnosis_type,cost_total,status\n",
  );
  const claim = (number: string, billed: string) =>
    `OP,1,${number},2023-11-05,V,Clinic,ICD10,I10,Hypertension,${billed},Completed`;
  const a = [CLAIM_HEADER, claim("C1", "100.00"), claim("C2", "50.00")].join("\n") + "\n";
  const file = await p.write("in/Patient-claim-clientA-202311.csv", a);
  for (const text of [a, [CLAIM_HEADER, claim("C1", "80.00")].join("\n") + "\n", a]) {
    await Deno.writeTextFile(file, text);
    const landed = await land(config, [join(p.root, "in")], { db: p.db });
    assert.ok(landed.ok, JSON.stringify(landed));
  }
  const batches = await query(
    p.db,
    "select batch_id::int as b, rows::int as rows from wharf.files where file_name = 'Patient-claim-clientA-202311.csv' order by b",
  );
  assert.deepEqual(batches.map((r) => r.rows), [2, 1, 2]);
  const latest = batches[2]!.b;
  await buildOk(config, { db: p.db, select: ["+marts.member_claims"] });
  assert.deepEqual(
    await query(
      p.db,
      "select claim_number, billed_cents::int as cents, _batch_id::int as b from intermediate.int_claims order by 1",
    ),
    [{ claim_number: "C1", cents: 10000, b: latest }, {
      claim_number: "C2",
      cents: 5000,
      b: latest,
    }],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select claims::int as n, billed_cents::int as cents from marts.member_claims",
    ),
    [{ n: 2, cents: 15000 }],
  );
});
