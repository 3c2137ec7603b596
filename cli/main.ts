/**
 * The wharf command line: `deno task wharf <command> [options]`.
 *
 * Parses arguments (commander), dispatches to one command per file, and is
 * the one error boundary: a {@linkcode WharfError} prints `error: …` and exits
 * with its code (1 failure, 2 usage or configuration); anything else is a bug
 * and prints its stack. `--debug` shows stacks for every error.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { collect } from "./context.ts";
import { load } from "./load.ts";
import { closest } from "../src/engine/suggest.ts";
import { buildCommand } from "./build.ts";
import { compileCommand } from "./compile.ts";
import { debugCommand } from "./debug.ts";
import { demoCommand } from "./demo.ts";
import { depsCommand } from "./deps.ts";
import { docsCommand } from "./docs.ts";
import { enrichCommand } from "./enrich.ts";
import { exportCommand } from "./export.ts";
import { genCommand } from "./gen.ts";
import { landCommand } from "./land.ts";
import { lsCommand } from "./ls.ts";
import { retryCommand } from "./retry.ts";
import { runCommand } from "./run.ts";
import { runOperationCommand } from "./run_operation.ts";
import { seedCommand } from "./seed.ts";
import { serveCommand } from "./serve.ts";
import { showCommand } from "./show.ts";
import { snapshotCommand } from "./snapshot.ts";
import { sourceCommand } from "./source.ts";
import { sqlCommand } from "./sql.ts";
import { testCommand } from "./test.ts";
import { ticCommand } from "./tic.ts";
import denoJson from "../deno.json" with { type: "json" };

/** Builds the program with every command registered. */
export function createProgram(): Command {
  const program = new Command("wharf")
    .description("Land raw healthcare files in DuckDB, model them with plain SQL, serve them.")
    .version(denoJson.version, "-V, --version")
    .option("-p, --project <dir>", "project folder (holds models/ and wharf.config.ts)", ".")
    .option("--project-dir <dir>", "dbt's name for --project")
    .option(
      "--db <file>",
      "warehouse file, or md:<database> (default: the project's configured warehouse.duckdb)",
    )
    .option(
      "--attach <name=file>",
      "attach another file under an attached database's name, for this command (repeatable)",
      collect,
    )
    .option("--json", "print a machine-readable result on stdout")
    .option("--debug", "show stack traces")
    .option("--profiles-dir <dir>", "dbt projects: the folder holding profiles.yml")
    .option("-t, --target <name>", "dbt projects: the profile's target to run against")
    .option(
      "--target-path <dir>",
      "write target/'s files (compiled SQL, manifest, run results, docs) here instead (relative to the project, as dbt's)",
    )
    .option(
      "--warn-error",
      "dbt's: what would warn fails instead (a test whose failures meet warn_if fails, and the command exits 1)",
    )
    .option(
      "--partial-parse",
      "read target/'s parse cache (the default; dbt's, where partial_parse: false turns it off)",
    )
    .option(
      "--no-partial-parse",
      "parse every file anew instead of reading target/'s parse cache (which is written still, as dbt's)",
    )
    .option(
      "-q, --quiet",
      "print only errors (dbt's --quiet): what a command is asked for (ls, show, compile, sql) is printed still",
    )
    .option(
      "--log-level <level>",
      "dbt's levels: debug (stack traces, as --debug), info (the default), warn (warnings and errors only), error (errors only, as --quiet), none (nothing)",
    )
    .option(
      "--warn-unsupported",
      "leave out what wharf does not support (Python models, grants, metrics, …) with a warning, instead of an error",
    )
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .hook("preAction", async (self) => {
      const { logLevel, quiet } = self.opts<{ logLevel?: string; quiet?: boolean }>();
      if (logLevel === undefined && !quiet) return;
      const { LOG_LEVELS, setLogLevel } = await load<typeof import("./output.ts")>("./output.ts");
      const { UsageError } = await import("../src/engine/errors.ts");
      const level = logLevel ?? "error";
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        throw new UsageError(
          `Invalid --log-level "${level}": dbt's levels are ${LOG_LEVELS.join(", ")}`,
        );
      }
      if (quiet && level !== "error") {
        throw new UsageError(
          `--quiet prints errors only (--log-level error): leave it out, or --log-level ${level}`,
        );
      }
      setLogLevel(level as typeof LOG_LEVELS[number]);
    });
  for (
    const cmd of [
      demoCommand(),
      landCommand(),
      genCommand(),
      ticCommand(),
      enrichCommand(),
      exportCommand(),
      docsCommand(),
      buildCommand(),
      runCommand(),
      testCommand(),
      seedCommand(),
      snapshotCommand(),
      retryCommand(),
      runOperationCommand(),
      lsCommand(),
      compileCommand(),
      showCommand(),
      sourceCommand(),
      debugCommand(),
      depsCommand(),
      sqlCommand(),
      serveCommand(),
    ]
  ) {
    program.addCommand(cmd);
  }
  // Usage errors anywhere (subcommands of subcommands too) reach main() as exit code 2; every
  // command's --help lists the options of wharf itself (--project, --db, --target …) as well.
  const override = (c: Command) => {
    c.exitOverride().showHelpAfterError("(run with --help for usage)")
      .configureHelp({ ...c.configureHelp(), showGlobalOptions: true });
    if (c.commands.length) {
      c.on("command:*", (operands: string[]) => c.error(unknownCommand(c, operands[0]!)));
    }
    c.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

/** dbt's commands that are another wharf command: `wharf docs serve` is `wharf serve`. */
const DBT_COMMANDS: Record<string, string> = {
  "docs serve": "wharf serve serves the docs at /docs (and the API)",
  "source snapshot-freshness": "it is `wharf source freshness` (dbt's newer name)",
};

/**
 * The error for `name`, not a command of `parent`: its commands, the closest
 * one, or what wharf calls a command of dbt's.
 */
function unknownCommand(parent: Command, name: string): string {
  const path = [];
  for (let c: Command | null = parent; c; c = c.parent) path.unshift(c.name());
  const names = parent.commands.map((c) => c.name());
  const dbt = DBT_COMMANDS[`${path.slice(1).join(" ")} ${name}`];
  const guess = closest(name, names);
  return `error: unknown command '${name}' for '${path.join(" ")}'${
    dbt ? `: ${dbt}` : guess ? ` (did you mean '${guess}'?)` : ""
  }; its commands are ${names.join(", ")}`;
}

/** The commands under `parent`, with their names as typed (`source freshness`). */
function commandsOf(parent: Command, path: readonly string[] = []): [string, Command][] {
  return parent.commands.flatMap((c) => {
    const names = [...path, c.name()];
    return [[names.join(" "), c] as [string, Command], ...commandsOf(c, names)];
  });
}

/**
 * The error for an option of a command given before any command
 * (`wharf --vars x=1 build`): the commands that take it, and where it goes.
 * Undefined when `args` hold none: wharf's own options, then the command.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createProgram, optionBeforeCommand } from "./main.ts";
 *
 * assert.equal(optionBeforeCommand(createProgram(), ["--db", "w.duckdb", "build", "--vars", "a=1"]), undefined);
 * assert.match(
 *   optionBeforeCommand(createProgram(), ["--vars", "a=1", "build"])!,
 *   /^--vars is an option of build, .*run.*: put it after the command \(wharf build --vars …\)$/,
 * );
 * ```
 */
export function optionBeforeCommand(program: Command, args: readonly string[]): string | undefined {
  const flagOf = (arg: string) => arg.startsWith("--") ? arg.split("=")[0]! : arg.slice(0, 2);
  const has = (c: Command, flag: string) =>
    c.options.some((o) => o.long === flag || o.short === flag);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--" || !arg.startsWith("-") || arg === "-") return undefined;
    const flag = flagOf(arg);
    if (flag === "-h" || flag === "--help") continue;
    const own = program.options.find((o) => o.long === flag || o.short === flag);
    if (own) {
      // Its value is the next argument unless written in it (--db=x, -px).
      if ((own.required || own.optional) && arg === flag) i++;
      continue;
    }
    const takers = commandsOf(program).filter(([, c]) => has(c, flag)).map(([name]) => name)
      .sort();
    if (takers.length === 0) return undefined; // no option of wharf's: commander says so
    const given = args.slice(i + 1).find((a) => takers.some((t) => t.split(" ")[0] === a));
    const example = takers.find((t) => t.split(" ")[0] === given) ?? takers[0]!;
    return `${flag} is an option of ${
      takers.join(", ")
    }: put it after the command (wharf ${example} ${flag} …)`;
  }
  return undefined;
}

/** Runs the CLI with `args` and returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    const misplaced = optionBeforeCommand(program, args);
    if (misplaced !== undefined) {
      const { UsageError } = await import("../src/engine/errors.ts");
      throw new UsageError(misplaced);
    }
    await program.parseAsync([...args], { from: "user" });
    return Number(Deno.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? 0 : 2;
    }
    const { debug: debugFlag, logLevel } = program.opts<{ debug?: boolean; logLevel?: string }>();
    const debug = !!debugFlag || logLevel === "debug";
    const { WharfError } = await import("../src/engine/errors.ts");
    if (err instanceof WharfError) {
      console.error(`error: ${err.message}`);
      if (debug) console.error(err.stack);
      return err.exitCode;
    }
    console.error(`error: unexpected failure (a bug in wharf; please report it with this output):`);
    console.error(err instanceof Error ? err.stack : String(err));
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
