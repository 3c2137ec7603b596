/**
 * Records of a delivery read whole (JSON, NDJSON, Excel: see `formats/`):
 * values as text, with the lines that cannot be read set aside as rejects.
 *
 * @module
 */
import { gunzipSync } from "node:zlib";
import { LandingError } from "../engine/errors.ts";

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
  /**
   * What a message about the header should add: where the records were
   * read and how to read elsewhere (an Excel file: its sheet, the others
   * and the `sheet` setting).
   */
  headerHint?: string;
  /**
   * Per header position, where a column's name came from when no header
   * cell gave it (`first value in cell G12`, `blank header cell C1`).
   */
  columnNotes?: (string | undefined)[];
}

/** A JSON value as raw text: strings as they are, nested values as JSON. */
function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/**
 * Adds the object `obj` (record `rowNumber`) to `out`: its keys become
 * headers in first-seen order (`seen` maps a key to its position), its
 * values text.
 */
export function addRecord(
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
