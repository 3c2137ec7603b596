/**
 * Python's `%` formatting of text, as Jinja's `format` filter does it
 * (`"%s rows in %s" | format(n, name)`): conversions `s r d i u f F e E g
 * G x X o c %` with flags `-+ 0#`, a width and a precision.
 *
 * @module
 */

const SPEC = /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([srdiufFeEgGxXoc%])/g;

/** Python's repr of a value printed by `%r`: text in quotes, numbers as they are. */
function repr(value: unknown): string {
  if (typeof value === "string") {
    // Python quotes with ' unless the text holds ' and no ".
    const q = value.includes("'") && !value.includes('"') ? '"' : "'";
    return `${q}${value.replaceAll("\\", "\\\\").replaceAll(q, `\\${q}`)}${q}`;
  }
  return text(value);
}

/** What `%s` prints: Python's str of a template value. */
function text(value: unknown): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (Array.isArray(value)) return `[${value.map(repr).join(", ")}]`;
  return String(value);
}

/**
 * `a` (not negative) with `digits` decimals, as Python rounds it: correctly,
 * a tie (exactly half way, as the double is) to the even digit, where
 * JavaScript's `toFixed` rounds a tie up (7.25 → 7.2 in Python, 7.3 in JavaScript).
 */
function fixed(a: number, digits: number): string {
  const up = a.toFixed(digits);
  if (digits > 90 || !Number.isFinite(a)) return up;
  const exact = a.toFixed(Math.min(100, digits + 60));
  const cut = exact.indexOf(".") + 1 + digits - (digits === 0 ? 1 : 0);
  const rest = exact.slice(digits === 0 ? exact.indexOf(".") + 1 : cut);
  if (!/^50*$/.test(rest)) return up;
  // A tie: keep the digit below when it is even.
  const down = exact.slice(0, digits === 0 ? exact.indexOf(".") : cut);
  return Number(down.at(-1)) % 2 === 0 ? down : up;
}

function number(value: unknown, conversion: string): number {
  const n = typeof value === "boolean" ? Number(value) : value;
  if (typeof n !== "number") {
    throw new Error(`format: %${conversion} needs a number, got ${repr(value)}`);
  }
  return n;
}

/**
 * `fmt % args`, as Python computes it.
 *
 * @throws {Error} when the arguments and the conversions do not match, as Python's TypeError.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { percentFormat } from "./py_format.ts";
 *
 * assert.equal(percentFormat("%s: %05.1f%% of %d", ["orders", 7.25, 40]), "orders: 007.2% of 40");
 * assert.equal(percentFormat("%.2f|%.0f|%.0f", [2.675, 0.5, 1.5]), "2.67|0|2");
 * assert.equal(percentFormat("%-6s|%r|%r", ["ab", "it's", "x"]), `ab    |"it's"|'x'`);
 * ```
 */
export function percentFormat(fmt: string, args: readonly unknown[]): string {
  let next = 0;
  const out = fmt.replace(
    SPEC,
    (_all, flags: string, width?: string, precision?: string, conversion?: string) => {
      if (conversion === "%") return "%";
      if (next >= args.length) {
        throw new Error(
          "format: not enough arguments for the format string",
        );
      }
      const value = args[next++];
      const prec = precision === undefined ? undefined : Number(precision);
      let body: string;
      let sign = "";
      switch (conversion) {
        case "s":
          body = prec === undefined ? text(value) : text(value).slice(0, prec);
          break;
        case "r":
          body = prec === undefined ? repr(value) : repr(value).slice(0, prec);
          break;
        case "c":
          body = typeof value === "number" ? String.fromCodePoint(value) : text(value);
          break;
        default: {
          const n = number(value, conversion!);
          if (n < 0 || Object.is(n, -0)) sign = "-";
          else if (flags.includes("+")) sign = "+";
          else if (flags.includes(" ")) sign = " ";
          const a = Math.abs(n);
          switch (conversion) {
            case "d":
            case "i":
            case "u":
              body = String(Math.trunc(a));
              break;
            case "x":
            case "X":
            case "o": {
              const radix = conversion === "o" ? 8 : 16;
              body = Math.trunc(a).toString(radix);
              if (flags.includes("#")) body = (conversion === "o" ? "0o" : "0x") + body;
              if (conversion === "X") body = body.toUpperCase();
              break;
            }
            case "e":
            case "E": {
              const [m, e] = a.toExponential(prec ?? 6).split("e");
              const exp = Number(e);
              body = `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
              if (conversion === "E") body = body.toUpperCase();
              break;
            }
            case "g":
            case "G": {
              const p = prec === 0 ? 1 : prec ?? 6;
              const exp = a === 0 ? 0 : Math.floor(Math.log10(a));
              body = exp < -4 || exp >= p
                ? percentFormat(`%.${p - 1}${conversion === "g" ? "e" : "E"}`, [a]).replace(
                  /\.?0+e/,
                  "e",
                )
                : String(Number(a.toPrecision(p)));
              break;
            }
            default: // f, F
              body = fixed(a, prec ?? 6);
          }
        }
      }
      const w = width === undefined ? 0 : Number(width);
      const full = sign + body;
      if (full.length >= w) return full;
      if (flags.includes("-")) return full.padEnd(w);
      if (flags.includes("0") && !"src".includes(conversion!)) {
        return sign +
          body.padStart(w - sign.length, "0");
      }
      return full.padStart(w);
    },
  );
  if (next < args.length) {
    throw new Error("format: not all arguments converted during string formatting");
  }
  return out;
}

/** A format spec of Python's mini-language: `[[fill]align][sign][0][width][,_][.precision][type]`. */
const BRACE_SPEC = /^(?:([^])?([<>^=]))?([-+ ])?(0)?(\d+)?([,_])?(?:\.(\d+))?([sdfFeEgGxXob%])?$/s;

/** `value` formatted by `spec` (Python's format()), or a problem naming the spec. */
function formatValue(value: unknown, spec: string): string {
  const m = BRACE_SPEC.exec(spec);
  if (!m) throw new Error(`format spec "${spec}" is not supported by wharf`);
  const [, fill0, align0, sign = "-", zero, width, grouping, precision, type] = m;
  const isNumber = typeof value === "number" || typeof value === "boolean";
  let body: string;
  let signText = "";
  if (type === undefined && !isNumber || type === "s") {
    if (type === "s" && typeof value !== "string") {
      throw new Error(`format spec "${spec}": "s" is for text, got ${repr(value)}`);
    }
    if (grouping || sign !== "-") {
      throw new Error(`format spec "${spec}" is for numbers, got ${repr(value)}`);
    }
    body = precision === undefined ? text(value) : text(value).slice(0, Number(precision));
  } else {
    if (!isNumber) throw new Error(`format spec "${spec}" is for numbers, got ${repr(value)}`);
    const n = Number(value);
    if ((type === "d" || "xXob".includes(type ?? "-")) && !Number.isInteger(n)) {
      throw new Error(`format spec "${spec}" is for integers, got ${repr(value)}`);
    }
    if (type !== undefined && "dxXob".includes(type) && precision !== undefined) {
      throw new Error(`format spec "${spec}": a precision is not allowed with "${type}"`);
    }
    const a = Math.abs(n);
    signText = n < 0 || Object.is(n, -0) ? "-" : sign === "-" ? "" : sign;
    const p = precision === undefined ? "" : `.${precision}`;
    switch (type) {
      case undefined:
        body = precision === undefined ? text(a) : percentFormat(`%${p}g`, [a]);
        break;
      case "d":
        body = String(a);
        break;
      case "b":
        body = a.toString(2);
        break;
      case "%":
        body = `${percentFormat(`%${p || ".6"}f`, [a * 100])}%`;
        break;
      default:
        body = percentFormat(`%${p}${type}`, [a]);
    }
    if (grouping) {
      const int = /^\d+/.exec(body)![0];
      body = int.replace(/\B(?=(\d{3})+(?!\d))/g, grouping) + body.slice(int.length);
    }
  }
  const w = width === undefined ? 0 : Number(width);
  const fill = fill0 ?? (zero && !align0 ? "0" : " ");
  const align = align0 ?? (zero ? "=" : isNumber && type !== "s" ? ">" : "<");
  const pad = Math.max(0, w - signText.length - body.length);
  switch (align) {
    case "<":
      return signText + body + fill.repeat(pad);
    case "^":
      return fill.repeat(Math.floor(pad / 2)) + signText + body +
        fill.repeat(pad - Math.floor(pad / 2));
    case "=":
      return signText + fill.repeat(pad) + body;
    default:
      return fill.repeat(pad) + signText + body;
  }
}

/**
 * `fmt.format(*positional, **named)`, as Python's `str.format` computes it
 * for the common cases: fields `{}`, `{0}`, `{name}` (with `!s`/`!r`), `{{`
 * and `}}`, and format specs of the mini-language
 * (`[[fill]align][sign][0][width][,_][.precision][type]`, types
 * `s d f F e E g G x X o b %`).
 *
 * @throws {Error} on a field that names no argument, or a spec (or an
 * attribute or item in a field: `{0.name}`, `{0[k]}`) wharf does not support.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { braceFormat } from "./py_format.ts";
 *
 * assert.equal(braceFormat("{}-{}", [1, "a"], {}), "1-a");
 * assert.equal(braceFormat("{n:>5}|{0:.2f}|{1:,}", [2.675, 1234567], { n: "ab" }), "   ab|2.67|1,234,567");
 * ```
 */
export function braceFormat(
  fmt: string,
  positional: readonly unknown[],
  named: Readonly<Record<string, unknown>>,
): string {
  let auto = 0;
  return fmt.replace(
    /\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}|[{}]/g,
    (all, field: string | undefined, conversion?: string, spec?: string) => {
      if (all === "{{") return "{";
      if (all === "}}") return "}";
      if (field === undefined) throw new Error(`format: a single "${all}" in "${fmt}"`);
      let value: unknown;
      if (field === "") {
        if (auto >= positional.length) {
          throw new Error(
            `format: "${fmt}" has more fields than the ${positional.length} arguments`,
          );
        }
        value = positional[auto++];
      } else if (/^\d+$/.test(field)) {
        if (Number(field) >= positional.length) {
          throw new Error(`format: field {${field}} of "${fmt}" names no argument`);
        }
        value = positional[Number(field)];
      } else if (/^[A-Za-z_]\w*$/.test(field)) {
        if (!Object.hasOwn(named, field)) {
          throw new Error(`format: field {${field}} of "${fmt}" names no keyword argument`);
        }
        value = named[field];
      } else {
        throw new Error(`format: field {${field}} of "${fmt}" is not supported by wharf`);
      }
      if (conversion === "r" || conversion === "a") value = repr(value);
      else if (conversion === "s") value = text(value);
      return formatValue(value, spec ?? "");
    },
  );
}
