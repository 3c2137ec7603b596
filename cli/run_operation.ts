/**
 * `wharf run-operation <macro> [--args '<yaml>']`: dbt's run-operation, a
 * macro of a dbt project called against the warehouse.
 *
 * @module
 */
import { Command } from "commander";
import { UsageError } from "../src/engine/errors.ts";
import { globals, projectConfig } from "./context.ts";
import { load } from "./load.ts";
import { parseVars, withVars } from "./run_nodes.ts";

/**
 * The macro's arguments `--args` gives: a YAML mapping (`'{days: 7}'`).
 *
 * @throws {UsageError} for text that is not YAML, or not a mapping.
 */
export async function parseOperationArgs(text: string): Promise<Record<string, unknown>> {
  const { parse: parseYaml } = await load<typeof import("../src/engine/yaml.ts")>(
    "../src/engine/yaml.ts",
  );
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new UsageError(
      `Invalid --args '${text}': not YAML (${
        err instanceof Error ? err.message.split("\n")[0] : String(err)
      }); write a mapping of the macro's arguments, '{name: value}'`,
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new UsageError(
      `Invalid --args '${text}': expected a mapping of the macro's arguments, '{name: value}'`,
    );
  }
  return data as Record<string, unknown>;
}

/** The `run-operation` command. */
export function runOperationCommand(): Command {
  return withVars(new Command("run-operation"))
    .description(
      "dbt projects: call a macro (the project's, or package.macro) against the warehouse; the queries it runs (run_query, statement) run, what it renders does not; prints its log(…, info=True); exit 1 when it fails",
    )
    .argument("<macro>", "the macro: name, or package.name")
    .option(
      "--args <yaml>",
      "the macro's arguments, a YAML mapping: '{days: 7, schema: analytics}'",
    )
    .action(async (macro: string, opts: { args?: string; vars?: string[] }, self: Command) => {
      const args = opts.args === undefined ? {} : await parseOperationArgs(opts.args);
      const config = await projectConfig(self, { compiles: true });
      const { runOperation } = await load<typeof import("../src/engine/run/run_operation.ts")>(
        "../src/engine/run/run_operation.ts",
      );
      const summary = await runOperation(config, macro, {
        db: config.db,
        args,
        vars: await parseVars(opts.vars ?? []),
      });
      if (globals(self).json) {
        console.log(JSON.stringify(summary, null, 2));
        return;
      }
      // As dbt's: what the macro logs is the command's output; its warnings go to stderr.
      const { logs } = await load<typeof import("./output.ts")>("./output.ts");
      for (const s of summary.said) {
        if (s.warning) {
          if (logs("warn")) console.error(`warning: ${s.text}`);
        } else if (logs("info")) console.log(s.text);
      }
    });
}
