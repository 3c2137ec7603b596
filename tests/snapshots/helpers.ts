/**
 * Helpers of the snapshot tests: SQL on a warehouse file, and the CLI run
 * as users run it, asserted to succeed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { openWarehouse, type Row } from "../../src/engine/db/warehouse.ts";
import { type CliResult, runCli } from "../helpers.ts";

/** Runs `text` on the warehouse file `db` and returns the last statement's rows. */
export async function sql(db: string, text: string): Promise<Row[]> {
  const wh = await openWarehouse(db);
  try {
    return await wh.query(text);
  } finally {
    wh.close();
  }
}

/** Creates `raw.customers` in `db`: Ann (gold) and Bob (silver), updated 2024-01-01. */
export async function customersSource(db: string): Promise<void> {
  await sql(
    db,
    `create schema raw;
     create table raw.customers (id integer, name varchar, tier varchar, updated_at timestamp);
     insert into raw.customers values (1, 'Ann', 'gold', '2024-01-01'), (2, 'Bob', 'silver', '2024-01-01')`,
  );
}

/** Runs the CLI in `root` with `args` and asserts it exited `code` (0 by default). */
export async function cli(root: string, args: readonly string[], code = 0): Promise<CliResult> {
  const out = await runCli(["--project", root, ...args], root);
  assert.equal(out.code, code, `wharf ${args.join(" ")}:\n${out.stdout}\n${out.stderr}`);
  return out;
}

/** The line of `stdout` about node `id` (`… OK    snapshot snapshots.x ... [detail]`). */
export function lineOf(stdout: string, id: string): string {
  const line = stdout.split("\n").find((l) => l.includes(` ${id} `));
  assert.ok(line, `no line for ${id} in:\n${stdout}`);
  return line;
}

/** Keys with other than exactly one current row (`dbt_valid_to` NULL) in `relation`. */
export async function keysWithoutOneCurrent(
  db: string,
  relation: string,
  key: string,
): Promise<Row[]> {
  return await sql(
    db,
    `SELECT ${key}, count(*) FILTER (WHERE dbt_valid_to IS NULL)::INTEGER AS current
     FROM ${relation} GROUP BY ${key} HAVING count(*) FILTER (WHERE dbt_valid_to IS NULL) <> 1`,
  );
}
