/**
 * Reading a delimited text file once, as bytes: its SHA-256 (of the bytes
 * as stored, compressed or not) and its records as wharf counts them. A
 * record is a line, or several when a quoted field holds line breaks
 * (RFC 4180: `"` opens a field only as its first character, `""` inside is
 * a quote; a quote after leading spaces is part of an unquoted value, which
 * the copy writes quoted, since DuckDB would drop the spaces).
 *
 * In **check** mode the scan says whether DuckDB can read the file as it is
 * and number its rows by position (every record one line, one kind of line
 * ending, nothing malformed). In **copy** mode it decides every record
 * itself: a good one is written to a copy with its line number in front, a
 * bad one is handed over as a reject (line, byte offset, error, text) and
 * reading goes on at the next line:
 *
 * - a quote never closed, or a closing quote followed by anything but a
 *   delimiter or a line end: the record's first line is rejected and the
 *   lines after it are read on their own (the quote swallows nothing);
 * - fewer fields than the header, or more (empty fields at the end aside);
 * - invalid UTF-8 (UTF-8 files), a byte Windows-1252 leaves undefined (0x81,
 *   0x8D, 0x8F, 0x90, 0x9D: Windows-1252 files), a NUL byte, a carriage
 *   return that ends no line outside quotes;
 * - a record over {@linkcode MAX_RECORD_BYTES}.
 *
 * Blank lines are not records. Byte offsets count the decompressed text.
 * A Windows-1252 file's good records are written to the copy as UTF-8; a
 * rejected record's text keeps its bytes: a UTF-8 file's bytes that are not
 * UTF-8 as `\xff` ({@linkcode visibleUtf8}), a Windows-1252 file's
 * undefined ones as the control characters U+0081 … When the encoding is
 * `unsure` (the file's start did not settle it), the copy weighs the whole
 * file's evidence and throws {@linkcode EncodingOverturned} when the rule
 * (`utf8.ts`) gives the other encoding. In
 * a file whose lines end with a CR alone (`crLines`), every CR not
 * followed by LF is read as LF (quoted line breaks too).
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { LandingError } from "../engine/errors.ts";
import type { RejectedLine } from "./read_records.ts";
import { encodingOf, hasUtf8Multibyte, visibleUtf8 } from "./utf8.ts";

/** The longest record wharf reads, in bytes; a longer one is rejected. */
export const MAX_RECORD_BYTES = 32 * 1024 * 1024;

/** DuckDB's default `max_line_size`: a longer record needs the copy, read with a larger one. */
export const DUCKDB_MAX_LINE = 2_000_000;

/** The most bytes of a rejected record kept as its text in `wharf.rejects`. */
export const REJECT_TEXT_BYTES = 65_536;

const LF = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;

/** Options of {@linkcode scanText}. */
export interface ScanTextOptions {
  delimiter: string;
  gzip: boolean;
  encoding: "utf-8" | "windows-1252";
  /** Lines end with a CR alone: read each CR not followed by LF as LF. */
  crLines?: boolean;
  /**
   * Copy mode: `encoding` is what the file's start suggests, not settled:
   * weigh the evidence of every record (a well-formed multi-byte UTF-8
   * sequence, bytes that are not UTF-8) and throw
   * {@linkcode EncodingOverturned} when the whole file's gives the other
   * encoding.
   */
  encodingUnsure?: boolean;
  /**
   * Copy mode: the header's field count, where to write the good records
   * (`<line number><delimiter><record>\n`, no header) and where rejects go.
   * Without it, the scan only checks.
   */
  copy?: {
    fields: number;
    path: string;
    onReject: (reject: RejectedLine) => void;
  };
  /** Called after each read with the bytes read so far (as stored). */
  onProgress?: (bytes: number) => void;
  /** Stops the scan (it then rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** What a scan found. */
export interface TextScan {
  /** SHA-256 of the bytes as stored. */
  sha256: string;
  /** Bytes read, as stored (compressed when gzipped). */
  bytes: number;
  /** Lines of the header record (more than one when a header field holds a line break). */
  headerLines: number;
  /** Data records read: good + rejected. */
  records: number;
  /** Copy mode: records written to the copy. */
  good: number;
  /** Copy mode: records rejected. */
  rejected: number;
  /** The longest good record, bytes. */
  longest: number;
  /** The header's line ending. */
  newline: "\n" | "\r\n";
  /**
   * Check mode: why DuckDB cannot read the file as it is and number its rows
   * by position; undefined when it can.
   */
  unplain?: string;
}

/**
 * The whole file's evidence gives another encoding than the one the scan
 * read it in (which the file's start suggested): a Windows-1252 file holds a
 * well-formed multi-byte UTF-8 sequence, or a UTF-8 file has bytes that are
 * not UTF-8 and no such sequence. The file is to be read again in
 * `encoding`.
 */
export class EncodingOverturned extends Error {
  constructor(readonly encoding: "utf-8" | "windows-1252", reason: string) {
    super(reason);
    this.name = "EncodingOverturned";
  }
}

/** The bytes of a file as stored, hashed and counted as they go by. */
async function* storedChunks(
  path: string,
  hash: Hash,
  counter: { bytes: number },
  onProgress?: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  using file = await Deno.open(path);
  for (;;) {
    const buf = new Uint8Array(1 << 20);
    const n = await file.read(buf);
    if (n === null) return;
    const chunk = buf.subarray(0, n);
    hash.update(chunk);
    counter.bytes += n;
    onProgress?.(counter.bytes);
    yield chunk;
  }
}

/** Options of {@linkcode textChunks}. */
export interface TextChunksOptions {
  gzip: boolean;
  /** Hashes the bytes as stored. */
  hash?: Hash;
  /** Counts the bytes as stored. */
  counter?: { bytes: number };
  onProgress?: (bytes: number) => void;
}

/**
 * The text of a file (decompressed when gzipped: every member of a
 * multi-member stream), chunk by chunk.
 *
 * @throws {LandingError} when the gzip stream is truncated or corrupt.
 */
export async function* textChunks(
  path: string,
  name: string,
  options: TextChunksOptions,
): AsyncGenerator<Uint8Array> {
  const { gzip, hash = createHash("sha256"), counter = { bytes: 0 }, onProgress } = options;
  const stored = storedChunks(path, hash, counter, onProgress);
  if (!gzip) {
    yield* stored;
    return;
  }
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  pipeline(Readable.from(stored), gunzip, () => {});
  try {
    for await (const chunk of gunzip) yield chunk as Uint8Array;
  } catch (err) {
    if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotFound) {
      throw err;
    }
    throw new LandingError(
      name,
      `Cannot land "${name}": the gzip stream is truncated or corrupt (${(err as Error).message})`,
      { cause: err },
    );
  }
}

const utf8Encoder = new TextEncoder();

/**
 * Where the first byte from 0x80 up is in `bytes[from, to)`, -1 when none,
 * and the first one Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90,
 * 0x9D), -1 when none.
 */
function highBytes(bytes: Uint8Array, from: number, to: number): { high: number; bad: number } {
  let high = -1;
  for (let k = from; k < to; k++) {
    const b = bytes[k]!;
    if (b < 0x80) continue;
    if (high === -1) high = k;
    if (b === 0x81 || b === 0x8d || b === 0x8f || b === 0x90 || b === 0x9d) return { high, bad: k };
  }
  return { high, bad: -1 };
}

/**
 * `chunks` with each CR that is not followed by LF turned into LF (a CR
 * ending a chunk is decided by the next one). The chunks are changed in
 * place.
 */
async function* crToLf(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  let pendingCr = false;
  for await (const chunk of chunks) {
    if (chunk.length === 0) continue;
    if (pendingCr) yield Uint8Array.of(chunk[0] === LF ? CR : LF);
    const n = chunk.length;
    for (let at = chunk.indexOf(CR); at !== -1 && at < n - 1; at = chunk.indexOf(CR, at + 1)) {
      if (chunk[at + 1] !== LF) chunk[at] = LF;
    }
    pendingCr = chunk[n - 1] === CR;
    yield pendingCr ? chunk.subarray(0, n - 1) : chunk;
  }
  if (pendingCr) yield Uint8Array.of(LF);
}

/**
 * A well-formed record (as wharf reads it) with every unquoted field that
 * holds a quote written quoted, its quotes doubled: ` "C2" ` becomes
 * `" ""C2"" "`. DuckDB drops the spaces before a quote and reads the rest as
 * a quoted field; written so, it reads the value wharf read.
 */
export function requote(record: Uint8Array, delimiter: Uint8Array): Uint8Array {
  const out: number[] = [];
  const n = record.length;
  const isDelim = (at: number) => {
    for (let k = 0; k < delimiter.length; k++) if (record[at + k] !== delimiter[k]) return false;
    return true;
  };
  for (let i = 0;;) {
    if (record[i] === QUOTE) {
      // A quoted field, through its closing quote.
      let j = i + 1;
      while (j < n && !(record[j] === QUOTE && record[j + 1] !== QUOTE)) {
        j += record[j] === QUOTE ? 2 : 1;
      }
      for (let k = i; k <= j && k < n; k++) out.push(record[k]!);
      i = j + 1;
    } else {
      let j = i;
      while (j < n && !isDelim(j)) j++;
      const field = record.subarray(i, j);
      if (field.includes(QUOTE)) {
        out.push(QUOTE);
        for (const b of field) b === QUOTE ? out.push(QUOTE, QUOTE) : out.push(b);
        out.push(QUOTE);
      } else for (const b of field) out.push(b);
      i = j;
    }
    if (i >= n) return Uint8Array.from(out);
    for (const b of delimiter) out.push(b);
    i += delimiter.length;
  }
}

/** Buffered writes of the copy. */
class CopyWriter {
  readonly #file: Deno.FsFile;
  #buf = new Uint8Array(4 << 20);
  #len = 0;
  constructor(file: Deno.FsFile) {
    this.#file = file;
  }
  /** Room for `n` more bytes, flushing first when needed. */
  async reserve(n: number): Promise<void> {
    if (this.#len + n <= this.#buf.length) return;
    await this.flush();
    if (n > this.#buf.length) this.#buf = new Uint8Array(n);
  }
  /** Writes a line number followed by the delimiter (room reserved). */
  number(n: number, delimiter: Uint8Array): void {
    const digits = String(n);
    for (let i = 0; i < digits.length; i++) this.#buf[this.#len++] = digits.charCodeAt(i);
    this.#buf.set(delimiter, this.#len);
    this.#len += delimiter.length;
  }
  /** Writes bytes (room reserved). */
  bytes(b: Uint8Array): void {
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }
  /** Writes Windows-1252 text as UTF-8 (room reserved: 3 bytes a byte); returns the bytes written. */
  utf8(text: string): number {
    const { written } = utf8Encoder.encodeInto(text, this.#buf.subarray(this.#len));
    this.#len += written;
    return written;
  }
  byte(b: number): void {
    this.#buf[this.#len++] = b;
  }
  async flush(): Promise<void> {
    let off = 0;
    while (off < this.#len) off += await this.#file.write(this.#buf.subarray(off, this.#len));
    this.#len = 0;
  }
}

/** Why a record is bad, as `TYPE: detail` (DuckDB's error types where they exist). */
type Verdict = string | undefined;

/**
 * The record parser over a sliding window of the text. Searches for quotes,
 * delimiters, carriage returns and NUL bytes go through cached "next
 * position" cursors, so each byte is looked at a bounded number of times
 * however the lines are shaped.
 */
class RecordScanner {
  win = new Uint8Array(2 << 20);
  /** Valid bytes of the window: [0, end). */
  end = 0;
  /** Absolute text offset of win[0]. */
  base = 0;
  eof = false;
  readonly delim: Uint8Array;
  #view = new Uint8Array(0);
  // Cursors: the first quote, delimiter, CR, NUL at or after `from` is at `at`.
  #quote = { from: 0, at: -1 };
  #delimiter = { from: 0, at: -1 };
  #cr = { from: 0, at: -1 };
  #nul = { from: 0, at: -1 };

  // The record parsed last.
  /** End of its content (its line ending excluded). */
  contentEnd = 0;
  /** Where the next record starts. */
  next = 0;
  /** Its physical lines. */
  lines = 0;
  fields = 0;
  /** The number of its last field that is not empty (counted with `fields`). */
  filled = 0;
  /** It ends with CRLF (else LF or the end of the text). */
  crlf = false;
  /** A quoted field of it holds a line break. */
  multiline = false;
  /** An unquoted field of it holds a carriage return (one that ends no line). */
  loneCr = false;
  /** An unquoted field of it starts with spaces and then a quote (` "C2" `: a literal quote). */
  spaceQuote = false;
  /** What is wrong with it (a quote never closed …); then `next` is its second line. */
  quoteError: Verdict;

  constructor(delimiter: string) {
    this.delim = new TextEncoder().encode(delimiter);
  }

  /** Appends a chunk, dropping the bytes before `keep` (which becomes offset 0). */
  push(chunk: Uint8Array, keep: number): void {
    const live = this.end - keep;
    if (live + chunk.length > this.win.length) {
      const grown = new Uint8Array(Math.max(this.win.length * 2, live + chunk.length));
      grown.set(this.win.subarray(keep, this.end));
      this.win = grown;
    } else if (keep > 0) {
      this.win.copyWithin(0, keep, this.end);
    }
    this.base += keep;
    this.end = live;
    this.win.set(chunk, this.end);
    this.end += chunk.length;
    this.#view = this.win.subarray(0, this.end);
    for (const c of [this.#quote, this.#delimiter, this.#cr, this.#nul]) c.at = -1;
  }

  /** The first `byte` at or after `from` (window end when none), through `cursor`. */
  #find(cursor: { from: number; at: number }, byte: number, from: number): number {
    if (cursor.from <= from && cursor.at >= from) return cursor.at;
    const at = this.#view.indexOf(byte, from);
    cursor.from = from;
    cursor.at = at === -1 ? this.end : at;
    return cursor.at;
  }
  /** Next quote at or after `from` (window end when none). */
  quoteFrom(from: number): number {
    return this.#find(this.#quote, QUOTE, from);
  }
  crFrom(from: number): number {
    return this.#find(this.#cr, CR, from);
  }
  nulFrom(from: number): number {
    return this.#find(this.#nul, 0, from);
  }
  /** Next delimiter at or after `from` (window end when none). */
  delimFrom(from: number): number {
    const d = this.delim;
    for (let at = from;;) {
      at = this.#find(this.#delimiter, d[0]!, at);
      if (at >= this.end || d.length === 1) return at;
      let ok = at + d.length <= this.end;
      for (let k = 1; ok && k < d.length; k++) ok = this.win[at + k] === d[k];
      if (ok) return at;
      at++;
    }
  }
  lfFrom(from: number): number {
    const at = this.#view.indexOf(LF, from);
    return at === -1 ? this.end : at;
  }
  /** Line feeds in [from, to). */
  lfsIn(from: number, to: number): number {
    let n = 0;
    for (let at = this.lfFrom(from); at < to; at = this.lfFrom(at + 1)) n++;
    return n;
  }
  isDelimAt(at: number): boolean {
    const d = this.delim;
    if (at + d.length > this.end) return false;
    for (let k = 0; k < d.length; k++) if (this.win[at + k] !== d[k]) return false;
    return true;
  }

  /**
   * Parses the record starting at `s` (a line start). Returns false when
   * the window does not hold all of it yet (and more text is coming).
   * `countFields` counts every field (copy mode), else only what quotes need.
   */
  parse(s: number, countFields: boolean): boolean {
    const end = this.end;
    let i = s;
    this.lines = 1;
    this.fields = 1;
    this.filled = 0;
    this.crlf = false;
    this.multiline = false;
    this.loneCr = false;
    this.spaceQuote = false;
    this.quoteError = undefined;
    for (;;) {
      if (i < end && this.win[i] === QUOTE) {
        // A quoted field: find its closing quote ("" is a quote inside).
        let j = i + 1;
        let close = -1;
        for (;;) {
          const q = this.quoteFrom(j);
          if (q >= end) break;
          if (q + 1 >= end && !this.eof) return false;
          if (q + 1 < end && this.win[q + 1] === QUOTE) {
            j = q + 2;
            continue;
          }
          close = q;
          break;
        }
        if (close === -1) {
          if (!this.eof && end - s <= MAX_RECORD_BYTES) return false;
          return this.#rejectFirstLine(
            s,
            "UNTERMINATED QUOTE: the quote opened in this line is never closed",
          );
        }
        if (close > i + 1) this.filled = this.fields;
        const inside = this.lfsIn(i + 1, close);
        if (inside > 0) {
          this.lines += inside;
          this.multiline = true;
        }
        i = close + 1;
        if (i >= end) return this.#finish(i, i, false);
        if (this.isDelimAt(i)) {
          this.fields++;
          i += this.delim.length;
          continue;
        }
        if (i + this.delim.length > end && !this.eof) return false;
        const b = this.win[i];
        if (b === LF) return this.#finish(i, i + 1, false);
        if (b === CR) {
          if (i + 1 >= end) return this.eof ? this.#finish(i, i + 1, true) : false;
          if (this.win[i + 1] === LF) return this.#finish(i, i + 2, true);
        }
        const what = b === CR ? "a carriage return" : `"${String.fromCharCode(b!)}"`;
        return this.#rejectFirstLine(
          s,
          this.multiline
            ? `UNTERMINATED QUOTE: the quote opened in this line is never closed (the next quote, ${
              this.lines - 1
            } line${this.lines > 2 ? "s" : ""} down, is followed by ${what})`
            : `UNQUOTED VALUE: a closing quote is followed by ${what}, not a delimiter or a line end`,
        );
      }
      // An unquoted field, up to the next delimiter or line end.
      const nl = this.lfFrom(i);
      if (nl >= end && !this.eof) {
        if (end - s > MAX_RECORD_BYTES) return this.#tooLong(s);
        return false;
      }
      const q = this.quoteFrom(i);
      if (q >= nl) {
        // No quote in the rest of the line: it ends the record.
        if (countFields) this.#countFields(i, nl > i && this.win[nl - 1] === CR ? nl - 1 : nl);
        return this.#finishLine(i, nl);
      }
      // A quote later in the line: walk the fields up to it.
      let d = this.delimFrom(i);
      while (d < q) {
        if (this.crFrom(i) < d) this.loneCr = true;
        if (d > i) this.filled = this.fields;
        this.fields++;
        i = d + this.delim.length;
        d = this.delimFrom(i);
      }
      if (q === i) continue; // it opens the next field
      // The quote sits inside an unquoted field: it is a literal character.
      if (!this.spaceQuote) {
        let k = i;
        while (k < q && this.win[k] === SPACE) k++;
        this.spaceQuote = k === q;
      }
      this.filled = this.fields;
      if (d >= nl) return this.#finishLine(i, nl);
      if (this.crFrom(i) < d) this.loneCr = true;
      this.fields++;
      i = d + this.delim.length;
    }
  }

  /** Counts the fields of [from, to), which holds no quote, and the last one not empty. */
  #countFields(from: number, to: number): void {
    const d = this.delim;
    let fields = this.fields;
    let filled = this.filled;
    if (d.length === 1) {
      // A plain loop beats one indexOf call per delimiter on short fields.
      const win = this.win;
      const b = d[0]!;
      for (let k = from; k < to; k++) {
        if (win[k] === b) fields++;
        else filled = fields;
      }
    } else {
      let start = from;
      for (let at = this.delimFrom(from); at < to; at = this.delimFrom(at + d.length)) {
        if (at > start) filled = fields;
        fields++;
        start = at + d.length;
      }
      if (to > start) filled = fields;
    }
    this.fields = fields;
    this.filled = filled;
  }

  /** Ends the record with the unquoted field at `i` and the line end at `nl`. */
  #finishLine(i: number, nl: number): boolean {
    const cr = nl > i && this.win[nl - 1] === CR;
    const contentEnd = cr ? nl - 1 : nl;
    if (this.crFrom(i) < contentEnd) this.loneCr = true;
    return this.#finish(contentEnd, nl < this.end ? nl + 1 : nl, cr);
  }

  #finish(contentEnd: number, next: number, crlf: boolean): boolean {
    this.contentEnd = contentEnd;
    this.next = next;
    this.crlf = crlf;
    return true;
  }

  /** Rejects the first line of the record at `s`; reading goes on at its second line. */
  #rejectFirstLine(s: number, error: string): boolean {
    const nl = this.lfFrom(s);
    if (nl >= this.end && !this.eof) {
      if (this.end - s > MAX_RECORD_BYTES) return this.#tooLong(s);
      return false;
    }
    this.quoteError = error;
    this.lines = 1;
    this.multiline = false;
    const cr = nl > s && nl <= this.end && this.win[nl - 1] === CR;
    return this.#finish(cr ? nl - 1 : nl, nl < this.end ? nl + 1 : nl, cr);
  }

  /** A line over the limit: rejected; `next` is -1 until its end is found. */
  #tooLong(s: number): boolean {
    this.quoteError = `LINE SIZE OVER MAXIMUM: the line is longer than ${MAX_RECORD_BYTES} bytes`;
    this.lines = 1;
    this.contentEnd = Math.min(this.end, s + REJECT_TEXT_BYTES);
    this.next = -1;
    return true;
  }
}

/**
 * Reads `path` once: hash, records, and (copy mode) the copy and rejects.
 *
 * @throws {LandingError} when the gzip stream is truncated or corrupt, or the
 * file has no header.
 */
export async function scanText(
  path: string,
  name: string,
  options: ScanTextOptions,
): Promise<TextScan> {
  const hash = createHash("sha256");
  const counter = { bytes: 0 };
  const sc = new RecordScanner(options.delimiter);
  const copy = options.copy;
  using out = copy
    ? await Deno.open(copy.path, { write: true, create: true, truncate: true })
    : undefined;
  const writer = out ? new CopyWriter(out) : undefined;
  const fatal = new TextDecoder("utf-8", { fatal: true });
  const lenient = new TextDecoder(options.encoding);
  const checkUtf8 = copy !== undefined && options.encoding === "utf-8";
  const cp1252 = options.encoding === "windows-1252";
  /** Weighed so far (copy mode of an unsure encoding); bytes not UTF-8 are known in Windows-1252 mode. */
  const evidence = copy && options.encodingUnsure
    ? { multibyte: false, invalid: cp1252 }
    : undefined;
  /** Absolute offset up to which a Windows-1252 file was weighed. */
  let weighedTo = 0;
  const result: TextScan = {
    sha256: "",
    bytes: 0,
    headerLines: 0,
    records: 0,
    good: 0,
    rejected: 0,
    longest: 0,
    newline: "\n",
  };
  const unplain = (why: string) => {
    result.unplain ??= why;
  };
  let line = 1;
  let pos = 0;
  let header = true;
  /** A blank line seen; a record after it means DuckDB's positions are off. */
  let blankAt = 0;
  /** Absolute offset until which the text is known to be valid UTF-8. */
  let utf8Ok = 0;
  /** Absolute end of a block that failed UTF-8 validation: check its records one by one. */
  let utf8BadUntil = 0;
  /** Skipping the rest of a line over the limit. */
  let skipping = false;

  const reject = (start: number, error: string, end: number) => {
    result.records++;
    result.rejected++;
    if (!copy) return;
    let cut = Math.min(end, start + REJECT_TEXT_BYTES);
    if (!cp1252) {
      // Not inside a character: back to the start of a sequence cut short.
      for (let k = 0; k < 3 && cut < end && cut > start && (sc.win[cut]! & 0xc0) === 0x80; k++) {
        cut--;
      }
    }
    const bytes = sc.win.subarray(start, cut);
    copy.onReject({
      line,
      byteOffset: sc.base + start,
      error,
      text: cp1252 ? lenient.decode(bytes) : visibleUtf8(bytes),
    });
  };
  const validUtf8 = (s: number, e: number): boolean => {
    if (sc.base + e <= utf8Ok) return true;
    if (sc.base + e > utf8BadUntil) {
      // Validate a block of whole lines at once; one-by-one only inside a bad block.
      const blockEnd = Math.min(sc.end, sc.lfFrom(Math.min(sc.end, s + 65_536)) + 1);
      const block = sc.win.subarray(s, blockEnd);
      try {
        const text = fatal.decode(block);
        utf8Ok = sc.base + blockEnd;
        // Fewer UTF-16 code units than bytes: a multi-byte sequence.
        if (evidence && text.length < block.length) evidence.multibyte = true;
        return true;
      } catch {
        utf8BadUntil = sc.base + blockEnd;
        if (evidence) {
          evidence.invalid = true;
          evidence.multibyte ||= hasUtf8Multibyte(block);
        }
      }
    }
    try {
      fatal.decode(sc.win.subarray(s, e));
      return true;
    } catch {
      return false;
    }
  };

  /** Weighs the evidence of the record at [s, e) (and the whole lines after it in the window). */
  const weigh = (s: number, e: number) => {
    if (!evidence || evidence.multibyte) return;
    if (!cp1252) {
      // Validating a new block of lines weighs it.
      if (sc.base + e > utf8Ok && sc.base + e > utf8BadUntil) validUtf8(s, e);
      return;
    }
    if (sc.base + e <= weighedTo) return;
    const blockEnd = Math.min(sc.end, sc.lfFrom(Math.min(sc.end, s + 65_536)) + 1);
    weighedTo = sc.base + blockEnd;
    if (hasUtf8Multibyte(sc.win, s, blockEnd)) {
      throw new EncodingOverturned(
        "utf-8",
        `a multi-byte UTF-8 sequence near line ${line}, past the first bytes`,
      );
    }
  };

  const consume = async (): Promise<void> => {
    for (;;) {
      if (skipping) {
        const nl = sc.lfFrom(pos);
        if (nl >= sc.end) {
          pos = sc.end;
          return;
        }
        skipping = false;
        line++;
        pos = nl + 1;
      }
      if (pos >= sc.end) return;
      if (sc.base + pos === 0 && sc.win[0] === 0xef && sc.win[1] === 0xbb) {
        if (sc.end < 3 && !sc.eof) return;
        if (sc.win[2] === 0xbf) pos = 3;
      }
      const s = pos;
      // A blank line is no record.
      const b = sc.win[s];
      if (b === CR && s + 1 >= sc.end && !sc.eof) return;
      if (b === LF || (b === CR && (s + 1 >= sc.end || sc.win[s + 1] === LF))) {
        if (header) {
          throw new LandingError(name, `Cannot land "${name}": the header line is empty`, {
            line: 1,
          });
        }
        blankAt ||= line;
        pos = Math.min(sc.end, s + (b === LF ? 1 : 2));
        line++;
        continue;
      }
      if (!sc.parse(s, copy !== undefined && !header)) return;
      if (sc.next === -1) {
        // A line over the limit: reject it, skip to its end.
        if (header) {
          throw new LandingError(
            name,
            `Cannot land "${name}": its header line is longer than ${MAX_RECORD_BYTES} bytes`,
            { line: 1 },
          );
        }
        unplain(`line ${line} is longer than ${MAX_RECORD_BYTES} bytes`);
        weigh(s, sc.contentEnd);
        reject(s, sc.quoteError!, sc.contentEnd);
        skipping = true;
        pos = sc.contentEnd;
        continue;
      }
      const content = sc.contentEnd;
      if (header) {
        header = false;
        if (sc.quoteError) {
          throw new LandingError(
            name,
            `Cannot land "${name}": its header is malformed (${sc.quoteError})`,
            { line: 1 },
          );
        }
        result.headerLines = sc.lines;
        result.newline = sc.crlf ? "\r\n" : "\n";
        line += sc.lines;
        pos = sc.next;
        continue;
      }
      if (blankAt) {
        unplain(`blank line ${blankAt} is followed by more records`);
        blankAt = 0;
      }
      let verdict: Verdict = sc.quoteError;
      if (verdict) unplain(`line ${line}: ${verdict}`);
      else if (sc.multiline) unplain(`line ${line} has a quoted field with a line break`);
      const terminated = sc.next > content;
      if (terminated && sc.crlf !== (result.newline === "\r\n")) {
        unplain(`line ${line} ends with ${sc.crlf ? "CRLF" : "LF"}, the header does not`);
      }
      if (!verdict && sc.spaceQuote) {
        unplain(`line ${line} has a quote after leading spaces in an unquoted field`);
      }
      if (!verdict && sc.loneCr) {
        verdict = "INVALID CARRIAGE RETURN: a carriage return inside an unquoted field";
        unplain(`line ${line} holds a carriage return`);
      }
      if (!verdict && sc.nulFrom(s) < content) {
        verdict = "INVALID BYTE: a NUL byte";
        unplain(`line ${line} holds a NUL byte`);
      }
      if (!verdict && content - s > DUCKDB_MAX_LINE) {
        unplain(`line ${line} is longer than ${DUCKDB_MAX_LINE} bytes`);
      }
      if (copy) {
        weigh(s, content);
        // Empty fields past the header's are no data (DuckDB reads them so too): allowed.
        if (!verdict && (sc.fields < copy.fields || sc.filled > copy.fields)) {
          verdict = `${
            sc.fields > copy.fields ? "TOO MANY COLUMNS" : "MISSING COLUMNS"
          }: expected ${copy.fields} fields, found ${sc.fields}`;
        }
        if (!verdict && checkUtf8 && !validUtf8(s, content)) {
          verdict = "INVALID ENCODING: the line is not valid UTF-8";
        }
        const high = cp1252 && !verdict ? highBytes(sc.win, s, content) : undefined;
        if (high && high.bad !== -1) {
          verdict = `INVALID ENCODING: byte 0x${
            sc.win[high.bad]!.toString(16).toUpperCase()
          } is no character in Windows-1252, the encoding of this file (it is not UTF-8)`;
        }
        if (verdict) reject(s, verdict, content);
        else {
          result.records++;
          result.good++;
          const record = sc.spaceQuote
            ? requote(sc.win.subarray(s, content), sc.delim)
            : sc.win.subarray(s, content);
          let size = record.length;
          if (high && high.high !== -1) {
            // Windows-1252 to UTF-8: at most 3 bytes a byte (€ is U+20AC).
            await writer!.reserve(3 * size + 24);
            writer!.number(line, sc.delim);
            size = writer!.utf8(lenient.decode(record));
          } else {
            await writer!.reserve(size + 24);
            writer!.number(line, sc.delim);
            writer!.bytes(record);
          }
          writer!.byte(LF);
          result.longest = Math.max(result.longest, size);
        }
      } else {
        result.records++;
        result.longest = Math.max(result.longest, content - s);
      }
      line += sc.lines;
      pos = sc.next;
    }
  };

  const stored = textChunks(path, name, {
    gzip: options.gzip,
    hash,
    counter,
    onProgress: options.onProgress,
  });
  const chunks = options.crLines ? crToLf(stored) : stored;
  for await (const chunk of chunks) {
    options.signal?.throwIfAborted();
    sc.push(chunk, pos);
    pos = 0;
    await consume();
  }
  sc.eof = true;
  await consume();
  if (header) {
    throw new LandingError(name, `Cannot land "${name}": the file is empty`);
  }
  if (evidence && encodingOf(evidence) !== options.encoding) {
    throw new EncodingOverturned(
      "windows-1252",
      "bytes that are not UTF-8 past the first ones, and no multi-byte UTF-8 sequence",
    );
  }
  await writer?.flush();
  result.sha256 = hash.digest("hex");
  result.bytes = counter.bytes;
  return result;
}
