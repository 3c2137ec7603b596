/**
 * Whether a seed's file ends its lines in more than one way: a file saved on
 * Windows (`\r\n`) and appended to elsewhere (`\n`). dbt reads such a file as
 * any other; DuckDB's CSV reader takes it only with `strict_mode = false`,
 * which also drops the fields of a line beyond the header's. So wharf loads
 * such a file that way once it has checked that each line has the header's
 * number of fields.
 *
 * @module
 */
import { csvRecords } from "./csv_records.ts";

/** The delimiters DuckDB's sniffer tries, in its order. */
const SNIFFED = [",", "|", ";", "\t"];

/**
 * How the seed file holding `text` ends its lines: `mixed` when its records
 * end in more than one of `\r\n`, `\n` and `\r` (line breaks inside a quoted
 * value do not count), or the problem with a mixed file whose lines do not all
 * have the header's number of fields. `delimiter` absent: the first of
 * DuckDB's candidates (`,`, `|`, `;`, tab) the header holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seedLineBreaks } from "./seed_line_breaks.ts";
 *
 * assert.deepEqual(seedLineBreaks("id,name\r\n1,a\r\n2,b\n"), { mixed: true });
 * assert.deepEqual(seedLineBreaks('id,name\r\n1,"a\nb"\r\n'), { mixed: false });
 * assert.match(
 *   (seedLineBreaks("id,name\r\n1,a\n2,b,c\n") as { problem: string }).problem,
 *   /line 3 has 3 fields, and the header 2/,
 * );
 * ```
 */
export function seedLineBreaks(
  text: string,
  delimiter?: string,
): { mixed: boolean } | { problem: string } {
  if (!/\r\n|\r|\n/.test(text)) return { mixed: false };
  const firstLine = text.split(/\r\n|\r|\n/, 1)[0]!;
  const records = [
    ...csvRecords(text, delimiter ?? SNIFFED.find((d) => firstLine.includes(d)) ?? ","),
  ];
  const ends = new Set(records.map((r) => r.end).filter((e) => e !== ""));
  if (ends.size < 2) return { mixed: false };
  const width = records[0]!.fields.length;
  const odd = records.slice(1).find((r) => r.fields.length && r.fields.length !== width);
  if (!odd) return { mixed: true };
  const names = [...ends].map((e) => JSON.stringify(e)).join(" and ");
  return {
    problem:
      `its lines end in both ${names}, which DuckDB reads only outside its strict mode (where it drops a line's extra fields), and line ${odd.line} has ${odd.fields.length} fields, and the header ${width}: give every line the header's fields (quote a value that holds the delimiter), or save the file with one kind of line break`,
  };
}
