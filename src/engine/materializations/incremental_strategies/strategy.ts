/**
 * What an incremental strategy is: how a later run of an incremental model
 * writes its new rows into the table (`incremental_strategy:` in the
 * model's config), the config keys it reads, and whether it matches rows by
 * `unique_key`. The strategies are registered in `index.ts`; a new one is a
 * module beside the others.
 *
 * @module
 */
import { z } from "../../zod.ts";
import type { Warehouse } from "../../db/warehouse.ts";
import { keysOf, mapping } from "../../yaml/yaml_schema.ts";
import type { BuildContext, BuildOutcome, ConfigProblem } from "../materialization.ts";
import { contractParts } from "../contract.ts";
import { BATCH_SIZES } from "./batch_time.ts";

/** What a later run does when the model's columns differ from the table's (`on_schema_change`). */
export const ON_SCHEMA_CHANGE = [
  "ignore",
  "fail",
  "append_new_columns",
  "sync_all_columns",
] as const;

/** One of {@linkcode ON_SCHEMA_CHANGE}. */
export type OnSchemaChange = typeof ON_SCHEMA_CHANGE[number];

/** What `merge` does with a table row the model no longer returns (`hard_deletes`). */
export const HARD_DELETES = ["ignore", "delete", "invalidate"] as const;

/** The column `hard_deletes: invalidate` sets to the time a row went missing. */
export const DELETED_AT = "_deleted_at";

/** The alias of the table in a later run's statements, as dbt names it (`incremental_predicates` use it). */
export const DEST = "DBT_INTERNAL_DEST";

/** The alias of the staged new rows in a later run's statements, as dbt names it. */
export const SOURCE = "DBT_INTERNAL_SOURCE";

/**
 * How a `unique_key` column holding NULL matches: `match`, NULL matches
 * NULL (`IS NOT DISTINCT FROM`: wharf's own projects); `never`, a NULL
 * matches nothing (`=`: dbt projects, as dbt-duckdb's merge and
 * delete+insert compare keys).
 */
export const NULL_KEYS = ["match", "never"] as const;

/** An incremental model compiled: plain data its build reads back. */
export const incrementalParts = z.lazy(() =>
  z.object({
    /** The strategy's name. */
    strategy: z.string(),
    /** The model's SELECT (ephemeral models inlined). */
    select: z.string(),
    /**
     * The SELECT of its first build (and full refresh), when it is not
     * `select`: a dbt model whose `is_incremental()` changes its SQL, rendered
     * with it false (see `MaterializeInput.firstSelect`).
     */
    firstSelect: z.string().optional(),
    /** `unique_key`. */
    keys: z.array(z.string()),
    /** How a NULL in a key column matches (see {@linkcode NULL_KEYS}); absent: `match`. */
    nullKeys: z.enum(NULL_KEYS).optional(),
    /**
     * `incremental_predicates`: SQL conditions ANDed into what a later run
     * matches or deletes in the table (aliased {@linkcode DEST}), as dbt
     * applies them: merge's ON, delete+insert's and microbatch's DELETE.
     */
    predicates: z.array(z.string()).optional(),
    /** `watermark`: only rows above the table's maximum of this column are new. */
    watermark: z.string().optional(),
    onSchemaChange: z.enum(ON_SCHEMA_CHANGE),
    /** `full_refresh`: false, never rebuilt from everything (`--full-refresh` or not); true, always. */
    fullRefresh: z.boolean().optional(),
    /** Its first build's SELECT reads the model's own relation (which does not exist yet then). */
    readsItself: z.boolean(),
    /**
     * The relations it reads besides itself, as `schema.name`, with the
     * SELECT of those that are ephemeral models (they are not in the
     * warehouse).
     */
    reads: z.array(z.object({ relation: z.string(), select: z.string().optional() })),
    /** Its enforced contract: the table is created from it, and every run's rows checked against it. */
    contract: contractParts.optional(),
    merge: z.object({
      updateColumns: z.array(z.string()).optional(),
      excludeColumns: z.array(z.string()).optional(),
      hardDeletes: z.enum(HARD_DELETES),
    }).optional(),
    microbatch: z.object({
      eventTime: z.string(),
      batchSize: z.enum(BATCH_SIZES),
      lookback: z.number(),
      /** The first event time a full build covers, as written (see `batch_time.ts`). */
      begin: z.string(),
      /**
       * The SELECT each batch runs: its inputs that have an `event_time` read
       * through the batch's filter (see `event_time_filter.ts`); absent: `select`.
       */
      batchSelect: z.string().optional(),
      /** The inputs `batchSelect` filters, with their event times. */
      inputs: z.array(z.object({ relation: z.string(), eventTime: z.string() })).optional(),
    }).optional(),
  })
);

/** See {@linkcode incrementalParts}. */
export type IncrementalParts = z.infer<typeof incrementalParts>;

/** An incremental model as a strategy builds it. */
export interface IncrementalModel {
  /** `<layer>.<name>` */
  relation: string;
  parts: IncrementalParts;
}

/** The settings every incremental model has, whatever its strategy. */
export interface CommonSettings {
  watermark?: string;
  /** `incremental_predicates`, as a list. */
  predicates?: readonly string[];
}

/** The part of the compiled parts a strategy adds from its own keys. */
export type StrategyParts = Pick<IncrementalParts, "merge" | "microbatch">;

/** A strategy as its module defines it; `S` its own keys of the model's config. */
export interface StrategyDefinition<S extends z.ZodRawShape> {
  /** The name `incremental_strategy:` gives. */
  name: string;
  /**
   * Its own keys of an incremental model's config (beside
   * `incremental_strategy`, `watermark` and `on_schema_change`): a key of
   * it on a model of another strategy is an error naming this one.
   */
  keys: S;
  /** `required`: it matches rows by `unique_key`; `refused`: it reads none. */
  uniqueKey: "required" | "refused";
  /** Problems of its keys read together with the common ones. Default none. */
  problems?(own: z.output<z.ZodObject<S>>, common: CommonSettings): ConfigProblem[];
  /** Its part of the compiled parts. Default none. */
  compile?(own: z.output<z.ZodObject<S>>): StrategyParts;
  /** The statements of a later run (or of each batch), commented: part of what `wharf compile` shows. */
  script(model: IncrementalModel): string;
  /** Builds the model: the first build, a full refresh or a later run. */
  build(wh: Warehouse, model: IncrementalModel, context: BuildContext): Promise<BuildOutcome>;
}

/** A registered strategy (its key types erased: they are read through its schema). */
export interface IncrementalStrategy {
  name: string;
  /** Its own keys of an incremental model's config. */
  keys: readonly string[];
  /** The schemas of those keys, each on its own. */
  shape: z.ZodRawShape;
  uniqueKey: "required" | "refused";
  /** Problems of its keys (given as parsed by their schemas) with the common ones. */
  problems(own: Readonly<Record<string, unknown>>, common: CommonSettings): ConfigProblem[];
  compile(own: Readonly<Record<string, unknown>>): StrategyParts;
  script(model: IncrementalModel): string;
  build(wh: Warehouse, model: IncrementalModel, context: BuildContext): Promise<BuildOutcome>;
}

/** Registers a strategy: see {@linkcode StrategyDefinition}. */
export function defineStrategy<S extends z.ZodRawShape>(
  def: StrategyDefinition<S>,
): IncrementalStrategy {
  const own = mapping(`the ${def.name} strategy's keys`, def.keys, { open: true });
  return {
    name: def.name,
    keys: keysOf(own),
    shape: def.keys,
    uniqueKey: def.uniqueKey,
    problems: (values, common) => def.problems?.(own.parse(values), common) ?? [],
    compile: (values) => def.compile?.(own.parse(values)) ?? {},
    script: def.script,
    build: def.build,
  };
}
