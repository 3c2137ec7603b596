/**
 * A node's configs as written, not rendered: dbt's `unrendered_config`
 * (the keys dbt_project.yml, its properties and its `{{ config(...) }}`
 * call set; a call's each a literal's value or the expression's text), so
 * that `state:modified` compares
 * `config(materialized='table' if target.name == 'prod' else 'view')` as
 * written, whatever the target.
 *
 * @module
 */
import type { TestSettings } from "./test_tree.ts";
import type { NodeConfig } from "./node_config.ts";

/** The index just past the quoted string that starts at `from` (its quote), or the end. */
function pastString(text: string, from: number): number {
  const quote = text[from];
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === quote) return i + 1;
  }
  return text.length;
}

/** The call's arguments (the text between its parentheses, `open` being the `(`), split at top-level commas. */
function argumentsOf(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      i = pastString(text, i) - 1;
    } else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) {
      if (depth === 0) {
        args.push(text.slice(start, i));
        return args;
      }
      depth--;
    } else if (c === "," && depth === 0) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return args;
}

/** A literal's value (a plain string, a number, a boolean, none), or the expression's text. */
function valueOf(expression: string): unknown {
  const text = expression.trim();
  const quoted = /^(['"])(.*)\1$/s.exec(text);
  if (quoted && pastString(text, 0) === text.length && !quoted[2]!.includes("\\")) {
    return quoted[2];
  }
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === "true";
  if (/^none$/i.test(text)) return null;
  // Outside strings, whitespace is layout: collapse it, so re-indenting is no change.
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "'" || text[i] === '"') {
      const end = pastString(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (/\s/.test(text[i]!)) {
      if (!out.endsWith(" ")) out += " ";
    } else out += text[i];
  }
  return out;
}

/**
 * The keyword arguments of the first `config(...)` call in the Jinja of
 * `text` (a model's, snapshot's or singular test's SQL), as written: a
 * literal's value, else the expression's text with its layout collapsed.
 * Empty without a call.
 */
function configCallAsWritten(text: string): Record<string, unknown> {
  for (const block of text.matchAll(/\{\{[^]*?\}\}|\{%[^]*?%\}/g)) {
    const call = /(?<![\w.])config\s*\(/.exec(block[0]);
    if (!call) continue;
    const out: Record<string, unknown> = {};
    const open = block.index + call.index + call[0].length - 1;
    for (const arg of argumentsOf(text, open)) {
      const kwarg = /^\s*([A-Za-z_]\w*)\s*=(?!=)([^]*)$/.exec(arg);
      if (kwarg) out[kwarg[1]!] = valueOf(kwarg[2]!);
    }
    return out;
  }
  return {};
}

/** A key of wharf's test config (`storeFailures`) as dbt names it (`store_failures`). */
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** What a test's settings set, as dbt's flat config (its `config:` keys beside its own). */
function testKeys(settings: TestSettings | Record<string, unknown>): Record<string, unknown> {
  const { config, ...own } = settings as Record<string, unknown>;
  const inner = typeof config === "object" && config !== null ? config : {};
  return Object.fromEntries(
    Object.entries({ ...own, ...inner }).filter(([, v]) => v !== undefined).map((
      [k, v],
    ) => [snake(k), v]),
  );
}

/**
 * A node's configs as written, as dbt's flat `unrendered_config`: a model's,
 * seed's or snapshot's `written` (its dbt_project.yml and properties levels,
 * merged) with what the `config()` call of its SQL `sql` sets; a test's
 * levels of settings (its `data_tests:` tree's, then its own as written,
 * Jinja unrendered), with what its SQL's call sets. A later level's key wins,
 * as dbt merges unrendered configs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unrenderedConfig } from "./unrendered_config.ts";
 *
 * const sql = "{{ config(materialized='table' if target.name == 'prod' else 'view', tags=['a']) }}\nselect 1";
 * assert.deepEqual(unrenderedConfig({ node: { schema: "marts" } }, sql), {
 *   schema: "marts",
 *   materialized: "'table' if target.name == 'prod' else 'view'",
 *   tags: "['a']",
 * });
 * assert.deepEqual(
 *   unrenderedConfig({ test: [{ severity: "warn" }, { config: { severity: "{{ 'warn' if target.name == 'dev' else 'error' }}" } }] }),
 *   { severity: "{{ 'warn' if target.name == 'dev' else 'error' }}" },
 * );
 * ```
 */
export function unrenderedConfig(
  written:
    | { node: NodeConfig; jinja?: Readonly<Record<string, string>> }
    | { test: (TestSettings | Record<string, unknown>)[] },
  sql?: string,
): Record<string, unknown> {
  let out: Record<string, unknown>;
  if ("node" in written) {
    // Keys wharf reads into groups of their own are dbt's keys of the node; those YAML gave as
    // Jinja (`jinja`: key to text) as written.
    const { custom, incremental, snapshot, ...own } = written.node;
    // A hook as written: its SQL and transaction, not where it is (a moved line is no change).
    for (const key of ["pre_hook", "post_hook"] as const) {
      if (own[key]) own[key] = own[key].map(({ sql, transaction }) => ({ sql, transaction }));
    }
    out = { ...own, ...custom, ...incremental, ...snapshot, ...written.jinja };
  } else out = Object.assign({}, ...written.test.map(testKeys));
  return { ...out, ...(sql === undefined ? {} : configCallAsWritten(sql)) };
}
