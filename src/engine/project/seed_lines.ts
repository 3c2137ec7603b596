/**
 * What a seed file's lines hold that decides how DuckDB must read it: the
 * number of fields of each line against the header's, and the kinds of line
 * break. DuckDB's sniffer reads a file whose lines do not all have the same
 * number of fields as one column (named like `a,b`); outside its strict mode
 * (which a file of mixed line breaks needs) it drops the fields of a line
 * beyond the header's. A quote never closed, or a quoted value with more
 * text after its closing quote, makes the sniffer read the file without
 * quotes (the quote kept in the value, a quoted delimiter splitting it). So
 * wharf checks the lines before anything runs.
 *
 * @module
 */
import { type BadQuote, type CsvRecord, csvRecords } from "./csv_records.ts";

/** The delimiters DuckDB's sniffer tries, in its order. */
const SNIFFED = [",", "|", ";", "\t"];

/** Options of {@linkcode seedLines}. */
export interface SeedLinesOptions {
  /**
   * The file's delimiter; absent: the first of DuckDB's candidates (`,`,
   * `|`, `;`, tab) the header holds under which every line has the header's
   * number of fields.
   */
  delimiter?: string;
  /**
   * A line of fewer fields than the header: `pad` reads its missing fields
   * as nulls (dbt's seeds, read by agate); `refuse` makes it a problem.
   */
  short: "pad" | "refuse";
}

/** How DuckDB must read a seed file that {@linkcode seedLines} found sound. */
export interface SeedLineShape {
  /** Its records end in more than one of `\r\n`, `\n` and `\r`. */
  mixed: boolean;
  /** A line has fewer fields than the header (only with `short: "pad"`). */
  short: boolean;
}

/** How many of a file's bad lines {@linkcode seedLines} describes; the others it only numbers. */
const SHOWN = 5;

/**
 * The shape of the lines of the seed file holding `text`, or the problems of
 * its lines, in order: each misplaced quote (see `BadQuote`), each line (an
 * empty line aside) whose number of fields is not the header's; the first
 * five described, the others numbered in a last problem. Line breaks inside
 * a quoted value do not end a line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seedLines } from "./seed_lines.ts";
 *
 * assert.deepEqual(seedLines("id,name\r\n1,a\r\n2,b\n", { short: "refuse" }), {
 *   mixed: true,
 *   short: false,
 * });
 * assert.deepEqual(seedLines('id;name\r\n1;"a\nb"\r\n2\r\n', { short: "pad" }), {
 *   mixed: false,
 *   short: true,
 * });
 * const { problems } = seedLines('id,day\n1,2024-01-07\n2,x,y\n3,"2024-01-08\n', {
 *   short: "pad",
 * }) as { problems: string[] };
 * assert.equal(problems.length, 2);
 * assert.match(problems[0]!, /^line 3 has 3 fields where the header has 2 \(delimiter ","\)/);
 * assert.match(problems[1]!, /^line 4: the quote opening `"2024-01-08` is never closed/);
 * ```
 */
export function seedLines(
  text: string,
  options: SeedLinesOptions,
): SeedLineShape | { problems: string[] } {
  const firstLine = text.split(/\r\n|\r|\n/, 1)[0]!;
  const candidates = options.delimiter !== undefined
    ? [options.delimiter]
    : SNIFFED.filter((d) => firstLine.includes(d));
  if (!candidates.length) candidates.push(",");
  let first: { problems: string[] } | undefined;
  for (const delimiter of candidates) {
    const found = linesUnder(text, delimiter, options.short);
    if (!("problems" in found)) return found;
    first ??= found;
  }
  return first!;
}

/** {@linkcode seedLines} with one delimiter. */
function linesUnder(
  text: string,
  delimiter: string,
  short: "pad" | "refuse",
): SeedLineShape | { problems: string[] } {
  const records = [...csvRecords(text, delimiter)];
  if (!records.length) return { mixed: false, short: false };
  const width = records[0]!.fields.length;
  const rows = records.slice(1).filter((r) => r.fields.length);
  // A line with a misplaced quote has its quote's problem, whatever its number of fields.
  const bad = records.filter((r) =>
    r.badQuote ||
    (r !== records[0] && r.fields.length &&
      (r.fields.length > width || (short === "refuse" && r.fields.length < width)))
  );
  if (bad.length) {
    const problems = bad.slice(0, SHOWN).map((r) =>
      r.badQuote ? quoteProblem(r.badQuote, delimiter) : raggedProblem(r, width, delimiter)
    );
    const rest = bad.slice(SHOWN);
    if (rest.length) {
      problems.push(
        `and ${rest.length} more line${rest.length === 1 ? "" : "s"} like these: ${
          rest.slice(0, 10).map((r) => r.badQuote?.line ?? r.line).join(", ")
        }${rest.length > 10 ? ", …" : ""}`,
      );
    }
    return { problems };
  }
  const ends = new Set(records.map((r) => r.end).filter((e) => e !== ""));
  return { mixed: ends.size > 1, short: rows.some((r) => r.fields.length < width) };
}

/** The problem of the line `record`, whose number of fields is not the header's `width`. */
function raggedProblem(record: CsvRecord, width: number, delimiter: string): string {
  const found = record.fields.length;
  const fields = (n: number) => `${n} field${n === 1 ? "" : "s"}`;
  const fix = found > width
    ? "quote a value that holds the delimiter, or name the extra column in the header"
    : `an empty field is a missing value: ${
      JSON.stringify(Array(width).fill("").join(delimiter))
    } is a line of ${fields(width)}, all empty`;
  return `line ${record.line} has ${fields(found)} where the header has ${width} (delimiter ${
    JSON.stringify(delimiter)
  }): give every line the header's ${fields(width)} (${fix})`;
}
/** The problem of a misplaced quote. */
function quoteProblem(quote: BadQuote, delimiter: string): string {
  return quote.kind === "unclosed"
    ? `line ${quote.line}: the quote opening \`${quote.text}\` is never closed (the value would run to the end of the file): end the value with a quote, or, for a quote that is part of a value, quote the whole value and write the quote twice (\`"say ""hi"""\` reads say "hi")`
    : `line ${quote.line}: the quoted value \`${quote.text}\` goes on after its closing quote: end it at the delimiter (${
      JSON.stringify(delimiter)
    }), or quote the whole value and write each quote in it twice (\`"${
      quote.text.replaceAll('"', '""')
    }"\` reads ${quote.text})`;
}
