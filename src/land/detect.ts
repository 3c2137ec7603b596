/**
 * Looking at a delivered file before landing it: compression, format,
 * binary or empty content, text encoding, delimiter and header.
 *
 * @module
 */
import { extname } from "node:path";
import { LandingError } from "../errors.ts";
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
}

const SAMPLE = 1 << 20;

/** Reads up to `SAMPLE` bytes from the start of the file, decompressed when gzipped. */
async function sample(path: string, gzip: boolean, name: string): Promise<Uint8Array> {
  using file = await Deno.open(path);
  let stream: ReadableStream<Uint8Array> = file.readable;
  if (gzip) {
    stream = stream.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
  }
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < SAMPLE) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch (err) {
    if (size === 0) {
      throw new LandingError(
        name,
        `Cannot read "${name}": not a valid gzip file (${(err as Error).message})`,
        { cause: err },
      );
    }
  } finally {
    await reader.cancel().catch(() => {});
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
    const n = splitFields(headerLine, d).length - 1;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/** Splits one line into fields by `delimiter`, honoring double quotes. */
export function splitFields(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (line.startsWith(delimiter, i)) {
      fields.push(field);
      field = "";
      i += delimiter.length - 1;
    } else field += ch;
  }
  fields.push(field);
  return fields;
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

/**
 * Looks at the start of `path` (named `name` in messages) and decides how
 * to read it.
 *
 * @throws {LandingError} for an empty, binary, non-gzip or headerless file,
 * or one whose format cannot be told.
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
  if (bytes.includes(0)) {
    throw new LandingError(
      name,
      `Cannot land "${name}": it looks binary (NUL bytes), not ${
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
  if (end === -1 && bytes.length === SAMPLE) {
    throw new LandingError(
      name,
      `Cannot land "${name}": its header line is longer than ${SAMPLE} bytes`,
      { line: 1 },
    );
  }
  const headerLine = end === -1 ? text : text.slice(0, end);
  if (headerLine.trim() === "") {
    throw new LandingError(name, `Cannot land "${name}": the header line is empty`, { line: 1 });
  }
  const delimiter = source.delimiter ?? defaultDelimiter(name) ?? sniffDelimiter(headerLine);
  return { format, gzip, delimiter, encoding, header: splitFields(headerLine, delimiter) };
}
