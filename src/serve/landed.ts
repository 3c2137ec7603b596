/**
 * The landed answers: the rows of the model `serve.coalesce` names (one per
 * key and source), read from a warehouse snapshot into a map from key to its
 * sources' figures, so an answer from landed data costs no query.
 *
 * @module
 */
import type { Warehouse } from "../engine/db/warehouse.ts";
import { quoteIdent } from "../engine/db/sql.ts";
import { ConfigError } from "../engine/errors.ts";
import { coalesceColumns, type CoalesceSpec } from "./coalesce_config.ts";
import { closest } from "../engine/suggest.ts";
import { type Figures, MAX_AMOUNT } from "./strategies.ts";

/** One source's landed figures for a key. */
export interface LandedAnswer {
  source: string;
  values: Figures;
  /** When the figures hold, as text (`serve.coalesce.asOf`), when the model has that column. */
  asOf?: string | null;
  /** Why these figures cannot be used (a value that is not an integer amount within bounds). */
  error?: string;
}

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

/**
 * Loads the model `spec` names into a map, if the model exists in `db`
 * (empty when it is not built yet). The key and source are read as text. A
 * row whose figures are not integer amounts within bounds (or are NULL) is
 * kept with an `error`, so the answer names that source as failed instead of
 * using it; a row without a key is left out.
 *
 * @throws {ConfigError} when the model lacks a column `spec` names.
 */
export async function loadLanded(db: Warehouse, spec: CoalesceSpec): Promise<LandedIndex> {
  const map: LandedIndex = new Map();
  const [schema, name] = spec.model.split(".");
  const columns = await db.query(
    `SELECT column_name FROM information_schema.columns
     WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?
     ORDER BY ordinal_position`,
    [schema!, name!],
  );
  if (columns.length === 0) return map;
  const has = columns.map((c) => String(c.column_name));
  const lower = new Set(has.map((c) => c.toLowerCase()));
  const missing = coalesceColumns(spec).filter(([, c]) => !lower.has(c.toLowerCase()));
  if (missing.length > 0) {
    throw new ConfigError(
      `serve.coalesce names ${missing.length === 1 ? "a column" : "columns"} ${spec.model} lacks: ${
        missing.map(([role, c]) => {
          const guess = closest(c, has);
          return `${role} "${c}"${guess ? ` (did you mean "${guess}"?)` : ""}`;
        }).join(", ")
      }; it has ${has.join(", ")} (fix serve.coalesce in wharf.config.ts, or the model)`,
      { location: { file: "wharf.config.ts" } },
    );
  }
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
    const entry: LandedAnswer = { source: String(c.s![i]), values };
    if (spec.asOf) entry.asOf = (c.a![i] as string | null) ?? null;
    if (!c.valid![i]) {
      const bad = spec.fields.flatMap((f, j) => {
        const v = invalid[j]![i];
        return v === null || v === undefined ? [] : [`${f} ${v}`];
      });
      entry.error = `landed value out of range: ${
        bad.join(", ")
      } (expected integer amounts from 0 to ${MAX_AMOUNT})`;
    }
    const list = map.get(keys[i]!);
    if (list) list.push(entry);
    else map.set(keys[i]!, [entry]);
  }
  return map;
}
