import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig, type ResolvedConfig } from "../../src/config.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { landLookup } from "../../src/tic/land_lookup.ts";
import { landTic } from "../../src/tic/land_tic.ts";
import { REAL, REPO, runCli, type TempProject, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

const SERIF = join(REAL, "serif");
const INDEX = join(SERIF, "anthem_2023-04_index_excerpt.compact-lines.json.gz");
/** EIN 010643676 (PRUDENT BUYER PPO): Anthem's 11 NY PPO files, one BCBS file each of codes 301, 302, 800. */
const PPO_LOOKUP = join(SERIF, "anthem_ein_lookup_010643676.ny_excerpt.json");
/** EIN 010504941 (TIDEWAY MARKET): Anthem's 3 NY files, displayed as NY_HMO_. */
const HMO_LOOKUP = join(SERIF, "anthem_ein_lookup_010504941.ny_excerpt.json");
const ANTHEM = "https://antm-pt-prod-dataz-nogbd-nophi-us-east1.s3.amazonaws.com/anthem/";

async function healthcare(p: TempProject): Promise<ResolvedConfig> {
  const base = await loadConfig(REPO);
  return { ...base, paths: { ...base.paths, target: join(p.root, "target") } };
}

/** `wharf tic files` as users run it: the URLs it prints. */
async function ticFiles(db: string, ...args: string[]): Promise<string[]> {
  const r = await runCli(["--project", REPO, "--db", db, "tic", "files", ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split("\n").filter(Boolean);
}

/** `wharf --json tic files …args`: the answer as data. */
async function ticFilesJson(db: string, ...args: string[]) {
  const r = await runCli(["--project", REPO, "--db", db, "--json", "tic", "files", ...args]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The files of the answer per family: Anthem's own by product, BCBS by plan and network code. */
function families(urls: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const url of urls) {
    const name = url.split("?")[0]!.split("/").pop()!;
    const family = /^\d{4}-\d{2}_(\d{3}_\w{4})_/.exec(name)?.[1] ??
      /^([A-Z]{2}_[A-Z0-9]+?)(_\d+_\d+)?\.json\.gz$/.exec(name)?.[1] ?? name;
    out[family] = (out[family] ?? 0) + 1;
  }
  return out;
}

/** How the compact excerpt's files are attributed (marts.tic_attribution), with its lookups. */
const COMPACT_ATTRIBUTION = [
  { attribute: "state", basis: "lookup", files: 19 },
  { attribute: "state", basis: "lookup_code", files: 38 },
  { attribute: "state", basis: "file_name", files: 51 },
  { attribute: "state", basis: "description", files: 1419 },
  { attribute: "state", basis: "none", files: 1451 },
  { attribute: "network", basis: "lookup", files: 14 },
  { attribute: "network", basis: "plan_names", files: 2646 },
  { attribute: "network", basis: "none", files: 318 },
];

Deno.test("on the real Anthem excerpt, NY PPO is Anthem's own NY PPO files and the BCBS NY PPO files; the EIN lookups add the Excellus BluePPO files", async () => {
  await using p = await tempProject();
  const landed = await runCli(["--project", REPO, "--db", p.db, "tic", INDEX]);
  assert.equal(landed.code, 0, landed.stderr);

  // Without lookups: Anthem's NY files by their names (state NY, whatever
  // follows; PPO from the plan PRUDENT BUYER PPO), Highmark's Western and
  // Northeastern New York PPO files by their descriptions. Excellus BCBS
  // files name no state anywhere: missed.
  const withoutLookups = await ticFiles(p.db, "--state", "NY", "--network", "PPO");
  assert.deepEqual(families(withoutLookups), {
    "301_71A0": 9,
    "800_72A0": 23,
    "NY_BCCMMEDCL00": 11,
  });
  // "In-Network Negotiated Rates Files" is never Indiana; full names count (BCBS Minnesota).
  assert.deepEqual(
    await query(
      p.db,
      `select state_basis, count(*)::int as n from marts.tic_in_network_files
       where list_contains(states, 'IN') or list_contains(states, 'MN') group by all order by all`,
    ),
    [{ state_basis: "description", n: 449 }, { state_basis: "file_name", n: 2 }],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select file_name from marts.tic_in_network_files where list_contains(states, 'IN') order by 1",
    ),
    [{ file_name: "IN_BCCMMEDCL00.json.gz" }, { file_name: "IN_CACHMED0000.json.gz" }],
  );

  const lookups = await runCli([
    ...["--project", REPO, "--db", p.db, "tic", "lookup"],
    ...[PPO_LOOKUP, HMO_LOOKUP],
  ]);
  assert.equal(lookups.code, 0, lookups.stderr);

  // With them: plan code 302 is New York (2023-04_302_42B0_… is displayed
  // as 2023-04_NY_42B0_…), so every Excellus BluePPO file is in.
  const parsed = await ticFilesJson(p.db, "--state", "NY", "--network", "PPO");
  assert.deepEqual([parsed.state, parsed.network, parsed.ein, parsed.files.length], [
    "NY",
    "PPO",
    null,
    47,
  ]);
  const answer: string[] = parsed.files.map((f: { url: string }) => f.url);
  assert.equal(answer.length, 47);
  assert.deepEqual(families(answer), {
    "301_71A0": 9,
    "302_42B0": 4,
    "800_72A0": 23,
    "NY_BCCMMEDCL00": 11,
  });
  for (
    const url of [`${ANTHEM}NY_BCCMMEDCL00_01_11.json.gz`, `${ANTHEM}NY_BCCMMEDCL00_11_11.json.gz`]
  ) {
    assert.ok(answer.includes(url), url);
  }
  for (let n = 1; n <= 4; n++) {
    const prefix =
      `https://anthembcca.mrf.bcbs.com/2023-04_302_42B0_in-network-rates_${n}_of_4.json.gz?&Expires=1684418418&Signature=`;
    assert.ok(answer.some((u) => u.startsWith(prefix)), prefix);
  }
  // Anthem's other NY files are HMO: by the lookup (NY_HMO_FGFSMED0000_…) and
  // by their plan (ACCESS BLUE NE HMO: NY_CACHMED0000_…); the BCBS NY files of
  // plans without a network (Traditional, BlueShield Par) are not PPO.
  for (
    const gone of ["NY_FGFSMED0000", "NY_CACHMED0000", "_301_71B0_", "_302_42F0_", "_800_72B0_"]
  ) {
    assert.ok(!answer.some((u) => u.includes(gone)), gone);
  }
  assert.deepEqual(
    await query(
      p.db,
      `select states, network_types, state_basis, network_basis, count(*)::int as n
       from marts.tic_in_network_files where list_contains(states, 'NY')
       group by all order by all`,
    ),
    [
      {
        states: ["NY"],
        network_types: [],
        state_basis: "lookup_code",
        network_basis: "none",
        n: 3,
      },
      {
        states: ["NY"],
        network_types: ["HMO"],
        state_basis: "file_name",
        network_basis: "plan_names",
        n: 11,
      },
      {
        states: ["NY"],
        network_types: ["HMO"],
        state_basis: "lookup",
        network_basis: "lookup",
        n: 3,
      },
      {
        states: ["NY"],
        network_types: ["HMO"],
        state_basis: "lookup_code",
        network_basis: "plan_names",
        n: 2,
      },
      {
        states: ["NY"],
        network_types: ["PPO"],
        state_basis: "lookup",
        network_basis: "lookup",
        n: 11,
      },
      {
        states: ["NY"],
        network_types: ["PPO"],
        state_basis: "lookup",
        network_basis: "plan_names",
        n: 3,
      },
      {
        states: ["NY"],
        network_types: ["PPO"],
        state_basis: "lookup_code",
        network_basis: "plan_names",
        n: 33,
      },
    ],
  );

  // Per EIN, a file's network is what that EIN's plans say: the 47 are all
  // EIN 010643676's (PRUDENT BUYER PPO); EIN 010504941 (TIDEWAY MARKET: no
  // network in its plan names) has Anthem's 3 NY HMO files by its lookup, and
  // no MN PPO file although it shares the 449 BCBS Minnesota files with
  // PRUDENT BUYER PPO.
  const ein = await ticFilesJson(p.db, "--state", "NY", "--network", "PPO", "--ein", "010643676");
  assert.deepEqual(ein.files.map((f: { url: string }) => f.url), answer);
  assert.deepEqual([ein.ein, ein.einFiles], ["010643676", 2558]);
  assert.deepEqual(
    await ticFiles(p.db, "--state", "NY", "--network", "HMO", "--ein", "010504941"),
    [1, 2, 3].map((n) => `${ANTHEM}NY_FGFSMED0000_0${n}_03.json.gz`),
  );
  assert.deepEqual(
    await query(
      p.db,
      `select scope, states, list_contains(network_types, 'PPO') as ppo, count(*)::int as n
       from intermediate.int_tic_file_attribution
       where list_contains(states, 'MN') or (scope = '010504941' and list_contains(states, 'NY'))
       group by all order by all`,
    ),
    [
      { scope: "", states: ["MN"], ppo: true, n: 449 },
      { scope: "010504941", states: ["MN"], ppo: false, n: 449 },
      { scope: "010504941", states: ["NY"], ppo: false, n: 8 },
      { scope: "010643676", states: ["MN"], ppo: true, n: 449 },
    ],
  );
  assert.deepEqual(parsed.files[0], {
    url_key: "/2023-04_301_71A0_in-network-rates_01_of_09.json.gz",
    url: answer[0],
    file_name: "2023-04_301_71A0_in-network-rates_01_of_09.json.gz",
    description: "Highmark BCBS Western NY : HighMark BlueCross BlueShield of Western New York-PPO",
    states: ["NY"],
    network_types: ["PPO"],
    state_basis: "lookup",
    network_basis: "plan_names",
    eins: ["010643676"],
    plans: 1,
  });
  // The blind spots, in numbers (marts.tic_attribution) and by file.
  assert.deepEqual(parsed.attribution, COMPACT_ATTRIBUTION);
  assert.equal(parsed.unattributed, 1678);
  assert.deepEqual(
    await query(
      p.db,
      "select missing, count(*)::int as n, min(description) as example from marts.tic_unattributed_files group by all order by all",
    ),
    [
      { missing: "network", n: 227, example: "Arkansas BCBS : PPP Network" },
      { missing: "state", n: 1360, example: "Capital BC : Capital Blue Cross PPO" },
      {
        missing: "state and network",
        n: 91,
        example: "Capital BC : Capital Blue Cross Traditional",
      },
    ],
  );
  const analysis =
    (await Deno.readTextFile(join(REPO, "sql", "analyses", "ny_ppo_in_network_files.sql")))
      .replace(/;\s*$/, "");
  assert.deepEqual((await query(p.db, analysis)).map((r) => r.url), answer);
});

Deno.test("blind spots count distinct files: the same index landed in two layouts and an excerpt of it changes no answer and no count", async () => {
  await using p = await tempProject();
  for (
    const index of [
      INDEX,
      join(SERIF, "anthem_2023-04_index_excerpt.pretty.json.gz"),
      join(SERIF, "anthem_2023-04_reporting_structure_0.json"),
    ]
  ) {
    const landed = await runCli(["--project", REPO, "--db", p.db, "tic", index]);
    assert.equal(landed.code, 0, landed.stderr);
  }
  const lookups = await runCli([
    ...["--project", REPO, "--db", p.db, "tic", "lookup"],
    ...[PPO_LOOKUP, HMO_LOOKUP],
  ]);
  assert.equal(lookups.code, 0, lookups.stderr);
  // raw.tic_files is distinct per index: 2,978 in-network files in each
  // layout, 860 in the excerpt (the first structure alone), 2,978 in all.
  assert.deepEqual(
    await query(
      p.db,
      `select count(*)::int as n, count(distinct url_key)::int as files
       from raw.tic_files where kind = 'in_network'`,
    ),
    [{ n: 2978 + 2978 + 860, files: 2978 }],
  );
  // The same answer and the same blind spots as with the compact index alone.
  const parsed = await ticFilesJson(p.db, "--state", "NY", "--network", "PPO");
  assert.equal(parsed.files.length, 47);
  assert.deepEqual(parsed.attribution, COMPACT_ATTRIBUTION);
  assert.equal(parsed.unattributed, 1678);
  assert.deepEqual(
    await query(
      p.db,
      `select index_ids::int[] as index_ids, count(*)::int as n, count(distinct url_key)::int as files
       from marts.tic_unattributed_files group by all order by all`,
    ),
    [
      { index_ids: [1, 2], n: 1359, files: 1359 },
      { index_ids: [1, 2, 3], n: 319, files: 319 },
    ],
  );
  // The excerpt's plans (TIDEWAY MARKET: PATHWAY, K HEALTH, …) name no
  // network; the whole index's plans link to the same files and do: a file
  // attributed through any index is attributed.
  assert.deepEqual(
    await query(
      p.db,
      `select network_basis, count(*)::int as n from marts.tic_in_network_files
       where list_contains(index_ids, 3) group by all order by all`,
    ),
    [
      { network_basis: "lookup", n: 3 },
      { network_basis: "none", n: 318 },
      { network_basis: "plan_names", n: 539 },
    ],
  );
  const r = await runCli([
    "--project",
    REPO,
    "--db",
    p.db,
    "tic",
    "files",
    "--state",
    "NY",
    "--network",
    "PPO",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /\. 1678 distinct in-network files \(by path, over every landed index\) have no state or no network/,
  );
});

/** An index planting the traps of free-text attribution, and a lookup. */
const TRAPS = {
  index: JSON.stringify({
    reporting_entity_name: "Traps",
    reporting_structure: [
      {
        reporting_plans: [
          {
            plan_name: "ACCESS BLUE NE HMO - EMPLOYER - ANTHEM",
            plan_id: "1",
            plan_id_type: "EIN",
          },
          { plan_name: "LIFEWISE HEALTH PLAN OF WA PREFERRED", plan_id: "2", plan_id_type: "EIN" },
        ],
        in_network_files: [
          {
            description: "In-Network Negotiated Rates Files",
            location: "https://h/a/IN_X1.json.gz",
          },
          {
            description: "In-Network Negotiated Rates Files",
            location: "https://h/a/rates_a.json.gz",
          },
        ],
      },
      {
        reporting_plans: [
          { plan_name: "K HEALTH - NEW YORK LIFE - ANTHEM", plan_id: "3", plan_id_type: "EIN" },
        ],
        in_network_files: [
          { description: "Highmark BCBS West Virginia : PAR", location: "https://h/b1.json.gz" },
          {
            description: "Florida Blue: Triple-S (PR) : BlueCard PPO",
            location: "https://h/b2.json.gz",
          },
          { description: "BCBS Minnesota : Aware", location: "https://h/b3.json.gz" },
          { description: "Excellus BCBS : BluePPO", location: "https://h/b4.json.gz" },
          {
            description: "In-Network Negotiated Rates Files",
            location: "https://h/a/NY_BCCMMEDCL00_01_11.json.gz",
          },
          {
            description: "x",
            location: "https://h/2023-04_302_42B0_in-network-rates_2_of_4.json.gz?sig=1",
          },
          {
            description: "x",
            location: "https://h/2023-04_430_65B0_in-network-rates.json.gz?sig=1",
          },
        ],
      },
      {
        reporting_plans: [
          {
            plan_name: "PRUDENT BUYER PPO - EMPLOYER - ANTHEM",
            plan_id: "4",
            plan_id_type: "HIOS",
          },
        ],
        in_network_files: [
          {
            description: "In-Network Negotiated Rates Files",
            location: "https://h/a/CA_BCCSMED0220.json.gz",
          },
          {
            description: "Dental Vision",
            location: "https://h/a/2023-04-01_anthem-dental_me_in-network-rates.json.gz",
          },
        ],
      },
    ],
  }),
  lookup: JSON.stringify({
    lastupdated: "2023-04-01",
    "In-Network Negotiated Rates Files": [
      {
        url: "https://other.host/a/NY_BCCMMEDCL00_01_11.json.gz",
        displayname: "NY_PPO_BCCMMEDCL00_01_11.json.gz",
      },
      { url: "https://h/a/CA_BCCSMED0220.json.gz", displayname: "CA_HMO_BCCSMED0220.json.gz" },
    ],
    "Blue Cross Blue Shield Association Out-of-Area Rates Files": [
      {
        url: "https://x/2023-04_302_42B0_in-network-rates_1_of_4.json.gz?sig=2",
        displayname: "2023-04_NY_42B0_in-network-rates_1_of_4.json.gz",
      },
      {
        url: "https://x/2023-04_430_65B0_in-network-rates.json.gz?sig=2",
        displayname: "2023-04_WA_AK_65B0_in-network-rates.json.gz",
      },
    ],
  }),
};

Deno.test("attribution: a state only where one is expected, full names, lookups first, plan codes from any lookup", async () => {
  await using p = await tempProject();
  const config = await healthcare(p);
  const index = await landTic(config, await p.write("traps.json", TRAPS.index), { db: p.db });
  assert.equal(index.status, "complete", index.error ?? "");
  assert.equal(
    (await landLookup(config, await p.write("111111111.json", TRAPS.lookup), { db: p.db })).added,
    4,
  );
  const built = await runProject("build", config, { db: p.db, select: ["+marts.tic_attribution"] });
  assert.ok(built.ok, JSON.stringify(built.results.filter((r) => r.status === "error")));
  assert.deepEqual(
    await query(
      p.db,
      "select file_name, states, state_basis, network_types, network_basis from marts.tic_in_network_files order by url_key",
    ),
    [
      // Plan code 302 is NY in the lookup, for every file with that code.
      {
        file_name: "2023-04_302_42B0_in-network-rates_2_of_4.json.gz",
        states: ["NY"],
        state_basis: "lookup_code",
        network_types: [],
        network_basis: "none",
      },
      {
        file_name: "2023-04_430_65B0_in-network-rates.json.gz",
        states: ["AK", "WA"],
        state_basis: "lookup",
        network_types: [],
        network_basis: "none",
      },
      {
        file_name: "2023-04-01_anthem-dental_me_in-network-rates.json.gz",
        states: [],
        state_basis: "none",
        network_types: ["PPO"],
        network_basis: "plan_names",
      },
      // The lookup's HMO wins over the plan's PPO.
      {
        file_name: "CA_BCCSMED0220.json.gz",
        states: ["CA"],
        state_basis: "lookup",
        network_types: ["HMO"],
        network_basis: "lookup",
      },
      // A file name starting with a state and `_` gives the state, whatever follows.
      {
        file_name: "IN_X1.json.gz",
        states: ["IN"],
        state_basis: "file_name",
        network_types: ["HMO"],
        network_basis: "plan_names",
      },
      // The lookup lists this path on another host: the same file.
      {
        file_name: "NY_BCCMMEDCL00_01_11.json.gz",
        states: ["NY"],
        state_basis: "lookup",
        network_types: ["PPO"],
        network_basis: "lookup",
      },
      // "In-Network" is not Indiana, NE before HMO is New England; "PLAN OF WA" is Washington.
      {
        file_name: "rates_a.json.gz",
        states: ["WA"],
        state_basis: "plan_names",
        network_types: ["HMO"],
        network_basis: "plan_names",
      },
      // West Virginia is not also Virginia.
      {
        file_name: "b1.json.gz",
        states: ["WV"],
        state_basis: "description",
        network_types: [],
        network_basis: "none",
      },
      {
        file_name: "b2.json.gz",
        states: ["FL", "PR"],
        state_basis: "description",
        network_types: ["PPO"],
        network_basis: "description",
      },
      // A full name counts in a description; the employer NEW YORK LIFE in a plan name does not.
      {
        file_name: "b3.json.gz",
        states: ["MN"],
        state_basis: "description",
        network_types: [],
        network_basis: "none",
      },
      {
        file_name: "b4.json.gz",
        states: [],
        state_basis: "none",
        network_types: ["PPO"],
        network_basis: "description",
      },
    ],
  );
});

Deno.test("the full state names the attribution looks for are those of seeds.us_states", async () => {
  const sql = await Deno.readTextFile(
    join(REPO, "models", "intermediate", "int_tic_file_attribution.sql"),
  );
  // The alternation of names, written in pieces joined with ||.
  const written = /\\b\(\?:(Northern Mariana[\s\S]*?)\)\\b\(\?:\\s\+/.exec(sql)![1]!
    .replace(/'\s*\|\|\s*'/g, "")
    .split("|")
    .map((n) => n.replaceAll("[.]", "."));
  const seed = (await Deno.readTextFile(join(REPO, "models", "seeds", "us_states.csv")))
    .trim().split("\n").slice(1).map((line) => line.split(",")[1]!);
  assert.deepEqual([...written].sort(), [...seed].sort());
});

Deno.test("an EIN written with a space after it (LifeWise's index) is found by --ein", async () => {
  await using p = await tempProject();
  const landed = await runCli([
    ...["--project", REPO, "--db", p.db, "tic"],
    join(REAL, "tic", "payers", "lifewise_2025-05-01_index.annotated.json"),
  ]);
  assert.equal(landed.code, 0, landed.stderr);
  // As delivered in raw, as nine digits in the answer.
  assert.deepEqual(
    await query(p.db, "select plan_id from raw.tic_plans where plan_id like '911950223%'"),
    [{ plan_id: "911950223 " }],
  );
  const all = await ticFilesJson(p.db, "--state", "WA", "--network", "PPO");
  const ein = await ticFilesJson(p.db, "--state", "WA", "--network", "PPO", "--ein", "911950223");
  assert.equal(all.files.length, 1);
  assert.deepEqual(
    ein.files.map((f: { url: string }) => f.url),
    all.files.map((f: { url: string }) => f.url),
  );
  assert.deepEqual(ein.files[0].eins, ["911950223"]);
  // The dashed form of the EIN asks the same question.
  const dashed = await ticFilesJson(
    p.db,
    "--state",
    "WA",
    "--network",
    "PPO",
    "--ein",
    "91-1950223",
  );
  assert.equal(dashed.files.length, 1);
});
