/**
 * dbt's functions that read the warehouse while Jinja renders: `run_query()`,
 * `{% call statement(name, fetch_result=True) %}…{% endcall %}`,
 * `load_result(name)` and those of `adapter_relations.ts`
 * (`adapter.get_columns_in_relation()`, `adapter.get_relation()`, …), for one pass of a render against the warehouse (see
 * `run/render_against_warehouse.ts`): the queries the template runs are
 * answered from the answers given, in order; the first beyond them is
 * asked for, and it and every later one give an empty result in this pass.
 * Functions never throw (see `dbt_jinja.ts`).
 *
 * @module
 */
import type { AnsweredQuery, QueryAnswer, Said } from "../types.ts";
import { adapterRelations } from "./adapter_relations.ts";
import type { DbtJinja } from "./dbt_jinja.ts";
import { splitArgs } from "./jinja_args.ts";
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

/**
 * dbt's functions that read the warehouse, and their names as wharf's Jinja
 * calls them (`adapter.x`: the adapter's method `x`).
 */
export const WAREHOUSE_FUNCTIONS = [
  "run_query",
  "statement",
  "load_result",
  "load_relation",
  "load_cached_relation",
  "get_columns_in_query",
  "adapter.get_columns_in_relation",
  "adapter.get_relation",
];

const EMPTY: QueryAnswer = { columns: [], types: [], rows: [] };

/** A value as text that is the same for a row handed to a template and the row it hands back. */
function canonical(value: unknown): string {
  const sorted = (entries: [unknown, unknown][]) =>
    `{${entries.map(([k, v]) => `${JSON.stringify(String(k))}:${canonical(v)}`).sort().join(",")}}`;
  if (value instanceof Map) return sorted([...value]);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") return sorted(Object.entries(value));
  return JSON.stringify(value ?? null);
}

/** The tables a pass handed out: for each row (by {@linkcode canonical}), the column names of its tables. */
type Handed = Map<string, (readonly string[])[]>;

/**
 * An answer as dbt's agate table: `rows` (each a sequence of its values),
 * `columns` (each with `name`, `index`, `values()`), `column_names`,
 * `column_types`; `__agate` marks it (and its columns) for the subscripts
 * `rewrite_jinja.ts` rewrites: `table[i]`, `row['name']`, `columns['name']`.
 */
function agateTable(
  jinja: DbtJinja,
  answer: QueryAnswer,
  handed: Handed,
): Record<string, unknown> {
  for (const row of answer.rows) {
    const key = canonical(row);
    handed.set(key, [...handed.get(key) ?? [], answer.columns]);
  }
  return {
    __agate: "table",
    column_names: answer.columns,
    column_types: answer.types,
    rows: answer.rows,
    columns: answer.columns.map((name, i) => ({
      __agate: "column",
      name,
      index: i,
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

/** `text` as a regular expression's text that matches it. */
function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The position of column `key` in `of` (as a template hands them back): a
 * row of a table the pass handed out (read as `row['key']`, `row[col]` or
 * `row.key`), or a table's `columns`; `key` itself when `of` is neither
 * (the subscript is minijinja's). A name that is no column is a problem
 * naming it and the columns.
 */
function columnIndex(
  jinja: DbtJinja,
  handed: Handed,
  of: unknown,
  key: unknown,
  at: RegExp = new RegExp(
    `\\[\\s*['"]?${escapeRe(String(key))}['"]?\\s*\\]|\\.\\s*${escapeRe(String(key))}(?!\\w)`,
  ),
): unknown {
  if (!Array.isArray(of) || typeof key !== "string") return key;
  const unknown = (names: readonly string[], what: string) => {
    jinja.problem(
      `No column "${key}" in ${what} of run_query()'s result: its columns are ${
        names.map((n) => `"${n}"`).join(", ")
      }`,
      at,
    );
    return key;
  };
  const first = of[0];
  if (first instanceof Map && first.get("__agate") === "column") {
    const names = of.map((c) => String((c as Map<string, unknown>).get("name")));
    const i = names.indexOf(key);
    return i < 0 ? unknown(names, "the columns") : i;
  }
  const tables = handed.get(canonical(of));
  if (tables === undefined) return key;
  const found = new Set(tables.map((names) => names.indexOf(key)));
  found.delete(-1);
  if (found.size === 0) return unknown(tables[0]!, "a row");
  if (found.size > 1) {
    jinja.problem(
      `row["${key}"]: the row is one of several query results with the same values, whose column "${key}" is in different places: read it by position (row[0])`,
      at,
    );
    return key;
  }
  return [...found][0];
}

/**
 * The attribute `key` of a filter that reads one of each of `items`
 * (`map(attribute=key)`, `selectattr(key, …)`), as it reads a row: when
 * every item is a row of a table the pass handed out, each of its
 * comma-separated paths with its first part, a column's name, as the
 * column's position (`"name"` → `"1"`); else `key`. A name that is no
 * column is a problem naming it and the columns.
 */
function attributePath(jinja: DbtJinja, handed: Handed, items: unknown, key: unknown): unknown {
  if (typeof key !== "string" || !Array.isArray(items) || items.length === 0) return key;
  if (!items.every((row) => Array.isArray(row) && handed.has(canonical(row)))) return key;
  return key.split(",").map((path) => {
    const [first = "", ...rest] = path.trim().split(".");
    if (/^\d+$/.test(first)) return path;
    const at = new RegExp(`['"]${escapeRe(key)}['"]`);
    const found = new Set(items.map((row) => columnIndex(jinja, handed, row, first, at)));
    if (found.size > 1) {
      jinja.problem(
        `"${first}": the rows filtered are of query results whose column "${first}" is in different places: filter them by position (attribute='0')`,
        at,
      );
      return path;
    }
    const [i] = found;
    return typeof i === "number" ? [String(i), ...rest].join(".") : path;
  }).join(",");
}

/** True when `value` is a table `run_query()` gave, as a template hands it back. */
export function isAgateTable(value: unknown): boolean {
  return value instanceof Map && value.get("__agate") === "table";
}

/**
 * The problem of JSON of a table `run_query()` gave: `asked` is how the
 * template asks for it, `rows` the JSON of its rows' values to write instead.
 */
export function agateJsonProblem(asked: string, rows: string): string {
  return `Cannot write run_query()'s table as JSON (${asked}): a table is no JSON value, as agate's is none in dbt: write ${rows} for its rows' values`;
}

/**
 * What agate's Row method `name` gives of `row` (as a template hands it
 * back): `keys()` its column names, `values()` its values, `items()` the
 * (name, value) pairs, `dict()` a mapping of them (its keys in name order,
 * as minijinja's mappings have them), `get(key, default=none)` a column's
 * value (by name or position) or `default`. Of anything but a row of a
 * table the pass handed out, a problem naming the method.
 */
function rowMethod(
  jinja: DbtJinja,
  handed: Handed,
  row: unknown,
  name: string,
  args: readonly unknown[],
): unknown {
  const at = new RegExp(`\\.\\s*${name}\\s*\\(`);
  const tables = Array.isArray(row) ? handed.get(canonical(row)) : undefined;
  if (tables === undefined) {
    jinja.problem(
      `"${name}()" is a method of a row of run_query()'s result, and this is a list that is no such row: lists have no "${name}()"`,
      at,
    );
    return null;
  }
  const values = row as unknown[];
  const names = tables[0]!;
  if (name === "values") return values;
  if (tables.some((t) => t.join("\0") !== names.join("\0"))) {
    jinja.problem(
      `row.${name}(): the row is one of several query results with the same values and different columns: read its values by position (row[0])`,
      at,
    );
    return null;
  }
  if (name === "keys") return names;
  if (name === "items") return names.map((n, i) => [n, values[i]]);
  if (name === "dict") return Object.fromEntries(names.map((n, i) => [n, values[i]]));
  const { positional, kwargs } = splitArgs(args);
  const [key, fallback = kwargs.default ?? null] = positional;
  const i = typeof key === "number" ? key : names.indexOf(String(key));
  return i >= 0 && i < values.length ? values[i] : fallback;
}

/**
 * The context of one pass: `run_query`, `load_result`, what dbt's
 * `statement` macro calls, `load_relation`, `load_cached_relation`,
 * `get_columns_in_query` and `adapter` (`adapter` with the methods
 * `get_columns_in_relation` and `get_relation` added). Without `answered`
 * (the render dbt does while it parses, `execute` false), `run_query()`,
 * `load_result()` and the relations give none, the columns none either,
 * and nothing runs.
 */
export function warehouseContext(
  jinja: DbtJinja,
  answered: readonly AnsweredQuery[] | undefined,
  pass: WarehousePass,
  adapter: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  if (answered === undefined) {
    return {
      run_query: () => null,
      load_result: () => null,
      __wharf_statement: () => "",
      ...relationsContext(jinja, adapter, undefined),
    };
  }
  const results = new Map<string, unknown>();
  const handed: Handed = new Map();
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
    ...relationsContext(jinja, adapter, ask),
    run_query: (sql: unknown) => agateTable(jinja, ask(sql, "run_query()"), handed),
    __wharf_index: (of: unknown, key: unknown) => columnIndex(jinja, handed, of, key),
    __wharf_row_method: (row: unknown, name: unknown, ...args: unknown[]) =>
      rowMethod(jinja, handed, row, String(name), args),
    __wharf_attribute: (items: unknown, key: unknown) => attributePath(jinja, handed, items, key),
    __wharf_agate_json: (value: unknown, written: unknown) => {
      if (!isAgateTable(value)) return true;
      jinja.problem(
        agateJsonProblem(
          `"${String(written)} | tojson"`,
          `"${String(written)}.rows | map('list') | list | tojson"`,
        ),
        new RegExp(`${String(written).split(/\s+/).map(escapeRe).join("\\s*")}\\s*\\|\\s*tojson`),
      );
      return false;
    },
    __wharf_agate_unset: (written: unknown) => {
      const call = String(written).replace(/\s*\(.*/s, "");
      jinja.problem(
        `${
          String(written)
        }: wharf reads a column of ${call}()'s result by name (or its rows) where it can set the result first, and cannot here (in an inline if/else, after "and"/"or", in {% elif %}, or after another call in the tag): set it first ({% set result = ${call}(…) %}) and read result`,
        new RegExp(String(written).split(/\s+/).map(escapeRe).join("\\s*")),
      );
      return null;
    },
    __wharf_statement: (name: unknown, sql: unknown, fetch: unknown) => {
      const answer = ask(sql, "statement()");
      if (name !== null && name !== undefined) {
        const table = agateTable(jinja, fetch === true ? answer : EMPTY, handed);
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

/** The functions of `adapter_relations.ts` as a context gives them: two of them `adapter`'s methods. */
function relationsContext(
  jinja: DbtJinja,
  adapter: Readonly<Record<string, unknown>>,
  ask: ((sql: string, call: string) => QueryAnswer) | undefined,
): Record<string, unknown> {
  const { get_columns_in_relation, get_relation, ...functions } = adapterRelations(jinja, ask);
  return { ...functions, adapter: { ...adapter, get_columns_in_relation, get_relation } };
}
