/**
 * `wharf docs build [--out DIR]`: a self-contained docs site and manifest;
 * `wharf docs generate`, as dbt users type it: the same, and in a dbt
 * project the site where dbt writes it (`target/index.html`, beside dbt's
 * manifest.json and catalog.json).
 *
 * @module
 */
import { Command } from "commander";
import { join, resolve } from "node:path";
import { userCwd } from "./context.ts";
import { logs } from "./output.ts";
import { compilingConfig, withVars } from "./run_nodes.ts";
import { load } from "./load.ts";

/** What `docs build` and `docs generate` take. */
interface DocsOptions {
  out?: string;
  vars?: string[];
}

/**
 * Builds the docs into `--out`, else the target folder's `docs/` (or, for
 * `generate` in a dbt project, the target folder itself, as dbt writes them).
 */
async function writeDocs(generate: boolean, opts: DocsOptions, self: Command): Promise<void> {
  const { buildDocs } = await load<typeof import("../src/docs/build_docs.ts")>(
    "../src/docs/build_docs.ts",
  );
  const { apiNodes } = await load<typeof import("../src/serve/api_nodes.ts")>(
    "../src/serve/api_nodes.ts",
  );
  const config = await compilingConfig(self, opts.vars);
  // dbt's place: target/index.html. The site alone: target/manifest.json is dbt's.
  const dbtPlace = generate && !!config.dbt && opts.out === undefined;
  const out = opts.out
    ? resolve(userCwd(), opts.out)
    : dbtPlace
    ? config.paths.target
    : join(config.paths.target, "docs");
  const started = performance.now();
  const manifest = await buildDocs(config, {
    db: config.db,
    out,
    apiNodes: apiNodes(config.serve.coalesce),
    docsManifest: !dbtPlace,
  });
  if (!logs("info")) return;
  console.log(
    `Docs for ${manifest.nodes.length} nodes written to ${join(out, "index.html")} (${
      dbtPlace
        ? `beside dbt's manifest.json and catalog.json; \`wharf serve\` serves them at /docs`
        : "and manifest.json"
    }) in ${((performance.now() - started) / 1000).toFixed(2)}s`,
  );
}

/** The `docs` command (with its `build` and `generate` subcommands). */
export function docsCommand(): Command {
  const docs = new Command("docs").description(
    "Documentation of the project: models, columns, tests, lineage, runs",
  );
  docs.addCommand(
    withVars(
      new Command("build")
        .description("Write a self-contained docs site (index.html) and manifest.json")
        .option("--out <dir>", "folder to write into (default: target/docs)"),
    ).action((opts: DocsOptions, self: Command) => writeDocs(false, opts, self)),
  );
  docs.addCommand(
    withVars(
      new Command("generate")
        .description(
          "dbt's docs generate: the site of docs build, in a dbt project as dbt writes it (target/index.html, with manifest.json and catalog.json)",
        )
        .option(
          "--out <dir>",
          "folder to write into (default: target/ in a dbt project, else target/docs)",
        ),
    ).action((opts: DocsOptions, self: Command) => writeDocs(true, opts, self)),
  );
  return docs;
}
