/**
 * A map from byte strings (each with a small tag) to numbers, exact, in
 * memory that grows only with what it holds: the bytes in 1 MB blocks
 * (never copied), the entries in one typed array, open addressing with
 * linear probing over slots that hold each entry's hash beside it, so that
 * a probe reads one cache line, not one per entry (with a million entries,
 * lookups were bound by cache misses). About 36 bytes per entry besides the
 * bytes themselves, where a `Map` of strings or of small arrays costs
 * hundreds; an index can name millions of files.
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
/** Numbers per entry: block, start, length, tag, value. */
const ENTRY = 5;

/** See the module documentation. */
export class ByteTable {
  /** Blocks of bytes, and DataViews over them; the last one is being filled. */
  #blocks: Uint8Array[] = [];
  #views: DataView[] = [];
  #used = 0;
  /** Entries, {@linkcode ENTRY} numbers each. */
  #entries = new Int32Array(1024 * ENTRY);
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
    const slots = this.#slots;
    const mask = (slots.length >> 1) - 1;
    for (let slot = this.#slotOf(hash);; slot = (slot + 1) & mask) {
      const i = slots[2 * slot]! - 1;
      if (i < 0) return -1;
      if (slots[2 * slot + 1] !== hash) continue;
      const at = i * ENTRY;
      const entries = this.#entries;
      if (
        entries[at + 2] === e - s && entries[at + 3] === tag &&
        this.#equal(entries[at]!, entries[at + 1]!, buf, view, s, e - s)
      ) {
        return entries[at + 4]!;
      }
    }
  }

  /** Adds `buf[s, e)` under `tag` with `value` (it must not be there yet). */
  set(tag: number, hash: number, buf: Uint8Array, s: number, e: number, value: number): void {
    const n = e - s;
    if ((this.#count + 1) * ENTRY > this.#entries.length) {
      const grown = new Int32Array(this.#entries.length * 2);
      grown.set(this.#entries);
      this.#entries = grown;
    }
    if ((this.#count + 1) * 4 > this.#slots.length) this.#growSlots();
    const last = this.#blocks.at(-1);
    if (!last || this.#used + n > last.length) this.#addBlock(n);
    const block = this.#blocks.length - 1;
    this.#blocks[block]!.set(buf.subarray(s, e), this.#used);
    const i = this.#count++;
    const at = i * ENTRY;
    const entries = this.#entries;
    entries[at] = block;
    entries[at + 1] = this.#used;
    entries[at + 2] = n;
    entries[at + 3] = tag;
    entries[at + 4] = value;
    this.#used += n;
    this.#place(i + 1, hash);
  }

  #slotOf(hash: number): number {
    return Math.imul(hash, 0x9e3779b1) >>> (32 - this.#bits);
  }

  #place(entry: number, hash: number): void {
    const slots = this.#slots;
    const mask = (slots.length >> 1) - 1;
    let slot = this.#slotOf(hash);
    while (slots[2 * slot] !== 0) slot = (slot + 1) & mask;
    slots[2 * slot] = entry;
    slots[2 * slot + 1] = hash;
  }

  #equal(block: number, a: number, buf: Uint8Array, view: DataView, s: number, n: number) {
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
    this.#slots = new Int32Array(2 << this.#bits);
    for (let slot = 0; slot < old.length; slot += 2) {
      if (old[slot] !== 0) this.#place(old[slot]!, old[slot + 1]!);
    }
  }

  /** Starts a new block (a larger one for bytes longer than a block). */
  #addBlock(need: number): void {
    const block = new Uint8Array(Math.max(BLOCK, need));
    this.#blocks.push(block);
    this.#views.push(new DataView(block.buffer));
    this.#used = 0;
  }
}
