/**
 * The distinct files of an index. Indexes name the same in-network file
 * under thousands of plans, each time with its own signed query, so files
 * are deduplicated by kind and URL path (without scheme, host and query)
 * as references are read, and the landed tables stay small.
 *
 * @module
 */
import { ByteTable, hashBytes } from "./byte_table.ts";
import { decodeString, scalarText } from "./json_bytes.ts";

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
const QUESTION = 0x3f, HASH = 0x23;

/**
 * Assigns file ids. {@linkcode FileRegistry.resolve} reads a reference from
 * the index's bytes. The key is a function of the location's raw bytes
 * before its first `?` or `#` (JSON escapes and percent-encoding there are
 * local, and {@linkcode urlKey} ignores the rest), so a reference whose raw
 * prefix was seen before is matched on bytes alone, without building a
 * string; a new prefix goes through {@linkcode urlKey}, which stays the
 * single definition of the key. Both tables are {@linkcode ByteTable}s:
 * memory grows with distinct files only, at about the length of their URL
 * and key plus 40 bytes each.
 */
export class FileRegistry {
  /** Raw location prefixes seen, to file ids. */
  readonly #prefixes = new ByteTable();
  /** Keys (UTF-8), to file ids. */
  readonly #keys = new ByteTable();
  #scratch = new Uint8Array(1024);
  readonly #encoder = new TextEncoder();
  #count = 0;

  /** @param onNew called once per distinct file, when first seen */
  constructor(readonly onNew: (file: TicFile) => void) {}

  /** Distinct files so far. */
  get size(): number {
    return this.#count;
  }

  /**
   * The id of the file whose location is the JSON string content
   * `buf[ls, le)` (`view` is a DataView over exactly `buf`), described by
   * the value token `buf[ds, de)` (`ds` -1: no description). Returns -1
   * when the location is blank.
   *
   * @throws {SyntaxError} for an invalid escape in a string it decodes
   */
  resolve(
    kind: 0 | 1,
    buf: Uint8Array,
    view: DataView,
    ls: number,
    le: number,
    ds: number,
    de: number,
  ): number {
    // Hash the prefix four bytes at a time while no word holds "?" or "#"
    // (the has-zero-byte test), then byte by byte to its end.
    let p = ls;
    let h = 0x811c9dc5 ^ kind;
    for (const stop = le - 3; p < stop; p += 4) {
      const w = view.getInt32(p, true);
      const x = w ^ 0x3f3f3f3f, y = w ^ 0x23232323;
      if ((((x - 0x01010101) & ~x) | ((y - 0x01010101) & ~y)) & 0x80808080) break;
      h = Math.imul(h ^ w, 16777619);
    }
    for (; p < le; p++) {
      const b = buf[p]!;
      if (b === QUESTION || b === HASH) break;
      h = Math.imul(h ^ b, 16777619);
    }
    const known = this.#prefixes.get(kind, h, buf, view, ls, p);
    if (known >= 0) return known;
    const id = this.#fromString(kind, buf, ls, le, ds, de);
    if (id >= 0) this.#prefixes.set(kind, h, buf, ls, p, id);
    return id;
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
    this.onNew({
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
