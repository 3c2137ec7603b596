/**
 * The floor of a small build as a new process, for `deno task bench build`:
 * Deno starts, DuckDB's driver loads, the warehouse opens, the statements
 * that build the project run one after the other, and the warehouse closes
 * (its checkpoint). `deno run bench/build_floor.ts <warehouse> <statements.json>`.
 *
 * @module
 */
import { openWarehouse } from "../src/engine/db/warehouse.ts";

const [db, statements] = Deno.args;
const sql = JSON.parse(await Deno.readTextFile(statements!)) as string[];
const wh = await openWarehouse(db!);
try {
  await wh.withConnection(async (s) => {
    for (const statement of sql) await s.exec(statement);
  });
} finally {
  wh.close();
}
