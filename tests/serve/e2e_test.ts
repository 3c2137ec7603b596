import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { served, TOKEN } from "./served.ts";

Deno.test("the API answers from landed data: every strategy, health, models, rows, OpenAPI, docs page", async () => {
  await using p = await tempProject();
  await using s = await served(p);
  const [row] = await query(
    p.db,
    "select member_id from marts.member_benefits group by member_id having count(*) = 3 limit 1",
  );
  const id = String(row!.member_id);
  const figures = await query(
    p.db,
    `select oop_max::int as o, remaining_oop_max::int as r, copay::int as c from marts.member_benefits where member_id = '${id}'`,
  );
  const o = figures.map((f) => Number(f.o)),
    r = figures.map((f) => Number(f.r)),
    c = figures.map((f) => Number(f.c));
  const expect: Record<string, unknown> = {
    max: { oop_max: Math.max(...o), remaining_oop_max: Math.max(...r), copay: Math.max(...c) },
    min: { oop_max: Math.min(...o), remaining_oop_max: Math.min(...r), copay: Math.min(...c) },
    default: {
      oop_max: Math.max(...o),
      remaining_oop_max: Math.max(...r),
      copay: Math.min(Math.max(...c), Math.max(...r)),
    },
  };
  for (const [strategy, want] of Object.entries(expect)) {
    const res = await s.get(`/api/coalescence/${strategy}?member_id=${encodeURIComponent(id)}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), want, strategy);
  }
  for (const strategy of ["avg", "mode"]) {
    assert.equal((await s.get(`/api/coalescence/${strategy}?member_id=${id}`)).status, 200);
  }
  const health = await (await s.get("/health")).json();
  assert.equal(health.status, "ok");
  assert.equal(health.coalesce.model, "marts.member_benefits");
  assert.ok(health.coalesce.landed_keys > 0);
  assert.equal(s.logs.filter((l) => l.path === "/health").length, 1);

  const models = (await (await s.get("/api/models")).json()).models as {
    id: string;
    last_status: string;
    rejected_rows: number | null;
  }[];
  assert.ok(models.some((m) => m.id === "marts.member_benefits" && m.last_status === "success"));
  assert.ok(
    models.some((m) => m.id === "staging.stg_members_client_b" && (m.rejected_rows ?? 0) > 0),
  );
  const one = await (await s.get("/api/models/marts/members")).json();
  assert.equal(one.id, "marts.members");
  assert.deepEqual(one.upstream, ["intermediate.int_members"]);
  assert.ok(
    one.columns.some((col: { name: string; type: string; tests: string[] }) =>
      col.name === "status" && col.type === "VARCHAR" &&
      col.tests.includes("accepted_values_members_status")
    ),
  );
  const rows = await (await s.get(
    `/api/models/marts/member_benefits/rows?member_id=${encodeURIComponent(id)}&limit=2`,
  )).json();
  assert.equal(rows.rows.length, 2);
  assert.ok(rows.rows.every((x: { member_id: string }) => x.member_id === id));
  const spec = await (await s.get("/openapi.json")).json();
  assert.ok(
    spec.paths["/api/coalescence/{strategy}"] && spec.paths["/api/models/{layer}/{name}/rows"],
  );
  // An upload path per source, with the delivery fields its pattern names.
  assert.equal(spec.paths["/api/ingest/{source}"], undefined);
  assert.deepEqual(
    spec.paths["/api/ingest/claims_client_a"].post.parameters.map((x: { name: string }) => x.name),
    ["filename", "client", "period"],
  );
  const site = await s.get("/docs");
  assert.equal(site.status, 200);
  assert.match(await site.text(), /<svg id="graph"/);
  const docsManifest = await (await s.get("/docs/manifest.json")).json();
  assert.ok(
    docsManifest.nodes.some((n: { id: string; downstream: string[] }) =>
      n.id === "marts.member_benefits" && n.downstream.includes("api.coalescence")
    ),
  );
  const page = await s.get("/docs/api");
  const html = await page.text();
  assert.equal(page.headers.get("x-content-type-options"), "nosniff");
  // Every file the page loads is there.
  const loads = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  assert.deepEqual(loads.sort(), [
    "/docs/api/assets/swagger-ui-bundle.js",
    "/docs/api/assets/swagger-ui.css",
    "/docs/api/init.js",
  ]);
  for (const path of loads) assert.equal((await s.get(path)).status, 200, path);
});

Deno.test("model rows: a page with more after it links to the next, keeping the filters; BIGINT values are exact strings, as the OpenAPI document says", async () => {
  await using p = await tempProject();
  await using s = await served(p);
  // The default page (100 rows) says there are more.
  const [{ all }] = await query(p.db, "select count(*)::int as all from marts.member_benefits") as [
    { all: number },
  ];
  assert.ok(all > 100, `${all} rows`);
  const first = await s.get("/api/models/marts/member_benefits/rows");
  assert.equal((await first.json()).rows.length, 100);
  assert.equal(
    first.headers.get("link"),
    '</api/models/marts/member_benefits/rows?offset=100>; rel="next"',
  );
  const [{ n }] = await query(p.db, "select count(*)::int as n from marts.members") as [
    { n: number },
  ];
  // Following the links walks every row once; the last page has no link.
  const seen: string[] = [];
  let next: string | undefined = "/api/models/marts/members/rows?limit=10";
  let pages = 0;
  while (next) {
    const res = await s.get(next);
    assert.equal(res.status, 200);
    seen.push(...(await res.json()).rows.map((r: { member_id: string }) => r.member_id));
    pages++;
    next = res.headers.get("link")?.match(/^<([^>]+)>; rel="next"$/)?.[1];
  }
  assert.deepEqual([seen.length, new Set(seen).size, pages], [n, n, Math.ceil(n / 10)]);
  // Filters and limit are kept, offset moves on.
  const [{ state, k }] = await query(
    p.db,
    "select state, count(*)::int as k from marts.members where state is not null group by state order by k desc limit 1",
  ) as [{ state: string; k: number }];
  assert.ok(k > 1);
  const filtered = await s.get(`/api/models/marts/members/rows?state=${state}&limit=1&offset=0`);
  assert.equal(
    filtered.headers.get("link"),
    `</api/models/marts/members/rows?state=${state}&limit=1&offset=1>; rel="next"`,
  );
  await filtered.body?.cancel();
  // The README's example of a filter on no column of the model is what the server answers.
  const readme = await Deno.readTextFile(join(REPO, "README.md"));
  const example = readme.match(
    /`(Unknown column "(\w+)" for marts\.members \(did you mean "\w+"\?\): filter on one of) …`/,
  );
  assert.ok(example, "the README shows an unknown column of marts.members");
  const unknown = await s.get(`/api/models/marts/members/rows?${example[2]}=active`);
  assert.equal(unknown.status, 400);
  const { error } = await unknown.json();
  assert.ok(error.startsWith(`${example[1]} `), `README: ${example[1]}\nserver: ${error}`);
  const exact = await s.get(`/api/models/marts/members/rows?limit=${n}`);
  assert.equal(exact.headers.get("link"), null);
  await exact.body?.cancel();
  // A BIGINT comes as a string holding the exact number, and the document says so.
  const claims = await (await s.get("/api/models/marts/member_claims/rows?limit=1")).json();
  const [{ billed }] = await query(
    p.db,
    `select billed_cents::varchar as billed from marts.member_claims limit 1`,
  ) as [{ billed: string }];
  assert.equal(claims.rows[0].billed_cents, billed);
  const doc = await (await s.get("/openapi.json")).json();
  const rows = doc.paths["/api/models/{layer}/{name}/rows"].get;
  assert.match(rows.description, /BIGINT, UBIGINT, HUGEINT and DECIMAL values are strings/);
  assert.ok(rows.responses["200"].headers.Link);
});

Deno.test("an upload must fit its source by name (or name its delivery fields) and must not repeat another source's content", async () => {
  await using p = await tempProject();
  await using s = await served(p);
  const post = (path: string, body: string) => s.get(path, { method: "POST", body });
  const claims = await Deno.readTextFile(
    `${p.root}/data/waymark/Patient-claim-clientA-202307.csv`,
  );
  // A name the pattern does not fit: refused, naming the pattern and the query parameters to send.
  const misnamed = await post("/api/ingest/claims_client_a?filename=export.csv", claims);
  assert.equal(misnamed.status, 400);
  const { error, type } = await misnamed.json();
  assert.equal(type, "FileNameError");
  assert.match(error, /export\.csv/);
  assert.match(error, /Patient-claim-/);
  assert.match(error, /: rename it, or name its delivery fields \(\?client=…&period=…\)$/);
  const half = await post("/api/ingest/claims_client_a?filename=export.csv&client=clientA", claims);
  assert.equal(half.status, 400);
  assert.match((await half.json()).error, /"period" is not given: name it too \(\?period=…\)$/);
  // The same file with its delivery fields in the query lands, with those fields as lineage.
  const named = await post(
    "/api/ingest/claims_client_a?filename=export.csv&client=clientA&period=202309",
    `${claims.trimEnd()}\n`,
  );
  assert.equal(named.status, 200, await named.clone().text());
  assert.deepEqual(
    await query(
      p.db,
      "select distinct _client, strftime(timezone('UTC', _delivered_at), '%Y-%m') as period from raw.claims_client_a where _file = 'upload:export.csv'",
    ),
    [{ _client: "clientA", period: "2023-09" }],
  );
  // A key that is not a delivery field of the source is refused, not ignored.
  const unknown = await post(
    "/api/ingest/claims_client_a?filename=export.csv&clinet=clientA",
    claims,
  );
  assert.equal(unknown.status, 400);
  assert.match((await unknown.json()).error, /Unknown query parameter "clinet".*"client"/);
  // Client A's claims posted as client B's: the content already landed as another source.
  const misrouted = await post(
    "/api/ingest/claims_client_b?filename=Patient-claim-clientB-202307.csv",
    claims,
  );
  assert.equal(misrouted.status, 409, await misrouted.clone().text());
  const conflict = await misrouted.json();
  assert.equal(conflict.type, "ContentConflictError");
  assert.equal(conflict.source, "claims_client_a");
  assert.match(conflict.error, /claims_client_a/);
  // The earlier file (landed from the server's own folder) by its name, not the server's path.
  assert.equal(conflict.file, "Patient-claim-clientA-202307.csv");
  assert.ok(!JSON.stringify(conflict).includes(p.root), JSON.stringify(conflict));
  // A repeat of it names that file too.
  const repeat = await post(
    "/api/ingest/claims_client_a?filename=Patient-claim-clientA-202307.csv",
    claims,
  );
  const skipped = await repeat.json();
  assert.deepEqual([repeat.status, skipped.status], [200, "skipped"]);
  assert.match(
    skipped.message,
    /^already landed in batch \d+ at .* UTC from Patient-claim-clientA-202307\.csv \(\d+ rows; same source, name and content\): nothing was loaded again$/,
  );
});

Deno.test("uploads land through the same code as wharf land, with token, size and fit checks", async () => {
  await using p = await tempProject();
  await using s = await served(p);
  const csv =
    "member_id,oop_max,remaining_oop_max,copay,as_of\nNEW1,100000,50000,2000,2024-02-01T00:00:00Z\n";
  const url = "/api/ingest/benefits?filename=benefits-payer_d-20240201_000000.csv";
  assert.equal((await s.fetch(url, { method: "POST", body: csv })).status, 401);
  assert.equal(
    (await s.get(url, { method: "POST", body: csv, headers: { authorization: "Bearer wrong" } }))
      .status,
    403,
  );
  const auth = { authorization: `Bearer ${TOKEN}` };
  assert.equal(
    (await s.get("/api/ingest/nope?filename=x.csv", { method: "POST", body: csv, headers: auth }))
      .status,
    404,
  );
  const ok = await s.get(url, { method: "POST", body: csv, headers: auth });
  assert.equal(ok.status, 200);
  const entry = await ok.json();
  assert.deepEqual([entry.status, entry.rows, entry.skipped_as_duplicate], ["landed", 1, false]);
  const again = await (await s.get(url, { method: "POST", body: csv, headers: auth })).json();
  assert.deepEqual([again.status, again.skipped_as_duplicate], ["skipped", true]);
  // The same name with other content lands as a new delivery, and the answer says so.
  const renewed = await (await s.get(url, {
    method: "POST",
    body: csv.replace("NEW1,100000", "NEW1,90000"),
    headers: auth,
  })).json();
  assert.equal(renewed.status, "landed");
  assert.match(
    renewed.message,
    new RegExp(
      `^new delivery: batch ${entry.batch_id} landed other content under this name at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC$`,
    ),
  );
  // The first content again: the latest delivery is that content once more, a batch of its own.
  const back = await (await s.get(url, { method: "POST", body: csv, headers: auth })).json();
  assert.equal(back.status, "landed");
  assert.match(
    back.message,
    new RegExp(
      `^new delivery: same content as batch ${entry.batch_id}, after batch ${renewed.batch_id} landed other content under this name at .* UTC$`,
    ),
  );
  const backAgain = await (await s.get(url, { method: "POST", body: csv, headers: auth })).json();
  assert.deepEqual([backAgain.status, backAgain.batch_id], ["skipped", back.batch_id]);
  assert.deepEqual(
    await query(
      p.db,
      "select _file, _benefit_source, oop_max from raw.benefits where member_id = 'NEW1' order by _batch_id",
    ),
    [
      {
        _file: "upload:benefits-payer_d-20240201_000000.csv",
        _benefit_source: "payer_d",
        oop_max: "100000",
      },
      {
        _file: "upload:benefits-payer_d-20240201_000000.csv",
        _benefit_source: "payer_d",
        oop_max: "90000",
      },
      {
        _file: "upload:benefits-payer_d-20240201_000000.csv",
        _benefit_source: "payer_d",
        oop_max: "100000",
      },
    ],
  );

  // Multipart, streamed.
  const form = new FormData();
  form.append(
    "file",
    new Blob([
      "member_id,oop_max,remaining_oop_max,copay,as_of\nNEW2,1,1,1,2024-02-01T00:00:00Z\n",
    ]),
    "benefits-payer_d-20240202_000000.csv",
  );
  const multi = await s.get("/api/ingest/benefits", { method: "POST", body: form, headers: auth });
  assert.equal(multi.status, 200, await multi.clone().text());
  assert.equal((await multi.json()).rows, 1);

  const wrongExt = await s.get("/api/ingest/benefits?filename=benefits.exe", {
    method: "POST",
    body: csv,
    headers: auth,
  });
  assert.equal(wrongExt.status, 400);
  const ext = await wrongExt.json();
  assert.match(ext.error, /wrong extension/);
  // Refused by the request's own checks, before any landing: no error class.
  assert.equal(ext.type, undefined);
  const wrongHeader = await s.get("/api/ingest/benefits?filename=benefits-x-20240203_000000.csv", {
    method: "POST",
    body: "a,b,c\n1,2,3\n",
    headers: auth,
  });
  assert.equal(wrongHeader.status, 400);
  const misfit = await wrongHeader.json();
  assert.match(misfit.error, /does not fit source "benefits": missing required columns/);
  assert.equal(misfit.type, "HeaderMismatchError");
  const empty = await s.get("/api/ingest/benefits?filename=benefits-x-20240204_000000.csv", {
    method: "POST",
    body: "",
    headers: auth,
  });
  assert.equal(empty.status, 400);
  assert.deepEqual(
    await query(p.db, "select count(*)::int as n from raw.benefits where member_id in ('1', 'a')"),
    [{ n: 0 }],
  );
});

Deno.test("uploads over the size limit are refused, up front or while streaming, and nothing lands", async () => {
  await using p = await tempProject();
  await using s = await served(p, { maxUploadBytes: 1024 * 1024 });
  const auth = { authorization: `Bearer ${TOKEN}` };
  const header = "member_id,oop_max,remaining_oop_max,copay,as_of\n";
  const declared = await s.get("/api/ingest/benefits?filename=benefits-big-20240205_000000.csv", {
    method: "POST",
    body: header + "X,1,1,1,2024-01-01\n".repeat(200_000),
    headers: auth,
  });
  assert.equal(declared.status, 413);
  assert.match((await declared.json()).error, /^Upload too large: the limit is 1048576 bytes$/);
  let sent = 0;
  const chunk = new TextEncoder().encode("Y,1,1,1,2024-01-01\n".repeat(10_000));
  const streamed = await s.get("/api/ingest/benefits?filename=benefits-big-20240206_000000.csv", {
    method: "POST",
    // No content-length: the size is only known while reading.
    body: new ReadableStream({
      pull(ctl) {
        if (sent === 0) ctl.enqueue(new TextEncoder().encode(header));
        if (sent > 8 * 1024 * 1024) return ctl.close();
        sent += chunk.length;
        ctl.enqueue(chunk);
      },
    }),
    headers: auth,
    duplex: "half",
  } as RequestInit);
  assert.equal(streamed.status, 413);
  await streamed.body?.cancel();
  assert.deepEqual(
    await query(p.db, "select count(*)::int as n from raw.benefits where member_id in ('X', 'Y')"),
    [{ n: 0 }],
  );
});
