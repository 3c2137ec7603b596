/**
 * The documented flows, in sequence, on one warehouse, as a new user runs
 * them: the demo, NPI enrichment against a registry, a Transparency-in-
 * Coverage index, an upload through the API, and a build after each. After
 * every step, every shipped model builds, every test passes, and every
 * relation can be read by a plain DuckDB client.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { cliCommand, healthcareProject, REAL, runCli, type TempProject } from "../helpers.ts";
import { fakeRegistry } from "../enrich/fake_registry.ts";

interface Result {
  id: string;
  kind: string;
  status: string;
  message?: string;
}

/** Builds and returns what did not succeed; `skippable` raw tables may be missing. */
async function build(p: TempProject, skippable: RegExp | undefined): Promise<void> {
  const r = await runCli(["--project", p.root, "--json", "build"], p.root);
  assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 2000));
  const summary = JSON.parse(r.stdout) as { results: Result[]; notLanded: string[] };
  const bad = summary.results.filter((x) =>
    !["success", "pass", "warn"].includes(x.status) &&
    !(x.status === "skipped" && skippable && summary.notLanded.every((t) => skippable.test(t)))
  );
  assert.deepEqual(bad, [], "every model builds and every test passes");
  if (!skippable) assert.deepEqual(summary.notLanded, []);
  await readEverything(p.db);
}

/** Opens the warehouse as another client would and reads every relation in it. */
async function readEverything(db: string): Promise<void> {
  const instance = await DuckDBInstance.create(db, { access_mode: "READ_ONLY" });
  const c = await instance.connect();
  try {
    const relations = (await c.runAndReadAll(
      "SELECT table_schema, table_name FROM information_schema.tables ORDER BY ALL",
    )).getRows();
    assert.ok(relations.length > 20);
    const unreadable = [];
    for (const [schema, name] of relations) {
      const rel = `"${schema}"."${String(name).replaceAll('"', '""')}"`;
      try {
        await c.runAndReadAll(`SELECT * FROM ${rel} LIMIT 1`);
      } catch (err) {
        unreadable.push(`${rel}: ${err instanceof Error ? err.message : err}`);
      }
    }
    assert.deepEqual(unreadable, [], "every relation is readable by a plain DuckDB client");
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

Deno.test("the documented flows in sequence: demo, enrich npi, tic, an upload, build after each", async () => {
  await using p = await healthcareProject();
  const data = join(p.root, "demo-data");

  const demo = await runCli(["--project", p.root, "demo", "--data", data], p.root);
  assert.equal(demo.code, 0, demo.stderr + demo.stdout);
  await build(p, /^(raw\.npi_|wharf\.npi_ledger|raw\.tic_)/);

  {
    await using registry = fakeRegistry();
    const list = join(data, "npi", "npi-list.txt");
    const enrich = await runCli(
      ["--project", p.root, "enrich", "npi", list, "--registry", registry.url],
      p.root,
    );
    // The fake registry answers some NPIs with validation errors: those end failed, exit 1.
    const failed = Number(/Ledger: .*failed (\d+)/.exec(enrich.stdout)?.[1] ?? 0);
    assert.ok(failed > 0 && failed < 10, enrich.stdout);
    assert.equal(enrich.code, 1, enrich.stderr + enrich.stdout);
  }
  await build(p, /^raw\.tic_/);

  const index = join(REAL, "serif", "anthem_2023-04_index_excerpt.compact-lines.json.gz");
  const tic = await runCli(["--project", p.root, "tic", index], p.root);
  assert.equal(tic.code, 0, tic.stderr + tic.stdout);
  await build(p, undefined);

  // An upload through the API, then a build.
  const server = cliCommand(["--project", p.root, "serve", "--port", "0"], {
    cwd: p.root,
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1", WHARF_API_TOKEN: "s3cret" },
  }).spawn();
  const out = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  let url: string | undefined;
  while (!(url = /wharf API on (http:\/\/\S+)/.exec(printed)?.[1])) {
    const { value, done } = await out.read();
    if (done) break;
    printed += value;
  }
  try {
    assert.ok(url, printed);
    const name = "benefits-payer_z-20240301_000000.csv";
    const csv =
      "member_id,oop_max,remaining_oop_max,copay,as_of\n75524163,910000,600000,2500,2024-03-01T00:00:00Z\n";
    const res = await fetch(`${url}/api/ingest/benefits?filename=${name}`, {
      method: "POST",
      headers: { authorization: "Bearer s3cret", "content-type": "text/csv" },
      body: csv,
    });
    const body = await res.text();
    assert.equal(res.status, 200, body);
  } finally {
    server.kill("SIGTERM");
    await server.status;
    await out.cancel();
  }
  await build(p, undefined);
});
