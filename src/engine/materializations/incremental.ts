/**
 * `incremental`: the first build (or `--full-refresh`) builds the table from
 * everything; later builds take the rows whose `watermark` is above the
 * table's maximum and merge them by `unique_key` (delete + insert in one
 * transaction), or append them without a key. Rows sharing a key within one
 * build resolve deterministically: the highest watermark wins, ties go to
 * the greater row value.
 *
 * @module
 */
import { z } from "zod";
import { quoteIdent, quoteRelation, quoteRelationId, splitRelation } from "../db/sql.ts";
import type { Session } from "../db/warehouse.ts";
import { WharfError } from "../errors.ts";
import type { ModelNode } from "../types.ts";
import { mapping, text } from "../yaml/yaml_schema.ts";
import { defineMaterialization } from "./materialization.ts";

const SRC = "__wharf_src";

function dedupe(model: ModelNode, watermark: string): string {
  const { uniqueKey } = model.config;
  if (uniqueKey.length === 0) return "";
  return `\nQUALIFY row_number() OVER (PARTITION BY ${
    uniqueKey.map(quoteIdent).join(", ")
  } ORDER BY ${quoteIdent(watermark)} DESC NULLS LAST, ${SRC} DESC) = 1`;
}

async function countRows(session: Session, relation: string): Promise<number> {
  const rows = await session.query(
    `SELECT count(*)::DOUBLE AS n FROM ${quoteRelationId(relation)}`,
  );
  return Number(rows[0]?.n ?? 0);
}

async function tableExists(session: Session, relation: string): Promise<boolean> {
  const { catalog, schema, name } = splitRelation(relation);
  const rows = await session.query(
    "SELECT 1 FROM information_schema.tables WHERE table_catalog = coalesce(?, current_database()) AND table_schema = ? AND table_name = ? AND table_type = 'BASE TABLE'",
    [catalog ?? null, schema, name],
  );
  return rows.length > 0;
}

/** The `incremental` materialization; its `watermark` setting names the column that orders rows. */
export const incremental = defineMaterialization({
  name: "incremental",
  config: mapping("an incremental model's config", {
    watermark: text(
      "a column name",
      'an incremental model needs a "watermark" column (e.g. _batch_id) to know which rows are new',
    ),
  }),
  parts: z.object({ incremental: z.array(z.string()) }),
  compile: ({ model, select, config: { watermark } }) => {
    const target = quoteRelation(model.layer, model.name, model.catalog);
    const wm = quoteIdent(watermark);
    const staged = quoteIdent(`__wharf_new_${model.id.replaceAll(".", "_")}`);
    const keys = model.config.uniqueKey.map(quoteIdent);
    const from = `SELECT * FROM (\n${select}\n) AS ${SRC}`;
    const later = [
      `CREATE OR REPLACE TEMP TABLE ${staged} AS\n${from}\nWHERE ${SRC}.${wm} > (SELECT max(${wm}) FROM ${target})\n   OR (SELECT max(${wm}) FROM ${target}) IS NULL${
        dedupe(model, watermark)
      }`,
    ];
    if (keys.length) {
      later.push(
        `DELETE FROM ${target} AS t WHERE EXISTS (SELECT 1 FROM ${staged} AS n WHERE ${
          keys.map((k) => `n.${k} IS NOT DISTINCT FROM t.${k}`).join(" AND ")
        })`,
      );
    }
    later.push(`INSERT INTO ${target} BY NAME SELECT * FROM ${staged}`, `DROP TABLE ${staged}`);
    const sql = `CREATE OR REPLACE TABLE ${target} AS\n${from}${dedupe(model, watermark)}`;
    return {
      sql,
      script: `-- first run or --full-refresh\n${sql};\n\n-- later runs, in one transaction\n${
        later.join(";\n\n")
      };\n`,
      parts: { incremental: later },
    };
  },
  build: (wh, { relation, sql, parts }, { fullRefresh }) =>
    wh.transaction(async (s) => {
      if (fullRefresh || !(await tableExists(s, relation))) {
        return { rows: await s.count(sql), message: "full build" };
      }
      const before = await countRows(s, relation);
      try {
        for (const statement of parts.incremental) await s.exec(statement);
      } catch (err) {
        throw new WharfError(
          `${
            err instanceof Error ? err.message : String(err)
          }\n(run with --full-refresh to rebuild ${relation} with its new columns, if its columns changed)`,
          { cause: err },
        );
      }
      const after = await countRows(s, relation);
      const delta = after - before;
      return { rows: after, message: `incremental: ${delta >= 0 ? "+" : ""}${delta} rows` };
    }),
});
