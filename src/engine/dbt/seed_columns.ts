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
import type { SqlParser } from "../project/parse_nodes.ts";

/** One record of a CSV text: its fields and the line it starts on (1-based). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * The records of a CSV text as Python's `csv` module reads them (dbt reads
 * seeds with it): quoted fields (`"a,b"`, `""` for a quote) when the quote
 * opens the field, a record ending at a line break outside quotes (`\n`,
 * `\r\n` or `\r`), an empty line a record of no field.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { csvRecords } from "./seed_columns.ts";
 *
 * const records = [...csvRecords('id;"Last; name"\r\n1;"a\nb"\n2;c', ";")];
 * assert.deepEqual(records, [
 *   { fields: ["id", "Last; name"], line: 1 },
 *   { fields: ["1", "a\nb"], line: 2 },
 *   { fields: ["2", "c"], line: 4 },
 * ]);
 * ```
 */
export function* csvRecords(text: string, delimiter: string): Generator<CsvRecord> {
  let i = text.startsWith("\uFEFF") ? 1 : 0;
  let line = 1;
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    let field = "";
    let quoted = false;
    let any = false;
    for (;;) {
      if (i >= text.length) {
        if (any || field !== "" || fields.length) fields.push(field);
        break;
      }
      const c = text[i]!;
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (c === '"') {
          quoted = false;
          i++;
        } else {
          if (c === "\n") line++;
          field += c;
          i++;
        }
      } else if (c === '"' && field === "" && !any) {
        quoted = true;
        any = true;
        i++;
      } else if (text.startsWith(delimiter, i)) {
        fields.push(field);
        field = "";
        any = false;
        i += delimiter.length;
      } else if (c === "\n" || c === "\r") {
        if (any || field !== "" || fields.length) fields.push(field);
        i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
        line++;
        break;
      } else {
        field += c;
        any = true;
        i++;
      }
    }
    yield { fields, line: start };
  }
}

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
