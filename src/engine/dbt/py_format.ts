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
