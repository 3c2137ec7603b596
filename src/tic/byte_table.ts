/**
 * A map from byte strings (each with a small tag) to numbers, exact, in
 * memory that grows only with what it holds: the bytes in 1 MB blocks
 * (never copied), the entries in pages of a typed array (never copied
 * either), open addressing with linear probing over slots that hold each
 * entry's hash beside it, so that a probe reads one cache line, not one
 * per entry (with a million entries, lookups were bound by cache misses).
 * About 28 bytes per entry besides the bytes themselves, where a `Map` of
 * strings or of small arrays costs hundreds; an index can name millions of
 * files.
 *
 * @module
 */

/**
 * One step of {@linkcode hashBytes}: `h` with the word or byte `w` mixed in.
 * Multiplying alone carries a word's bits only upwards, and words of
 * similar paths collided (6% of a million); the shift carries them down.
 */
export function mixHash(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x9e3779b1);
  return h ^ (h >>> 15);
}

/** The hash of nothing, under `tag`: where {@linkcode hashBytes} starts. */
export function hashSeed(tag: number): number {
  return 0x811c9dc5 ^ tag;
}

/**
 * Hashes `buf[s, e)` under `tag` (`view` is a DataView over exactly `buf`):
 * {@linkcode mixHash} over its little-endian 32-bit words, then its last
 * bytes one at a time.
 */
export function hashBytes(buf: Uint8Array, view: DataView, s: number, e: number, tag: number) {
  let h = hashSeed(tag);
  let p = s;
  for (const stop = e - 3; p < stop; p += 4) h = mixHash(h, view.getInt32(p, true));
  for (; p < e; p++) h = mixHash(h, buf[p]!);
  return h;
}

const BLOCK_BITS = 20;
const BLOCK = 1 << BLOCK_BITS;
/** Blocks at most: where an entry's bytes are is one 32-bit number (block, then start). */
const MAX_BLOCKS = 1 << (32 - BLOCK_BITS);
/** Numbers per entry: where its bytes are, their length and its tag, its value. */
const ENTRY = 3;
const TAG_BITS = 4;
const PAGE_BITS = 16;
/** Entries per page. */
const PAGE = 1 << PAGE_BITS;

/** See the module documentation. */
export class ByteTable {
  /** Blocks of bytes, and DataViews over them; the last one is being filled. */
  #blocks: Uint8Array[] = [];
  #views: DataView[] = [];
  #used = BLOCK;
  /** Pages of {@linkcode PAGE} entries, {@linkcode ENTRY} numbers each. */
  #pages: Int32Array[] = [];
  #count = 0;
  /** Two numbers per slot: entry index + 1 (0: empty), and the entry's hash. */
  #slots = new Int32Array(2 * 2048);
  #bits = 11;

  /** Entries held. */
  get size(): number {
    return this.#count;
  }

  /**
   * The value of `buf[s, e)` under `tag`, or -1. `hash` must be the one it
   * was set with; `view` is a DataView over exactly `buf`.
   */
  get(tag: number, hash: number, buf: Uint8Array, view: DataView, s: number, e: number): number {
    const slot = this.#find(tag, hash, buf, view, s, e);
    const slots = this.#slots;
    return slots[2 * slot] === 0 ? -1 : this.#value(slots[2 * slot]! - 1);
  }

  /** Adds `buf[s, e)` under `tag` with `value` (it must not be there yet). */
  set(tag: number, hash: number, buf: Uint8Array, s: number, e: number, value: number): void {
    const slots = this.#slots;
    const mask = (slots.length >> 1) - 1;
    let slot = this.#slotOf(hash);
    while (slots[2 * slot] !== 0) slot = (slot + 1) & mask;
    this.#insert(slot, tag, hash, buf, s, e, value);
  }

  /**
   * The value of `buf[s, e)` under `tag` if it is there; else adds it with
   * `value` and returns `value`. One probe where `get`, then `set`, take two.
   */
  put(
    tag: number,
    hash: number,
    buf: Uint8Array,
    view: DataView,
    s: number,
    e: number,
    value: number,
  ): number {
    const slot = this.#find(tag, hash, buf, view, s, e);
    const entry = this.#slots[2 * slot]!;
    if (entry !== 0) return this.#value(entry - 1);
    this.#insert(slot, tag, hash, buf, s, e, value);
    return value;
  }

  /** The slot of `buf[s, e)` under `tag`, or the empty slot where it would go. */
  #find(tag: number, hash: number, buf: Uint8Array, view: DataView, s: number, e: number) {
    const slots = this.#slots;
    const mask = (slots.length >> 1) - 1;
    const head = (e - s) << TAG_BITS | tag;
    for (let slot = this.#slotOf(hash);; slot = (slot + 1) & mask) {
      const entry = slots[2 * slot]!;
      if (entry === 0) return slot;
      if (slots[2 * slot + 1] !== hash) continue;
      const i = entry - 1;
      const page = this.#pages[i >>> PAGE_BITS]!;
      const at = (i & (PAGE - 1)) * ENTRY;
      if (page[at + 1] === head && this.#equal(page[at]!, buf, view, s, e - s)) return slot;
    }
  }

  #value(i: number): number {
    return this.#pages[i >>> PAGE_BITS]![(i & (PAGE - 1)) * ENTRY + 2]!;
  }

  /** Adds an entry at `slot`, an empty one where its probe would end. */
  #insert(
    slot: number,
    tag: number,
    hash: number,
    buf: Uint8Array,
    s: number,
    e: number,
    value: number,
  ): void {
    const n = e - s;
    if (n >= 2 ** (31 - TAG_BITS)) {
      throw new RangeError(`a byte string of ${n} bytes, over the ${2 ** (31 - TAG_BITS)} held`);
    }
    if (this.#used + n > BLOCK || n > BLOCK) this.#addBlock(n);
    const block = this.#blocks.length - 1;
    const bytes = this.#blocks[block]!;
    let to = this.#used;
    if (n < 64) {
      for (let k = s; k < e; k++) bytes[to++] = buf[k]!;
    } else {
      bytes.set(buf.subarray(s, e), to);
    }
    const i = this.#count++;
    if (i >>> PAGE_BITS === this.#pages.length) this.#pages.push(new Int32Array(PAGE * ENTRY));
    const page = this.#pages[i >>> PAGE_BITS]!;
    const at = (i & (PAGE - 1)) * ENTRY;
    page[at] = (block << BLOCK_BITS) | this.#used;
    page[at + 1] = n << TAG_BITS | tag;
    page[at + 2] = value;
    this.#used += n;
    const slots = this.#slots;
    slots[2 * slot] = i + 1;
    slots[2 * slot + 1] = hash;
    if (this.#count * 4 > slots.length) this.#growSlots();
  }

  #slotOf(hash: number): number {
    return Math.imul(hash, 0x9e3779b1) >>> (32 - this.#bits);
  }

  /** Whether the entry's bytes at `where` (block, then start) are `buf[s, s + n)`. */
  #equal(where: number, buf: Uint8Array, view: DataView, s: number, n: number) {
    const block = where >>> BLOCK_BITS;
    const a = where & (BLOCK - 1);
    const bytes = this.#blocks[block]!;
    const words = this.#views[block]!;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      if (words.getInt32(a + j, true) !== view.getInt32(s + j, true)) return false;
    }
    for (; j < n; j++) if (bytes[a + j] !== buf[s + j]) return false;
    return true;
  }

  #growSlots(): void {
    const old = this.#slots;
    this.#bits++;
    const slots = this.#slots = new Int32Array(2 << this.#bits);
    const mask = (slots.length >> 1) - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] === 0) continue;
      let slot = this.#slotOf(old[i + 1]!);
      while (slots[2 * slot] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = old[i]!;
      slots[2 * slot + 1] = old[i + 1]!;
    }
  }

  /** Starts a new block (a larger one for bytes longer than a block). */
  #addBlock(need: number): void {
    if (this.#blocks.length === MAX_BLOCKS) {
      throw new RangeError(`over ${MAX_BLOCKS} blocks of ${BLOCK} bytes held`);
    }
    const block = new Uint8Array(Math.max(BLOCK, need));
    this.#blocks.push(block);
    this.#views.push(new DataView(block.buffer));
    this.#used = 0;
  }
}
