/**
 * `wharf sql`: SQL on the warehouse with nothing else installed. A query as
 * an argument, a file (`-f`), SQL on stdin, or, on a terminal with none of
 * these, an interactive shell.
 *
 * @module
 */
import { Command } from "commander";
import { dirname, join, resolve } from "node:path";
import { globals, projectConfig, userCwd, whenMissing } from "./context.ts";
import { cellWidth, type WidthOptions, withWidthOptions } from "./output.ts";
import { load } from "./load.ts";

/** Options of the `sql` command, as parsed. */
interface SqlOptions extends WidthOptions {
  file?: string;
  format?: string;
  output?: string;
  write?: boolean;
}

/** The `sql` command. */
export function sqlCommand(): Command {
  return withWidthOptions(new Command("sql"))
    .description(
      "Run SQL on the warehouse (read-only unless --write): a query, -f FILE, stdin, or an interactive shell",
    )
    .argument("[query]", "SQL to run (several statements run in order)")
    .option("-f, --file <path>", "read the SQL from a file (- for stdin)")
    .option("--format <format>", "table, line, markdown, csv, json or ndjson (default: table)")
    .option("-o, --output <file>", "write the results to a file instead of stdout")
    .option(
      "--write",
      "open the warehouse for writing (allows CREATE, INSERT, UPDATE, DELETE …), creating it if it does not exist yet",
    )
    .addHelpText(
      "after",
      `
Examples:
  deno task wharf sql "select status, count(*) from marts.members group by status"
  deno task wharf sql -f analysis.sql --format csv --output result.csv
  echo "select * from marts.member_claims limit 5" | deno task wharf sql --format json
  deno task wharf sql            (on a terminal: the shell; .help lists its commands)`,
    )
    .action(async (query: string | undefined, opts: SqlOptions, self: Command) => {
      const { UsageError } = await import("../src/engine/errors.ts");
      const { OUTPUT_FORMATS } = await load<typeof import("../src/sql/write_result.ts")>(
        "../src/sql/write_result.ts",
      );
      const g = globals(self);
      const format = OUTPUT_FORMATS.find((f) => f === (opts.format ?? (g.json ? "json" : "table")));
      if (!format) {
        throw new UsageError(
          `Invalid --format "${opts.format}": use one of ${OUTPUT_FORMATS.join(", ")}`,
        );
      }
      if (query !== undefined && opts.file !== undefined) {
        throw new UsageError("Give the SQL either as an argument or with -f, not both");
      }
      const shell = query === undefined && opts.file === undefined && Deno.stdin.isTerminal();
      if (shell && opts.output !== undefined) {
        throw new UsageError("--output needs SQL to run: a query, -f FILE or SQL on stdin");
      }
      const sql = shell ? "" : await readSql(query, opts.file);
      const output = opts.output === undefined ? undefined : resolve(userCwd(), opts.output);
      if (output !== undefined) await checkOutput(output);
      // Values are cut for people on a terminal only, never for scripts or files.
      const cutAt = cellWidth(opts, output === undefined && Deno.stdout.isTerminal());

      const config = await projectConfig(self);
      const { openWarehouse } = await load<typeof import("../src/engine/db/warehouse.ts")>(
        "../src/engine/db/warehouse.ts",
      );
      const { warehouseTarget } = await load<typeof import("../src/engine/db/target.ts")>(
        "../src/engine/db/target.ts",
      );
      // --write is the intent to change the warehouse: one that does not exist yet is created
      // (as `wharf build` would create it), and the user is told so.
      const present = await warehouseTarget(config.db).prepare();
      const wh = await openWarehouse(config.db, {
        readOnly: !opts.write,
        mustExist: !opts.write,
        whenMissing: whenMissing(config),
        holder: opts.write ? "wharf sql --write" : "wharf sql",
        attach: config.attach,
      });
      if (!present) {
        console.error(`Created the warehouse ${config.db}: it did not exist yet.`);
      }
      try {
        if (shell) {
          const { sqlShell } = await load<typeof import("../src/sql/sql_shell.ts")>(
            "../src/sql/sql_shell.ts",
          );
          await wh.withConnection((session) =>
            sqlShell({
              session,
              historyFile: join(config.root, ".wharf", "sql_history"),
              format,
              maxWidth: cutAt,
              readOnly: !opts.write,
              banner: `wharf sql on ${config.db} (${
                opts.write ? "read-write" : "read-only: --write to change it"
              })\nStatements end with ";". .help lists the commands, .quit leaves.\n`,
            })
          );
          return;
        }
        await runBatch(wh, sql, { format, output, cutAt, readOnly: !opts.write });
      } finally {
        wh.close();
      }
    });
}

/** The SQL of a non-interactive run: the argument, the file, or stdin. */
async function readSql(query: string | undefined, file: string | undefined): Promise<string> {
  const { UsageError } = await import("../src/engine/errors.ts");
  if (query !== undefined) return query;
  if (file !== undefined && file !== "-") {
    try {
      return await Deno.readTextFile(resolve(userCwd(), file));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new UsageError(`SQL file "${file}" does not exist`);
      }
      throw err;
    }
  }
  return await new Response(Deno.stdin.readable).text();
}

/** Refuses an `--output` that names a folder, or a file in a folder that does not exist. */
async function checkOutput(output: string): Promise<void> {
  const { UsageError } = await import("../src/engine/errors.ts");
  const kind = async (path: string) => {
    try {
      return (await Deno.stat(path)).isDirectory ? "folder" : "file";
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return "missing";
      throw err;
    }
  };
  if (await kind(output) === "folder") {
    throw new UsageError(`Cannot write --output "${output}": it is a folder (name a file in it)`);
  }
  if (await kind(dirname(output)) !== "folder") {
    throw new UsageError(
      `Cannot write --output "${output}": folder "${dirname(output)}" does not exist`,
    );
  }
}

/** Runs `sql` and writes its results to stdout or, on success only, to `output`. */
async function runBatch(
  wh: import("../src/engine/db/warehouse.ts").Warehouse,
  sql: string,
  options: {
    format: import("../src/sql/write_result.ts").OutputFormat;
    output?: string;
    cutAt?: number;
    readOnly: boolean;
  },
): Promise<void> {
  const { runSql } = await load<typeof import("../src/sql/run_sql.ts")>("../src/sql/run_sql.ts");
  const { UsageError } = await import("../src/engine/errors.ts");
  // The shell's dot commands are not SQL: piped or read from a file, say what to write instead.
  const dot = /^[ \t]*(\.(?:tables|schema|mode|help|quit|exit)\b)/m.exec(sql)?.[1];
  if (dot !== undefined) {
    throw new UsageError(
      `${dot} is a command of wharf sql's interactive shell (on a terminal), not SQL: piped or from a file, write SQL instead (SHOW ALL TABLES; DESCRIBE <relation>; --format for the output)`,
    );
  }
  // A file is written beside its final name and renamed once every statement succeeded.
  const partial = options.output === undefined ? undefined : `${options.output}.${Deno.pid}.tmp`;
  const file = partial === undefined
    ? undefined
    : await Deno.open(partial, { write: true, create: true, truncate: true });
  const target = file ?? Deno.stdout;
  const encoder = new TextEncoder();
  const write = async (text: string) => {
    const bytes = encoder.encode(text);
    for (let n = 0; n < bytes.length;) n += await target.write(bytes.subarray(n));
  };
  let summary;
  try {
    summary = await runSql(wh, sql, {
      format: options.format,
      write,
      maxWidth: options.cutAt,
      readOnly: options.readOnly,
    });
    if (summary.statements === 0) {
      throw new UsageError("No SQL to run: the input holds no statement");
    }
  } catch (err) {
    file?.close();
    if (partial !== undefined) await Deno.remove(partial);
    // A reader that went away (`| head`) has all it wanted.
    if (err instanceof Deno.errors.BrokenPipe) return;
    throw err;
  }
  if (file && partial !== undefined) {
    file.close();
    await Deno.rename(partial, options.output!);
    console.error(`Wrote ${summary.rows} row${summary.rows === 1 ? "" : "s"} to ${options.output}`);
  }
  if (summary.cut) {
    console.error(
      `(values wider than ${options.cutAt} columns were cut, ending in …: --wide shows them whole)`,
    );
  }
}
