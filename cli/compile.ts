/**
 * `wharf compile [node]`: print the exact SQL that would run for a node
 * (and write its files); or, without a node, write the compiled SQL of the
 * project (or a selection, analyses included) under target/, as `dbt
 * compile` does (see `target_paths.ts`); or compile `--inline` SQL.
 *
 * @module
 */
import { Command } from "commander";
import { relative } from "node:path";
import { collect, globals } from "./context.ts";
import type { CompiledModel, CompiledNode } from "../src/engine/compile/compile.ts";
import { load } from "./load.ts";
import { compilingConfig, withVars } from "./run_nodes.ts";

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
        "Print the exact SQL that builds (or tests) a node, with ephemeral models inlined, and write it under target/; without a node, write the compiled SQL of every node (or a selection), a dbt project's analyses included, under target/",
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
      const { inspectProject } = await load<typeof import("../src/engine/run/run_project.ts")>(
        "../src/engine/run/run_project.ts",
      );
      const config = await compilingConfig(self, opts.vars);
      const cp = await inspectProject(
        config,
        config.db,
        opts.inline === undefined ? {} : { inline: opts.inline },
      );
      const { writeManifestOf } = await load<
        typeof import("../src/engine/artifacts/dbt_manifest.ts")
      >("../src/engine/artifacts/dbt_manifest.ts");
      const json = globals(self).json;
      if (opts.inline !== undefined) {
        await writeManifestOf(cp);
        const sql = cp.project.inline!.trimEnd();
        console.log(json ? JSON.stringify({ inline: sql }, null, 2) : sql);
        return;
      }
      const { compiledFiles, writeFiles } = await load<
        typeof import("../src/engine/compile/compile_project.ts")
      >("../src/engine/compile/compile_project.ts");
      /** Writes the files of what was compiled, and the manifest saying where they are. */
      const write = async (...args: Parameters<typeof compiledFiles>) => {
        const written = compiledFiles(...args);
        await writeFiles(written.files);
        await writeManifestOf(args[0], written.compiled);
      };
      /**
       * `nodes` with each model whose Jinja reads the warehouse rendered against it, as dbt's
       * compile runs run_query() (with a note on stderr for one that cannot be: the warehouse
       * lacks what it reads), and the project with them.
       */
      const againstWarehouse = async (nodes: CompiledNode[]) => {
        const reading = nodes.filter((c): c is CompiledModel =>
          c.kind === "model" && !!c.renderedAtRun
        );
        if (!reading.length) return { nodes, compiled: cp };
        const { compileAgainstWarehouse } = await load<
          typeof import("../src/engine/run/compile_read_only.ts")
        >("../src/engine/run/compile_read_only.ts");
        const rendered = new Map(cp.compiled);
        for (const c of reading) {
          const against = await compileAgainstWarehouse(config, cp, c, config.db);
          if ("compiled" in against) rendered.set(c.id, against.compiled);
          else {
            console.error(
              `note: ${c.id}'s Jinja reads the warehouse as it renders (run_query(), statement); this is its parse-time render (execute false), since ${against.missing}: build its upstream first (\`wharf build -s +${c.id}\`) for the SQL it builds from`,
            );
          }
        }
        return {
          nodes: nodes.map((c) => rendered.get(c.id)!),
          compiled: { ...cp, compiled: rendered },
        };
      };
      const analysesOf = (ids: readonly string[]) =>
        ids.flatMap((id) => cp.project.analyses?.find((a) => a.id === id) ?? []);
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
        const selected = ids.flatMap((id) => cp.compiled.get(id) ?? []);
        const { nodes, compiled } = await againstWarehouse(selected);
        const analyses = analysesOf(ids);
        await write(compiled, nodes, { analyses });
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
          } into ${relative(config.root, config.paths.target) || "."}/ (run/ what runs, compiled/ ${
            config.dbt
              ? `the SQL as compiled, under ${config.dbt.project}/ by file as in dbt`
              : "each SELECT and test query"
          })`,
        );
        return;
      }
      const analysis = cp.project.analyses?.find((a) =>
        a.name === name.toLowerCase() || a.id === name.toLowerCase() || a.path === name
      );
      if (analysis) {
        await write(cp, [], { analyses: [analysis] });
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
      const found = cp.compiled.get(id);
      const { nodes: [c], compiled } = await againstWarehouse(found ? [found] : []);
      // As `dbt compile -s <node>`: its files written, and the manifest saying where.
      await write(compiled, c ? [c] : []);
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
