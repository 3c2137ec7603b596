/**
 * dbt's functions that read the warehouse while Jinja renders: `run_query()`,
 * `{% call statement(name, fetch_result=True) %}…{% endcall %}` and
 * `load_result(name)`, for one pass of a render against the warehouse (see
 * `run/render_against_warehouse.ts`): the queries the template runs are
 * answered from the answers given, in order; the first beyond them is
 * asked for, and it and every later one give an empty result in this pass.
 * Functions never throw (see `dbt_jinja.ts`).
 *
 * @module
 */
import type { AnsweredQuery, QueryAnswer, Said } from "../types.ts";
import type { DbtJinja } from "./dbt_jinja.ts";
import { printPyValues } from "./py_modules.ts";
import { readLineMarkers } from "./rewrite_jinja.ts";

/** What one pass asked and said. */
export interface WarehousePass {
  /** The first query the template ran that `answered` lacks. */
  asked?: string;
  /** What `log(…, info=True)` and `exceptions.warn()` said, in order. */
  said: Said[];
  /** How many of the answers the pass has used (its renders replay them in turn). */
  next: number;
}

/** dbt's functions that read the warehouse, and their names as wharf's Jinja calls them. */
export const WAREHOUSE_FUNCTIONS = ["run_query", "statement", "load_result"];

const EMPTY: QueryAnswer = { columns: [], types: [], rows: [] };

/** An answer as dbt's agate table: `rows`, `columns[i].values()`, `columns[i].name`, `column_names`. */
function agateTable(jinja: DbtJinja, answer: QueryAnswer): Record<string, unknown> {
  return {
    column_names: answer.columns,
    column_types: answer.types,
    rows: answer.rows,
    columns: answer.columns.map((name, i) => ({
      name,
      values: () => answer.rows.map((row) => row[i]),
    })),
    print_table: () => {
      jinja.problem(
        `"print_table()" of a query's result is not supported by wharf: log() its rows instead ({{ log(result.rows, info=True) }})`,
        /print_table\s*\(/,
      );
      return "";
    },
  };
}

/**
 * The context of one pass: `run_query`, `load_result` and what dbt's
 * `statement` macro calls. Without `answered` (the render dbt does while it
 * parses, `execute` false), `run_query()` and `load_result()` give none and
 * nothing runs.
 */
export function warehouseContext(
  jinja: DbtJinja,
  answered: readonly AnsweredQuery[] | undefined,
  pass: WarehousePass,
): Record<string, unknown> {
  if (answered === undefined) {
    return { run_query: () => null, load_result: () => null, __wharf_statement: () => "" };
  }
  const results = new Map<string, unknown>();
  /** The answer to the template's next query `sql`, or an empty one once one is asked for. */
  const ask = (written: unknown, call: string): QueryAnswer => {
    // Relations in it print as their SQL, as in what the template renders.
    const sql = printPyValues(readLineMarkers(String(written ?? "")).text);
    if (pass.asked !== undefined) return EMPTY;
    const known = answered[pass.next];
    if (known === undefined) {
      pass.asked = sql;
      return EMPTY;
    }
    pass.next++;
    if (known.sql !== sql) {
      jinja.problem(
        `${call}: the query differs from the one run in this place in an earlier pass (${
          JSON.stringify(known.sql.trim())
        }, now ${
          JSON.stringify(sql.trim())
        }): wharf renders a template that reads the warehouse more than once, and its queries must come out the same each time (no now() or random values in their text)`,
        new RegExp(`(?<![\\w.])${call.replace(/\W.*$/, "")}\\s*\\(`),
      );
    }
    return known.answer;
  };
  return {
    run_query: (sql: unknown) => agateTable(jinja, ask(sql, "run_query()")),
    __wharf_statement: (name: unknown, sql: unknown, fetch: unknown) => {
      const answer = ask(sql, "statement()");
      if (name !== null && name !== undefined) {
        const table = agateTable(jinja, fetch === true ? answer : EMPTY);
        results.set(String(name), {
          response: { _message: "OK", code: "OK", rows_affected: answer.rows.length },
          data: fetch === true ? answer.rows : [],
          table,
        });
      }
      return "";
    },
    load_result: (name: unknown) => results.get(String(name)) ?? null,
  };
}
