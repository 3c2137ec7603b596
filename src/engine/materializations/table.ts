/**
 * `table`: `CREATE OR REPLACE TABLE … AS`, one statement, so a failing
 * build leaves the previous version in place.
 *
 * @module
 */
import { quoteRelation } from "../db/sql.ts";
import { defineMaterialization, NO_PARTS, noSettings } from "./materialization.ts";

/** The `table` materialization. */
export const table = defineMaterialization({
  name: "table",
  config: noSettings("table"),
  checks: true,
  parts: NO_PARTS,
  compile: ({ model, select }) => {
    const sql = `CREATE OR REPLACE TABLE ${
      quoteRelation(model.layer, model.name, model.catalog)
    } AS\n${select}\n`;
    return { sql, script: `${sql.trimEnd()};\n`, parts: {} };
  },
  build: async (wh, { sql }) => ({ rows: await wh.count(sql) }),
});
