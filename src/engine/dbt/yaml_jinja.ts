/**
 * The Jinja dbt renders in the text values of its YAML files outside the
 * project's nodes (profiles.yml, selectors.yml), with a small context:
 * `env_var('X', 'default')`, and what the file adds (selectors.yml: `var()`
 * of `--vars` and `target`). A value without `{{` or `{%` is left as it is.
 *
 * @module
 */
import { Environment } from "minijinja-js";
import { parse as parseYaml } from "yaml";
import type { EngineConfig } from "../config.ts";

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
      var: (name: unknown, fallback?: unknown) => {
        const key = String(name);
        if (key in given) {
          try {
            return parseYaml(given[key]!);
          } catch {
            return given[key];
          }
        }
        if (fallback !== undefined) return fallback;
        report(
          `var("${key}") is not given: selectors.yml reads only --vars (as dbt does), so pass --vars ${key}=… or give var() a default`,
        );
        return "";
      },
    });
}
