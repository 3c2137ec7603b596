/**
 * Runs a unit test: the model's SELECT on the given rows only, in a scratch
 * in-memory DuckDB, never on the warehouse's data. Each input becomes a
 * table of the relation's name holding the given rows, its columns typed
 * as the input's real columns (read from the warehouse, or, for a relation
 * not built yet, derived from its ancestors' SQL with zero rows); a column
 * not given is NULL. The actual rows are compared with the expected ones
 * as multisets, on the columns `expect` names; a difference is a row diff.
 *
 * @module
 */
import type { CompiledUnitTest } from "../compile/compile_unit_test.ts";
import { varsMacro } from "../compile/compile.ts";
import { quoteIdent, quoteLiteral, quoteRelationId } from "../db/sql.ts";
import { openWarehouse, type Session, type Warehouse } from "../db/warehouse.ts";
import { lineageColumns } from "../db/schema/tables.ts";
import { WharfError } from "../errors.ts";
import { MATERIALIZATIONS } from "../materializations/index.ts";
import { closest } from "../suggest.ts";
import type { MacroFile, UnitTestData } from "../types.ts";

/** A column and its DuckDB type. */
interface Column {
  name: string;
  type: string;
}

/** How a unit test ended: `rows` is the count of rows that differ. */
export interface UnitTestOutcome {
  passed: boolean;
  rows: number;
  message?: string;
}

/** The most diff lines a failure prints. */
const DIFF_LINES = 40;

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
}

/** `schema.name` (or `catalog.schema.name`) → its parts, lower-cased. */
function parts(id: string): string[] {
  return id.split(".");
}

/** The columns of the warehouse's relations among `ids`. */
async function warehouseColumns(
  wh: Warehouse,
  ids: readonly string[],
): Promise<Map<string, Column[]>> {
  const out = new Map<string, Column[]>();
  if (ids.length === 0) return out;
  const schemas = [...new Set(ids.map((id) => parts(id).at(-2)!))];
  const rows = await wh.query(
    `SELECT lower(database_name) AS c, lower(schema_name) AS s, lower(table_name) AS t,
            column_name AS name, data_type AS type, (database_name = current_database()) AS main
     FROM duckdb_columns()
     WHERE lower(schema_name) IN (${schemas.map(quoteLiteral).join(", ")})
     ORDER BY database_name, schema_name, table_name, column_index`,
  );
  for (const r of rows) {
    // The warehouse's own relations go by `schema.name`, or in full where the schema is named like a catalog.
    const full = `${r.c}.${r.s}.${r.t}`;
    const id = r.main && !ids.includes(full) ? `${r.s}.${r.t}` : full;
    if (!ids.includes(id)) continue;
    out.set(id, [...(out.get(id) ?? []), { name: String(r.name), type: String(r.type) }]);
  }
  return out;
}

/** A YAML value as the text a column is cast from; null stays NULL. */
function valueText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Stages given or expected rows as `stage` (text columns, or the SQL's own types). */
async function stage(s: Session, table: string, data: UnitTestData): Promise<number> {
  const name = quoteIdent(table);
  switch (data.format) {
    case "dict": {
      const columns = [...new Set(data.rows.flatMap((r) => Object.keys(r)))];
      if (columns.length === 0) {
        // No column named: as many rows, each all NULL.
        await s.exec(
          `CREATE OR REPLACE TEMP TABLE ${name} AS SELECT range AS __row FROM range(?)`,
          [
            data.rows.length,
          ],
        );
        return data.rows.length;
      }
      if (data.rows.length === 0) {
        await s.exec(
          `CREATE OR REPLACE TEMP TABLE ${name} (${
            columns.map((c) => `${quoteIdent(c)} VARCHAR`).join(", ")
          })`,
        );
        return 0;
      }
      const values = data.rows.map((r) =>
        `(${
          columns.map((c) => {
            const v = valueText(r[c]);
            return v === null ? "NULL::VARCHAR" : `${quoteLiteral(v)}::VARCHAR`;
          }).join(", ")
        })`
      );
      await s.exec(
        `CREATE OR REPLACE TEMP TABLE ${name} AS SELECT * FROM (VALUES ${values.join(", ")}) AS t(${
          columns.map(quoteIdent).join(", ")
        })`,
      );
      return data.rows.length;
    }
    case "csv": {
      const file = await Deno.makeTempFile({ suffix: ".csv" });
      try {
        await Deno.writeTextFile(file, data.csv.trim() + "\n");
        return await s.count(
          `CREATE OR REPLACE TEMP TABLE ${name} AS SELECT * FROM read_csv(${
            quoteLiteral(file)
          }, header = true, all_varchar = true, allow_quoted_nulls = false, delim = ',', quote = '"')`,
        );
      } finally {
        await Deno.remove(file).catch(() => {});
      }
    }
    case "sql":
      return await s.count(
        `CREATE OR REPLACE TEMP TABLE ${name} AS ${data.sql.trim().replace(/;+$/, "")}`,
      );
  }
}

/** The columns of `table` in the scratch database (a temp table when `temp`). */
async function columnsOf(s: Session, relation: string): Promise<Column[]> {
  const rows = await s.query(`DESCRIBE ${relation}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/**
 * Creates `target` from the staged rows of `table`, with exactly
 * `columns` (each cast to its type; NULL where not given). A staged column
 * that is not among `columns` is an error naming the closest.
 */
async function typed(
  s: Session,
  table: string,
  target: string,
  columns: readonly Column[],
  what: string,
): Promise<void> {
  const staged = (await columnsOf(s, quoteIdent(table))).map((c) => c.name).filter((c) =>
    c !== "__row"
  );
  const byLower = new Map(columns.map((c) => [c.name.toLowerCase(), c]));
  for (const c of staged) {
    if (byLower.has(c.toLowerCase())) continue;
    const guess = closest(c.toLowerCase(), [...byLower.keys()]);
    throw new WharfError(
      `${what} has no column "${c}"${guess ? ` (did you mean "${guess}"?)` : ""}: its columns are ${
        columns.map((x) => x.name).join(", ")
      }`,
    );
  }
  const given = new Map(staged.map((c) => [c.toLowerCase(), c]));
  const select = columns.map((c) => {
    const from = given.get(c.name.toLowerCase());
    return `CAST(${from === undefined ? "NULL" : quoteIdent(from)} AS ${c.type}) AS ${
      quoteIdent(c.name)
    }`;
  });
  try {
    await s.exec(
      `CREATE OR REPLACE TABLE ${target} AS SELECT ${select.join(", ")} FROM ${quoteIdent(table)}`,
    );
  } catch (err) {
    const bad = await firstMisfit(
      s,
      table,
      columns.flatMap((c) => {
        const from = given.get(c.name.toLowerCase());
        return from === undefined ? [] : [{ from, column: c }];
      }),
    );
    // The value DuckDB names may be a later one: the first in the order given is the one to fix.
    throw new WharfError(
      bad
        ? `${what}, row ${bad.row}, column "${bad.column.name}": ${
          JSON.stringify(bad.value)
        } is not a value of its type, ${bad.column.type}: give one that is, or null`
        : `${what}: cannot read the rows as its columns' types: ${message(err)}`,
      { cause: err },
    );
  }
}

/**
 * The first value of the staged `table` (by row, 1-based in the order given,
 * then by column) that does not cast to its column's type; `from` is the
 * staged column each column is cast from.
 */
async function firstMisfit(
  s: Session,
  table: string,
  columns: readonly { from: string; column: Column }[],
): Promise<{ row: number; column: Column; value: string } | undefined> {
  let first: { row: number; column: Column; value: string } | undefined;
  for (const { from, column } of columns) {
    const c = quoteIdent(from);
    const [hit] = await s.query(
      `SELECT rowid + 1 AS n, CAST(${c} AS VARCHAR) AS v FROM ${quoteIdent(table)}
       WHERE ${c} IS NOT NULL AND TRY_CAST(${c} AS ${column.type}) IS NULL ORDER BY rowid LIMIT 1`,
    );
    if (hit && (first === undefined || Number(hit.n) < first.row)) {
      first = { row: Number(hit.n), column, value: String(hit.v) };
    }
  }
  return first;
}

/** Creates the schema (and the attached scratch catalog) of `id`. */
async function ensureSchema(s: Session, id: string): Promise<void> {
  const p = parts(id);
  if (p.length === 3) {
    await s.exec(`ATTACH IF NOT EXISTS ':memory:' AS ${quoteIdent(p[0]!)}`);
  }
  await s.exec(`CREATE SCHEMA IF NOT EXISTS ${p.slice(0, -1).map(quoteIdent).join(".")}`);
}

/**
 * Runs `run`; while it fails on a column that is not found and exactly one
 * relation of `standIns` (a raw table not landed yet) can have it, adds the
 * column to it as text (as wharf lands every column) and runs it again.
 */
async function growing(s: Session, standIns: readonly string[], run: () => Promise<void>) {
  for (;;) {
    try {
      return await run();
    } catch (err) {
      const text = message(err);
      const missing = (/Referenced column "([^"]+)" not found/.exec(text) ??
        /Column "([^"]+)" referenced that exists in the SELECT clause/.exec(text))?.[1];
      if (missing === undefined || standIns.length !== 1) throw err;
      try {
        await s.exec(
          `ALTER TABLE ${quoteRelationId(standIns[0]!)} ADD COLUMN ${quoteIdent(missing)} VARCHAR`,
        );
      } catch {
        throw err;
      }
    }
  }
}

/** Applies the scratch database's macros: vars, wharf's, the project's, the test's overrides. */
async function applyMacros(
  s: Session,
  unit: CompiledUnitTest,
  macros: readonly MacroFile[],
): Promise<void> {
  await s.exec(varsMacro(unit.vars));
  for (const m of MATERIALIZATIONS) for (const statement of m.setup) await s.exec(statement);
  for (const macro of macros) {
    try {
      await s.exec(macro.sql);
    } catch (err) {
      throw new WharfError(`Cannot apply macro file ${macro.path}: ${message(err)}`, {
        cause: err,
      });
    }
  }
  for (const [written, value] of Object.entries(unit.macros)) {
    const name = written === "is_incremental" ? "wharf_is_incremental" : written.toLowerCase();
    const found = await s.query(
      `SELECT parameters FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro') AND lower(function_name) = ? LIMIT 1`,
      [name],
    );
    if (found.length === 0) {
      const known = (await s.query(
        "SELECT DISTINCT function_name AS n FROM duckdb_functions() WHERE function_type = 'macro' AND NOT internal",
      )).map((r) => String(r.n));
      const guess = closest(name, [...known, "is_incremental"]);
      throw new WharfError(
        `overrides.macros: no macro "${written}"${
          guess ? ` (did you mean "${guess}"?)` : ""
        }: a plain-SQL model's macros are those of sql/macros and is_incremental`,
      );
    }
    const params = (found[0]!.parameters as unknown[] | null ?? []).map((p) =>
      quoteIdent(String(p))
    );
    await s.exec(
      `CREATE OR REPLACE MACRO ${quoteIdent(name)}(${params.join(", ")}) AS (${value})`,
    );
  }
}

/** Text of each value of `rows`, for the diff. */
function cell(value: unknown): string {
  return value === null || value === undefined ? "NULL" : String(value);
}

/** The diff table: `-` rows expected but missing, `+` rows not expected. */
function diffTable(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const header = ["", ...columns];
  const lines = rows.map((r) => [String(r.__diff), ...columns.map((c) => cell(r[c]))]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ").trimEnd()}`;
  return [fmt(header), ...lines.slice(0, DIFF_LINES).map(fmt)].join("\n") +
    (lines.length > DIFF_LINES ? `\n  … ${lines.length - DIFF_LINES} more rows` : "");
}

/**
 * Runs `unit` in a scratch in-memory database, typing inputs from `wh`.
 *
 * @throws {WharfError} when the test cannot run (a given column the input
 * lacks, a value that does not fit its type, the model's SQL failing on the
 * given rows): the test errors, with the reason.
 */
export async function runUnitTest(
  wh: Warehouse,
  unit: CompiledUnitTest,
  options: { macros: readonly MacroFile[] },
): Promise<UnitTestOutcome> {
  const upstream = new Map(unit.upstream.map((u) => [u.relation, u]));
  const known = await warehouseColumns(wh, [
    ...unit.upstream.map((u) => u.relation),
    unit.model,
  ]);
  const scratch = await openWarehouse(":memory:");
  try {
    return await scratch.withConnection(async (s) => {
      await applyMacros(s, unit, options.macros);
      const created = new Set<string>();
      // Empty tables of the real types, parents first; a relation that cannot be typed is skipped.
      // raw.* tables not landed yet stand in as wharf lands them: its lineage columns, and
      // the columns the models read from them, as text.
      const standIns = new Set<string>();
      const ensure = async (id: string, seen = new Set<string>()): Promise<void> => {
        if (created.has(id) || seen.has(id)) return;
        seen.add(id);
        await ensureSchema(s, id);
        const columns = known.get(id) ??
          (id.startsWith("raw.") && upstream.get(id)?.kind === "source"
            ? lineageColumns([], true)
            : undefined);
        if (columns) {
          await s.exec(
            `CREATE OR REPLACE TABLE ${quoteRelationId(id)} (${
              columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ")
            })`,
          );
          if (!known.has(id)) standIns.add(id);
          created.add(id);
          return;
        }
        const u = upstream.get(id);
        if (!u || u.kind === "source") return;
        for (const p of u.parents) await ensure(p, seen);
        try {
          if (u.kind === "seed") await s.exec(u.sql!);
          else {
            await growing(
              s,
              u.parents.filter((p) => standIns.has(p)),
              () =>
                s.exec(
                  `CREATE OR REPLACE TABLE ${
                    quoteRelationId(id)
                  } AS SELECT * FROM (\n${u.sql}\n) LIMIT 0`,
                ),
            );
          }
          created.add(id);
        } catch {
          // Not typed: its given rows keep the types they were written with.
        }
      };
      for (const seed of unit.seeds) {
        await ensureSchema(s, seed.relation);
        await s.exec(seed.sql);
        created.add(seed.relation);
      }
      const self = unit.inputs.find((i) => i.relation === unit.model);
      const untyped: string[] = [];
      for (const [i, input] of unit.inputs.entries()) {
        if (input === self) continue;
        const what = `input "${input.input}"`;
        await ensure(input.relation);
        const table = `__wharf_given_${i}`;
        try {
          await stage(s, table, input.data);
        } catch (err) {
          throw new WharfError(`${what}: cannot read its rows: ${message(err)}`, { cause: err });
        }
        await ensureSchema(s, input.relation);
        const relation = quoteRelationId(input.relation);
        if (standIns.has(input.relation)) {
          const has = new Set((await columnsOf(s, relation)).map((c) => c.name.toLowerCase()));
          for (const c of await columnsOf(s, quoteIdent(table))) {
            if (c.name === "__row" || has.has(c.name.toLowerCase())) continue;
            await s.exec(`ALTER TABLE ${relation} ADD COLUMN ${quoteIdent(c.name)} VARCHAR`);
          }
        }
        if (created.has(input.relation)) {
          await typed(s, table, relation, await columnsOf(s, relation), what);
        } else {
          // Not built and not derivable (a declared source not in the warehouse): the given columns as written.
          untyped.push(input.input);
          await s.exec(
            `CREATE OR REPLACE TABLE ${relation} AS SELECT * EXCLUDE (${
              quoteIdent("__row")
            }) FROM (SELECT NULL AS __row, * FROM ${quoteIdent(table)})`,
          );
        }
      }
      if (unit.readsItself) await loadSelf(s, unit, known.get(unit.model), self);
      let actual: Column[];
      try {
        await growing(
          s,
          unit.inputs.map((i) => i.relation).filter((r) => standIns.has(r)),
          () => s.exec(`CREATE OR REPLACE TEMP TABLE __wharf_actual AS\n${unit.select}`),
        );
        actual = await columnsOf(s, "__wharf_actual");
      } catch (err) {
        const hint = untyped.length
          ? ` (${
            untyped.map((u) => `"${u}"`).join(", ")
          } could not be typed: neither the warehouse nor the project says its columns, so it has only the columns given, as text; build or land it first, or give every column the model reads with format: sql)`
          : "";
        throw new WharfError(`the model's SQL failed on the given rows: ${message(err)}${hint}`, {
          cause: err,
        });
      }
      return await compare(s, unit, actual);
    });
  } finally {
    scratch.close();
  }
}

/**
 * The model's own relation (an incremental model reading itself): the
 * rows given as `this`, or none, typed as the model's columns.
 */
async function loadSelf(
  s: Session,
  unit: CompiledUnitTest,
  built: Column[] | undefined,
  given: CompiledUnitTest["inputs"][number] | undefined,
): Promise<void> {
  const self = quoteRelationId(unit.model);
  await ensureSchema(s, unit.model);
  const data: UnitTestData = given?.data ?? { format: "dict", rows: [] };
  await stage(s, "__wharf_this", data);
  let columns = built;
  if (!columns) {
    // Not built yet: as the incremental materialization does, the table first has the
    // columns of the relations the model reads (then the given ones, as text), and the
    // model's own output types are found with it standing in.
    const standIn = new Map<string, Column>();
    const reads = [
      ...unit.inputs.filter((i) => i !== given).map((i) => i.relation),
      ...unit.seeds.map((x) => x.relation),
    ];
    for (const r of reads) {
      for (const c of await columnsOf(s, quoteRelationId(r))) {
        if (!standIn.has(c.name.toLowerCase())) standIn.set(c.name.toLowerCase(), c);
      }
    }
    for (const c of await columnsOf(s, "__wharf_this")) {
      if (c.name !== "__row" && !standIn.has(c.name.toLowerCase())) {
        standIn.set(c.name.toLowerCase(), { name: c.name, type: "VARCHAR" });
      }
    }
    await s.exec(
      `CREATE OR REPLACE TABLE ${self} (${
        [...standIn.values()].map((c) => `${quoteIdent(c.name)} ${c.type}`).join(", ") ||
        "__none INTEGER"
      })`,
    );
    try {
      columns = await columnsOf(s, `(SELECT * FROM (\n${unit.select}\n) LIMIT 0)`);
    } catch {
      columns = undefined;
    }
  }
  if (columns) await typed(s, "__wharf_this", self, columns, 'input "this"');
}

/** Compares the actual rows with the expected ones; a difference is a failure with its diff. */
async function compare(
  s: Session,
  unit: CompiledUnitTest,
  actual: readonly Column[],
): Promise<UnitTestOutcome> {
  const expectedCount = await stage(s, "__wharf_expect_stage", unit.expect);
  const staged = (await columnsOf(s, "__wharf_expect_stage")).map((c) => c.name).filter((c) =>
    c !== "__row"
  );
  const byLower = new Map(actual.map((c) => [c.name.toLowerCase(), c]));
  const missingColumns = staged.filter((c) => !byLower.has(c.toLowerCase()));
  if (missingColumns.length) {
    const guess = closest(missingColumns[0]!.toLowerCase(), [...byLower.keys()]);
    throw new WharfError(
      `expect names ${
        missingColumns.map((c) => `"${c}"`).join(", ")
      }, which ${unit.model} does not give${guess ? ` (did you mean "${guess}"?)` : ""}: it gives ${
        actual.map((c) => c.name).join(", ")
      }`,
    );
  }
  // Only the columns expect names are compared (all of them when it names none).
  const compared = staged.length ? staged.map((c) => byLower.get(c.toLowerCase())!) : [...actual];
  await typed(s, "__wharf_expect_stage", "__wharf_expected", compared, "expect");
  const cols = compared.map((c) => quoteIdent(c.name)).join(", ");
  const actualCount = Number((await s.query("SELECT count(*) AS n FROM __wharf_actual"))[0]!.n);
  const diff = await s.query(
    `WITH missing AS (SELECT ${cols} FROM __wharf_expected EXCEPT ALL SELECT ${cols} FROM __wharf_actual),
          extra AS (SELECT ${cols} FROM __wharf_actual EXCEPT ALL SELECT ${cols} FROM __wharf_expected)
     SELECT * FROM (SELECT '-' AS __diff, * FROM missing UNION ALL SELECT '+' AS __diff, * FROM extra)
     ORDER BY ${compared.map((_, i) => `${i + 2} NULLS FIRST`).join(", ")}, 1`,
  );
  if (diff.length === 0) return { passed: true, rows: 0 };
  const missing = diff.filter((r) => r.__diff === "-").length;
  const extra = diff.length - missing;
  return {
    passed: false,
    rows: diff.length,
    message:
      `actual rows differ from expected (${expectedCount} expected, ${actualCount} actual: ${missing} missing, ${extra} extra):\n${
        diffTable(compared.map((c) => c.name), diff)
      }\n  (- expected but missing, + actual but not expected)`,
  };
}
