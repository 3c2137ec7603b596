/**
 * The Jinja dbt renders in the text values of its YAML files outside the
 * project's nodes (profiles.yml, selectors.yml), with a small context:
 * `env_var('X', 'default')`, and what the file adds (selectors.yml: `var()`
 * of `--vars` and `target`). A value without `{{` or `{%` is left as it is.
 *
 * @module
 */
import { Environment } from "minijinja-js";
import { parse as parseYaml } from "../yaml.ts";
import type { EngineConfig } from "../config.ts";
import { commonContext, type RunContext } from "./dbt_context.ts";
import { DbtJinja, RenderProblem, splitArgs } from "./dbt_jinja.ts";
import type { YamlValueRender } from "./render_yaml_values.ts";

const SELECTORS = "selectors.yml";

/**
 * Renders `text` in `env` with `env_var()` and `globals`; each problem
 * (an environment variable not set, Jinja that does not render) goes to
 * `report`, and the text is then returned as written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Environment } from "minijinja-js";
 * import { renderYamlText } from "./yaml_jinja.ts";
 *
 * const problems: string[] = [];
 * const out = renderYamlText(new Environment(), "{{ env_var('WHARF_NOT_SET_X', 'dev') }}_db", (m) => problems.push(m));
 * assert.equal(out, "dev_db");
 * assert.deepEqual(problems, []);
 * ```
 */
export function renderYamlText(
  env: Environment,
  text: string,
  report: (message: string) => void,
  globals: Record<string, unknown> = {},
): string {
  if (!text.includes("{{") && !text.includes("{%")) return text;
  const problems: string[] = [];
  env.addGlobal("env_var", (name: unknown, fallback?: unknown) => {
    const value = typeof name === "string" ? Deno.env.get(name) : undefined;
    if (value !== undefined) return value;
    if (fallback !== undefined && fallback !== null) return String(fallback);
    problems.push(
      `the environment variable "${String(name)}" is not set and env_var() gives no default`,
    );
    return "";
  });
  for (const [name, value] of Object.entries(globals)) env.addGlobal(name, value);
  try {
    const out = env.renderStr(text, {});
    for (const p of problems) report(p);
    return problems.length ? text : out;
  } catch (err) {
    report(`cannot render ${JSON.stringify(text)}: ${String(err).split("\n")[0]}`);
    return text;
  }
}

/** Renders one text value of a YAML file, each problem going to `report`. */
export type YamlRender = (text: string, report: (message: string) => void) => string;

/**
 * How a dbt project's selectors.yml is rendered, as dbt renders it: with
 * `env_var()`, `var()` of the variables `--vars` gave this command (not the
 * project's `vars:`, which dbt's selectors do not see), with its default
 * when not given, and `target`. Undefined for a plain-SQL project, whose
 * selectors.yml is not Jinja.
 */
export function selectorRenderer(config: EngineConfig): YamlRender | undefined {
  const dbt = config.dbt;
  if (!dbt) return undefined;
  const env = new Environment();
  const given = config.commandVars ?? {};
  const target = {
    name: dbt.target.name,
    profile_name: dbt.target.profile,
    schema: dbt.target.schema,
    database: dbt.target.buildInto ?? dbt.target.database,
    type: "duckdb",
    threads: config.threads,
  };
  return (text, report) =>
    renderYamlText(env, text, report, {
      target,
      var: (name: unknown, fallback?: unknown) =>
        commandVar(given, SELECTORS, String(name), fallback, (m) => report(m)),
    });
}

/**
 * `var(name, fallback)` of a file that reads only the variables `--vars`
 * gave (`given`), as dbt's selectors.yml and dbt_project.yml read them:
 * the value given (read as YAML), else the fallback; else a problem to
 * `report`, naming `file`.
 */
function commandVar(
  given: Readonly<Record<string, string>>,
  file: string,
  name: string,
  fallback: unknown,
  report: (message: string) => void,
): unknown {
  if (name in given) {
    try {
      return parseYaml(given[name]!);
    } catch {
      return given[name];
    }
  }
  if (fallback !== undefined) return fallback;
  report(
    `var("${name}") is not given: ${file} reads only --vars (as dbt does), so pass --vars ${name}=… or give var() a default`,
  );
  return "";
}

/**
 * How dbt renders the text values of a project's YAML when it parses it
 * (see `render_yaml_values.ts`): with `target`, `env_var()`, `var()` and
 * the helpers every template has (`modules`, `tojson`, `fromjson`, `log`,
 * `exceptions`, `run_started_at` …), but none of the project's macros. A
 * properties file's `var()` reads the variables `run` has (the project's
 * `vars:` and `--vars`); dbt_project.yml's (`only: "dbt_project.yml"`)
 * only `--vars` (`given`, with their types), as dbt's does. A text that is one `{{ … }}` and nothing
 * else keeps the type of its value (`{{ target.threads }}` is a number,
 * `{{ ['a', 'b'] }}` a list), as dbt's native rendering keeps it; any other
 * renders to text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRenderer } from "./yaml_jinja.ts";
 * import type { RunContext } from "./dbt_context.ts";
 *
 * const target = { profile: "p", name: "prod", schema: "main", database: "wh", extensions: [], settings: {}, file: "profiles.yml" };
 * const run = {
 *   dbt: { project: "p", flags: {}, paths: {}, vars: {}, models: {}, seeds: {}, dispatch: [], packagesInstallPath: "dbt_packages", target },
 *   vars: {}, startedAt: new Date(), invocationId: "i", path: "wh.duckdb", threads: 4,
 * } as unknown as RunContext;
 * const render = parseRenderer(run, "models/src.yml");
 * assert.equal(render("{{ 'table' if target.name == 'prod' else 'view' }}"), "table");
 * assert.equal(render("{{ target.threads }}"), 4);
 * assert.equal(render("raw_{{ target.name }}"), "raw_prod");
 * assert.throws(() => render("{{ var('nope') }}"), /Required var "nope" is not set/);
 * ```
 */
export function parseRenderer(
  run: RunContext,
  path: string,
  options: { only?: "dbt_project.yml"; given?: Readonly<Record<string, unknown>> } = {},
): YamlValueRender {
  const jinja = new DbtJinja(run.dbt.project, [], [], [], "");
  const context = commonContext(jinja, run, 1);
  if (options.only) {
    const file = options.only;
    const given = options.given ?? {};
    context.var = (...args: unknown[]) => {
      const { positional } = splitArgs(args);
      const name = String(positional[0]);
      // --vars as given keep their types (`"007"` stays text), as dbt's var() returns them.
      if (name in given) return given[name];
      return commandVar({}, file, name, positional[1], (m) => jinja.problem(m));
    };
  }
  const once = (text: string): string => {
    try {
      // Named so that minijinja does not escape the output (as it would JSON, for a .yml name).
      return jinja.render(`${path} (value)`, text, context).text;
    } catch (err) {
      if (!(err instanceof RenderProblem)) throw err;
      // The message may quote the line as written, which the caller names already.
      const line = err.line === undefined ? undefined : text.split("\n")[err.line - 1]?.trim();
      const quoted = line ? `: ${JSON.stringify(line)}` : undefined;
      const message = quoted && err.message.endsWith(quoted)
        ? err.message.slice(0, -quoted.length)
        : err.message;
      throw new Error(
        message.startsWith("unknown macro or function")
          ? `${message}: YAML values see target, env_var(), var() and dbt's helpers, not the project's macros (as in dbt)`
          : message,
      );
    }
  };
  return (text) => {
    const out = once(text);
    const single = /^\{\{-?([^]*?)-?\}\}$/.exec(text)?.[1];
    if (single === undefined || /\{\{|\}\}|\{%|%\}/.test(single)) return out;
    try {
      return JSON.parse(once(`{{ (${single}) | tojson }}`));
    } catch {
      return out;
    }
  };
}
