/**
 * dbt's own macros (its package `dbt`) as a manifest records them, for the
 * `depends_on.macros` of the nodes that call them: those wharf provides for
 * DuckDB (`dbt/dbt_macros.ts`: `dateadd`, `type_string`, …,
 * `generate_schema_name`), the generic tests wharf runs built in
 * (`test_unique`, `test_not_null`, `test_accepted_values`,
 * `test_relationships`, `test_expression_is_true`: wharf's test kinds, whose
 * SQL each test's compiled code shows), `get_where_subquery`, which every
 * generic test calls on the relation it tests, and `is_incremental`.
 *
 * @module
 */
import { DBT_MACROS } from "../dbt/dbt_macros.ts";

/** The built-in generic tests' macros: name, then the parameters they take. */
const TEST_MACROS: Record<string, string> = {
  unique: "model, column_name",
  not_null: "model, column_name",
  accepted_values: "model, column_name, values, quote=True",
  relationships: "model, column_name, to, field",
  expression_is_true: "model, expression, column_name=None",
};

const WHERE_SUBQUERY = `{% macro get_where_subquery(relation) -%}
{%- set where = config.get('where') -%}
{%- if where -%}(select * from {{ relation }} where {{ where }}) dbt_subquery{%- else -%}{{ relation }}{%- endif -%}
{%- endmacro %}`;

/** `is_incremental()`, which wharf's Jinja context answers (see `dbt/load_dbt_project.ts`). */
const IS_INCREMENTAL = `{% macro is_incremental() %}
{#- wharf answers it: true when the model is incremental, its table exists and the run is no full refresh -#}
{% endmacro %}`;

let cached: ReadonlyMap<string, string> | undefined;

/**
 * dbt's macros wharf has, by name (as dbt names them: `dateadd`, not its
 * DuckDB implementation's name), with the Jinja each is.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dbtGlobalMacros } from "./dbt_global_macros.ts";
 *
 * const macros = dbtGlobalMacros();
 * assert.match(macros.get("dateadd")!, /^\{%- macro dateadd\(/);
 * assert.match(macros.get("test_unique")!, /^\{% test unique\(model, column_name\) %\}/);
 * assert.ok(macros.has("get_where_subquery") && macros.has("is_incremental"));
 * ```
 */
export function dbtGlobalMacros(): ReadonlyMap<string, string> {
  if (cached) return cached;
  const out = new Map<string, string>();
  const named = (text: string) => text.replace(/__dbt__(?:duckdb__)?(\w+)/g, "$1");
  for (const m of DBT_MACROS.matchAll(/\{%-?\s*macro\s+__dbt__(?:duckdb__)?(\w+)\s*\(/g)) {
    const end = /\{%-?\s*endmacro\s*-?%\}/.exec(DBT_MACROS.slice(m.index));
    if (end) out.set(m[1]!, named(DBT_MACROS.slice(m.index, m.index + end.index + end[0].length)));
  }
  for (const [name, params] of Object.entries(TEST_MACROS)) {
    out.set(
      `test_${name}`,
      `{% test ${name}(${params}) %}\n{#- wharf runs its built-in ${name} test: each test's compiled_code is its SQL -#}\n{% endtest %}`,
    );
  }
  out.set("get_where_subquery", WHERE_SUBQUERY);
  out.set("is_incremental", IS_INCREMENTAL);
  cached = out;
  return out;
}
