/**
 * A reference reader of delimited text, written apart from wharf's scanner
 * (`src/land/scan_text.ts`) in the plainest way, byte by byte, from the
 * rules the README documents — and a generator of hostile CSV. Landing a
 * generated file must give exactly what this reader says: which lines land
 * with which values, which are rejected.
 *
 * @module
 */
import { seededRandom } from "./seed.ts";

/** A record as the reference reads it: its first line, and its values or why it is rejected. */
export interface OracleRecord {
  line: number;
  values?: (string | null)[];
  error?: string;
}

const LF = 10;
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

const utf8 = new TextDecoder("utf-8", { fatal: true });

interface Field {
  bytes: number[];
  quoted: boolean;
}

type Parsed =
  | { fields: Field[]; loneCr: boolean; contentEnd: number; next: number; lines: number }
  | { bad: string };

function parseRecord(b: Uint8Array, start: number): Parsed {
  const n = b.length;
  const fields: Field[] = [];
  let lines = 1;
  let loneCr = false;
  let i = start;
  for (;;) {
    if (i < n && b[i] === QUOTE) {
      const value: number[] = [];
      let j = i + 1;
      for (;;) {
        if (j >= n) return { bad: "UNTERMINATED QUOTE" };
        if (b[j] === QUOTE) {
          if (b[j + 1] === QUOTE) {
            value.push(QUOTE);
            j += 2;
            continue;
          }
          break;
        }
        if (b[j] === LF) lines++;
        value.push(b[j]!);
        j++;
      }
      fields.push({ bytes: value, quoted: true });
      i = j + 1;
      const done = (contentEnd: number, next: number) => ({
        fields,
        loneCr,
        contentEnd,
        next,
        lines,
      });
      if (i >= n) return done(i, i);
      if (b[i] === COMMA) {
        i++;
        continue;
      }
      if (b[i] === LF) return done(i, i + 1);
      if (b[i] === CR && b[i + 1] === LF) return done(i, i + 2);
      if (b[i] === CR && i + 1 >= n) return done(i, i + 1);
      return { bad: lines > 1 ? "UNTERMINATED QUOTE" : "UNQUOTED VALUE" };
    }
    let k = i;
    while (k < n && b[k] !== COMMA && b[k] !== LF) k++;
    if (k < n && b[k] === COMMA) {
      const bytes = [...b.subarray(i, k)];
      if (bytes.includes(CR)) loneCr = true;
      fields.push({ bytes, quoted: false });
      i = k + 1;
      continue;
    }
    let e = k;
    if (e > i && b[e - 1] === CR) e--;
    const bytes = [...b.subarray(i, e)];
    if (bytes.includes(CR)) loneCr = true;
    fields.push({ bytes, quoted: false });
    return { fields, loneCr, contentEnd: e, next: k < n ? k + 1 : k, lines };
  }
}

/**
 * Reads comma-delimited UTF-8 text the documented way: the header's field
 * count, then every record, good (with values: empty is NULL) or rejected
 * (with its error type; reading goes on at its second line). Empty fields
 * past the header's are no data and allowed.
 */
export function readReference(b: Uint8Array): { header: string[]; records: OracleRecord[] } {
  let pos = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  let line = 1;
  let header: string[] | undefined;
  const records: OracleRecord[] = [];
  while (pos < b.length) {
    if (b[pos] === LF || (b[pos] === CR && (b[pos + 1] === LF || pos + 1 >= b.length))) {
      pos += b[pos] === LF || pos + 1 >= b.length ? 1 : 2;
      line++;
      continue;
    }
    const r = parseRecord(b, pos);
    if ("bad" in r) {
      let nl = b.indexOf(LF, pos);
      if (nl === -1) nl = b.length;
      records.push({ line, error: r.bad });
      pos = nl + 1;
      line++;
      continue;
    }
    const content = b.subarray(pos, r.contentEnd);
    const values = r.fields.map((f) => f.bytes.length === 0 ? null : new Uint8Array(f.bytes));
    if (!header) {
      header = values.map((v) => v ? utf8.decode(v) : "");
    } else {
      let error: string | undefined;
      if (r.loneCr) error = "INVALID CARRIAGE RETURN";
      else if (content.includes(0)) error = "INVALID BYTE";
      else if (r.fields.length < header.length) error = "MISSING COLUMNS";
      else if (r.fields.slice(header.length).some((f) => f.bytes.length > 0)) {
        // Empty fields past the header's are allowed: only data there is too much.
        error = "TOO MANY COLUMNS";
      } else {
        try {
          utf8.decode(content);
        } catch {
          error = "INVALID ENCODING";
        }
      }
      records.push(
        error ? { line, error } : {
          line,
          values: values.slice(0, header.length).map((v) => v ? utf8.decode(v) : null),
        },
      );
    }
    line += r.lines;
    pos = r.next;
  }
  return { header: header ?? [], records };
}

const PIECES: (string | number[])[] = [
  "x",
  "hello world",
  "é",
  '12" ruler',
  '"q"',
  '"a,b"',
  '"multi\nline"',
  '"cr\r\nlf"',
  '""',
  '"x""y"',
  '"unclosed',
  '"q"z',
  "",
  " ",
  "\r",
  "a\rb",
  '"',
  'x"',
  [0xff],
  [0xc3],
];

/**
 * A random hostile CSV (header `a,b,c`), the same for the same seed: quotes
 * closed, doubled, stray and never closed, quoted line breaks, CR, CRLF and
 * LF endings mixed, blank lines, too many and too few fields, invalid UTF-8,
 * at most one NUL byte, sometimes no final line end.
 */
export function hostileCsv(seed: number): Uint8Array {
  const random = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const out: number[] = [...new TextEncoder().encode("a,b,c\n")];
  const lines = 1 + Math.floor(random() * 25);
  let nul = random() < 0.2;
  for (let l = 0; l < lines; l++) {
    if (random() < 0.08) {
      out.push(...(random() < 0.5 ? [LF] : [CR, LF]));
      continue;
    }
    const fields = random() < 0.8 ? 3 : pick([1, 2, 4]);
    for (let f = 0; f < fields; f++) {
      if (f > 0) out.push(COMMA);
      const roll = random();
      const piece = roll < 0.55 ? pick(PIECES.slice(0, 3)) : pick(PIECES);
      out.push(...(typeof piece === "string" ? new TextEncoder().encode(piece) : piece));
      if (nul && random() < 0.1) {
        out.push(0);
        nul = false;
      }
    }
    if (l < lines - 1 || random() < 0.7) out.push(...(random() < 0.8 ? [LF] : [CR, LF]));
  }
  return new Uint8Array(out);
}
