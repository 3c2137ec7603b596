/**
 * `wharf gen <dir>`: write deterministic synthetic deliveries with a known
 * number of each real-world trap, and print what was planted.
 *
 * @module
 */
import { Command } from "commander";
import { resolve } from "node:path";
import { globals, userCwd } from "./context.ts";
import { load } from "./load.ts";

/** The `gen` command. */
export function genCommand(): Command {
  return new Command("gen")
    .description(
      "Generate synthetic healthcare deliveries (VisitPay, member/claims per client, benefits, NPIs) with planted traps",
    )
    .argument("<dir>", "folder to write into (created if missing)")
    .option("--scale <n>", "multiplies row counts (1: about a hundred members per client)", "1")
    .option("--seed <n>", "random seed: the same seed writes the same files", "42")
    .action(async (dir: string, opts: { scale: string; seed: string }, self: Command) => {
      const { UsageError } = await import("../src/engine/errors.ts");
      const { generate } = await load<typeof import("../src/gen/generate.ts")>(
        "../src/gen/generate.ts",
      );
      const scale = Number(opts.scale);
      const seed = Number(opts.seed);
      if (!(scale > 0)) {
        throw new UsageError(`Invalid --scale "${opts.scale}": expected a positive number`);
      }
      if (!Number.isInteger(seed)) {
        throw new UsageError(`Invalid --seed "${opts.seed}": expected a whole number`);
      }
      const target = resolve(userCwd(), dir);
      const planted = await generate(target, { scale, seed });
      if (globals(self).json) {
        console.log(JSON.stringify(planted, null, 2));
        return;
      }
      const v = planted.visitpay;
      console.log(`Wrote ${planted.files.length} files to ${target}`);
      console.log(
        `VisitPay (${
          v.hospitals.join(", ")
        }): ${v.procedures} procedures, ${v.visits} visits (${v.upserted_visits} upserted, ${v.late_new_visits} new + ${v.late_stale_versions} stale in the late file, ${v.shared_visit_ids} visit ids at both hospitals), ${v.transactions} transactions (${v.orphan_transactions} orphans, ${v.cross_hospital_transactions} of them naming another hospital's visit; ${v.sub_cent_amounts} with fractions of a cent), ${v.balance_mismatches} balance mismatches`,
      );
      for (const [client, m] of Object.entries(planted.membership)) {
        const traps = Object.entries(m).filter(([k, n]) => k !== "rows" && k !== "members" && n > 0)
          .map(([k, n]) => `${k} ${n}`);
        console.log(
          `Members ${client}: ${m.rows} rows, ${m.members} members; traps: ${traps.join(", ")}`,
        );
      }
      const latest = Object.entries(planted.latest_membership).filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`);
      console.log(`Members client_a, latest delivery: ${latest.join(", ")}`);
      const c = planted.claims;
      console.log(
        `Claims: client A ${c.client_a}, client B ${c.client_b}; ${c.shared_claim_numbers} claim numbers shared across clients, ${c.unknown_members} for unknown members, ${c.impossible_dates} impossible dates`,
      );
      console.log(
        `Benefits: ${
          planted.benefits.sources.map((s) => `${s} ${planted.benefits.rows[s]}`).join(", ")
        } rows over ${planted.benefits.members} members`,
      );
      console.log(
        `NPIs: ${planted.npi.lines} lines, ${planted.npi.unique} distinct (${planted.npi.invalid} invalid), ${planted.npi.duplicates} duplicates`,
      );
    });
}
