/**
 * Reading CSV text as Python's `csv` module does (dbt reads seeds with it).
 *
 * @module
 */

/** One record of a CSV text: its fields and the line it starts on (1-based). */
export interface CsvRecord {
  fields: string[];
  line: number;
  /** The line break that ends it (`"\r\n"`, `"\n"` or `"\r"`; `""` at the end of the text). */
  end: string;
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
 * import { csvRecords } from "./csv_records.ts";
 *
 * const records = [...csvRecords('id;"Last; name"\r\n1;"a\nb"\n2;c', ";")];
 * assert.deepEqual(records, [
 *   { fields: ["id", "Last; name"], line: 1, end: "\r\n" },
 *   { fields: ["1", "a\nb"], line: 2, end: "\n" },
 *   { fields: ["2", "c"], line: 4, end: "" },
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
    let end = "";
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
        end = c === "\r" && text[i + 1] === "\n" ? "\r\n" : c;
        i += end.length;
        line++;
        break;
      } else {
        field += c;
        any = true;
        i++;
      }
    }
    yield { fields, line: start, end };
  }
}
