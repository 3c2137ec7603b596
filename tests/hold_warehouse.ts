/**
 * Test helper process: opens the warehouse given as the first argument
 * (recording the second, if any, as the command holding it), prints "ready",
 * and holds the file's lock until its stdin closes.
 *
 * @module
 */
import { openWarehouse } from "../src/engine/db/warehouse.ts";

const wh = await openWarehouse(Deno.args[0]!, { holder: Deno.args[1] });
console.log("ready");
for await (const _ of Deno.stdin.readable) { /* wait for stdin to close */ }
wh.close();
