import assert from "node:assert/strict";
import { join } from "node:path";
import { buildDocs } from "../../src/docs/build_docs.ts";
import type { Manifest, ManifestNode } from "../../src/docs/manifest.ts";
import { relativePathsIn } from "../../src/docs/relative_paths.ts";
import { land } from "../../src/land/land.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { createApp } from "../../src/serve/app.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { runCli, serveLocal, type TempProject, tempProject } from "../helpers.ts";

/**
 * A clinic whose patients are personal data: `stg_patients` is tagged
 * `pii`, `int_patient_regions` reads it, `stg_visits` is not personal.
 * Each has a check that rejects rows, so each has rejected rows to sample.
 */
const FILES: Record<string, string> = {
  "models/seeds/regions.csv": "code,name\nN,North\nS,South\n",
  "models/staging/stg_patients.sql": "select patient_id, name, region, _file from raw.patients",
  "models/staging/stg_visits.sql":
    "select visit_id, patient_id, amount::INTEGER as amount, _file from raw.visits",
  "models/intermediate/int_patient_regions.sql":
    "select p.patient_id, p.name, r.name as region_name, p._file from staging.stg_patients p left join seeds.regions r on r.code = p.region",
  "models/staging/staging.yml": `models:
  - name: stg_patients
    description: Patients (names are personal data).
    config: { materialized: table, tags: [clinic, PII] }
    checks:
      known_region: region in (select code from seeds.regions)
  - name: stg_visits
    description: Visits, amounts in cents.
    config: { materialized: table }
    checks:
      positive_amount: amount > 0
`,
  "models/intermediate/intermediate.yml": `models:
  - name: int_patient_regions
    description: Patients with their region's name; see /api/models/intermediate/int_patient_regions.
    config: { materialized: table }
    checks:
      named_region: region_name is not null
`,
};

/** The project above, built, with one delivery from `outside` and one from inside it. */
async function clinic(outside: string): Promise<TempProject> {
  const p = await tempProject(FILES, {
    sources: [
      { name: "patients", pattern: /^patients-\d+\.csv$/ },
      { name: "visits", pattern: /^visits-\d+\.csv$/ },
    ],
  });
  await Deno.writeTextFile(
    join(outside, "patients-1.csv"),
    "patient_id,name,region\n1,Ada Lovelace,N\n2,Grace Hopper,X\n3,Alan Turing,S\n",
  );
  await Deno.writeTextFile(join(outside, "visits-1.csv"), "visit_id,patient_id,amount\n10,1,500\n");
  await p.write("incoming/visits-2.csv", "visit_id,patient_id,amount\n11,2,-20\n12,3,700\n");
  const landed = await land(p.config, [
    join(outside, "patients-1.csv"),
    join(outside, "visits-1.csv"),
    join(p.root, "incoming", "visits-2.csv"),
  ], { db: p.db });
  assert.ok(landed.ok);
  const build = await runProject("build", p.config, { db: p.db });
  assert.ok(build.ok, JSON.stringify(build.results.filter((r) => r.status !== "success")));
  return p;
}

/** Every string in `value`, with where it is. */
function strings(value: unknown, at = "$"): [string, string][] {
  if (typeof value === "string") return [[at, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${at}[${i}]`));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap((
      [k, v],
    ) => [[`${at} key`, k], ...strings(v, `${at}.${k}`)]);
  }
  return [];
}

function assertNoAbsolutePath(manifest: unknown, ...dirs: string[]) {
  for (const [at, s] of strings(manifest)) {
    for (const dir of dirs) assert.ok(!s.includes(dir), `${at} holds "${dir}": ${s}`);
    // No absolute path of any kind: a "/x/y" that does not follow a host or a word.
    const abs = s.match(/(?:^|[\s'"(=,])(\/[\w.-]+\/[\w./-]+)/);
    assert.ok(
      !abs || (at.endsWith(".name") || at.endsWith(".description")) && abs[1]!.startsWith("/api/"),
      `${at} holds an absolute path "${abs?.[1]}": ${s}`,
    );
  }
}

function node(m: Manifest, id: string): ManifestNode {
  const n = m.nodes.find((x) => x.id === id);
  assert.ok(n, `no node ${id}`);
  return n;
}

Deno.test("docs build: the manifest holds no absolute path and no sample rows of a model tagged pii or reading one", async () => {
  await using elsewhere = await tempProject();
  await using p = await clinic(elsewhere.root);
  const out = join(p.root, "target", "docs");
  await buildDocs(p.config, { db: p.db, out });
  const manifest = JSON.parse(await Deno.readTextFile(join(out, "manifest.json"))) as Manifest;
  assertNoAbsolutePath(manifest, p.root, elsewhere.root, Deno.env.get("HOME") ?? p.root);

  // Paths in the project are relative to its root, others are just names.
  assert.match(
    node(manifest, "seeds.regions").compiled_sql!,
    /read_csv\('models\/seeds\/regions\.csv'/,
  );
  assert.equal(node(manifest, "staging.stg_visits").path, "models/staging/stg_visits.sql");
  // The description keeps its API route: only paths into the project are rewritten there.
  assert.match(
    node(manifest, "intermediate.int_patient_regions").description,
    /\/api\/models\/intermediate\/int_patient_regions/,
  );

  // Not personal: its rejected rows are sampled, with their files relative or by name.
  const visits = node(manifest, "staging.stg_visits");
  assert.deepEqual(visits.rejected, { positive_amount: 1 });
  assert.deepEqual(visits.rejected_samples.map((r) => [r.visit_id, r._file]), [
    ["11", "incoming/visits-2.csv"],
  ]);
  assert.equal(visits.samples_withheld, null);

  // Tagged pii (in any case), and reading a pii model: counts yes, rows no.
  const patients = node(manifest, "staging.stg_patients");
  assert.deepEqual(patients.rejected, { known_region: 1 });
  assert.deepEqual(patients.rejected_samples, []);
  assert.equal(patients.samples_withheld, "tagged pii");
  const regions = node(manifest, "intermediate.int_patient_regions");
  assert.deepEqual(regions.rejected, { named_region: 0 });
  assert.equal(regions.samples_withheld, "upstream staging.stg_patients is tagged pii");
  const text = JSON.stringify(manifest);
  for (const name of ["Ada Lovelace", "Grace Hopper", "Alan Turing"]) {
    assert.ok(!text.includes(name), `the manifest holds "${name}"`);
  }
  // The site is the manifest made visible: it says why there are no samples.
  const html = await Deno.readTextFile(join(out, "index.html"));
  assert.ok(!html.includes("Grace Hopper") && !html.includes(p.root));
});

Deno.test("serve: /docs, /docs/ and /docs/manifest.json answer, and the served manifest holds no absolute path or pii sample", async () => {
  await using elsewhere = await tempProject();
  await using p = await clinic(elsewhere.root);
  const { deps, snapshots } = await prepareServer(p.config, { db: p.db, pollMs: 0 });
  await using server = serveLocal(createApp(deps).fetch);
  try {
    for (const path of ["/docs", "/docs/"]) {
      const res = await fetch(`${server.base}${path}`);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get("content-type") ?? "", /text\/html/);
      const html = await res.text();
      assert.match(html, /<svg id="graph"/, path);
      assert.ok(!html.includes(p.root) && !html.includes("Grace Hopper"), path);
    }
    const res = await fetch(`${server.base}/docs/manifest.json`);
    assert.equal(res.status, 200);
    const manifest = await res.json() as Manifest;
    // The server reads a snapshot under .wharf/: that path is in the project too.
    assertNoAbsolutePath(manifest, p.root, elsewhere.root);
    assert.equal(node(manifest, "staging.stg_patients").samples_withheld, "tagged pii");
    assert.deepEqual(node(manifest, "staging.stg_patients").rejected_samples, []);
    assert.equal(node(manifest, "staging.stg_visits").rejected_samples.length, 1);
  } finally {
    await snapshots.close();
  }
});

Deno.test("docs build: a dbt source tagged pii withholds the samples of every model reading it", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: clinic\nconfig-version: 2\n",
    "seeds/patients.csv": "patient_id,name\n1,Ada Lovelace\n",
    "models/sources.yml":
      "version: 2\nsources:\n  - name: clinic_raw\n    schema: main\n    tables:\n      - name: patients\n        tags: [pii]\n",
    "models/stg_patients.sql": "select * from {{ source('clinic_raw', 'patients') }}",
    "models/patient_count.sql": "select count(*) as n from {{ ref('stg_patients') }}",
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const docs = await runCli(["--project", p.root, "docs", "build"]);
  assert.equal(docs.code, 0, docs.stdout + docs.stderr);
  const manifest = JSON.parse(
    await Deno.readTextFile(join(p.root, "target", "docs", "manifest.json")),
  ) as Manifest;
  const withheld = Object.fromEntries(manifest.nodes.map((n) => [n.id, n.samples_withheld]));
  assert.equal(withheld["main.stg_patients"], "upstream source.clinic_raw.patients is tagged pii");
  assert.equal(withheld["main.patient_count"], "upstream source.clinic_raw.patients is tagged pii");
});

Deno.test("relativePathsIn(): project paths become relative, other absolute paths their name, the rest is untouched", () => {
  const root = "/srv/my project";
  const cases: [string, string][] = [
    ["read_csv('/srv/my project/models/seeds/a.csv')", "read_csv('models/seeds/a.csv')"],
    ['Cannot read "/data/in/b.csv": denied', 'Cannot read "b.csv": denied'],
    ["Warehouse /srv/my project: busy", "Warehouse .: busy"],
    ["path=/tmp/t1/x/a.csv,next", "path=a.csv,next"],
    ["C:\\Users\\me\\a.csv", "a.csv"],
    ["file:///data/in/c.csv", "file://c.csv"],
    // Not paths: URLs, division, dates, relative paths, comments.
    ["https://example.org/a/b.csv", "https://example.org/a/b.csv"],
    ["select a / b, 1/1/2021 from x /* y */", "select a / b, 1/1/2021 from x /* y */"],
    ["models/staging/a.sql", "models/staging/a.sql"],
    ["/srv/my projects/x.csv", "my projects/x.csv"],
  ];
  for (const [text, want] of cases) assert.equal(relativePathsIn(text, root), want, text);
  assert.equal(
    relativePathsIn("GET /api/models/x and /srv/my project/a", root, { projectOnly: true }),
    "GET /api/models/x and a",
  );
});

Deno.test("docs build: column lineage goes through CTEs, subqueries, union all by name and select * down to the columns read", async () => {
  await using p = await tempProject({
    "models/seeds/people_a.csv": "id,name,city\n1,Ann,Boston\n",
    "models/seeds/people_b.csv": "id,name,zip\n2,Bo,02130\n",
    "models/staging/stg_people_a.sql": "select * from seeds.people_a",
    "models/staging/stg_people_b.sql": "select * exclude (zip), zip as postal from seeds.people_b",
    "models/intermediate/int_people.sql": [
      "with people as (",
      "    select * from staging.stg_people_a",
      "    union all by name",
      "    select p.* from staging.stg_people_b as p",
      "), named as (select id, name as full_name, city from people)",
      "select n.id, n.full_name, upper(n.city) as city, q.postal",
      "from named as n left join (select id, postal from staging.stg_people_b) as q using (id)",
    ].join("\n"),
    "models/marts/people.sql": "with x as (select * from intermediate.int_people) select * from x",
  });
  assert.ok((await runProject("build", p.config, { db: p.db })).ok);
  const manifest = await buildDocs(p.config, { db: p.db, out: join(p.root, "docs") });
  const lineage = (id: string) =>
    Object.fromEntries(node(manifest, id).columns.map((c) => [c.name, c.lineage]));
  // select *: each column from the seed's column of its name.
  assert.deepEqual(lineage("staging.stg_people_a"), {
    id: ["seeds.people_a.id"],
    name: ["seeds.people_a.name"],
    city: ["seeds.people_a.city"],
  });
  assert.deepEqual(lineage("staging.stg_people_b").postal, ["seeds.people_b.zip"]);
  // Through two CTEs and a union by name: both sides where both have the column, one where one
  // has it; a computed column (upper(city)) has none; a subquery's column its own.
  assert.deepEqual(lineage("intermediate.int_people"), {
    id: ["staging.stg_people_a.id", "staging.stg_people_b.id"],
    full_name: ["staging.stg_people_a.name", "staging.stg_people_b.name"],
    city: [],
    postal: ["staging.stg_people_b.postal"],
  });
  assert.deepEqual(lineage("marts.people"), {
    id: ["intermediate.int_people.id"],
    full_name: ["intermediate.int_people.full_name"],
    city: ["intermediate.int_people.city"],
    postal: ["intermediate.int_people.postal"],
  });
});
