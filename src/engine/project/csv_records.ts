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
  /** Its first misplaced quote, when it has one (see {@linkcode BadQuote}). */
  badQuote?: BadQuote;
}

/**
 * A quote that Python's `csv` reads past without complaint, leaving the
 * value other than written, and that DuckDB reads otherwise again:
 * `unclosed`, a quote opening a value that is never closed (the value takes
 * the rest of the text); `after`, a closing quote followed by more of the
 * value (`"a"b` reads as `ab`).
 */
export interface BadQuote {
  kind: "unclosed" | "after";
  /** The line of the value's opening quote (1-based). */
  line: number;
  /**
   * The value as written from its opening quote (line breaks as `\n`): to the
   * end of its line (`unclosed`), to the delimiter after it (`after`).
   */
  text: string;
}

/**
 * The records of a CSV text as Python's `csv` module reads them (dbt reads
 * seeds with it): quoted fields (`"a,b"`, `""` for a quote) when the quote
 * opens the field, a record ending at a line break outside quotes (`\n`,
 * `\r\n` or `\r`), an empty line a record of no field. A quote never
 * closed, or text after a closing quote, is read as Python reads it and
 * marked as the record's `badQuote`.
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
    /** Where the quote that opened the current field is, and on which line. */
    let opened = { at: 0, line: 0 };
    let badQuote: BadQuote | undefined;
    /** The current field's closing quote was read. */
    let closed = false;
    for (;;) {
      if (i >= text.length) {
        if (quoted) {
          const value = text.slice(opened.at).split(/\r|\n/, 1)[0]!;
          badQuote ??= { kind: "unclosed", line: opened.line, text: value };
        }
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
          closed = true;
          i++;
        } else {
          if (c === "\n") line++;
          field += c;
          i++;
        }
      } else if (c === '"' && field === "" && !any) {
        quoted = true;
        any = true;
        opened = { at: i, line };
        i++;
      } else if (text.startsWith(delimiter, i)) {
        fields.push(field);
        field = "";
        any = false;
        closed = false;
        i += delimiter.length;
      } else if (c === "\n" || c === "\r") {
        if (any || field !== "" || fields.length) fields.push(field);
        end = c === "\r" && text[i + 1] === "\n" ? "\r\n" : c;
        i += end.length;
        line++;
        break;
      } else {
        if (closed && !badQuote) {
          let stop = i;
          while (stop < text.length && !/[\r\n]/.test(text[stop]!)) {
            if (text.startsWith(delimiter, stop)) break;
            stop++;
          }
          const value = text.slice(opened.at, stop).replace(/\r\n|\r|\n/g, "\\n");
          badQuote = { kind: "after", line: opened.line, text: value };
        }
        field += c;
        any = true;
        i++;
      }
    }
    yield { fields, line: start, end, ...(badQuote ? { badQuote } : {}) };
  }
}
