/**
 * `wharf compile [node]`: print the exact SQL that would run for a node; or,
 * without a node, write the compiled SQL of the project (or a selection)
 * under target/, as `dbt compile` does; or compile `--inline` SQL.
 *
 * @module
 */
import { Command } from "commander";
import { join, relative } from "node:path";
import { collect, globals, projectConfig } from "./context.ts";
import { load } from "./load.ts";
import { parseVars, withVars } from "./run_nodes.ts";

interface CompileOptions {
  vars?: string[];
  select?: string[];
  exclude?: string[];
  selector?: string;
  inline?: string;
}

/** The `compile` command. */
export function compileCommand(): Command {
  return withVars(
    new Command("compile")
      .description(
        "Print the exact SQL that builds (or tests) a node, with ephemeral models inlined; without a node, write the compiled SQL of every node (or a selection) and of a dbt project's analyses under target/",
      )
      .argument("[node]", "a model, seed, test or dbt analysis: name or layer.name")
      .option("-s, --select <selector...>", "without a node: the nodes to compile", collect)
      .option("--exclude <selector...>", "without a node: nodes to leave out", collect)
      .option("--selector <name>", "without a node: a selection named in selectors.yml")
      .option(
        "--inline <sql>",
        "compile this SQL against the project (Jinja rendered in a dbt project) and print it",
      ),
  )
    .action(async (name: string | undefined, opts: CompileOptions, self: Command) => {
      const { UsageError } = await load<typeof import("../src/engine/errors.ts")>(
        "../src/engine/errors.ts",
      );
      const selecting = opts.select !== undefined || opts.exclude !== undefined ||
        opts.selector !== undefined;
      if (name !== undefined && (selecting || opts.inline !== undefined)) {
        throw new UsageError(
          `compile takes a node, a selection (--select, --exclude, --selector) or --inline, one of them: "${name}" and ${
            opts.inline !== undefined ? "--inline" : "a selection"
          } were given`,
        );
      }
      if (opts.inline !== undefined && selecting) {
        throw new UsageError("compile --inline takes no selection: it compiles the SQL given");
      }
      const { inspectProject, withCommandVars } = await load<
        typeof import("../src/engine/run/run_project.ts")
      >("../src/engine/run/run_project.ts");
      const config = withCommandVars(await projectConfig(self), await parseVars(opts.vars ?? []));
      const cp = await inspectProject(
        config,
        config.db,
        opts.inline === undefined ? {} : { inline: opts.inline },
      );
      const { writeManifestOf } = await load<
        typeof import("../src/engine/artifacts/dbt_manifest.ts")
      >("../src/engine/artifacts/dbt_manifest.ts");
      await writeManifestOf(cp);
      const json = globals(self).json;
      if (opts.inline !== undefined) {
        const sql = cp.project.inline!.trimEnd();
        console.log(json ? JSON.stringify({ inline: sql }, null, 2) : sql);
        return;
      }
      const { compiledFiles, writeFiles } = await load<
        typeof import("../src/engine/compile/compile_project.ts")
      >("../src/engine/compile/compile_project.ts");
      const { target } = config.paths;
      // dbt's place for a compiled analysis: target/compiled/<project>/<its path>.
      const analysisFile = (path: string) => join(target, "compiled", config.name, path);
      if (name === undefined) {
        const { selectNodes } = await load<typeof import("../src/engine/graph/select.ts")>(
          "../src/engine/graph/select.ts",
        );
        const ids = selectNodes(cp.graph, {
          select: opts.select,
          exclude: opts.exclude,
          selector: opts.selector,
          selectors: cp.selectors,
          project: cp.project,
        });
        const nodes = ids.flatMap((id) => cp.compiled.get(id) ?? []);
        const { files } = compiledFiles(cp, nodes);
        // Analyses are compiled with the whole project (a selection picks nodes of the graph).
        const analyses = selecting ? [] : cp.project.analyses ?? [];
        for (const a of analyses) files.set(analysisFile(a.path), `${a.sql.trimEnd()}\n`);
        await writeFiles(files);
        if (json) {
          console.log(
            JSON.stringify({
              nodes: nodes.map((n) => n.id),
              analyses: analyses.map((a) => a.path),
            }),
          );
          return;
        }
        const { counted } = await load<typeof import("./output.ts")>("./output.ts");
        console.log(
          `Compiled ${counted(nodes.length, "node")}${
            analyses.length
              ? ` and ${analyses.length} ${analyses.length === 1 ? "analysis" : "analyses"}`
              : ""
          } into ${relative(config.root, target) || "."}/ (run/ what runs, compiled/ each SELECT${
            analyses.length ? `, compiled/${config.name}/ the analyses` : ""
          })`,
        );
        return;
      }
      const analysis = cp.project.analyses?.find((a) =>
        a.name === name.toLowerCase() || a.path === name
      );
      if (analysis) {
        await writeFiles(new Map([[analysisFile(analysis.path), `${analysis.sql.trimEnd()}\n`]]));
        console.log(
          json
            ? JSON.stringify({ analysis: analysis.path, sql: analysis.sql }, null, 2)
            : analysis.sql.trimEnd(),
        );
        return;
      }
      const { findNode } = await load<typeof import("../src/engine/graph/find_node.ts")>(
        "../src/engine/graph/find_node.ts",
      );
      const id = findNode(cp.graph, name);
      const c = cp.compiled.get(id);
      if (json) {
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
