/**
 * The steps every incremental strategy builds with: the first build (or a
 * full refresh), staging the new rows of a later run and settling the
 * columns (`on_schema_change`), each on a connection where the model's
 * `wharf_is_incremental()` says which of the two it is; and the SQL they
 * write, shared with what `wharf compile` shows.
 *
 * @module
 */
import { type RelationKind, relationKind } from "../../db/relation_kind.ts";
import { quoteIdent, quoteLiteral, quoteRelationId, relationIdSql } from "../../db/sql.ts";
import { rolledBack, type Session, type Warehouse } from "../../db/warehouse.ts";
import { ModelError, WharfError } from "../../errors.ts";
import { closest } from "../../suggest.ts";
import { checkContract, createContractTableSql, insertContractSql } from "../contract.ts";
import type { BuildContext, BuildOutcome } from "../materialization.ts";
import { type Column, describeDiff, diffColumns, planSchemaChange } from "./on_schema_change.ts";
import {
  DELETED_AT,
  DEST,
  type IncrementalModel,
  type IncrementalParts,
  SOURCE,
} from "./strategy.ts";

/** The alias of the model's SELECT in the statements wharf wraps around it. */
const SRC = "__wharf_src";

/** The session variable behind `wharf_is_incremental()`. */
const IS_INCREMENTAL = "wharf_is_incremental";

/**
 * `wharf_is_incremental()`: true while wharf runs an incremental model's
 * later run, false on its first build, on `--full-refresh` and anywhere
 * else (a model's SQL pasted into the DuckDB CLI selects everything).
 */
export const IS_INCREMENTAL_MACRO =
  `CREATE OR REPLACE MACRO ${IS_INCREMENTAL}() AS coalesce(getvariable(${
    quoteLiteral(IS_INCREMENTAL)
  }), false)`;

/** The quoted relation of `<layer>.<name>` (or `<catalog>.<layer>.<name>`). */
export function targetOf(relation: string): string {
  return quoteRelationId(relation);
}

/** The temporary table a later run stages its new rows in. */
export function stagedOf(relation: string): string {
  return quoteIdent(`__wharf_new_${relation.replaceAll(".", "_")}`);
}

/**
 * `t.k IS NOT DISTINCT FROM s.k AND …`: rows of `t` and `s` with the same
 * key, NULL matching NULL; with `nulls: "never"`, `t.k = s.k AND …` (a NULL
 * matches nothing, as in dbt).
 */
export function sameKey(
  keys: readonly string[],
  t = "t",
  s = "s",
  nulls: "match" | "never" = "match",
): string {
  const op = nulls === "never" ? "=" : "IS NOT DISTINCT FROM";
  return keys.map(quoteIdent).map((k) => `${t}.${k} ${op} ${s}.${k}`).join(" AND ");
}

/** The key match of a later run's statements: the table as {@linkcode DEST}, the new rows as {@linkcode SOURCE}. */
export function keyMatch(parts: IncrementalParts): string {
  return sameKey(parts.keys, DEST, SOURCE, parts.nullKeys ?? "match");
}

/** `incremental_predicates`, each in parentheses, to be ANDed to a condition on the table. */
export function predicateTerms(parts: IncrementalParts): string[] {
  return (parts.predicates ?? []).map((p) => `(${p})`);
}

/** Picks one row per key, when a watermark orders them: the highest watermark, ties to the greater row. */
function dedupe(parts: IncrementalParts): string {
  if (!parts.watermark || parts.keys.length === 0) return "";
  return `\nQUALIFY row_number() OVER (PARTITION BY ${
    parts.keys.map(quoteIdent).join(", ")
  } ORDER BY ${quoteIdent(parts.watermark)} DESC NULLS LAST, ${SRC} DESC) = 1`;
}

/**
 * The model's rows: all of them (a first build: its first build's SELECT
 * when it has one of its own), or those of a later run:
 * above the table's watermark, if the model has one, and matching `where`
 * (SQL conditions on the model's columns).
 */
export function rowsSql(
  model: IncrementalModel,
  options: { later?: boolean; where?: readonly string[] } = {},
): string {
  const { parts } = model;
  const select = options.later ? parts.select : parts.firstSelect ?? parts.select;
  const where = [...(options.where ?? [])];
  if (options.later && parts.watermark) {
    const wm = quoteIdent(parts.watermark);
    const max = `(SELECT max(${wm}) FROM ${targetOf(model.relation)})`;
    where.push(`(${SRC}.${wm} > ${max} OR ${max} IS NULL)`);
  }
  return `SELECT * FROM (\n${select}\n) AS ${SRC}${
    where.length ? `\nWHERE ${where.join("\n  AND ")}` : ""
  }${dedupe(parts)}`;
}

/** `INSERT` of the staged rows: the columns listed, or all of them by name. */
export function insertSql(target: string, staged: string, columns?: readonly string[]): string {
  if (!columns) return `INSERT INTO ${target} BY NAME SELECT * FROM ${staged}`;
  const list = columns.map(quoteIdent).join(", ");
  return `INSERT INTO ${target} (${list}) SELECT ${list} FROM ${staged}`;
}

/** Runs `fn` in one transaction on a connection where `wharf_is_incremental()` is `incremental`. */
export function inBuild<T>(
  wh: Warehouse,
  incremental: boolean,
  fn: (s: Session) => Promise<T>,
): Promise<T> {
  return wh.withConnection(async (s) => {
    await s.exec(`SET VARIABLE ${IS_INCREMENTAL} = ${incremental}`);
    try {
      return await s.transaction(fn);
    } finally {
      await s.exec(`RESET VARIABLE ${IS_INCREMENTAL}`);
    }
  });
}

/** The rows of `relation`. */
export async function countRows(s: Session, relation: string): Promise<number> {
  const rows = await s.query(`SELECT count(*)::DOUBLE AS n FROM ${targetOf(relation)}`);
  return Number(rows[0]?.n ?? 0);
}

/** The columns of a query, as DuckDB describes them. */
export async function describeColumns(s: Session, query: string): Promise<Column[]> {
  return (await s.query(`DESCRIBE ${query}`)).map((r) => ({
    name: String(r.column_name),
    type: String(r.column_type),
  }));
}

/** The column of `columns` named `name` (compared as DuckDB does), or an error naming the closest. */
export function findColumn(
  relation: string,
  columns: readonly Column[],
  name: string,
  what: string,
): Column {
  const found = columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (found) return found;
  const guess = closest(name, columns.map((c) => c.name));
  throw new ModelError(
    relation,
    `Cannot build ${relation}: its ${what} "${name}" is not a column of the model${
      guess ? ` (did you mean "${guess}"?)` : ""
    }: it has ${columns.map((c) => `"${c.name}"`).join(", ")}`,
  );
}

/** Checks the model's columns hold what its config names, and not the column wharf keeps. */
function checkModelColumns(model: IncrementalModel, columns: readonly Column[]): void {
  const { relation, parts } = model;
  for (const k of parts.keys) findColumn(relation, columns, k, "unique_key column");
  if (parts.watermark) findColumn(relation, columns, parts.watermark, "watermark");
  if (parts.microbatch) findColumn(relation, columns, parts.microbatch.eventTime, "event_time");
  if (
    parts.merge?.hardDeletes === "invalidate" &&
    columns.some((c) => c.name.toLowerCase() === DELETED_AT)
  ) {
    throw new ModelError(
      relation,
      `Cannot build ${relation}: it returns a column "${DELETED_AT}", which hard_deletes: invalidate keeps for itself (the time a row went missing from the model): rename it`,
    );
  }
}

/**
 * Refuses rows of `from` that share a `unique_key`: a merge or a
 * delete+insert by a key that is not unique would keep or replace rows by
 * chance. Where a NULL matches nothing (`nullKeys: never`), rows with a
 * NULL in their key match no other and are left out.
 */
async function checkUnique(s: Session, model: IncrementalModel, from: string): Promise<void> {
  const keys = model.parts.keys.map(quoteIdent);
  const where = model.parts.nullKeys === "never"
    ? ` WHERE ${keys.map((k) => `${k} IS NOT NULL`).join(" AND ")}`
    : "";
  const rows = await s.query(
    `SELECT ${
      keys.join(", ")
    }, count(*)::DOUBLE AS __wharf_n FROM ${from}${where} GROUP BY ALL HAVING count(*) > 1 ORDER BY __wharf_n DESC, ${
      keys.join(", ")
    } LIMIT 3`,
  );
  if (rows.length === 0) return;
  const examples = rows.map((r) =>
    `${model.parts.keys.map((k) => `${k} = ${JSON.stringify(r[k])}`).join(", ")} (${
      Number(r.__wharf_n)
    } rows)`
  );
  throw new ModelError(
    model.relation,
    `Cannot build ${model.relation}: its unique_key (${
      model.parts.keys.join(", ")
    }) is not unique in the model's rows: ${
      examples.join("; ")
    }: nothing was changed; make the key unique in the model, or give it a "watermark" column to keep the row with the highest`,
  );
}

/**
 * The columns of an empty table standing in for the model's own relation
 * on its first build: those of the relations it reads (an ephemeral
 * model's: those of its SELECT), the first of each name.
 */
async function standIn(s: Session, reads: IncrementalParts["reads"]): Promise<string> {
  const stored = reads.filter((r) => r.select === undefined).map((r) => r.relation);
  const rows = stored.length
    ? await s.query(
      `SELECT * FROM (SELECT ${
        relationIdSql("table_catalog", "table_schema", "table_name")
      } AS relation, column_name, data_type, ordinal_position FROM information_schema.columns) WHERE relation IN (${
        stored.map(quoteLiteral).join(", ")
      }) ORDER BY ordinal_position`,
    )
    : [];
  const seen = new Set<string>();
  const columns: string[] = [];
  for (const read of reads) {
    const found = read.select === undefined
      ? rows.filter((r) => r.relation === read.relation).map((r) => ({
        name: String(r.column_name),
        type: String(r.data_type),
      }))
      : await describeColumns(s, `SELECT * FROM (\n${read.select}\n)`);
    for (const { name, type } of found) {
      if (seen.has(name.toLowerCase())) continue;
      seen.add(name.toLowerCase());
      columns.push(`${quoteIdent(name)} ${type}`);
    }
  }
  return columns.length ? columns.join(", ") : "__wharf_none INTEGER";
}

/**
 * Creates the model's table from all its rows (`empty`: with none), in the
 * caller's transaction: its first build, or a full refresh. A model that
 * reads itself reads an empty table: one with the columns of what it reads
 * while its own columns are found, then its own. A view where the table
 * goes (`existing`: the model was a view before) is dropped first, in the
 * same transaction, so a failing build keeps it.
 */
export async function createTable(
  s: Session,
  model: IncrementalModel,
  options: { empty?: boolean; existing?: RelationKind } = {},
): Promise<void> {
  const { relation, parts } = model;
  const target = targetOf(relation);
  if (options.existing === "VIEW") await s.exec(`DROP VIEW ${target}`);
  if (parts.contract) {
    // The table comes from the contract (it also stands in for a model that reads itself).
    await s.exec(createContractTableSql(target, parts.contract));
    await checkContract(s, relation, rowsSql(model), parts.contract);
    if (!options.empty) await s.exec(insertContractSql(target, rowsSql(model), parts.contract));
  } else if (parts.readsItself) {
    await s.exec(`DROP TABLE IF EXISTS ${target}`);
    try {
      await s.exec(`CREATE TABLE ${target} (${await standIn(s, parts.reads)})`);
      await s.exec(`CREATE OR REPLACE TABLE ${target} AS\n${rowsSql(model)}\nLIMIT 0`);
    } catch (err) {
      throw new ModelError(
        relation,
        `Cannot build ${relation} for the first time: it reads itself, and until it exists wharf gives that read an empty table with the columns of the relations it reads (${
          parts.reads.map((r) => r.relation).join(", ") || "none"
        }), which DuckDB could not run: ${
          err instanceof Error ? err.message : String(err)
        }\n(read from ${relation} only columns those relations have too, such as the one that orders new rows)`,
        { cause: err },
      );
    }
    if (!options.empty) await s.exec(`INSERT INTO ${target} BY NAME\n${rowsSql(model)}`);
  } else {
    await s.exec(
      `CREATE OR REPLACE TABLE ${target} AS\n${rowsSql(model)}${options.empty ? "\nLIMIT 0" : ""}`,
    );
  }
  checkModelColumns(model, await describeColumns(s, target));
  if (parts.merge?.hardDeletes === "invalidate") {
    await s.exec(`ALTER TABLE ${target} ADD COLUMN ${quoteIdent(DELETED_AT)} TIMESTAMPTZ`);
  }
  if (parts.keys.length && !parts.watermark) await checkUnique(s, model, target);
}

/** The new rows of a later run, staged, and the columns to write. */
export interface Step {
  /** The temporary table holding them. */
  staged: string;
  /** The model's columns to write. */
  columns: string[];
  /** What `on_schema_change` did or left out, for the build's message. */
  notes: string[];
}

/**
 * Stages the rows of a later run (those matching `where`, besides the
 * watermark's) and settles the table's columns by `on_schema_change`, in
 * the caller's transaction.
 *
 * @throws {ModelError} when the columns differ under `fail`, a configured
 * column is missing, or a unique key repeats.
 */
export async function stageNewRows(
  s: Session,
  model: IncrementalModel,
  where: readonly string[] = [],
): Promise<Step> {
  const { relation, parts } = model;
  const target = targetOf(relation);
  const staged = stagedOf(relation);
  await s.exec(
    `CREATE OR REPLACE TEMP TABLE ${staged} AS\n${rowsSql(model, { later: true, where })}`,
  );
  if (parts.contract) await checkContract(s, relation, `SELECT * FROM ${staged}`, parts.contract);
  const columns = await describeColumns(s, staged);
  checkModelColumns(model, columns);
  const sets = {
    model: columns,
    table: await describeColumns(s, target),
    reserved: parts.merge?.hardDeletes === "invalidate" ? [DELETED_AT] : [],
  };
  const plan = planSchemaChange(parts.onSchemaChange, target, sets, parts.strategy);
  if (!plan) {
    throw new ModelError(
      relation,
      `The columns of ${relation} changed (on_schema_change: fail): ${
        describeDiff(diffColumns(sets))
      }: nothing was changed; rebuild it with --full-refresh, or set on_schema_change to append_new_columns or sync_all_columns`,
    );
  }
  for (const statement of plan.statements) await s.exec(statement);
  for (const k of parts.keys) {
    if (!plan.write.some((c) => c.toLowerCase() === k.toLowerCase())) {
      throw new ModelError(
        relation,
        `Cannot build ${relation}: its unique_key column "${k}" is not in the table (on_schema_change: ${parts.onSchemaChange}): rebuild it with --full-refresh`,
      );
    }
  }
  if (parts.keys.length && !parts.watermark) await checkUnique(s, model, staged);
  const notes = plan.notes.length
    ? [`${plan.notes.join(", ")} (on_schema_change: ${parts.onSchemaChange})`]
    : [];
  return { staged, columns: plan.write, notes };
}

/** Writes a later run's staged rows into the table; returns what it did, for the build's message. */
export type Apply = (s: Session, model: IncrementalModel, step: Step) => Promise<string>;

/**
 * The build of a strategy that writes a later run's rows in one step:
 * the first build (or a full refresh) creates the table from all the
 * model's rows; a later run stages the new ones, settles the columns and
 * `apply`s them, all in one transaction.
 */
export async function buildInOneStep(
  wh: Warehouse,
  model: IncrementalModel,
  context: BuildContext,
  apply: Apply,
): Promise<BuildOutcome> {
  const { relation } = model;
  const existing = await wh.withConnection((s) => relationKind(s, relation));
  if (context.fullRefresh || existing !== "TABLE") {
    return await inBuild(wh, false, async (s) => {
      await createTable(s, model, { existing });
      return { rows: await countRows(s, relation), message: "full build" };
    });
  }
  try {
    return await inBuild(wh, true, async (s) => {
      const step = await stageNewRows(s, model);
      const did = await apply(s, model, step);
      await s.exec(`DROP TABLE ${step.staged}`);
      return { rows: await countRows(s, relation), message: [did, ...step.notes].join("; ") };
    });
  } catch (err) {
    if (err instanceof WharfError) throw err;
    throw new ModelError(
      relation,
      `${
        err instanceof Error ? err.message : String(err)
      }\n(nothing was changed: fix the model, or run with --full-refresh to rebuild ${relation} from everything)`,
      { cause: err },
    );
  }
}

/**
 * `--empty` on a table already built (and no `--full-refresh`): a later
 * run staged as usual (its SQL, columns, `on_schema_change` and contract
 * checked on no row) in a transaction rolled back, so the table keeps every
 * row and column: merged as usual, no row would be new, but `hard_deletes`
 * would take every row as gone and microbatch would empty its latest
 * batches.
 */
export async function checkEmptyRun(
  wh: Warehouse,
  model: IncrementalModel,
): Promise<BuildOutcome> {
  const { relation } = model;
  try {
    return await wh.withConnection(async (s) => {
      await s.exec(`SET VARIABLE ${IS_INCREMENTAL} = true`);
      try {
        return await rolledBack(s, async (s) => {
          const rows = await countRows(s, relation);
          const step = await stageNewRows(s, model);
          return {
            rows,
            message: [
              "--empty: left as it was (a later run checked on no row, then rolled back)",
              ...step.notes.map((n) => `not applied: ${n}`),
            ].join("; "),
          };
        });
      } finally {
        await s.exec(`RESET VARIABLE ${IS_INCREMENTAL}`);
      }
    });
  } catch (err) {
    if (err instanceof WharfError) throw err;
    throw new ModelError(
      relation,
      `${err instanceof Error ? err.message : String(err)}\n(--empty: nothing was changed)`,
      { cause: err },
    );
  }
}

/** Comments and statements of a first build, for `wharf compile`. */
export function firstBuildScript(model: IncrementalModel): string {
  const { relation, parts } = model;
  const target = targetOf(relation);
  const lines = [
    parts.firstSelect === undefined
      ? "-- first build or --full-refresh: wharf_is_incremental() is false"
      : "-- first build or --full-refresh: the SQL rendered with is_incremental() false, alone",
  ];
  if (parts.contract) {
    lines.push(
      "-- in one transaction, once the SELECT's columns match the contract:",
      `${createContractTableSql(target, parts.contract)};`,
      `${insertContractSql(target, rowsSql(model), parts.contract)};`,
    );
  } else if (parts.readsItself) {
    lines.push(
      `-- it reads itself: ${relation} is created empty first (with the columns of ${
        parts.reads.map((r) => r.relation).join(", ") || "nothing"
      }, then its own)`,
      `CREATE OR REPLACE TABLE ${target} AS\n${rowsSql(model)}\nLIMIT 0;`,
      `INSERT INTO ${target} BY NAME\n${rowsSql(model)};`,
    );
  } else {
    lines.push(`CREATE OR REPLACE TABLE ${target} AS\n${rowsSql(model)};`);
  }
  if (parts.merge?.hardDeletes === "invalidate") {
    lines.push(`ALTER TABLE ${target} ADD COLUMN ${quoteIdent(DELETED_AT)} TIMESTAMPTZ;`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Comments and statements of a later run that stages rows (matching
 * `where`) and writes them with `statements`, for `wharf compile`.
 */
export function laterRunScript(
  model: IncrementalModel,
  title: string,
  statements: readonly string[],
  where: readonly string[] = [],
): string {
  const staged = stagedOf(model.relation);
  return [
    `-- ${title}`,
    `CREATE OR REPLACE TEMP TABLE ${staged} AS\n${rowsSql(model, { later: true, where })};`,
    `-- the model's columns against the table's: on_schema_change ${model.parts.onSchemaChange}; the statements list the columns written`,
    ...statements.map((st) => `${st};`),
    `DROP TABLE ${staged};`,
  ].join("\n") + "\n";
}
