/**
 * NDJSON: one JSON object per line (`.ndjson`, `.jsonl`, maybe gzipped).
 * Blank lines are skipped; a line that is not an object, or (for a source
 * that declares its columns) has a key that is not one of them, is rejected
 * with its line and byte offset.
 *
 * @module
 */
import {
  addRecord,
  parseJson,
  type Records,
  setAsideUnexpectedKeys,
  textBytes,
  unexpectedKeys,
} from "../read_records.ts";
import type { Source } from "../sources.ts";
import type { FileFormat } from "./format.ts";
import { inspectText } from "./text.ts";

/**
 * Reads newline-delimited JSON (the file's bytes, gzipped or not): one
 * object per line; blank lines are skipped, unreadable lines and lines with
 * keys `source` does not declare (see {@linkcode setAsideUnexpectedKeys})
 * are rejected with their line and byte offset.
 */
function readNdjson(file: Uint8Array, name: string, source: Source): Records {
  const bytes = textBytes(file, name);
  const out: Records = { headers: [], rows: [], rejects: [], read: 0 };
  const seen = new Map<string, number>();
  const decoder = new TextDecoder("utf-8", { fatal: true });
  // Where each row's line is, by row: its text again when it is set aside.
  const spans: [number, number][] = [];
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
      value = parseJson(text);
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
    spans.push([offset, end]);
  }
  setAsideUnexpectedKeys(out, source, (i, keys) => ({
    line: out.rows[i]!.rowNumber,
    byteOffset: spans[i]![0],
    error: unexpectedKeys(keys),
    text: decoder.decode(bytes.subarray(...spans[i]!)).replace(/\r$/, ""),
  }));
  return out;
}

/** The NDJSON format. */
export const ndjson: FileFormat<"ndjson"> = {
  name: "ndjson",
  extensions: [".ndjson", ".jsonl"],
  inspect: async (input) => {
    await inspectText(input, "JSON");
    return { gzip: input.gzip, encoding: "utf-8" };
  },
  read: (bytes, name, source) => readNdjson(bytes, name, source),
};
