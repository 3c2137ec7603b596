/**
 * Source freshness in a dbt project, through the CLI on a real DuckDB file:
 * `loaded_at_query` (dbt 1.10) beside `loaded_at_field`, in `config:` or
 * not, `target/sources.json` in dbt's schema (v3), and
 * `source_status:fresher` against the sources.json of a `--state`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readValid } from "../artifacts/dbt_schemas.ts";
import { runCli, tempProject } from "../helpers.ts";

const SOURCES = `version: 2
sources:
  - name: ehr
    schema: landing
    config:
      loaded_at_field: loaded_at
      freshness:
        warn_after: { count: 1, period: day }
        filter: loaded_at > timestamp '2000-01-01'
    tables:
      - name: visits
      - name: claims
        config:
          loaded_at_query: "select max(received_at) from {{ this }} where status <> 'void'"
      - name: members
        loaded_at_query: |
          select max(updated_at) from {{ source('ehr', 'member_log') }}
      - name: member_log
        freshness: null
`;

const FILES = {
  "dbt_project.yml": "name: clinic\nconfig-version: 2\n",
  "models/sources.yml": SOURCES,
  "models/stg_visits.sql": "select * from {{ source('ehr', 'visits') }}",
  "models/stg_claims.sql": "select * from {{ source('ehr', 'claims') }}",
  "models/stg_members.sql": "select * from {{ source('ehr', 'members') }}",
  "seeds/codes.csv": "code\nA\n",
};

const SETUP = `create schema landing;
create table landing.visits as select 1 as id, timestamp '2024-06-01 08:00:00' as loaded_at;
create table landing.claims as select * from (values
  (1, 'ok', timestamp '2024-06-01 10:00:00'),
  (2, 'void', timestamp '2024-06-03 09:30:00')
) t(id, status, received_at);
create table landing.members as select 1 as id;
create table landing.member_log (updated_at timestamp);`;

Deno.test("loaded_at_query gives a source table's latest load; wharf source freshness writes target/sources.json", async () => {
  await using p = await tempProject(FILES);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  assert.equal((await cli("seed")).code, 0, "the warehouse exists");
  const setup = await cli("sql", "--write", SETUP);
  assert.equal(setup.code, 0, setup.stderr);
  const r = await cli("--json", "source", "freshness");
  assert.equal(r.code, 1, "member_log holds no time yet: a runtime error");
  const results = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.deepEqual(results.map((x) => [x.id, x.status, x.maxLoadedAt ?? x.error]), [
    ["ehr.visits", "warn", "2024-06-01T08:00:00.000Z"],
    // The void claim is later, but the query leaves it out.
    ["ehr.claims", "warn", "2024-06-01T10:00:00.000Z"],
    [
      "ehr.members",
      "runtime error",
      "the loaded_at_query of ehr.members gives no time: nothing has been loaded",
    ],
  ]);
  const text = await cli("source", "freshness", "-s", "source:ehr.claims");
  assert.match(
    text.stdout,
    /WARN +ehr\.claims \(landing\.claims\): newest load \(loaded_at_query\) 2024-06-01T10:00:00\.000Z/,
  );

  const sources = await readValid(join(p.root, "target"), "sources");
  assert.equal(
    sources.metadata.dbt_schema_version,
    "https://schemas.getdbt.com/dbt/sources/v3.json",
  );
  assert.deepEqual(sources.results.map((x: { unique_id: string }) => x.unique_id), [
    "source.clinic.ehr.claims",
  ]);
  const [claims] = sources.results;
  assert.equal(claims.max_loaded_at, "2024-06-01T10:00:00+00:00");
  assert.equal(claims.status, "warn");
  // The filter applies to loaded_at_field only, as in dbt.
  assert.deepEqual(claims.criteria, {
    warn_after: { count: 1, period: "day" },
    error_after: { count: null, period: null },
    filter: null,
  });
  assert.equal(
    claims.max_loaded_at_time_ago_in_s,
    (Date.parse(claims.snapshotted_at) - Date.parse("2024-06-01T10:00:00Z")) / 1000,
  );
  const all = await cli("source", "freshness");
  assert.equal(all.code, 1);
  const full = await readValid(join(p.root, "target"), "sources");
  assert.deepEqual(
    full.results.map((x: { unique_id: string; status: string }) => [x.unique_id, x.status]),
    [
      ["source.clinic.ehr.visits", "warn"],
      ["source.clinic.ehr.claims", "warn"],
      ["source.clinic.ehr.members", "runtime error"],
    ],
  );
  assert.equal(full.results[0].criteria.filter, "loaded_at > timestamp '2000-01-01'");
  assert.match(full.results[2].error, /gives no time/);

  // Both ways on one table, and one key in config: and beside it, are errors naming them.
  await p.write(
    "models/sources.yml",
    SOURCES.replace(
      "      - name: visits\n",
      "      - name: visits\n        loaded_at_field: loaded_at\n        loaded_at_query: select now()\n",
    ).replace(
      "      - name: member_log\n        freshness: null\n",
      "      - name: member_log\n        freshness: null\n        config:\n          freshness: null\n          event_time: at\n",
    ),
  );
  const bad = await cli("ls");
  assert.equal(bad.code, 2, bad.stdout + bad.stderr);
  assert.match(
    bad.stderr,
    /sources\.yml:\d+:\d+: sources\[0\]\.tables\[0\]\.loaded_at_query: table "visits" of source "ehr" sets both loaded_at_field and loaded_at_query: keep one/,
  );
  assert.match(
    bad.stderr,
    /sources\[0\]\.tables\[3\]\.config\.freshness: "freshness" is set both in table "member_log" of source "ehr"'s config: and beside it: keep one/,
  );
  assert.match(
    bad.stderr,
    /sources\[0\]\.tables\[3\]\.config\.event_time: "event_time" in a source's config is not run by wharf yet/,
  );
});

Deno.test("source_status:fresher selects the sources loaded since the state's sources.json, and fresher+ what reads them", async () => {
  await using p = await tempProject(FILES);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  assert.equal((await cli("seed")).code, 0, "the warehouse exists");
  assert.equal((await cli("sql", "--write", SETUP)).code, 0);
  // A run's target/: its manifest (ls writes it) and its source freshness.
  assert.equal((await cli("ls")).code, 0);
  assert.equal((await cli("source", "freshness")).code, 1);
  const state = join(p.root, "prod");
  await Deno.mkdir(state);
  for (const f of ["manifest.json", "sources.json"]) {
    await Deno.copyFile(join(p.root, "target", f), join(state, f));
  }
  const fresher = async (selector: string) => {
    const r = await cli("--json", "ls", "--state", state, "-s", selector);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).map((n: { id: string }) => n.id);
  };
  assert.equal((await cli("source", "freshness")).code, 1);
  assert.deepEqual(await fresher("source_status:fresher+"), []);

  // New visits, a void claim (which loaded_at_query leaves out), and the first member log.
  const load = await cli(
    "sql",
    "--write",
    `insert into landing.visits values (2, timestamp '2024-06-02 08:00:00');
     insert into landing.claims values (3, 'void', timestamp '2024-06-04 00:00:00');
     insert into landing.member_log values (timestamp '2024-06-02 00:00:00');`,
  );
  assert.equal(load.code, 0, load.stderr);
  assert.equal((await cli("source", "freshness")).code, 0);
  assert.deepEqual(await fresher("source_status:fresher"), ["source.ehr.visits"]);
  // members had a runtime error in the state's check: not fresher, as dbt decides.
  assert.deepEqual(await fresher("source_status:fresher+"), [
    "source.ehr.visits",
    "main.stg_visits",
  ]);

  const garbled = join(p.root, "garbled");
  await Deno.mkdir(garbled);
  await Deno.copyFile(join(state, "manifest.json"), join(garbled, "manifest.json"));
  await Deno.writeTextFile(join(garbled, "sources.json"), JSON.stringify({ results: [] }));
  const r = await cli("ls", "--state", garbled, "-s", "source_status:fresher");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /garbled\/sources\.json is not dbt's source freshness results/);
});
