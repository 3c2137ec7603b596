/**
 * A model's enforced contract at build time: the columns its SELECT gives
 * are compared with the declared ones (names, types as DuckDB
 * names them, so `int` is `INTEGER` and `text` is `VARCHAR`) before
 * anything is replaced, and a table is created from the contract, with its
 * constraints, before the rows are inserted, in the caller's transaction.
 *
 * @module
 */
import { z } from "../zod.ts";
import { quoteIdent } from "../db/sql.ts";
import type { Session } from "../db/warehouse.ts";
import { ModelError } from "../errors.ts";
import type { Constraint, ModelContract } from "../types.ts";

const constraint = z.lazy(() =>
  z.object({
    type: z.enum(["not_null", "primary_key", "unique", "check"]),
    name: z.string().optional(),
    columns: z.array(z.string()),
    expression: z.string().optional(),
  })
);

/** The schema of a compiled contract (a part of a materialization's compiled parts). */
export const contractParts: z.ZodType<ModelContract, unknown> = z.lazy(() =>
  z.object({
    columns: z.array(z.object({ name: z.string(), dataType: z.string() })),
    constraints: z.array(constraint),
  })
);

function named(c: Constraint): string {
  return c.name ? `CONSTRAINT ${quoteIdent(c.name)} ` : "";
}

/**
 * The column definitions of `CREATE TABLE t (…)` for a contract: each
 * column with its type and its own constraints, then the constraints over
 * several columns (and named ones) at table level.
 */
export function contractColumnsSql(contract: ModelContract): string {
  const own = (c: Constraint) => c.columns.length === 1 && !c.name && c.type !== "check";
  const lines = contract.columns.map((col) => {
    const mine = contract.constraints.filter((c) =>
      own(c) && c.columns[0]!.toLowerCase() === col.name.toLowerCase()
    );
    const checks = contract.constraints.filter((c) =>
      c.type === "check" && !c.name && c.columns.length === 1 &&
      c.columns[0]!.toLowerCase() === col.name.toLowerCase()
    );
    const notNull = contract.constraints.some((c) =>
      c.type === "not_null" && c.columns.some((n) => n.toLowerCase() === col.name.toLowerCase())
    );
    const parts = [
      quoteIdent(col.name),
      col.dataType,
      ...(notNull ? ["NOT NULL"] : []),
      ...mine.filter((c) => c.type === "primary_key").map(() => "PRIMARY KEY"),
      ...mine.filter((c) => c.type === "unique").map(() => "UNIQUE"),
      ...checks.map((c) => `CHECK (${c.expression})`),
    ];
    return parts.join(" ");
  });
  for (const c of contract.constraints) {
    if (c.type === "not_null" || (own(c))) continue;
    if (c.type === "check") {
      if (!c.name && c.columns.length === 1) continue;
      lines.push(`${named(c)}CHECK (${c.expression})`);
    } else {
      lines.push(
        `${named(c)}${c.type === "primary_key" ? "PRIMARY KEY" : "UNIQUE"} (${
          c.columns.map(quoteIdent).join(", ")
        })`,
      );
    }
  }
  return lines.join(",\n  ");
}

/** `CREATE OR REPLACE TABLE <target> (<the contract's columns and constraints>)` */
export function createContractTableSql(target: string, contract: ModelContract): string {
  return `CREATE OR REPLACE TABLE ${target} (\n  ${contractColumnsSql(contract)}\n)`;
}

/** `INSERT INTO <target> (<columns>) SELECT <columns> FROM (<select>)` */
export function insertContractSql(target: string, select: string, contract: ModelContract): string {
  const list = contract.columns.map((c) => quoteIdent(c.name)).join(", ");
  return `INSERT INTO ${target} (${list})\nSELECT ${list} FROM (\n${select}\n)`;
}

/** Each declared type as DuckDB names it, or the error DuckDB gives for it. */
async function normalTypes(
  s: Session,
  types: readonly string[],
): Promise<({ type: string } | { error: string })[]> {
  const one = async (t: string) => {
    try {
      const rows = await s.query(`SELECT typeof(NULL::${t}) AS t`);
      return { type: String(rows[0]!.t) };
    } catch (err) {
      return { error: (err instanceof Error ? err.message : String(err)).split("\n")[0]! };
    }
  };
  const out = [];
  for (const t of types) out.push(await one(t));
  return out;
}

/**
 * Compares the columns of `query` with `contract`, in `s` (the build's
 * transaction, before anything is replaced).
 *
 * @throws {ModelError} naming each missing column, extra column and type
 * that differs (and a declared type DuckDB does not know).
 */
export async function checkContract(
  s: Session,
  relation: string,
  query: string,
  contract: ModelContract,
): Promise<void> {
  const actual = (await s.query(`DESCRIBE ${query}`)).map((r) => ({
    name: String(r.column_name),
    type: String(r.column_type),
  }));
  const declared = await normalTypes(s, contract.columns.map((c) => c.dataType));
  const problems: string[] = [];
  contract.columns.forEach((col, i) => {
    const want = declared[i]!;
    const found = actual.find((a) => a.name.toLowerCase() === col.name.toLowerCase());
    if ("error" in want) {
      problems.push(
        `column "${col.name}": data_type "${col.dataType}" is not a DuckDB type (${want.error})`,
      );
    } else if (!found) problems.push(`missing column "${col.name}" (${want.type})`);
    else if (found.type !== want.type) {
      problems.push(
        `column "${col.name}" is ${found.type}, the contract says ${want.type}${
          want.type.toLowerCase() === col.dataType.toLowerCase() ? "" : ` ("${col.dataType}")`
        }`,
      );
    }
  });
  for (const a of actual) {
    if (!contract.columns.some((c) => c.name.toLowerCase() === a.name.toLowerCase())) {
      problems.push(`extra column "${a.name}" (${a.type}), not in the contract`);
    }
  }
  if (problems.length) {
    throw new ModelError(
      relation,
      `${relation} breaks its contract: ${
        problems.join("; ")
      }: nothing was replaced; change the model or its columns' data_type`,
    );
  }
}
