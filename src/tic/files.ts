/**
 * The distinct files of an index. Indexes name the same in-network file
 * under thousands of plans, each time with its own signed query, so files
 * are deduplicated by kind and URL path (without scheme, host and query)
 * as references are read, and the landed tables stay small.
 *
 * @module
 */
import { ByteTable, hashBytes, hashSeed, mixHash } from "./byte_table.ts";
import {
  BACKSLASH,
  decodeBytes,
  decodeString,
  NEED_MORE,
  QUOTE,
  scalarText,
} from "./json_bytes.ts";

/** What a file holds: in-network rates or allowed amounts. */
export type FileKind = "in_network" | "allowed_amount";

/** A distinct file, as first seen. */
export interface TicFile {
  id: number;
  kind: FileKind;
  /** The URL's path, percent-decoded: the dedupe key. */
  key: string;
  /** The full URL as first seen (signed query included). */
  url: string;
  host: string;
  fileName: string;
  description: string | null;
}

/**
 * The dedupe key of a file URL: its path, without scheme, host and signed
 * query. It depends only on what comes before the first `?` or `#`.
 */
export function urlKey(url: string): { key: string; host: string } {
  let end = url.length;
  const q = url.indexOf("?");
  if (q !== -1) end = q;
  const h = url.indexOf("#");
  if (h !== -1 && h < end) end = h;
  const scheme = url.indexOf("://");
  if (scheme === -1 || scheme + 3 > end) return { key: url.slice(0, end), host: "" };
  const slash = url.indexOf("/", scheme + 3);
  const hostEnd = slash === -1 || slash > end ? end : slash;
  const path = hostEnd === end ? "/" : url.slice(hostEnd, end);
  return {
    key: path.includes("%") ? decodeURIComponentSafe(path) : path,
    host: url.slice(scheme + 3, hostEnd),
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const KINDS: readonly FileKind[] = ["in_network", "allowed_amount"];
const QUESTION = 0x3f, HASH = 0x23, SLASH = 0x2f, COLON = 0x3a, PERCENT = 0x25;
/** "http", "s://" and "://" as little-endian words (the last in three bytes). */
const HTTP = 0x70747468, S_SLASHES = 0x2f2f3a73, COLON_SLASHES = 0x2f2f3a;
/** What a byte of a host is: part of it, the "/" after it, or the end of what is plain. */
const HOST_ORDINARY = 0, HOST_SLASH = 1, HOST_END = 2;
const HOST_BYTE = new Uint8Array(256).map((_, b) =>
  b === SLASH
    ? HOST_SLASH
    : b < 0x20 || b >= 0x7f || b === BACKSLASH || b === QUOTE || b === QUESTION || b === HASH
    ? HOST_END
    : HOST_ORDINARY
);

/**
 * A new file whose parts are all byte ranges of `bytes` (`[start, end)`),
 * printable ASCII without escapes, so that they are their own text: the
 * common case, handed over without building strings. Reused from one file
 * to the next.
 */
export interface PlainFile {
  id: number;
  /** 0: in-network, 1: allowed amounts. */
  kind: 0 | 1;
  bytes: Uint8Array;
  urlStart: number;
  urlEnd: number;
  hostStart: number;
  hostEnd: number;
  /** The key; the file name is its part after its last "/". */
  keyStart: number;
  keyEnd: number;
  nameStart: number;
  /** -1 when there is no description (null). */
  descriptionStart: number;
  descriptionEnd: number;
}

/** Where the distinct files of an index go, once each, when first seen. */
export interface FileSink {
  /** A file whose parts are ranges of its bytes (see {@linkcode PlainFile}; valid during the call). */
  plain(file: Readonly<PlainFile>): void;
  /** Any other file, as text. */
  file(file: TicFile): void;
}

/** The text of a {@linkcode PlainFile}, as a {@linkcode TicFile}. */
export function plainFileText(f: Readonly<PlainFile>): TicFile {
  const text = (s: number, e: number) => decodeBytes(f.bytes.subarray(s, e));
  return {
    id: f.id,
    kind: KINDS[f.kind]!,
    key: text(f.keyStart, f.keyEnd),
    url: text(f.urlStart, f.urlEnd),
    host: text(f.hostStart, f.hostEnd),
    fileName: text(f.nameStart, f.keyEnd),
    description: f.descriptionStart < 0 ? null : text(f.descriptionStart, f.descriptionEnd),
  };
}

/** A file reference, as {@linkcode FileRegistry.add} takes it: see {@linkcode FileRegistry.find}. */
export interface FileRef {
  /** The location string's content, `[ls, le)`. */
  ls: number;
  le: number;
  /** The description's value token, `[ds, de)` (`ds` -1: none). */
  ds: number;
  de: number;
  prefixEnd: number;
  keyStart: number;
  prefixHash: number;
}

/** Whether `buf[s, e)` is printable ASCII without a backslash (the text of a string as written). */
function isPlain(buf: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) {
    const b = buf[i]!;
    if (b < 0x20 || b >= 0x7f || b === 0x5c) return false;
  }
  return true;
}

/**
 * Whether a reference whose key is its bytes ({@linkcode FileRegistry.find})
 * is plain in the rest of its location and in its description too, so that
 * its parts are their own text: nothing to trim, decode or replace.
 */
function isPlainRest(buf: Uint8Array, ref: Readonly<FileRef>): boolean {
  const { le, ds, de, prefixEnd } = ref;
  if (buf[le - 1] === 0x20 || !isPlain(buf, prefixEnd, le)) return false;
  return ds < 0 || (buf[ds] === QUOTE && isPlain(buf, ds + 1, de - 1));
}

/**
 * Assigns file ids, reading references from the index's bytes
 * ({@linkcode FileRegistry.find} while a structure is read, then
 * {@linkcode FileRegistry.add} for the files it did not know). When a
 * location is printable ASCII without escapes up to its query, and its
 * path holds no `%` (nearly always), its key is the bytes of its path: it
 * is looked up by them, and a new file is handed over as byte ranges
 * ({@linkcode PlainFile}), without building a string. Any other location
 * goes through {@linkcode urlKey} on its decoded text, which stays the
 * definition of the key (tests hold the two paths together), and is
 * remembered by its raw bytes before its first `?` or `#` (the key is a
 * function of them: JSON escapes and percent-encoding there are local, and
 * urlKey ignores the rest). Both tables are {@linkcode ByteTable}s: memory
 * grows with distinct files only, at about the length of their key plus
 * 40 bytes each.
 */
export class FileRegistry {
  /** Raw location prefixes seen, to file ids. */
  readonly #prefixes = new ByteTable();
  /** Keys (UTF-8), to file ids. */
  readonly #keys = new ByteTable();
  #scratch = new Uint8Array(1024);
  readonly #encoder = new TextEncoder();
  #count = 0;
  readonly #plain: PlainFile = {
    id: 0,
    kind: 0,
    bytes: new Uint8Array(0),
    urlStart: 0,
    urlEnd: 0,
    hostStart: 0,
    hostEnd: 0,
    keyStart: 0,
    keyEnd: 0,
    nameStart: 0,
    descriptionStart: -1,
    descriptionEnd: -1,
  };

  /** @param sink told once per distinct file, when first seen */
  constructor(readonly sink: FileSink) {}

  /** Distinct files so far. */
  get size(): number {
    return this.#count;
  }

  /** After {@linkcode FileRegistry.find}: where the location's query (or its end) starts. */
  prefixEnd = 0;
  /** After {@linkcode FileRegistry.find}: the closing quote of the location, or -1 if not reached. */
  locationEnd = -1;
  /**
   * After {@linkcode FileRegistry.find}: where the location's key starts
   * when its bytes are the key (see {@linkcode FileRegistry.find}), else -1.
   */
  keyStart = -1;
  /**
   * After {@linkcode FileRegistry.find}: the hash of the key's bytes, or of
   * the location up to {@linkcode FileRegistry.prefixEnd} when
   * {@linkcode FileRegistry.keyStart} is -1.
   */
  prefixHash = 0;

  /**
   * Reads the location string whose content starts at `ls` up to its query
   * (`?` or `#`) or its end, whichever comes first, and returns the id of
   * its file if it is known, else 0 (then {@linkcode FileRegistry.add}
   * decides). When that part is printable ASCII without escapes or
   * percent-encoding in its path (nearly always), its path is the key as
   * it is, looked up directly: two hosts or signatures of one file are
   * found alike. Otherwise the same bytes must have been seen before. Sets
   * {@linkcode FileRegistry.prefixEnd}, {@linkcode FileRegistry.locationEnd},
   * {@linkcode FileRegistry.keyStart} and {@linkcode FileRegistry.prefixHash}.
   * `view` is a DataView over exactly `buf`.
   *
   * @throws {typeof NEED_MORE} when the string runs past `buf`
   */
  find(kind: 0 | 1, buf: Uint8Array, view: DataView, ls: number): number {
    const key = this.#keyStart(buf, view, ls);
    if (key >= 0) {
      this.prefixHash = this.#keyEnd(kind, buf, view, key);
      if (this.keyStart >= 0) {
        const known = this.#keys.get(kind, this.prefixHash, buf, view, key, this.prefixEnd);
        return known >= 0 ? known : 0;
      }
    }
    this.keyStart = -1;
    this.#prefixEnd(kind, buf, view, ls);
    const known = this.#prefixes.get(kind, this.prefixHash, buf, view, ls, this.prefixEnd);
    return known >= 0 ? known : 0;
  }

  /**
   * Where the key of the location starting at `ls` starts, as
   * {@linkcode urlKey} finds it (the first "/" after the first "://";
   * without one, the start), or -1 when the bytes before it are not
   * printable ASCII without escapes, or there is no path (the key is "/").
   */
  #keyStart(buf: Uint8Array, view: DataView, ls: number): number {
    const n = buf.length;
    if (ls >= n) throw NEED_MORE;
    // Blank, or a space to trim: the string path decides.
    if (buf[ls]! <= 0x20 || buf[ls] === QUOTE) return -1;
    let p: number;
    // The usual schemes are matched as words (no "://" can come before theirs).
    if (ls + 8 <= n && view.getInt32(ls, true) === HTTP) {
      const next = view.getInt32(ls + 4, true);
      if (next === S_SLASHES) p = ls + 8;
      else if ((next & 0xffffff) === COLON_SLASHES) p = ls + 7;
      else p = this.#schemeEnd(buf, ls);
    } else p = this.#schemeEnd(buf, ls);
    if (p < 0) return p === -2 ? ls : -1;
    // The host, up to the first "/".
    for (;; p++) {
      if (p >= n) throw NEED_MORE;
      const c = HOST_BYTE[buf[p]!];
      if (c === HOST_ORDINARY) continue;
      return c === HOST_SLASH ? p : -1;
    }
  }

  /**
   * Where the host starts after the first "://" in the location starting at
   * `ls`, read byte by byte; -2 when the location has none before its query
   * or end (its key is then from its start), -1 when a byte is not plain.
   */
  #schemeEnd(buf: Uint8Array, ls: number): number {
    const n = buf.length;
    for (let p = ls;; p++) {
      if (p >= n) throw NEED_MORE;
      const b = buf[p]!;
      if (b === SLASH && p > ls && buf[p - 1] === COLON) {
        if (p + 1 >= n) throw NEED_MORE;
        if (buf[p + 1] === SLASH) return p + 2;
      } else if (b === QUOTE || b === QUESTION || b === HASH) {
        return -2;
      } else if (b < 0x20 || b >= 0x7f || b === BACKSLASH) {
        return -1;
      }
    }
  }

  /**
   * Hashes the key from `key` to the query or the end of the location, four
   * bytes at a time while no word holds a quote, "?", "#", a backslash, "%"
   * or a byte outside printable ASCII (the has-zero-byte test on each).
   * Sets {@linkcode FileRegistry.keyStart} (-1 when such a byte makes the key
   * differ from its bytes), {@linkcode FileRegistry.prefixEnd} and
   * {@linkcode FileRegistry.locationEnd}. The hash is {@linkcode hashBytes}'
   * of the key.
   */
  #keyEnd(kind: 0 | 1, buf: Uint8Array, view: DataView, key: number): number {
    const n = buf.length;
    let p = key;
    let h = hashSeed(kind);
    for (;;) {
      for (const stop = n - 3; p < stop; p += 4) {
        const w = view.getInt32(p, true);
        const a = w ^ 0x22222222, b = w ^ 0x3f3f3f3f, c = w ^ 0x23232323;
        const d = w ^ 0x5c5c5c5c, e = w ^ 0x25252525, f = w ^ 0x7f7f7f7f;
        const hit = ((a - 0x01010101) & ~a) | ((b - 0x01010101) & ~b) |
          ((c - 0x01010101) & ~c) | ((d - 0x01010101) & ~d) | ((e - 0x01010101) & ~e) |
          ((f - 0x01010101) & ~f) | ((w - 0x20202020) & ~w) | w;
        if (hit & 0x80808080) break;
        h = mixHash(h, w);
      }
      if (p >= n) throw NEED_MORE;
      const x = buf[p]!;
      if (x === QUOTE || x === QUESTION || x === HASH) {
        this.locationEnd = x === QUOTE ? p : -1;
        // Without a query, a space at the end is trimmed away.
        this.keyStart = x === QUOTE && buf[p - 1] === 0x20 ? -1 : key;
        this.prefixEnd = p;
        return h;
      }
      if (x < 0x20 || x >= 0x7f || x === BACKSLASH || x === PERCENT) {
        this.keyStart = -1;
        return h;
      }
      h = mixHash(h, x);
      p++;
    }
  }

  /**
   * Hashes the location from `ls` to its query or its end (escapes taken
   * whole), for locations whose bytes are not their key. Sets
   * {@linkcode FileRegistry.prefixEnd}, {@linkcode FileRegistry.locationEnd}
   * and {@linkcode FileRegistry.prefixHash}.
   */
  #prefixEnd(kind: 0 | 1, buf: Uint8Array, view: DataView, ls: number): void {
    // Four bytes at a time while no word holds a quote, a backslash, "?"
    // or "#", then byte by byte.
    let p = ls;
    let h = hashSeed(kind);
    const n = buf.length;
    for (;;) {
      for (const stop = n - 3; p < stop; p += 4) {
        const w = view.getInt32(p, true);
        const a = w ^ 0x22222222, b = w ^ 0x5c5c5c5c, c = w ^ 0x3f3f3f3f, d = w ^ 0x23232323;
        const hit = ((a - 0x01010101) & ~a) | ((b - 0x01010101) & ~b) |
          ((c - 0x01010101) & ~c) | ((d - 0x01010101) & ~d);
        if (hit & 0x80808080) break;
        h = mixHash(h, w);
      }
      if (p >= n) throw NEED_MORE;
      const x = buf[p]!;
      if (x === QUOTE) {
        this.locationEnd = p;
        break;
      }
      if (x === QUESTION || x === HASH) {
        this.locationEnd = -1;
        break;
      }
      h = mixHash(h, x);
      p++;
      if (x === BACKSLASH) {
        // An escape: the next byte is part of it, whatever it is.
        if (p >= n) throw NEED_MORE;
        h = mixHash(h, buf[p]!);
        p++;
      }
    }
    this.prefixEnd = p;
    this.prefixHash = h;
  }

  /**
   * The id of the file of a reference that {@linkcode FileRegistry.find}
   * did not know (`ref` holds what it found): a new file, or a known one
   * reached another way. Returns -1 when the location is blank.
   *
   * @throws {SyntaxError} for an invalid escape in a string it decodes
   */
  add(kind: 0 | 1, buf: Uint8Array, view: DataView, ref: Readonly<FileRef>): number {
    const { ls, le, prefixEnd, keyStart, prefixHash, ds, de } = ref;
    if (keyStart >= 0) {
      if (isPlainRest(buf, ref)) {
        // Known, or added in the same probe.
        const id = this.#keys.put(
          kind,
          prefixHash,
          buf,
          view,
          keyStart,
          prefixEnd,
          this.#count + 1,
        );
        if (id > this.#count) this.#newPlain(kind, buf, ref, ++this.#count);
        return id;
      }
      const known = this.#keys.get(kind, prefixHash, buf, view, keyStart, prefixEnd);
      return known >= 0 ? known : this.#fromString(kind, buf, ls, le, ds, de);
    }
    const known = this.#prefixes.get(kind, prefixHash, buf, view, ls, prefixEnd);
    if (known >= 0) return known;
    const id = this.#fromString(kind, buf, ls, le, ds, de);
    if (id >= 0) this.#prefixes.set(kind, prefixHash, buf, ls, prefixEnd, id);
    return id;
  }

  /**
   * Hands over file `id`, new, whose key `buf[keyStart, prefixEnd)` and the
   * rest of whose location and description are plain
   * ({@linkcode isPlainRest}), as byte ranges.
   */
  #newPlain(kind: 0 | 1, buf: Uint8Array, ref: Readonly<FileRef>, id: number): void {
    const { ls, le, ds, de, keyStart, prefixEnd: end } = ref;
    // The host lies between "://" and the key, when the key follows one.
    let hostStart = ls;
    if (keyStart > ls) {
      while (
        buf[hostStart] !== COLON || buf[hostStart + 1] !== SLASH || buf[hostStart + 2] !== SLASH
      ) hostStart++;
      hostStart += 3;
    }
    let name = end;
    while (name > keyStart && buf[name - 1] !== SLASH) name--;
    const f = this.#plain;
    f.id = id;
    f.kind = kind;
    f.bytes = buf;
    f.urlStart = ls;
    f.urlEnd = le;
    f.hostStart = hostStart;
    f.hostEnd = keyStart > ls ? keyStart : ls;
    f.keyStart = keyStart;
    f.keyEnd = end;
    f.nameStart = name;
    f.descriptionStart = ds < 0 ? -1 : ds + 1;
    f.descriptionEnd = ds < 0 ? -1 : de - 1;
    this.sink.plain(f);
  }

  #fromString(kind: 0 | 1, buf: Uint8Array, ls: number, le: number, ds: number, de: number) {
    const url = decodeString(buf, ls, le).trim();
    if (!url) return -1;
    const { key, host } = urlKey(url);
    // The key's UTF-8 bytes (at most 3 per UTF-16 unit).
    if (this.#scratch.length < key.length * 3) this.#scratch = new Uint8Array(key.length * 3);
    const n = this.#encoder.encodeInto(key, this.#scratch).written;
    const view = new DataView(this.#scratch.buffer);
    const h = hashBytes(this.#scratch, view, 0, n, kind);
    const known = this.#keys.get(kind, h, this.#scratch, view, 0, n);
    if (known >= 0) return known;
    const id = ++this.#count;
    this.#keys.set(kind, h, this.#scratch, 0, n, id);
    this.sink.file({
      id,
      kind: KINDS[kind]!,
      key,
      url,
      host,
      fileName: key.slice(key.lastIndexOf("/") + 1),
      description: ds < 0 ? null : scalarText(buf, ds, de),
    });
    return id;
  }
}
