/**
 * What every dbt template sees besides its node: `target`, `var`,
 * `env_var`, `log`, `exceptions`, `modules.datetime`, `run_started_at`,
 * `invocation_id`, `adapter.quote`, `tojson`/`fromjson`, `flags`, the hook
 * helpers `before_begin`/`after_commit`/`in_transaction`. Functions
 * never throw (see `dbt_jinja.ts`): they report to the render.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import type { DbtConfig } from "../config.ts";
import { type DbtJinja, plain, splitArgs } from "./dbt_jinja.ts";

/** What the context of a run shares. */
export interface RunContext {
  dbt: DbtConfig;
  /** `config.vars` with `--vars` applied (text). */
  vars: Readonly<Record<string, string>>;
  /** When the run started. */
  startedAt: Date;
  invocationId: string;
  /** The warehouse file. */
  path: string;
  threads: number;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");
/** An English name of a date's day or month (`long`, or its first three letters). */
function dateName(d: Date, part: "weekday" | "month", short: boolean): string {
  const name = d.toLocaleString("en-US", { [part]: "long", timeZone: "UTC" });
  return short ? name.slice(0, 3) : name;
}

/**
 * Python's `strftime` for the directives dbt projects use, in UTC.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { strftime } from "./dbt_context.ts";
 *
 * const d = new Date(Date.UTC(2024, 1, 17, 9, 5, 3));
 * assert.equal(strftime(d, "%a %B %Y-%m-%d %H:%M:%S %j %p"), "Sat February 2024-02-17 09:05:03 048 AM");
 * ```
 */
export function strftime(d: Date, format: string): string {
  return format.replace(/%([a-zA-Z%])/g, (all, c: string) => {
    switch (c) {
      case "Y":
        return String(d.getUTCFullYear());
      case "y":
        return pad(d.getUTCFullYear() % 100);
      case "m":
        return pad(d.getUTCMonth() + 1);
      case "d":
        return pad(d.getUTCDate());
      case "H":
        return pad(d.getUTCHours());
      case "I":
        return pad(d.getUTCHours() % 12 || 12);
      case "p":
        return d.getUTCHours() < 12 ? "AM" : "PM";
      case "M":
        return pad(d.getUTCMinutes());
      case "S":
        return pad(d.getUTCSeconds());
      case "f":
        return pad(d.getUTCMilliseconds() * 1000, 6);
      case "j": {
        const start = Date.UTC(d.getUTCFullYear(), 0, 1);
        return pad(Math.floor((d.getTime() - start) / 86_400_000) + 1, 3);
      }
      case "a":
      case "A":
        return dateName(d, "weekday", c === "a");
      case "b":
      case "B":
        return dateName(d, "month", c === "b");
      case "z":
        return "+0000";
      case "Z":
        return "UTC";
      case "%":
        return "%";
      default:
        return all;
    }
  });
}

/** A datetime as templates see it: its fields, `strftime()` and `isoformat()`. */
function datetime(d: Date): Record<string, unknown> {
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    microsecond: d.getUTCMilliseconds() * 1000,
    strftime: (format: unknown) => strftime(d, String(format)),
    isoformat: () => d.toISOString().replace("Z", "+00:00"),
  };
}

/** How dbt prints `run_started_at`: `2024-01-31 12:00:00.123000+00:00`. */
export function pythonTimestamp(d: Date): string {
  return `${strftime(d, "%Y-%m-%d %H:%M:%S.%f")}+00:00`;
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
  const given = run.vars[name];
  if (given !== undefined) {
    const asText = typeof projectValue === "string" ? projectValue : JSON.stringify(projectValue);
    if (declared && given === asText) return { found: true, value: projectValue };
    try {
      return { found: true, value: parseYaml(given) };
    } catch {
      return { found: true, value: given };
    }
  }
  return declared ? { found: true, value: projectValue } : { found: false };
}

/**
 * The context every template of a run sees.
 *
 * @param jinja where problems are reported.
 * @param phase 1 while the project is read (`execute` is false), 2 when SQL is compiled.
 */
export function commonContext(
  jinja: DbtJinja,
  run: RunContext,
  phase: 1 | 2,
): Record<string, unknown> {
  const target = run.dbt.target;
  const quoteRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
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
    execute: phase === 2,
    flags: { FULL_REFRESH: false, STORE_FAILURES: false, WHICH: "compile" },
    var: (...args: unknown[]) => {
      const { positional } = splitArgs(args);
      const name = String(positional[0]);
      const found = lookupVar(run, name);
      if (found.found) return found.value ?? null;
      if (positional.length > 1) return positional[1];
      jinja.problem(
        `Required var "${name}" is not set: declare it under "vars:" in dbt_project.yml, pass --vars ${name}=…, or give var() a default`,
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
        console.error(String(positional[0]));
      }
      return "";
    },
    exceptions: {
      raise_compiler_error: (message: unknown) => {
        jinja.problem(
          `Compilation error raised by the project: ${String(message)}`,
          /raise_compiler_error/,
        );
        return "";
      },
      warn: (message: unknown) => {
        if (phase === 2) console.error(`warning: ${String(message)}`);
        return "";
      },
    },
    modules: {
      datetime: {
        datetime: {
          now: () => datetime(new Date()),
          utcnow: () => datetime(new Date()),
        },
        date: { today: () => datetime(new Date()) },
      },
    },
    run_started_at: pythonTimestamp(run.startedAt),
    __wharf_run_started_at: datetime(run.startedAt),
    invocation_id: run.invocationId,
    adapter: {
      quote: (name: unknown) => `"${String(name).replaceAll('"', '""')}"`,
    },
    tojson: (value: unknown) => JSON.stringify(plain(value)),
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
