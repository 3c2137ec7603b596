/**
 * Reading JSON tokens straight from UTF-8 bytes: the few primitives the
 * index reader and the file registry share.
 *
 * @module
 */

/** Byte values of JSON's punctuation. */
export const QUOTE = 0x22,
  BACKSLASH = 0x5c,
  COLON = 0x3a,
  COMMA = 0x2c,
  OPEN_OBJ = 0x7b,
  CLOSE_OBJ = 0x7d,
  OPEN_ARR = 0x5b,
  CLOSE_ARR = 0x5d;

/**
 * Thrown (a symbol, so no stack is captured) when a token runs past the end
 * of the bytes at hand: the caller retries once more bytes have arrived.
 */
export const NEED_MORE: unique symbol = Symbol("need more bytes");

const decoder = new TextDecoder();

/**
 * 32-bit words over the whole memory of `buf`, for {@linkcode stringEnd}
 * to test four bytes at a time (word `w` holds bytes `4w … 4w+3` of
 * `buf.buffer`, whatever `buf.byteOffset` is).
 */
export function wordsOf(buf: Uint8Array): Int32Array {
  return new Int32Array(buf.buffer, 0, buf.buffer.byteLength >> 2);
}

/**
 * The index of the quote closing the string whose content starts at `p`
 * (the byte before `p` is its opening quote). `words` is
 * {@linkcode wordsOf}`(buf)`.
 *
 * @throws {typeof NEED_MORE} when the string does not end in `buf`
 */
export function stringEnd(buf: Uint8Array, words: Int32Array, p: number): number {
  const n = buf.length;
  const off = buf.byteOffset;
  for (;;) {
    // Bytes up to a word boundary, then whole words until one holds a
    // quote (the classic has-zero-byte test on word ^ 0x22222222), then
    // bytes again to find it.
    for (; (off + p) & 3; p++) {
      if (p >= n) throw NEED_MORE;
      if (buf[p] === QUOTE) break;
    }
    if (buf[p] !== QUOTE) {
      let w = (off + p) >> 2;
      const last = (off + n) >> 2;
      for (; w < last; w++) {
        const x = words[w]! ^ 0x22222222;
        if (((x - 0x01010101) & ~x & 0x80808080) !== 0) break;
      }
      for (p = (w << 2) - off; p < n && buf[p] !== QUOTE; p++);
      if (p >= n) throw NEED_MORE;
    }
    // A quote after an odd run of backslashes is escaped. The opening quote
    // bounds the run.
    let k = p;
    while (buf[k - 1] === BACKSLASH) k--;
    if ((p - k) % 2 === 0) return p;
    p++;
  }
}

/**
 * The content of the string `buf[s, e)` (between its quotes), escapes
 * resolved.
 *
 * @throws {SyntaxError} for an invalid escape
 */
export function decodeString(buf: Uint8Array, s: number, e: number): string {
  const text = decoder.decode(buf.subarray(s, e));
  return text.includes("\\") ? JSON.parse(`"${text}"`) as string : text;
}

/**
 * A scalar value token `buf[s, e)` as text: a string's content, a number or
 * boolean as written; `null`, an object or an array give null (never a
 * guess).
 */
export function scalarText(buf: Uint8Array, s: number, e: number): string | null {
  const b = buf[s];
  if (b === QUOTE) return decodeString(buf, s + 1, e - 1);
  if (b === OPEN_OBJ || b === OPEN_ARR || b === 0x6e /* null */) return null;
  return String(JSON.parse(decoder.decode(buf.subarray(s, e))));
}

/** Decodes UTF-8 bytes. */
export function decodeBytes(buf: Uint8Array): string {
  return decoder.decode(buf);
}
