/**
 * `wharf compile <model>`: print the exact SQL that would run for a node.
 *
 * @module
 */
import { Command } from "commander";
import { globals, projectConfig } from "./context.ts";
import { load } from "./load.ts";
import { parseVars, withVars } from "./run_nodes.ts";

/** The `compile` command. */
export function compileCommand(): Command {
  return withVars(
    new Command("compile")
      .description(
        "Print the exact SQL that builds (or tests) a node, with ephemeral models inlined",
      )
      .argument("<node>", "a model, seed or test: name or layer.name"),
  )
    .action(async (name: string, opts: { vars?: string[] }, self: Command) => {
      const { inspectProject, withCommandVars } = await load<
        typeof import("../src/engine/run/run_project.ts")
      >("../src/engine/run/run_project.ts");
      const { findNode } = await load<typeof import("../src/engine/graph/find_node.ts")>(
        "../src/engine/graph/find_node.ts",
      );
      const config = withCommandVars(await projectConfig(self), await parseVars(opts.vars ?? []));
      const cp = await inspectProject(config, config.db);
      const { writeManifestOf } = await load<
        typeof import("../src/engine/artifacts/dbt_manifest.ts")
      >("../src/engine/artifacts/dbt_manifest.ts");
      await writeManifestOf(cp);
      const id = findNode(cp.graph, name);
      const c = cp.compiled.get(id);
      if (globals(self).json) {
        console.log(JSON.stringify(c ?? { id, kind: "source" }, null, 2));
        return;
      }
      const n = cp.graph.nodes.get(id)!;
      if (!c) {
        // A dbt source is named by its table of sources: and the properties file declaring it.
        const declared = cp.project.sourceTables?.find((t) => t.id === id);
        console.log(
          n.kind !== "source"
            ? `-- ${id} is an ${n.kind}; nothing to compile`
            : declared
            ? `-- ${id} is the dbt source ${declared.source}.${declared.table} (${declared.path}), the table ${n.relation} read as it is; nothing to compile`
            : `-- ${id} is a source, the table ${n.relation} read as it is; nothing to compile`,
        );
      } else if (c.kind === "test") console.log(`-- rows returned are failures\n${c.query};`);
      else if (c.kind === "model") console.log(c.script.trimEnd());
      else console.log(`${c.sql.trimEnd()};`);
    });
}
