/**
 * The distinct files of an index. Indexes name the same in-network file
 * under thousands of plans, each time with its own signed query, so files
 * are deduplicated by kind and URL path (without scheme, host and query)
 * as references are read, and the landed tables stay small.
 *
 * @module
 */
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

/** Raw bytes of a location before its query, already resolved to a file id (a hash chain link). */
interface Known {
  kind: number;
  prefix: Uint8Array;
  view: DataView;
  id: number;
  next: Known | undefined;
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
 * single definition of the key.
 */
export class FileRegistry {
  readonly #byKey = new Map<string, number>();
  readonly #known = new Map<number, Known>();
  #count = 0;

  /** @param onNew called once per distinct file, when first seen */
  constructor(readonly onNew: (file: TicFile) => void) {}

  /** Distinct files so far. */
  get size(): number {
    return this.#count;
  }

  /**
   * The id of the file whose location is the JSON string content
   * `buf[ls, le)` (`view` is a DataView over exactly `buf`), described by the value token `buf[ds, de)` (`ds` -1: no
   * description). Returns -1 when the location is blank.
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
    const pe = p;
    for (let k = this.#known.get(h); k !== undefined; k = k.next) {
      if (k.kind === kind && sameBytes(k, view, ls, pe)) return k.id;
    }
    const id = this.#fromString(kind, buf, ls, le, ds, de);
    if (id >= 0) {
      const prefix = buf.slice(ls, pe);
      this.#known.set(h, {
        kind,
        prefix,
        view: new DataView(prefix.buffer),
        id,
        next: this.#known.get(h),
      });
    }
    return id;
  }

  #fromString(kind: 0 | 1, buf: Uint8Array, ls: number, le: number, ds: number, de: number) {
    const url = decodeString(buf, ls, le).trim();
    if (!url) return -1;
    const { key, host } = urlKey(url);
    const mapKey = `${kind}:${key}`;
    let id = this.#byKey.get(mapKey);
    if (id === undefined) {
      id = ++this.#count;
      this.#byKey.set(mapKey, id);
      this.onNew({
        id,
        kind: KINDS[kind]!,
        key,
        url,
        host,
        fileName: key.slice(key.lastIndexOf("/") + 1),
        description: ds < 0 ? null : scalarText(buf, ds, de),
      });
    }
    return id;
  }
}

function sameBytes(k: Known, view: DataView, s: number, e: number): boolean {
  const n = k.prefix.length;
  if (n !== e - s) return false;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    if (k.view.getInt32(i, true) !== view.getInt32(s + i, true)) return false;
  }
  for (; i < n; i++) if (k.prefix[i] !== view.getUint8(s + i)) return false;
  return true;
}
