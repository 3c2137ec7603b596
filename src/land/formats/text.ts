/**
 * Looking at the start of a text file: read a sample (decompressed when
 * gzipped), and refuse an empty, UTF-16 or binary one.
 *
 * @module
 */
import { LandingError } from "../../engine/errors.ts";
import { textChunks } from "../scan_text.ts";
import type { InspectInput } from "./format.ts";

/** How much of the start of a file is looked at. */
export const SAMPLE = 1 << 20;

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
    // Broken within the sample: nothing of the text can be trusted, its header
    // included (a stream broken further on is caught when the whole file is read).
    // Cut short (Z_BUF_ERROR: "unexpected end of file") is truncated, however early.
    if (!(err instanceof LandingError) || size > 0) throw err;
    if ((err.cause as { code?: string } | undefined)?.code === "Z_BUF_ERROR") throw err;
    throw new LandingError(
      name,
      `Cannot land "${name}": it is not a valid gzip file (${(err.cause as Error).message})`,
      { cause: err },
    );
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
 * The sample of a text file (up to {@linkcode SAMPLE} bytes, decompressed),
 * once it is known not to be empty, UTF-16 or binary; `what` names the
 * format in messages ("delimited text", "JSON").
 *
 * @throws {LandingError} for an empty, UTF-16, binary or broken gzip file.
 */
export async function inspectText(input: InspectInput, what: string): Promise<Uint8Array> {
  const { path, name, gzip } = input;
  const bytes = await sample(path, gzip, name);
  if (bytes.length === 0) throw new LandingError(name, `Cannot land "${name}": the file is empty`);
  const wide = utf16(bytes);
  if (wide) {
    throw new LandingError(
      name,
      `Cannot land "${name}": it is ${wide} text; wharf reads UTF-8 and Windows-1252 (Latin-1): convert it to UTF-8 (e.g. iconv -f ${wide} -t UTF-8)`,
    );
  }
  const controls = controlBytes(bytes);
  if (controls >= 4 && controls * 100 >= bytes.length) {
    throw new LandingError(
      name,
      `Cannot land "${name}": it looks binary (${controls} control bytes in its first ${bytes.length}), not ${what}`,
    );
  }
  return bytes;
}
