/**
 * What a materialization is: the settings it reads from a model's YAML
 * `config:` (validated), the statements it compiles a model to (plain
 * data), whether it is inlined instead of built and whether row checks may
 * use it, and how a build runs those statements. The materializations are
 * registered in `index.ts`; a new one is a module beside the others.
 *
 * @module
 */
import { z } from "../zod.ts";
import type { Session, Warehouse } from "../db/warehouse.ts";
import type { ModelConfig, ModelNode } from "../types.ts";
import { keysOf, mapping } from "../yaml/yaml_schema.ts";
import { withArticle } from "../with_article.ts";

/** The compiled SQL a materialization compiles a model from (see {@linkcode MaterializeInput}). */
export interface CompiledSelect {
  /** The model's SELECT, ephemeral models inlined. */
  select: string;
  /**
   * The SELECT of its first build alone, ephemeral models inlined, when
   * `select` holds two (see `ModelNode.firstBuild`).
   */
  firstSelect?: string;
  /**
   * The SELECT of each ephemeral model it reads, by id (ephemeral models
   * inlined): what stands for a relation that is not in the warehouse.
   */
  ephemerals: Readonly<Record<string, string>>;
  /**
   * `select` with each relation it reads that has an `event_time` (a
   * seed's, a source's, a built model's) read through a filter of one
   * batch's time range, its bounds the placeholders of
   * `incremental_strategies/event_time_filter.ts`; absent when it reads none.
   */
  batchSelect?: string;
  /** The relations `batchSelect` filters, each with its event time. */
  batchInputs?: readonly { relation: string; eventTime: string }[];
  /** The absolute project root: paths in settings are relative to it. */
  root: string;
}

/** What a materialization compiles a model from. */
export interface MaterializeInput<C> extends CompiledSelect {
  model: ModelNode;
  /** Its settings from the model's config, parsed by its schema. */
  config: C;
}

/** A model compiled by a materialization: plain data. */
export interface MaterializedModel<P> {
  /** The statement of a full build; empty when the model is not built (inlined). */
  sql: string;
  /** Every statement a build may run, with comments: what `wharf compile` and `target/run/` show. */
  script: string;
  /** What its build needs beyond `sql` (more statements, paths), as plain data. */
  parts: P;
}

/** A compiled model as a build receives it. */
export interface BuildInput {
  /** `<layer>.<name>` */
  relation: string;
  sql: string;
  parts: unknown;
}

/** How a build went (a failed build throws). */
export interface BuildOutcome {
  /** Rows the model holds (or wrote), when the build knows. */
  rows?: number;
  message?: string;
}

/** A range of event times, `start` included, `end` not (UTC instants). */
export interface EventTimeRange {
  start: Date;
  end: Date;
}

/** Settings of one build. */
export interface BuildContext {
  /** `--full-refresh`: rebuild from everything what would otherwise be brought up to date. */
  fullRefresh: boolean;
  /** `--event-time-start/--event-time-end`: the range of event times to rebuild (microbatch). */
  eventTime?: EventTimeRange;
  /**
   * `--empty`: the model's SELECT gives no row (see `CompileOptions.empty`).
   * A build that would change rows already built with that (an incremental
   * model's later run, a snapshot's) runs to check its SQL and is rolled
   * back: `--empty` never changes a table already built, unless
   * `fullRefresh` asks to rebuild it.
   */
  empty?: boolean;
}

/** A problem of a model's config that its keys' schemas alone do not see. */
export interface ConfigProblem {
  /** The key of the model's `config:` it is about. */
  key: string;
  message: string;
}

/** A materialization as its module defines it: `C` its parsed settings, `P` its compiled parts. */
export interface MaterializationDefinition<C, P> {
  /** The name `config: { materialized: … }` gives. */
  name: string;
  /**
   * Its own keys of a model's `config:` (beside `materialized`,
   * `unique_key`, `tags` and `enabled`), as a `mapping()` schema
   * (`project/yaml_schema.ts`): a key of it on a model of another
   * materialization is an error naming this one.
   */
  config: z.ZodType<C, unknown>;
  /** Not built but inlined, as a CTE, into every query that reads it. Default false. */
  inlined?: boolean;
  /**
   * It builds snapshots (files of `snapshots/`), not models: no model may
   * name it, `wharf run` leaves its nodes out and `wharf snapshot` runs
   * them. Default false.
   */
  snapshot?: boolean;
  /**
   * Row checks may be used on it (a checked model is built as a table with
   * its quarantine tables). Default false.
   */
  checks?: boolean;
  /**
   * Its models may read their own relation (to choose their new rows): the
   * graph leaves that reference out of the dependencies. Default false (a
   * model that reads itself is then an error).
   */
  readsItself?: boolean;
  /**
   * Statements applied to the warehouse before anything of a run is built
   * (e.g. the macros its models call). Default none.
   */
  setup?: readonly string[];
  /**
   * Problems of its settings read together with the model's other config
   * (e.g. a `unique_key` a setting needs). Default none.
   */
  problems?(config: C, model: ModelConfig): ConfigProblem[];
  /**
   * The schema of its compiled parts, which its build reads back: a
   * `z.lazy()` one, built when a build first reads parts back, not as the
   * registry loads (a build that uses two materializations builds two).
   */
  parts: z.ZodType<P, unknown>;
  /** True when its build of a compiled model reads `BuildContext.eventTime`. Default false. */
  usesEventTime?(parts: P): boolean;
  /**
   * What it does with a model's enforced contract: `create` the table from
   * the contract's columns and constraints, then insert the rows; `check`
   * the columns only (its constraints are tested). Default: contracts are
   * refused on its models.
   */
  contract?: "create" | "check";
  /** Compiles a model to the statements that build it. */
  compile(input: MaterializeInput<C>): MaterializedModel<P>;
  /** Runs a compiled model's statements on the warehouse (or give `buildIn`). */
  build?(
    wh: Warehouse,
    model: { relation: string; sql: string; parts: P },
    context: BuildContext,
  ): Promise<BuildOutcome>;
  /**
   * Runs a compiled model's statements in an open transaction (the model's
   * pre- and post-hooks run in the same one). A materialization gives this
   * or `build`.
   */
  buildIn?(
    s: Session,
    model: { relation: string; sql: string; parts: P },
    context: BuildContext,
  ): Promise<BuildOutcome>;
  /**
   * True when a build of this compiled model with `context` is a later run
   * of it (dbt's `is_incremental()`, which its hooks render with): decided
   * on `s` as its build decides. Default: never.
   */
  laterRun?(
    s: Session,
    model: { relation: string; sql: string; parts: P },
    context: BuildContext,
  ): Promise<boolean>;
  /**
   * True when `buildIn` runs one statement for these parts: then, without
   * hooks, it runs outside an explicit transaction (a statement is atomic by
   * itself, and BEGIN/COMMIT cost a commit's round trips per model).
   */
  singleStatement?(parts: P): boolean;
}

/** A registered materialization (its types erased: settings and parts are read through its schemas). */
export interface Materialization {
  name: string;
  /** Its own keys of a model's `config:`. */
  configKeys: readonly string[];
  /** Validates its keys of a model's `config:` (only those keys are given). */
  config: z.ZodType<unknown, unknown>;
  inlined: boolean;
  /** It builds snapshots, not models. */
  snapshot: boolean;
  checks: boolean;
  readsItself: boolean;
  setup: readonly string[];
  /** Problems of its (valid) settings with the model's other config. */
  problems(config: Readonly<Record<string, unknown>>, model: ModelConfig): ConfigProblem[];
  /** True when its build of this compiled model reads `BuildContext.eventTime`. */
  usesEventTime(parts: unknown): boolean;
  /** What it does with an enforced contract (see {@linkcode MaterializationDefinition.contract}). */
  contract?: "create" | "check";
  /** Compiles `model`, whose settings (`config.options`) were validated when it was loaded. */
  compile(model: ModelNode, input: CompiledSelect): MaterializedModel<unknown>;
  /** Builds a compiled model (in a transaction of its own when it has `buildIn`). */
  build(wh: Warehouse, model: BuildInput, context: BuildContext): Promise<BuildOutcome>;
  /** Builds a compiled model in the caller's open transaction, when it can. */
  buildIn?(s: Session, model: BuildInput, context: BuildContext): Promise<BuildOutcome>;
  /** True when a build of a compiled model with `context` is a later run (dbt's `is_incremental()`). */
  laterRun(s: Session, model: BuildInput, context: BuildContext): Promise<boolean>;
}

/** Registers a materialization: see {@linkcode MaterializationDefinition}. */
export function defineMaterialization<C, P>(def: MaterializationDefinition<C, P>): Materialization {
  const buildIn = def.buildIn;
  const build = def.build;
  if (!buildIn === !build) {
    throw new Error(`Materialization "${def.name}" must give one of build and buildIn`);
  }
  return {
    name: def.name,
    configKeys: keysOf(def.config),
    config: def.config,
    inlined: def.inlined ?? false,
    snapshot: def.snapshot ?? false,
    checks: def.checks ?? false,
    readsItself: def.readsItself ?? false,
    setup: def.setup ?? [],
    problems: (config, model) => def.problems?.(def.config.parse(config), model) ?? [],
    usesEventTime: (parts) => def.usesEventTime?.(def.parts.parse(parts)) ?? false,
    compile: (model, input) =>
      def.compile({ ...input, model, config: def.config.parse(model.config.options) }),
    ...(def.contract ? { contract: def.contract } : {}),
    build: (wh, model, context) => {
      const parsed = { ...model, parts: def.parts.parse(model.parts) };
      if (build) return build(wh, parsed, context);
      return def.singleStatement?.(parsed.parts)
        ? wh.withConnection((s) => buildIn!(s, parsed, context))
        : wh.transaction((s) => buildIn!(s, parsed, context));
    },
    laterRun: (s, model, context) =>
      def.laterRun?.(s, { ...model, parts: def.parts.parse(model.parts) }, context) ??
        Promise.resolve(false),
    ...(buildIn
      ? {
        buildIn: (s: Session, model: BuildInput, context: BuildContext) =>
          buildIn(s, { ...model, parts: def.parts.parse(model.parts) }, context),
      }
      : {}),
  };
}

/** The settings of a materialization that reads no key of its own. */
export function noSettings(name: string): z.ZodType<Record<string, never>, unknown> {
  return mapping(`${withArticle(name)} model's config`, {});
}

/** The parts of a materialization whose build needs nothing beyond its `sql`. */
export const NO_PARTS: z.ZodType<Record<string, never>, unknown> = z.lazy(() => z.object({}));
