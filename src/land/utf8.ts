/**
 * The evidence wharf decides a text file's encoding on, and the text of a
 * record that is not valid UTF-8 with its bytes kept visible.
 *
 * The rule (a source's `encoding: "auto"`, the default): a file is UTF-8
 * when it is valid UTF-8, or when it holds a well-formed multi-byte UTF-8
 * sequence anywhere (then its lines that are not valid UTF-8 are rejected);
 * a file with bytes that are not UTF-8 and no such sequence is Windows-1252.
 *
 * @module
 */

/**
 * The length of the well-formed multi-byte UTF-8 sequence at `bytes[at]`
 * (2 to 4, as Unicode's table 3-7 allows: no overlong forms, surrogates or
 * code points past U+10FFFF), 0 when there is none (an ASCII byte too).
 */
export function utf8SequenceAt(bytes: Uint8Array, at: number, end = bytes.length): number {
  const b = bytes[at]!;
  if (b < 0xc2 || b > 0xf4) return 0;
  const need = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
  if (at + need > end) return 0;
  const b1 = bytes[at + 1]!;
  const lo = b === 0xe0 ? 0xa0 : b === 0xf0 ? 0x90 : 0x80;
  const hi = b === 0xed ? 0x9f : b === 0xf4 ? 0x8f : 0xbf;
  if (b1 < lo || b1 > hi) return 0;
  for (let k = 2; k < need; k++) if ((bytes[at + k]! & 0xc0) !== 0x80) return 0;
  return need;
}

/**
 * True when `bytes[from, to)` holds a well-formed multi-byte UTF-8 sequence:
 * the evidence that a file with invalid bytes is UTF-8 all the same.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasUtf8Multibyte } from "./utf8.ts";
 *
 * assert.equal(hasUtf8Multibyte(new TextEncoder().encode("José")), true);
 * assert.equal(hasUtf8Multibyte(Uint8Array.of(0x4a, 0xe9, 0x20)), false); // "Jé " in Windows-1252
 * ```
 */
export function hasUtf8Multibyte(bytes: Uint8Array, from = 0, to = bytes.length): boolean {
  for (let i = from; i < to - 1; i++) {
    if (bytes[i]! >= 0xc2 && utf8SequenceAt(bytes, i, to) !== 0) return true;
  }
  return false;
}

const decoder = new TextDecoder("utf-8");

/**
 * UTF-8 text with each byte that is no part of a well-formed sequence
 * written as `\xff`, the way `wharf sql` shows a control character, so that
 * a rejected line keeps the bytes it was delivered with (`bad \xff byte`,
 * not `bad � byte`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { visibleUtf8 } from "./utf8.ts";
 *
 * assert.equal(visibleUtf8(Uint8Array.of(0x61, 0xff, 0xc3, 0xa9)), "a\\xffé");
 * ```
 */
export function visibleUtf8(bytes: Uint8Array): string {
  let out = "";
  let run = 0;
  for (let i = 0; i < bytes.length;) {
    if (bytes[i]! < 0x80) {
      i++;
      continue;
    }
    const n = utf8SequenceAt(bytes, i);
    if (n !== 0) {
      i += n;
      continue;
    }
    out += decoder.decode(bytes.subarray(run, i)) + `\\x${bytes[i]!.toString(16).padStart(2, "0")}`;
    run = ++i;
  }
  return out + decoder.decode(bytes.subarray(run));
}

/**
 * The encoding the rule gives a file with `multibyte` (a well-formed
 * multi-byte UTF-8 sequence somewhere) and `invalid` (bytes that are not
 * UTF-8 somewhere).
 */
export function encodingOf(
  evidence: { multibyte: boolean; invalid: boolean },
): "utf-8" | "windows-1252" {
  return evidence.invalid && !evidence.multibyte ? "windows-1252" : "utf-8";
}
