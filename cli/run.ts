/**
 * `wharf run`: build models only, in dependency order.
 *
 * @module
 */
import type { Command } from "commander";
import { nodeCommand } from "./run_nodes.ts";

/** The `run` command. */
export function runCommand(): Command {
  return nodeCommand("run", "Build models only, in dependency order");
}
