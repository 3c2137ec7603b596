/**
 * A map from byte strings (each with a small tag) to numbers, exact, in
 * memory that grows only with what it holds: the bytes in 1 MB blocks
 * (never copied), the entries in typed arrays, open addressing with linear
 * probing. About 30 bytes per entry besides the bytes themselves, where a
 * `Map` of strings or of small arrays costs hundreds; an index can name
 * millions of files.
 *
 * @module
 */

/** Hashes `buf[s, e)` (`view` is a DataView over exactly `buf`): FNV-1a over words, then bytes. */
export function hashBytes(buf: Uint8Array, view: DataView, s: number, e: number, seed: number) {
  let h = 0x811c9dc5 ^ seed;
  let p = s;
  for (const stop = e - 3; p < stop; p += 4) h = Math.imul(h ^ view.getInt32(p, true), 16777619);
  for (; p < e; p++) h = Math.imul(h ^ buf[p]!, 16777619);
  return h;
}

const BLOCK = 1 << 20;

/** See the module documentation. */
export class ByteTable {
  /** Blocks of bytes, and DataViews over them; the last one is being filled. */
  #blocks: Uint8Array[] = [];
  #views: DataView[] = [];
  #used = 0;
  // Entries, by index.
  #block = new Int32Array(1024);
  #start = new Int32Array(1024);
  #length = new Int32Array(1024);
  #hash = new Int32Array(1024);
  #value = new Int32Array(1024);
  #tag = new Uint8Array(1024);
  #count = 0;
  /** Entry index + 1 per slot; 0 is empty. */
  #slots = new Int32Array(2048);
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
    const n = e - s;
    const mask = this.#slots.length - 1;
    for (let slot = this.#slotOf(hash);; slot = (slot + 1) & mask) {
      const i = this.#slots[slot]! - 1;
      if (i < 0) return -1;
      if (
        this.#hash[i] === hash && this.#length[i] === n && this.#tag[i] === tag &&
        this.#equal(i, buf, view, s, n)
      ) {
        return this.#value[i]!;
      }
    }
  }

  /** Adds `buf[s, e)` under `tag` with `value` (it must not be there yet). */
  set(tag: number, hash: number, buf: Uint8Array, s: number, e: number, value: number): void {
    const n = e - s;
    if (this.#count === this.#start.length) this.#growEntries();
    if ((this.#count + 1) * 2 > this.#slots.length) this.#growSlots();
    const last = this.#blocks.at(-1);
    if (!last || this.#used + n > last.length) this.#addBlock(n);
    const block = this.#blocks.length - 1;
    this.#blocks[block]!.set(buf.subarray(s, e), this.#used);
    const i = this.#count++;
    this.#block[i] = block;
    this.#start[i] = this.#used;
    this.#length[i] = n;
    this.#hash[i] = hash;
    this.#value[i] = value;
    this.#tag[i] = tag;
    this.#used += n;
    this.#place(i);
  }

  #slotOf(hash: number): number {
    return Math.imul(hash, 0x9e3779b1) >>> (32 - this.#bits);
  }

  #place(i: number): void {
    const mask = this.#slots.length - 1;
    let slot = this.#slotOf(this.#hash[i]!);
    while (this.#slots[slot] !== 0) slot = (slot + 1) & mask;
    this.#slots[slot] = i + 1;
  }

  #equal(i: number, buf: Uint8Array, view: DataView, s: number, n: number): boolean {
    const bytes = this.#blocks[this.#block[i]!]!;
    const words = this.#views[this.#block[i]!]!;
    const a = this.#start[i]!;
    let j = 0;
    for (; j + 3 < n; j += 4) {
      if (words.getInt32(a + j, true) !== view.getInt32(s + j, true)) return false;
    }
    for (; j < n; j++) if (bytes[a + j] !== buf[s + j]) return false;
    return true;
  }

  #growEntries(): void {
    const size = this.#start.length * 2;
    const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.#block = grow(this.#block, (n) => new Int32Array(n));
    this.#start = grow(this.#start, (n) => new Int32Array(n));
    this.#length = grow(this.#length, (n) => new Int32Array(n));
    this.#hash = grow(this.#hash, (n) => new Int32Array(n));
    this.#value = grow(this.#value, (n) => new Int32Array(n));
    this.#tag = grow(this.#tag, (n) => new Uint8Array(n));
  }

  #growSlots(): void {
    this.#bits++;
    this.#slots = new Int32Array(1 << this.#bits);
    for (let i = 0; i < this.#count; i++) this.#place(i);
  }

  /** Starts a new block (a larger one for bytes longer than a block). */
  #addBlock(need: number): void {
    const block = new Uint8Array(Math.max(BLOCK, need));
    this.#blocks.push(block);
    this.#views.push(new DataView(block.buffer));
    this.#used = 0;
  }
}
