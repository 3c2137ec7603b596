import assert from "node:assert/strict";
import { join } from "node:path";
import { land } from "../../src/land/land.ts";
import { type TempProject, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { buildOk, healthcare } from "./helpers.ts";

const CLIENT_A_HEADER =
  "member id,member first name,member middle name,member last name,gender,date of birth,address,city,state,zip,membership end date";

const CLIENT_B_HEADER =
  "Elig_Dt,mem_id,Member_Fullname,Dob,Gender,Member_Address,Member_City,Member_State,Member_Zip";

/**
 * Lands client A's members (CSV lines after the header) and client B's
 * (one clean member unless given), and builds marts.members.
 */
async function buildMembers(
  p: TempProject,
  clientA: string[],
  clientB = [
    '2024-10-01 00:00:00,B7,"DOE, JANE A",1990-05-06 00:00:00,F,2 Elm St,RICHMOND,VA,23220',
  ],
) {
  await p.write(
    "members/Patient-membership-clientA-202307.csv",
    [CLIENT_A_HEADER, ...clientA].join("\n") + "\n",
  );
  await p.write(
    "members/Patient-membership-clientB-202307.csv",
    [CLIENT_B_HEADER, ...clientB].join("\n") + "\n",
  );
  const config = await healthcare(p);
  assert.ok((await land(config, [join(p.root, "members")], { db: p.db })).ok);
  const build = await buildOk(config, { db: p.db, select: ["+marts.members"] });
  return build;
}

Deno.test("a date needs its four-digit year: 1/1/21 is neither 2021 nor year 21, it is unreadable and recorded", async () => {
  await using p = await tempProject();
  await buildMembers(p, [
    "1,ANN,,SMITH,F,1/1/21,1 Main St,Boston,MA,02130,2024-12-31",
    "2,BEN,,JONES,M,0021-01-01,1 Main St,Boston,MA,02130,2024-12-31",
    '3,CAL,,LEE,M,"April 4, 03",1 Main St,Boston,MA,02130,2024-12-31',
    "4,DOT,,KIM,F,1/1/2021,1 Main St,Boston,MA,02130,2024-12-31",
    '5,EVE,,ROE,F,"April 4, 2003",1 Main St,Boston,MA,02130,2024-12-31',
    "6,FAY,,DOE,F,1980-01-02,1 Main St,Boston,MA,02130,12/31/24",
    '7,GUS,,ROY,M,"September 11, 2026",1 Main St,Boston,MA,02130,2024-12-31',
  ]);
  assert.deepEqual(
    (await query(
      p.db,
      "select member_id, date_of_birth::varchar as dob from marts.members where client = 'clientA' order by 1",
    )).map(Object.values),
    [
      ["1", null],
      ["2", null],
      ["3", null],
      ["4", "2021-01-01"],
      ["5", "2003-04-04"],
      ["7", null],
    ],
  );
  // Unreadable or in the future, a date of birth is recorded under date_of_birth, as delivered.
  assert.deepEqual(
    (await query(
      p.db,
      `select row_key->>'member_id' as member_id, column_name, value, failed_check
       from intermediate.int_members__rejected_values order by 1`,
    )).map(Object.values),
    [
      ["1", "date_of_birth", "1/1/21", "valid_date_of_birth"],
      ["2", "date_of_birth", "0021-01-01", "valid_date_of_birth"],
      ["3", "date_of_birth", "April 4, 03", "valid_date_of_birth"],
      ["7", "date_of_birth", "September 11, 2026", "date_of_birth_not_after_as_of_date"],
    ],
  );
  // An end date with a two-digit year decides nothing: the member is rejected, with the text.
  assert.deepEqual(
    (await query(
      p.db,
      "select member_id, membership_end_date_raw, _failed_checks from intermediate.int_members__rejected",
    )).map(Object.values),
    [["6", "12/31/24", ["valid_membership_end_date"]]],
  );
  // The rule is the macro's, for every format it reads.
  assert.deepEqual(
    (await query(
      p.db,
      `select t, parse_date_any(t)::varchar as d from (values
         ('1/1/21'), ('1/1/021'), ('1/1/0999'), ('21-01-01'), ('0999-12-31'),
         ('0021-01-01 00:00:00'), ('Apr 4, 3'), ('1/1/1000'), ('2023-10-31 00:00:00'),
         ('October 31, 2023'), ('11/31/2023'), ('12/31/23 0:00'), ('1/1/0999 0:00:00'),
         ('2/30/2024 0:00')) as v(t) order by t`,
    )).map(Object.values),
    [
      ["0021-01-01 00:00:00", null],
      ["0999-12-31", null],
      ["1/1/021", null],
      ["1/1/0999", null],
      ["1/1/0999 0:00:00", null],
      ["1/1/1000", "1000-01-01"],
      ["1/1/21", null],
      ["11/31/2023", null],
      ["12/31/23 0:00", null],
      ["2/30/2024 0:00", null],
      ["2023-10-31 00:00:00", "2023-10-31"],
      ["21-01-01", null],
      ["Apr 4, 3", null],
      ["October 31, 2023", "2023-10-31"],
    ],
  );
});

Deno.test("a ZIP+4 that lost its leading zero gets it back, and its five digits must be a US ZIP code as a plain ZIP's", async () => {
  await using p = await tempProject();
  await buildMembers(p, [
    "1,ANN,,SMITH,F,1980-01-02,1 Main St,Boston,MA,2130-1234,2024-12-31",
    "2,BEN,,JONES,M,1980-01-02,1 Main St,Boston,MA,2130,2024-12-31",
    "3,CAL,,LEE,M,1980-01-02,1 Calle,San Juan,PR,601-1234,2024-12-31",
    "4,DOT,,KIM,F,1980-01-02,1 Main St,Boston,MA,9999-1234,2024-12-31",
    "5,EVE,,ROE,F,1980-01-02,1 Main St,Boston,MA,02130-1234,2024-12-31",
    "6,FAY,,DOE,F,1980-01-02,1 Main St,Boston,MA,2130-12,2024-12-31",
  ]);
  assert.deepEqual(
    (await query(
      p.db,
      "select member_id, zip from marts.members where client = 'clientA' order by 1",
    )).map(Object.values),
    [
      ["1", "02130-1234"],
      ["2", "02130"],
      ["3", "00601-1234"],
      ["4", null],
      ["5", "02130-1234"],
      ["6", null],
    ],
  );
  assert.deepEqual(
    (await query(
      p.db,
      `select row_key->>'member_id' as member_id, value, failed_check
       from intermediate.int_members__rejected_values order by 1`,
    )).map(Object.values),
    [["4", "09999-1234", "known_zip"], ["6", "2130-12", "valid_zip"]],
  );
});

Deno.test("a name re-cased keeps its apostrophe, typographic ones too: O’BRIEN (0x92 in a Windows-1252 file) is O’Brien", async () => {
  await using p = await tempProject();
  // What a Windows export writes: 0x92 is the right single quote (U+2019), 0xC9 is É.
  await p.write(
    "members/Patient-membership-clientA-202306.csv",
    Uint8Array.from(
      `${CLIENT_A_HEADER}\n9,REN\xc9E,,O\x92BRIEN,F,1980-03-03,1 Elm St,BOSTON,MA,02130,2024-12-31\n`,
      (ch) => ch.charCodeAt(0),
    ),
  );
  await buildMembers(p, [
    "1,ANN,,O'BRIEN,F,1980-01-02,1 Main St,Boston,MA,02130,2024-12-31",
    "2,BEN,,D’ARCY-O’NEIL,M,1980-01-02,1 Main St,Boston,MA,02130,2024-12-31",
    "3,CAL,,oʼneil,M,1980-01-02,1 Main St,Boston,MA,02130,2024-12-31",
    "4,DOT,,MARY-ANN,F,1980-01-02,1 Main St,Boston,MA,02130,2024-12-31",
    "5,EVE,,d’Arcy,F,1980-01-02,1 Main St,Boston,MA,02130,2024-12-31",
  ]);
  assert.deepEqual(
    (await query(
      p.db,
      "select member_id, first_name, last_name from marts.members where client = 'clientA' order by 1",
    )).map(Object.values),
    [
      ["1", "Ann", "O'Brien"],
      ["2", "Ben", "D’Arcy-O’Neil"],
      ["3", "Cal", "OʼNeil"],
      ["4", "Dot", "Mary-Ann"],
      // Mixed case is kept as delivered.
      ["5", "Eve", "d’Arcy"],
      ["9", "Renée", "O’Brien"],
    ],
  );
});

Deno.test("Excel's date-time text (12/31/2023 0:00, with seconds too) is a date: the member is kept, not rejected", async () => {
  await using p = await tempProject();
  await buildMembers(
    p,
    [
      // What Excel writes for a date cell when it saves a CSV.
      "1,ZED,,RAY,M,4/5/1970 0:00,1 Main St,Boston,MA,02130,12/31/2023 0:00",
      "2,ANN,,SMITH,F,4/5/1970 0:00:00,1 Main St,Boston,MA,02130,6/30/2023 0:00:00",
      // A time that is not midnight is dropped, as after 2023-10-31: the day is the date's.
      "3,BEN,,JONES,M,4/5/1970 13:45,1 Main St,Boston,MA,02130,12/31/2023 23:59:59",
      // The date still needs its four-digit year and its day.
      "4,CAL,,LEE,M,4/5/70 0:00,1 Main St,Boston,MA,02130,12/31/2023 0:00",
      "5,DOT,,KIM,F,4/5/1970 0:00,1 Main St,Boston,MA,02130,2/30/2024 0:00",
    ],
    ['12/31/2024 0:00,B7,"DOE, JANE A",5/6/1990 0:00,F,2 Elm St,RICHMOND,VA,23220'],
  );
  assert.deepEqual(
    (await query(
      p.db,
      `select client, member_id, date_of_birth::varchar, membership_end_date::varchar, status
       from marts.members order by 1, 2`,
    )).map(Object.values),
    [
      ["clientA", "1", "1970-04-05", "2023-12-31", "active"],
      ["clientA", "2", "1970-04-05", "2023-06-30", "inactive"],
      ["clientA", "3", "1970-04-05", "2023-12-31", "active"],
      ["clientA", "4", null, "2023-12-31", "active"],
      ["clientB", "B7", "1990-05-06", "2024-12-31", "active"],
    ],
  );
  assert.deepEqual(
    (await query(
      p.db,
      "select member_id, membership_end_date_raw, _failed_checks from intermediate.int_members__rejected",
    )).map(Object.values),
    [["5", "2/30/2024 0:00", ["valid_membership_end_date"]]],
  );
  assert.deepEqual(
    (await query(
      p.db,
      `select row_key->>'member_id', value, failed_check
       from intermediate.int_members__rejected_values`,
    )).map(Object.values),
    [["4", "4/5/70 0:00", "valid_date_of_birth"]],
  );
});
