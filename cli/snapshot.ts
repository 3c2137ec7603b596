/**
 * `wharf snapshot`: take the project's snapshots (slowly changing
 * dimensions, type 2) in dependency order, each in one transaction.
 *
 * @module
 */
import { Command } from "commander";
import { runNodes, type RunNodesOptions, withSelection } from "./run_nodes.ts";

/** The `snapshot` command. */
export function snapshotCommand(): Command {
  const cmd = new Command("snapshot").description(
    "Take the snapshots of snapshots/: record each changed row as a new version (dbt_valid_from/dbt_valid_to), each snapshot in one transaction",
  );
  withSelection(cmd, false)
    .option("--threads <n>", "snapshots taken at the same time (default: the config's threads, 4)")
    .option(
      "--empty",
      "check each snapshot's SQL on no row: a new snapshot is created empty, a taken one keeps its history",
    );
  return cmd.action((opts: RunNodesOptions, self: Command) => runNodes("snapshot", self, opts));
}
