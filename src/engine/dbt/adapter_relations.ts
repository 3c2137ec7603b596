/**
 * dbt's functions that read the warehouse's catalog, each one query of it
 * (asked through a pass of a render against the warehouse, see
 * `warehouse_context.ts`): `adapter.get_columns_in_relation(relation)` (a
 * list of dbt's Column values), `adapter.get_relation(database, schema,
 * identifier)`, `load_relation(relation)` and `load_cached_relation(relation)`
 * (the relation, or none), and `get_columns_in_query(sql)` (its column
 * names). Names are found as DuckDB resolves them: case-insensitively; a
 * relation without a database or schema is looked for in the current ones.
 *
 * @module
 */
import type { QueryAnswer } from "../types.ts";
import type { DbtJinja } from "./dbt_jinja.ts";
import { splitArgs } from "./jinja_args.ts";
import { printedValue } from "./py_modules.ts";
import type { PyValue } from "./py_datetime.ts";
import { isRelationValue, relationValue } from "./relation_value.ts";

/** Asks the warehouse `sql` (the call named in messages): its answer, or an empty one for now. */
export type Ask = (sql: string, call: string) => QueryAnswer;

/** dbt's Column methods wharf does not give (calling one is an error naming it). */
export const COLUMN_METHODS = [
  "can_expand_to",
  "string_type",
  "numeric_type",
  "translate_type",
  "from_description",
  "is_struct",
  "flatten",
];

/** What wharf gives of a column, for messages. */
export const COLUMN_GIVES =
  "name, column, dtype, data_type, quoted, char_size, numeric_precision, numeric_scale, is_string(), is_number(), is_numeric(), is_integer(), is_float(), string_size() and literal()";

const STRING_TYPES = ["text", "character varying", "character", "varchar"];
const FLOAT_TYPES = ["real", "float", "float4", "float8", "double"];
const INTEGER_TYPES = [
  "tinyint",
  "smallint",
  "integer",
  "bigint",
  "hugeint",
  "utinyint",
  "usmallint",
  "uinteger",
  "ubigint",
  "uhugeint",
  "int1",
  "int2",
  "int4",
  "int8",
  "int",
  "short",
  "long",
  "signed",
];

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A value of the catalog as a number, or none. */
function numberOrNone(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/**
 * dbt's Column (as dbt-duckdb's `DuckDBColumn` answers it) of a column named
 * `name` of DuckDB type `dtype`: `data_type` is `character varying(n)` for
 * a string (n its `string_size()`, 256 without a size), `dtype(p,s)` for a
 * `numeric`/`decimal` type with both, else `dtype`.
 */
function columnValue(
  jinja: DbtJinja,
  name: string,
  dtype: string,
  sizes: {
    char_size: number | null;
    numeric_precision: number | null;
    numeric_scale: number | null;
  },
): PyValue {
  const lower = dtype.toLowerCase();
  const isString = STRING_TYPES.includes(lower);
  const isNumeric = lower === "numeric" || lower === "decimal";
  const isInteger = INTEGER_TYPES.includes(lower);
  const isFloat = FLOAT_TYPES.includes(lower);
  const size = sizes.char_size ?? 256;
  const { numeric_precision: precision, numeric_scale: scale } = sizes;
  const dataType = isString
    ? `character varying(${size})`
    : isNumeric && precision !== null && scale !== null
    ? `${dtype}(${precision},${scale})`
    : dtype;
  return {
    __cmp: 0,
    __kind: "column",
    __str: `<Column ${name} (${dataType})>`,
    name,
    column: name,
    dtype,
    data_type: dataType,
    quoted: quoted(name),
    ...sizes,
    is_string: () => isString,
    is_numeric: () => isNumeric,
    is_integer: () => isInteger,
    is_float: () => isFloat,
    is_number: () => isInteger || isFloat || isNumeric,
    string_size: () => {
      if (isString) return size;
      jinja.problem(
        `string_size() of column "${name}": it is no string (its type is ${dtype}), as dbt's Column says`,
        /string_size\s*\(/,
      );
      return null;
    },
    literal: (value: unknown) => `${String(printedValue(value))}::${dataType}`,
  };
}

/** The parts of a relation value as minijinja hands it back, or undefined for anything else. */
function relationParts(
  value: unknown,
): { database: string; schema: string; identifier: string } | undefined {
  if (!isRelationValue(value)) return undefined;
  const get = (key: string) => {
    const v = value instanceof Map ? value.get(key) : (value as Record<string, unknown>)[key];
    return v === null || v === undefined ? "" : String(v);
  };
  return { database: get("database"), schema: get("schema"), identifier: get("identifier") };
}

/** The conditions that find a relation of the catalog as DuckDB resolves its names. */
function whereRelation(parts: { database: string; schema: string; identifier: string }): string {
  const match = (column: string, value: string, current: string) =>
    `lower(${column}) = lower(${value === "" ? current : literal(value)})`;
  return [
    match("table_catalog", parts.database, "current_database()"),
    match("table_schema", parts.schema, "current_schema()"),
    match("table_name", parts.identifier, "''"),
  ].join("\n  and ");
}

/**
 * The functions of {@linkcode adapterRelations}: with `ask` undefined (the
 * render while the project is read, `execute` false), no columns and no
 * relation, and nothing runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DbtJinja } from "./dbt_jinja.ts";
 * import { adapterRelations } from "./adapter_relations.ts";
 *
 * const jinja = new DbtJinja("shop", []);
 * const f = adapterRelations(jinja, () => ({
 *   columns: ["table_catalog", "table_schema", "table_name", "current"],
 *   types: ["VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR"],
 *   rows: [["dev", "main", "orders", "dev"]],
 * }));
 * const r = f.get_relation("dev", "MAIN", "Orders") as Record<string, unknown>;
 * assert.equal(r.__str, '"main"."orders"');
 * ```
 */
export function adapterRelations(
  jinja: DbtJinja,
  ask: Ask | undefined,
): {
  get_columns_in_relation: (relation: unknown) => PyValue[];
  get_relation: (...args: unknown[]) => PyValue | null;
  load_relation: (relation: unknown) => PyValue | null;
  load_cached_relation: (relation: unknown) => PyValue | null;
  get_columns_in_query: (sql: unknown) => string[];
} {
  /** The relation `value` names, or a problem naming `call` when it is no relation. */
  const partsOf = (value: unknown, call: string) => {
    const parts = relationParts(value);
    if (parts === undefined) {
      jinja.problem(
        `${call}(): its argument is no relation (${
          JSON.stringify(printedValue(value))
        }): pass ref(), source(), this or what adapter.get_relation() gives`,
        new RegExp(`${call.replace(/^.*\./, "")}\\s*\\(`),
      );
    }
    return parts;
  };
  const getRelation = (
    parts: { database: string; schema: string; identifier: string },
    call: string,
  ): PyValue | null => {
    if (ask === undefined) return null;
    const answer = ask(
      `select table_catalog, table_schema, table_name, current_database()
from information_schema.tables
where ${whereRelation(parts)}`,
      call,
    );
    const [row] = answer.rows;
    if (row === undefined) return null;
    const [database, schema, identifier, current] = row.map(String) as [
      string,
      string,
      string,
      string,
    ];
    const names = database === current ? [schema, identifier] : [database, schema, identifier];
    return relationValue({ database, schema, identifier, sql: names.map(quoted).join(".") });
  };
  const loadRelation = (call: string) => (relation: unknown) => {
    const parts = partsOf(relation, call);
    return parts === undefined ? null : getRelation(parts, `${call}()`);
  };
  return {
    get_columns_in_relation: (relation) => {
      const parts = partsOf(relation, "adapter.get_columns_in_relation");
      if (ask === undefined || parts === undefined) return [];
      const answer = ask(
        `select column_name, data_type, character_maximum_length, numeric_precision, numeric_scale
from information_schema.columns
where ${whereRelation(parts)}
order by ordinal_position`,
        "get_columns_in_relation()",
      );
      return answer.rows.map(([name, dtype, char_size, numeric_precision, numeric_scale]) =>
        columnValue(jinja, String(name), String(dtype), {
          char_size: numberOrNone(char_size),
          numeric_precision: numberOrNone(numeric_precision),
          numeric_scale: numberOrNone(numeric_scale),
        })
      );
    },
    get_relation: (...args) => {
      const { positional, kwargs } = splitArgs(args);
      const part = (i: number, key: string) => {
        const v = kwargs[key] ?? positional[i];
        return v === null || v === undefined ? "" : String(printedValue(v));
      };
      const parts = {
        database: part(0, "database"),
        schema: part(1, "schema"),
        identifier: part(2, "identifier"),
      };
      if (parts.identifier === "") {
        jinja.problem(
          "adapter.get_relation(): no identifier: name the relation (database=…, schema=…, identifier=…)",
          /get_relation\s*\(/,
        );
        return null;
      }
      return getRelation(parts, "get_relation()");
    },
    load_relation: loadRelation("load_relation"),
    load_cached_relation: loadRelation("load_cached_relation"),
    get_columns_in_query: (sql) => {
      if (ask === undefined) return [];
      const text = String(printedValue(sql)).trim().replace(/;$/, "");
      return ask(`select * from (\n${text}\n) as __wharf_columns limit 0`, "get_columns_in_query()")
        .columns;
    },
  };
}
