/**
 * `incremental`: the first build (or `--full-refresh`) builds the table
 * from all the model's rows; a later run writes only what the model gives
 * as new, the way its `incremental_strategy` says (`incremental_strategies/`:
 * append, merge, delete+insert, microbatch), with `on_schema_change`
 * deciding what happens when the model's columns changed.
 *
 * The model chooses its new rows in plain SQL that still runs in the DuckDB
 * CLI: it may read its own relation (the table as it stands) and call
 * `wharf_is_incremental()`, false on a first build and a full refresh:
 *
 * ```sql
 * select * from raw.events
 * where not wharf_is_incremental() or loaded_at > (select max(loaded_at) from marts.events)
 * ```
 *
 * or it names a `watermark` column (sugar for the same: the rows above the
 * table's maximum). Without `incremental_strategy`, a model with a
 * watermark is written by delete+insert on its `unique_key` (rows sharing a
 * key within one run resolve deterministically: the highest watermark wins,
 * ties go to the greater row value), or appended without one.
 *
 * @module
 */
import { z } from "../zod.ts";
import { describe } from "../yaml/yaml_file.ts";
import { quoteRelation } from "../db/sql.ts";
import { relationKind } from "../db/relation_kind.ts";
import { mapping, oneOf, text, textList } from "../yaml/yaml_schema.ts";
import { STRATEGIES, strategy } from "./incremental_strategies/index.ts";
import { checkEmptyRun, IS_INCREMENTAL_MACRO, rowsSql } from "./incremental_strategies/steps.ts";
import {
  type CommonSettings,
  type IncrementalParts,
  incrementalParts,
  type IncrementalStrategy,
  ON_SCHEMA_CHANGE,
} from "./incremental_strategies/strategy.ts";
import { type ConfigProblem, defineMaterialization } from "./materialization.ts";

/** An incremental model's config keys, as read (the strategies' own keys among them). */
type IncrementalConfig = Readonly<Record<string, unknown>> & {
  watermark?: string;
  incremental_predicates?: string[];
  incremental_strategy?: string;
  on_schema_change?: IncrementalParts["onSchemaChange"];
  full_refresh?: boolean;
};

/** The strategy a model's config chooses: its `incremental_strategy`, or the watermark's default. */
function chosen(config: IncrementalConfig, uniqueKey: readonly string[]): IncrementalStrategy {
  return strategy(config.incremental_strategy ?? (uniqueKey.length ? "delete+insert" : "append"));
}

/** The keys of `config` that belong to `s`. */
function ownKeys(config: IncrementalConfig, s: IncrementalStrategy): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([k]) => s.keys.includes(k)));
}

/** The `incremental` materialization. */
export const incremental = defineMaterialization({
  name: "incremental",
  config: mapping("an incremental model's config", {
    incremental_strategy: oneOf(STRATEGIES.map((s) => s.name)).optional(),
    watermark: text("a column name").optional(),
    incremental_predicates: textList("a SQL condition or a list of them").optional(),
    on_schema_change: oneOf(ON_SCHEMA_CHANGE).optional(),
    full_refresh: z.boolean({
      error: (iss) => `expected true or false, got ${describe(iss.input)}`,
    }).optional(),
    ...Object.assign({}, ...STRATEGIES.map((s) => s.shape)),
  }) as z.ZodType<IncrementalConfig, unknown>,
  readsItself: true,
  contract: "create",
  setup: [IS_INCREMENTAL_MACRO],
  problems: (config, model) => {
    if (!config.incremental_strategy && !config.watermark) {
      return [{
        key: "incremental_strategy",
        message: `an incremental model needs an "incremental_strategy" (${
          STRATEGIES.map((s) => s.name).join(", ")
        }) or a "watermark" column (e.g. _batch_id: its rows above the table's maximum are the new ones)`,
      }];
    }
    const s = chosen(config, model.uniqueKey);
    const which = config.incremental_strategy
      ? `"${s.name}"`
      : `"${s.name}" (the default with a watermark${
        model.uniqueKey.length ? " and a unique_key" : ""
      })`;
    const problems: ConfigProblem[] = [];
    for (const other of STRATEGIES.filter((o) => o !== s)) {
      for (const key of other.keys.filter((k) => k in config && !s.keys.includes(k))) {
        problems.push({
          key,
          message:
            `"${key}" applies to the ${other.name} strategy only (this model's incremental_strategy is ${which})`,
        });
      }
    }
    if (s.uniqueKey === "required" && model.uniqueKey.length === 0) {
      problems.push({
        key: "incremental_strategy",
        message:
          `the ${s.name} strategy matches new rows to the table's by "unique_key": add unique_key (a column or a list)`,
      });
    }
    if (s.uniqueKey === "refused" && model.uniqueKey.length) {
      problems.push({
        key: "unique_key",
        message: `the ${s.name} strategy reads no unique_key (it ${
          s.name === "append" ? "adds every new row" : "replaces each batch's time range whole"
        }): remove it, or use merge or delete+insert to replace rows by key`,
      });
    }
    const predicates = config.incremental_predicates ?? [];
    if (predicates.length && s.name === "append") {
      problems.push({
        key: "incremental_predicates",
        message:
          `incremental_predicates limit the table rows a later run updates or deletes, and the append strategy${
            config.incremental_strategy ? "" : " (the default without a unique_key)"
          } updates and deletes none: remove them, or use merge, delete+insert or microbatch`,
      });
    }
    const common: CommonSettings = { watermark: config.watermark, predicates };
    return [...problems, ...s.problems(ownKeys(config, s), common)];
  },
  parts: incrementalParts,
  usesEventTime: (parts) => parts.microbatch !== undefined,
  compile: ({ model, select, firstSelect, ephemerals, config, batchSelect, batchInputs }) => {
    const s = chosen(config, model.config.uniqueKey);
    const self = model.id.toLowerCase();
    // What the first build's SELECT reads: its own part of the SQL, when it has one.
    const span = model.firstBuild;
    const firstRefs = span
      ? model.refs.filter((r) => r.offset >= span.start && r.offset < span.end)
      : model.refs;
    const parts: IncrementalParts = {
      strategy: s.name,
      select,
      ...(firstSelect === undefined ? {} : { firstSelect }),
      keys: model.config.uniqueKey,
      // A dbt project's keys compare as dbt-duckdb's do (`=`: a NULL matches nothing).
      ...(model.dbtConfig !== undefined && model.config.uniqueKey.length
        ? { nullKeys: "never" as const }
        : {}),
      ...(config.incremental_predicates?.length
        ? { predicates: config.incremental_predicates }
        : {}),
      watermark: config.watermark,
      onSchemaChange: config.on_schema_change ?? "ignore",
      ...(config.full_refresh === undefined ? {} : { fullRefresh: config.full_refresh }),
      readsItself: firstRefs.some((r) => r.relation === self),
      reads: [...new Set(model.refs.map((r) => r.relation).filter((r) => r !== self))].map((
        relation,
      ) =>
        ephemerals[relation] === undefined
          ? { relation }
          : { relation, select: ephemerals[relation] }
      ),
      ...(model.contract ? { contract: model.contract } : {}),
      ...s.compile(ownKeys(config, s)),
    };
    // A microbatch model's batches read only their time range of the inputs that have an event_time.
    if (parts.microbatch && batchSelect !== undefined) {
      parts.microbatch = { ...parts.microbatch, batchSelect, inputs: [...batchInputs ?? []] };
    }
    const im = { relation: model.id, parts };
    return {
      sql: `CREATE OR REPLACE TABLE ${quoteRelation(model.layer, model.name, model.catalog)} AS\n${
        rowsSql(im)
      }`,
      script: s.script(im),
      parts,
    };
  },
  // As its strategies build: from everything unless its table is there and no full refresh is
  // asked (full_refresh: false never rebuilds from everything, --full-refresh or not; true always).
  laterRun: async (s, { relation, parts }, given) =>
    !(parts.fullRefresh ?? given.fullRefresh) && await relationKind(s, relation) === "TABLE",
  build: async (wh, { relation, parts }, given) => {
    const model = { relation, parts };
    // full_refresh: false never rebuilds from everything, --full-refresh or not; true always does.
    const context = parts.fullRefresh === undefined
      ? given
      : { ...given, fullRefresh: parts.fullRefresh };
    if (
      context.empty && !context.fullRefresh &&
      await wh.withConnection((s) => relationKind(s, relation)) === "TABLE"
    ) return await checkEmptyRun(wh, model);
    return await strategy(parts.strategy).build(wh, model, context);
  },
});
