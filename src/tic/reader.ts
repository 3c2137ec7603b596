/**
 * A streaming reader of Transparency-in-Coverage table-of-contents files:
 * one JSON object, tens of GB, whose bulk is one array
 * (`reporting_structure`).
 *
 * It walks the decompressed bytes once and reads each reporting structure
 * in place, straight from the bytes: file references looked up by a
 * {@linkcode FileRegistry} as they are read, which matches known files
 * without building strings; plan fields checked and handed on as byte
 * ranges, with whether their bytes are their text. Only a structure that
 * straddles two chunks is copied, so memory holds one structure at a time
 * whatever the file's size. Top-level scalars (entity name and type,
 * version …) are parsed as they come.
 *
 * Strict about structure: the whole document is checked against JSON's
 * grammar (brackets, commas, colons, literals, numbers, string ends, and
 * the full content of the strings it reads and of every string inside
 * `reporting_plans`), and a truncated file or a syntax error fails with its
 * byte offset in the JSON text (decompressed). Not checked: the contents of other strings it skips (a raw
 * control character there passes). Lenient about layout and the quirks of
 * real files: any whitespace, stray commas between structures and between
 * top-level keys, `allowed_amount_file` singular or plural, a list or a
 * single object, `reporting_structure` as an object of structures by name
 * (the names are not kept), a file that is a single reporting structure
 * with no index around it.
 *
 * @module
 */
import type { FileRef, FileRegistry } from "./files.ts";
import {
  CLOSE_ARR,
  CLOSE_OBJ,
  COLON,
  COMMA,
  decodeBytes,
  decodeString,
  NEED_MORE,
  OPEN_ARR,
  OPEN_OBJ,
  QUOTE,
  scalarText,
  stringEnd,
  wordsOf,
} from "./json_bytes.ts";

/**
 * A syntax error or truncation, at a byte offset (from 0) of the JSON text
 * the reader was given: for a gzipped index, of the decompressed stream.
 * `of` names that text in the message (`wharf tic` says which it is).
 */
export class ScanError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
    readonly of: string = "the JSON text",
  ) {
    super(`${reason} at byte offset ${offset} of ${of}`);
    this.name = "ScanError";
  }
}

/** One reporting structure, as read. */
export interface StructureRead {
  /** Where it starts, in decompressed bytes. */
  offset: number;
  /** The bytes its plan fields are in (a view valid during the call). */
  bytes: Uint8Array;
  planCount: number;
  /**
   * Where each plan's fields are: per plan, for each of {@linkcode PLAN_KEYS}
   * in order, three numbers: start and end in {@linkcode StructureRead.bytes},
   * and a {@linkcode PlanField} kind. Read them with {@linkcode planField},
   * or copy a {@linkcode PlanField.Plain} one as it is.
   */
  planFields: Int32Array;
  /** The distinct ids of the files it links, in order. */
  fileIds: Int32Array;
}

/**
 * The plan fields read, in the order of {@linkcode StructureRead.planFields}:
 * those of every schema version, then those schema v2 added (`plan_sponsor_name`,
 * required for EIN plans, and `issuer_name`).
 */
export const PLAN_KEYS = [
  "plan_name",
  "plan_id",
  "plan_id_type",
  "plan_market_type",
  "plan_sponsor_name",
  "issuer_name",
] as const;
/** Numbers per plan in {@linkcode StructureRead.planFields}: three per field. */
const PLAN_NUMBERS = PLAN_KEYS.length * 3;

/** How a plan field is written (its kind in {@linkcode StructureRead.planFields}). */
export const enum PlanField {
  /** Not there: null. */
  Absent = 0,
  /** A string whose content `[start, end)` is its text: printable ASCII, no escapes. */
  Plain = 1,
  /** A string whose content `[start, end)` has escapes or bytes beyond ASCII. */
  Escaped = 2,
  /** Another value `[start, end)`: a number or boolean as written; null, an object or a list give null. */
  Other = 3,
}

/**
 * The text of field `field` (an index in {@linkcode PLAN_KEYS}) of plan
 * `plan` of a structure being read: a string's content (invalid UTF-8
 * replaced), a number or boolean as written, else null.
 */
export function planField(st: Readonly<StructureRead>, plan: number, field: number): string | null {
  const at = (plan * PLAN_KEYS.length + field) * 3;
  const s = st.planFields[at]!, e = st.planFields[at + 1]!;
  switch (st.planFields[at + 2]) {
    case PlanField.Plain:
    case PlanField.Escaped:
      return decodeString(st.bytes, s, e);
    case PlanField.Other:
      return scalarText(st.bytes, s, e);
    default:
      return null;
  }
}

/** What the reader reports. */
export interface ReaderHandlers {
  /** A top-level key whose value is not a reporting structure (or part of one), parsed. */
  onField?: (key: string, value: unknown) => void;
  /** One reporting structure (the object and its `fileIds` are reused after the call returns). */
  onStructure: (structure: Readonly<StructureRead>) => void;
}

const STREAMED = "reporting_structure";
/** Keys of a reporting structure, also read at the top level of a single-structure file. */
const STRUCTURE_KEYS = [
  "reporting_plans",
  "in_network_files",
  "allowed_amount_file",
  "allowed_amount_files",
] as const;
const KEY_BYTES = STRUCTURE_KEYS.map((k) => new TextEncoder().encode(k));
const PLAN_KEY_BYTES = PLAN_KEYS.map((k) => new TextEncoder().encode(k));
const FILE_KEYS = ["location", "description"].map((k) => new TextEncoder().encode(k));
const FILE_HEAD = new TextEncoder().encode('{"description":"');
const FILE_MIDDLE = new TextEncoder().encode('","location":"').subarray(1);
/** DataViews over the byte strings {@linkcode matchAt} looks for. */
const VIEWS = new Map<Uint8Array, DataView>(
  [FILE_HEAD, FILE_MIDDLE].map((b) => [b, new DataView(b.buffer, b.byteOffset, b.length)]),
);
const TRUE = new TextEncoder().encode("true");
const FALSE = new TextEncoder().encode("false");
const NULL = new TextEncoder().encode("null");
const MAX_DEPTH = 512;
/** Bytes that may follow a backslash in a JSON string, "u" aside. */
const ESCAPES = new TextEncoder().encode('"\\/bfnrt');

/** What a byte is inside a string that is checked in full (see {@linkcode IndexReader}). */
const ORDINARY = 0, ENDS = 1, ESCAPE = 2, CONTROL = 3, BEYOND_ASCII = 4;
const STRING_BYTE = new Uint8Array(256).map((_, b) =>
  b === QUOTE
    ? ENDS
    : b === 0x5c
    ? ESCAPE
    : b < 0x20
    ? CONTROL
    : b >= 0x80
    ? BEYOND_ASCII
    : ORDINARY
);
const HEX = new Uint8Array(256).map((_, b) =>
  (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46) ? 1 : 0
);

/** Which file list a reference came from: in-network, then allowed amounts (singular, plural). */
const SLOT_KIND = [0, 1, 1] as const;

type Mode =
  | "start" // before the root object
  | "key" // in the root object, before a key (or its end)
  | "colon" // after a key
  | "value" // before a value
  | "after_value" // after a value, before , or }
  | "structures" // in the streamed array (or object of structures by name), before one or the end
  | "after_structure" // after a structure, before , or the end of the array or object
  | "done";

/**
 * Which of `keys` the key `buf[s, e)` is, or -1. The keys of each set
 * differ in length, so one comparison decides; a key with escapes is
 * decoded first.
 */
function keyIndex(
  keys: readonly Uint8Array[],
  buf: Uint8Array,
  s: number,
  e: number,
): number {
  const n = e - s;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key.length !== n) continue;
    let i = 0;
    while (i < n && key[i] === buf[s + i]) i++;
    if (i === n) return k;
    break;
  }
  for (let i = s; i < e; i++) {
    if (buf[i] === 0x5c) {
      const text = decodeString(buf, s, e);
      return keys.findIndex((k) => decodeBytes(k) === text);
    }
  }
  return -1;
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** The reader; feed it with {@linkcode IndexReader.push}, finish with {@linkcode IndexReader.end}. */
export class IndexReader {
  #mode: Mode = "start";
  /** Decompressed bytes consumed before the current chunk. */
  #offset = 0;
  #key = "";
  /** Bytes of a token that did not end in its chunk, from its start. */
  #carry = new Uint8Array(1 << 16);
  #carryLength = 0;
  /** Absolute offset of the carried token. */
  #carryAt = 0;
  /** Carried length at which to try the token again (doubling, so a long one costs linear time). */
  #retryAt = 0;
  /** Size of the last structure read, bytes. */
  #lastSize = 0;
  /** Whether the input has ended: what is in the buffer is all there is. */
  #ended = false;
  /** Top-level structure keys of a single-structure file, as bytes. */
  #rootParts = new Map<string, Uint8Array>();
  #structures = 0;
  /** Whether the structures are members of an object (by name) rather than items of an array. */
  #inMembers = false;
  /** Whether the index object has a `reporting_structure`. */
  #streamed = false;
  /** The top-level keys read, in order (the first 20: what a file that is no index holds). */
  #topKeys: string[] = [];

  // The buffer being read and the absolute offset of its first byte.
  #buf: Uint8Array = new Uint8Array(0);
  #words: Int32Array = new Int32Array(0);
  #view: DataView = new DataView(new ArrayBuffer(0));
  #base = 0;

  // One structure's parts, reused.
  /** Plan fields: per plan, start, end and kind of each (see {@linkcode StructureRead}). */
  #planFields = new Int32Array(PLAN_NUMBERS * 64);
  #planCount = 0;
  /** Whether strings are checked in full (inside `reporting_plans`, which go to DuckDB). */
  #strict = false;
  /** Whether the last string checked in full has escapes or bytes beyond ASCII. */
  #escaped = false;
  /**
   * File references per slot: a known file as minus its id; another as
   * seven numbers, location start and end, description start and end, and
   * what {@linkcode FileRegistry.find} found (see {@linkcode FileRef}).
   */
  #refs: Ints[] = [new Ints(), new Ints(), new Ints()];
  #ref: FileRef = { ls: 0, le: 0, ds: 0, de: 0, prefixEnd: 0, keyStart: 0, prefixHash: 0 };
  #ids = new Ints();
  #read: StructureRead = {
    offset: 0,
    bytes: this.#buf,
    planCount: 0,
    planFields: this.#planFields,
    fileIds: this.#ids.values.subarray(0, 0),
  };
  /**
   * The file ids the structure being emitted links so far: open addressing,
   * two numbers a slot (structure number, file id), so a slot left by an
   * earlier structure is empty; at least twice as many slots as references.
   */
  #linked = new Int32Array(2 * 256);

  constructor(readonly registry: FileRegistry, readonly handlers: ReaderHandlers) {}

  /** Decompressed bytes consumed so far. */
  get offset(): number {
    return this.#offset;
  }

  /** Reporting structures read so far. */
  get structures(): number {
    return this.#structures;
  }

  /** Reads the next chunk (its bytes are not kept after the call). */
  push(chunk: Uint8Array): void {
    let from = 0;
    while (from < chunk.length) {
      if (this.#carryLength === 0) {
        const stuck = this.#scan(chunk, this.#offset, from);
        if (stuck >= 0) this.#startCarry(chunk, stuck, this.#offset + stuck);
        break;
      }
      // A token continues from an earlier chunk: add bytes until it is worth
      // trying again, then read on from its start.
      const take = Math.min(chunk.length - from, this.#retryAt - this.#carryLength);
      this.#carryBytes(chunk.subarray(from, from + take));
      from += take;
      if (this.#carryLength < this.#retryAt) break;
      const work = this.#carry.subarray(0, this.#carryLength);
      const at = this.#carryAt;
      const carried = work.length - take;
      this.#carryLength = 0;
      const stuck = this.#scan(work, at, 0);
      if (stuck < 0) continue;
      // A token that starts in this chunk is read in place, not carried.
      if (stuck >= carried) from -= work.length - stuck;
      else this.#startCarry(work, stuck, at + stuck);
    }
    this.#offset += chunk.length;
  }

  /** Declares the end of input. @throws {ScanError} when the index is not complete. */
  end(): void {
    this.#ended = true;
    if (this.#carryLength > 0) {
      // Everything is here now: read what was carried to its end.
      const work = this.#carry.subarray(0, this.#carryLength);
      this.#carryLength = 0;
      const stuck = this.#scan(work, this.#carryAt, 0);
      if (stuck >= 0) {
        throw new ScanError(`truncated index: it ends inside ${this.#where()}`, this.#offset);
      }
    }
    if (this.#mode !== "done") {
      throw new ScanError(
        this.#mode === "start"
          ? "empty input: no index object"
          : `truncated index: it ends inside ${this.#where()}`,
        this.#offset,
      );
    }
    if (this.#structures === 0 && this.#rootParts.size > 0) this.#readRootStructure();
    else if (!this.#streamed) throw new ScanError(this.#notAnIndex(), this.#offset);
  }

  /** Why a complete JSON object with neither reporting structures nor the parts of one is no index. */
  #notAnIndex(): string {
    const keys = this.#topKeys;
    const shown = keys.length
      ? `its top-level keys: ${keys.map((k) => JSON.stringify(k)).join(", ")}`
      : "it is an empty object";
    const hint = keys.includes("in_network")
      ? ': it looks like an in-network rates file (it has "in_network"), which the index lists; give `wharf tic` the table-of-contents index'
      : keys.includes("out_of_network")
      ? ': it looks like an allowed-amounts file (it has "out_of_network"), which the index lists; give `wharf tic` the table-of-contents index'
      : keys.some((k) => / files$/i.test(k))
      ? ": it looks like a per-EIN lookup; land it with `wharf tic lookup`"
      : "";
    return `not a Transparency-in-Coverage table-of-contents index: no "reporting_structure" (nor "reporting_plans" and file lists of a single structure); ${shown}${hint}`;
  }

  /**
   * Carries `bytes` from `start` on (a token that runs past them, starting
   * at `at` in the stream) into the carry buffer, which `bytes` may be.
   */
  #startCarry(bytes: Uint8Array, start: number, at: number): void {
    const n = bytes.length - start;
    if (bytes.buffer === this.#carry.buffer) this.#carry.copyWithin(0, start, start + n);
    else {
      this.#carryLength = 0;
      this.#carryBytes(bytes.subarray(start));
    }
    this.#carryLength = n;
    this.#carryAt = at;
    // Enough for a structure like the last one, and at least double, so a
    // long one is read again a logarithmic number of times.
    this.#retryAt = Math.max(2 * n, this.#lastSize + 4096);
  }

  /** Adds `bytes` to the carry buffer (reused from one token to the next, grown as need be). */
  #carryBytes(bytes: Uint8Array): void {
    const need = this.#carryLength + bytes.length;
    if (need > this.#carry.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.#carry.length));
      grown.set(this.#carry.subarray(0, this.#carryLength));
      this.#carry = grown;
    }
    this.#carry.set(bytes, this.#carryLength);
    this.#carryLength = need;
  }

  #where(): string {
    if (this.#mode === "structures" || this.#mode === "after_structure") {
      return `an element of "${this.#key}"`;
    }
    if (this.#mode === "value") return `the value of "${this.#key}"`;
    if (this.#mode === "key") return "a key of the index object";
    return "the index object";
  }

  #show(b: number | undefined): string {
    if (b === undefined) return "the end";
    return b >= 0x20 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `byte 0x${b.toString(16)}`;
  }

  #fail(message: string, p: number): never {
    throw new ScanError(message, this.#base + p);
  }

  /** Makes `buf`, whose first byte is at `base` in the stream, the buffer being read. */
  #use(buf: Uint8Array, base: number): void {
    this.#buf = buf;
    this.#words = wordsOf(buf);
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#base = base;
  }

  /**
   * Reads the top level of `buf` from `from`; returns -1 when it read all
   * of it, or the position of a key or value that runs past its end.
   */
  #scan(buf: Uint8Array, base: number, from: number): number {
    this.#use(buf, base);
    const n = buf.length;
    let i = from;
    while (i < n) {
      const b = buf[i]!;
      switch (this.#mode) {
        case "start": {
          const at = base + i;
          const bom = (at === 0 && b === 0xef) || (at === 1 && b === 0xbb) ||
            (at === 2 && b === 0xbf);
          if (b === OPEN_OBJ) this.#mode = "key";
          else if (!bom && !isSpace(b)) {
            this.#fail(`expected "{" to open the index, found ${this.#show(b)}`, i);
          }
          i++;
          break;
        }
        case "key": {
          if (b === QUOTE) {
            const end = this.#attempt(() => stringEnd(buf, this.#words, i + 1));
            if (end < 0) return i;
            this.#key = this.#decode(i + 1, end);
            if (this.#topKeys.length < 20) this.#topKeys.push(this.#key);
            this.#mode = "colon";
            i = end + 1;
          } else if (b === CLOSE_OBJ) {
            this.#mode = "done";
            i++;
          } else if (isSpace(b) || b === COMMA) i++;
          else this.#fail(`expected a key, found ${this.#show(b)}`, i);
          break;
        }
        case "colon": {
          if (b === COLON) this.#mode = "value";
          else if (!isSpace(b)) {
            this.#fail(`expected ":" after "${this.#key}", found ${this.#show(b)}`, i);
          }
          i++;
          break;
        }
        case "value": {
          if (isSpace(b)) {
            i++;
          } else if (b === OPEN_ARR && this.#key === STREAMED) {
            this.#mode = "structures";
            this.#inMembers = false;
            this.#streamed = true;
            i++;
          } else if (b === OPEN_OBJ && this.#key === STREAMED) {
            // Some payers write the structures as an object, by name.
            this.#mode = "structures";
            this.#inMembers = true;
            this.#streamed = true;
            i++;
          } else {
            const at = i;
            const end = this.#attempt(() => this.#skipValue(at, 0));
            if (end < 0) return i;
            this.#field(at, end);
            this.#mode = "after_value";
            i = end;
          }
          break;
        }
        case "structures": {
          if (b === (this.#inMembers ? CLOSE_OBJ : CLOSE_ARR)) {
            this.#mode = "after_value";
            i++;
          } else if (isSpace(b) || b === COMMA) {
            i++;
          } else if (n - i < this.#lastSize && !this.#ended) {
            // Shorter than the last structure: it most likely runs past the
            // buffer. Carried whole from here, it is read once, not read up
            // to the buffer's end and then again (structures of real indexes
            // run to hundreds of KB, as long as a chunk).
            return i;
          } else {
            const at = i;
            const end = this.#attempt(() =>
              this.#structure(this.#inMembers ? this.#colon(this.#keyEnd(at)) : at)
            );
            if (end < 0) return i;
            i = end;
            this.#mode = "after_structure";
          }
          break;
        }
        case "after_structure": {
          // Extra commas are a quirk of real files; a missing one is an error.
          const close = this.#inMembers ? CLOSE_OBJ : CLOSE_ARR;
          if (b === COMMA) this.#mode = "structures";
          else if (b === close) this.#mode = "after_value";
          else if (!isSpace(b)) {
            this.#fail(
              `expected "," or "${
                String.fromCharCode(close)
              }" after an element of "${this.#key}", found ${this.#show(b)}`,
              i,
            );
          }
          i++;
          break;
        }
        case "after_value": {
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
          if (!isSpace(b)) this.#fail(`unexpected ${this.#show(b)} after the end of the index`, i);
          i++;
          break;
        }
      }
    }
    return -1;
  }

  /** Runs `read`; -1 when it ran out of bytes. */
  #attempt(read: () => number): number {
    try {
      return read();
    } catch (err) {
      if (err === NEED_MORE) return -1;
      throw err;
    }
  }

  #decode(s: number, e: number): string {
    try {
      return decodeString(this.#buf, s, e);
    } catch (err) {
      this.#fail(`invalid string (${(err as Error).message})`, s - 1);
    }
  }

  /** A top-level value `buf[s, e)` that is not the streamed array. */
  #field(s: number, e: number): void {
    const bytes = this.#buf.subarray(s, e);
    if ((STRUCTURE_KEYS as readonly string[]).includes(this.#key)) {
      this.#rootParts.set(this.#key, bytes.slice());
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(decodeBytes(bytes));
    } catch (err) {
      this.#fail(`invalid JSON in the value of "${this.#key}" (${(err as Error).message})`, s);
    }
    this.handlers.onField?.(this.#key, value);
  }

  /** A file that is one reporting structure: its top-level parts, read as one structure. */
  #readRootStructure(): void {
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [enc.encode("{")];
    for (const [key, bytes] of this.#rootParts) {
      if (parts.length > 1) parts.push(enc.encode(","));
      parts.push(enc.encode(`${JSON.stringify(key)}:`), bytes);
    }
    parts.push(enc.encode("}"));
    this.#use(concat(parts), 0);
    this.#structure(0);
  }

  // --- The grammar, read in place. Each reader takes the position of a
  // value's first byte and returns the position after its last; it throws
  // NEED_MORE when the value runs past the buffer.

  #ws(p: number): number {
    const buf = this.#buf;
    for (;;) {
      const b = buf[p];
      if (b === undefined) throw NEED_MORE;
      if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return p;
      p++;
    }
  }

  /** After a member or an item: the position after "," (then `more` is true) or after `close`. */
  #next(p: number, close: number, what: string): number {
    p = this.#ws(p);
    const b = this.#buf[p];
    if (b === COMMA) return this.#ws(p + 1);
    if (b === close) return -(p + 1);
    this.#fail(
      `expected "," or "${String.fromCharCode(close)}" ${what}, found ${this.#show(b)}`,
      p,
    );
  }

  /** After "{": the position of the first key's quote, or -(end) for an empty object. */
  #openObject(p: number): number {
    p = this.#ws(p + 1);
    if (this.#buf[p] === CLOSE_OBJ) return -(p + 1);
    return p;
  }

  /** A key at `p`: returns the index of its closing quote. */
  #keyEnd(p: number): number {
    if (this.#buf[p] !== QUOTE) {
      this.#fail(`expected a key in an object, found ${this.#show(this.#buf[p])}`, p);
    }
    return this.#strict ? this.#checkedEnd(p + 1) : stringEnd(this.#buf, this.#words, p + 1);
  }

  /**
   * The closing quote of the string whose content starts at `p`, checked
   * against JSON's grammar on the way (escapes, no raw control character);
   * sets {@linkcode IndexReader.#escaped}.
   */
  #checkedEnd(p: number): number {
    const buf = this.#buf;
    const n = buf.length;
    let escaped = false;
    for (;;) {
      if (p >= n) throw NEED_MORE;
      const c = STRING_BYTE[buf[p]!];
      if (c === ORDINARY) {
        p++;
      } else if (c === ENDS) {
        this.#escaped = escaped;
        return p;
      } else if (c === BEYOND_ASCII) {
        // Decoded (invalid UTF-8 is replaced, as everywhere else), not copied.
        escaped = true;
        p++;
      } else if (c === CONTROL) {
        this.#fail(`invalid string (a raw control character, ${this.#show(buf[p])})`, p);
      } else {
        escaped = true;
        if (p + 1 >= n) throw NEED_MORE;
        const x = buf[p + 1]!;
        if (x === 0x75) {
          for (let k = 2; k < 6; k++) {
            if (p + k >= n) throw NEED_MORE;
            if (!HEX[buf[p + k]!]) this.#fail("invalid string (a bad \\u escape)", p);
          }
          p += 6;
        } else if (ESCAPES.includes(x)) {
          p += 2;
        } else {
          this.#fail(`invalid string (a bad escape \\${String.fromCharCode(x)})`, p);
        }
      }
    }
  }

  /** The colon after a key ending at `q`; returns the position of the value. */
  #colon(q: number): number {
    const p = this.#ws(q + 1);
    if (this.#buf[p] !== COLON) {
      this.#fail(`expected ":" after a key, found ${this.#show(this.#buf[p])}`, p);
    }
    return this.#ws(p + 1);
  }

  #skipValue(p: number, depth: number): number {
    const buf = this.#buf;
    const b = buf[p];
    switch (b) {
      case undefined:
        throw NEED_MORE;
      case QUOTE:
        return (this.#strict ? this.#checkedEnd(p + 1) : stringEnd(buf, this.#words, p + 1)) + 1;
      case OPEN_OBJ: {
        if (depth >= MAX_DEPTH) this.#fail(`values nested deeper than ${MAX_DEPTH}`, p);
        p = this.#openObject(p);
        while (p >= 0) {
          p = this.#skipValue(this.#colon(this.#keyEnd(p)), depth + 1);
          p = this.#next(p, CLOSE_OBJ, "in an object");
        }
        return -p;
      }
      case OPEN_ARR: {
        if (depth >= MAX_DEPTH) this.#fail(`values nested deeper than ${MAX_DEPTH}`, p);
        p = this.#ws(p + 1);
        if (buf[p] === CLOSE_ARR) return p + 1;
        for (;;) {
          p = this.#next(this.#skipValue(p, depth + 1), CLOSE_ARR, "in an array");
          if (p < 0) return -p;
        }
      }
      case 0x74:
        return this.#literal(p, TRUE);
      case 0x66:
        return this.#literal(p, FALSE);
      case 0x6e:
        return this.#literal(p, NULL);
      default:
        if (b === 0x2d || (b >= 0x30 && b <= 0x39)) return this.#number(p);
        this.#fail(`expected a value, found ${this.#show(b)}`, p);
    }
  }

  #literal(p: number, word: Uint8Array): number {
    const buf = this.#buf;
    for (let k = 0; k < word.length; k++) {
      const b = buf[p + k];
      if (b === undefined) throw NEED_MORE;
      if (b !== word[k]) this.#fail(`expected "${decodeBytes(word)}"`, p);
    }
    return p + word.length;
  }

  /** A number (JSON's grammar); it ends at the first byte that cannot continue it. */
  #number(p: number): number {
    const buf = this.#buf;
    const start = p;
    const digits = (from: number): number => {
      let q = from;
      while (buf[q]! >= 0x30 && buf[q]! <= 0x39) q++;
      if (q === buf.length) throw NEED_MORE;
      if (q === from) this.#fail("invalid number", start);
      return q;
    };
    if (buf[p] === 0x2d) p++;
    if (p === buf.length) throw NEED_MORE;
    if (buf[p] === 0x30) {
      p++;
      if (p === buf.length) throw NEED_MORE;
    } else p = digits(p);
    if (buf[p] === 0x2e) p = digits(p + 1);
    if (buf[p] === 0x65 || buf[p] === 0x45) {
      p++;
      if (buf[p] === 0x2b || buf[p] === 0x2d) p++;
      p = digits(p);
    }
    return p;
  }

  /** One reporting structure at `p`; reports it and returns the position after it. */
  #structure(p: number): number {
    const start = p;
    const buf = this.#buf;
    const refs = this.#refs;
    this.#planCount = 0;
    for (const r of refs) r.length = 0;
    if (buf[p] !== OPEN_OBJ) {
      // Not an object: valid JSON, but no plans or files to read.
      p = this.#skipValue(p, 0);
    } else {
      p = this.#openObject(p);
      while (p >= 0) {
        const q = this.#keyEnd(p);
        const v = this.#colon(q);
        const k = keyIndex(KEY_BYTES, buf, p + 1, q);
        if (k === 0) p = this.#plansValue(v);
        else if (k > 0) {
          const slot = k - 1;
          refs[slot]!.length = 0; // a repeated key replaces the earlier one, as in JSON.parse
          p = this.#filesValue(v, refs[slot]!, SLOT_KIND[slot]!);
        } else p = this.#skipValue(v, 1);
        p = this.#next(p, CLOSE_OBJ, "in a reporting structure");
      }
      p = -p;
    }
    this.#structures++;
    this.#lastSize = p - start;
    this.#emit(start);
    return p;
  }

  #emit(offset: number): void {
    const structure = this.#structures;
    const ids = this.#ids;
    ids.length = 0;
    const buf = this.#buf;
    const view = this.#view;
    const ref = this.#ref;
    const refs = this.#refs[0]!.length + this.#refs[1]!.length + this.#refs[2]!.length;
    if (4 * refs > this.#linked.length) {
      this.#linked = new Int32Array(2 ** Math.ceil(Math.log2(4 * refs)));
    }
    const linked = this.#linked;
    const mask = (linked.length >> 1) - 1;
    const bits = 32 - Math.log2(mask + 1);
    for (let slot = 0; slot < 3; slot++) {
      const r = this.#refs[slot]!.values;
      for (let i = 0, n = this.#refs[slot]!.length; i < n;) {
        let id: number;
        if (r[i]! < 0) {
          id = -r[i]!;
          i += 1;
        } else {
          ref.ls = r[i]!;
          ref.le = r[i + 1]!;
          ref.ds = r[i + 2]!;
          ref.de = r[i + 3]!;
          ref.prefixEnd = r[i + 4]!;
          ref.keyStart = r[i + 5]!;
          ref.prefixHash = r[i + 6]!;
          i += 7;
          try {
            id = this.registry.add(SLOT_KIND[slot]!, buf, view, ref);
          } catch (err) {
            this.#fail(`invalid string (${(err as Error).message})`, ref.ls - 1);
          }
          if (id < 0) continue;
        }
        // Linked once, whatever the references to it.
        let at = Math.imul(id, 0x9e3779b1) >>> bits;
        while (linked[2 * at] === structure && linked[2 * at + 1] !== id) at = (at + 1) & mask;
        if (linked[2 * at] === structure) continue;
        linked[2 * at] = structure;
        linked[2 * at + 1] = id;
        ids.push(id);
      }
    }
    const read = this.#read;
    read.offset = this.#base + offset;
    read.bytes = buf;
    read.planCount = this.#planCount;
    read.planFields = this.#planFields;
    read.fileIds = ids.values.subarray(0, ids.length);
    this.handlers.onStructure(read);
  }

  /**
   * `reporting_plans`: a list of plans or a single plan. Records where each
   * plan field's value is, with its kind; every string in it is checked in
   * full.
   */
  #plansValue(p: number): number {
    // A repeated key replaces the earlier one, as in JSON.parse.
    this.#planCount = 0;
    this.#strict = true;
    try {
      return this.#plansList(p);
    } finally {
      this.#strict = false;
    }
  }

  #plansList(p: number): number {
    const buf = this.#buf;
    if (buf[p] === OPEN_OBJ) return this.#plan(p);
    if (buf[p] !== OPEN_ARR) return this.#skipValue(p, 1);
    p = this.#ws(p + 1);
    if (buf[p] === CLOSE_ARR) return p + 1;
    for (;;) {
      // An item that is not a plan is left out.
      p = buf[p] === OPEN_OBJ ? this.#plan(p) : this.#skipValue(p, 2);
      p = this.#next(p, CLOSE_ARR, "in reporting_plans");
      if (p < 0) return -p;
    }
  }

  #plan(p: number): number {
    const buf = this.#buf;
    const at = this.#planCount * PLAN_NUMBERS;
    if (at + PLAN_NUMBERS > this.#planFields.length) {
      const grown = new Int32Array(this.#planFields.length * 2);
      grown.set(this.#planFields);
      this.#planFields = grown;
    }
    const fields = this.#planFields;
    fields.fill(0, at, at + PLAN_NUMBERS);
    p = this.#openObject(p);
    while (p >= 0) {
      const q = this.#keyEnd(p);
      const v = this.#colon(q);
      const k = keyIndex(PLAN_KEY_BYTES, buf, p + 1, q);
      if (k < 0) p = this.#skipValue(v, 3);
      else if (buf[v] === QUOTE) {
        // A repeated field replaces the earlier one, as in JSON.parse.
        const e = this.#checkedEnd(v + 1);
        fields[at + 3 * k] = v + 1;
        fields[at + 3 * k + 1] = e;
        fields[at + 3 * k + 2] = this.#escaped ? PlanField.Escaped : PlanField.Plain;
        p = e + 1;
      } else {
        p = this.#skipValue(v, 3);
        fields[at + 3 * k] = v;
        fields[at + 3 * k + 1] = p;
        fields[at + 3 * k + 2] = PlanField.Other;
      }
      p = this.#next(p, CLOSE_OBJ, "in a plan");
    }
    this.#planCount++;
    return -p;
  }

  /** A file list (`in_network_files`, `allowed_amount_file[s]`): a list or a single file. */
  #filesValue(p: number, refs: Ints, kind: 0 | 1): number {
    const buf = this.#buf;
    if (buf[p] === OPEN_OBJ) return this.#file(p, refs, kind);
    if (buf[p] !== OPEN_ARR) return this.#skipValue(p, 1);
    p = this.#ws(p + 1);
    if (buf[p] === CLOSE_ARR) return p + 1;
    for (;;) {
      p = buf[p] === OPEN_OBJ ? this.#file(p, refs, kind) : this.#skipValue(p, 2);
      p = this.#next(p, CLOSE_ARR, "in a file list");
      if (p < 0) return -p;
    }
  }

  /**
   * A file reference: looks its location up (a file seen before is known by
   * its bytes), else records where its location and description are.
   */
  #file(p: number, refs: Ints, kind: 0 | 1): number {
    const buf = this.#buf;
    const registry = this.registry;
    // Most indexes write every reference as {"description":"…","location":"…"}:
    // matched byte for byte, else read with the general grammar below.
    const view = this.#view;
    if (matchAt(buf, view, p, FILE_HEAD)) {
      const ds = p + FILE_HEAD.length - 1;
      const dq = stringEnd(buf, this.#words, ds + 1);
      if (matchAt(buf, view, dq + 1, FILE_MIDDLE)) {
        const ls = dq + 1 + FILE_MIDDLE.length;
        const id = registry.find(kind, buf, view, ls);
        const le = registry.locationEnd >= 0
          ? registry.locationEnd
          : stringEnd(buf, this.#words, registry.prefixEnd);
        if (buf[le + 1] === CLOSE_OBJ) {
          if (id > 0) refs.push(-id);
          else {
            refs.push7(
              ls,
              le,
              ds,
              dq + 1,
              registry.prefixEnd,
              registry.keyStart,
              registry.prefixHash,
            );
          }
          return le + 2;
        }
      }
    }
    let ls = -1, le = -1, ds = -1, de = -1;
    p = this.#openObject(p);
    while (p >= 0) {
      const q = this.#keyEnd(p);
      const v = this.#colon(q);
      const k = keyIndex(FILE_KEYS, buf, p + 1, q);
      if (k === 0 && buf[v] === QUOTE) {
        ls = v + 1;
        le = stringEnd(buf, this.#words, ls);
        p = le + 1;
      } else {
        if (k === 0) ls = -1; // not a string: no usable location
        p = this.#skipValue(v, 3);
        if (k === 1) {
          ds = v;
          de = p;
        }
      }
      p = this.#next(p, CLOSE_OBJ, "in a file reference");
    }
    if (ls >= 0) {
      const id = registry.find(kind, buf, this.#view, ls);
      if (id > 0) refs.push(-id);
      else refs.push7(ls, le, ds, de, registry.prefixEnd, registry.keyStart, registry.prefixHash);
    }
    return -p;
  }
}

/** Growable 32-bit integers, reused from one structure to the next (no garbage per reference). */
class Ints {
  values = new Int32Array(256);
  length = 0;

  push(a: number): void {
    if (this.length + 1 > this.values.length) this.#grow();
    this.values[this.length++] = a;
  }

  push7(a: number, b: number, c: number, d: number, e: number, f: number, g: number): void {
    if (this.length + 7 > this.values.length) this.#grow();
    const v = this.values;
    let n = this.length;
    v[n++] = a;
    v[n++] = b;
    v[n++] = c;
    v[n++] = d;
    v[n++] = e;
    v[n++] = f;
    v[n++] = g;
    this.length = n;
  }

  #grow(): void {
    const grown = new Int32Array(this.values.length * 2);
    grown.set(this.values);
    this.values = grown;
  }
}

/** Whether `buf` (`view` is a DataView over exactly it) holds `bytes` at `p` (false when it ends before). */
function matchAt(buf: Uint8Array, view: DataView, p: number, bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (p + n > buf.length) return false;
  const words = VIEWS.get(bytes)!;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    if (view.getInt32(p + i, true) !== words.getInt32(i, true)) return false;
  }
  for (; i < n; i++) if (buf[p + i] !== bytes[i]) return false;
  return true;
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
