/**
 * `wharf ls`: list the project's nodes with their type, layer and
 * materialization.
 *
 * @module
 */
import { Command } from "commander";
import { resolve } from "node:path";
import { globals, projectConfig, userCwd } from "./context.ts";
import { cellWidth, table, type WidthOptions, withWidthOptions } from "./output.ts";
import { load } from "./load.ts";

/** The `ls` command. */
export function lsCommand(): Command {
  return withWidthOptions(new Command("ls"))
    .description(
      "List nodes (seeds, models, snapshots, tests, raw sources) with type, layer and materialization",
    )
    .option(
      "-s, --select <selector...>",
      "nodes to include (name, layer.name, +name, name+, @name, tag:x, path:dir, source:x, config.materialized:table …)",
    )
    .option("--exclude <selector...>", "nodes to leave out")
    .option("--selector <name>", "a selection named in the project's selectors.yml")
    .option(
      "--state <dir>",
      "an earlier run's target/ folder, for state:, result: and source_status:",
    )
    .action(
      async (
        opts:
          & { select?: string[]; exclude?: string[]; selector?: string; state?: string }
          & WidthOptions,
        self: Command,
      ) => {
        const { inspectProject } = await load<typeof import("../src/engine/run/run_project.ts")>(
          "../src/engine/run/run_project.ts",
        );
        const { selectNodes } = await load<typeof import("../src/engine/graph/select.ts")>(
          "../src/engine/graph/select.ts",
        );
        const { isSnapshot } = await load<typeof import("../src/engine/materializations/index.ts")>(
          "../src/engine/materializations/index.ts",
        );
        const width = cellWidth(opts, Deno.stdout.isTerminal());
        const config = await projectConfig(self);
        const cp = await inspectProject(config, config.db);
        const { writeManifestOf } = await load<
          typeof import("../src/engine/artifacts/dbt_manifest.ts")
        >("../src/engine/artifacts/dbt_manifest.ts");
        const { readState, selectionState } = await load<
          typeof import("../src/engine/artifacts/state.ts")
        >("../src/engine/artifacts/state.ts");
        // The state is read before the new manifest replaces it (it may be this target/).
        const state = opts.state === undefined
          ? undefined
          : await readState(resolve(userCwd(), opts.state));
        const manifest = await writeManifestOf(cp);
        const selection = {
          select: opts.select,
          exclude: opts.exclude,
          selector: opts.selector,
          selectors: cp.selectors,
          project: cp.project,
          state: state && await selectionState(cp, manifest, state, config.paths.target),
        };
        const rows = selectNodes(cp.graph, selection).map((id) => {
          const n = cp.graph.nodes.get(id)!;
          return {
            id: n.id,
            type: isSnapshot(n) ? "snapshot" : n.kind,
            layer: n.kind === "model"
              ? n.layer
              : n.kind === "seed"
              ? n.id.split(".").at(-2)!
              : n.kind === "source"
              ? n.relation.split(".").at(-2)!
              : "",
            materialized: n.kind === "model" ? n.config.materialized : n.kind === "seed"
              ? "seed" // dbt's name, which config.materialized: selects (a seed is loaded as a table)
              : "",
            tags: n.kind === "model"
              ? n.config.tags.join(",")
              : n.kind === "seed" || n.kind === "unit_test"
              ? n.tags.join(",")
              : "",
            path: "path" in n ? n.path : n.kind === "generic_test" ? n.location.file : "",
            depends_on: (cp.graph.parents.get(id) ?? []).join(","),
          };
        });
        if (globals(self).json) console.log(JSON.stringify(rows, null, 2));
        else {console.log(
            await table(["id", "type", "layer", "materialized", "tags", "path"], rows, width),
          );}
      },
    );
}
