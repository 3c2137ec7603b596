/**
 * `wharf docs build [--out DIR]`: a self-contained docs site and manifest.
 *
 * @module
 */
import { Command } from "commander";
import { join, resolve } from "node:path";
import { userCwd } from "./context.ts";
import { compilingConfig, withVars } from "./run_nodes.ts";
import { load } from "./load.ts";

/** The `docs` command (with its `build` subcommand). */
export function docsCommand(): Command {
  const docs = new Command("docs").description(
    "Documentation of the project: models, columns, tests, lineage, runs",
  );
  docs.addCommand(
    withVars(
      new Command("build")
        .description("Write a self-contained docs site (index.html) and manifest.json")
        .option("--out <dir>", "folder to write into (default: target/docs)"),
    )
      .action(async (opts: { out?: string; vars?: string[] }, self: Command) => {
        const { buildDocs } = await load<typeof import("../src/docs/build_docs.ts")>(
          "../src/docs/build_docs.ts",
        );
        const { apiNodes } = await load<typeof import("../src/serve/api_nodes.ts")>(
          "../src/serve/api_nodes.ts",
        );
        const config = await compilingConfig(self, opts.vars);
        const out = opts.out ? resolve(userCwd(), opts.out) : join(config.paths.target, "docs");
        const started = performance.now();
        const manifest = await buildDocs(config, {
          db: config.db,
          out,
          apiNodes: apiNodes(config.serve.coalesce),
        });
        console.log(
          `Docs for ${manifest.nodes.length} nodes written to ${out}/index.html (and manifest.json) in ${
            ((performance.now() - started) / 1000).toFixed(2)
          }s`,
        );
      }),
  );
  return docs;
}
