/**
 * Looking at a delivered file before landing it: compression, format,
 * binary or empty content, text encoding, delimiter and header.
 *
 * @module
 */
import { extname } from "node:path";
import { LandingError } from "../errors.ts";
import { textChunks } from "./scan_text.ts";
import type { FileFormat, Source } from "./sources.ts";

/** What a look at the start of a file found. */
export interface FileInfo {
  format: FileFormat;
  gzip: boolean;
  /** Delimited text only. */
  delimiter?: string;
  encoding?: "utf-8" | "latin-1";
  /** Delimited text only: the header fields as delivered. */
  header?: string[];
  /** Delimited text only: lines of the header (more than one when a quoted header holds a line break). */
  headerLines?: number;
  /** Delimited text only: the header's line ending. */
  newline?: "\n" | "\r\n";
}

const SAMPLE = 1 << 20;

/** Reads up to `SAMPLE` bytes from the start of the text, decompressed when gzipped. */
async function sample(path: string, gzip: boolean, name: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of textChunks(path, name, { gzip })) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= SAMPLE) break;
    }
  } catch (err) {
    // A gzip stream broken further on is caught when the whole file is read.
    if (!(err instanceof LandingError)) throw err;
    if (size === 0) {
      throw new LandingError(
        name,
        `Cannot land "${name}": it is not a valid gzip file (${(err.cause as Error).message})`,
        { cause: err },
      );
    }
  }
  const out = new Uint8Array(Math.min(size, SAMPLE));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, out.length - at);
    out.set(part, at);
    at += part.length;
    if (at >= out.length) break;
  }
  return out;
}

/** The format a file name implies, ignoring a trailing `.gz`. */
export function formatFromName(name: string): FileFormat | undefined {
  const base = name.toLowerCase().replace(/\.gz$/, "");
  switch (extname(base)) {
    case ".csv":
    case ".txt":
    case ".tsv":
    case ".psv":
    case ".dat":
      return "csv";
    case ".json":
      return "json";
    case ".ndjson":
    case ".jsonl":
      return "ndjson";
    case ".xlsx":
      return "xlsx";
    default:
      return undefined;
  }
}

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

/** True when the bytes hold a valid UTF-8 multi-byte sequence (so the file is UTF-8 text, not Latin-1). */
function hasUtf8Multibyte(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length - 1; i++) {
    const b = bytes[i]!;
    if (b >= 0xc2 && b <= 0xf4) {
      const need = b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
      let ok = i + need < bytes.length;
      for (let k = 1; ok && k <= need; k++) ok = (bytes[i + k]! & 0xc0) === 0x80;
      if (ok) return true;
    }
  }
  return false;
}

/** "UTF-16LE" or "UTF-16BE" when the bytes are UTF-16 text (a byte-order mark, or NULs beside ASCII). */
function utf16(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "UTF-16LE";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "UTF-16BE";
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 4) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenNul++;
    if (bytes[i + 1] === 0) oddNul++;
  }
  const half = n / 2;
  if (oddNul >= half * 0.4 && evenNul <= half * 0.05) return "UTF-16LE";
  if (evenNul >= half * 0.4 && oddNul <= half * 0.05) return "UTF-16BE";
  return undefined;
}

/**
 * Control bytes (NUL and the C0 controls other than tab, line feed, form
 * feed and carriage return, and DEL) in the bytes. Text has next to none;
 * binary data (even without NULs) has about one in ten.
 */
function controlBytes(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if ((b < 0x20 && b !== 9 && b !== 10 && b !== 12 && b !== 13) || b === 0x7f) n++;
  }
  return n;
}

/**
 * The first record of delimited text (the header), honoring quotes: a
 * quoted field may hold the delimiter and line breaks. `ended` is false when
 * the text ends with it (no line break after it); undefined when the text
 * ends inside a quoted field.
 */
export function firstRecord(
  text: string,
  delimiter: string,
): { fields: string[]; lines: number; newline: "\n" | "\r\n"; ended: boolean } | undefined {
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
    } else if (ch === "\n" || (ch === "\r" && text[i + 1] === "\n")) {
      fields.push(field);
      return { fields, lines, newline: ch === "\r" ? "\r\n" : "\n", ended: true };
    } else field += ch;
  }
  if (quoted) return undefined;
  fields.push(field);
  return { fields, lines, newline: "\n", ended: false };
}

/**
 * Looks at the start of `path` (named `name` in messages) and decides how
 * to read it.
 *
 * @throws {LandingError} for an empty, binary, UTF-16, non-gzip or headerless
 * file, or one whose format cannot be told.
 */
export async function inspectFile(path: string, name: string, source: Source): Promise<FileInfo> {
  const stat = await Deno.stat(path);
  if (stat.size === 0) throw new LandingError(name, `Cannot land "${name}": the file is empty`);
  const head = new Uint8Array(4);
  {
    using f = await Deno.open(path);
    await f.read(head);
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const format = source.format ?? formatFromName(name);
  if (!format) {
    throw new LandingError(
      name,
      `Cannot tell the format of "${name}": use a .csv, .txt, .tsv, .psv, .json, .ndjson or .xlsx name (optionally .gz), or set "format" on source "${source.name}"`,
    );
  }
  if (format === "xlsx") {
    if (!(head[0] === 0x50 && head[1] === 0x4b)) {
      throw new LandingError(
        name,
        `Cannot land "${name}": it is not an Excel .xlsx workbook (no zip signature)`,
      );
    }
    return { format, gzip: false };
  }
  const bytes = await sample(path, gzip, name);
  if (bytes.length === 0) throw new LandingError(name, `Cannot land "${name}": the file is empty`);
  const wide = utf16(bytes);
  if (wide) {
    throw new LandingError(
      name,
      `Cannot land "${name}": it is ${wide} text; wharf reads UTF-8 and Latin-1: convert it to UTF-8 (e.g. iconv -f ${wide} -t UTF-8)`,
    );
  }
  const controls = controlBytes(bytes);
  if (controls >= 4 && controls * 100 >= bytes.length) {
    throw new LandingError(
      name,
      `Cannot land "${name}": it looks binary (${controls} control bytes in its first ${bytes.length}), not ${
        format === "csv" ? "delimited text" : "JSON"
      }`,
    );
  }
  if (format !== "csv") return { format, gzip, encoding: "utf-8" };

  let encoding: "utf-8" | "latin-1" = source.encoding === "latin-1" ? "latin-1" : "utf-8";
  if (source.encoding === "auto") {
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(
        bytes.length === SAMPLE ? bytes.subarray(0, SAMPLE - 4) : bytes,
      );
    } catch {
      // Not UTF-8: Latin-1, unless valid UTF-8 sequences show it is UTF-8 with bad lines.
      if (!hasUtf8Multibyte(bytes)) encoding = "latin-1";
    }
  }
  const text = new TextDecoder(encoding === "latin-1" ? "latin1" : "utf-8").decode(bytes).replace(
    /^\uFEFF/,
    "",
  );
  const end = text.search(/\r?\n/);
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
  return {
    format,
    gzip,
    delimiter,
    encoding,
    header: header.fields,
    headerLines: header.lines,
    newline: header.newline,
  };
}
