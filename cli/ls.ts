/**
 * `wharf ls`: list the project's nodes with their type, layer,
 * materialization and tags; dbt's `--resource-type` keeps the nodes of
 * some resource types (analyses are listed only when asked for, as in
 * dbt), `--exclude-resource-type` leaves some out, and `--output
 * selector|name|path|json` (with `--output-keys`) prints one node a line,
 * as dbt does.
 *
 * @module
 */
import { Command } from "commander";
import { resolve } from "node:path";
import { globals, userCwd } from "./context.ts";
import { cellWidth, table, type WidthOptions, withWidthOptions } from "./output.ts";
import { load } from "./load.ts";
import { compilingConfig, withIndirectSelection, withVars } from "./run_nodes.ts";
import type { IndirectSelection } from "../src/engine/graph/select.ts";
import { checkResourceTypes, RESOURCE_TYPES } from "./resource_types.ts";

/** The resource type dbt's `ls` lists only when asked (`--resource-type analysis` or `all`). */
const NOT_DEFAULT = "analysis";

/** The `ls` command. */
export function lsCommand(): Command {
  const cmd = withVars(withWidthOptions(new Command("ls")))
    .description(
      "List nodes (models, seeds, snapshots, tests, sources, exposures; analyses when asked) with type, layer and materialization",
    )
    .option(
      "-s, --select <selector...>",
      "nodes to include (name, layer.name, +name, name+, @name, tag:x, path:dir, source:x, config.materialized:table …)",
    )
    .option("--exclude <selector...>", "nodes to leave out")
    .option(
      "--resource-type <type...>",
      `only nodes of these resource types (${
        RESOURCE_TYPES.join(", ")
      }; default: all but analysis, as in dbt; all: every one); repeatable`,
    )
    .option(
      "--exclude-resource-type <type...>",
      "leave out the nodes of these resource types (after --resource-type, as in dbt); repeatable",
    )
    .option(
      "--output <format>",
      "dbt's forms, one node a line: selector, name, path, or json (see --output-keys)",
    )
    .option(
      "--output-keys <key...>",
      "with --output json: the keys to print (name resource_type config.materialized …)",
    )
    .option("--selector <name>", "a selection named in the project's selectors.yml");
  return withIndirectSelection(cmd)
    .option(
      "--state <dir>",
      "an earlier run's target/ folder, for state:, result: and source_status:",
    )
    .action(
      async (
        opts:
          & {
            select?: string[];
            exclude?: string[];
            selector?: string;
            indirectSelection?: IndirectSelection;
            state?: string;
            resourceType?: string[];
            excludeResourceType?: string[];
            output?: string;
            outputKeys?: string[];
            vars?: string[];
          }
          & WidthOptions,
        self: Command,
      ) => {
        const { inspectProject } = await load<typeof import("../src/engine/run/run_project.ts")>(
          "../src/engine/run/run_project.ts",
        );
        const { selectNodes } = await load<typeof import("../src/engine/graph/select.ts")>(
          "../src/engine/graph/select.ts",
        );
        const { nodePath, nodeTags, resourceType } = await load<
          typeof import("../src/engine/graph/select_methods.ts")
        >("../src/engine/graph/select_methods.ts");
        const { UsageError } = await load<typeof import("../src/engine/errors.ts")>(
          "../src/engine/errors.ts",
        );
        const { closest } = await load<typeof import("../src/engine/suggest.ts")>(
          "../src/engine/suggest.ts",
        );
        const types = new Set(checkResourceTypes(opts.resourceType, "--resource-type") ?? []);
        const excluded = new Set(
          checkResourceTypes(opts.excludeResourceType, "--exclude-resource-type") ?? [],
        );
        const { dbtList, LIST_OUTPUTS } = await load<
          typeof import("../src/engine/artifacts/dbt_list.ts")
        >("../src/engine/artifacts/dbt_list.ts");
        const output = opts.output as typeof LIST_OUTPUTS[number] | undefined;
        if (output !== undefined && !LIST_OUTPUTS.includes(output)) {
          const guess = closest(output, LIST_OUTPUTS);
          throw new UsageError(
            `Invalid --output "${output}"${
              guess ? ` (did you mean "${guess}"?)` : ""
            }: dbt's forms are ${
              LIST_OUTPUTS.join(", ")
            } (one node a line); without --output, wharf prints its table (--json: as JSON rows)`,
          );
        }
        const keys = (opts.outputKeys ?? []).flatMap((k) => k.split(/[\s,]+/)).filter((k) =>
          k !== ""
        );
        if (opts.outputKeys !== undefined && output !== "json") {
          throw new UsageError(
            "--output-keys chooses the keys of --output json: add --output json",
          );
        }
        const every = types.has("all");
        // dbt's default: every resource type but analyses; then the excluded ones are left out.
        const among = (set: ReadonlySet<string>, type: string) =>
          set.has("all") || set.has(type) || (set.has("default") && type !== NOT_DEFAULT);
        const listed = (type: string) =>
          (among(types, type) || (types.size === 0 && type !== NOT_DEFAULT)) &&
          !among(excluded, type);
        const { isSnapshot } = await load<typeof import("../src/engine/materializations/index.ts")>(
          "../src/engine/materializations/index.ts",
        );
        const width = cellWidth(opts, Deno.stdout.isTerminal());
        const config = await compilingConfig(self, opts.vars);
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
          indirectSelection: opts.indirectSelection,
          selectors: cp.selectors,
          project: cp.project,
          state: state && await selectionState(cp, manifest, state, config.paths.target),
        };
        const ids = selectNodes(cp.graph, selection).filter((id) =>
          listed(resourceType(cp.graph.nodes.get(id)!))
        );
        const rows = ids.map((id) => {
          const n = cp.graph.nodes.get(id)!;
          const compiled = cp.compiled.get(id);
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
            // What builds it (a model with row checks is a table), as compiled.
            materialized: compiled?.kind === "model"
              ? compiled.materialized
              : n.kind === "seed"
              ? "seed" // dbt's name, which config.materialized: selects (a seed is loaded as a table)
              : "",
            tags: nodeTags(n),
            path: nodePath(n) ?? "",
            depends_on: cp.graph.parents.get(id) ?? [],
          };
        });
        if (output !== undefined) {
          // dbt's forms, from the manifest's entries (their names, fqns, unique ids), as dbt prints them.
          const { sourceNameIds, uniqueIds } = await load<
            typeof import("../src/engine/artifacts/dbt_manifest.ts")
          >("../src/engine/artifacts/dbt_manifest.ts");
          const uid = uniqueIds(cp);
          const named = sourceNameIds(cp);
          const uids = ids.flatMap((id) => named.get(id) ?? [uid.get(id)!]);
          const lines = dbtList(manifest, uids, output, { keys });
          if (lines.length) console.log(lines.join("\n"));
        } else if (globals(self).json) console.log(JSON.stringify(rows, null, 2));
        else if (rows.length === 0) {
          // On stdout, as the table would be; stderr has any warning about the selection.
          console.log(
            opts.select?.length || opts.exclude?.length || opts.selector
              ? "No node matches the selection."
              : (types.size === 0 || every) && excluded.size === 0
              ? "The project has no node."
              : `The project has no node of the resource types asked (${
                [
                  ...types.size ? [...types] : ["default"],
                  ...[...excluded].map((t) => `not ${t}`),
                ].join(", ")
              }).`,
          );
        } else {
          console.log(
            await table(
              ["id", "type", "layer", "materialized", "tags", "path"],
              rows.map((r) => ({ ...r, tags: r.tags.join(",") })),
              width,
            ),
          );
        }
      },
    );
}
