import assert from "node:assert/strict";
import { runCli, tempProject } from "../helpers.ts";

/**
 * A project where one model errors, one fails its test and two read a raw
 * table not landed: nodes are skipped for three causes.
 */
function mixedProject() {
  return tempProject({
    "models/staging/ok.sql": "select 1 as id",
    // Fails when it runs: 'x' is no integer.
    "models/staging/broken.sql": "select 'x'::integer as id",
    "models/marts/below_broken.sql": "select id from staging.broken",
    "models/marts/further_below.sql": "select id from marts.below_broken",
    "models/staging/unlanded.sql": "select * from raw.not_landed",
    "models/marts/below_unlanded.sql": "select * from staging.unlanded",
    "models/marts/duplicated.sql": "select 1 as id union all select 1",
    "models/marts/below_duplicated.sql": "select id from marts.duplicated",
    "models/staging/staging.yml":
      "models:\n  - name: broken\n    config: { materialized: table }\n",
    "models/marts/marts.yml": `models:
  - name: duplicated
    columns:
      - name: id
        tests: [unique]
`,
  });
}

Deno.test("build counts and words each cause of its skipped nodes apart, in the plain output and in --json", async () => {
  await using p = await mixedProject();
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /, 1 failed, 1 errored, 5 skipped\.$/m);
  assert.match(r.stdout, /^2 nodes were skipped: what they read is not landed yet\.$/m);
  assert.match(r.stdout, /^ {2}raw\.not_landed: land with `wharf land <files>`$/m);
  assert.match(r.stdout, /^3 nodes were skipped because a node upstream of them failed:$/m);
  assert.match(r.stdout, /^ {2}staging\.broken errored: 2 skipped below it$/m);
  assert.match(r.stdout, /^ {2}test\.unique_duplicated_id failed: 1 skipped below it$/m);
  // No wording lumps them together any more.
  assert.doesNotMatch(r.stdout, /5 nodes were skipped/);
  // A chain of skips names its first cause.
  assert.match(
    r.stdout,
    /SKIP +model marts\.further_below \.+ \[upstream "marts\.below_broken" was skipped \("staging\.broken" errored\)\]/,
  );

  const json = await runCli(["--project", p.root, "--db", p.db, "--json", "build"]);
  const summary = JSON.parse(json.stdout) as {
    skipped: Record<string, number>;
    results: { id: string; skip?: { cause: string; node?: string; tables?: string[] } }[];
  };
  assert.deepEqual(summary.skipped, { not_landed: 2, upstream_failed: 3, fail_fast: 0 });
  const skip = (id: string) => summary.results.find((x) => x.id === id)?.skip;
  assert.deepEqual(skip("marts.further_below"), {
    cause: "upstream_failed",
    node: "staging.broken",
    status: "error",
  });
  assert.deepEqual(skip("marts.below_unlanded"), {
    cause: "not_landed",
    tables: ["raw.not_landed"],
  });
});

Deno.test("build --fail-fast says how many nodes it left unrun, apart from the other causes", async () => {
  await using p = await mixedProject();
  const r = await runCli([
    "--project",
    p.root,
    "--db",
    p.db,
    "build",
    "--fail-fast",
    "--threads",
    "1",
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^2 nodes were skipped: what they read is not landed yet\.$/m);
  const stopped = r.stdout.match(
    /^(\d+) nodes? (?:was|were) skipped: --fail-fast stopped the run when (\S+) (errored|failed)\.$/m,
  );
  assert.ok(stopped, r.stdout);
  const json = await runCli([
    "--project",
    p.root,
    "--db",
    p.db,
    "--json",
    "build",
    "--fail-fast",
    "--threads",
    "1",
  ]);
  const summary = JSON.parse(json.stdout) as { skipped: Record<string, number> };
  assert.equal(summary.skipped.not_landed, 2);
  assert.equal(summary.skipped.fail_fast, Number(stopped[1]));
});

Deno.test("build suggests the demo only for the raw tables the demo lands, never for TiC or NPI", async () => {
  await using p = await tempProject({
    "wharf.config.ts": `export default {
  sources: [
    { name: "benefits", pattern: /^benefits-.*\\.(json|ndjson|csv)$/ },
    { name: "pharmacy", pattern: /^rx-.*\\.csv$/ },
  ],
};
`,
    "models/staging/npi.sql": "select * from raw.npi_responses",
    "models/staging/tic.sql": "select * from raw.tic_files",
  });
  const build = () => runCli(["--project", p.root, "--db", p.db, "build"]);
  // Only TiC and NPI are missing: the demo lands neither, so it is not suggested.
  const tic = await build();
  assert.equal(tic.code, 0, tic.stderr);
  assert.match(tic.stdout, /^ {2}raw\.npi_responses: land with `wharf enrich npi <list>`$/m);
  assert.match(tic.stdout, /^ {2}raw\.tic_files: land with `wharf tic <index\.json\.gz>`$/m);
  assert.doesNotMatch(tic.stdout, /demo/);
  // A source of the project the demo has no file for: `wharf land`, no demo.
  await p.write("models/staging/rx.sql", "select * from raw.pharmacy");
  const rx = await build();
  assert.match(rx.stdout, /^ {2}raw\.pharmacy: land with `wharf land <files>`$/m);
  assert.doesNotMatch(rx.stdout, /demo/);
  // The demo delivers benefits: it is suggested for that table by name, and for nothing else.
  await p.write("models/staging/benefits.sql", "select * from raw.benefits");
  const benefits = await build();
  assert.match(
    benefits.stdout,
    /^ {2}raw\.benefits, raw\.pharmacy: land with `wharf land <files>`$/m,
  );
  assert.match(
    benefits.stdout,
    /^ {2}For the bundled demo data of raw\.benefits, run `deno task demo` \(it lands no TiC index and no NPI answer\)\.$/m,
  );
});
