/**
 * What a kind of generic data test is: the YAML arguments it reads
 * (validated), whether it needs a column, the relations it reads beside
 * the one under test, and the query returning the rows that fail it. The
 * kinds are registered in `index.ts`; a new kind is one module beside the
 * others.
 *
 * @module
 */
import type { z } from "../zod.ts";
import type { GenericTest } from "../types.ts";

/** The SQL a test's query is built from. */
export interface TestQueryContext {
  /** The relation under test: a quoted name, or an inlined subquery for an ephemeral model. */
  relation: string;
  /** The quoted column the test is about; empty when it has none. */
  column: string;
  /** The SQL of each relation of `GenericTest.reads`, in order. */
  reads: string[];
}

/**
 * Which kind of project a test is declared in: its messages show the
 * references that project writes (`staging.stg_members`, `ref('stg_members')`).
 */
export type ProjectStyle = "plain" | "dbt";

/** A kind of test as its module defines it; `A` is its parsed arguments. */
export interface TestKindDefinition<A> {
  /** The kind, as generic tests record it and as their names begin (`unique_…`). */
  kind: string;
  /** The names YAML may use for it, the first the one messages name; default `[kind]`. */
  names?: readonly string[];
  /**
   * Its arguments (beside `column_name`, `config` and `severity`, which
   * every test has): a `mapping()` schema (`yaml_schema.ts`), so unknown keys are
   * named with the closest one; or a function of the project's style, when
   * its messages give examples of references.
   */
  args: z.ZodType<A, unknown> | ((style: ProjectStyle) => z.ZodType<A, unknown>);
  /** The argument a plain value stands for: `- expression: "id > 0"`. */
  shorthand?: string;
  /** Whether it needs a column (from the column it is listed under, or `column_name`). */
  column: "required" | "optional";
  /** Relations it reads beside the one under test (e.g. the parent of `relationships`). */
  reads?(args: A): string[];
  /**
   * What its name adds after `<kind>_<owner>_<column>`; `index` counts this
   * kind's tests on the same model, from 1.
   */
  nameSuffix?(test: GenericTest, index: number): string;
  /** The query returning the failing rows. */
  query(args: A, context: TestQueryContext): string;
}

/** A registered test kind (its argument type erased: arguments are read through its schema). */
export interface TestKind {
  kind: string;
  names: readonly string[];
  /** Its arguments' schema, with messages for a project of `style`. */
  args(style: ProjectStyle): z.ZodType<unknown, unknown>;
  shorthand?: string;
  column: "required" | "optional";
  /** The relations it reads beside the one under test, from its valid arguments. */
  reads(args: unknown): string[];
  nameSuffix(test: GenericTest, index: number): string;
  /** The failing rows' query of `test` (whose arguments were validated when it was read). */
  query(test: GenericTest, context: TestQueryContext): string;
}

/**
 * Registers a test kind: its arguments are validated by its schema when the
 * project is read, and parsed by it again (typed) when a query is built.
 */
export function defineTestKind<A>(def: TestKindDefinition<A>): TestKind {
  const schemas = new Map<ProjectStyle, z.ZodType<A, unknown>>();
  const schema = (style: ProjectStyle) => {
    if (typeof def.args !== "function") return def.args;
    if (!schemas.has(style)) schemas.set(style, def.args(style));
    return schemas.get(style)!;
  };
  const parse = (args: unknown) => schema("plain").parse(args);
  return {
    kind: def.kind,
    names: def.names ?? [def.kind],
    args: schema,
    shorthand: def.shorthand,
    column: def.column,
    reads: (args) => def.reads?.(parse(args)) ?? [],
    nameSuffix: (test, index) => def.nameSuffix?.(test, index) ?? "",
    query: (test, context) => def.query(parse(test.args), context),
  };
}
