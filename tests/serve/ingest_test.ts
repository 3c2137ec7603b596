import assert from "node:assert/strict";
import { join } from "node:path";
import { land } from "../../src/land/land.ts";
import { createApp } from "../../src/serve/app.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { serveLocal, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { benefits } from "../reliability/serve_harness.ts";
import { served, TOKEN } from "./served.ts";

const auth = { authorization: `Bearer ${TOKEN}` };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("an upload that waits longer than ingestWaitMs answers 202 with a job to poll, which shows the result or the error with its class", async () => {
  await using p = await tempProject();
  await using s = await served(p, { ingestWaitMs: 0 });
  const res = await s.get("/api/ingest/benefits?filename=benefits-late-20240401_000000.csv", {
    method: "POST",
    body: benefits("L", 50),
    headers: auth,
  });
  assert.equal(res.status, 202);
  const accepted = await res.json();
  assert.match(accepted.job_id, /^[0-9a-f-]{36}$/);
  assert.ok(["queued", "landing"].includes(accepted.status));
  assert.equal(accepted.file, "benefits-late-20240401_000000.csv");
  const location = res.headers.get("location");
  assert.equal(location, `/api/ingest/jobs/${accepted.job_id}`);
  assert.equal((await s.fetch(location!)).status, 401);
  let job = accepted;
  for (let i = 0; i < 200 && !job.finished_at; i++) {
    await sleep(50);
    job = await (await s.get(location!)).json();
  }
  assert.equal(job.status, "landed");
  assert.equal(job.http_status, 200);
  assert.deepEqual([job.result.rows, job.result.status, job.result.job_id], [
    50,
    "landed",
    accepted.job_id,
  ]);
  // A job that fails shows the error with its class, and the status the upload would have had.
  const misfit = await s.get("/api/ingest/benefits?filename=benefits-misfit-20240402_000000.csv", {
    method: "POST",
    body: "a,b,c\n1,2,3\n",
    headers: auth,
  });
  assert.equal(misfit.status, 202);
  let failed = await misfit.json();
  for (let i = 0; i < 200 && !failed.finished_at; i++) {
    await sleep(50);
    failed = await (await s.get(misfit.headers.get("location")!)).json();
  }
  assert.deepEqual([failed.status, failed.http_status, failed.error_type], [
    "failed",
    400,
    "HeaderMismatchError",
  ]);
  assert.match(failed.error, /does not fit source "benefits": missing required columns/);
  const unknown = await s.get("/api/ingest/jobs/nope");
  assert.equal(unknown.status, 404);
  assert.match((await unknown.json()).error, /^No ingest job "nope"/);
  // A misspelt source gets the closest one as a suggestion, before the known ones.
  const misspelt = await s.get("/api/ingest/benefit?filename=benefits-late-20240403_000000.csv", {
    method: "POST",
    body: benefits("M", 1),
    headers: auth,
  });
  assert.equal(misspelt.status, 404);
  assert.match(
    (await misspelt.json()).error,
    /^Unknown source "benefit" \(did you mean "benefits"\?\): known sources are "/,
  );
});

Deno.test("an upload with bad rows answers with each rejected row: its line, the reason and the text as delivered; so does its job", async () => {
  await using p = await tempProject();
  await using s = await served(p);
  const visits = (await Array.fromAsync(Deno.readDir(join(p.root, "data", "visitpay"))))
    .map((e) => e.name).filter((n) => n.includes("_VisitPay_Visit_")).sort();
  const [header, ...rows] = (await Deno.readTextFile(join(p.root, "data", "visitpay", visits[0]!)))
    .split("\n");
  const extra = `${rows[2]}\tone field too many`;
  const form = new FormData();
  form.append(
    "file",
    new Blob([[header, rows[0], rows[1], extra, rows[3]].join("\n") + "\n"]),
    "HospitalABC_VisitPay_Visit_20250104_221500.txt",
  );
  const res = await s.get("/api/ingest/visitpay_visit", { method: "POST", body: form });
  assert.equal(res.status, 200);
  const landed = await res.json();
  const rejects = [{
    line: 4,
    error: "TOO MANY COLUMNS: expected 6 fields, found 7",
    text: extra,
  }];
  assert.deepEqual(
    [landed.status, landed.rows, landed.rejected_rows, landed.rejects, landed.rejects_not_listed],
    ["landed", 3, 1, rejects, 0],
  );
  const job = await (await s.get(`/api/ingest/jobs/${landed.job_id}`)).json();
  assert.deepEqual(job.result, landed);
  // Past the first 100, the answer says how many it leaves out.
  const many = await s.get("/api/ingest/benefits?filename=benefits-bad-20250105_000000.csv", {
    method: "POST",
    body: benefits("B", 10) + "1,2\n".repeat(150),
  });
  const capped = await many.json();
  assert.deepEqual(
    [capped.rows, capped.rejected_rows, capped.rejects.length, capped.rejects_not_listed],
    [10, 150, 100, 50],
  );
  assert.deepEqual(capped.rejects[99], {
    line: 111,
    error: "MISSING COLUMNS: expected 5 fields, found 2",
    text: "1,2",
  });
});

Deno.test("snapshot and upload folders of dead servers are removed at start; a live server's are kept", async () => {
  await using p = await tempProject();
  const snapshots = join(p.root, ".wharf", "snapshots");
  await Deno.mkdir(join(snapshots, "999999999", "1"), { recursive: true });
  await Deno.writeTextFile(join(snapshots, "999999999", "1", "snapshot.duckdb"), "old copy");
  await Deno.mkdir(join(snapshots, "4242-deadbeef"), { recursive: true });
  await Deno.writeTextFile(join(snapshots, "4242-deadbeef", ".lock"), "");
  await Deno.mkdir(join(snapshots, "4343-alive"), { recursive: true });
  using alive = await Deno.open(join(snapshots, "4343-alive", ".lock"), {
    write: true,
    create: true,
  });
  await alive.lock(true);
  {
    await using s = await served(p);
    const names = (await Array.fromAsync(Deno.readDir(snapshots))).map((e) => e.name);
    assert.equal(names.length, 2, names.join(", "));
    const own = names.filter((n) => n !== "4343-alive");
    assert.equal(own.length, 1, names.join(", "));
    assert.match(own[0]!, new RegExp(`^${Deno.pid}-[0-9a-f]{8}$`));
    const res = await s.get("/health");
    assert.ok((await res.json()).snapshot);
  }
  // Stopped: its own folder is gone too.
  const after = (await Array.fromAsync(Deno.readDir(snapshots))).map((e) => e.name);
  assert.deepEqual(after, ["4343-alive"]);
  await alive.unlock();
});

Deno.test("an upload's query fields are part of its identity: the same bytes for another hospital or period land, the true duplicate is skipped", async () => {
  await using p = await tempProject({ "models/.keep": "" }, {
    sources: [
      {
        name: "transactions",
        pattern: /^(?<hospital>\w+)_Transaction_(?<delivered_at>\d{8}_\d{6})\.txt$/,
      },
      { name: "claims", pattern: /^claims-(?<client>client[A-Z])-(?<period>\d{6})\.csv$/ },
    ],
  });
  // The warehouse exists before the server takes its first snapshot.
  await land(p.config, [
    await p.write("HospitalABC_Transaction_20240101_000000.txt", "id\tamount\n9\t1\n"),
  ], {
    db: p.db,
  });
  const prepared = await prepareServer(p.config, {
    db: p.db,
    token: TOKEN,
    pollMs: 0,
    log: () => {},
  });
  await using server = serveLocal(createApp(prepared.deps).fetch);
  try {
    const post = async (path: string, body: string) => {
      const res = await fetch(`${server.base}${path}`, { method: "POST", body, headers: auth });
      const json = await res.json();
      return [res.status, json.status, json.skipped_as_duplicate, json.rows];
    };
    const tx = "id\tamount\n1\t10\n";
    const upload = (hospital: string) =>
      post(
        `/api/ingest/transactions?filename=export.txt&hospital=${hospital}&delivered_at=20240301_000000`,
        tx,
      );
    assert.deepEqual(await upload("HospitalABC"), [200, "landed", false, 1]);
    assert.deepEqual(await upload("HospitalOther"), [200, "landed", false, 1]);
    assert.deepEqual(await upload("HospitalOther"), [200, "skipped", true, 0]);
    const claims = "claim,total\nC1,5\n";
    const period = (p: string) =>
      post(`/api/ingest/claims?filename=export.csv&client=clientA&period=${p}`, claims);
    assert.deepEqual(await period("202309"), [200, "landed", false, 1]);
    assert.deepEqual(await period("202310"), [200, "landed", false, 1]);
    assert.deepEqual(await period("202310"), [200, "skipped", true, 0]);
    // The same bytes as another source are still refused: 409.
    const misrouted = await fetch(
      `${server.base}/api/ingest/claims?filename=export.txt&client=clientB&period=202311`,
      { method: "POST", body: tx, headers: auth },
    );
    assert.equal(misrouted.status, 409, await misrouted.clone().text());
    assert.match((await misrouted.json()).error, /already landed as source "transactions"/);
  } finally {
    await prepared.close();
  }
  assert.deepEqual(
    await query(p.db, "select _hospital, amount from raw.transactions where id = '1' order by all"),
    [{ _hospital: "HospitalABC", amount: "10" }, { _hospital: "HospitalOther", amount: "10" }],
  );
  assert.deepEqual(
    await query(p.db, "select _period from raw.claims order by all"),
    [{ _period: "202309" }, { _period: "202310" }],
  );
});

Deno.test("a multipart upload is one file part: a second file (same or other field) or a part that is not a file is a 400 naming it, and nothing lands", async () => {
  await using p = await tempProject({ "models/.keep": "" }, {
    sources: [{ name: "claims", pattern: /^claims-(?<client>client[A-Z])-(?<period>\d{6})\.csv$/ }],
  });
  await land(p.config, [await p.write("claims-clientA-202301.csv", "claim,total\nC0,1\n")], {
    db: p.db,
  });
  const prepared = await prepareServer(p.config, { db: p.db, token: TOKEN, pollMs: 0 });
  await using server = serveLocal(createApp(prepared.deps).fetch);
  try {
    const post = async (form: FormData) => {
      const res = await fetch(`${server.base}/api/ingest/claims`, {
        method: "POST",
        body: form,
        headers: auth,
      });
      return [res.status, (await res.json()).error];
    };
    const claims = (n: string) => new Blob([`claim,total\nC${n},5\n`]);
    const twice = new FormData();
    twice.append("file", claims("1"), "claims-clientA-202309.csv");
    twice.append("file", claims("2"), "claims-clientA-202310.csv");
    assert.deepEqual(await post(twice), [
      400,
      'Unexpected second file in the multipart upload: part "file" ("claims-clientA-202310.csv") after part "file" ("claims-clientA-202309.csv"); upload one file a request',
    ]);
    const other = new FormData();
    other.append("file", claims("1"), "claims-clientA-202309.csv");
    other.append("extra", claims("2"), "claims-clientB-202309.csv");
    assert.deepEqual(await post(other), [
      400,
      'Unexpected second file in the multipart upload: part "extra" ("claims-clientB-202309.csv") after part "file" ("claims-clientA-202309.csv"); upload one file a request',
    ]);
    const unexpected =
      'Unexpected part "note" in the multipart upload: it is not a file (it has no file name); send one file part, with its file name, and nothing else (delivery fields go in the query string)';
    const after = new FormData();
    after.append("file", claims("1"), "claims-clientA-202309.csv");
    after.append("note", "please land");
    assert.deepEqual(await post(after), [400, unexpected]);
    const before = new FormData();
    before.append("note", "please land");
    before.append("file", claims("1"), "claims-clientA-202309.csv");
    assert.deepEqual(await post(before), [400, unexpected]);
    assert.deepEqual(await query(p.db, "select claim from raw.claims order by all"), [
      { claim: "C0" },
    ]);
    // The same file part alone lands.
    const one = new FormData();
    one.append("file", claims("1"), "claims-clientA-202309.csv");
    assert.deepEqual(await post(one), [200, undefined]);
  } finally {
    await prepared.close();
  }
  assert.deepEqual(await query(p.db, "select claim from raw.claims order by all"), [
    { claim: "C0" },
    { claim: "C1" },
  ]);
});

Deno.test("an unknown query parameter of an upload is a 400 naming the closest delivery field (or filename) when it looks like a typo, and nothing lands", async () => {
  await using p = await tempProject({ "models/.keep": "" }, {
    sources: [
      { name: "claims_client_a", pattern: /^claims-(?<client>client[A-Z])-(?<period>\d{6})\.csv$/ },
      { name: "notes", pattern: /^notes\.csv$/ },
    ],
  });
  await land(p.config, [await p.write("claims-clientA-202301.csv", "claim,total\nC0,1\n")], {
    db: p.db,
  });
  const prepared = await prepareServer(p.config, { db: p.db, token: TOKEN, pollMs: 0 });
  await using server = serveLocal(createApp(prepared.deps).fetch);
  try {
    const post = async (path: string) => {
      const res = await fetch(`${server.base}/api/ingest/${path}`, {
        method: "POST",
        body: "claim,total\nC1,5\n",
        headers: auth,
      });
      return [res.status, (await res.json()).error];
    };
    const fields =
      'besides "filename", an upload to "claims_client_a" takes its delivery fields ("client", "period")';
    assert.deepEqual(
      await post("claims_client_a?filename=export.csv&clinet=clientA&period=202309"),
      [400, `Unknown query parameter "clinet" (did you mean "client"?): ${fields}`],
    );
    assert.deepEqual(
      await post("claims_client_a?filenme=export.csv&client=clientA&period=202309"),
      [400, `Unknown query parameter "filenme" (did you mean "filename"?): ${fields}`],
    );
    assert.deepEqual(
      await post("claims_client_a?filename=export.csv&client=clientA&period=202309&batch=7"),
      [400, `Unknown query parameter "batch": ${fields}`],
    );
    assert.deepEqual(await post("notes?filename=notes.csv&clinet=clientA"), [
      400,
      'Unknown query parameter "clinet": besides "filename", an upload to "notes" takes its delivery fields (it has none)',
    ]);
    assert.deepEqual(await query(p.db, "select claim from raw.claims_client_a order by all"), [
      { claim: "C0" },
    ]);
  } finally {
    await prepared.close();
  }
});
