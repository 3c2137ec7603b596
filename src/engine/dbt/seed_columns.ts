/**
 * A dbt seed's column names as dbt-duckdb creates its table: the CSV
 * header, read with the seed's `delimiter`, each name exactly as written
 * (case, inner and outer spaces kept), a repeated name followed by `_2`,
 * `_3`, … as agate names it. dbt writes the names into its CREATE TABLE
 * quoted unless `quote_columns: false`; then a name DuckDB does not take
 * unquoted (one with a space, a reserved word) fails dbt's seed, and wharf
 * says so before anything runs.
 *
 * @module
 */
import { csvRecords } from "../project/csv_records.ts";
import type { SqlParser } from "../project/parse_nodes.ts";

/**
 * The fields of the first record of a CSV text (see {@linkcode csvRecords}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvHeader } from "./seed_columns.ts";
 *
 * assert.deepEqual(csvHeader('id;"Last; name";City\r\n1;a;b\n', ";"), ["id", "Last; name", "City"]);
 * ```
 */
export function csvHeader(text: string, delimiter: string): string[] {
  for (const r of csvRecords(text, delimiter)) return r.fields;
  return [""];
}

/** Options of {@linkcode seedColumns}. */
export interface SeedColumnsOptions {
  delimiter: string;
  /** False: dbt writes the names unquoted. */
  quoteColumns: boolean;
  /** DuckDB's parser, which says which names it takes unquoted. */
  parse: SqlParser;
}

/**
 * The column names of a seed whose file holds `text`, or the problem that
 * keeps dbt from creating its table.
 */
export async function seedColumns(
  text: string,
  options: SeedColumnsOptions,
): Promise<{ names: string[] } | { problem: string }> {
  if (text.replace(/^\uFEFF/, "").trim() === "") {
    return { problem: "the file is empty: a seed's first line names its columns" };
  }
  const header = csvHeader(text, options.delimiter);
  const blank = header.findIndex((h) => h === "");
  if (blank >= 0) {
    return {
      problem: `column ${blank + 1} of the header (delimiter ${
        JSON.stringify(options.delimiter)
      }) has no name: name it, or check the delimiter`,
    };
  }
  const names: string[] = [];
  for (const name of header) {
    let final = name;
    for (let n = 2; names.includes(final); n++) final = `${name}_${n}`;
    names.push(final);
  }
  if (options.quoteColumns) return { names };
  const plain = names.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  const parsed = await options.parse(plain.map((n) => `SELECT ${n} FROM t`));
  const taken = new Set(plain.filter((_, i) => parsed[i]?.ok));
  const bad = names.filter((n) => !taken.has(n));
  if (bad.length) {
    return {
      problem:
        `quote_columns is false, so dbt writes each column name unquoted, and DuckDB does not take ${
          bad.map((n) => JSON.stringify(n)).join(", ")
        } unquoted: set quote_columns: true (dbt-duckdb's default), or rename ${
          bad.length === 1 ? "it" : "them"
        } in the header`,
    };
  }
  return { names };
}
