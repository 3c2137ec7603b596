/**
 * Kill -9 trials of `wharf build` on the healthcare project (tables with
 * quarantine checks, an ephemeral, tests writing their failing rows) plus an
 * incremental model: built once, then a new delivery landed, then the build
 * killed at random moments and run again. Every model, `__rejected` table
 * and test result must equal a clean build's, the last run's results in
 * `wharf.run_results` must be the clean build's, and `wharf.runs` must say
 * what happened to each run: none left without an outcome.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { land } from "../../src/land/land.ts";
import { cliCommand } from "../helpers.ts";
import { warehouseDigest } from "./digest.ts";
import {
  copyWarehouse,
  generateDeliveries,
  type HealthcareProject,
  healthcareProject,
  landAndBuild,
} from "./healthcare.ts";
import { killNote, killTrials } from "./kill.ts";
import { rows } from "./land_harness.ts";
import { defineCase } from "./registry.ts";
import { killTrialCount } from "./seed.ts";

/** An incremental model over the benefits deliveries, in a layer of its own. */
const HISTORY = {
  "models/history/benefit_history.sql":
    "select member_id, _benefit_source as benefit_source, oop_max, remaining_oop_max, copay, _batch_id\nfrom raw.benefits\n",
  "models/history/history.yml": `models:
  - name: benefit_history
    description: The latest delivered figures per member and source, merged batch by batch.
    config: { materialized: incremental, unique_key: [member_id, benefit_source], watermark: _batch_id }
`,
};

/** Schemas the build writes. */
const MODEL_SCHEMAS = ["seeds", "staging", "intermediate", "marts", "history", "wharf_failures"];

/**
 * A warehouse with the deliveries landed and built, then a late VisitPay
 * file and a benefits delivery updating every fifth member landed: what the
 * trials' builds start from.
 */
async function builtThenDelivered(p: HealthcareProject, scale: number): Promise<string> {
  const base = join(p.root, "base.duckdb");
  await generateDeliveries(p, scale);
  await landAndBuild(p, base);
  const members = await rows(base, "SELECT DISTINCT member_id FROM raw.benefits ORDER BY 1");
  const update = members.filter((_, i) => i % 5 === 0).map((m, i) =>
    `${m.member_id},${300000 + i},${i},1500,2024-03-01`
  );
  const later = await p.write(
    "data/later/benefits-payer_a-20240301_000000.csv",
    `member_id,oop_max,remaining_oop_max,copay,as_of\n${update.join("\n")}\n`,
  );
  const landed = await land(p.healthcare, [join(p.data, "visitpay_late"), later], { db: base });
  assert.deepEqual(landed.outcomes.map((o) => o.status), ["landed", "landed"]);
  return base;
}

/** The models and the last run's results, for comparing with a clean build. */
async function buildDigest(db: string) {
  return {
    models: await warehouseDigest(db, { schemas: MODEL_SCHEMAS, views: true }),
    lastRun: await rows(
      db,
      `SELECT node_id, node_type, status, rows::DOUBLE AS rows, rejected_rows::DOUBLE AS rejected,
         check_counts::VARCHAR AS checks, nullified_values::DOUBLE AS nullified
       FROM wharf.run_results
       WHERE run_id = (SELECT run_id FROM wharf.runs ORDER BY started_at DESC LIMIT 1)
       ORDER BY node_id`,
    ),
  };
}

/**
 * The run log after a trial: the first build, then each killed build that
 * got as far as recording its start (`interrupted`, or `success` when it
 * finished before the kill), then the rerun, a success; no run left without
 * an outcome, and only the runs that ended have an end time.
 */
async function assertRunLog(db: string): Promise<void> {
  const runs = await rows(
    db,
    "SELECT command, status, ended_at IS NOT NULL AS ended FROM wharf.runs ORDER BY started_at",
  );
  const shown = JSON.stringify(runs);
  assert.ok(runs.length >= 2, shown);
  assert.deepEqual(runs[0], { command: "build", status: "success", ended: true }, shown);
  assert.deepEqual(runs.at(-1), { command: "build", status: "success", ended: true }, shown);
  for (const r of runs.slice(1, -1)) {
    assert.ok(
      (r.status === "interrupted" && r.ended === false) ||
        (r.status === "success" && r.ended === true),
      `a killed build is recorded as ${JSON.stringify(r)}: ${shown}`,
    );
  }
}

/** Options of {@linkcode buildKillCase}. */
interface BuildKillOptions {
  slow: boolean;
  /** Scale of the generated deliveries. */
  scale: number;
  trials: number;
  kills: number;
}

function buildKillCase(name: string, o: BuildKillOptions): void {
  defineCase({
    area: "build",
    name,
    slow: o.slow,
    seeded: true,
    async run({ seed }) {
      await using p = await healthcareProject(HISTORY);
      const base = await builtThenDelivered(p, o.scale);
      const report = await killTrials({
        dir: p.root,
        trials: o.trials,
        kills: o.kills,
        seed,
        prepare: (target) => copyWarehouse(base, target),
        command: (db) => cliCommand(["--project", p.root, "--db", db, "build"]),
        digest: buildDigest,
        after: assertRunLog,
      });
      const clean = await buildDigest(join(p.root, "clean.duckdb"));
      // The trial means something: the new delivery changed the models, incrementally too.
      assert.ok(
        clean.lastRun.some((r) =>
          r.node_id === "history.benefit_history" && r.status === "success"
        ),
      );
      assert.notDeepEqual(
        clean.models,
        await warehouseDigest(base, { schemas: MODEL_SCHEMAS, views: true }),
      );
      return killNote("build", report);
    },
  });
}

buildKillCase(
  "kill -9 twice at random moments, then build again: every model equals a clean build, and the run log says what happened",
  { slow: false, scale: 20, trials: 2, kills: 2 },
);

buildKillCase(
  "kill -9 at random moments, then build again: every model equals a clean build, and the run log says what happened",
  { slow: true, scale: 60, trials: killTrialCount(10), kills: 1 },
);
