/**
 * The interactive shell of `wharf sql`: line editing and history (node's
 * readline), statements over several lines until a `;`, and a few dot
 * commands (`.tables`, `.schema`, `.mode`, `.help`, `.quit`). Ctrl-C stops
 * the running query, or drops what is typed; Ctrl-D leaves.
 *
 * @module
 */
import { dirname } from "node:path";
import process from "node:process";
import * as readline from "node:readline";
import { quoteIdent } from "../engine/db/sql.ts";
import type { Session } from "../engine/db/warehouse.ts";
import { WharfError } from "../engine/errors.ts";
import { runSql } from "./run_sql.ts";
import { statementComplete } from "./statement_complete.ts";
import { OUTPUT_FORMATS, type OutputFormat } from "./write_result.ts";

/** Options of {@linkcode sqlShell}. */
export interface SqlShellOptions {
  /** One connection: temporary tables and settings last for the whole session. */
  session: Session;
  /** Where typed lines are kept between sessions (the last 1,000). */
  historyFile: string;
  /** The first `.mode`. */
  format: OutputFormat;
  /** Cut values wider than this many columns. Default: never. */
  maxWidth?: number;
  readOnly: boolean;
  /** Printed first (which warehouse, how to get help). */
  banner: string;
}

const PROMPT = "wharf> ";
const CONTINUE = "  ...> ";
const HISTORY_SIZE = 1000;

const HELP = `Statements end with ";" and may span lines. Commands:
  .tables              tables and views, by schema
  .schema <relation>   columns and types of a table or view (name or schema.name)
  .mode [${OUTPUT_FORMATS.join("|")}]
                       how results are shown (without a value: the current one)
  .help                this text
  .quit                leave (or Ctrl-D); Ctrl-C stops a running query
`;

const TABLES_SQL = `
select case when database_name = 'temp' then 'temp' else schema_name end as schema,
       table_name as name, 'table' as kind
from duckdb_tables() where not internal and database_name in (current_database(), 'temp')
union all
select case when database_name = 'temp' then 'temp' else schema_name end, view_name, 'view'
from duckdb_views() where not internal and database_name in (current_database(), 'temp')
order by 1, 2`;

/**
 * Runs the shell on the process's terminal until `.quit` or Ctrl-D. It
 * needs a terminal, so it has no runnable example here: `wharf sql` is its
 * caller, and tests/sql/shell_test.ts drives it through a pseudo-terminal.
 */
export async function sqlShell(options: SqlShellOptions): Promise<void> {
  const { session } = options;
  let format = options.format;
  const out = (text: string) =>
    new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  const rl = readline.createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    history: await loadHistory(options.historyFile),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
  });
  rl.on("history", (history: string[]) => saveHistory(options.historyFile, history));
  let buffer = "";
  let running = false;
  // Input typed ahead can end (Ctrl-D, a pipe) while a statement still runs: no prompt after that.
  let closed = false;
  rl.on("close", () => (closed = true));
  const prompt = () => {
    if (closed) return;
    rl.setPrompt(buffer ? CONTINUE : PROMPT);
    rl.prompt();
  };
  rl.on("SIGINT", () => {
    if (running) return session.interrupt();
    // Drop what is typed, like other SQL shells; on an empty prompt, say how to leave.
    const typed = buffer || rl.line;
    rl.write(null, { ctrl: true, name: "e" });
    rl.write(null, { ctrl: true, name: "u" });
    process.stdout.write(typed ? "^C\n" : "^C (.quit or Ctrl-D to leave)\n");
    buffer = "";
    prompt();
  });
  const run = async (sql: string) => {
    running = true;
    try {
      await runSql(session, sql, {
        format,
        write: out,
        maxWidth: options.maxWidth,
        readOnly: options.readOnly,
      });
    } finally {
      running = false;
    }
  };
  const command = async (line: string): Promise<"quit" | void> => {
    const [name, ...args] = line.split(/\s+/);
    switch (name) {
      case ".quit":
      case ".exit":
        return "quit";
      case ".help":
        return void await out(HELP);
      case ".tables":
        return await run(TABLES_SQL);
      case ".schema": {
        if (args.length !== 1) {
          throw new WharfError(`Usage: .schema <relation> (e.g. .schema marts.members)`);
        }
        return await run(await describeSql(session, args[0]!));
      }
      case ".mode": {
        if (args.length === 0) return void await out(`${format}\n`);
        const mode = OUTPUT_FORMATS.find((f) => f === args[0]);
        if (!mode || args.length > 1) {
          throw new WharfError(
            `Unknown mode "${args.join(" ")}": use one of ${OUTPUT_FORMATS.join(", ")}`,
          );
        }
        format = mode;
        return;
      }
      default:
        throw new WharfError(`Unknown command "${name}": .help lists the commands`);
    }
  };
  await out(options.banner);
  prompt();
  let quit = false;
  for await (const line of rl) {
    try {
      if (!buffer && line.trim().startsWith(".")) {
        quit = await command(line.trim()) === "quit";
        if (quit) break;
      } else if (buffer || line.trim()) {
        buffer = buffer ? `${buffer}\n${line}` : line;
        if (statementComplete(buffer)) {
          const sql = buffer;
          buffer = "";
          await run(sql);
        }
      }
    } catch (err) {
      if (!(err instanceof WharfError)) throw err;
      process.stderr.write(`error: ${err.message}\n`);
    }
    prompt();
  }
  // Ctrl-D leaves the cursor after the prompt.
  if (!quit) await out("\n");
  rl.close();
}

/** `describe` of the one table or view `name` (or `schema.name`) means. */
async function describeSql(session: Session, name: string): Promise<string> {
  const parts =
    name.match(/"(?:[^"]|"")*"|[^.]+/g)?.map((p) =>
      p.startsWith('"') ? p.slice(1, -1).replaceAll('""', '"') : p
    ) ?? [];
  if (parts.length < 1 || parts.length > 2) {
    throw new WharfError(`Cannot read relation "${name}": expected name or schema.name`);
  }
  const [schema, relation] = parts.length === 2 ? parts : [undefined, parts[0]];
  const found = await session.query(
    `select * from (${TABLES_SQL}) where lower(name) = lower($1) and ($2 is null or lower(schema) = lower($2))`,
    [relation!, schema ?? null],
  );
  if (found.length === 0) {
    throw new WharfError(`No table or view "${name}": .tables lists them`);
  }
  if (found.length > 1) {
    throw new WharfError(
      `"${name}" is ambiguous: ${
        found.map((r) => `${r.schema}.${r.name}`).join(", ")
      } (name the schema)`,
    );
  }
  const r = found[0]!;
  const target = r.schema === "temp"
    ? `temp.${quoteIdent(String(r.name))}`
    : `${quoteIdent(String(r.schema))}.${quoteIdent(String(r.name))}`;
  return `select column_name as "column", column_type as "type", "null" as nullable from (describe ${target})`;
}

async function loadHistory(file: string): Promise<string[]> {
  try {
    const lines = (await Deno.readTextFile(file)).split("\n").filter((l) => l.trim());
    return lines.reverse().slice(0, HISTORY_SIZE);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

function saveHistory(file: string, history: readonly string[]): void {
  try {
    Deno.mkdirSync(dirname(file), { recursive: true });
    Deno.writeTextFileSync(file, [...history].reverse().join("\n") + "\n");
  } catch (err) {
    process.stderr.write(`warning: cannot keep the history in ${file}: ${err}\n`);
  }
}
