/**
 * Delimited text: CSV and tab-, pipe- or otherwise delimited files (`.csv`,
 * `.txt`, `.tsv`, `.psv`, `.dat`, maybe gzipped), UTF-8 or Windows-1252
 * (Latin-1), with a header line; lines end with LF, CRLF or CR alone. The delimiter is the source's, the extension's (`,` for
 * .csv, tab for .tsv, `|` for .psv), or sniffed from the header. DuckDB's
 * CSV reader streams the records while wharf scans them (`land_file.ts`).
 *
 * @module
 */
import { extname } from "node:path";
import { LandingError } from "../../engine/errors.ts";
import type { FileFormat } from "./format.ts";
import { inspectText, SAMPLE } from "./text.ts";
import { encodingOf, hasUtf8Multibyte } from "../utf8.ts";

function defaultDelimiter(name: string): string | undefined {
  const ext = extname(name.toLowerCase().replace(/\.gz$/, ""));
  return ext === ".csv" ? "," : ext === ".tsv" ? "\t" : ext === ".psv" ? "|" : undefined;
}

/** Picks the delimiter that splits the header line into the most fields (outside quotes). */
export function sniffDelimiter(headerLine: string): string {
  let best = ",";
  let bestCount = 0;
  for (const d of ["\t", "|", ",", ";"]) {
    const n = (firstRecord(headerLine, d)?.fields.length ?? 1) - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/**
 * The first record of delimited text (the header), honoring quotes: a
 * quoted field may hold the delimiter and line breaks. It ends at LF, CRLF
 * or a CR alone (`newline` says which). `ended` is false when the text ends
 * with it (no line break after it); undefined when the text ends inside a
 * quoted field.
 */
export function firstRecord(
  text: string,
  delimiter: string,
):
  | { fields: string[]; lines: number; newline: "\n" | "\r\n" | "\r"; ended: boolean }
  | undefined {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  let lines = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === "\n") lines++;
        field += ch;
      }
    } else if (ch === '"' && field === "") quoted = true;
    else if (text.startsWith(delimiter, i)) {
      fields.push(field);
      field = "";
      i += delimiter.length - 1;
    } else if (ch === "\n" || ch === "\r") {
      fields.push(field);
      const newline = ch === "\n" ? "\n" : text[i + 1] === "\n" ? "\r\n" : "\r";
      return { fields, lines, newline, ended: true };
    } else field += ch;
  }
  if (quoted) return undefined;
  fields.push(field);
  return { fields, lines, newline: "\n", ended: false };
}

/**
 * The five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90,
 * 0x9D), as the WHATWG decoder gives them: C1 control characters.
 */
export const WINDOWS_1252_UNDEFINED = /[\x81\x8d\x8f\x90\x9d]/;

/** `0x81` for the character U+0081. */
function hexByte(ch: string): string {
  return `0x${ch.charCodeAt(0).toString(16).toUpperCase()}`;
}

/** The delimited-text format. */
export const csv: FileFormat<"csv"> = {
  name: "csv",
  extensions: [".csv", ".txt", ".tsv", ".psv", ".dat"],
  async inspect(input) {
    const { name, source, gzip } = input;
    const bytes = await inspectText(input, "delimited text");
    let encoding: "utf-8" | "windows-1252" = source.encoding === "windows-1252"
      ? "windows-1252"
      : "utf-8";
    /** The sample does not settle the encoding: the scan of the whole file does (`utf8.ts`). */
    let encodingUnsure = false;
    if (source.encoding === "auto") {
      let invalid = false;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(
          bytes.length === SAMPLE ? bytes.subarray(0, SAMPLE - 4) : bytes,
        );
      } catch {
        invalid = true;
      }
      const multibyte = hasUtf8Multibyte(bytes);
      encoding = encodingOf({ multibyte, invalid });
      encodingUnsure = !multibyte && bytes.length === SAMPLE;
    }
    const text = new TextDecoder(encoding).decode(bytes).replace(/^\uFEFF/, "");
    const end = text.search(/[\r\n]/);
    const firstLine = end === -1 ? text : text.slice(0, end);
    if (firstLine.trim() === "") {
      throw new LandingError(name, `Cannot land "${name}": the header line is empty`, { line: 1 });
    }
    const delimiter = source.delimiter ?? defaultDelimiter(name) ?? sniffDelimiter(firstLine);
    const header = firstRecord(text, delimiter);
    if (!header?.ended && bytes.length === SAMPLE) {
      throw new LandingError(
        name,
        `Cannot land "${name}": its header is longer than ${SAMPLE} bytes`,
        { line: 1 },
      );
    }
    if (!header) {
      throw new LandingError(
        name,
        `Cannot land "${name}": its header has a quote that is never closed`,
        { line: 1 },
      );
    }
    const undefinedByte = encoding === "windows-1252"
      ? header.fields.join("").match(WINDOWS_1252_UNDEFINED)?.[0]
      : undefined;
    if (undefinedByte) {
      throw new LandingError(
        name,
        `Cannot land "${name}": its header holds byte ${
          hexByte(undefinedByte)
        }, which is no character in Windows-1252, the encoding of text that is not UTF-8: convert the file to UTF-8`,
        { line: 1 },
      );
    }
    return {
      gzip,
      delimiter,
      encoding,
      ...encodingUnsure ? { encodingUnsure } : {},
      header: header.fields,
      headerLines: header.lines,
      newline: header.newline,
    };
  },
};
