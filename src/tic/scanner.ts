/**
 * A streaming scanner for Transparency-in-Coverage table-of-contents files:
 * one JSON object, tens of GB, whose bulk is one array
 * (`reporting_structure`). The scanner walks the bytes once, cuts each
 * element of that array and hands it to JSON.parse alone, so memory holds
 * one element at a time whatever the file's size. Top-level scalars
 * (entity name and type, version …) are parsed as they come.
 *
 * It is strict about structure (a truncated file or a syntax error fails
 * with the byte offset) and lenient about layout: any whitespace, a comma
 * before a closing bracket, elements one per line.
 *
 * @module
 */

/** A syntax error or truncation, at a byte offset of the decompressed stream. */
export class ScanError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = "ScanError";
  }
}

/** What the scanner reports. */
export interface ScanHandlers {
  /** A top-level key whose value is not a streamed array. */
  onField?: (key: string, value: unknown) => void;
  /** One element of a streamed array, parsed, with the byte offset it starts at. */
  onElement: (key: string, element: unknown, offset: number) => void;
}

const QUOTE = 0x22, BACKSLASH = 0x5c, COLON = 0x3a, COMMA = 0x2c;
const OPEN_OBJ = 0x7b, CLOSE_OBJ = 0x7d, OPEN_ARR = 0x5b, CLOSE_ARR = 0x5d;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

type Mode =
  | "start" // before the root object
  | "key" // in the root object, before a key (or its end)
  | "colon" // after a key
  | "value" // before a value
  | "after_value" // after a value, before , or }
  | "array" // in a streamed array, between elements
  | "capture" // inside a captured value (element or top-level value)
  | "done";

/** The scanner; feed it with {@linkcode IndexScanner.push}, finish with {@linkcode IndexScanner.end}. */
export class IndexScanner {
  #mode: Mode = "start";
  #offset = 0;
  #key = "";
  #keyParts: Uint8Array[] = [];
  #inKey = false;
  #keyEscape = false;
  // Capture state.
  #parts: Uint8Array[] = [];
  #captureStart = 0;
  #depth = 0;
  #inString = false;
  /** Backslashes that ended the previous chunk inside a string. */
  #backslashes = 0;
  #captureIsElement = false;
  #scalar = false;
  #decoder = new TextDecoder();

  /**
   * @param streamed top-level keys whose arrays are streamed element by element
   */
  constructor(
    readonly handlers: ScanHandlers,
    readonly streamed: ReadonlySet<string> = new Set(["reporting_structure"]),
  ) {}

  /** Decompressed bytes consumed so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Scans the next chunk. */
  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      switch (this.#mode) {
        case "capture": {
          i = this.#scanCapture(chunk, i);
          break;
        }
        case "start": {
          const b = chunk[i]!;
          const at = this.#offset + i;
          const bom = (at === 0 && b === 0xef) || (at === 1 && b === 0xbb) ||
            (at === 2 && b === 0xbf);
          if (b === OPEN_OBJ) this.#mode = "key";
          else if (bom) { /* a UTF-8 byte order mark, maybe split across chunks */ }
          else if (!isSpace(b)) {
            this.#fail(`expected "{" to open the index, found ${this.#show(b)}`, i);
          }
          i++;
          break;
        }
        case "key": {
          if (this.#inKey) {
            i = this.#scanKey(chunk, i);
            break;
          }
          const b = chunk[i]!;
          if (b === QUOTE) {
            this.#inKey = true;
            this.#keyParts = [];
          } else if (b === CLOSE_OBJ) this.#mode = "done";
          else if (!isSpace(b) && b !== COMMA) {
            this.#fail(`expected a key, found ${this.#show(b)}`, i);
          }
          i++;
          break;
        }
        case "colon": {
          const b = chunk[i]!;
          if (b === COLON) this.#mode = "value";
          else if (!isSpace(b)) {
            this.#fail(`expected ":" after "${this.#key}", found ${this.#show(b)}`, i);
          }
          i++;
          break;
        }
        case "value": {
          const b = chunk[i]!;
          if (isSpace(b)) {
            i++;
          } else if (b === OPEN_ARR && this.streamed.has(this.#key)) {
            this.#mode = "array";
            i++;
          } else {
            this.#startCapture(chunk, i, false);
          }
          break;
        }
        case "array": {
          const b = chunk[i]!;
          if (b === CLOSE_ARR) {
            this.#mode = "after_value";
            i++;
          } else if (isSpace(b) || b === COMMA) {
            i++;
          } else {
            this.#startCapture(chunk, i, true);
          }
          break;
        }
        case "after_value": {
          const b = chunk[i]!;
          if (b === COMMA) this.#mode = "key";
          else if (b === CLOSE_OBJ) this.#mode = "done";
          else if (!isSpace(b)) {
            this.#fail(
              `expected "," or "}" after the value of "${this.#key}", found ${this.#show(b)}`,
              i,
            );
          }
          i++;
          break;
        }
        case "done": {
          const b = chunk[i]!;
          if (!isSpace(b)) this.#fail(`unexpected ${this.#show(b)} after the end of the index`, i);
          i++;
          break;
        }
      }
    }
    // A value still open at the end of the chunk: keep a copy of its bytes (the
    // stream may reuse the chunk's buffer).
    if (this.#mode === "capture") {
      this.#parts.push(chunk.slice(this.#pendingStart >= 0 ? this.#pendingStart : 0));
    }
    this.#pendingStart = -1;
    this.#offset += n;
  }

  /** Declares the end of input. @throws {ScanError} when the index is not complete. */
  end(): void {
    if (this.#mode === "capture" && this.#scalar) this.#finishCapture(new Uint8Array(0), 0);
    if (this.#mode !== "done") {
      throw new ScanError(
        this.#mode === "start"
          ? "empty input: no index object"
          : `truncated index: it ends inside ${this.#where()}`,
        this.#offset,
      );
    }
  }

  /** Where the value being captured starts in the current chunk (-1: in an earlier one). */
  #pendingStart = -1;

  #where(): string {
    if (this.#mode === "capture") {
      return this.#captureIsElement
        ? `an element of "${this.#key}"`
        : `the value of "${this.#key}"`;
    }
    if (this.#mode === "array") return `the array "${this.#key}"`;
    return "the index object";
  }

  #show(b: number): string {
    return b >= 0x20 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `byte 0x${b.toString(16)}`;
  }

  #fail(message: string, i: number): never {
    throw new ScanError(message, this.#offset + i);
  }

  #scanKey(chunk: Uint8Array, i: number): number {
    const n = chunk.length;
    const from = i;
    for (; i < n; i++) {
      const b = chunk[i]!;
      if (this.#keyEscape) this.#keyEscape = false;
      else if (b === BACKSLASH) this.#keyEscape = true;
      else if (b === QUOTE) {
        this.#keyParts.push(chunk.subarray(from, i));
        this.#key = JSON.parse(`"${this.#decoder.decode(concat(this.#keyParts))}"`);
        this.#inKey = false;
        this.#mode = "colon";
        return i + 1;
      }
    }
    this.#keyParts.push(chunk.slice(from, n));
    return n;
  }

  #startCapture(chunk: Uint8Array, i: number, element: boolean): void {
    const b = chunk[i]!;
    this.#mode = "capture";
    this.#captureIsElement = element;
    this.#captureStart = this.#offset + i;
    this.#pendingStart = i;
    this.#parts = [];
    this.#depth = 0;
    this.#inString = false;
    this.#backslashes = 0;
    this.#scalar = b !== OPEN_OBJ && b !== OPEN_ARR && b !== QUOTE;
  }

  /** Scans inside a captured value from `i`; returns where it stopped. */
  #scanCapture(chunk: Uint8Array, i: number): number {
    const n = chunk.length;
    if (this.#scalar) {
      // A number, true, false or null: it ends at a delimiter.
      for (; i < n; i++) {
        const b = chunk[i]!;
        if (b === COMMA || b === CLOSE_OBJ || b === CLOSE_ARR || isSpace(b)) {
          return this.#finishCapture(chunk, i);
        }
      }
      return n;
    }
    while (i < n) {
      if (this.#inString) {
        // Jump to the next quote; it ends the string unless an odd run of
        // backslashes (maybe begun in an earlier chunk) escapes it.
        const q = chunk.indexOf(QUOTE, i);
        if (q === -1) {
          this.#backslashes = trailingBackslashes(chunk, i, n, this.#backslashes);
          return n;
        }
        const run = trailingBackslashes(chunk, i, q, this.#backslashes);
        this.#backslashes = 0;
        i = q + 1;
        if (run % 2 === 1) continue;
        this.#inString = false;
        if (this.#depth === 0) return this.#finishCapture(chunk, i);
        continue;
      }
      const b = chunk[i]!;
      if (b === QUOTE) this.#inString = true;
      else if (b === OPEN_OBJ || b === OPEN_ARR) this.#depth++;
      else if (b === CLOSE_OBJ || b === CLOSE_ARR) {
        this.#depth--;
        if (this.#depth === 0) return this.#finishCapture(chunk, i + 1);
        if (this.#depth < 0) this.#fail(`unbalanced ${this.#show(b)}`, i);
      }
      i++;
    }
    return n;
  }

  /** Ends the capture at `end` (exclusive) in `chunk`, parses it and reports it. */
  #finishCapture(chunk: Uint8Array, end: number): number {
    const start = this.#pendingStart >= 0 ? this.#pendingStart : 0;
    this.#parts.push(chunk.subarray(start, end));
    const bytes = concat(this.#parts);
    this.#parts = [];
    this.#pendingStart = -1;
    let value: unknown;
    try {
      value = JSON.parse(this.#decoder.decode(bytes));
    } catch (err) {
      throw new ScanError(
        `invalid JSON in ${this.#where()} (${(err as Error).message})`,
        this.#captureStart,
      );
    }
    if (this.#captureIsElement) {
      this.handlers.onElement(this.#key, value, this.#captureStart);
      this.#mode = "array";
    } else {
      this.handlers.onField?.(this.#key, value);
      this.#mode = "after_value";
    }
    // The rest of this chunk is scanned by the caller from `end`.
    this.#pendingStart = -1;
    return end;
  }
}

/**
 * The length of the run of backslashes ending just before `end` (not before
 * `from`); when the run reaches `from`, the `carried` run of an earlier chunk
 * continues it.
 */
function trailingBackslashes(
  chunk: Uint8Array,
  from: number,
  end: number,
  carried: number,
): number {
  let k = end;
  while (k > from && chunk[k - 1] === BACKSLASH) k--;
  return end - k + (k === from ? carried : 0);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
