/**
 * A dbt project's test arguments as dbt renders them: every text holding
 * Jinja (`values: "{{ var('payment_methods') }}"`), in lists and mappings
 * too, rendered in the test's context, and read back as dbt's native
 * rendering reads it: a text that renders to a list, a mapping, a number or
 * a boolean is that value (`['cash', 'card']` is a list of two), any other
 * stays text.
 *
 * @module
 */
import { parse as parseYaml } from "../yaml.ts";
import type { YamlPath } from "../yaml/yaml_file.ts";
import { isRecord } from "../yaml/yaml_schema.ts";

/**
 * What a rendered text stands for, as dbt's native Jinja reads its output
 * (Python's literal syntax): a list, tuple (as a list) or mapping literal,
 * a number, `True`, `False` or `None`; anything else is the text itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nativeValue } from "./test_arguments.ts";
 *
 * assert.deepEqual(nativeValue('["cash", "card"]'), ["cash", "card"]);
 * assert.deepEqual(nativeValue("['cash', 'card']"), ["cash", "card"]);
 * assert.deepEqual(nativeValue("('cash', 'card')"), ["cash", "card"]);
 * assert.equal(nativeValue("1e+20"), 1e20);
 * assert.equal(nativeValue(" 10 "), 10);
 * assert.equal(nativeValue("credit_card"), "credit_card");
 * assert.equal(nativeValue("True"), true);
 * ```
 */
export function nativeValue(text: string): unknown {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?(e[-+]?\d+)?$/.test(t)) return Number(t);
  const literals: Record<string, unknown> = { True: true, False: false, None: null };
  if (t in literals) return literals[t];
  if (!/^[[{(][^]*[\]})]$/.test(t) || (t.startsWith("(") && !/,|^\(\s*\)$/.test(t))) return text;
  try {
    // A flow list or mapping of YAML reads Python's and JSON's literals alike; a tuple is a list.
    const value: unknown = parseYaml(t.startsWith("(") ? `[${t.slice(1, -1)}]` : t);
    return Array.isArray(value) || isRecord(value) ? value : text;
  } catch {
    return text;
  }
}

/**
 * `args` with each text holding Jinja rendered by `render` and read with
 * {@linkcode nativeValue}; texts without Jinja are kept as written. A text
 * that cannot render is reported (with its path under `path`), and the
 * result is then undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTestArguments } from "./test_arguments.ts";
 *
 * const out = renderTestArguments(
 *   { values: "{{ methods }}", quote: true },
 *   ["models", 0],
 *   () => "['cash', 'card']",
 *   () => assert.fail("no problem expected"),
 * );
 * assert.deepEqual(out, { values: ["cash", "card"], quote: true });
 * ```
 */
export function renderTestArguments(
  args: Readonly<Record<string, unknown>>,
  path: YamlPath,
  render: (text: string) => string,
  report: (path: YamlPath, message: string) => void,
  what = "test argument",
): Record<string, unknown> | undefined {
  let ok = true;
  const walk = (value: unknown, at: YamlPath): unknown => {
    if (typeof value === "string") {
      if (!value.includes("{{") && !value.includes("{%")) return value;
      try {
        return nativeValue(render(value));
      } catch (err) {
        ok = false;
        report(
          at,
          `Cannot render the ${what} ${JSON.stringify(value)}: ${
            err instanceof Error ? err.message : String(err)
          }`,
        );
        return value;
      }
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...at, i]));
    if (!isRecord(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...at, k])]));
  };
  const out = walk(args, path) as Record<string, unknown>;
  return ok ? out : undefined;
}
