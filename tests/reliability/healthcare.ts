/**
 * The healthcare project of the repository in a temporary folder, with
 * generated deliveries: what the build trials and the server cases run on.
 *
 * @module
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { copyFile, cp } from "node:fs/promises";
import { loadConfig, type ResolvedConfig } from "../../src/config.ts";
import { generate } from "../../src/gen/generate.ts";
import { land } from "../../src/land/land.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { REPO, type TempProject, tempProject } from "../helpers.ts";

/** A temporary copy of the healthcare project and its configuration. */
export interface HealthcareProject extends TempProject {
  /** The project's configuration, read from its folder (the repository's sources and vars). */
  healthcare: ResolvedConfig;
  /** Where {@linkcode generateDeliveries} wrote the deliveries. */
  data: string;
}

/**
 * Copies the repository's models and SQL into a temporary project whose
 * configuration is the repository's, then writes `files` (path → content)
 * there. Builds write their compiled SQL in that folder and nowhere else.
 */
export async function healthcareProject(
  files: Record<string, string> = {},
): Promise<HealthcareProject> {
  const p = await tempProject();
  await cp(join(REPO, "models"), join(p.root, "models"), { recursive: true });
  await cp(join(REPO, "sql"), join(p.root, "sql"), { recursive: true });
  for (const [path, text] of Object.entries(files)) await p.write(path, text);
  await p.write(
    "wharf.config.ts",
    `export { default } from ${
      JSON.stringify(pathToFileURL(join(REPO, "wharf.config.ts")).href)
    };\n`,
  );
  return { ...p, healthcare: await loadConfig(p.root), data: join(p.root, "data") };
}

/** Writes `wharf gen` deliveries (seed 5) at `scale` into the project's `data/`. */
export async function generateDeliveries(p: HealthcareProject, scale: number): Promise<void> {
  await generate(p.data, { seed: 5, scale });
}

/**
 * Lands the generated deliveries (all but the late VisitPay file) into
 * `db` and builds the project there; throws unless both succeed.
 */
export async function landAndBuild(p: HealthcareProject, db: string): Promise<void> {
  const landed = await land(
    p.healthcare,
    ["visitpay", "waymark", "benefits", "npi"].map((d) => join(p.data, d)),
    { db },
  );
  const failed = landed.outcomes.filter((o) => o.status === "failed");
  if (failed.length) {
    throw new Error(`Landing failed: ${failed.map((o) => `${o.file}: ${o.message}`).join("; ")}`);
  }
  const built = await runProject("build", p.healthcare, { db });
  const errors = built.results.filter((r) => r.status === "error" || r.status === "fail");
  if (errors.length) {
    throw new Error(`Build failed: ${errors.map((r) => `${r.id}: ${r.message}`).join("; ")}`);
  }
}

/** Copies a closed warehouse file (and its write-ahead log, if any) to `to`. */
export async function copyWarehouse(from: string, to: string): Promise<void> {
  await copyFile(from, to);
  await copyFile(`${from}.wal`, `${to}.wal`).catch((err) => {
    if (err.code !== "ENOENT") throw err;
  });
}
