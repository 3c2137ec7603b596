/**
 * Kill -9 trials of `wharf tic`: each trial lands an index into a fresh
 * warehouse, killing the CLI one or two times at random moments (while it
 * starts, removes what an earlier run left, reads, commits a batch, records
 * the index, or removes a duplicate's rows), lets it finish, lands the same
 * index again (a duplicate, killed at a random moment too) and a second
 * index to the end. The complete indexes must then equal a clean run's by
 * counts and checksums of every row, and every other index must be failed
 * or duplicate with its rows removed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createGzip } from "node:zlib";
import { createWriteStream } from "node:fs";
import { cliCommand, REPO, tempProject } from "../helpers.ts";
import { killAfter, killNote, type KillTrialReport } from "./kill.ts";
import { rows } from "./land_harness.ts";
import { defineCase } from "./registry.ts";
import { killTrialCount } from "./seed.ts";

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

const ticCommand = (db: string, index: string) =>
  cliCommand(["--project", REPO, "--db", db, "tic", index]);

/** Runs `wharf tic <index>` to its end; returns its exit code. */
async function tic(db: string, index: string): Promise<number> {
  return (await ticCommand(db, index).output()).code;
}

/** Everything the complete indexes hold, by index content (not id), and what is left of the others. */
async function state(db: string) {
  const complete = await rows(
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
  const others = await rows(
    db,
    `select status, rows_removed,
       (select count(*) from raw.tic_plans t where t.index_id = i.index_id)
       + (select count(*) from raw.tic_files t where t.index_id = i.index_id)
       + (select count(*) from raw.tic_plan_files t where t.index_id = i.index_id) as rows_left
     from raw.tic_indexes i where status <> 'complete'`,
  );
  return { complete, others };
}

function ticKillCase(name: string, slow: boolean, trials: number): void {
  defineCase({
    area: "tic",
    name,
    slow,
    seeded: true,
    async run({ random }) {
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

      const report: KillTrialReport = { cleanMs: landing, points: [], interrupted: 0 };
      for (let trial = 0; trial < trials; trial++) {
        const db = `${p.root}/trial_${trial}.duckdb`;
        const outcomes: string[] = [];
        const kill = async (what: string) => {
          const ms = Math.round(random() * landing * 1.1);
          const hit = await killAfter(ticCommand(db, a), ms);
          report.points.push(ms);
          if (hit) report.interrupted++;
          outcomes.push(`${what} at ${ms} ms: ${hit ? "killed" : "done"}`);
        };
        const at = () => `trial ${trial} (${outcomes.join("; ")})`;
        const kills = 1 + Math.floor(random() * 2);
        for (let k = 0; k < kills; k++) await kill("landing");
        assert.equal(await tic(db, a), 0, `${at()}: finishing alpha`);
        await kill("duplicate");
        assert.equal(await tic(db, b), 0, `${at()}: landing beta`);
        const got = await state(db);
        assert.deepEqual(got.complete, clean.complete, `${at()}: not the clean run's rows`);
        for (const o of got.others) {
          assert.ok(
            ["failed", "duplicate"].includes(String(o.status)) && o.rows_removed === true &&
              Number(o.rows_left) === 0,
            `${at()}: ${JSON.stringify(o)}`,
          );
        }
      }
      // At least one kill hit a run mid-way (the point of the trials).
      assert.ok(report.interrupted > 0, `no kill hit a running tic: ${report.points} ms`);
      return killNote("tic", report);
    },
  });
}

ticKillCase(
  "kill -9 at random points of a landing and of a duplicate's: every row equals a clean run's",
  false,
  3,
);

ticKillCase(
  "kill -9 at random points of many landings and duplicates: every row equals a clean run's",
  true,
  killTrialCount(25),
);
