/**
 * The tokens of Jinja code, for the template rewriters (`rewrite_jinja.ts`,
 * `rewrite_print.ts`).
 *
 * @module
 */

/** A token of a Jinja expression, with where it is in the code. */
export interface Token {
  kind: "name" | "number" | "string" | "op" | "open" | "close";
  text: string;
  start: number;
  end: number;
}

/** The tokens of Jinja code (whitespace left out; an unknown character is an op of its own). */
export function tokenize(code: string): Token[] {
  const out: Token[] = [];
  const re =
    /\s+|([A-Za-z_]\w*)|(\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?)|('(?:[^'\\]|\\[^])*'|"(?:[^"\\]|\\[^])*")|(\*\*|\/\/|==|!=|<=|>=|[-+*\/%~|.,:=<>!])|([([{])|([)\]}])|([^])/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(code)) !== null) {
    const [text] = m;
    const at = m.index;
    const kind = m[1] !== undefined
      ? "name"
      : m[2] !== undefined
      ? "number"
      : m[3] !== undefined
      ? "string"
      : m[5] !== undefined
      ? "open"
      : m[6] !== undefined
      ? "close"
      : m[4] !== undefined || m[7] !== undefined
      ? "op"
      : undefined;
    if (kind) out.push({ kind, text, start: at, end: at + text.length });
  }
  return out;
}

/** Jinja's words that are no variable: a `[` after one opens a list. */
export const KEYWORDS = new Set([
  "in",
  "is",
  "and",
  "or",
  "not",
  "if",
  "else",
  "for",
  "recursive",
  "set",
  "do",
  "with",
  "import",
  "from",
  "as",
  "print",
]);

/** The index of the token closing the bracket token at `open` in `tokens`, or -1. */
export function closingBracket(tokens: readonly Token[], open: number): number {
  let depth = 0;
  for (let k = open; k < tokens.length; k++) {
    if (tokens[k]!.kind === "open") depth++;
    else if (tokens[k]!.kind === "close" && --depth === 0) return k;
  }
  return -1;
}
