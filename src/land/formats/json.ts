/**
 * JSON: a document holding an array of objects (`.json`, maybe gzipped).
 * Each element is a record; an element that is not an object, or (for a
 * source that declares its columns) has a key that is not one of them, is
 * rejected.
 *
 * @module
 */
import { LandingError } from "../../engine/errors.ts";
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
 * Reads a JSON document holding an array of objects (the file's bytes,
 * gzipped or not). Elements with keys `source` does not declare are
 * rejected (see {@linkcode setAsideUnexpectedKeys}), naming the element.
 *
 * @throws {LandingError} on a syntax error (with line and column) or when
 * the document is not an array.
 */
function readJsonArray(file: Uint8Array, name: string, source: Source): Records {
  const bytes = textBytes(file, name);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch (err) {
    throw new LandingError(name, `Cannot read "${name}": JSON must be UTF-8 text`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseJson(text);
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
  setAsideUnexpectedKeys(out, source, (i, keys) => {
    const element = out.rows[i]!.rowNumber;
    return {
      line: element,
      byteOffset: -1,
      error: `${unexpectedKeys(keys)} in element ${element}`,
      text: JSON.stringify(doc[element - 1]),
    };
  });
  return out;
}

/** The JSON format. */
export const json: FileFormat<"json"> = {
  name: "json",
  extensions: [".json"],
  inspect: async (input) => {
    await inspectText(input, "JSON");
    return { gzip: input.gzip, encoding: "utf-8" };
  },
  read: (bytes, name, source) => readJsonArray(bytes, name, source),
};
