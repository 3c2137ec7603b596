/**
 * Reading JSON, NDJSON and Excel deliveries into records of text, with the
 * lines that cannot be read set aside as rejects.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import type { Cell } from "exceljs";
import { LandingError } from "../errors.ts";

/** A record of a delivery: its values as text (or null), by header position (missing ones null). */
export type TextRecord = (string | null)[];

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
  /**
   * Records read (array elements, non-blank lines, non-empty sheet rows
   * after the header), counted apart from `rows` and `rejects`: every one
   * must be in one of them.
   */
  read: number;
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
  seen: Map<string, number>,
  obj: Record<string, unknown>,
  rowNumber: number,
): void {
  const values: TextRecord = [];
  for (const [k, v] of Object.entries(obj)) {
    let at = seen.get(k);
    if (at === undefined) {
      at = out.headers.length;
      seen.set(k, at);
      out.headers.push(k);
    }
    values[at] = asText(v);
  }
  out.rows.push({ rowNumber, values });
}

/**
 * The text bytes of a delivery: `bytes` as they are, or decompressed when
 * gzipped (every member of a multi-member stream).
 *
 * @throws {LandingError} when the gzip stream is truncated or corrupt.
 */
export function textBytes(bytes: Uint8Array, name: string): Uint8Array {
  if (!(bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes;
  try {
    return new Uint8Array(gunzipSync(bytes));
  } catch (err) {
    throw new LandingError(
      name,
      `Cannot land "${name}": the gzip stream is truncated or corrupt (${(err as Error).message})`,
      { cause: err },
    );
  }
}

/**
 * Reads a JSON document holding an array of objects (the file's bytes,
 * gzipped or not).
 *
 * @throws {LandingError} on a syntax error (with line and column) or when
 * the document is not an array.
 */
export function readJsonArray(file: Uint8Array, name: string): Records {
  const bytes = textBytes(file, name);
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
  const out: Records = { headers: [], rows: [], rejects: [], read: doc.length };
  const seen = new Map<string, number>();
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
 * Reads newline-delimited JSON (the file's bytes, gzipped or not): one
 * object per line; blank lines are skipped, unreadable lines are rejected
 * with their line and byte offset.
 */
export function readNdjson(file: Uint8Array, name: string): Records {
  const bytes = textBytes(file, name);
  const out: Records = { headers: [], rows: [], rejects: [], read: 0 };
  const seen = new Map<string, number>();
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
    if (raw.length === 0 || (raw.length === 1 && raw[0] === 13)) continue;
    out.read++;
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
    if (text.trim() === "") {
      out.read--;
      continue;
    }
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

/** A value as text; an empty one is NULL, as an empty field of a CSV file is. */
function valueText(value: unknown): string | null {
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
    if ("result" in v && v.result !== undefined) return valueText(v.result);
    if (Array.isArray(v.richText)) return v.richText.map((r) => r.text).join("");
    if (typeof v.text === "string") return v.text;
    if (typeof v.error === "string") return v.error;
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * A cell as text: its value, a formula's cached result, or — for a formula
 * saved without a result — the formula itself (`=A2*2`), as Excel shows it.
 */
function cellText(cell: Cell): string | null {
  const value = cell.value as { formula?: string; sharedFormula?: string; result?: unknown } | null;
  if (
    value !== null && typeof value === "object" &&
    ("formula" in value || "sharedFormula" in value) &&
    value.result === undefined
  ) {
    return `=${cell.formula ?? value.formula ?? value.sharedFormula}`;
  }
  return valueText(value);
}

/**
 * Reads the first (or named) sheet of an .xlsx workbook (its bytes): the
 * first non-empty row is the header (a blank header cell between headers is
 * named by its position, `column_3`; blank cells after the last header are
 * formatting and dropped, unless a row has data there); rows with no value at all (formatted but empty) are
 * skipped; real dates become ISO text, text stays text.
 *
 * @throws {LandingError} when the workbook cannot be opened or the sheet is missing.
 */
export async function readXlsx(file: Uint8Array, name: string, sheet?: string): Promise<Records> {
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(file as unknown as ArrayBuffer);
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
  const out: Records = { headers: [], rows: [], rejects: [], read: 0 };
  let columns: string[] | undefined;
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: (string | null)[] = [];
    for (let c = 1; c <= row.cellCount; c++) cells.push(cellText(row.getCell(c)));
    if (cells.every((c) => c === null || c.trim() === "")) return;
    if (!columns) {
      // Blank cells after the last header are formatting, not columns (data there still lands).
      let end = cells.length;
      while (end > 0 && (cells[end - 1] === null || cells[end - 1]!.trim() === "")) end--;
      columns = cells.slice(0, end).map((c, i) =>
        c === null || c.trim() === "" ? `column_${i + 1}` : c
      );
      out.headers.push(...columns);
      return;
    }
    out.read++;
    // Cells past the header land in columns named by position.
    let last = cells.length - 1;
    while (last >= out.headers.length && cells[last] === null) last--;
    for (let i = out.headers.length; i <= last; i++) out.headers.push(`column_${i + 1}`);
    out.rows.push({ rowNumber, values: cells.slice(0, out.headers.length) });
  });
  if (!columns) throw new LandingError(name, `Cannot land "${name}": sheet "${ws.name}" is empty`);
  return out;
}
