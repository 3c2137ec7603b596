/**
 * The SQL of a snapshot (a slowly changing dimension of type 2), with dbt's
 * semantics and columns: a first build copies every row of the snapshot's
 * SELECT with `dbt_scd_id`, `dbt_updated_at`, `dbt_valid_from` and
 * `dbt_valid_to` (NULL, or `dbt_valid_to_current`: the row is current); a
 * later run closes the current row of each key that changed (its
 * `dbt_valid_to` becomes the new version's time) and inserts the new
 * version, and with `hard_deletes` closes (`invalidate`) or closes and
 * records as deleted (`new_record`, with `dbt_is_deleted` `'True'`) the
 * current rows whose key the SELECT no longer returns. What changed is
 * decided by `strategy`: `timestamp` (the `updated_at` column is later than
 * the current row's `dbt_valid_from`) or `check` (a `check_cols` column
 * differs, NULL included).
 *
 * Pure: plain text from plain data; `snapshot.ts` runs it.
 *
 * @module
 */
import { z } from "../zod.ts";
import { quoteIdent } from "../db/sql.ts";
import { sameKey } from "./incremental_strategies/steps.ts";

/** What a snapshot does with a current row whose key its SELECT no longer returns. */
export const SNAPSHOT_HARD_DELETES = ["ignore", "invalidate", "new_record"] as const;

/** How a snapshot decides a row changed. */
export const SNAPSHOT_STRATEGIES = ["timestamp", "check"] as const;

/** The columns a snapshot adds to its SELECT's, as dbt names them by default. */
export const SCD_COLUMNS: SnapshotColumns = {
  scdId: "dbt_scd_id",
  updatedAt: "dbt_updated_at",
  validFrom: "dbt_valid_from",
  validTo: "dbt_valid_to",
  isDeleted: "dbt_is_deleted",
};

/** The names of the columns a snapshot adds (dbt's `snapshot_meta_column_names` renames them). */
export const snapshotColumns = z.lazy(() =>
  z.object({
    scdId: z.string(),
    updatedAt: z.string(),
    validFrom: z.string(),
    validTo: z.string(),
    isDeleted: z.string(),
  })
);

/** One of {@linkcode snapshotColumns}. */
export type SnapshotColumns = z.infer<typeof snapshotColumns>;

/** The keys of dbt's `snapshot_meta_column_names`, and the column each renames. */
export const META_COLUMN_KEYS: Readonly<Record<string, keyof SnapshotColumns>> = {
  dbt_scd_id: "scdId",
  dbt_updated_at: "updatedAt",
  dbt_valid_from: "validFrom",
  dbt_valid_to: "validTo",
  dbt_is_deleted: "isDeleted",
};

/** A compiled snapshot: plain data its build reads back. */
export const snapshotParts = z.lazy(() =>
  z.object({
    /** The snapshot's SELECT (ephemeral models inlined). */
    select: z.string(),
    /** `unique_key`: one column or several. */
    keys: z.array(z.string()),
    strategy: z.enum(SNAPSHOT_STRATEGIES),
    /** `updated_at`: the column whose time a version starts at (check: optional, else the run's time). */
    updatedAt: z.string().optional(),
    /** `check_cols`: the columns compared, or every column of the SELECT. */
    checkCols: z.union([z.literal("all"), z.array(z.string())]).optional(),
    hardDeletes: z.enum(SNAPSHOT_HARD_DELETES),
    /** `dbt_valid_to_current`: a SQL expression current rows hold in `dbt_valid_to` instead of NULL. */
    validToCurrent: z.string().optional(),
    /** The names of the columns it adds (`snapshot_meta_column_names`, else dbt's). */
    columns: snapshotColumns,
  })
);

/** One of {@linkcode snapshotParts}. */
export type SnapshotParts = z.infer<typeof snapshotParts>;

/** The temporary tables one run of a snapshot stages its work in. */
export interface SnapshotTables {
  /** The target, quoted. */
  target: string;
  /** The SELECT's rows. */
  source: string;
  /** New versions to insert. */
  inserts: string;
  /** Current rows to close: `dbt_scd_id` and their new `dbt_valid_to`. */
  closes: string;
  /** `new_record`: the rows recording a deletion. */
  deletions: string;
}

/** The temporary tables of a run of `relation` (quoted), writing into `target`. */
export function snapshotTables(relation: string, target: string): SnapshotTables {
  const base = `__wharf_snapshot_${relation.replaceAll(".", "_")}`;
  return {
    target,
    source: quoteIdent(`${base}_source`),
    inserts: quoteIdent(`${base}_inserts`),
    closes: quoteIdent(`${base}_closes`),
    deletions: quoteIdent(`${base}_deletions`),
  };
}

/** What a run's SQL needs beyond the compiled parts: facts found on the warehouse. */
export interface SnapshotRun {
  /** The run's time, of the type of `dbt_valid_to` (see {@linkcode runTime}). */
  now: string;
  /** Check strategy: the columns compared (`check_cols`, or every column of the SELECT the table has). */
  checkCols?: readonly string[];
  /** Check strategy: the SELECT has a column the table had not, so every row is a new version (as in dbt). */
  columnAdded?: boolean;
}

const c = (name: string) => quoteIdent(name);

/** The time a version starts at, over the source alias `s`. */
function updatedAtOf(parts: SnapshotParts, run: Pick<SnapshotRun, "now">, s = "s"): string {
  return parts.updatedAt ? `${s}.${c(parts.updatedAt)}` : run.now;
}

/** dbt's `dbt_scd_id`: md5 of the key's columns and the version's time, `|`-separated. */
function scdId(parts: SnapshotParts, run: Pick<SnapshotRun, "now">, s = "s"): string {
  const args = [...parts.keys.map((k) => `${s}.${c(k)}`), updatedAtOf(parts, run, s)];
  return `md5(${args.map((a) => `coalesce(CAST(${a} AS VARCHAR), '')`).join(" || '|' || ")})`;
}

/** `dbt_valid_to` of a current row: `dbt_valid_to_current`, or NULL of the version time's type. */
function currentValidTo(parts: SnapshotParts, run: Pick<SnapshotRun, "now">, s = "s"): string {
  const at = updatedAtOf(parts, run, s);
  return `coalesce(nullif(${at}, ${at}), ${parts.validToCurrent ?? "NULL"})`;
}

/** True for a current row of the table (alias `t`). */
export function isCurrent(parts: SnapshotParts, t = "t"): string {
  const validTo = `${t}.${c(parts.columns.validTo)}`;
  return parts.validToCurrent
    ? `(${validTo} IS NULL OR ${validTo} = (${parts.validToCurrent}))`
    : `${validTo} IS NULL`;
}

/** The current rows of the table, as a subquery aliased `cur`. */
function current(parts: SnapshotParts, tables: SnapshotTables): string {
  return `(SELECT * FROM ${tables.target} AS t WHERE ${isCurrent(parts)}) AS cur`;
}

/** True when the current row `cur` was recorded as deleted (`new_record`). */
function wasDeleted(parts: SnapshotParts): string {
  return `coalesce(cur.${c(parts.columns.isDeleted)} = 'True', false)`;
}

/** True when source row `s` is a new version of current row `cur`. */
function changed(parts: SnapshotParts, run: SnapshotRun): string {
  let test: string;
  if (parts.strategy === "timestamp") {
    test = `cur.${c(parts.columns.validFrom)} < s.${c(parts.updatedAt!)}`;
  } else if (run.columnAdded) test = "true";
  else {
    const cols = run.checkCols ?? ["<each check column>"];
    test = cols.map((col) => `cur.${c(col)} IS DISTINCT FROM s.${c(col)}`).join(" OR ") || "false";
  }
  return parts.hardDeletes === "new_record" ? `(${test}) OR ${wasDeleted(parts)}` : `(${test})`;
}

/** `SELECT` of a source row (alias `s`) as a new current version, with the columns wharf adds. */
function newVersion(parts: SnapshotParts, run: Pick<SnapshotRun, "now">): string {
  return [
    `SELECT s.*,`,
    `  ${scdId(parts, run)} AS ${c(parts.columns.scdId)},`,
    `  ${updatedAtOf(parts, run)} AS ${c(parts.columns.updatedAt)},`,
    `  ${updatedAtOf(parts, run)} AS ${c(parts.columns.validFrom)},`,
    `  ${currentValidTo(parts, run)} AS ${c(parts.columns.validTo)}${
      parts.hardDeletes === "new_record" ? `,\n  'False' AS ${c(parts.columns.isDeleted)}` : ""
    }`,
  ].join("\n");
}

/** The rows of a first build: every row of the SELECT, current. */
export function firstBuildSql(parts: SnapshotParts, run: Pick<SnapshotRun, "now">): string {
  return `${newVersion(parts, run)}\nFROM (\n${parts.select}\n) AS s`;
}

/** A source row's key is not in the table's current rows / a current row's key is not in the source. */
function noKeyIn(other: string, alias: string, keys: readonly string[], from: string): string {
  return `NOT EXISTS (SELECT 1 FROM ${other} AS ${alias} WHERE ${sameKey(keys, alias, from)})`;
}

/**
 * The statements of a later run, in order, all in one transaction: stage
 * the new versions, the current rows to close and (`new_record`) the
 * deletion records, all from the table as it stood; then close, then
 * insert.
 */
export function laterRunSql(
  parts: SnapshotParts,
  tables: SnapshotTables,
  run: SnapshotRun,
): string[] {
  const { keys } = parts;
  const cur = current(parts, tables);
  const deletes = parts.hardDeletes !== "ignore";
  const gone = `${noKeyIn(tables.source, "s", keys, "cur")}${
    parts.hardDeletes === "new_record" ? ` AND NOT ${wasDeleted(parts)}` : ""
  }`;
  const statements = [
    [
      `CREATE OR REPLACE TEMP TABLE ${tables.inserts} AS`,
      newVersion(parts, run),
      `FROM ${tables.source} AS s LEFT JOIN ${cur} ON ${sameKey(keys, "cur", "s")}`,
      `WHERE cur.${c(parts.columns.scdId)} IS NULL OR ${changed(parts, run)}`,
    ].join("\n"),
    [
      `CREATE OR REPLACE TEMP TABLE ${tables.closes} AS`,
      `SELECT cur.${c(parts.columns.scdId)} AS scd_id, ${
        updatedAtOf(parts, run)
      } AS valid_to, 'changed' AS why`,
      `FROM ${tables.source} AS s JOIN ${cur} ON ${sameKey(keys, "cur", "s")}`,
      `WHERE ${changed(parts, run)}`,
      ...(deletes
        ? [
          `UNION ALL`,
          `SELECT cur.${c(parts.columns.scdId)}, ${run.now}, 'deleted' FROM ${cur}`,
          `WHERE ${gone}`,
        ]
        : []),
    ].join("\n"),
  ];
  if (parts.hardDeletes === "new_record") {
    statements.push(
      [
        `CREATE OR REPLACE TEMP TABLE ${tables.deletions} AS`,
        `SELECT cur.* REPLACE (`,
        `  md5(cur.${c(parts.columns.scdId)} || '|' || CAST(${run.now} AS VARCHAR)) AS ${
          c(parts.columns.scdId)
        },`,
        `  ${run.now} AS ${c(parts.columns.updatedAt)},`,
        `  ${run.now} AS ${c(parts.columns.validFrom)},`,
        `  'True' AS ${c(parts.columns.isDeleted)}`,
        `)`,
        `FROM ${cur}`,
        `WHERE ${gone}`,
      ].join("\n"),
    );
  }
  statements.push(
    [
      `UPDATE ${tables.target} AS t SET ${c(parts.columns.validTo)} = x.valid_to`,
      `FROM ${tables.closes} AS x`,
      `WHERE t.${c(parts.columns.scdId)} = x.scd_id AND ${isCurrent(parts)}`,
    ].join("\n"),
    `INSERT INTO ${tables.target} BY NAME SELECT * FROM ${tables.inserts}`,
  );
  if (parts.hardDeletes === "new_record") {
    statements.push(`INSERT INTO ${tables.target} BY NAME SELECT * FROM ${tables.deletions}`);
  }
  return statements;
}

/**
 * The run's time as a value of DuckDB type `type`: the transaction's start
 * (DuckDB's `now()`, the same in every statement of the run), in UTC for a
 * type without a time zone.
 */
export function runTime(type = "TIMESTAMP"): string {
  if (/^(TIMESTAMP WITH TIME ZONE|TIMESTAMPTZ)$/i.test(type)) return "now()";
  const utc = "(now() AT TIME ZONE 'UTC')";
  return /^TIMESTAMP$/i.test(type) ? utc : `CAST(${utc} AS ${type})`;
}
