import assert from "node:assert/strict";
import { REPO, runCli, tempProject } from "../helpers.ts";

Deno.test("wharf tic and wharf tic lookup say 1 structure, 1 plan, 1 file, 1 entry: singular for one", async () => {
  await using p = await tempProject();
  const index = await p.write(
    "index.json",
    JSON.stringify({
      reporting_entity_name: "one payer",
      reporting_entity_type: "health insurance issuer",
      reporting_structure: [{
        reporting_plans: [{
          plan_name: "one plan",
          plan_id_type: "EIN",
          plan_id: "010643676",
          plan_market_type: "group",
        }],
        in_network_files: [{
          description: "in-network file",
          location: "https://example.com/NY_PPO_one.json.gz",
        }],
      }],
    }),
  );
  const tic = await runCli(["--project", REPO, "--db", p.db, "tic", index]);
  assert.equal(tic.code, 0, tic.stderr);
  assert.match(
    tic.stdout,
    /^complete .*index\.json: one payer — 1 reporting structure, 1 plan, 1 distinct file, /m,
  );
  const lookup = await p.write(
    "010643676.json",
    JSON.stringify({
      lastupdated: "2023-04-01",
      "In-Network Negotiated Rates Files": [{
        url: "https://example.com/NY_PPO_one.json.gz",
        displayname: "NY_PPO_one.json.gz",
      }],
    }),
  );
  const first = await runCli(["--project", REPO, "--db", p.db, "tic", "lookup", lookup]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /: EIN 010643676, lastupdated 2023-04-01 — 1 entry, 1 new; lookup/);
  const again = await runCli(["--project", REPO, "--db", p.db, "tic", "lookup", lookup]);
  assert.match(again.stdout, / — its 1 entry was landed before; nothing added$/m);
});
