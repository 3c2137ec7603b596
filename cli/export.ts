/**
 * `wharf export npi-by-state <dir>`: CSV files per practice state.
 *
 * @module
 */
import { Command } from "commander";
import { resolve } from "node:path";
import { globals, projectConfig, userCwd } from "./context.ts";
import { load } from "./load.ts";

/** The `export` command (with its `npi-by-state` subcommand). */
export function exportCommand(): Command {
  const cmd = new Command("export").description("Export data out of the warehouse");
  cmd.addCommand(
    new Command("npi-by-state")
      .description(
        "One CSV per practice state of the enriched NPIs, plus None (no practice location) and Failed",
      )
      .argument("<dir>", "folder to write into")
      .action(async (dir: string, _opts: unknown, self: Command) => {
        const { exportNpiByState } = await load<typeof import("../src/enrich/export_npi.ts")>(
          "../src/enrich/export_npi.ts",
        );
        const config = await projectConfig(self);
        const target = resolve(userCwd(), dir);
        const summary = await exportNpiByState(config, target, { db: config.db });
        if (globals(self).json) console.log(JSON.stringify(summary, null, 2));
        else {
          console.log(`Wrote ${Object.keys(summary).length} files to ${target}:`);
          console.log(
            Object.entries(summary).map(([f, n]) => `  ${f}: ${n} row${n === 1 ? "" : "s"}`).join(
              "\n",
            ),
          );
          const enriched = Object.entries(summary)
            .filter(([f]) => f !== "Failed.csv")
            .reduce((n, [, rows]) => n + rows, 0);
          if (enriched === 0) {
            console.error(
              `warning: no NPI is enriched yet${
                summary["Failed.csv"] ? ` (Failed.csv says why for ${summary["Failed.csv"]})` : ""
              }: run \`wharf enrich npi <list>\` first`,
            );
          }
        }
      }),
  );
  return cmd;
}
