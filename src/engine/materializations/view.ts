/**
 * `view` (the default): `CREATE OR REPLACE VIEW`, so the model is computed
 * when it is read; one statement, so a failing build leaves the previous
 * version in place.
 *
 * @module
 */
import { quoteRelation } from "../db/sql.ts";
import { defineMaterialization, NO_PARTS, noSettings } from "./materialization.ts";

/** The `view` materialization. */
export const view = defineMaterialization({
  name: "view",
  config: noSettings("view"),
  checks: true,
  parts: NO_PARTS,
  compile: ({ model, select }) => {
    const sql = `CREATE OR REPLACE VIEW ${
      quoteRelation(model.layer, model.name, model.catalog)
    } AS\n${select}\n`;
    return { sql, script: `${sql.trimEnd()};\n`, parts: {} };
  },
  build: async (wh, { sql }) => {
    await wh.exec(sql);
    return {};
  },
});
