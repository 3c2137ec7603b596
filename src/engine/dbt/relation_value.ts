/**
 * dbt's Relation objects as templates see them: what `ref()`, `source()`
 * and `this` give. A relation prints as its SQL (`"main_marts"."orders"`)
 * and has dbt's attributes `database`, `schema`, `identifier`, `name` and
 * `table` (the last two the identifier, as in dbt), and the methods
 * `include(database=…, schema=…, identifier=…)` and `render()`.
 *
 * It is a value minijinja can hold (a plain object with functions) built as
 * `modules.datetime` values are (`py_datetime.ts`): `__cmp`, `__kind`
 * (`relation`) and `__str` (what it prints, see `printPyValues`).
 *
 * @module
 */
import { splitArgs } from "./jinja_args.ts";
import type { PyValue } from "./py_datetime.ts";

/** What a relation is made of. */
export interface RelationParts {
  database: string;
  schema: string;
  identifier: string;
  /**
   * How it prints: wharf's relation text (two parts, or three where the
   * catalog is needed), or a source's `external_location` as dbt-duckdb renders it.
   */
  sql: string;
  /** A source's `external_location`: what it prints whatever `include()` leaves out, as dbt-duckdb's does. */
  external?: boolean;
}

/** dbt's Relation methods wharf does not provide (calling one is an error naming it). */
export const RELATION_METHODS = [
  "quote",
  "incorporate",
  "replace_path",
  "without_identifier",
  "render_limited",
  "create",
  "create_from",
  "get_ddl_prefix_for_create",
  "to_dict",
];

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The relation value of `parts`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { relationValue } from "./relation_value.ts";
 *
 * const r = relationValue({ database: "dev", schema: "main_marts", identifier: "orders", sql: '"main_marts"."orders"' });
 * assert.equal(r.__str, '"main_marts"."orders"');
 * assert.equal(r.identifier, "orders");
 * const noDb = (r.include as (...a: unknown[]) => Record<string, unknown>)(new Map([["database", false]]));
 * assert.equal(noDb.__str, '"main_marts"."orders"');
 * assert.equal((r.render as () => string)(), '"main_marts"."orders"');
 * ```
 */
export function relationValue(parts: RelationParts): PyValue {
  return {
    __cmp: 0,
    __kind: "relation",
    __str: parts.sql,
    database: parts.database,
    schema: parts.schema,
    identifier: parts.identifier,
    name: parts.identifier,
    table: parts.identifier,
    render: () => parts.sql,
    include: (...args: unknown[]) => {
      const { positional, kwargs } = splitArgs(args);
      const keep = (i: number, key: string) => {
        const v = kwargs[key] ?? positional[i];
        return v === undefined || v === null ? true : Boolean(v);
      };
      const shown = [
        keep(0, "database") ? parts.database : undefined,
        keep(1, "schema") ? parts.schema : undefined,
        keep(2, "identifier") ? parts.identifier : undefined,
      ].filter((p): p is string => p !== undefined && p !== "");
      return relationValue({
        ...parts,
        sql: parts.external ? parts.sql : shown.map(quoted).join("."),
      });
    },
  };
}

/** True for a relation value (as minijinja hands it back: a Map, or the object itself). */
export function isRelationValue(value: unknown): boolean {
  const kind = value instanceof Map
    ? value.get("__kind")
    : (value as Record<string, unknown> | null)?.__kind;
  return kind === "relation";
}
