/**
 * `wharf test`: run data tests; failing rows are stored in the wharf_failures schema.
 *
 * @module
 */
import type { Command } from "commander";
import { nodeCommand } from "./run_nodes.ts";

/** The `test` command. */
export function testCommand(): Command {
  return nodeCommand(
    "test",
    "Run data tests; failing rows are stored in the wharf_failures schema",
  );
}
