/**
 * `wharf seed`: load the CSV seeds into the seeds schema.
 *
 * @module
 */
import type { Command } from "commander";
import { nodeCommand } from "./run_nodes.ts";

/** The `seed` command. */
export function seedCommand(): Command {
  return nodeCommand("seed", "Load the CSV seeds into the seeds schema");
}
