/**
 * `view` (the default): `CREATE OR REPLACE VIEW`, so the model is computed
 * when it is read; one statement, so a failing build leaves the previous
 * version in place. With an enforced contract, the SELECT's columns are
 * checked against it first (a view holds no constraints: they are tested).
 *
 * @module
 */
import { z } from "../zod.ts";
import { quoteRelation } from "../db/sql.ts";
import { checkContract, contractParts } from "./contract.ts";
import { defineMaterialization, noSettings } from "./materialization.ts";

/** The `view` materialization. */
export const view = defineMaterialization({
  name: "view",
  config: noSettings("view"),
  checks: true,
  contract: "check",
  parts: z.lazy(() => z.object({ select: z.string(), contract: contractParts }).partial()),
  compile: ({ model, select }) => {
    const sql = `CREATE OR REPLACE VIEW ${
      quoteRelation(model.layer, model.name, model.catalog)
    } AS\n${select}\n`;
    const script = `${sql.trimEnd()};\n`;
    if (!model.contract) return { sql, script, parts: {} };
    return {
      sql,
      script: `-- once the SELECT's columns match the contract:\n${script}`,
      parts: { select, contract: model.contract },
    };
  },
  // Without a contract, one CREATE statement.
  singleStatement: (parts) => !parts.contract,
  buildIn: async (s, { relation, sql, parts }) => {
    if (parts.contract && parts.select !== undefined) {
      await checkContract(s, relation, parts.select, parts.contract);
    }
    await s.exec(sql);
    return {};
  },
});
