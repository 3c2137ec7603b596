/**
 * `wharf build`: build seeds, models and their tests in dependency order (a model whose upstream failed is skipped).
 *
 * @module
 */
import type { Command } from "commander";
import { nodeCommand } from "./run_nodes.ts";

/** The `build` command. */
export function buildCommand(): Command {
  return nodeCommand(
    "build",
    "Build seeds, models and their tests in dependency order (a model whose upstream failed is skipped)",
  );
}
