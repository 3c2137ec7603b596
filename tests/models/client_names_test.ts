import assert from "node:assert/strict";
import { join } from "node:path";
import { land } from "../../src/land/land.ts";
import { tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { buildOk, healthcare } from "./helpers.ts";

const MEMBER_HEADER =
  "member id,member first name,member middle name,member last name,gender,date of birth,address,city,state,zip,membership end date";

Deno.test("a client's files named in another case (PATIENT-MEMBERSHIP-CLIENTA, patient-claim-clienta) are the same client: one member, its claims known", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  await p.write(
    "d1/Patient-membership-clientA-202307.csv",
    [
      MEMBER_HEADER,
      "1,ANN,,SMITH,F,1980-01-02,1 Main St,Boston,MA,02130,2024-12-31",
    ].join("\n") + "\n",
  );
  await p.write(
    "d2/PATIENT-MEMBERSHIP-CLIENTA-202308.csv",
    [
      MEMBER_HEADER,
      "1,ANN,,SMITH,F,1980-01-02,1 Main St,Boston,MA,02130,2023-06-30",
      // A line landing rejects (too many fields): the member is still client A's.
      "2,BOB,,JONES,M,1970-03-04,2 Main St,Boston,MA,02130,2024-12-31,extra",
    ].join("\n") + "\n",
  );
  await p.write(
    "d2/patient-claim-clienta-202308.csv",
    [
      "claim category,member id,claim number,date received,vendor,hospital service,coding system,code,primary diagnosis,total billed,processing status",
      "OP,1,C1,2023-08-05,V,Clinic,ICD10,I10,Hypertension,100.00,Completed",
    ].join("\n") + "\n",
  );
  await p.write(
    "d2/patient-membership-clientb-202308.csv",
    "Elig_Dt,mem_id,Member_Fullname,Dob,Gender,Member_Address,Member_City,Member_State,Member_Zip\n",
  );
  await p.write(
    "d2/PATIENT-CLAIM-CLIENTB-202308.csv",
    "claim_category,memb_id,claim_number,received_date,hospital_service,code_system,code,diagnosis_type,cost_total,status\n",
  );
  for (const folder of ["d1", "d2"]) {
    await land(config, [join(p.root, folder)], { db: p.db });
  }
  await buildOk(config, { db: p.db, select: ["+marts.members", "+marts.member_claims"] });
  assert.deepEqual(
    (await query(
      p.db,
      "select client, member_id, membership_end_date::varchar as ends from marts.members order by member_id",
    )).map(Object.values),
    [["clientA", "1", "2023-06-30"]],
  );
  assert.deepEqual(
    (await query(
      p.db,
      "select client, member_id, _failed_checks from intermediate.int_members__rejected",
    )).map(Object.values),
    [["clientA", "2", ["landed_whole"]]],
  );
  assert.deepEqual(
    (await query(p.db, "select client, claim_number from intermediate.int_claims"))
      .map(Object.values),
    [["clientA", "C1"]],
  );
  assert.deepEqual(
    await query(p.db, "select * from intermediate.int_claims__rejected"),
    [],
  );
  // The file name's own text stays in the lineage.
  assert.deepEqual(
    (await query(p.db, "select distinct _client from raw.claims_client_a")).map(Object.values),
    [["clienta"]],
  );
});
