import assert from "node:assert/strict";
import { join } from "node:path";
import { resolveConfig } from "../../src/config.ts";
import { ConfigError } from "../../src/engine/errors.ts";
import { REAL, REPO, runCli, serveLocal, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

const SERIF = join(REAL, "serif");
/** EIN 010643676's lookup: Anthem's 11 NY PPO files, and one BCBS file each of plan codes 301, 302, 800. */
const PPO_LOOKUP = join(SERIF, "anthem_ein_lookup_010643676.ny_excerpt.json");
const INDEX = join(SERIF, "anthem_2023-04_index_excerpt.compact-lines.json.gz");

/** `wharf tic lookup …args` on the repository's project, into `db`. */
function lookup(db: string, ...args: string[]) {
  return runCli(["--project", REPO, "--db", db, "tic", "lookup", ...args]);
}

Deno.test("wharf tic lookup lands a lookup with its lineage; the same lookup again, even signed anew, adds nothing", async () => {
  await using p = await tempProject();
  const first = await lookup(p.db, PPO_LOOKUP);
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    /^landed {3}.*anthem_ein_lookup_010643676\.ny_excerpt\.json: EIN 010643676, lastupdated 2023-04-01 — 17 entries, 17 new; lookup \d+\n$/,
  );
  const lineage = await query(
    p.db,
    `select l.lookup_id = k.lookup_id as same_lookup, l.ein, l.lastupdated, l.section, l.entry::int as entry,
       l.url, l.url_key, l.host, l.file_name, l.displayname, k.source, k.entries::int as entries, k.added::int as added,
       length(k.sha256)::int as sha_len
     from raw.tic_lookup_files l join raw.tic_lookups k using (lookup_id)
     where l.displayname in ('NY_PPO_BCCMMEDCL00_01_11.json.gz', '2023-04_NY_42B0_in-network-rates_1_of_4.json.gz')
     order by l.entry`,
  );
  assert.deepEqual(lineage, [
    {
      same_lookup: true,
      ein: "010643676",
      lastupdated: "2023-04-01",
      section: "In-Network Negotiated Rates Files",
      entry: 1,
      url:
        "https://antm-pt-prod-dataz-nogbd-nophi-us-east1.s3.amazonaws.com/anthem/NY_BCCMMEDCL00_01_11.json.gz",
      url_key: "/anthem/NY_BCCMMEDCL00_01_11.json.gz",
      host: "antm-pt-prod-dataz-nogbd-nophi-us-east1.s3.amazonaws.com",
      file_name: "NY_BCCMMEDCL00_01_11.json.gz",
      displayname: "NY_PPO_BCCMMEDCL00_01_11.json.gz",
      source: PPO_LOOKUP,
      entries: 17,
      added: 17,
      sha_len: 64,
    },
    {
      same_lookup: true,
      ein: "010643676",
      lastupdated: "2023-04-01",
      section: "Blue Cross Blue Shield Association Out-of-Area Rates Files",
      entry: 2,
      url: lineage[1]!.url,
      url_key: "/2023-04_302_42B0_in-network-rates_1_of_4.json.gz",
      host: "anthembcca.mrf.bcbs.com",
      file_name: "2023-04_302_42B0_in-network-rates_1_of_4.json.gz",
      displayname: "2023-04_NY_42B0_in-network-rates_1_of_4.json.gz",
      source: PPO_LOOKUP,
      entries: 17,
      added: 17,
      sha_len: 64,
    },
  ]);
  assert.match(String(lineage[1]!.url), /^https:\/\/anthembcca\.mrf\.bcbs\.com\/.*&Signature=/);

  // The lookup's keys are raw.tic_files' keys: Anthem's 11 NY PPO files join.
  await runCli(["--project", REPO, "--db", p.db, "tic", INDEX]);
  assert.deepEqual(
    await query(
      p.db,
      "select count(distinct f.url_key)::int as n from raw.tic_lookup_files l join raw.tic_files f using (url_key) where l.displayname like 'NY_PPO_%'",
    ),
    [{ n: 11 }],
  );

  const again = await lookup(p.db, PPO_LOOKUP);
  assert.equal(again.code, 0, again.stderr);
  assert.match(
    again.stdout,
    /^skipped .*: EIN 010643676, lastupdated 2023-04-01 — all 17 entries were landed before; nothing added\n$/,
  );
  // Fetched again later, its BCBS URLs carry new signatures: still the same lookup.
  const resigned = await p.write(
    "010643676.json",
    (await Deno.readTextFile(PPO_LOOKUP)).replaceAll("Signature=", "Signature=NEW"),
  );
  const third = await lookup(p.db, "--json", resigned);
  assert.equal(third.code, 0, third.stderr);
  assert.deepEqual(JSON.parse(third.stdout), [
    {
      lookupId: null,
      source: resigned,
      ein: "010643676",
      lastupdated: "2023-04-01",
      entries: 17,
      added: 0,
    },
  ]);
  assert.deepEqual(
    await query(
      p.db,
      "select (select count(*) from raw.tic_lookup_files)::int as files, (select count(*) from raw.tic_lookups)::int as lookups",
    ),
    [{ files: 17, lookups: 1 }],
  );
});

Deno.test("wharf tic lookup --ein fetches the lookup from tic.lookupUrl; an unknown EIN fails with the HTTP status", async () => {
  const body = await Deno.readFile(PPO_LOOKUP);
  await using server = serveLocal((req) =>
    new URL(req.url).pathname === "/anthem/010643676.json"
      ? new Response(body, { headers: { "content-type": "application/json" } })
      : new Response("no such EIN", { status: 404, statusText: "Not Found" })
  );
  await using p = await tempProject({
    "wharf.config.ts": `export default { tic: { lookupUrl: "${server.base}/anthem/{ein}.json" } };`,
  });
  const ok = await runCli(["--project", p.root, "tic", "lookup", "--ein", "01-0643676"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(
    ok.stdout,
    new RegExp(
      `^landed {3}${server.base}/anthem/010643676\\.json: EIN 010643676, lastupdated 2023-04-01 — 17 entries, 17 new; lookup \\d+\\n$`,
    ),
  );
  const missing = await runCli(["--project", p.root, "tic", "lookup", "--ein", "999999999"]);
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stdout,
    `failed   ${server.base}/anthem/999999999.json: Cannot read lookup "${server.base}/anthem/999999999.json": HTTP 404 Not Found\n`,
  );
  const bad = await runCli(["--project", p.root, "tic", "lookup", "--ein", "12345"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'error: Invalid EIN "12345": expected nine digits (e.g. 010643676)\n');
  // The repository's project configures no lookup URL.
  const unconfigured = await lookup(p.db, "--ein", "010643676");
  assert.equal(unconfigured.code, 2);
  assert.match(
    unconfigured.stderr,
    /^error: Cannot fetch the lookup of EIN 010643676: no lookup URL is configured \(set tic\.lookupUrl in wharf\.config\.ts/,
  );
  assert.deepEqual(
    await query(p.db, "select count(*)::int as n from raw.tic_lookup_files"),
    [{ n: 17 }],
  );
});

Deno.test("a lookup without lastupdated lands, and says it has none", async () => {
  await using p = await tempProject();
  const file = await p.write(
    "010643676.json",
    '{"In-Network Negotiated Rates Files": [{"url": "https://h/a.json.gz", "displayname": "NY_PPO_a.json.gz"}]}',
  );
  const out = await lookup(p.db, file);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /: EIN 010643676, no lastupdated — 1 entry, 1 new; lookup \d+\n$/);
});

Deno.test("a bad lookup fails with what is wrong and where, and lands nothing", async () => {
  await using p = await tempProject();
  const cases: [string, string, RegExp][] = [
    ["010000001.json", '{"lastupdated": "2023-04-01", "In-Network', /: not JSON: /],
    ["010000002.json", "[]", /: the document is a list, not an object/],
    [
      "010000003.json",
      '{"lastupdated": "2023-04-01", "In-Network Negotiated Rates Files": [{"url": "https://h/a.json.gz", "displayname": "NY_PPO_a.json.gz"}, {"displayname": "NY_PPO_b.json.gz"}]}',
      /: entry 2 of section "In-Network Negotiated Rates Files" has no "url" \(got undefined\)/,
    ],
    [
      "010000004.json",
      '{"In-Network Negotiated Rates Files": {"url": "https://h/a.json.gz"}}',
      /: section "In-Network Negotiated Rates Files" is an object, not a list of files/,
    ],
    [
      "010000005.json",
      '{"Files": [{"url": "https://h/a.json.gz", "displayname": "a", "size": 3}]}',
      /: entry 1 of section "Files" has unknown field "size"/,
    ],
    ["010000006.json", '{"lastupdated": "2023-04-01"}', /: it lists no files/],
  ];
  for (const [name, text, message] of cases) {
    const file = await p.write(name, text);
    const r = await lookup(p.db, file);
    assert.equal(r.code, 1, name);
    assert.match(r.stdout, new RegExp(`^failed   ${file}: Invalid lookup "${file}"`), name);
    assert.match(r.stdout, message, name);
  }
  const anonymous = await p.write("lookup.json", await Deno.readTextFile(PPO_LOOKUP));
  const r = await lookup(p.db, anonymous);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    `error: Cannot tell the EIN of lookup "${anonymous}": its file name holds no nine-digit EIN (pass --ein)\n`,
  );
  const named = await lookup(p.db, "--ein", "010643676", anonymous);
  assert.equal(named.code, 0, named.stderr);
  assert.deepEqual(
    await query(p.db, "select ein, count(*)::int as n from raw.tic_lookup_files group by ein"),
    [{ ein: "010643676", n: 17 }],
  );
});

Deno.test("the tic section of wharf.config.ts takes a lookup URL with {ein}, and nothing else", () => {
  assert.deepEqual(
    resolveConfig("/p", { tic: { lookupUrl: "https://example.com/anthem/{ein}.json" } }).tic,
    { lookupUrl: "https://example.com/anthem/{ein}.json" },
  );
  assert.deepEqual(resolveConfig("/p", {}).tic, {});
  assert.throws(
    () => resolveConfig("/p", { tic: { lookupUrl: "https://example.com/anthem/lookup.json" } }),
    (e) =>
      e instanceof ConfigError &&
      e.message ===
        'Invalid "tic.lookupUrl" in wharf.config.ts: expected an http(s) URL with {ein} where the EIN goes (e.g. "https://…/anthem/{ein}.json"), got "https://example.com/anthem/lookup.json"',
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => resolveConfig("/p", { tic: { lookupURL: "https://x/{ein}" } as any }),
    (e) =>
      e instanceof ConfigError &&
      e.message ===
        'Unknown key "tic.lookupURL" in wharf.config.ts (did you mean "lookupUrl"?): the tic section takes "lookupUrl"',
  );
});

Deno.test("wharf tic lookup refuses --ein that differs from the EIN in the file name, naming both, and lands nothing", async () => {
  await using p = await tempProject();
  const r = await lookup(p.db, "--ein", "01-0504941", PPO_LOOKUP);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    `error: EIN mismatch for lookup "${PPO_LOOKUP}": --ein 010504941 was given, but its file name carries EIN 010643676; nothing landed (drop --ein to land it as 010643676, or give the lookup of 010504941)\n`,
  );
  // The same EIN written another way is no mismatch.
  const same = await lookup(p.db, "--ein", "01-0643676", PPO_LOOKUP);
  assert.equal(same.code, 0, same.stderr);
  assert.deepEqual(
    await query(p.db, "select ein, count(*)::int as n from raw.tic_lookup_files group by ein"),
    [{ ein: "010643676", n: 17 }],
  );
});

Deno.test("wharf tic lookup given an index, an in-network rates or an allowed-amounts file says what it is and what to do, and lands nothing", async () => {
  await using p = await tempProject();
  const hint =
    "; `wharf tic lookup` lands a payer's per-EIN lookup (Anthem's https://…/anthem/<ein>.json: ";
  // Without --ein and without an EIN in its name, it is still told apart from a lookup.
  const r = await lookup(p.db, INDEX);
  assert.equal(r.code, 1);
  assert.equal(
    r.stdout.split(hint)[0],
    `failed   ${INDEX}: Not a lookup: "${INDEX}" is a table-of-contents index (it has "reporting_structure"): land it with \`wharf tic <file>\`; the in-network files it lists are then in raw.tic_files`,
  );
  assert.ok(r.stdout.includes(hint), r.stdout);
  const cases: [string, string][] = [
    [
      '{"reporting_entity_name":"x","reporting_entity_type":"x","in_network":[]}',
      'is an in-network rates file (it has "in_network"), which an index lists: land the index that lists it with `wharf tic <index>`;',
    ],
    [
      '{"reporting_entity_name":"x","reporting_entity_type":"x","out_of_network":[]}',
      'is an allowed-amounts file (it has "out_of_network"), which an index lists: land the index that lists it with `wharf tic <index>`;',
    ],
  ];
  for (const [text, what] of cases) {
    const file = await p.write("010643676.json", text);
    const out = await lookup(p.db, file);
    assert.equal(out.code, 1, text);
    assert.ok(
      out.stdout.startsWith(`failed   ${file}: Not a lookup: "${file}" ${what}`),
      out.stdout,
    );
  }
  // Refused before the warehouse is opened.
  await assert.rejects(Deno.stat(p.db), Deno.errors.NotFound);
});
