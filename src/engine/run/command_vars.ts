/**
 * The variables of `--vars` over the project's: {@linkcode withCommandVars}.
 *
 * @module
 */
import type { EngineConfig } from "../config.ts";
import { UsageError } from "../errors.ts";
import { checkVar } from "../check_var.ts";
import { closest } from "../suggest.ts";
import { withArticle } from "../with_article.ts";

/**
 * The configuration with the variables of `--vars` over the project's:
 * what every command that renders or runs the project's SQL reads. A dbt
 * project takes any name, as dbt does (`var('x', default)` reads it; one
 * that nothing reads is warned about when the project loads).
 *
 * @throws {UsageError} for a variable a plain-SQL project does not declare
 * (typos included), or a value that is not of the type the project declares
 * for it.
 */
export function withCommandVars<C extends EngineConfig>(
  config: C,
  given: Readonly<Record<string, unknown>> = {},
): C {
  // wharf_var() reads text; other values as JSON, as the project's own lists and mappings are.
  const vars = Object.fromEntries(
    Object.entries(given).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
  const known = Object.keys(config.vars);
  for (const name of config.dbt ? [] : Object.keys(vars)) {
    if (known.includes(name)) continue;
    const guess = closest(name, known);
    throw new UsageError(
      `Unknown variable "${name}" in --vars${guess ? ` (did you mean "${guess}"?)` : ""}: ${
        known.length
          ? `the project declares ${known.map((k) => `"${k}"`).join(", ")}`
          : "the project declares none"
      }; declare it under "vars" in wharf.config.ts`,
    );
  }
  for (const [name, value] of Object.entries(vars)) {
    const type = config.varTypes?.[name];
    const problem = type && checkVar(type, value);
    if (problem) {
      throw new UsageError(
        `Invalid value of "${name}" in --vars (wharf.config.ts declares it ${
          withArticle(type)
        }): ${problem}`,
      );
    }
  }
  return {
    ...config,
    vars: { ...config.vars, ...vars },
    commandVars: { ...vars },
    givenVars: { ...given },
  };
}
