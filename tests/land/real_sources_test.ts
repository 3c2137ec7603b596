import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig, type ResolvedConfig } from "../../src/config.ts";
import { FileNameError, HeaderMismatchError } from "../../src/engine/errors.ts";
import { land, landUpload } from "../../src/land/land.ts";
import { REAL, REPO, tempProject } from "../helpers.ts";
import { query } from "./helpers.ts";

/** The shipped project's configuration, writing only inside `root`. */
async function shipped(root: string): Promise<ResolvedConfig> {
  const base = await loadConfig(REPO);
  return {
    ...base,
    paths: {
      ...base.paths,
      target: join(root, "target"),
      cache: join(root, "cache"),
      staging: join(root, "staging"),
    },
  };
}

Deno.test("the shipped sources take every real VisitPay and Waymark delivery; repeated bytes under a new name are a delivery of their own", async () => {
  await using p = await tempProject();
  const config = await shipped(p.root);
  const summary = await land(config, [join(REAL, "visitpay"), join(REAL, "waymark")], {
    db: p.db,
  });
  const name = (f: string) => f.split("/").pop()!;
  assert.deepEqual(
    summary.outcomes.filter((o) => o.file.endsWith(".csv") || o.file.endsWith(".txt")).map((
      o,
    ) => [name(o.file), o.status, o.rows, o.rejectedRows]),
    [
      ["HospitalABC_VisitPay_Procedure_20211129_223357.txt", "landed", 5, 0],
      ["HospitalABC_VisitPay_Procedure_20211201_223357.txt", "landed", 5, 0],
      ["HospitalABC_VisitPay_Procedure_20211202_223357.txt", "landed", 1, 0],
      ["HospitalABC_VisitPay_Visit_20211201_223005.txt", "landed", 10, 0],
      ["HospitalABC_VisitPay_Visit_20211202_223005.txt", "landed", 1, 0],
      ["HospitalABC_VisitPay_Transaction_20211201_223133.txt", "landed", 17, 0],
      ["HospitalABC_VisitPay_Transaction_20211202_223133.txt", "landed", 1, 0],
      ["Patient-membership-clientA-202307.csv", "landed", 26, 0],
      ["Patient-membership-clientA-202308.csv", "landed", 28, 0],
      ["Patient-membership-clientB-202307.csv", "landed", 12, 0],
      ["Patient-claim-clientA-202307.csv", "landed", 35, 0],
      ["Patient-claim-clientA-202308.csv", "landed", 35, 0],
      ["Patient-claim-clientB-202307.csv", "landed", 30, 0],
    ],
  );
  // The workbooks land too, with the rows of the CSV dumps beside them (client B's membership
  // sheet has formatted blank cells after its last header: formatting, not columns).
  assert.deepEqual(
    summary.outcomes.filter((o) => o.file.endsWith(".xlsx")).map((o) => [
      name(o.file),
      o.status,
      o.rows,
    ]),
    [
      ["Patient-membership-clientA-202307.xlsx", "landed", 26],
      ["Patient-membership-clientA-202308.xlsx", "landed", 28],
      ["Patient-membership-clientB-202307.xlsx", "landed", 12],
      ["Patient-claim-clientA-202307.xlsx", "landed", 35],
      ["Patient-claim-clientA-202308.xlsx", "landed", 35],
      ["Patient-claim-clientB-202307.xlsx", "landed", 30],
    ],
  );
  // 20211201's procedures repeat 20211129's bytes: a delivery of its own, noted as such.
  assert.match(
    summary.outcomes[1]!.message!,
    /^same content as .*\/HospitalABC_VisitPay_Procedure_20211129_223357\.txt \(batch 1\)$/,
  );
  assert.deepEqual(
    await query(
      p.db,
      "SELECT timezone('UTC', _delivered_at)::VARCHAR AS d, count(*)::INT AS n FROM raw.visitpay_procedure GROUP BY 1 ORDER BY 1",
    ),
    [
      { d: "2021-11-29 22:33:57", n: 5 },
      { d: "2021-12-01 22:33:57", n: 5 },
      { d: "2021-12-02 22:33:57", n: 1 },
    ],
  );
});

Deno.test("a misrouted or misnamed upload is refused before anything lands, even as the first delivery", async () => {
  await using p = await tempProject();
  const config = await shipped(p.root);
  const clientB = await Deno.readFile(join(REAL, "waymark", "Patient-claim-clientB-202307.csv"));
  const upload = await p.write("upload/claims.csv", clientB);
  // A name that does not fit client A's pattern, with no fields: refused, naming the pattern.
  const unnamed = await landUpload(config, {
    db: p.db,
    source: "claims_client_a",
    path: upload,
    name: "claims.csv",
  });
  assert.equal(unnamed.status, "failed");
  assert.ok(unnamed.error instanceof FileNameError);
  assert.match(
    unnamed.message!,
    /^File "claims\.csv" does not match the pattern of source "claims_client_a" \(.*\): rename it, or name its delivery fields \(--field client=… --field period=…\)$/,
  );
  // Fields named, but client B's header: refused by client A's declared columns.
  const misrouted = await landUpload(config, {
    db: p.db,
    source: "claims_client_a",
    path: upload,
    name: "claims.csv",
    fields: { client: "clientA", period: "202307" },
  });
  assert.equal(misrouted.status, "failed");
  assert.ok(misrouted.error instanceof HeaderMismatchError);
  assert.deepEqual(misrouted.error.missing, ["member_id"]);
  assert.deepEqual(misrouted.error.unexpected, [
    "memb_id",
    "received_date",
    "code_system",
    "diagnosis_type",
    "cost_total",
    "status",
  ]);
  assert.equal(
    misrouted.message,
    'File "claims.csv" does not fit source "claims_client_a": missing required column member_id; unexpected columns "memb_id", "received_date", "code_system", "diagnosis_type", "cost_total", "status". Is it the right kind of file for this source? (Its columns are declared in wharf.config.ts.)',
  );
  assert.deepEqual(
    await query(
      p.db,
      "SELECT count(*)::INT AS n FROM information_schema.tables WHERE table_schema = 'raw'",
    ),
    [{ n: 0 }],
  );
  // The real client A file then lands as the first delivery of its table.
  const clientA = await landUpload(config, {
    db: p.db,
    source: "claims_client_a",
    path: join(REAL, "waymark", "Patient-claim-clientA-202307.csv"),
    name: "Patient-claim-clientA-202307.csv",
  });
  assert.deepEqual([clientA.status, clientA.rows], ["landed", 35]);
  assert.deepEqual(
    await query(
      p.db,
      "SELECT _client, _period, count(*)::INT AS n FROM raw.claims_client_a GROUP BY ALL",
    ),
    [{ _client: "clientA", _period: "202307", n: 35 }],
  );
});
