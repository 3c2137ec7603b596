/**
 * `snapshot`: the materialization of the files of `snapshots/`, slowly
 * changing dimensions of type 2 as dbt builds them (see `snapshot_sql.ts`
 * for what a run writes). Each run is one transaction: killed or failed, it
 * leaves the table as the last complete run left it, one current row per
 * key. A snapshot keeps history that its source no longer has, so
 * `--full-refresh` does not rebuild it.
 *
 * @module
 */
import { relationKind } from "../db/relation_kind.ts";
import { quoteIdent, quoteRelation, quoteRelationId } from "../db/sql.ts";
import { rolledBack, type Session } from "../db/warehouse.ts";
import { ModelError } from "../errors.ts";
import { flag, list, mapping, oneOf, text } from "../yaml/yaml_schema.ts";
import { describeColumns, findColumn } from "./incremental_strategies/steps.ts";
import type { Column } from "./incremental_strategies/on_schema_change.ts";
import { type ConfigProblem, defineMaterialization } from "./materialization.ts";
import {
  firstBuildSql,
  laterRunSql,
  META_COLUMN_KEYS,
  runTime,
  SCD_COLUMNS,
  SNAPSHOT_HARD_DELETES,
  SNAPSHOT_STRATEGIES,
  type SnapshotColumns,
  type SnapshotParts,
  snapshotParts,
  type SnapshotRun,
  snapshotTables,
} from "./snapshot_sql.ts";
import { z } from "../zod.ts";

/** A snapshot's own config keys (beside `unique_key`, `tags` and `enabled`), as read. */
const snapshotConfig = mapping("a snapshot's config", {
  strategy: oneOf(SNAPSHOT_STRATEGIES).optional(),
  updated_at: text("a column name").optional(),
  check_cols: z.union([
    z.literal("all"),
    list(text("a column name"), 'a list of column names or "all"'),
  ], { error: () => 'expected a list of column names or "all"' }).optional(),
  hard_deletes: oneOf(SNAPSHOT_HARD_DELETES).optional(),
  invalidate_hard_deletes: flag().optional(),
  dbt_valid_to_current: text("a SQL expression").optional(),
  snapshot_meta_column_names: mapping(
    "snapshot_meta_column_names",
    Object.fromEntries(
      Object.keys(META_COLUMN_KEYS).map((k) => [k, text("a column name").optional()]),
    ),
  ).optional(),
  schema: text("a schema name").optional(),
  target_schema: text("a schema name").optional(),
});

/** The schema a snapshot is built in when its config names none (plain-SQL projects). */
export const DEFAULT_SNAPSHOT_SCHEMA = "snapshots";

/** The schema a snapshot's config names (`schema`, or dbt's older `target_schema`), if any. */
export function snapshotSchema(options: Readonly<Record<string, unknown>>): string | undefined {
  const named = options.schema ?? options.target_schema;
  return typeof named === "string" ? named.toLowerCase() : undefined;
}

/**
 * The names of the columns a snapshot adds: dbt's, each renamed by
 * `snapshot_meta_column_names` when it names one.
 */
export function metaColumns(
  names: Readonly<Record<string, string | undefined>> | undefined,
): SnapshotColumns {
  const out = { ...SCD_COLUMNS };
  for (const [key, value] of Object.entries(names ?? {})) {
    if (value !== undefined) out[META_COLUMN_KEYS[key]!] = value;
  }
  return out;
}

/** Checks the SELECT's columns hold what the config names, and none of the columns wharf adds. */
function checkColumns(relation: string, parts: SnapshotParts, columns: readonly Column[]): void {
  const added = Object.values(parts.columns).map((name) => name.toLowerCase());
  const own = columns.find((col) => added.includes(col.name.toLowerCase()));
  if (own) {
    throw new ModelError(
      relation,
      `Cannot snapshot ${relation}: its SELECT returns a column "${own.name}", which the snapshot adds itself (${
        Object.values(parts.columns).join(", ")
      }): rename it`,
    );
  }
  for (const k of parts.keys) findColumn(relation, columns, k, "unique_key column");
  if (parts.updatedAt) findColumn(relation, columns, parts.updatedAt, "updated_at column");
  if (Array.isArray(parts.checkCols)) {
    for (const col of parts.checkCols) findColumn(relation, columns, col, "check_cols column");
  }
}

/** Refuses rows whose key is NULL or shared: a snapshot keeps one current version per key. */
async function checkKeys(
  s: Session,
  relation: string,
  parts: SnapshotParts,
  source: string,
): Promise<void> {
  const keys = parts.keys.map(quoteIdent);
  const [nulls] = await s.query(
    `SELECT count(*)::DOUBLE AS n FROM ${source} WHERE ${
      keys.map((k) => `${k} IS NULL`).join(" OR ")
    }`,
  );
  if (Number(nulls!.n) > 0) {
    throw new ModelError(
      relation,
      `Cannot snapshot ${relation}: ${
        Number(nulls!.n)
      } row(s) of its SELECT have a NULL unique_key (${
        parts.keys.join(", ")
      }): nothing was changed; filter them out, or key the snapshot on columns that are never NULL`,
    );
  }
  const shared = await s.query(
    `SELECT ${keys.join(", ")}, count(*)::DOUBLE AS __wharf_n FROM ${source} GROUP BY ALL
     HAVING count(*) > 1 ORDER BY __wharf_n DESC, ${keys.join(", ")} LIMIT 3`,
  );
  if (shared.length) {
    throw new ModelError(
      relation,
      `Cannot snapshot ${relation}: its unique_key (${
        parts.keys.join(", ")
      }) is not unique in its SELECT's rows: ${
        shared.map((r) =>
          `${parts.keys.map((k) => `${k} = ${JSON.stringify(r[k])}`).join(", ")} (${
            Number(r.__wharf_n)
          } rows)`
        ).join("; ")
      }: nothing was changed; select one row per key (e.g. the latest)`,
    );
  }
}

/** Counts of a later run, from its staged tables. */
async function runCounts(
  s: Session,
  tables: ReturnType<typeof snapshotTables>,
): Promise<{ source: number; inserted: number; changed: number; deleted: number }> {
  const [r] = await s.query(
    `SELECT (SELECT count(*) FROM ${tables.source})::DOUBLE AS source,
            (SELECT count(*) FROM ${tables.inserts})::DOUBLE AS inserted,
            (SELECT count(*) FILTER (WHERE why = 'changed') FROM ${tables.closes})::DOUBLE AS changed,
            (SELECT count(*) FILTER (WHERE why = 'deleted') FROM ${tables.closes})::DOUBLE AS deleted`,
  );
  return {
    source: Number(r!.source),
    inserted: Number(r!.inserted),
    changed: Number(r!.changed),
    deleted: Number(r!.deleted),
  };
}

/** A later run: new versions, closed rows and deletions written into the existing table. */
async function laterRun(
  s: Session,
  relation: string,
  parts: SnapshotParts,
  tables: ReturnType<typeof snapshotTables>,
  source: readonly Column[],
): Promise<string> {
  let table = await describeColumns(s, `SELECT * FROM ${tables.target}`);
  const has = (name: string) => table.some((col) => col.name.toLowerCase() === name.toLowerCase());
  const names = parts.columns;
  const lacking = Object.values(names).filter((name) => name !== names.isDeleted && !has(name));
  if (lacking.length) {
    throw new ModelError(
      relation,
      `Cannot snapshot ${relation}: the table there lacks ${
        lacking.join(", ")
      }, so no snapshot built it: drop it or rename the snapshot`,
    );
  }
  const added = source.filter((col) => !has(col.name.toLowerCase()));
  let checkCols: string[] | undefined;
  let columnAdded = false;
  if (parts.strategy === "check") {
    const wanted = parts.checkCols === "all"
      ? source
      : (parts.checkCols ?? []).map((col) =>
        findColumn(relation, source, col, "check_cols column")
      );
    checkCols = wanted.filter((col) => has(col.name.toLowerCase())).map((col) => col.name);
    columnAdded = wanted.length > checkCols.length;
  }
  // New columns of the SELECT join the table (NULL in older versions), as in dbt.
  for (const col of added) {
    await s.exec(`ALTER TABLE ${tables.target} ADD COLUMN ${quoteIdent(col.name)} ${col.type}`);
  }
  if (parts.hardDeletes === "new_record" && !has(names.isDeleted)) {
    await s.exec(
      `ALTER TABLE ${tables.target} ADD COLUMN ${quoteIdent(names.isDeleted)} VARCHAR`,
    );
  }
  table = await describeColumns(s, `SELECT * FROM ${tables.target}`);
  const validTo = table.find((col) => col.name.toLowerCase() === names.validTo.toLowerCase())!;
  const run: SnapshotRun = { now: runTime(validTo.type), checkCols, columnAdded };
  for (const statement of laterRunSql(parts, tables, run)) await s.exec(statement);
  const n = await runCounts(s, tables);
  const notes = [
    `${n.inserted - n.changed} new`,
    `${n.changed} changed`,
    ...(parts.hardDeletes === "ignore" ? [] : [`${n.deleted} deleted`]),
    `${n.source - n.inserted} unchanged`,
  ];
  if (added.length) {
    notes.push(
      `new column${added.length === 1 ? "" : "s"} ${added.map((col) => col.name).join(", ")}`,
    );
  }
  for (const t of [tables.inserts, tables.closes, tables.deletions]) {
    await s.exec(`DROP TABLE IF EXISTS ${t}`);
  }
  return `snapshot: ${notes.join(", ")}`;
}

/** One run of a snapshot, in the caller's transaction: its first build, or a later run. */
async function takeSnapshot(
  s: Session,
  relation: string,
  parts: SnapshotParts,
): Promise<{ rows: number; message: string }> {
  const target = quoteRelationId(relation);
  const tables = snapshotTables(relation, target);
  await s.exec(
    `CREATE OR REPLACE TEMP TABLE ${tables.source} AS SELECT * FROM (\n${parts.select}\n) AS s`,
  );
  const source = await describeColumns(s, `SELECT * FROM ${tables.source}`);
  checkColumns(relation, parts, source);
  await checkKeys(s, relation, parts, tables.source);
  const kind = await relationKind(s, relation);
  // A view there (a model of that name before) holds no history: the first build replaces it.
  if (kind === "VIEW") await s.exec(`DROP VIEW ${target}`);
  let outcome: { rows: number; message: string };
  if (kind !== "TABLE") {
    const rows = await s.count(
      `CREATE TABLE ${target} AS\n${
        firstBuildSql({ ...parts, select: `SELECT * FROM ${tables.source}` }, {
          now: runTime(),
        })
      }`,
    );
    outcome = { rows, message: `snapshot: first build, ${rows} current rows` };
  } else {
    const message = await laterRun(s, relation, parts, tables, source);
    const [total] = await s.query(`SELECT count(*)::DOUBLE AS n FROM ${target}`);
    outcome = { rows: Number(total!.n), message };
  }
  await s.exec(`DROP TABLE ${tables.source}`);
  return outcome;
}

/** The `snapshot` materialization. */
export const snapshot = defineMaterialization({
  name: "snapshot",
  snapshot: true,
  config: snapshotConfig,
  problems: (config, model) => {
    const problems: ConfigProblem[] = [];
    if (model.uniqueKey.length === 0) {
      problems.push({
        key: "unique_key",
        message:
          "a snapshot needs a unique_key (a column or a list): the identity whose versions it keeps",
      });
    }
    if (!config.strategy) {
      problems.push({
        key: "strategy",
        message:
          'a snapshot needs a strategy: "timestamp" (with updated_at: the column that says when a row changed) or "check" (with check_cols: the columns compared, or "all")',
      });
    }
    if (config.strategy === "timestamp" && !config.updated_at) {
      problems.push({
        key: "strategy",
        message:
          'the timestamp strategy needs "updated_at": the column that says when a row changed',
      });
    }
    if (config.strategy === "check" && config.check_cols === undefined) {
      problems.push({
        key: "strategy",
        message: 'the check strategy needs "check_cols": a list of the columns compared, or "all"',
      });
    }
    if (config.strategy === "timestamp" && config.check_cols !== undefined) {
      problems.push({
        key: "check_cols",
        message: '"check_cols" applies to the check strategy only (this snapshot\'s is timestamp)',
      });
    }
    if (config.hard_deletes !== undefined && config.invalidate_hard_deletes !== undefined) {
      problems.push({
        key: "invalidate_hard_deletes",
        message:
          'give "hard_deletes" or the older "invalidate_hard_deletes", not both (invalidate_hard_deletes: true is hard_deletes: invalidate)',
      });
    }
    const named = Object.values(metaColumns(config.snapshot_meta_column_names))
      .map((n) => n.toLowerCase());
    const twice = named.find((n, i) => named.indexOf(n) !== i);
    if (twice !== undefined) {
      problems.push({
        key: "snapshot_meta_column_names",
        message:
          `"${twice}" names two of the snapshot's columns: give each of dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to and dbt_is_deleted its own name`,
      });
    }
    if (config.schema !== undefined && config.target_schema !== undefined) {
      problems.push({
        key: "target_schema",
        message: 'give "schema" or the older "target_schema", not both',
      });
    }
    return problems;
  },
  parts: snapshotParts,
  compile: ({ model, select, config }) => {
    const parts: SnapshotParts = {
      select,
      keys: model.config.uniqueKey,
      strategy: config.strategy ?? "timestamp",
      updatedAt: config.updated_at,
      checkCols: config.check_cols,
      hardDeletes: config.hard_deletes ??
        (config.invalidate_hard_deletes ? "invalidate" : "ignore"),
      validToCurrent: config.dbt_valid_to_current,
      columns: metaColumns(config.snapshot_meta_column_names),
    };
    const target = quoteRelation(model.layer, model.name, model.catalog);
    const tables = snapshotTables(model.id, target);
    const sql = `CREATE TABLE ${target} AS\n${firstBuildSql(parts, { now: runTime() })}`;
    const later = laterRunSql(parts, tables, {
      now: runTime(),
      ...(parts.strategy === "check"
        ? { checkCols: parts.checkCols === "all" ? undefined : parts.checkCols }
        : {}),
    });
    const script = [
      `-- first build: every row of the SELECT, current`,
      `${sql};`,
      ``,
      `-- later runs, in one transaction: the SELECT's rows staged, then`,
      `CREATE TEMP TABLE ${tables.source} AS SELECT * FROM (\n${select}\n) AS s;`,
      ...later.map((s) => `${s};`),
      ``,
    ].join("\n");
    return { sql, script, parts };
  },
  build: async (wh, { relation, parts }, context) => {
    // --empty on a snapshot taken before: its SELECT gives no row, so a run would take every key
    // as gone (hard_deletes would close every current version). It runs to check the SQL and
    // columns, and is rolled back: the history is left as it was.
    if (context.empty && await wh.withConnection((s) => relationKind(s, relation)) === "TABLE") {
      return await wh.withConnection((s) =>
        rolledBack(s, async (s) => {
          const [total] = await s.query(
            `SELECT count(*)::DOUBLE AS n FROM ${quoteRelationId(relation)}`,
          );
          await takeSnapshot(s, relation, parts);
          return {
            rows: Number(total!.n),
            message: "--empty: history left as it was (a run checked on no row, then rolled back)",
          };
        })
      );
    }
    // One transaction: a run killed or failing anywhere leaves the table as it was.
    return await wh.transaction((s) => takeSnapshot(s, relation, parts));
  },
});
