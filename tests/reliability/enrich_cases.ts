/**
 * Kill -9 trials of `wharf enrich npi` against the fake registry
 * (`tests/enrich/fake_registry.ts`, answering 10% of requests with 500 or
 * 503): the ledger and the stored responses after a kill and a rerun must
 * equal a clean run's, and each kill may cost at most the NPIs in flight a
 * second request (the requests under way and the results not yet committed:
 * twice `--concurrency`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliCommand, REPO, tempProject } from "../helpers.ts";
import { fakeRegistry, validNpis } from "../enrich/fake_registry.ts";
import { killNote, killTrials } from "./kill.ts";
import { rows } from "./land_harness.ts";
import { defineCase } from "./registry.ts";
import { killTrialCount } from "./seed.ts";

const CONCURRENCY = 8;

/** What a run leaves: every NPI's final state, and one stored answer per NPI answered. */
async function enrichDigest(db: string) {
  return {
    ledger: await rows(
      db,
      "SELECT npi, state, retryable, last_error, http_status FROM wharf.npi_ledger ORDER BY npi",
    ),
    responses: await rows(
      db,
      "SELECT npi, http_status, md5(body::VARCHAR) AS body FROM raw.npi_responses ORDER BY npi, body",
    ),
  };
}

/** Options of {@linkcode enrichKillCase}. */
interface EnrichKillOptions {
  slow: boolean;
  npis: number;
  trials: number;
  kills: number;
}

function enrichKillCase(name: string, o: EnrichKillOptions): void {
  defineCase({
    area: "enrich",
    name,
    slow: o.slow,
    seeded: true,
    async run({ seed }) {
      await using p = await tempProject();
      const npis = await validNpis(o.npis, 400000000);
      const list = await p.write("npis.txt", ["npi", ...npis].join("\n"));
      // One registry for every run: its faults depend on the NPI and the attempt, never on chance.
      await using registry = fakeRegistry({ latencyMs: 20, faults: { serverError: 0.1 } });
      let before = new Map<string, number>();
      const report = await killTrials({
        dir: p.root,
        trials: o.trials,
        kills: o.kills,
        seed,
        // The registry's Errors answer leaves some NPIs failed: a complete run exits 1.
        code: 1,
        prepare: () => {
          before = new Map(registry.answered);
          return Promise.resolve();
        },
        command: (db) =>
          cliCommand([
            "--project",
            REPO,
            "--db",
            db,
            "enrich",
            "npi",
            list,
            "--registry",
            registry.url,
            "--concurrency",
            String(CONCURRENCY),
            "--timeout",
            "2s",
          ]),
        digest: enrichDigest,
        after: () => {
          const again = npis.filter((n) =>
            (registry.answered.get(n) ?? 0) - (before.get(n) ?? 0) > 1
          );
          assert.ok(
            again.length <= 2 * CONCURRENCY * o.kills,
            `${again.length} NPIs answered twice after ${o.kills} kills: ${again.join(", ")}`,
          );
          return Promise.resolve();
        },
      });
      const clean = await enrichDigest(join(p.root, "clean.duckdb"));
      assert.equal(clean.ledger.length, o.npis);
      assert.ok(clean.ledger.some((r) => r.state === "enriched"));
      assert.ok(clean.ledger.some((r) => r.state === "failed"));
      return killNote("enrich npi", report);
    },
  });
}

enrichKillCase(
  "kill -9 twice at random moments, then run again: the ledger and responses equal a clean run's, and only NPIs in flight are asked twice",
  { slow: false, npis: 400, trials: 2, kills: 2 },
);

enrichKillCase(
  "kill -9 at random moments, then run again: the ledger and responses equal a clean run's, and only NPIs in flight are asked twice",
  { slow: true, npis: 1000, trials: killTrialCount(10), kills: 1 },
);
