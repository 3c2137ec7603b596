import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { enrichNpis } from "../../src/enrich/enrich_npi.ts";
import { EXPORT_COLUMNS, exportNpiByState } from "../../src/enrich/export_npi.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { REAL, REPO, runCli, type TempProject, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { fakeRegistry, registryAnswer, validNpis } from "./fake_registry.ts";
import { FAST, npiProject } from "./helpers.ts";

const HEADER = EXPORT_COLUMNS.join(",");

/** The files of an export folder: name → data lines (header checked and left out). */
async function readExport(dir: string): Promise<Map<string, string[]>> {
  const files = new Map<string, string[]>();
  for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
    const lines = (await Deno.readTextFile(join(dir, e.name))).split("\n");
    assert.equal(lines[0], HEADER, e.name);
    assert.equal(lines.at(-1), "", `${e.name} ends with a newline`);
    files.set(e.name, lines.slice(1, -1));
  }
  return files;
}

Deno.test("the NPI models flatten both response shapes, and the export writes one file per practice state", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const npis = await validNpis(120, 500000000);
  const file = await p.write("npis.txt", ["NPI", ...npis, "999"].join("\n"));
  await using registry = fakeRegistry();
  await enrichNpis(config, file, { db: p.db, registry: registry.url, ...FAST });
  const out = join(p.root, "export");
  const summary = await exportNpiByState(config, out, { db: p.db });
  const shapes = await query(
    p.db,
    "select response_shape, count(*)::int as n from staging.stg_npi_providers group by 1 order by 1",
  );
  assert.deepEqual(shapes.map((s) => s.response_shape), ["newer", "older"]);
  const [times] = await query(
    p.db,
    "select count(*) filter (where created_at = timestamptz '2011-04-05 00:00:00+00')::int as ok, count(*)::int as n from staging.stg_npi_providers",
  );
  assert.equal(times!.ok, times!.n);
  const files = await readExport(out);
  assert.deepEqual(
    Object.fromEntries([...files].map(([f, lines]) => [f, lines.length])),
    summary,
  );
  for (const f of ["None.csv", "Other.csv", "Failed.csv", "NY.csv"]) assert.ok(files.has(f), f);
  assert.equal(summary["Other.csv"], 0);
  const seen = new Map<string, string[]>();
  for (const [f, lines] of files) {
    for (const line of lines) {
      const npi = line.split(",")[0]!;
      assert.ok(!(seen.get(npi) ?? []).includes(f), `${npi} twice in ${f}`);
      seen.set(npi, [...(seen.get(npi) ?? []), f]);
    }
  }
  // Two practices in one state: one row, with the LOCATION address. A second state: a row in each.
  const twoInOne = npis.find((n) =>
    Number(n) % 5 === 0 && Number(n) % 3 !== 0 && Number(n) % 17 !== 0 && Number(n) % 19 !== 0
  )!;
  assert.equal(seen.get(twoInOne)!.length, 1);
  const [state] = seen.get(twoInOne)!;
  const row = files.get(state!)!.find((l) => l.startsWith(`${twoInOne},`))!;
  assert.match(row, new RegExp(`,${Number(twoInOne) % 900} MAIN ST,`));
  assert.match(files.get("Failed.csv")!.join("\n"), /^999,,,invalid,/m);
  assert.match(files.get("None.csv")!.join("\n"), /"CLINIC \d+, LLC"|SMITH/);
  const cli = await runCli([
    "--project",
    REPO,
    "--db",
    p.db,
    "export",
    "npi-by-state",
    join(p.root, "export2"),
  ]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, /Wrote \d+ files to .*export2:\n {2}CA\.csv: \d+ rows?\n/);
});

/** The real answers of tests/fixtures/real/npi by NPI (each answer for every NPI it holds). */
async function realAnswers(): Promise<Map<string, string>> {
  const answers = new Map<string, string>();
  const dir = join(REAL, "npi");
  for (const name of [...Deno.readDirSync(dir)].map((e) => e.name).sort()) {
    const text = await Deno.readTextFile(join(dir, name));
    for (const r of (JSON.parse(text).results ?? []) as { number: unknown }[]) {
      if (!answers.has(String(r.number))) answers.set(String(r.number), text);
    }
  }
  return answers;
}

Deno.test("on the real registry answers: failures exit 1 after the summary, and each state's file shows the practice address in that state", async () => {
  await using p = await tempProject();
  const answers = await realAnswers();
  assert.equal(answers.size, 15);
  // The registry's Errors answers and its "no such NPI" answer, for three valid NPIs.
  const [noCriteria, needsMore, unknown] = await validNpis(3, 700000000);
  const read = (f: string) => Deno.readTextFile(join(REAL, "npi", f));
  answers.set(noCriteria!, await read("api-8d2d52.json"));
  answers.set(needsMore!, await read("api-c85286.json"));
  answers.set(unknown!, await read("api-a2f836.json"));
  await p.write("npis.txt", ["npi", ...answers.keys(), "1234567890"].join("\n"));
  await using registry = fakeRegistry({ answers });
  const enrich = (...extra: string[]) =>
    runCli([
      "--project",
      REPO,
      "--db",
      p.db,
      ...extra,
      "enrich",
      "npi",
      join(p.root, "npis.txt"),
      "--registry",
      registry.url,
    ]);
  const first = await enrich();
  assert.equal(first.code, 1, first.stderr);
  assert.match(
    first.stdout,
    /^19 distinct NPIs \(0 duplicate lines, 1 invalid, 0 already done\); fetched 18 /,
  );
  assert.match(first.stdout, /\nLedger: enriched 15, failed 2, invalid 1, not_found 1\.\n/);
  assert.match(first.stdout, /\n2 NPIs failed: the last error of each is in wharf\.npi_ledger/);
  // Nothing left to ask, but the list still holds failures: still exit 1, and the JSON says so.
  const again = await enrich("--json");
  assert.equal(again.code, 1, again.stderr);
  const json = JSON.parse(again.stdout);
  assert.deepEqual([json.ok, json.fetched, json.states.failed], [false, 0, 2]);
  assert.deepEqual(
    await query(
      p.db,
      "select npi, retryable, last_error from wharf.npi_ledger where state = 'failed' order by npi",
    ),
    [
      {
        npi: noCriteria,
        retryable: false,
        last_error: "generic: No valid search criteria provided",
      },
      {
        npi: needsMore,
        retryable: false,
        last_error: "enumeration_type: enumeration_type requires additional search criteria",
      },
    ],
  );

  const out = join(p.root, "export");
  const exported = await runCli(["--project", REPO, "--db", p.db, "export", "npi-by-state", out]);
  assert.equal(exported.code, 0, exported.stderr);
  const files = await readExport(out);
  assert.deepEqual(
    Object.fromEntries([...files].map(([f, lines]) => [f, lines.length])),
    {
      "AK.csv": 1,
      "AL.csv": 1,
      "CA.csv": 1,
      "Failed.csv": 4,
      "FL.csv": 2,
      "GA.csv": 10,
      "MI.csv": 1,
      "NC.csv": 1,
      "None.csv": 0,
      "Other.csv": 0,
    },
  );
  const row = (file: string, npi: string) => files.get(file)!.find((l) => l.startsWith(`${npi},`));
  // LOCATION in NC, a practice location in GA: each file shows the address in its state.
  assert.equal(
    row("NC.csv", "1720377294"),
    "1720377294,NC,NC,enriched,NPI-1,ELISE HIZA,207X00000X,Orthopaedic Surgery,111 VICTORIA RD,,ASHEVILLE,288014811,828-252-7331,A,,,",
  );
  assert.equal(
    row("GA.csv", "1720377294"),
    "1720377294,GA,GA,enriched,NPI-1,ELISE HIZA,207X00000X,Orthopaedic Surgery,49 JESSE HILL JR DR SE # 307,,ATLANTA,303033049,404-778-1567,A,,,",
  );
  // LOCATION and a practice location in AK (one row, the LOCATION address), another in GA.
  assert.equal(
    row("AK.csv", "1003142399"),
    "1003142399,AK,AK,enriched,NPI-1,SHAREE ROWELL,225700000X,Massage Therapist,1700 E BOGARD RD STE A203,,WASILLA,996546569,256-392-6234,A,2015-01-14,2019-02-13,",
  );
  assert.equal(
    row("GA.csv", "1003142399"),
    "1003142399,GA,GA,enriched,NPI-1,SHAREE ROWELL,225700000X,Massage Therapist,130 W WIEUCA RD NE,SUITE 204,ATLANTA,303423250,404-530-9295,A,2015-01-14,2019-02-13,",
  );
  // A LOCATION state written "GEORGIA" (country "AA"): the state's full name, so GA.csv (never
  // GEORGIA.csv), with the value as written in registry_state.
  assert.equal(
    row("GA.csv", "1053975268"),
    "1053975268,GA,GEORGIA,enriched,NPI-1,KELSEY SPRANG,103TC0700X,Psychologist Clinical,12 EXECUTIVE PARK DRIVE NE,RM 388,ATLANTA,30329,404-778-0922,A,,,",
  );
  // The newer shape (strings, epoch milliseconds), an organisation.
  assert.equal(
    row("FL.csv", "1003101296"),
    '1003101296,FL,FL,enriched,NPI-2,"101 DIABETIC SUPPLIES, LLC",332B00000X,Durable Medical Equipment & Medical Supplies,1400 WHITE DR STE B,,TITUSVILLE,327809657,321-676-8989,A,,,',
  );
  assert.deepEqual(files.get("Failed.csv")!.map((l) => l.split(",").slice(0, 4).join(",")), [
    "1234567890,,,invalid",
    `${noCriteria},,,failed`,
    `${needsMore},,,failed`,
    `${unknown},,,not_found`,
  ]);
  // A not-found NPI says what happened in last_error, as a failed one gives its error.
  assert.equal(
    row("Failed.csv", unknown!),
    `${unknown},,,not_found${
      ",".repeat(13)
    }not found in the registry: it answered no result for this NPI`,
  );

  // The staging models on the same answers.
  assert.deepEqual(
    await query(
      p.db,
      "select response_shape, count(*)::int as n, count(*) filter (where created_at::date = enumeration_date)::int as dated from staging.stg_npi_providers group by 1 order by 1",
    ),
    [{ response_shape: "newer", n: 1, dated: 1 }, { response_shape: "older", n: 14, dated: 14 }],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select purpose, state, usps_state, country_code from staging.stg_npi_addresses where usps_state is distinct from state order by 1, 2",
    ),
    [
      // The state's full name is its code; GAS is no state.
      { purpose: "LOCATION", state: "GEORGIA", usps_state: "GA", country_code: "AA" },
      { purpose: "MAILING", state: "GAS", usps_state: null, country_code: "UM" },
      { purpose: "MAILING", state: "GEORGIA", usps_state: "GA", country_code: "UM" },
    ],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select position, code, is_primary, state from staging.stg_npi_taxonomies where npi = '1003142399' order by position",
    ),
    [
      { position: 1, code: "225700000X", is_primary: false, state: "GA" },
      { position: 2, code: "225700000X", is_primary: true, state: "AK" },
    ],
  );
});

/** A registry answer for `npi` whose LOCATION address is in `state`, with a practice location in NY. */
function answerIn(npi: string, state: string): string {
  const answer = registryAnswer(npi) as {
    results: { addresses: Record<string, unknown>[]; practiceLocations: unknown[] }[];
  };
  const [result] = answer.results;
  const location = { ...result!.addresses.at(-1)!, address_purpose: "LOCATION", state };
  result!.addresses = [location, ...result!.addresses.slice(-1)];
  result!.practiceLocations = [{ ...location, state: "NY", address_1: "1 PRACTICE PL" }];
  return JSON.stringify(answer);
}

async function enrichWithStates(p: TempProject, states: string[]): Promise<string[]> {
  const npis = (await validNpis(states.length * 4, 800000000)).filter((n) =>
    Number(n) % 17 !== 0 && Number(n) % 19 !== 0
  ).slice(0, states.length);
  const answers = new Map(npis.map((npi, i) => [npi, answerIn(npi, states[i]!)]));
  const file = await p.write("npis.txt", npis.join("\n"));
  await using registry = fakeRegistry({ answers });
  await enrichNpis(await npiProject(p), file, { db: p.db, registry: registry.url, ...FAST });
  return npis;
}

Deno.test("registry data names no file: a state's full name goes to its code's file, any other value that is no USPS code to Other.csv, and nothing is written outside the folder", async () => {
  await using p = await tempProject();
  const states = [
    "../ESCAPED",
    "GEORGIA",
    "ga",
    " TX ",
    "AE",
    "../../NY",
    "NY/../../x",
    "PR",
    "new_york",
    "District  of Columbia",
    "GEORGIAN",
    "NEWYORK",
    "../GEORGIA",
  ];
  const npis = await enrichWithStates(p, states);
  const out = join(p.root, "exports", "npi");
  const summary = await exportNpiByState(await npiProject(p), out, { db: p.db });
  assert.deepEqual(Object.keys(summary).sort(), [
    "DC.csv",
    "Failed.csv",
    "GA.csv",
    "NY.csv",
    "None.csv",
    "Other.csv",
    "PR.csv",
    "TX.csv",
  ]);
  const files = await readExport(out);
  const registryStates = (f: string) =>
    files.get(f)!.map((l) => l.split(",").slice(0, 3).join(",")).sort();
  assert.deepEqual(
    registryStates("Other.csv"),
    [
      `${npis[0]},,../ESCAPED`,
      `${npis[4]},,AE`,
      `${npis[5]},,../../NY`,
      `${npis[6]},,NY/../../x`,
      `${npis[10]},,GEORGIAN`,
      `${npis[11]},,NEWYORK`,
      `${npis[12]},,../GEORGIA`,
    ].sort(),
  );
  // Case and spaces aside, a code is a code, and a full name (spaces and underscores alike) is
  // its code; the value as written is kept.
  assert.deepEqual(registryStates("GA.csv"), [`${npis[1]},GA,GEORGIA`, `${npis[2]},GA,ga`].sort());
  assert.deepEqual(registryStates("TX.csv"), [`${npis[3]},TX, TX `]);
  assert.deepEqual(registryStates("DC.csv"), [`${npis[9]},DC,District  of Columbia`]);
  // Every provider practices in NY too (its LOCATION address): new_york is that state, one row.
  assert.equal(files.get("NY.csv")!.length, states.length);
  assert.deepEqual(
    files.get("NY.csv")!.filter((l) => l.startsWith(`${npis[8]},`)).map((l) =>
      l.split(",").slice(0, 3).join(",")
    ),
    [`${npis[8]},NY,new_york`],
  );
  // The mart's tests hold on these values: each practice_state is a code, the code written or named.
  const tested = await runProject("test", await npiProject(p), {
    db: p.db,
    select: ["marts.npi_providers_by_state"],
  });
  assert.deepEqual(
    tested.results.filter((r) => r.status !== "pass").map((r) => [r.id, r.status, r.message]),
    [],
  );
  assert.ok(tested.results.some((r) => r.id.includes("practice_state")));
  // Only the export folder was written to.
  assert.deepEqual([...Deno.readDirSync(dirname(out))].map((e) => e.name), ["npi"]);
  const root = [...Deno.readDirSync(p.root)].map((e) => e.name).sort();
  assert.ok(root.every((n) => !n.endsWith(".csv")), root.join(", "));
});

Deno.test("the export replaces a symbolic link planted in its folder instead of writing through it", async () => {
  await using p = await tempProject();
  await enrichWithStates(p, ["GA"]);
  const out = join(p.root, "export");
  await Deno.mkdir(out);
  const outside = await p.write("outside.csv", "keep me\n");
  await Deno.symlink(outside, join(out, "GA.csv"));
  await exportNpiByState(await npiProject(p), out, { db: p.db });
  assert.equal(await Deno.readTextFile(outside), "keep me\n");
  assert.ok(!(await Deno.lstat(join(out, "GA.csv"))).isSymlink);
  assert.equal((await readExport(out)).get("GA.csv")!.length, 1);
});

Deno.test("a deactivated NPI keeps its status and deactivation date in the models and the export; a reactivated one both dates", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const npis = await validNpis(200, 770000000);
  const deactivated = npis.filter((n) =>
    Number(n) % 23 === 0 && Number(n) % 17 !== 0 && Number(n) % 19 !== 0
  );
  assert.ok(deactivated.length > 0);
  // The real answer for 1003142399: deactivated 2015-01-14, reactivated 2019-02-13, status A.
  const real = await Deno.readTextFile(join(REAL, "npi", "api-a769af.json"));
  await using registry = fakeRegistry({ answers: new Map([["1003142399", real]]) });
  const file = await p.write("npis.txt", ["npi", ...npis, "1003142399"].join("\n"));
  await enrichNpis(config, file, { db: p.db, registry: registry.url, ...FAST });
  const out = join(p.root, "export");
  await exportNpiByState(config, out, { db: p.db });
  const providers = await query(
    p.db,
    "select npi, status, deactivation_date::VARCHAR as deactivated, reactivation_date::VARCHAR as reactivated from staging.stg_npi_providers where deactivation_date is not null order by npi",
  );
  assert.deepEqual(providers, [
    { npi: "1003142399", status: "A", deactivated: "2015-01-14", reactivated: "2019-02-13" },
    ...deactivated.map((npi) => ({
      npi,
      status: "D",
      deactivated: "2020-06-15",
      reactivated: null,
    })),
  ]);
  // Every exported row of a deactivated NPI says so.
  const rows = [...(await readExport(out)).values()].flat();
  for (const npi of deactivated) {
    const mine = rows.filter((l) => l.startsWith(`${npi},`));
    assert.ok(mine.length > 0, npi);
    for (const l of mine) assert.match(l, /,D,2020-06-15,,$/);
  }
});
