/**
 * `table`: `CREATE OR REPLACE TABLE … AS`, one statement, so a failing
 * build leaves the previous version in place. With an enforced contract,
 * in one transaction: the SELECT's columns are checked against it, the
 * table is created from it (with its constraints) and the rows inserted.
 *
 * @module
 */
import { z } from "../zod.ts";
import { quoteRelation } from "../db/sql.ts";
import { ModelError } from "../errors.ts";
import {
  checkContract,
  contractParts,
  createContractTableSql,
  insertContractSql,
} from "./contract.ts";
import { defineMaterialization, noSettings } from "./materialization.ts";

/** The `table` materialization. */
export const table = defineMaterialization({
  name: "table",
  config: noSettings("table"),
  checks: true,
  contract: "create",
  parts: z.lazy(() =>
    z.object({ target: z.string(), select: z.string(), contract: contractParts }).partial()
  ),
  compile: ({ model, select }) => {
    const target = quoteRelation(model.layer, model.name, model.catalog);
    if (model.contract) {
      const create = createContractTableSql(target, model.contract);
      const insert = insertContractSql(target, select, model.contract);
      return {
        sql: create,
        script:
          `-- in one transaction, once the SELECT's columns match the contract:\n${create};\n${insert};\n`,
        parts: { target, select, contract: model.contract },
      };
    }
    const sql = `CREATE OR REPLACE TABLE ${target} AS\n${select}\n`;
    return { sql, script: `${sql.trimEnd()};\n`, parts: {} };
  },
  // Without a contract, one CREATE statement.
  singleStatement: (parts) => !parts.contract,
  buildIn: async (s, { relation, sql, parts }) => {
    const { target, select, contract } = parts;
    if (!contract || target === undefined || select === undefined) {
      return { rows: await s.count(sql) };
    }
    await checkContract(s, relation, select, contract);
    await s.exec(sql);
    try {
      return { rows: await s.count(insertContractSql(target, select, contract)) };
    } catch (err) {
      throw new ModelError(
        relation,
        `${relation} breaks a constraint of its contract: ${
          err instanceof Error ? err.message : String(err)
        }: nothing was replaced`,
        { cause: err },
      );
    }
  },
});
