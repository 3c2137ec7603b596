/**
 * The landed answers: the rows of the model `serve.coalesce` names (one per
 * key and source), read from a warehouse snapshot into a map from key to its
 * sources' figures, so an answer from landed data costs no query. With
 * `serve.coalesce.rejected`, a source whose figures for a key were rejected
 * (a row there, none in the model) is in the map too, as that source's
 * error naming the checks.
 *
 * @module
 */
import type { Warehouse } from "../engine/db/warehouse.ts";
import { quoteIdent } from "../engine/db/sql.ts";
import { ConfigError } from "../engine/errors.ts";
import { coalesceColumns, type CoalesceSpec, type RejectedSpec } from "./coalesce_config.ts";
import { closest } from "../engine/suggest.ts";
import { type Figures, MAX_AMOUNT } from "./strategies.ts";

/** One source's landed figures for a key, or why it has none to use. */
export type LandedAnswer =
  | {
    source: string;
    values: Figures;
    /** When the figures hold, as text (`serve.coalesce.asOf`), when the model has that column. */
    asOf?: string | null;
    error?: undefined;
  }
  | {
    source: string;
    /** The model's figures, when it has a row that cannot be used. */
    values?: Figures;
    asOf?: string | null;
    /**
     * Why the source has no figures to use: a value that is not an integer
     * amount within bounds, or figures rejected (`serve.coalesce.rejected`).
     */
    error: string;
    /** The reasons (check names) its figures were rejected for, when they were. */
    rejected?: readonly string[];
  };

/** Key (as text) → the landed answers of its sources. */
export type LandedIndex = Map<string, LandedAnswer[]>;

/**
 * The tables and views of `db`'s own database, as `schema.name`: where
 * `serve.coalesce.model` may be before the project builds it.
 */
export async function warehouseRelations(db: Warehouse): Promise<string[]> {
  const rows = await db.query(
    "SELECT table_schema || '.' || table_name AS id FROM information_schema.tables WHERE table_catalog = current_database() ORDER BY 1",
  );
  return rows.map((r) => String(r.id));
}

/** SQL: true when `column` holds an integer amount from 0 to {@linkcode MAX_AMOUNT}. */
function validAmount(column: string): string {
  const v = `try_cast(${column} AS DOUBLE)`;
  return `coalesce(${v} BETWEEN 0 AND ${MAX_AMOUNT} AND ${v} = floor(${v}), false)`;
}

/** The columns of `relation` (`schema.name`) in `db`'s own database, with their types; none when it is absent. */
async function columnsOf(
  db: Warehouse,
  relation: string,
): Promise<{ name: string; type: string }[]> {
  const [schema, name] = relation.split(".");
  const rows = await db.query(
    `SELECT column_name, data_type FROM information_schema.columns
     WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?
     ORDER BY ordinal_position`,
    [schema!, name!],
  );
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.data_type) }));
}

/**
 * Refuses a relation lacking columns of `roles` (`[role, column]`), naming
 * each with the closest it has: the message names the `setting` and ends
 * with the `fix`.
 */
function requireColumns(
  relation: string,
  has: readonly string[],
  roles: [role: string, column: string][],
  setting: string,
  fix: string,
): void {
  const lower = new Set(has.map((c) => c.toLowerCase()));
  const missing = roles.filter(([, c]) => !lower.has(c.toLowerCase()));
  if (missing.length === 0) return;
  throw new ConfigError(
    `${setting} names ${missing.length === 1 ? "a column" : "columns"} ${relation} lacks: ${
      missing.map(([role, c]) => {
        const guess = closest(c, has);
        return `${role} "${c}"${guess ? ` (did you mean "${guess}"?)` : ""}`;
      }).join(", ")
    }; it has ${has.join(", ")} (${fix})`,
    { location: { file: "wharf.config.ts" } },
  );
}

/**
 * Loads the model `spec` names into a map, if the model exists in `db`
 * (empty when it is not built yet). The key and source are read as text. A
 * row whose figures are not integer amounts within bounds (or are NULL) is
 * kept with an `error`, so the answer names that source as failed instead of
 * using it; a row without a key is left out. With `spec.rejected`, a key and
 * source with rows there and none in the model are added as that source's
 * error, with the reasons.
 *
 * @throws {ConfigError} when the model lacks a column `spec` names; when the
 * model is built but `spec.rejected`'s relation is not, or lacks a column.
 */
export async function loadLanded(db: Warehouse, spec: CoalesceSpec): Promise<LandedIndex> {
  const map: LandedIndex = new Map();
  const columns = await columnsOf(db, spec.model);
  if (columns.length === 0) return map;
  const has = columns.map((c) => c.name);
  requireColumns(
    spec.model,
    has,
    coalesceColumns(spec),
    "serve.coalesce",
    "fix serve.coalesce in wharf.config.ts, or the model",
  );
  const q = spec.fields.map(quoteIdent);
  // Fields by position (f0, f1, …): a field may be called anything, even "valid".
  const c = await db.columns(
    `SELECT ${quoteIdent(spec.key)}::VARCHAR AS k, ${quoteIdent(spec.source)}::VARCHAR AS s, ${
      spec.asOf ? `${quoteIdent(spec.asOf)}::VARCHAR` : "NULL::VARCHAR"
    } AS a, ${q.map((f, i) => `try_cast(${f} AS DOUBLE) AS f${i}`).join(", ")}, ${
      q.map(validAmount).join(" AND ")
    } AS valid, ${
      q.map((f, i) =>
        `CASE WHEN NOT ${validAmount(f)} THEN coalesce(${f}::VARCHAR, 'NULL') END AS x${i}`
      )
        .join(", ")
    }
    FROM ${spec.model.split(".").map(quoteIdent).join(".")} WHERE ${
      quoteIdent(spec.key)
    } IS NOT NULL`,
  );
  const keys = c.k as string[];
  const fieldValues = spec.fields.map((_, i) => c[`f${i}`]!);
  const invalid = spec.fields.map((_, i) => c[`x${i}`]!);
  for (let i = 0; i < keys.length; i++) {
    const values: Figures = {};
    for (let f = 0; f < spec.fields.length; f++) {
      values[spec.fields[f]!] = Number(fieldValues[f]![i]);
    }
    const source = String(c.s![i]);
    let entry: LandedAnswer;
    if (c.valid![i]) entry = { source, values };
    else {
      const bad = spec.fields.flatMap((f, j) => {
        const v = invalid[j]![i];
        return v === null || v === undefined ? [] : [`${f} ${v}`];
      });
      entry = {
        source,
        values,
        error: `landed value out of range: ${
          bad.join(", ")
        } (expected integer amounts from 0 to ${MAX_AMOUNT})`,
      };
    }
    if (spec.asOf) entry.asOf = (c.a![i] as string | null) ?? null;
    const list = map.get(keys[i]!);
    if (list) list.push(entry);
    else map.set(keys[i]!, [entry]);
  }
  if (spec.rejected) await addRejected(db, spec.model, spec.rejected, map);
  return map;
}

/**
 * Adds to `map` each key and source with rows in `rejected.relation` and no
 * figures in the model: that source's error, with its reasons (distinct,
 * sorted; a list column gives each element, any other column its text).
 */
async function addRejected(
  db: Warehouse,
  model: string,
  rejected: RejectedSpec,
  map: LandedIndex,
): Promise<void> {
  const { relation } = rejected;
  const columns = await columnsOf(db, relation);
  if (columns.length === 0) {
    throw new ConfigError(
      `serve.coalesce.rejected names ${relation}, which the warehouse lacks while it has ${model}: build the model whose rejected rows it holds (wharf build), or remove serve.coalesce.rejected from wharf.config.ts`,
      { location: { file: "wharf.config.ts" } },
    );
  }
  requireColumns(
    relation,
    columns.map((c) => c.name),
    [["key", rejected.key], ["source", rejected.source], ["reason", rejected.reason]],
    "serve.coalesce.rejected",
    "fix serve.coalesce.rejected in wharf.config.ts",
  );
  const reasonType = columns.find((c) => c.name.toLowerCase() === rejected.reason.toLowerCase())!
    .type;
  const reason = quoteIdent(rejected.reason);
  const reasons = reasonType.endsWith("[]")
    ? `coalesce(list_filter(${reason}::VARCHAR[], x -> x IS NOT NULL), [])`
    : `CASE WHEN ${reason} IS NULL THEN []::VARCHAR[] ELSE [${reason}::VARCHAR] END`;
  const key = quoteIdent(rejected.key);
  const rows = await db.query(
    `SELECT k, s, list_sort(list_distinct(flatten(list(r)))) AS r FROM (
       SELECT ${key}::VARCHAR AS k, ${quoteIdent(rejected.source)}::VARCHAR AS s, ${reasons} AS r
       FROM ${relation.split(".").map(quoteIdent).join(".")} WHERE ${key} IS NOT NULL
     ) GROUP BY k, s ORDER BY k, s`,
  );
  for (const row of rows) {
    const k = String(row.k);
    const source = String(row.s);
    const list = map.get(k);
    if (list?.some((l) => l.source === source)) continue;
    const why = (row.r as string[]).map(String);
    const entry: LandedAnswer = {
      source,
      error: `figures rejected${why.length ? `: ${why.join(", ")}` : ""}; see ${relation}`,
      rejected: why,
    };
    if (list) list.push(entry);
    else map.set(k, [entry]);
  }
}
