import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { landUpload } from "../../src/land/land.ts";
import { cliCommand, healthcareProject, REAL, REPO, runCli, serveLocal } from "../helpers.ts";
import { gzip, landingProject, query } from "./helpers.ts";

const CONFIG = `export default {
  sources: [{ name: "members", pattern: /^members-(?<client>client[A-Z])-(?<period>\\d{6})\\.csv$/ }],
};
`;

Deno.test("wharf land reports each file, exits 1 when one failed, and prints JSON with --json", async () => {
  await using p = await landingProject();
  await p.write("wharf.config.ts", CONFIG);
  await p.write("in/members-clientA-202301.csv", "id,name\n1,Ann\n2,too,many\n");
  await p.write("in/members-clientA-202302.csv", "");
  const r = await runCli(["--project", p.root, "land", join(p.root, "in")]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^landed {2}members .*members-clientA-202301\.csv: 1 row, 1 rejected, /m);
  assert.match(
    r.stdout,
    /^failed {2}members .*members-clientA-202302\.csv: Cannot land "members-clientA-202302\.csv": the file is empty$/m,
  );
  assert.match(
    r.stdout,
    /Done in [\d.]+s: 1 landed \(1 row, 1 rejected line in wharf\.rejects\), 0 skipped as already landed, 1 failed\./,
  );

  await p.write("in/members-clientA-202302.csv", "id,name\n3,Cy\n");
  const j = await runCli(["--project", p.root, "--json", "land", join(p.root, "in")]);
  assert.equal(j.code, 0, j.stderr);
  const summary = JSON.parse(j.stdout);
  assert.deepEqual(summary.outcomes.map((o: { status: string }) => o.status), [
    "skipped",
    "landed",
  ]);
  assert.equal(summary.ok, true);
});

Deno.test("wharf land says when a file's name landed before with other content", async () => {
  await using p = await landingProject();
  await p.write("wharf.config.ts", CONFIG);
  const file = await p.write("members-clientA-202301.csv", "id,name\n1,Ann\n");
  assert.equal((await runCli(["--project", p.root, "land", file])).code, 0);
  await Deno.writeTextFile(file, "id,name\n2,Bo\n");
  const r = await runCli(["--project", p.root, "land", file]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^landed {2}members .*members-clientA-202301\.csv: 1 row, 0 rejected, .*, batch 2, [\d.]+s \(new delivery: batch 1 landed other content under this name at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/m,
  );
});

Deno.test("wharf land exits 2 when a file matches no source", async () => {
  await using p = await landingProject();
  await p.write("wharf.config.ts", CONFIG);
  const file = await p.write("stray.csv", "id\n1\n");
  const r = await runCli(["--project", p.root, "land", file]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^error: File "stray\.csv" matches no source: rename it to fit a pattern, or pass --source NAME\. Known sources:\n {2}members: /,
  );
});

Deno.test("wharf land --watch takes --settle as a duration with its unit, as enrich's --timeout, and names the option otherwise", async () => {
  await using p = await landingProject();
  await p.write("wharf.config.ts", CONFIG);
  for (const [flag, value] of [["--settle", "2000"], ["--debounce", "2 s"]]) {
    const r = await runCli(["--project", p.root, "land", "--watch", flag!, value!, p.root]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `error: Invalid ${flag} "${value}": expected a whole number and a unit (ms, s, m, h or d), e.g. 500ms, 2s\n`,
    );
  }
});

Deno.test("wharf land --watch lands a file once it stops changing, leaves the warehouse free between files, and stops cleanly on SIGTERM", async () => {
  await using p = await landingProject();
  await p.write("wharf.config.ts", CONFIG);
  const dir = join(p.root, "drop");
  await Deno.mkdir(dir);
  const child = cliCommand(["--project", p.root, "land", "--watch", "--settle", "300ms", dir], {})
    .spawn();
  const lines: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const waitFor = async (re: RegExp) => {
    const deadline = Date.now() + 20_000;
    while (!lines.some((l) => re.test(l))) {
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${re}; got: ${lines.join("")}`);
      }
      // Output that never comes fails at the deadline, not hangs.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = await Promise.race([
        reader.read(),
        new Promise<"late">((r) => timer = setTimeout(() => r("late"), deadline - Date.now())),
      ]);
      clearTimeout(timer);
      if (next === "late") throw new Error(`timed out waiting for ${re}; got: ${lines.join("")}`);
      const { value, done } = next;
      if (done) throw new Error(`watcher exited early; got: ${lines.join("")}`);
      lines.push(value);
    }
  };
  try {
    await new Promise((r) => setTimeout(r, 1000));
    // Written in two steps: it must land once, whole.
    const file = join(dir, "members-clientA-202301.csv");
    await Deno.writeTextFile(file, "id,name\n1,Ann\n");
    await new Promise((r) => setTimeout(r, 100));
    await Deno.writeTextFile(file, "2,Bo\n", { append: true });
    await Deno.writeTextFile(join(dir, ".hidden.csv.part"), "partial");
    await waitFor(/landed {2}members .*members-clientA-202301\.csv: 2 rows/);
    // Between landings the warehouse is free: another process (a build) can open it.
    assert.deepEqual(await query(p.db, "select count(*)::int as n from raw.members"), [{ n: 2 }]);
    await Deno.writeTextFile(join(dir, "stray.csv"), "x\n1\n");
    // The whole reason, with the known sources (the watcher once printed "Known sources:" and nothing).
    await waitFor(
      /failed {2}.*stray\.csv: File "stray\.csv" matches no source: .*Known sources:\n {2}members: /,
    );
    // A name that fits a source but not its fields: the reason, and the sources as well.
    await Deno.writeTextFile(join(dir, "members-clientA-202313.csv"), "id,name\n3,Cy\n");
    await waitFor(
      /failed {2}members .*members-clientA-202313\.csv: Cannot read the delivery time of "members-clientA-202313\.csv" \(source "members"\): field period is "202313", not a valid time: use YYYYMM \(202307\), YYYYMMDD \(20240105\) or YYYYMMDD_HHMMSS \(20240105_101500\), in UTC; .* a dash or nothing\nRename it to fit its source's pattern\. Known sources:\n {2}members: \^members-/,
    );
  } finally {
    child.kill("SIGTERM");
  }
  const status = await child.status;
  await reader.cancel();
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  assert.deepEqual(await query(p.db, "select id, name from raw.members order by id"), [{
    id: "1",
    name: "Ann",
  }, { id: "2", name: "Bo" }]);
  // The operator finds it in the manifest too.
  assert.deepEqual(
    await query(
      p.db,
      "select source, file_name from wharf.files where status = 'failed' order by batch_id",
    ),
    [{ source: "", file_name: "stray.csv" }, {
      source: "members",
      file_name: "members-clientA-202313.csv",
    }],
  );
});

Deno.test("wharf land of a folder holding the warehouse leaves the warehouse alone with a note, and lands the rest", async () => {
  await using p = await landingProject();
  await p.write("wharf.config.ts", CONFIG);
  const dir = join(p.root, "in");
  const db = join(dir, "wh.duckdb");
  await p.write("in/members-clientA-202301.csv", "id\n1\n");
  const first = await runCli(["--project", p.root, "--db", db, "land", dir]);
  assert.equal(first.code, 0, first.stderr);
  await p.write("in/members-clientA-202302.csv", "id\n2\n");
  const r = await runCli(["--project", p.root, "--db", db, "land", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^ignored .*\/in\/wh\.duckdb: the warehouse this run lands into, not a delivery$/m,
  );
  assert.match(r.stdout, /^landed {2}members .*members-clientA-202302\.csv: 1 row/m);
  assert.match(r.stdout, /1 landed .* 1 skipped as already landed, 0 failed\./);
});

Deno.test("wharf land --source with --field lands a file named otherwise; a header that does not fit the declared columns fails, with its data in --json", async () => {
  await using p = await landingProject();
  await p.write(
    "wharf.config.ts",
    `export default {
  sources: [{
    name: "members",
    pattern: /^members-(?<client>client[A-Z])-(?<period>\\d{6})\\.csv$/,
    columns: [{ name: "id", required: true }, "name"],
  }],
};
`,
  );
  const odd = await p.write("export (3).csv", "id,name\n1,Ann\n");
  const refused = await runCli(["--project", p.root, "land", "--source", "members", odd]);
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /^error: File "export \(3\)\.csv" does not match the pattern of source "members" \(.*\): rename it, or name its delivery fields \(--field client=… --field period=…\)$/m,
  );
  const named = await runCli([
    "--project",
    p.root,
    "land",
    "--source",
    "members",
    "--field",
    "client=clientA",
    "--field",
    "period=202307",
    odd,
  ]);
  assert.equal(named.code, 0, named.stderr);
  assert.deepEqual(await query(p.db, "select id, _client, _period from raw.members"), [
    { id: "1", _client: "clientA", _period: "202307" },
  ]);
  const wrong = await p.write("members-clientA-202308.csv", "member,name,extra\n2,Bo,x\n");
  const j = await runCli(["--project", p.root, "--json", "land", wrong]);
  assert.equal(j.code, 1);
  const [outcome] = JSON.parse(j.stdout).outcomes;
  assert.equal(outcome.status, "failed");
  assert.deepEqual(outcome.error, {
    name: "HeaderMismatchError",
    file: "members-clientA-202308.csv",
    source: "members",
    missing: ["id"],
    unexpected: ["member", "extra"],
    columns: ["member", "name", "extra"],
  });
  assert.equal(
    outcome.message,
    'File "members-clientA-202308.csv" does not fit source "members": missing required column id; unexpected columns "member", "extra". Is it the right kind of file for this source? (Its columns are declared in wharf.config.ts.)',
  );
  // A header read as one column that holds another delimiter: the message says which and where.
  const piped = await p.write("members-clientA-202309.csv", "id|name\n3|Cy\n");
  const pipedRun = await runCli(["--project", p.root, "land", piped]);
  assert.equal(pipedRun.code, 1);
  assert.match(
    pipedRun.stdout + pipedRun.stderr,
    /unexpected column "id\|name" \(id_name\)\. Its header looks pipe-delimited: if this source's files are, set delimiter: "\|" on source "members" in wharf\.config\.ts\./,
  );
  const usage = await runCli(["--project", p.root, "land", "--field", "client=clientA", odd]);
  assert.equal(usage.code, 2);
  assert.match(
    usage.stderr,
    /^error: --field needs --source: name the source the fields belong to$/m,
  );
});

Deno.test("wharf land run with content A, then B, then A again lands A as the latest batch, then skips", async () => {
  await using p = await landingProject();
  await p.write(
    "wharf.config.ts",
    `export default {
  sources: [{ name: "claims", pattern: /^Patient-claim-(?<client>client[A-Z])-(?<period>\\d{6})\\.csv$/ }],
};
`,
  );
  const a = "claim_number,total_billed\nC1,100\nC2,200\n";
  const file = await p.write("in/Patient-claim-clientA-202311.csv", a);
  const run = async (text: string) => {
    await Deno.writeTextFile(file, text);
    const r = await runCli(["--project", p.root, "land", join(p.root, "in")]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  assert.match(await run(a), /^landed {2}claims .*, batch 1, /m);
  assert.match(
    await run("claim_number,total_billed\nC1,150\n"),
    /, batch 2, .*\(new delivery: batch 1 landed other content under this name at .* UTC\)$/m,
  );
  assert.match(
    await run(a),
    /^landed {2}claims .*Patient-claim-clientA-202311\.csv: 2 rows, 0 rejected, .*, batch 3, [\d.]+s \(new delivery: same content as batch 1, after batch 2 landed other content under this name at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/m,
  );
  assert.match(
    await run(a),
    /^skipped claims .*Patient-claim-clientA-202311\.csv: already landed in batch 3 at .* UTC from .* \(2 rows; same source, name and content\): nothing was loaded again$/m,
  );
  assert.deepEqual(
    await query(
      p.db,
      "select batch_id::int as b from wharf.files where status = 'landed' order by b",
    ),
    [{ b: 1 }, { b: 2 }, { b: 3 }],
  );
  // What the models take, the latest version of each claim, is A's.
  assert.deepEqual(
    await query(
      p.db,
      "select claim_number, total_billed, _batch_id::int as b from raw.claims qualify row_number() over (partition by claim_number order by _batch_id desc) = 1 order by claim_number",
    ),
    [
      { claim_number: "C1", total_billed: "100", b: 3 },
      { claim_number: "C2", total_billed: "200", b: 3 },
    ],
  );
});

Deno.test("wharf build after a landing with rejected lines notes them per source read, with the files and the query that shows them, in --json too", async () => {
  await using p = await healthcareProject();
  const member = (id: number, name: string) =>
    `${id},${name},,SMITH,F,1980-01-02,${id} Main St,Boston,MA,02130,6175551234,2024-12-31,`;
  await p.write(
    "in/Patient-membership-clientA-202307.csv",
    [
      "member id,member first name,member middle name,member last name,gender,date of birth,address,city,state,zip,phone number,membership end date,ethnicity",
      member(1, "ANN"),
      // A quote never closed: the line is rejected, reading goes on at the next line.
      member(2, '"BO'),
      // 14 fields where the header has 13.
      `${member(3, "CY")},extra`,
      member(4, "DI"),
    ].join("\n") + "\n",
  );
  await p.write(
    "in/Patient-membership-clientB-202307.csv",
    'Elig_Dt,mem_id,Member_Fullname\n2024-12-31,B1,"DOE, JANE"\n',
  );
  const landed = await runCli(["--project", p.root, "land", join(p.root, "in")]);
  assert.equal(landed.code, 0, landed.stderr);
  assert.match(landed.stdout, /clientA-202307\.csv: 2 rows, 2 rejected, /);

  const build = await runCli(["--project", p.root, "build", "-s", "+marts.members"]);
  assert.equal(build.code, 0, build.stderr);
  const notes = build.stdout.split("\n").filter((l) => l.startsWith("note: "));
  // The query is spelled as the demo spells wharf's commands: through the task runner.
  assert.deepEqual(notes, [
    `note: 2 lines of membership_client_a (Patient-membership-clientA-202307.csv) were rejected when landed (they are not in its raw table): see wharf.rejects (deno task wharf --project ${p.root} sql "select * from wharf.rejects where source = 'membership_client_a'")`,
  ]);
  // The suggested command runs as printed, from the repository, and lists the two lines.
  const suggested = notes[0]!.match(/\((deno task wharf .*)\)$/)![1]!;
  const shown = await new Deno.Command("sh", {
    args: ["-c", suggested.replace(" sql ", " --json sql ")],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(shown.code, 0, new TextDecoder().decode(shown.stderr));
  assert.deepEqual(
    (JSON.parse(new TextDecoder().decode(shown.stdout)) as { line: number }[]).map((r) => r.line),
    [3, 4],
  );
  const json = await runCli(["--project", p.root, "--json", "build", "-s", "+marts.members"]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).landingRejects, [
    {
      source: "membership_client_a",
      table: "raw.membership_client_a",
      lines: 2,
      files: ["Patient-membership-clientA-202307.csv"],
    },
  ]);

  // A run whose models read no source with rejected lines has no note.
  const clean = await runCli(["--project", p.root, "build", "-s", "staging.stg_members_client_b"]);
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, /Done in /);
  assert.doesNotMatch(clean.stdout, /note: |wharf\.rejects/);
});

Deno.test("wharf build after a delivery failed to land notes it per source read, with why, the query that shows it and the command that lands it again, in --json too, until it lands", async () => {
  await using p = await healthcareProject();
  const name = "HospitalABC_VisitPay_Transaction_20211204_000000.txt.gz";
  const whole = gzip(
    "transaction_identifier\tvisit_identifier\tprocedure_id\tamount\nT900\tV1\tP1\t-25.00\n",
  );
  const file = await p.write(`in/${name}`, whole.subarray(0, whole.length - 12));
  // The source's only delivery failed: the nodes reading it wait, and the note says why.
  assert.equal((await runCli(["--project", p.root, "land", join(p.root, "in")])).code, 1);
  const waiting = await runCli(["--project", p.root, "build", "-s", "+marts.visit_financials"]);
  assert.equal(waiting.code, 0, waiting.stderr);
  assert.match(
    waiting.stdout,
    /^ {2}raw\.visitpay_procedure, raw\.visitpay_transaction, raw\.visitpay_visit: land with /m,
  );
  assert.match(
    waiting.stdout,
    /^note: 1 delivery of visitpay_transaction failed to land and has not landed since, /m,
  );

  for (const f of Deno.readDirSync(join(REAL, "visitpay"))) {
    await Deno.copyFile(join(REAL, "visitpay", f.name), join(p.root, "in", f.name));
  }
  const landed = await runCli(["--project", p.root, "land", join(p.root, "in")]);
  assert.equal(landed.code, 1, landed.stderr);
  assert.match(landed.stdout, /^failed {2}visitpay_transaction .*: the gzip stream is truncated/m);
  const failure = (await query(
    p.db,
    "select batch_id::int as b, error from wharf.files where status = 'failed' order by b desc limit 1",
  ))[0]!;

  const build = await runCli(["--project", p.root, "build", "-s", "+marts.visit_financials"]);
  assert.equal(build.code, 0, build.stderr);
  const lines = build.stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("note: 1 delivery"));
  const wharf = `deno task wharf --project ${p.root}`;
  assert.deepEqual(
    lines.slice(at, at + 3).map((l) => l.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/, "<at>")),
    [
      "note: 1 delivery of visitpay_transaction failed to land and has not landed since, so its rows are in no model:",
      `  ${name} (batch ${failure.b}, <at> UTC): ${failure.error}`,
      `  See wharf.files (${wharf} sql "select batch_id, path, error from wharf.files where source = 'visitpay_transaction' and status = 'failed' order by batch_id"); once the file is fixed, land it again: ${wharf} land ${file}`,
    ],
  );
  const json = await runCli([
    "--project",
    p.root,
    "--json",
    "build",
    "-s",
    "+marts.visit_financials",
  ]);
  assert.equal(json.code, 0, json.stderr);
  const { failedLandings } = JSON.parse(json.stdout);
  assert.deepEqual(failedLandings.map((f: Record<string, unknown>) => ({ ...f, failedAt: 0 })), [
    {
      source: "visitpay_transaction",
      table: "raw.visitpay_transaction",
      file: name,
      path: file,
      batchId: failure.b,
      error: failure.error,
      failedAt: 0,
    },
  ]);
  // A run whose models read no source with a failed delivery has no note.
  const other = await runCli(["--project", p.root, "build", "-s", "staging.stg_visitpay_visits"]);
  assert.equal(other.code, 0, other.stderr);
  assert.doesNotMatch(other.stdout, /failed to land/);

  // The suggested command lands the delivery once it is whole, and the note goes.
  await Deno.writeFile(file, whole);
  const retry = lines[at + 2]!.match(/land it again: (deno task wharf .*)$/)![1]!;
  const relanded = await new Deno.Command("sh", { args: ["-c", retry], cwd: REPO }).output();
  assert.equal(relanded.code, 0, new TextDecoder().decode(relanded.stderr));
  const after = await runCli(["--project", p.root, "build", "-s", "+marts.visit_financials"]);
  assert.equal(after.code, 0, after.stderr);
  assert.match(after.stdout, /Done in /);
  assert.doesNotMatch(after.stdout, /failed to land/);
});

Deno.test("wharf build after an upload and a URL failed to land says how each lands again: the upload through its endpoint or by its path with --source, the URL by the URL; both commands run", async () => {
  await using p = await healthcareProject();
  const good = await Deno.readTextFile(join(REAL, "waymark", "Patient-claim-clientA-202307.csv"));
  // Client B's layout under client A's name: the header does not fit the source.
  const wrong = await Deno.readTextFile(join(REAL, "waymark", "Patient-claim-clientB-202307.csv"));
  const uploaded = "Patient-claim-clientA-202311.csv";
  const failedUpload = await landUpload(await loadConfig(p.root), {
    db: p.db,
    source: "claims_client_a",
    path: await p.write(`upload/${uploaded}`, wrong),
    name: uploaded,
  });
  assert.equal(failedUpload.status, "failed");
  let served = wrong;
  await using server = serveLocal(() => new Response(served));
  const url = `${server.base}/exports/Patient-claim-clientA-202312.csv`;
  assert.equal((await runCli(["--project", p.root, "land", url])).code, 1);

  const build = await runCli(["--project", p.root, "build", "-s", "staging.stg_claims_client_a"]);
  assert.equal(build.code, 0, build.stderr);
  const lines = build.stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("note: 2 deliveries of claims_client_a"));
  assert.ok(at >= 0, build.stdout);
  const wharf = `deno task wharf --project ${p.root}`;
  const how = lines[at + 3]!.replace(/^.*; once the files are fixed, /, "");
  assert.equal(
    how,
    `land it again: ${wharf} land ${url}; upload it again (POST /api/ingest/claims_client_a to wharf serve), or land it by its path: ${wharf} land --source claims_client_a path/to/${uploaded}`,
  );

  // Fixed, each lands by the command given (the upload from the user's own copy).
  served = good;
  const [byUrl, byPath] = how.split("; ").map((w) => w.match(/: (deno task wharf .*)$/)![1]!);
  await p.write(`fixed/${uploaded}`, good);
  for (const command of [byUrl!, byPath!.replace("path/to/", `${join(p.root, "fixed")}/`)]) {
    const run = await new Deno.Command("sh", { args: ["-c", command], cwd: REPO }).output();
    assert.equal(run.code, 0, `${command}\n${new TextDecoder().decode(run.stderr)}`);
  }
  const after = await runCli(["--project", p.root, "build", "-s", "staging.stg_claims_client_a"]);
  assert.equal(after.code, 0, after.stderr);
  assert.doesNotMatch(after.stdout, /failed to land/);
});
