/**
 * `wharf demo`: generate deliveries, land them, build and test the models,
 * and print a short summary with queries to try.
 *
 * @module
 */
import { Command } from "commander";
import { join, resolve } from "node:path";
import { globals, projectConfig, userCwd, wharfCommand } from "./context.ts";
import {
  counted,
  failedLandingLines,
  landingRejectLines,
  problemLines,
  resultLine,
  skipLines,
  table,
} from "./output.ts";
import { load } from "./load.ts";

/** The healthcare project's layers, in the order data flows through them. */
const LAYERS = ["seeds", "staging", "intermediate", "marts"];

/** Where the layer of node `id` comes in {@linkcode LAYERS} (another layer: after them). */
function layerRank(id: string): number {
  const at = LAYERS.indexOf(id.split(".")[0]!);
  return at < 0 ? LAYERS.length : at;
}

/**
 * The results in the order the demo's tables show them: by layer as data
 * flows, then by node id (a result's checks keep the order of its YAML),
 * not in the order the nodes happened to finish in.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inPipelineOrder } from "./demo.ts";
 *
 * const ids = ["marts.a", "staging.b", "intermediate.c", "staging.a"].map((id) => ({ id }));
 * assert.deepEqual(inPipelineOrder(ids).map((r) => r.id), [
 *   "staging.a",
 *   "staging.b",
 *   "intermediate.c",
 *   "marts.a",
 * ]);
 * ```
 */
export function inPipelineOrder<R extends { id: string }>(results: readonly R[]): R[] {
  return [...results].sort((a, b) =>
    layerRank(a.id) - layerRank(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** The `demo` command. */
export function demoCommand(): Command {
  return new Command("demo")
    .description(
      "Generate a dataset, land it, build and test the models, and summarize (run again: lands nothing new)",
    )
    .option("--data <dir>", "where the generated deliveries go (default: demo-data in the project)")
    .option("--scale <n>", "dataset scale for the first run", "1")
    .action(async (opts: { data?: string; scale: string }, self: Command) => {
      const { runDemo } = await load<typeof import("../src/demo/run_demo.ts")>(
        "../src/demo/run_demo.ts",
      );
      const { demoNpiList } = await load<typeof import("../src/demo/demo_tables.ts")>(
        "../src/demo/demo_tables.ts",
      );
      const { UsageError } = await import("../src/engine/errors.ts");
      const scale = Number(opts.scale);
      if (!(scale > 0)) {
        throw new UsageError(`Invalid --scale "${opts.scale}": expected a positive number`);
      }
      const g = globals(self);
      const config = await projectConfig(self);
      const dataDir = opts.data === undefined
        ? join(config.root, "demo-data")
        : resolve(userCwd(), opts.data);
      let total = 0;
      let done = 0;
      const started = performance.now();
      const summary = await runDemo(config, {
        dataDir,
        db: config.db,
        scale,
        onDeliveries: (generated) => {
          if (!g.json) {
            console.log(`${generated ? "Generated" : "Reused"} deliveries in ${dataDir}`);
          }
        },
        onLanded: (s, batch) => {
          if (g.json) return;
          const count = (st: string) => s.outcomes.filter((o) => o.status === st).length;
          const rows = s.outcomes.reduce((n, o) => n + o.rows, 0);
          if (batch === "late") {
            // One file, timestamped before a visit file landed already: the late-delivery trap.
            const names = s.outcomes.map((o) => o.file.split("/").pop()).join(", ");
            const failed = s.outcomes.find((o) => o.status === "failed");
            console.log(
              failed
                ? `The late VisitPay file failed to land: ${names}: ${failed.message ?? ""}`
                : count("landed")
                ? `Landed the late VisitPay file, older than a visit file landed before it: ${names} (${
                  counted(rows, "row")
                }).`
                : "Nothing new to land: the late VisitPay file was landed before.",
            );
            return;
          }
          console.log(
            count("landed")
              ? `Landed ${counted(count("landed"), "file")} (${counted(rows, "row")}), ${
                count("skipped")
              } already landed, ${count("failed")} failed.`
              : `Nothing new to land: ${
                s.outcomes.length === 1 ? "the file was" : `all ${s.outcomes.length} files were`
              } landed before.`,
          );
        },
        onPlan: (nodes) => (total = nodes.length),
        onResult: (r) => {
          done++;
          if (
            !g.json && (r.status !== "pass" && r.status !== "success" || r.rejected || r.nullified)
          ) {
            console.log(resultLine(r, done, total));
          }
        },
      });
      if (g.json) {
        console.log(JSON.stringify(summary, null, 2));
        if (!summary.build.ok) Deno.exitCode = 1;
        return;
      }
      // The commands suggested, run as this demo was (deno or npx), with its --project and --db.
      const wharf = wharfCommand(config);
      const results = inPipelineOrder(summary.build.results);
      const layers = new Map<string, number>();
      for (const r of results) {
        if (r.kind !== "model" && r.kind !== "seed") continue;
        const layer = r.id.split(".")[0]!;
        layers.set(layer, (layers.get(layer) ?? 0) + (r.rows ?? 0));
      }
      const rejected = results.flatMap((r) =>
        Object.entries(r.checks ?? {}).filter(([, n]) => n > 0).map(([check, n]) => ({
          model: r.id,
          check,
          rows: n,
        }))
      );
      const nullified = results.flatMap((r) =>
        Object.entries(r.nullified ?? {}).filter(([, n]) => n > 0).map(([check, n]) => ({
          model: r.id,
          check,
          values: n,
        }))
      );
      const tests = (s: string) =>
        results.filter((r) => r.kind === "test" && r.status === s).length;
      console.log("\nRows per layer:");
      console.log(
        await table(["layer", "rows"], [...layers].map(([layer, rows]) => ({ layer, rows }))),
      );
      console.log("\nRows rejected by checks (in <model>__rejected):");
      console.log(await table(["model", "check", "rows"], rejected));
      console.log("\nValues nullified by checks, rows kept (in <model>__rejected_values):");
      console.log(await table(["model", "check", "values"], nullified));
      const rejects = landingRejectLines(summary.build.landingRejects, wharf);
      if (rejects.length) console.log(["", ...rejects].join("\n"));
      const failed = failedLandingLines(summary.build.failedLandings, wharf);
      if (failed.length) console.log(["", ...failed].join("\n"));
      const nodes = (s: string) =>
        results.filter((r) => r.kind !== "test" && r.status === s).length;
      console.log(
        `\nModels and seeds: ${nodes("success")} built, ${nodes("error")} failed, ${
          nodes("skipped")
        } skipped.`,
      );
      console.log(
        `Tests: ${tests("pass")} passed, ${tests("warn")} warned, ${tests("fail")} failed${
          tests("error") ? `, ${tests("error")} errored` : ""
        }${tests("skipped") ? `, ${tests("skipped")} skipped` : ""}.`,
      );
      for (const line of problemLines(results, ["error"])) console.log(line);
      if (summary.build.results.some((r) => r.skip)) {
        // The demo lands deliveries only: what TiC indexes and NPI enrichment land stays skipped.
        console.log("");
        const sourceTables = config.sources.map((s) => `raw.${s.table}`);
        const npiList = demoNpiList(config.sources);
        for (const line of skipLines(summary.build, { inDemo: true, sourceTables, npiList })) {
          console.log(line);
        }
      }
      console.log(
        `\nWarehouse: ${config.db}  (built in ${
          ((performance.now() - started) / 1000).toFixed(1)
        }s)`,
      );
      console.log("\nTry it:");
      for (
        const query of [
          "select status, count(*) from marts.members group by status",
          "select column_name, value, failed_check, row_key from intermediate.int_members__rejected_values",
          "select diagnosis_category, count(*) as claims, (sum(billed_cents) * 0.01)::DECIMAL(18, 2) as billed_dollars from intermediate.int_claims group by 1 order by 1",
        ]
      ) {
        console.log(`  ${wharf} sql "${query}"`);
      }
      console.log(`  ${wharf} sql          # a SQL shell (.help lists its commands)`);
      console.log(
        `  ${wharf} serve        # the API on http://127.0.0.1:8787 (/api/models, /api/coalescence/…)`,
      );
      console.log(`  ${wharf} docs build   # the docs site: models, columns, tests, lineage`);
      if (!summary.build.ok) Deno.exitCode = 1;
    });
}
