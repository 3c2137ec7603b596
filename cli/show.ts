/**
 * `wharf show <model>`: preview a model's rows as a table.
 *
 * @module
 */
import { Command } from "commander";
import { globals, whenMissing } from "./context.ts";
import { cellWidth, table, type WidthOptions, withWidthOptions } from "./output.ts";
import { load } from "./load.ts";
import { compilingConfig, withVars } from "./run_nodes.ts";

/** The `show` command. */
export function showCommand(): Command {
  return withVars(withWidthOptions(new Command("show")))
    .description(
      "Preview the rows a model returns (runs its compiled SELECT against the warehouse)",
    )
    .argument("[node]", "a model or seed: name or layer.name")
    .option("-n, --limit <n>", "rows to show", "10")
    .option("-s, --select <node>", "the node, as dbt show --select names it (one node)")
    .option(
      "--inline <sql>",
      "preview this SQL instead of a node (Jinja rendered in a dbt project: ref(), source(), var())",
    )
    .action(async (
      node: string | undefined,
      opts: { limit: string; vars?: string[]; inline?: string; select?: string } & WidthOptions,
      self: Command,
    ) => {
      const { UsageError } = await import("../src/engine/errors.ts");
      if (node !== undefined && opts.select !== undefined) {
        throw new UsageError(
          `show takes its node once: "${node}" and --select ${opts.select} were given`,
        );
      }
      const name = node ?? opts.select;
      if ((name === undefined) === (opts.inline === undefined)) {
        throw new UsageError(
          name === undefined
            ? 'show needs a node (show orders) or --inline SQL (show --inline "select …")'
            : `show takes a node or --inline SQL, not both: "${name}" and --inline were given`,
        );
      }
      const { previewNode } = await load<typeof import("../src/engine/run/preview.ts")>(
        "../src/engine/run/preview.ts",
      );
      const width = cellWidth(opts, Deno.stdout.isTerminal());
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 0) {
        throw new UsageError(`Invalid --limit "${opts.limit}": expected a whole number`);
      }
      const config = await compilingConfig(self, opts.vars);
      const { id, result } = await previewNode(config, name, {
        db: config.db,
        limit,
        whenMissing: whenMissing(config),
        ...(opts.inline === undefined ? {} : { inline: opts.inline }),
      });
      if (globals(self).json) {
        console.log(
          JSON.stringify(
            { id, columns: result.columns, types: result.types, rows: result.rows },
            null,
            2,
          ),
        );
        return;
      }
      console.log(await table(result.columns, result.rows, width));
      console.log(
        `${result.rows.length} row${result.rows.length === 1 ? "" : "s"} of ${id} (limit ${limit})`,
      );
    });
}
