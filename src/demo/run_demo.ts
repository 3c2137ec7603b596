/**
 * The demo: generate deliveries (once), land them (the late file last),
 * build and test the healthcare models. Running it again lands nothing new.
 *
 * @module
 */
import { join } from "node:path";
import type { LandConfig } from "../land/config.ts";
import { generate, type Planted } from "../gen/generate.ts";
import { land, type LandSummary } from "../land/land.ts";
import { runProject, type RunProjectOptions, type RunSummary } from "../engine/run/run_project.ts";

/** Options of {@linkcode runDemo}. */
export interface DemoOptions {
  /** Where the generated deliveries live. */
  dataDir: string;
  db: string;
  scale?: number;
  seed?: number;
  /**
   * Called once the deliveries are there, before anything lands: `true`
   * when this run generated them, `false` when it reuses earlier ones.
   */
  onDeliveries?: (generated: boolean) => void;
  /**
   * Called after each landing: first the deliveries, then the late VisitPay
   * file (timestamped before a visit file landed already, delivered last).
   */
  onLanded?: (summary: LandSummary, batch: "deliveries" | "late") => void;
  onResult?: RunProjectOptions["onResult"];
  onPlan?: RunProjectOptions["onPlan"];
}

/** What the demo did. */
export interface DemoSummary {
  generated: boolean;
  planted: Planted;
  landed: LandSummary[];
  build: RunSummary;
}

/** Runs the demo; see the module doc. */
export async function runDemo(config: LandConfig, options: DemoOptions): Promise<DemoSummary> {
  const plantedFile = join(options.dataDir, "planted.json");
  let planted: Planted;
  let generated = false;
  try {
    planted = JSON.parse(await Deno.readTextFile(plantedFile));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    planted = await generate(options.dataDir, { scale: options.scale, seed: options.seed });
    await Deno.writeTextFile(plantedFile, JSON.stringify(planted, null, 2));
    generated = true;
  }
  options.onDeliveries?.(generated);
  const landed: LandSummary[] = [];
  const batches = [
    ["deliveries", ["visitpay", "waymark", "benefits", "npi"]],
    ["late", ["visitpay_late"]],
  ] as const;
  for (const [batch, folders] of batches) {
    const summary = await land(config, folders.map((d) => join(options.dataDir, d)), {
      db: options.db,
    });
    landed.push(summary);
    options.onLanded?.(summary, batch);
  }
  const build = await runProject("build", config, {
    db: options.db,
    onResult: options.onResult,
    onPlan: options.onPlan,
  });
  return { generated, planted, landed, build };
}
