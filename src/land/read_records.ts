/**
 * Reading JSON, NDJSON and Excel deliveries into records of text, with the
 * lines that cannot be read set aside as rejects.
 *
 * @module
 */
import { LandingError } from "../errors.ts";

/** A record of a delivery: column as delivered → text (or null). */
export type TextRecord = Map<string, string | null>;

/** A line (or element) that could not be read, with why. */
export interface RejectedLine {
  line: number;
  byteOffset: number;
  error: string;
  text: string;
}

/** What a reader made of a file: records with their 1-based numbers, and rejects. */
export interface Records {
  /** Headers in first-seen order. */
  headers: string[];
  rows: { rowNumber: number; values: TextRecord }[];
  rejects: RejectedLine[];
}

/** A JSON value as raw text: strings as they are, nested values as JSON. */
function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function addRecord(
  out: Records,
  seen: Set<string>,
  obj: Record<string, unknown>,
  rowNumber: number,
): void {
  const values: TextRecord = new Map();
  for (const [k, v] of Object.entries(obj)) {
    if (!seen.has(k)) {
      seen.add(k);
      out.headers.push(k);
    }
    values.set(k, asText(v));
  }
  out.rows.push({ rowNumber, values });
}

async function readText(path: string, gzip: boolean, name: string): Promise<Uint8Array> {
  if (!gzip) return await Deno.readFile(path);
  try {
    using f = await Deno.open(path);
    const stream = f.readable.pipeThrough(
      new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new LandingError(
      name,
      `Cannot read "${name}": the gzip stream is broken or truncated (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
}

/**
 * Reads a JSON file holding an array of objects.
 *
 * @throws {LandingError} on a syntax error (with line and column) or when
 * the document is not an array.
 */
export async function readJsonArray(path: string, gzip: boolean, name: string): Promise<Records> {
  const bytes = await readText(path, gzip, name);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch (err) {
    throw new LandingError(name, `Cannot read "${name}": JSON must be UTF-8 text`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? text.slice(0, Number(pos[1])).split("\n").length : undefined;
    throw new LandingError(
      name,
      `Cannot land "${name}": JSON syntax error${line ? ` at line ${line}` : ""}: ${msg}`,
      {
        cause: err,
        line,
      },
    );
  }
  if (!Array.isArray(doc)) {
    throw new LandingError(
      name,
      `Cannot land "${name}": expected a JSON array of objects, got ${
        typeof doc === "object" && doc ? "an object" : typeof doc
      } (for one object per line use .ndjson)`,
    );
  }
  const out: Records = { headers: [], rows: [], rejects: [] };
  const seen = new Set<string>();
  doc.forEach((el, i) => {
    if (el !== null && typeof el === "object" && !Array.isArray(el)) {
      addRecord(out, seen, el as Record<string, unknown>, i + 1);
    } else {out.rejects.push({
        line: i + 1,
        byteOffset: -1,
        error: `element ${i + 1} is not an object`,
        text: JSON.stringify(el),
      });}
  });
  return out;
}

/**
 * Reads newline-delimited JSON: one object per line; blank lines are
 * skipped, unreadable lines are rejected with their line and byte offset.
 */
export async function readNdjson(path: string, gzip: boolean, name: string): Promise<Records> {
  const bytes = await readText(path, gzip, name);
  const out: Records = { headers: [], rows: [], rejects: [] };
  const seen = new Set<string>();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let line = 0;
  while (start < bytes.length) {
    let end = bytes.indexOf(10, start);
    if (end === -1) end = bytes.length;
    line++;
    const raw = bytes.subarray(start, end);
    const offset = start;
    start = end + 1;
    let text: string;
    try {
      text = decoder.decode(raw).replace(/\r$/, "");
    } catch {
      out.rejects.push({
        line,
        byteOffset: offset,
        error: "invalid UTF-8",
        text: new TextDecoder().decode(raw),
      });
      continue;
    }
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      out.rejects.push({
        line,
        byteOffset: offset,
        error: `JSON syntax error: ${(err as Error).message}`,
        text,
      });
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      out.rejects.push({ line, byteOffset: offset, error: "expected a JSON object", text });
      continue;
    }
    addRecord(out, seen, value as Record<string, unknown>, line);
  }
  return out;
}

/** A cell as text; an empty cell is NULL, as an empty field of a CSV file is. */
function cellText(value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso.slice(0, 19).replace("T", " ");
  }
  if (typeof value === "object") {
    const v = value as {
      result?: unknown;
      text?: unknown;
      richText?: { text: string }[];
      error?: string;
    };
    if ("result" in v) return cellText(v.result);
    if (Array.isArray(v.richText)) return v.richText.map((r) => r.text).join("");
    if (typeof v.text === "string") return v.text;
    if (typeof v.error === "string") return v.error;
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * Reads the first (or named) sheet of an .xlsx workbook: the first non-empty
 * row is the header; rows with no value at all (formatted but empty) are
 * skipped; real dates become ISO text, text stays text.
 *
 * @throws {LandingError} when the workbook cannot be opened or the sheet is missing.
 */
export async function readXlsx(path: string, name: string, sheet?: string): Promise<Records> {
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.readFile(path);
  } catch (err) {
    throw new LandingError(name, `Cannot open workbook "${name}": ${(err as Error).message}`, {
      cause: err,
    });
  }
  const ws = sheet === undefined ? wb.worksheets[0] : wb.getWorksheet(sheet);
  if (!ws) {
    throw new LandingError(
      name,
      `Workbook "${name}" has no sheet ${sheet === undefined ? "" : `"${sheet}" `}(sheets: ${
        wb.worksheets.map((w) => `"${w.name}"`).join(", ")
      })`,
    );
  }
  const out: Records = { headers: [], rows: [], rejects: [] };
  let columns: string[] | undefined;
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells = (row.values as unknown[]).slice(1).map(cellText);
    if (cells.every((c) => c === null || c.trim() === "")) return;
    if (!columns) {
      columns = cells.map((c, i) => c ?? `column_${i + 1}`);
      out.headers.push(...columns);
      return;
    }
    const values: TextRecord = new Map();
    cells.forEach((c, i) => {
      if (i < columns!.length) values.set(columns![i]!, c);
      else if (c !== null) {
        const extra = `column_${i + 1}`;
        if (!out.headers.includes(extra)) out.headers.push(extra);
        values.set(extra, c);
      }
    });
    out.rows.push({ rowNumber, values });
  });
  if (!columns) throw new LandingError(name, `Cannot land "${name}": sheet "${ws.name}" is empty`);
  return out;
}
