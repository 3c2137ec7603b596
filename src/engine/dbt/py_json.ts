/**
 * JSON as Python's `json.dumps` writes it, which dbt's `tojson()` and
 * Jinja2's `| tojson` filter call: `", "` between items and `": "` after a
 * key, every character beyond ASCII escaped (`\u00e9`), and a float as
 * Python writes it. Jinja2's filter sorts the keys and escapes the
 * characters HTML gives a meaning (`<`, `>`, `&`, `'`).
 *
 * @module
 */
import { pyFloat } from "./py_print.ts";

/** How {@linkcode pyJsonDumps} writes. */
export interface PyJsonOptions {
  /** Keys in sorted order (Jinja2's filter), not as given (dbt's `tojson()`). */
  sortKeys?: boolean;
  /** `<`, `>`, `&` and `'` as `\u003c`, `\u003e`, `\u0026`, `\u0027` (Jinja2's filter). */
  htmlSafe?: boolean;
  /** Each item on a line of its own, indented by this many spaces a level (`indent=` of both). */
  indent?: number;
}

/**
 * `value` (plain data: objects, arrays, text, numbers, booleans, null) as
 * Python's `json.dumps` writes it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pyJsonDumps } from "./py_json.ts";
 *
 * assert.equal(pyJsonDumps({ b: [1, 2.5], a: "café" }), '{"b": [1, 2.5], "a": "caf\\u00e9"}');
 * assert.equal(pyJsonDumps({ b: 1, a: "<x>" }, { sortKeys: true, htmlSafe: true }), '{"a": "\\u003cx\\u003e", "b": 1}');
 * assert.equal(pyJsonDumps({ a: [1] }, { indent: 2 }), '{\n  "a": [\n    1\n  ]\n}');
 * ```
 */
export function pyJsonDumps(value: unknown, options: PyJsonOptions = {}): string {
  const { indent } = options;
  const write = (v: unknown, level: number): string => {
    if (v === null || v === undefined) return "null";
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "bigint") return String(v);
    if (typeof v === "number") {
      if (Number.isNaN(v)) return "NaN";
      if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
      return Number.isInteger(v) ? String(v) : pyFloat(v);
    }
    if (typeof v === "string") return jsonString(v, options.htmlSafe === true);
    const entries: [string | undefined, unknown][] = Array.isArray(v)
      ? v.map((item) => [undefined, item])
      : Object.entries(v as Record<string, unknown>);
    if (!Array.isArray(v) && options.sortKeys) {
      entries.sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0));
    }
    const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
    if (entries.length === 0) return open + close;
    const items = entries.map(([k, item]) =>
      (k === undefined ? "" : `${jsonString(k, options.htmlSafe === true)}: `) +
      write(item, level + 1)
    );
    if (indent === undefined) return `${open}${items.join(", ")}${close}`;
    const pad = (n: number) => "\n" + " ".repeat(indent * n);
    return `${open}${pad(level + 1)}${items.join("," + pad(level + 1))}${pad(level)}${close}`;
  };
  return write(value, 0);
}

/** A JSON string of `text` with Python's escapes (`ensure_ascii`). */
function jsonString(text: string, htmlSafe: boolean): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const code = text.charCodeAt(i);
    if (c === '"') out += '\\"';
    else if (c === "\\") out += "\\\\";
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (c === "\b") out += "\\b";
    else if (c === "\f") out += "\\f";
    else if (code < 0x20 || code > 0x7e || (htmlSafe && "<>&'".includes(c))) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else out += c;
  }
  return out + '"';
}
