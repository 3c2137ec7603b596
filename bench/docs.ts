/**
 * `deno task bench docs`: builds the docs of a generated 200-model project
 * (after building it, so the run log and columns are there) and prints the
 * time, against building the project itself in the same run. Target < 2 s.
 *
 * @module
 */
import { join } from "node:path";
import { resolveConfig } from "../src/config.ts";
import { buildDocs } from "../src/docs/build_docs.ts";
import { runProject } from "../src/engine/run/run_project.ts";
import { generateProject } from "./build.ts";

export default async function main(): Promise<void> {
  const root = await generateProject(200, 2000);
  try {
    const config = resolveConfig(root);
    const db = join(root, "warehouse.duckdb");
    let t = performance.now();
    const built = await runProject("build", config, { db });
    const buildMs = performance.now() - t;
    if (!built.ok) throw new Error("the generated project did not build");
    const times: number[] = [];
    let nodes = 0;
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      const manifest = await buildDocs(config, { db, out: join(root, "docs") });
      times.push(performance.now() - t);
      nodes = manifest.nodes.length;
    }
    const size = (await Deno.stat(join(root, "docs", "index.html"))).size;
    const best = Math.min(...times);
    console.log(`200-model project: wharf build ${(buildMs / 1000).toFixed(2)} s`);
    console.log(
      `wharf docs build: ${(best / 1000).toFixed(2)} s (best of 3; ${nodes} nodes, index.html ${
        (size / 1024).toFixed(0)
      } KB; ${(best / buildMs).toFixed(2)}x the build) — target < 2 s`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}
