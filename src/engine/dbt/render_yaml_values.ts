/**
 * The Jinja dbt renders when it parses a project's YAML: every text value
 * holding `{{` or `{%` in dbt_project.yml's config trees (`models:`,
 * `seeds:`, `snapshots:`, `sources:`, `data_tests:`/`tests:`) and `vars:`, and in the
 * entries of its properties files, rendered once, here, before the values
 * are read (and validated as if written). dbt's exceptions are kept: hooks
 * (`pre_hook`, `post_hook`) and a source's `loaded_at_query` render at run
 * time in their node's context,
 * descriptions later (with `doc()`), and tests (`tests:`, `data_tests:`) in
 * their test's context.
 *
 * @module
 */
import type { YamlFile, YamlPath } from "../yaml/yaml_file.ts";
import { isRecord } from "../yaml/yaml_schema.ts";

/** A value rendered in a file: where, and its text as written. */
export interface WrittenValue {
  path: YamlPath;
  text: string;
}

/** Per file, the values {@linkcode renderYamlValues} rendered, as written. */
const writtenValues = new WeakMap<YamlFile, WrittenValue[]>();

/**
 * The values of `file` that were rendered, with their text as written: what
 * dbt's `unrendered_config` records (and state:modified compares).
 */
export function renderedValuesOf(file: YamlFile): readonly WrittenValue[] {
  return writtenValues.get(file) ?? [];
}

/**
 * Renders one text holding Jinja to its value as dbt's native rendering
 * gives it (a lone `{{ … }}` keeps the type of what it evaluates to).
 *
 * @throws {Error} whose message says why the text does not render.
 */
export type YamlValueRender = (text: string) => unknown;

/** The trees of dbt_project.yml dbt renders at parse time, and its vars. */
const PROJECT_TREES = ["models", "seeds", "snapshots", "sources", "data_tests", "tests", "vars"];

/**
 * Keys rendered at run time, in their node's context: hooks, and a source's
 * `loaded_at_query` (with `this` and `source()`, when its freshness is checked).
 */
const AT_RUN = new Set(["pre_hook", "post_hook", "pre-hook", "post-hook", "loaded_at_query"]);

/** Whether `keypath` is under a key rendered at run time (`+pre-hook` in dbt_project.yml too). */
function atRun(keypath: YamlPath): boolean {
  return keypath.some((k) => typeof k === "string" && AT_RUN.has(k.replace(/^\+/, "")));
}

/** Keys rendered later, in another context: descriptions (doc()) and tests (the test's). */
const LATER = new Set(["description", "tests", "data_tests"]);

/**
 * Whether dbt renders the value at `keypath` of an entry of a properties
 * file's list (a model, a source …) at parse time: not its descriptions or
 * tests, nor those of its columns, versions, tables (a source's), arguments
 * (a macro's) or their columns, nor what renders at run time.
 */
function rendersInEntry(keypath: YamlPath): boolean {
  if (atRun(keypath)) return false;
  let at = keypath;
  for (;;) {
    const [first, index, ...rest] = at;
    if (typeof first !== "string") return true;
    if (LATER.has(first)) return false;
    if (
      (first === "columns" || first === "versions" || first === "tables" ||
        first === "arguments") &&
      typeof index === "number"
    ) {
      at = rest;
      continue;
    }
    return true;
  }
}

/**
 * Renders, in `file`'s data, the text values dbt renders at parse time
 * (`kind`: dbt_project.yml's trees, or a properties file's entries), each
 * replaced by what `render` gives. A value that does not render is
 * reported at its key (file, line) and left out (an item of a list is
 * left as written).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { YamlFile } from "../yaml/yaml_file.ts";
 * import { renderYamlValues } from "./render_yaml_values.ts";
 *
 * const file = new YamlFile(
 *   "models/src.yml",
 *   "sources:\n  - name: app\n    schema: \"{{ target.schema }}\"\n    description: \"{{ doc('app') }}\"\n",
 * );
 * renderYamlValues(file, "properties", (text) => text.replace("{{ target.schema }}", "dev"));
 * const source = (file.data as { sources: Record<string, unknown>[] }).sources[0]!;
 * assert.equal(source.schema, "dev");
 * assert.equal(source.description, "{{ doc('app') }}");
 * ```
 */
export function renderYamlValues(
  file: YamlFile,
  kind: "dbt_project" | "properties",
  render: YamlValueRender,
): void {
  const data = file.data;
  if (!isRecord(data)) return;
  const written: WrittenValue[] = [];
  writtenValues.set(file, written);
  const walk = (
    holder: Record<string | number, unknown>,
    key: string | number,
    path: YamlPath,
    keypath: YamlPath,
    renders: (keypath: YamlPath) => boolean,
  ): void => {
    const value = holder[key];
    if (!renders(keypath)) return;
    if (typeof value === "string") {
      if (!value.includes("{{") && !value.includes("{%")) return;
      try {
        holder[key] = render(value);
        written.push({ path, text: value });
      } catch (err) {
        file.report(
          path,
          `cannot render ${JSON.stringify(value)}: ${err instanceof Error ? err.message : err}`,
        );
        // Left out, so that what reads it does not report its text again.
        if (!Array.isArray(holder)) delete holder[key];
      }
      return;
    }
    if (Array.isArray(value) || isRecord(value)) {
      const children = value as Record<string | number, unknown>;
      for (const k of Array.isArray(value) ? value.keys() : Object.keys(value)) {
        walk(children, k, [...path, k], [...keypath, k], renders);
      }
    }
  };
  if (kind === "dbt_project") {
    const renders = (keypath: YamlPath) => !atRun(keypath);
    for (const tree of PROJECT_TREES) {
      if (tree in data) walk(data, tree, [tree], [], renders);
    }
    return;
  }
  for (const [top, entries] of Object.entries(data)) {
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry, i) => {
      if (!isRecord(entry)) return;
      for (const k of Object.keys(entry)) {
        walk(entry, k, [top, i, k], [k], rendersInEntry);
      }
    });
  }
}
