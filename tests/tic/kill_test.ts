import assert from "node:assert/strict";
import { createGzip } from "node:zlib";
import { createWriteStream } from "node:fs";
import { cliCommand, REPO, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

/**
 * Kill -9 trials of `wharf tic` at random points: each trial lands an index
 * into a fresh warehouse, killing the CLI one or more times at a random
 * moment (while it starts, removes what an earlier run left, reads, commits
 * a batch, records the index, or removes a duplicate's rows), then lets it
 * finish, lands the same index again (a duplicate, killed at a random
 * moment too) and a second index to the end. The warehouse must then equal
 * a clean run's, by counts and checksums of every row. More trials:
 * `WHARF_TIC_KILL_TRIALS=25`; a failing trial names its seed
 * (`WHARF_TIC_KILL_SEED`) to replay it.
 */
const TRIALS = Number(Deno.env.get("WHARF_TIC_KILL_TRIALS") ?? 3);
const SEED = Number(Deno.env.get("WHARF_TIC_KILL_SEED") ?? Date.now() % 2 ** 31);

/** A small deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Writes a gzipped index in the real layout: `structures` lines, 60 signed references each. */
async function writeIndex(path: string, structures: number, name: string): Promise<void> {
  const gzip = createGzip({ level: 1 });
  const out = createWriteStream(path);
  gzip.pipe(out);
  const write = (s: string) =>
    new Promise<void>((r) => gzip.write(s) ? r() : gzip.once("drain", () => r()));
  await write(`{"reporting_entity_name":"${name}","reporting_structure":[\n`);
  for (let e = 0; e < structures; e++) {
    const plans = [0, 1, 2].map((p) =>
      `{"plan_name":"PLAN ${p} NY PPO - EMPLOYER ${e}","plan_id_type":"EIN","plan_id":"${
        100000000 + e
      }","plan_market_type":"GROUP"}`
    );
    const files = Array.from({ length: 60 }, (_, f) => {
      const n = (e * 7 + f * 13) % 4000;
      return `{"description":"net ${n % 9}","location":"https://mrf${
        n % 3
      }.example.com/${name}/NY_PPO_${n}.json.gz?Expires=1&Signature=${e}x${f}"}`;
    });
    await write(
      `${e ? ",\n" : ""}{"reporting_plans":[${plans.join(",")}],"in_network_files":[${
        files.join(",")
      }]}`,
    );
  }
  await write("\n]}\n");
  await new Promise<void>((r) => {
    out.on("finish", () => r());
    gzip.end();
  });
}

/** Runs `wharf tic <index>`; with `killAfterMs`, kills it with SIGKILL then (if still running). */
async function tic(db: string, index: string, killAfterMs?: number): Promise<"killed" | number> {
  const child = cliCommand(["--project", REPO, "--db", db, "tic", index], {
    stdout: "null",
    stderr: "null",
  }).spawn();
  if (killAfterMs === undefined) return (await child.status).code;
  let done = false;
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  await Promise.race([status, new Promise((r) => setTimeout(r, killAfterMs))]);
  if (done) return (await status).code;
  child.kill("SIGKILL");
  await status;
  return "killed";
}

/** Everything the complete indexes hold, by index content (not id), and what is left of the others. */
async function state(db: string) {
  const complete = await query(
    db,
    `select i.reporting_entity_name as entity, i.sha256, i.elements::int as elements, i.plans::int as plans,
       i.files::int as files, i.links::int as links,
       (select count(*) || ' ' || sum(hash(structure_id, plan_name, plan_id, plan_id_type, plan_market_type))
          from raw.tic_plans t where t.index_id = i.index_id) as plan_rows,
       (select count(*) || ' ' || sum(hash(file_id, kind, url_key, url, host, file_name, description))
          from raw.tic_files t where t.index_id = i.index_id) as file_rows,
       (select count(*) || ' ' || sum(hash(structure_id, file_id))
          from raw.tic_plan_files t where t.index_id = i.index_id) as link_rows
     from raw.tic_indexes i where status = 'complete' order by entity`,
  );
  const others = await query(
    db,
    `select status, rows_removed,
       (select count(*) from raw.tic_plans t where t.index_id = i.index_id)
       + (select count(*) from raw.tic_files t where t.index_id = i.index_id)
       + (select count(*) from raw.tic_plan_files t where t.index_id = i.index_id) as rows_left
     from raw.tic_indexes i where status <> 'complete'`,
  );
  return { complete, others };
}

Deno.test(`kill -9 of wharf tic at random points always ends equal to a clean run (${TRIALS} trials, seed ${SEED})`, async () => {
  await using p = await tempProject();
  const a = await p.write("a.json.gz", new Uint8Array());
  const b = await p.write("b.json.gz", new Uint8Array());
  await writeIndex(a, 12_000, "alpha");
  await writeIndex(b, 200, "beta");

  const cleanDb = `${p.root}/clean.duckdb`;
  const t0 = performance.now();
  assert.equal(await tic(cleanDb, a), 0);
  const landing = performance.now() - t0;
  assert.equal(await tic(cleanDb, b), 0);
  const clean = await state(cleanDb);
  assert.equal(clean.complete.length, 2);
  assert.deepEqual(clean.others, []);

  const next = random(SEED);
  const outcomes: string[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const db = `${p.root}/trial_${trial}.duckdb`;
    const at = () => Math.round(next() * landing * 1.1);
    const kills = 1 + Math.floor(next() * 2);
    for (let k = 0; k < kills; k++) {
      const ms = at();
      outcomes.push(`land ${ms} ms: ${await tic(db, a, ms)}`);
    }
    assert.equal(await tic(db, a), 0, `trial ${trial} (seed ${SEED}): finishing alpha`);
    const ms = at();
    outcomes.push(`again ${ms} ms: ${await tic(db, a, ms)}`);
    assert.equal(await tic(db, b), 0, `trial ${trial} (seed ${SEED}): landing beta`);
    const got = await state(db);
    assert.deepEqual(got.complete, clean.complete, `trial ${trial} (seed ${SEED}): ${outcomes}`);
    for (const o of got.others) {
      assert.ok(
        ["failed", "duplicate"].includes(String(o.status)) && o.rows_removed === true &&
          Number(o.rows_left) === 0,
        `trial ${trial} (seed ${SEED}): ${JSON.stringify(o)} after ${outcomes}`,
      );
    }
  }
  // At least one kill hit a run mid-way (the point of the trials).
  assert.ok(outcomes.some((o) => o.endsWith("killed")), outcomes.join("; "));
});
