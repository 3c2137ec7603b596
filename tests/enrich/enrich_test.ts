import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig, type ResolvedConfig } from "../../src/config.ts";
import { enrichNpis } from "../../src/enrich/enrich_npi.ts";
import { exportNpiByState } from "../../src/enrich/export_npi.ts";
import { cliCommand, REAL, REPO, runCli, type TempProject, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { fakeRegistry, validNpis } from "./fake_registry.ts";

async function project(p: TempProject): Promise<ResolvedConfig> {
  const base = await loadConfig(REPO);
  return {
    ...base,
    paths: { ...base.paths, target: join(p.root, "target"), cache: join(p.root, "cache") },
  };
}

const fast = { backoffMs: 5, backoffCapMs: 40, timeoutMs: 300, breaker: { pauseMs: 50 } };

async function ledger(db: string): Promise<Record<string, unknown>[]> {
  return await query(
    db,
    "select npi, state, retryable, last_error is not null as has_error from wharf.npi_ledger order by npi",
  );
}

Deno.test("every NPI ends enriched, not found, invalid or failed: none lost under 30% faults, concurrency bounded", async () => {
  await using p = await tempProject();
  const config = await project(p);
  const npis = await validNpis(300);
  const list = ["npi", ...npis, ...npis.slice(0, 20), "1234567890", "12345", ""].join("\n");
  const file = await p.write("npis.txt", list);
  await using registry = fakeRegistry({
    faults: { tooMany: 0.08, serverError: 0.08, html: 0.05, drop: 0.05, slow: 0.04, slowMs: 1000 },
  });
  const summary = await enrichNpis(config, file, {
    db: p.db,
    registry: registry.url,
    concurrency: 8,
    maxAttempts: 12,
    ...fast,
  });
  assert.deepEqual([summary.distinct, summary.duplicates, summary.invalid], [302, 20, 2]);
  const expectNotFound = npis.filter((n) => Number(n) % 17 === 0).length;
  const expectRejected = npis.filter((n) => Number(n) % 17 !== 0 && Number(n) % 19 === 0).length;
  assert.deepEqual(summary.states, {
    enriched: 300 - expectNotFound - expectRejected,
    failed: expectRejected,
    invalid: 2,
    not_found: expectNotFound,
  });
  assert.ok(summary.retries > 20, `${summary.retries} retries`);
  assert.ok(registry.maxInFlight <= 8, `max in flight ${registry.maxInFlight}`);
  // Invalid NPIs cost no request.
  assert.equal(registry.arrivals.get("1234567890"), undefined);
  const rejected = await query(
    p.db,
    "select last_error, retryable from wharf.npi_ledger where state = 'failed' limit 1",
  );
  if (expectRejected) {
    assert.deepEqual(rejected, [{
      last_error: "number: Field number contains special characters",
      retryable: false,
    }]);
  }
  // A rerun fetches nothing new.
  const again = await enrichNpis(config, file, { db: p.db, registry: registry.url, ...fast });
  assert.equal(again.fetched, 0);
});

Deno.test("Retry-After is honored, and a run that cannot get through leaves retryable failures for --retry-failed", async () => {
  await using p = await tempProject();
  const config = await project(p);
  const npis = await validNpis(3, 200000000);
  const file = await p.write("npis.txt", npis.join("\n"));
  await using limited = fakeRegistry({ faults: { tooMany: 1, retryAfter: "1" } });
  const started = performance.now();
  const summary = await enrichNpis(config, file, {
    db: p.db,
    registry: limited.url,
    maxAttempts: 2,
    ...fast,
  });
  assert.ok(performance.now() - started >= 1000, "waited for Retry-After");
  for (const npi of npis) {
    const [a, b] = limited.arrivals.get(npi)!;
    assert.ok(b! - a! >= 950, `second request ${b! - a!} ms after the first`);
  }
  assert.deepEqual(summary.states, { failed: 3 });
  assert.deepEqual((await ledger(p.db)).map((r) => [r.state, r.retryable, r.has_error]), [
    ["failed", true, true],
    ["failed", true, true],
    ["failed", true, true],
  ]);
  await using healthy = fakeRegistry();
  const retried = await enrichNpis(config, file, {
    db: p.db,
    registry: healthy.url,
    retryFailed: true,
    ...fast,
  });
  assert.equal(retried.fetched, 3);
  assert.equal(
    (retried.states.enriched ?? 0) + (retried.states.not_found ?? 0) + (retried.states.failed ?? 0),
    3,
  );
  assert.equal(
    retried.states.failed ?? 0,
    npis.filter((n) => Number(n) % 19 === 0 && Number(n) % 17 !== 0).length,
  );
});

Deno.test("the circuit breaker pauses everyone when most requests fail, then resumes on its own", async () => {
  await using p = await tempProject();
  const config = await project(p);
  const npis = await validNpis(40, 300000000);
  const file = await p.write("npis.txt", npis.join("\n"));
  await using registry = fakeRegistry({ faults: { serverError: 0.9 } });
  const summary = await enrichNpis(config, file, {
    db: p.db,
    registry: registry.url,
    concurrency: 4,
    maxAttempts: 30,
    ...fast,
    breaker: { window: 10, threshold: 0.8, pauseMs: 30 },
  });
  assert.ok(summary.breakerOpened > 0);
  assert.equal(summary.states.pending ?? 0, 0);
  assert.equal(Object.values(summary.states).reduce((a, b) => a + b, 0), 40);
});

Deno.test("a killed enrichment, resumed, ends in the same state as an uninterrupted one", async () => {
  await using p = await tempProject();
  const npis = await validNpis(400, 400000000);
  await p.write("npis.txt", npis.join("\n"));
  await using registry = fakeRegistry({ latencyMs: 5, faults: { serverError: 0.1 } });
  const run = (dbFile: string) =>
    cliCommand([
      "--project",
      REPO,
      "--db",
      dbFile,
      "enrich",
      "npi",
      join(p.root, "npis.txt"),
      "--registry",
      registry.url,
      "--concurrency",
      "4",
      "--timeout",
      "2s",
    ], { stdout: "null", stderr: "null" });
  const clean = join(p.root, "clean.duckdb");
  assert.equal((await run(clean).output()).code, 0);
  const killed = join(p.root, "killed.duckdb");
  const child = run(killed).spawn();
  await new Promise((r) => setTimeout(r, 1500));
  child.kill("SIGKILL");
  await child.status;
  const partial = await query(
    killed,
    "select count(*) filter (where state = 'pending')::int as pending, count(*)::int as n from wharf.npi_ledger",
  );
  assert.equal(partial[0]!.n, 400);
  assert.ok(Number(partial[0]!.pending) > 0, "the kill interrupted the run");
  assert.equal((await run(killed).output()).code, 0);
  const state = (dbFile: string) =>
    query(dbFile, "select npi, state from wharf.npi_ledger order by npi");
  assert.deepEqual(await state(killed), await state(clean));
  const responses = (dbFile: string) =>
    query(dbFile, "select count(distinct npi)::int as n from raw.npi_responses");
  assert.deepEqual(await responses(killed), await responses(clean));
});

Deno.test("the NPI models flatten both response shapes, and the export writes one file per practice state", async () => {
  await using p = await tempProject();
  const config = await project(p);
  const npis = await validNpis(120, 500000000);
  const file = await p.write("npis.txt", ["NPI", ...npis, "999"].join("\n"));
  await using registry = fakeRegistry();
  await enrichNpis(config, file, { db: p.db, registry: registry.url, ...fast });
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
  const files = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.ok(files.includes("None.csv") && files.includes("Failed.csv") && files.includes("NY.csv"));
  const header =
    "npi,practice_state,ledger_state,enumeration_type,name,primary_taxonomy_code,primary_taxonomy,address_1,city,postal_code,telephone_number,last_error";
  const seen = new Map<string, string[]>();
  for (const f of files) {
    const lines = (await Deno.readTextFile(join(out, f))).trimEnd().split("\n");
    assert.equal(lines[0], header, f);
    assert.equal(lines.length - 1, summary[f], f);
    for (const line of lines.slice(1)) {
      const npi = line.split(",")[0]!;
      assert.ok(!(seen.get(npi) ?? []).includes(f), `${npi} twice in ${f}`);
      seen.set(npi, [...(seen.get(npi) ?? []), f]);
    }
  }
  // Two practices in one state: one row. A second state: a row in each.
  const twoInOne = npis.find((n) =>
    Number(n) % 5 === 0 && Number(n) % 3 !== 0 && Number(n) % 17 !== 0 && Number(n) % 19 !== 0
  )!;
  assert.equal(seen.get(twoInOne)!.length, 1);
  assert.match(await Deno.readTextFile(join(out, "Failed.csv")), /\n999,,invalid,/);
  assert.match(await Deno.readTextFile(join(out, "None.csv")), /CLINIC \d+, LLC|SMITH/);
  assert.match(await Deno.readTextFile(join(out, "None.csv")), /"CLINIC \d+, LLC"|SMITH/);
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
  assert.match(cli.stdout, /Wrote \d+ files to .*export2:\n {2}CA\.csv: \d+ rows/);
});

Deno.test("the NPI models read the real registry responses", async () => {
  await using p = await tempProject();
  const dir = join(REAL, "npi");
  const { openWarehouse } = await import("../../src/db/warehouse.ts");
  const wh = await openWarehouse(p.db);
  await wh.exec(
    "CREATE SCHEMA raw; CREATE TABLE raw.npi_responses (npi VARCHAR, fetched_at TIMESTAMPTZ, http_status INTEGER, body JSON)",
  );
  for (const f of ["1003101296_npi2.json", "api-b2f594.json", "api-8bdc8b.json"]) {
    const body = await Deno.readTextFile(join(dir, f));
    const npi = String((JSON.parse(body).results[0] as { number: unknown }).number);
    await wh.exec("INSERT INTO raw.npi_responses VALUES (?, now(), 200, ?::JSON)", [npi, body]);
  }
  wh.close();
  const config = await project(p);
  const { runProject } = await import("../../src/run/run_project.ts");
  const built = await runProject("run", config, {
    db: p.db,
    select: ["stg_npi_providers", "stg_npi_addresses", "stg_npi_taxonomies"],
  });
  assert.ok(built.ok, JSON.stringify(built.results.filter((r) => r.status === "error")));
  assert.deepEqual(
    await query(
      p.db,
      "select npi, enumeration_type, name, response_shape, created_at::date::varchar as created from staging.stg_npi_providers order by npi",
    ),
    [
      {
        npi: "1003101296",
        enumeration_type: "NPI-2",
        name: "101 DIABETIC SUPPLIES, LLC",
        response_shape: "newer",
        created: "2011-06-15",
      },
      {
        npi: "1568946812",
        enumeration_type: "NPI-2",
        name: "CSP ANESTHESIA LLC",
        response_shape: "older",
        created: "2018-09-22",
      },
      {
        npi: "1720377294",
        enumeration_type: "NPI-1",
        name: "ELISE HIZA",
        response_shape: "older",
        created: "2011-04-05",
      },
    ],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select purpose, state from staging.stg_npi_addresses where npi = '1720377294' order by purpose",
    ),
    [
      { purpose: "LOCATION", state: "NC" },
      { purpose: "MAILING", state: "NC" },
      { purpose: "PRACTICE", state: "GA" },
    ],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select code, is_primary from staging.stg_npi_taxonomies where npi = '1720377294' order by code",
    ),
    [
      { code: "207X00000X", is_primary: true },
      { code: "390200000X", is_primary: false },
    ],
  );
});

Deno.test("the NPI list can come from a landed raw table", async () => {
  await using p = await tempProject();
  const config = await project(p);
  const npis = await validNpis(5, 600000000);
  const { land } = await import("../../src/land/land.ts");
  const file = await p.write("npi-list.txt", ["npi", ...npis, npis[0]].join("\n"));
  assert.ok((await land(config, [file], { db: p.db })).ok);
  await using registry = fakeRegistry();
  const summary = await enrichNpis(config, "raw.npi_list", {
    db: p.db,
    registry: registry.url,
    ...fast,
  });
  assert.deepEqual([summary.distinct, summary.duplicates, summary.fetched], [5, 1, 5]);
  await assert.rejects(
    () => enrichNpis(config, "raw.nope", { db: p.db, registry: registry.url }),
    /No table raw\.nope in the warehouse/,
  );
});
