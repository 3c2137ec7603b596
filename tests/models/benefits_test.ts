import assert from "node:assert/strict";
import { join } from "node:path";
import { land } from "../../src/land/land.ts";
import { createApp } from "../../src/serve/app.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { REAL, serveLocal, type TempProject, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { buildOk, healthcare } from "./helpers.ts";

/** Lands benefit files written into `p`'s `benefits/` folder and builds the mart with its parents. */
async function landAndBuild(p: TempProject, files: Record<string, string>) {
  for (const [name, text] of Object.entries(files)) await p.write(`benefits/${name}`, text);
  const config = await healthcare(p);
  const landed = await land(config, [join(p.root, "benefits")], { db: p.db });
  assert.ok(landed.ok, JSON.stringify(landed.outcomes.filter((o) => o.status !== "landed")));
  const build = await buildOk(config, {
    db: p.db,
    select: ["+marts.member_benefits"],
  });
  return { config, build };
}

Deno.test("the real Nirvana answers, delivered as files without as_of, are the mart's rows and coalesce as the domain says", async () => {
  await using p = await tempProject();
  // Each source's answers (member → figures) as one NDJSON delivery of that source, as delivered:
  // no as_of column (it is optional).
  const files: Record<string, string> = {};
  for (const n of [1, 2, 3]) {
    const answers = JSON.parse(
      await Deno.readTextFile(join(REAL, "nirvana", `server_${n}.json`)),
    ) as Record<string, Record<string, number>>;
    files[`benefits-server_${n}-20240105_101500.ndjson`] = Object.entries(answers)
      .map(([member, figures]) => JSON.stringify({ member_id: member, ...figures }))
      .join("\n") + "\n";
  }
  const { config } = await landAndBuild(p, files);
  assert.deepEqual(
    (await query(
      p.db,
      `select member_id, source, oop_max::int as o, remaining_oop_max::int as r, copay::int as c,
              as_of = '2024-01-05 10:15:00+00'::timestamptz as delivery_time
       from marts.member_benefits order by 1, 2`,
    )).map(Object.values),
    [
      ["1", "server_1", 10000, 9000, 1000, true],
      ["1", "server_2", 20000, 9000, 50000, true],
      ["1", "server_3", 10000, 8000, 1000, true],
      ["2", "server_1", 99999, 0, 1111, true],
      ["2", "server_2", 111111, 100, 2222, true],
      ["2", "server_3", 123123, 1000, 1234, true],
      ["3", "server_1", 1234567, 98765, 0, true],
    ],
  );
  const prepared = await prepareServer(config, { db: p.db, pollMs: 60_000 });
  await using server = serveLocal(createApp(prepared.deps).fetch);
  try {
    const answer = async (strategy: string, member: string) =>
      await (await fetch(`${server.base}/api/coalescence/${strategy}?member_id=${member}`)).json();
    // default: the largest oop_max and remaining_oop_max; the largest copay, never above that
    // remaining_oop_max.
    assert.deepEqual(await answer("default", "1"), {
      oop_max: 20000,
      remaining_oop_max: 9000,
      copay: 9000,
    });
    assert.deepEqual(await answer("default", "2"), {
      oop_max: 123123,
      remaining_oop_max: 1000,
      copay: 1000,
    });
    assert.deepEqual(await answer("min", "3"), {
      oop_max: 1234567,
      remaining_oop_max: 98765,
      copay: 0,
    });
  } finally {
    await prepared.close();
  }
});

Deno.test("benefit figures that are no whole number of cents, out of range or with an unreadable as_of are rejected with the delivered text, never rounded", async () => {
  await using p = await tempProject();
  const { build } = await landAndBuild(p, {
    "benefits-payer_y-20240103_000000.csv": [
      "member_id,oop_max,remaining_oop_max,copay,as_of",
      "7,12.5,10,5,2024-01-01",
      "8,10000,9000,99.5,2024-01-01",
      "9,200000000000,9000,10,2024-01-01",
      "10,10000,-1,10,2024-01-01",
      "11,10000,9000,10,notadate",
      "12,10000,9000,ten,2024-01-01",
      "13,10000.0,9000,10,",
      "14,100,900,10,2024-01-01",
    ].join("\n") + "\n",
  });
  const judged = build.results.find((r) => r.id === "intermediate.int_benefits")!;
  assert.deepEqual([judged.rows, judged.rejected], [1, 7]);
  assert.deepEqual(
    (await query(
      p.db,
      `select member_id, oop_max_raw, remaining_oop_max_raw, copay_raw, as_of_raw,
              array_to_string(_failed_checks, ' ') as failed, _row_number::int as line
       from intermediate.int_benefits__rejected order by _row_number`,
    )).map(Object.values),
    [
      ["7", "12.5", "10", "5", "2024-01-01", "whole_amounts", 2],
      ["8", "10000", "9000", "99.5", "2024-01-01", "whole_amounts", 3],
      ["9", "200000000000", "9000", "10", "2024-01-01", "valid_amounts", 4],
      ["10", "10000", "-1", "10", "2024-01-01", "valid_amounts", 5],
      ["11", "10000", "9000", "10", "notadate", "valid_as_of", 6],
      ["12", "10000", "9000", "ten", "2024-01-01", "whole_amounts", 7],
      ["14", "100", "900", "10", "2024-01-01", "remaining_within_max", 9],
    ],
  );
  // 10000.0 is a whole number of cents; the row without as_of takes its delivery time.
  assert.deepEqual(
    (await query(
      p.db,
      "select member_id, oop_max::int as o, as_of::varchar as as_of from marts.member_benefits",
    )).map(Object.values),
    [["13", 10000, "2024-01-03 00:00:00+00"]],
  );
});

Deno.test("a source's latest figures for a member decide: rejected ones are not replaced by older ones, later valid ones come back, and a late file changes nothing", async () => {
  await using p = await tempProject();
  const header = "member_id,oop_max,remaining_oop_max,copay,as_of";
  const figures = async () =>
    (await query(
      p.db,
      `select member_id, oop_max::int as o, parse_filename(_file) as file
       from intermediate.int_benefits order by 1`,
    )).map(Object.values);
  const rejected = async () =>
    (await query(
      p.db,
      `select member_id, oop_max_raw, _failed_checks, parse_filename(_file) as file
       from intermediate.int_benefits__rejected order by 1`,
    )).map(Object.values);
  const first = "benefits-payer_y-20240101_000000.csv";
  await landAndBuild(p, {
    [first]: [header, "1,10000,9000,10,2024-01-01", "2,20000,9000,10,2024-01-01"].join("\n") + "\n",
  });
  assert.deepEqual(await figures(), [["1", 10000, first], ["2", 20000, first]]);
  // The next delivery's figures for member 1 are no whole number of cents: member 1 has no
  // figures from payer_y (the January ones are stale), not January's.
  const second = "benefits-payer_y-20240201_000000.csv";
  await landAndBuild(p, { [second]: [header, "1,12.5,9000,10,2024-02-01"].join("\n") + "\n" });
  assert.deepEqual(await figures(), [["2", 20000, first]]);
  assert.deepEqual(await rejected(), [["1", "12.5", ["whole_amounts"], second]]);
  // Within one delivery an as_of that cannot be read may be the latest: it is judged, not passed
  // over for an older readable one.
  const third = "benefits-payer_y-20240301_000000.csv";
  await landAndBuild(p, {
    [third]: [header, "2,25000,9000,10,2024-03-01", "2,26000,9000,10,notadate"].join("\n") + "\n",
  });
  assert.deepEqual(await figures(), []);
  assert.deepEqual(await rejected(), [
    ["1", "12.5", ["whole_amounts"], second],
    ["2", "26000", ["valid_as_of"], third],
  ]);
  // Valid figures delivered later bring both back; a late file (older, landed last) changes
  // nothing.
  const fourth = "benefits-payer_y-20240401_000000.csv";
  await landAndBuild(p, {
    [fourth]: [header, "1,14000,9000,10,2024-04-01", "2,24000,9000,10,2024-04-01"].join("\n") +
      "\n",
  });
  const current = [["1", 14000, fourth], ["2", 24000, fourth]];
  assert.deepEqual(await figures(), current);
  assert.deepEqual(await rejected(), []);
  await landAndBuild(p, {
    "benefits-payer_y-20231201_000000.csv": [header, "1,1,1,1,2023-12-01", "2,12.5,1,1,"].join(
      "\n",
    ) + "\n",
  });
  assert.deepEqual(await figures(), current);
  assert.deepEqual(await rejected(), []);
});

Deno.test("a member whose latest figures were rejected is unknown, naming the source and its checks (502, not 404); another source answers for them; an unknown member is 404", async () => {
  await using p = await tempProject();
  const header = "member_id,oop_max,remaining_oop_max,copay,as_of";
  const { config } = await landAndBuild(p, {
    "benefits-payer_x-20240101_000000.csv": [header, "2,30000,20000,50,2024-01-01"].join("\n") +
      "\n",
    "benefits-payer_y-20240101_000000.csv": [
      header,
      "1,10000,9000,10,2024-01-01",
      "2,20000,9000,10,2024-01-01",
    ].join("\n") + "\n",
    // payer_y's latest figures: member 1's fail three checks, member 2's as_of is no date.
    "benefits-payer_y-20240201_000000.csv": [
      header,
      "1,12.5,-1,10,notadate",
      "2,20000,9000,10,notadate",
    ].join("\n") + "\n",
  });
  const prepared = await prepareServer(config, { db: p.db, pollMs: 0 });
  await using server = serveLocal(createApp(prepared.deps).fetch);
  try {
    const get = async (path: string) => {
      const res = await fetch(`${server.base}${path}`);
      return { status: res.status, body: await res.json() };
    };
    const quarantine = "intermediate.int_benefits__rejected";
    // Member 1 is known, but its only source's latest figures are unusable: the answer is
    // unknown, not "not found" (and January's figures do not stand in).
    const member1 = {
      source: "landed:payer_y",
      status: "failed",
      error: `figures rejected: valid_amounts, valid_as_of, whole_amounts; see ${quarantine}`,
      rejected: ["valid_amounts", "valid_as_of", "whole_amounts"],
    };
    for (const explain of ["", "&explain=true"]) {
      assert.deepEqual(await get(`/api/coalescence/default?member_id=1${explain}`), {
        status: 502,
        body: {
          error:
            `Every source failed for member 1: landed:payer_y (figures rejected: valid_amounts, valid_as_of, whole_amounts; see ${quarantine})`,
          sources: [member1],
        },
      });
    }
    // Member 2: payer_x answers, with the bare three fields; explain names payer_y as left out.
    assert.deepEqual(await get("/api/coalescence/max?member_id=2"), {
      status: 200,
      body: { oop_max: 30000, remaining_oop_max: 20000, copay: 50 },
    });
    assert.deepEqual(await get("/api/coalescence/max?member_id=2&explain=true"), {
      status: 200,
      body: {
        oop_max: 30000,
        remaining_oop_max: 20000,
        copay: 50,
        strategy: "max",
        sources: [
          {
            source: "landed:payer_x",
            status: "ok",
            values: { oop_max: 30000, remaining_oop_max: 20000, copay: 50 },
            as_of: "2024-01-01 00:00:00+00",
          },
          {
            source: "landed:payer_y",
            status: "failed",
            error: `figures rejected: valid_as_of; see ${quarantine}`,
            rejected: ["valid_as_of"],
          },
        ],
      },
    });
    // No source knows member 99: still "not found".
    assert.deepEqual(await get("/api/coalescence/max?member_id=99"), {
      status: 404,
      body: { error: "No info found for member 99" },
    });
  } finally {
    await prepared.close();
  }
});

Deno.test("membership files without their optional contact columns build: those are NULL", async () => {
  await using p = await tempProject();
  await p.write(
    "members/Patient-membership-clientA-202307.csv",
    [
      "member id,member first name,member middle name,member last name,gender,date of birth,address,city,state,zip,membership end date",
      "100,ANN,,SMITH,F,1980-01-02,1 Main St,Boston,MA,2130,2024-12-31",
    ].join("\n") + "\n",
  );
  await p.write(
    "members/Patient-membership-clientB-202307.csv",
    [
      "Elig_Dt,mem_id,Member_Fullname,Dob,Gender,Member_Address,Member_City,Member_State,Member_Zip",
      '2024-10-01 00:00:00,B7,"DOE, JANE A",1990-05-06 00:00:00,F,2 Elm St,RICHMOND,VA,23220',
    ].join("\n") + "\n",
  );
  const config = await healthcare(p);
  assert.ok((await land(config, [join(p.root, "members")], { db: p.db })).ok);
  await buildOk(config, { db: p.db, select: ["+marts.members"] });
  assert.deepEqual(
    (await query(
      p.db,
      "select member_id, first_name, zip, phone, ethnicity from intermediate.int_members order by 1",
    )).map(Object.values),
    [["100", "Ann", "02130", null, null], ["B7", "Jane", "23220", null, null]],
  );
});
