/**
 * What every dbt template sees besides its node and `modules` (a global of
 * the environment, `dbt_jinja.ts`): `target`, `dbt_version`, `var`, `env_var`, `log`,
 * `exceptions`, `run_started_at`,
 * `invocation_id`, `adapter.quote`, `tojson`/`fromjson`, `flags`, the hook
 * helpers `before_begin`/`after_commit`/`in_transaction`. Functions
 * never throw (see `dbt_jinja.ts`): they report to the render.
 *
 * @module
 */
import type { DbtConfig } from "../config.ts";
import type { Said } from "../types.ts";
import { type DbtJinja, splitArgs } from "./dbt_jinja.ts";
import { formatCivil, PyDatetime, utcCivil } from "./py_datetime.ts";
import { printedValue } from "./py_modules.ts";
import { pyJsonDumps } from "./py_json.ts";
import { agateJsonProblem, isAgateTable } from "./warehouse_context.ts";
import { DBT_VERSION } from "./dbt_version.ts";
import { say as sayOut } from "../say.ts";
import { closest } from "../suggest.ts";

const UTC_TZ = { name: "UTC", offset: 0 };

/** What the context of a run shares. */
export interface RunContext {
  dbt: DbtConfig;
  /** `config.vars` with `--vars` applied (text). */
  vars: Readonly<Record<string, string>>;
  /** `--vars` as given, with their types (see `EngineConfig.givenVars`). */
  given?: Readonly<Record<string, unknown>>;
  /** When the run started. */
  startedAt: Date;
  invocationId: string;
  /** The warehouse file. */
  path: string;
  threads: number;
}

/** How dbt prints `run_started_at`: `2024-01-31 12:00:00.123000+00:00`. */
export function pythonTimestamp(d: Date): string {
  return `${formatCivil(utcCivil(d), "%Y-%m-%d %H:%M:%S.%f")}+00:00`;
}

/** The value of variable `name`: `--vars`, then the project's own, then the global ones. */
function lookupVar(run: RunContext, name: string): { found: boolean; value?: unknown } {
  const { vars } = run.dbt;
  const own = vars[run.dbt.project];
  const projectValue = typeof own === "object" && own !== null && !Array.isArray(own) &&
      name in own
    ? (own as Record<string, unknown>)[name]
    : vars[name];
  const declared = projectValue !== undefined || name in vars;
  if (run.given && name in run.given) return { found: true, value: run.given[name] };
  return declared ? { found: true, value: projectValue } : { found: false };
}

/** The names var() finds: the project's vars (its own scope's too) and those of --vars. */
function knownVars(run: RunContext): string[] {
  const { vars, project } = run.dbt;
  const own = vars[project];
  return [
    ...Object.keys(vars).filter((k) => k !== project),
    ...(typeof own === "object" && own !== null && !Array.isArray(own) ? Object.keys(own) : []),
    ...Object.keys(run.given ?? {}),
  ];
}

/**
 * The context every template of a run sees.
 *
 * @param jinja where problems are reported.
 * @param phase 1 while the project is read (`execute` is false), 2 when SQL is compiled.
 * @param say where what `log(…, info=True)` and `exceptions.warn()` say goes (by default where
 *   the command sends it, `say.ts`).
 */
export function commonContext(
  jinja: DbtJinja,
  run: RunContext,
  phase: 1 | 2,
  say: (said: Said) => void = sayOut,
): Record<string, unknown> {
  const target = run.dbt.target;
  const quoteRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const py = new PyDatetime((message) => jinja.problem(message));
  return {
    target: {
      name: target.name,
      profile_name: target.profile,
      schema: target.schema,
      // dbt's target.database: the profile's, an attached database's alias when it names one.
      database: target.buildInto ?? target.database,
      type: "duckdb",
      threads: run.threads,
      path: run.path,
    },
    project_name: run.dbt.project,
    dbt_version: DBT_VERSION,
    execute: phase === 2,
    flags: { FULL_REFRESH: false, STORE_FAILURES: false, WHICH: "compile" },
    var: (...args: unknown[]) => {
      const { positional } = splitArgs(args);
      const name = String(positional[0]);
      const found = lookupVar(run, name);
      if (found.found) return found.value ?? null;
      if (positional.length > 1) return positional[1];
      const guess = closest(name, knownVars(run));
      jinja.problem(
        `Required var "${name}" is not set${
          guess ? ` (did you mean "${guess}"?)` : ""
        }: declare it under "vars:" in dbt_project.yml, pass --vars ${name}=…, or give var() a default`,
        new RegExp(`var\\(\\s*['"]${quoteRe(name)}['"]`),
      );
      return "";
    },
    env_var: (...args: unknown[]) => {
      const { positional } = splitArgs(args);
      const name = String(positional[0]);
      const value = Deno.env.get(name);
      if (value !== undefined) return value;
      if (positional.length > 1 && positional[1] !== null) return String(positional[1]);
      jinja.problem(
        `The environment variable "${name}" is not set and env_var() gives no default`,
        new RegExp(`env_var\\(\\s*['"]${quoteRe(name)}['"]`),
      );
      return "";
    },
    log: (...args: unknown[]) => {
      const { positional, kwargs } = splitArgs(args);
      if (phase === 2 && (positional[1] === true || kwargs.info === true)) {
        say({ text: String(printedValue(positional[0])) });
      }
      return "";
    },
    exceptions: {
      raise_compiler_error: (message: unknown) => {
        jinja.problem(
          `Compilation error raised by the project: ${String(printedValue(message))}`,
          /raise_compiler_error/,
        );
        return "";
      },
      warn: (message: unknown) => {
        if (phase === 2) say({ text: String(printedValue(message)), warning: true });
        return "";
      },
    },
    run_started_at: pythonTimestamp(run.startedAt),
    __wharf_run_started_at: py.datetime({ ...utcCivil(run.startedAt), tz: UTC_TZ }),
    invocation_id: run.invocationId,
    adapter: {
      quote: (name: unknown) => `"${String(printedValue(name)).replaceAll('"', '""')}"`,
    },
    // dbt's tojson() is json.dumps: keys in written order (Jinja's `| tojson` filter sorts them).
    tojson: (value: unknown) => {
      if (isAgateTable(value)) {
        jinja.problem(
          agateJsonProblem("tojson(…)", "tojson(result.rows | map('list') | list)"),
          /(?<![\w.|]\s*)tojson\s*\(/,
        );
        return "";
      }
      return pyJsonDumps(printedValue(jinja.inWrittenOrder(value, "tojson()", /tojson\s*\(/)));
    },
    fromjson: (text: unknown) => {
      try {
        return JSON.parse(String(text));
      } catch (err) {
        jinja.problem(
          `fromjson(): ${err instanceof Error ? err.message : String(err)}`,
          /fromjson/,
        );
        return null;
      }
    },
    is_incremental: () => false,
    // dbt's hook helpers: `pre_hook=before_begin("…")` runs outside the build's transaction.
    before_begin: (sql: unknown) => ({ sql: String(sql), transaction: false }),
    after_commit: (sql: unknown) => ({ sql: String(sql), transaction: false }),
    in_transaction: (sql: unknown) => ({ sql: String(sql), transaction: true }),
  };
}
