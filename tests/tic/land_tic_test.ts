import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { loadConfig, type ResolvedConfig } from "../../src/config.ts";
import { landTic, ticStagingFolder } from "../../src/tic/land_tic.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import {
  cliCommand,
  REAL,
  REPO,
  runCli,
  serveLocal,
  type TempProject,
  tempProject,
} from "../helpers.ts";
import { gzip, query } from "../land/helpers.ts";
import { answer, cutOff, faultyServer, rangeStart } from "../net/faulty_server.ts";

/**
 * A small index in the real layout: one structure per line, trailing commas,
 * upper-case enums, allowed_amount_files in the plural, signed URLs, the same
 * file under several structures and on two hosts.
 */
function index(): string {
  const f = (host: string, name: string, sig: string) =>
    `{"description":"net","location":"https://${host}/2023-04/${name}?Expires=1&Signature=${sig}"}`;
  const lines = [
    `{"reporting_plans":[{"plan_name":"ACME NY PPO - EMPLOYER ONE","plan_id_type":"EIN","plan_id":"111","plan_market_type":"GROUP"},{"plan_name":"ACME NY HMO - EMPLOYER ONE","plan_id_type":"EIN","plan_id":"111","plan_market_type":"GROUP"}],"in_network_files":[${
      f("a.example.com", "NY_PPO_1.json.gz", "x1")
    },${f("a.example.com", "NY_HMO_2.json.gz", "x2")},${
      f("a.example.com", "rates_7_of_9.json.gz", "x3")
    }],"allowed_amount_files":{"description":"oon","location":"https://a.example.com/aa.json.gz"}},`,
    `{"reporting_plans":[{"plan_name":"ACME NJ PPO - EMPLOYER TWO","plan_id_type":"ein","plan_id":"222","plan_market_type":"INDIVIDUAL"}],"in_network_files":[${
      f("b.example.com", "NY_PPO_1.json.gz", "y1")
    },${f("a.example.com", "NJ_PPO_3.json.gz", "y2")},${
      f("a.example.com", "rates_8_of_9.json.gz", "y3")
    }],"allowed_amount_file":{"description":"oon","location":"https://a.example.com/aa.json.gz?sig=2"}},`,
    `{"reporting_plans":[{"plan_name":"PLAIN PLAN","plan_id_type":"HIOS","plan_id":"333","plan_market_type":"group"}],"in_network_files":[{"description":"CA EPO network","location":"https://a.example.com/2023-04/rates_9_of_9.json.gz"}]},`,
  ];
  return `{"reporting_entity_name":"Acme Health","reporting_entity_type":"HEALTH INSURANCE ISSUER","reporting_structure":[\n${
    lines.join("\n")
  }\n]}\n`;
}

async function healthcare(p: TempProject): Promise<ResolvedConfig> {
  const base = await loadConfig(REPO);
  return {
    ...base,
    paths: { ...base.paths, target: join(p.root, "target"), cache: join(p.root, "cache") },
  };
}

Deno.test("wharf tic lands an index with files deduplicated by path, gzipped or not, and answers NY PPO exactly", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const gz = await p.write("index.json.gz", gzip(index()));
  const summary = await landTic(config, gz, { db: p.db });
  assert.equal(summary.status, "complete", summary.error ?? "");
  const stored = await Deno.readFile(gz);
  assert.deepEqual(
    [summary.sha256, summary.compressedBytes],
    [createHash("sha256").update(stored).digest("hex"), stored.length],
    "the hash and size are those of the file as stored",
  );
  assert.deepEqual(
    [
      summary.reportingEntityName,
      summary.reportingEntityType,
      summary.elements,
      summary.plans,
      summary.files,
      summary.links,
    ],
    ["Acme Health", "health insurance issuer", 3, 4, 7, 9],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select plan_id_type, plan_market_type, count(*)::int as n from raw.tic_plans group by all order by all",
    ),
    [
      { plan_id_type: "ein", plan_market_type: "group", n: 2 },
      { plan_id_type: "ein", plan_market_type: "individual", n: 1 },
      { plan_id_type: "hios", plan_market_type: "group", n: 1 },
    ],
  );
  // The same path on two hosts with two signatures is one file; the first URL seen is kept.
  assert.deepEqual(
    await query(
      p.db,
      "select url, host from raw.tic_files where url_key = '/2023-04/NY_PPO_1.json.gz'",
    ),
    [
      {
        url: "https://a.example.com/2023-04/NY_PPO_1.json.gz?Expires=1&Signature=x1",
        host: "a.example.com",
      },
    ],
  );
  assert.deepEqual(
    await query(p.db, "select count(*)::int as n from raw.tic_files where kind = 'allowed_amount'"),
    [{ n: 1 }],
  );

  const built = await runProject("build", config, {
    db: p.db,
    select: ["+tic_files_for_state_network"],
    vars: { tic_state: "NY", tic_network: "PPO" },
  });
  assert.ok(built.ok, JSON.stringify(built.results.filter((r) => r.status === "error")));
  assert.deepEqual(
    await query(
      p.db,
      "select url_key, state_basis, network_basis, plans::int as plans from marts.tic_files_for_state_network order by url_key",
    ),
    [
      {
        url_key: "/2023-04/NY_PPO_1.json.gz",
        state_basis: "file_name",
        network_basis: "file_name",
        plans: 2,
      },
      {
        url_key: "/2023-04/rates_7_of_9.json.gz",
        state_basis: "plan_names",
        network_basis: "plan_names",
        plans: 1,
      },
    ],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select states, network_types, state_basis, network_basis from marts.tic_in_network_files where url_key like '%9_of_9%'",
    ),
    [
      {
        states: ["CA"],
        network_types: ["EPO"],
        state_basis: "description",
        network_basis: "description",
      },
    ],
  );
  const analysis =
    (await Deno.readTextFile(join(REPO, "sql", "analyses", "ny_ppo_in_network_files.sql"))).replace(
      /;\s*$/,
      "",
    );
  assert.deepEqual((await query(p.db, analysis)).map((r) => r.url_key), [
    "/2023-04/NY_PPO_1.json.gz",
    "/2023-04/rates_7_of_9.json.gz",
  ]);

  // Plain JSON gives the same tables.
  const plain = await p.write("index.json", index());
  const again = await landTic(config, plain, { db: p.db });
  assert.deepEqual([again.status, again.files, again.links], ["complete", 7, 9]);
});

Deno.test("a truncated index is recorded as failed with its offset and nothing of it lands", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const text = index();
  const cut = await p.write("cut.json.gz", gzip(text.slice(0, text.indexOf("PLAIN PLAN"))));
  // One structure per committed batch: the rows of those batches are removed too.
  const summary = await landTic(config, cut, { db: p.db, batchRows: 1 });
  assert.equal(summary.status, "failed");
  assert.match(
    summary.error!,
    /^truncated index: it ends inside an element of "reporting_structure" at byte offset \d+ of the decompressed JSON \(not of the gzipped file\)$/,
  );
  assert.deepEqual(
    await query(
      p.db,
      "select status, error is not null as e, elements::int as elements, (select count(*) from raw.tic_plans)::int as plans, (select count(*) from raw.tic_files)::int as files, (select count(*) from raw.tic_plan_files)::int as links from raw.tic_indexes",
    ),
    [
      { status: "failed", e: true, elements: 2, plans: 0, files: 0, links: 0 },
    ],
  );
  const broken = gzip(text);
  const corrupt = await p.write("corrupt.json.gz", broken.slice(0, broken.length - 12));
  const bad = await landTic(config, corrupt, { db: p.db });
  assert.equal(bad.status, "failed");
  const r = await runCli(["--project", REPO, "--db", p.db, "tic", cut]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^failed .*cut\.json\.gz: truncated index/);
});

Deno.test("a remote index streams from HTTP, and a dropped connection resumes with Range", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const body = gzip(index().replace("Acme Health", "Acme " + "Remote ".repeat(20000)));
  let requests = 0;
  const ranges: string[] = [];
  await using server = serveLocal((req) => {
    requests++;
    const range = req.headers.get("range");
    if (range) {
      ranges.push(range);
      const from = Number(/bytes=(\d+)-/.exec(range)![1]);
      return new Response(body.slice(from), {
        status: 206,
        headers: {
          "accept-ranges": "bytes",
          "content-range": `bytes ${from}-${body.length - 1}/${body.length}`,
        },
      });
    }
    // The first answer announces the whole length, sends half, and drops the connection.
    const half = Math.floor(body.length / 2);
    const stream = new ReadableStream({
      start(ctl) {
        ctl.enqueue(body.slice(0, half));
        setTimeout(() => ctl.error(new Error("dropped")), 50);
      },
    });
    return new Response(stream, {
      headers: { "accept-ranges": "bytes", "content-length": String(body.length) },
    });
  });
  const summary = await landTic(config, `${server.base}/index.json.gz`, { db: p.db });
  assert.equal(summary.status, "complete", summary.error ?? "");
  assert.deepEqual([summary.elements, summary.files, summary.compressedBytes], [
    3,
    7,
    body.length,
  ]);
  assert.equal(requests, 2);
  assert.equal(
    summary.sha256,
    createHash("sha256").update(body).digest("hex"),
    "resumed bytes hash as one",
  );
  assert.match(ranges[0]!, /^bytes=\d+-$/);
});

Deno.test("a remote index that changes before a resume fails as a read failure naming why, and nothing lands", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const v1 = gzip(index().replace("Acme Health", "Acme " + "Remote ".repeat(20000)));
  const v2 = gzip(index());
  // Cut off mid-body; meanwhile a new version is published, and If-Range "v1" gets all of it.
  await using server = faultyServer((req) =>
    rangeStart(req) === undefined
      ? cutOff(v1, Math.floor(v1.length / 2), { etag: '"v1"', "accept-ranges": "bytes" })
      : answer(200, v2, { etag: '"v2"', "accept-ranges": "bytes" })
  );
  const url = `${server.base}/index.json.gz`;
  const summary = await landTic(config, url, { db: p.db });
  assert.equal(summary.status, "failed");
  assert.match(
    summary.error!,
    /^read failed: Cannot read ".*\/index\.json\.gz" after 2 attempts: cannot resume at byte \d+: it changed \(ETag "v1", now "v2"\)/,
  );
  assert.equal(server.requests[1]!.headers["if-range"], '"v1"');
  assert.deepEqual(await query(p.db, "select count(*)::int as n from raw.tic_plans"), [{ n: 0 }]);
});

Deno.test("a remote index that is not JSON part way fails at that offset, and its connection is released", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  // A bad structure early in a large body that does not compress; the server sends half of it
  // and then waits: only the client closing the connection ends that wait.
  const noise = Buffer.from(crypto.getRandomValues(new Uint8Array(48_000))).toString("base64");
  const text = `{"reporting_structure":[\n{"reporting_plans": nope},\n${
    Array.from({ length: 100 }, () => `{"x":"${noise}"},\n`).join("")
  }{}]}`;
  const body = gzip(text);
  await using server = faultyServer(() => [
    ...cutOff(body, Math.floor(body.length / 2), { etag: '"v1"' }),
    { hang: true },
  ]);
  const summary = await landTic(config, `${server.base}/index.json.gz`, { db: p.db });
  assert.equal(summary.status, "failed");
  assert.equal(
    summary.error,
    `expected "null" at byte offset 45 of the decompressed JSON (not of the gzipped file)`,
  );
  assert.ok(summary.compressedBytes < body.length, `${summary.compressedBytes} of ${body.length}`);
  for (let i = 0; i < 100 && server.clientClosed === 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(server.clientClosed, 1, "the connection was closed before the answer ended");
  assert.equal(server.requests.length, 1);
});

Deno.test("a run killed mid-index leaves it running; the next run removes its rows and its staged files, marks it failed and says so on stderr", async () => {
  await using p = await tempProject();
  // 30,000 structures of 8 plans; the server sends two thirds, then stalls:
  // a segment of plans is loaded, the next one is on its way to its file.
  const plan = (i: number) => `{"plan_name":"PLAN ${i} ${"-".repeat(50)}","plan_id":"${i}"}`;
  const lines = Array.from(
    { length: 30_000 },
    (_, i) =>
      `{"reporting_plans":[${
        Array.from({ length: 8 }, () => plan(i)).join(",")
      }],"in_network_files":[{"description":"d","location":"https://h/f${i % 50}.json"}]}`,
  );
  const body = new TextEncoder().encode(`{"reporting_structure":[\n${lines.join(",\n")}\n]}`);
  const sent = Promise.withResolvers<void>();
  await using server = serveLocal(() => {
    const stream = new ReadableStream({
      start(ctl) {
        ctl.enqueue(body.slice(0, Math.floor(body.length * 2 / 3)));
        sent.resolve();
      },
    });
    return new Response(stream, { headers: { "content-length": String(body.length) } });
  });
  const child = cliCommand([
    "--project",
    REPO,
    "--db",
    p.db,
    "tic",
    `${server.base}/index.json`,
  ], { stdout: "null", stderr: "null" }).spawn();
  await sent.promise;
  // Until the first batch (a row group of plans, 122,880) is committed: its
  // files go once it is (however busy the machine).
  const staged = ticStagingFolder(p.db);
  const names = () =>
    Array.fromAsync(Deno.readDir(staged)).then((es) => es.map((e) => e.name), (): string[] => []);
  let first: string[] = [];
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const now = await names();
    if (!first.length) first = now;
    else if (first.some((n) => !now.includes(n))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  await child.status;
  const before = await query(
    p.db,
    "select status, (select count(*) from raw.tic_plans)::int as plans from raw.tic_indexes",
  );
  assert.equal(before.length, 1);
  assert.equal(before[0]!.status, "running");
  assert.ok((before[0]!.plans as number) >= 122_880, `plans committed: ${before[0]!.plans}`);
  const left = (await names()).sort();
  assert.ok(left.length > 0, "the kill left its batch files");
  const [rows] = await query(
    p.db,
    `select index_id::int as id, (select count(*) from raw.tic_plans)::int
       + (select count(*) from raw.tic_plan_files)::int + (select count(*) from raw.tic_files)::int as n
     from raw.tic_indexes`,
  );

  // The next run clears both, and says so on stderr.
  const next = await p.write("next.json", index());
  const r = await runCli(["--project", REPO, "--db", p.db, "tic", next]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stderr,
    `cleaned up: index ${
      rows!.id
    } was left running by a run that ended before reading it to its end: marked failed, its ${
      rows!.n
    } rows removed\ncleaned up: removed ${left.length} staged batch file${
      left.length === 1 ? "" : "s"
    } that a killed run left in ${staged}: ${left.join(", ")}\n`,
  );
  assert.deepEqual(
    await query(
      p.db,
      "select status, error, (select count(*) from raw.tic_plans p where p.index_id = i.index_id)::int as plans from raw.tic_indexes i order by index_id",
    ),
    [
      {
        status: "failed",
        error: "interrupted: the run ended before the index was read to its end",
        plans: 0,
      },
      { status: "complete", error: null, plans: 4 },
    ],
  );
  await assert.rejects(Deno.stat(staged), Deno.errors.NotFound, "the next run cleared them");
});

Deno.test("real indexes land: an Anthem excerpt in both layouts, one element alone, CMS samples, a payer's structures by name; a cut line fails", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const land = async (path: string) => {
    const s = await landTic(config, join(REAL, path), { db: p.db });
    return [s.status, s.reportingEntityName, s.elements, s.plans, s.files, s.links, s.error];
  };
  const serif = "serif/anthem_2023-04_";
  for (const layout of ["compact-lines", "pretty"]) {
    assert.deepEqual(
      await land(`${serif}index_excerpt.${layout}.json.gz`),
      ["complete", "Anthem Inc", 3, 12, 2979, 3525, null],
      layout,
    );
  }
  assert.deepEqual(await land(`${serif}reporting_structure_0.json`), [
    "complete",
    null,
    1,
    4,
    861,
    861,
    null,
  ]);
  const cut = await land(`${serif}truncated_line.head64k.json`);
  assert.equal(cut[0], "failed");
  assert.match(
    cut[6] as string,
    /^truncated index: it ends inside the value of "in_network_files" at byte offset 65536 of the file$/,
  );
  for (const version of ["cms-v1.3.3", "cms-v2.2.0"]) {
    assert.deepEqual(
      await land(`tic/${version}/table-of-contents-sample.json`),
      ["complete", "medicare", 2, 3, 5, 5, null],
    );
  }
  assert.deepEqual(await land("tic/payers/lifewise_2025-05-01_index.annotated.json"), [
    "complete",
    "LIFEWISE HEALTH PLAN OF WASHINGTON",
    2,
    3,
    11,
    12,
    null,
  ]);
  // Both Anthem layouts land the same rows.
  const rows = (index: number) =>
    query(
      p.db,
      `select string_agg(kind || ' ' || url_key || ' ' || coalesce(description, ''), '\n' order by file_id) as files,
         (select string_agg(plan_name || '|' || plan_id || '|' || plan_id_type || '|' || plan_market_type, '\n' order by structure_id, plan_name) from raw.tic_plans where index_id = ${index}) as plans,
         (select count(*)::int from raw.tic_plan_files where index_id = ${index}) as links
       from raw.tic_files where index_id = ${index}`,
    );
  const [compact, pretty] = (await query(
    p.db,
    "select index_id::int as id from raw.tic_indexes order by index_id limit 2",
  )).map((r) => r.id as number);
  assert.deepEqual(await rows(pretty!), await rows(compact!));
  assert.ok(
    String((await rows(compact!))[0]!.plans).includes(
      "\nLIVE HEALTH ONLINE - TIDEWAY MARKET INC - ANTHEM|010504941|ein|group\n",
    ),
    "plans as written (EIN, GROUP) land lower-cased",
  );
});

Deno.test("plan names land exactly, whether handed over as written or rebuilt: escapes, non-ASCII, numbers", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const file = await p.write(
    "plans.json",
    `{"reporting_structure":[
      {"reporting_plans":[{"plan_name":"A \\"QUOTED\\" \\\\ PLAN","plan_id":"1","plan_id_type":" EIN\\t","plan_market_type":"Group"}]},
      {"reporting_plans":[{"plan_name":"Café Ünïcode","plan_id":"2"}]},
      {"reporting_plans":{"plan_name":"NUMERIC ID","plan_id":12345,"plan_market_type":"INDIVIDUAL"}},
      {"reporting_plans":[{"plan_n\\u0061me":"ESCAPED KEY","plan_id":"4"}]}
    ]}`,
  );
  const summary = await landTic(config, file, { db: p.db });
  assert.equal(summary.status, "complete", summary.error ?? "");
  assert.deepEqual(
    await query(
      p.db,
      "select plan_name, plan_id, plan_id_type, plan_market_type from raw.tic_plans order by structure_id",
    ),
    [
      {
        plan_name: 'A "QUOTED" \\ PLAN',
        plan_id: "1",
        plan_id_type: "ein",
        plan_market_type: "group",
      },
      { plan_name: "Café Ünïcode", plan_id: "2", plan_id_type: null, plan_market_type: null },
      {
        plan_name: "NUMERIC ID",
        plan_id: "12345",
        plan_id_type: null,
        plan_market_type: "individual",
      },
      { plan_name: "ESCAPED KEY", plan_id: "4", plan_id_type: null, plan_market_type: null },
    ],
  );
});

Deno.test("a plan name of 12 MB lands: DuckDB reads it in more memory than the rows it loads usually need", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const name = "N".repeat(12 << 20);
  const file = await p.write(
    "long.json",
    `{"reporting_structure":[{"reporting_plans":[{"plan_name":"${name}","plan_id":"1"}]},{"reporting_plans":[{"plan_name":"short","plan_id":"2"}]}]}`,
  );
  const summary = await landTic(config, file, { db: p.db });
  assert.equal(summary.status, "complete", summary.error ?? "");
  assert.deepEqual(
    await query(
      p.db,
      "select length(plan_name)::INT as n from raw.tic_plans order by structure_id",
    ),
    [{ n: 12 << 20 }, { n: 5 }],
  );
});

Deno.test("a remote index that is not gzipped streams too, and an HTTP error fails it with the status", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const text = new TextEncoder().encode(index());
  await using server = serveLocal((req) =>
    new URL(req.url).pathname === "/index.json"
      ? new Response(text, { headers: { "content-length": String(text.length) } })
      : new Response("gone", { status: 404, statusText: "Not Found" })
  );
  const ok = await landTic(config, `${server.base}/index.json`, { db: p.db });
  assert.deepEqual([ok.status, ok.elements, ok.files, ok.links, ok.compressedBytes], [
    "complete",
    3,
    7,
    9,
    text.length,
  ]);
  const missing = await landTic(config, `${server.base}/missing.json`, { db: p.db });
  assert.equal(missing.status, "failed");
  assert.match(missing.error!, /HTTP 404 Not Found/);
});

Deno.test("the same index read twice lands once: the second is a duplicate and adds nothing", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const gz = await p.write("index.json.gz", gzip(index()));
  const first = await landTic(config, gz, { db: p.db });
  const copy = await p.write("copy-of-index.json.gz", await Deno.readFile(gz));
  const second = await landTic(config, copy, { db: p.db });
  assert.deepEqual([second.status, second.duplicateOf], ["duplicate", first.indexId]);
  assert.match(
    second.error!,
    /^the same bytes as index \d+ \(sha256 [0-9a-f]{12}…\), which is complete/,
  );
  assert.deepEqual(
    await query(
      p.db,
      "select status, (select count(*) from raw.tic_files f where f.index_id = i.index_id)::int as files from raw.tic_indexes i order by index_id",
    ),
    [{ status: "complete", files: 7 }, { status: "duplicate", files: 0 }],
  );
  const r = await runCli(["--project", REPO, "--db", p.db, "tic", gz]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^skipped .*index\.json\.gz: already landed as index \d+ \(the same bytes\); nothing added/,
  );
});

Deno.test("wharf tic says plainly when an index names no reporting entity", async () => {
  await using p = await tempProject();
  const nameless = await p.write(
    "nameless.json",
    index().replace('"reporting_entity_name":"Acme Health",', ""),
  );
  const r = await runCli(["--project", REPO, "--db", p.db, "tic", nameless]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^complete .*nameless\.json: \(no reporting_entity_name\) — 3 reporting structures, 4 plans, /,
  );
});

Deno.test("a JSON file that is no index fails, naming what it holds: an in-network file, a per-EIN lookup, anything else", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const land = async (name: string, text: string) => {
    const s = await landTic(config, await p.write(name, text), { db: p.db });
    return [s.status, s.elements, s.error];
  };
  const [status, elements, error] = await land("hello.json", '{"hello":"world"}');
  assert.deepEqual([status, elements], ["failed", 0]);
  assert.match(
    error as string,
    /^not a Transparency-in-Coverage table-of-contents index: no "reporting_structure" .*; its top-level keys: "hello" at byte offset 17 of the file$/,
  );
  assert.match(
    (await land(
      "rates.json",
      '{"reporting_entity_name":"medicare","reporting_entity_type":"medicare","last_updated_on":"2020-08-27","version":"1.0.0","in_network":[]}',
    ))[2] as string,
    /it looks like an in-network rates file \(it has "in_network"\), which the index lists; give `wharf tic` the table-of-contents index/,
  );
  assert.match(
    (await land(
      "lookup.json",
      await Deno.readTextFile(join(REAL, "serif", "anthem_ein_lookup_010504941.ny_excerpt.json")),
    ))[2] as string,
    /its top-level keys: "lastupdated", "In-Network Negotiated Rates Files".*: it looks like a per-EIN lookup; land it with `wharf tic lookup`/,
  );
  assert.match(
    (await land("empty.json", "{}"))[2] as string,
    /it is an empty object at byte offset 2 of the file$/,
  );
  // An index whose list of structures is empty is an index: complete, with nothing in it.
  assert.deepEqual(await land("none.json", '{"reporting_structure":[]}'), ["complete", 0, null]);
  // Nothing of the failed ones is in the warehouse.
  assert.deepEqual(
    await query(
      p.db,
      "select status, count(*)::int as n from raw.tic_indexes group by all order by all",
    ),
    [{ status: "complete", n: 1 }, { status: "failed", n: 4 }],
  );
});

Deno.test("Ctrl-C stops wharf tic while it waits for bytes: the index ends failed, interrupted, with nothing of it left", async () => {
  await using p = await tempProject();
  const lines = Array.from(
    { length: 2_000 },
    (_, i) =>
      `{"reporting_plans":[{"plan_name":"PLAN ${i}","plan_id":"${i}"}],"in_network_files":[{"description":"d","location":"https://h/f${i}.json"}]}`,
  );
  const body = new TextEncoder().encode(`{"reporting_structure":[\n${lines.join(",\n")}\n]}`);
  const sent = Promise.withResolvers<void>();
  // Half the index, then the connection stalls.
  await using server = serveLocal(() =>
    new Response(
      new ReadableStream({
        start(ctl) {
          ctl.enqueue(body.slice(0, body.length >> 1));
          sent.resolve();
        },
      }),
      { headers: { "content-length": String(body.length) } },
    )
  );
  const child = cliCommand(
    ["--project", REPO, "--db", p.db, "tic", `${server.base}/index.json`],
    { stdout: "piped", stderr: "piped" },
  ).spawn();
  await sent.promise;
  await new Promise((r) => setTimeout(r, 500));
  child.kill("SIGINT");
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 130, new TextDecoder().decode(out.stderr));
  assert.match(
    stdout,
    /^failed {3}.*index\.json: interrupted by SIGINT \(Ctrl-C\) at byte offset \d+ of the file \(nothing of it landed; recorded as failed, index \d+\)$/m,
  );
  assert.deepEqual(
    await query(
      p.db,
      `select status, error like 'interrupted by SIGINT (Ctrl-C) at byte offset % of the file' as interrupted,
         (select count(*) from raw.tic_plans)::int + (select count(*) from raw.tic_files)::int as rows
       from raw.tic_indexes`,
    ),
    [{ status: "failed", interrupted: true, rows: 0 }],
  );
});

Deno.test("schema v2.2.0 fields are kept: the index's last_updated_on, each plan's plan_sponsor_name and issuer_name", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const cms = await landTic(
    config,
    join(REAL, "tic", "cms-v2.2.0", "table-of-contents-sample.json"),
    { db: p.db },
  );
  assert.deepEqual([cms.status, cms.version, cms.lastUpdatedOn], [
    "complete",
    "2.0.0",
    "2023-04-19",
  ]);
  const older = await landTic(
    config,
    join(REAL, "tic", "cms-v1.3.3", "table-of-contents-sample.json"),
    { db: p.db },
  );
  assert.deepEqual([older.status, older.lastUpdatedOn], ["complete", null]);
  const employer = await landTic(
    config,
    await p.write(
      "v2.json",
      `{"reporting_entity_name":"Acme Health","reporting_entity_type":"health insurance issuer","last_updated_on":"2025-05-01","version":"2.2.0","reporting_structure":[{"reporting_plans":[{"plan_name":"ACME PPO","plan_id_type":"EIN","plan_id":"12-3456789","plan_sponsor_name":"Employer \\u00c9 Inc","issuer_name":"Acme Health of NY","plan_market_type":"group"}],"in_network_files":[{"description":"d","location":"https://h/a.json.gz"}]}]}`,
    ),
    { db: p.db },
  );
  assert.equal(employer.status, "complete", employer.error ?? "");
  assert.deepEqual(
    await query(
      p.db,
      `select i.last_updated_on, p.plan_name, p.plan_id_type, p.plan_sponsor_name, p.issuer_name
       from raw.tic_plans p join raw.tic_indexes i using (index_id) order by index_id, structure_id, plan_name`,
    ),
    [
      ["2023-04-19", "medicaid", "hios", null, "CMS"],
      ["2023-04-19", "medicare", "hios", null, "CMS"],
      ["2023-04-19", "chip", "hios", null, "CMS"],
      [null, "medicaid", "hios", null, null],
      [null, "medicare", "hios", null, null],
      [null, "chip", "hios", null, null],
      ["2025-05-01", "ACME PPO", "ein", "Employer É Inc", "Acme Health of NY"],
    ].map(([last_updated_on, plan_name, plan_id_type, plan_sponsor_name, issuer_name]) => ({
      last_updated_on,
      plan_name,
      plan_id_type,
      plan_sponsor_name,
      issuer_name,
    })),
  );
});
