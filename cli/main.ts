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
import denoJson from "../deno.json" with { type: "json" };

/**
 * Each command's module, by the command's name, in the order `wharf --help`
 * lists them. A command's module (its options, and what they import) loads
 * when the program is built for it: `wharf build` loads `build.ts` alone.
 */
const COMMANDS: ReadonlyMap<string, () => Promise<Command>> = new Map([
  ["demo", async () => (await load<typeof import("./demo.ts")>("./demo.ts")).demoCommand()],
  ["land", async () => (await load<typeof import("./land.ts")>("./land.ts")).landCommand()],
  ["gen", async () => (await load<typeof import("./gen.ts")>("./gen.ts")).genCommand()],
  ["tic", async () => (await load<typeof import("./tic.ts")>("./tic.ts")).ticCommand()],
  ["enrich", async () => (await load<typeof import("./enrich.ts")>("./enrich.ts")).enrichCommand()],
  ["export", async () => (await load<typeof import("./export.ts")>("./export.ts")).exportCommand()],
  ["docs", async () => (await load<typeof import("./docs.ts")>("./docs.ts")).docsCommand()],
  ["build", async () => (await load<typeof import("./build.ts")>("./build.ts")).buildCommand()],
  ["run", async () => (await load<typeof import("./run.ts")>("./run.ts")).runCommand()],
  ["test", async () => (await load<typeof import("./test.ts")>("./test.ts")).testCommand()],
  ["seed", async () => (await load<typeof import("./seed.ts")>("./seed.ts")).seedCommand()],
  [
    "snapshot",
    async () => (await load<typeof import("./snapshot.ts")>("./snapshot.ts")).snapshotCommand(),
  ],
  ["retry", async () => (await load<typeof import("./retry.ts")>("./retry.ts")).retryCommand()],
  [
    "run-operation",
    async () =>
      (await load<typeof import("./run_operation.ts")>("./run_operation.ts")).runOperationCommand(),
  ],
  ["ls", async () => (await load<typeof import("./ls.ts")>("./ls.ts")).lsCommand()],
  [
    "compile",
    async () => (await load<typeof import("./compile.ts")>("./compile.ts")).compileCommand(),
  ],
  ["show", async () => (await load<typeof import("./show.ts")>("./show.ts")).showCommand()],
  ["source", async () => (await load<typeof import("./source.ts")>("./source.ts")).sourceCommand()],
  ["debug", async () => (await load<typeof import("./debug.ts")>("./debug.ts")).debugCommand()],
  ["deps", async () => (await load<typeof import("./deps.ts")>("./deps.ts")).depsCommand()],
  ["sql", async () => (await load<typeof import("./sql.ts")>("./sql.ts")).sqlCommand()],
  ["serve", async () => (await load<typeof import("./serve.ts")>("./serve.ts")).serveCommand()],
]);

/**
 * The command `args` run: their first operand, when every word before it is
 * an option of wharf itself that commander reads as such (`--db x`,
 * `--db=x`, a flag). Undefined otherwise (an unknown option, a group of
 * short ones …): commander then reads the words with every command there.
 */
function commandOf(program: Command, args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.length < 2 || !arg.startsWith("-")) return arg;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const option = program.options.find((o) => o.short === flag || o.long === flag);
    if (!option || option.optional || option.variadic || (eq > 0 && !option.required)) {
      return undefined;
    }
    if (option.required && eq < 0) i++;
  }
  return undefined;
}

/**
 * Builds the program for `args`: with the command they run registered, or
 * every command when they name none of them (`--help`, an unknown command).
 */
export async function createProgram(args: readonly string[]): Promise<Command> {
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
  const only = COMMANDS.get(commandOf(program, args) ?? "");
  for (const cmd of await Promise.all(only ? [only()] : [...COMMANDS.values()].map((c) => c()))) {
    program.addCommand(cmd);
  }
  // Usage errors anywhere (subcommands of subcommands too) reach main() as exit code 2; every
  // command's --help lists the options of wharf itself (--project, --db, --target …) as well.
  const override = (c: Command) => {
    c.exitOverride().showHelpAfterError("(run with --help for usage)")
      .configureHelp({ ...c.configureHelp(), showGlobalOptions: true });
    withOptionHint(c);
    if (c.commands.length) {
      c.on("command:*", (operands: string[]) => c.error(unknownCommand(c, operands[0]!)));
    }
    c.commands.forEach(override);
  };
  withOptionHint(program);
  program.commands.forEach(override);
  return program;
}

/**
 * Makes `cmd` name its options when given one it does not take. Commander
 * calls a command's `unknownOption` for such a flag (no wharf command allows
 * unknown options) and only suggests one that is close.
 */
function withOptionHint(cmd: Command): void {
  const hooked = cmd as Command & { unknownOption(flag: string): void };
  hooked.unknownOption = (flag) =>
    cmd.error(unknownOption(cmd, flag), { code: "commander.unknownOption" });
}

/**
 * The error for `flag`, an option neither `cmd` nor the commands above it
 * take: the closest of theirs, or else the options each takes.
 */
function unknownOption(cmd: Command, flag: string): string {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.push(c);
  const pathOf = (c: Command) =>
    chain.slice(chain.indexOf(c)).reverse().map((p) => p.name()).join(" ");
  const longs = (c: Command) => c.options.flatMap((o) => o.hidden || !o.long ? [] : [o.long]);
  const guess = flag.startsWith("--") ? closest(flag, chain.flatMap(longs)) : undefined;
  const head = `error: unknown option '${flag}' for '${pathOf(cmd)}'`;
  if (guess) return `${head} (did you mean '${guess}'?)`;
  const taken = chain.filter((c) => longs(c).length).map((c) =>
    `${c === cmd ? "its options are" : `'${pathOf(c)}' takes`} ${longs(c).join(", ")}`
  );
  return `${head}; ${taken.join("; ") || "it takes no options"}`;
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
 * const own = ["--db", "w.duckdb", "build", "--vars", "a=1"];
 * assert.equal(optionBeforeCommand(await createProgram(own), own), undefined);
 * const before = ["--vars", "a=1", "build"];
 * assert.match(
 *   optionBeforeCommand(await createProgram(before), before)!,
 *   /^--vars is an option of build, .*run.*: put it after the command \(wharf build --vars …\)$/,
 * );
 * ```
 */
export function optionBeforeCommand(program: Command, args: readonly string[]): string | undefined {
  const flagOf = (arg: string) => arg.startsWith("--") ? arg.split("=")[0]! : arg.slice(0, 2);
  // A hidden option is one a command refuses with its own reason (retry's build options).
  const has = (c: Command, flag: string) =>
    c.options.some((o) => !o.hidden && (o.long === flag || o.short === flag));
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
  const program = await createProgram(args);
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
