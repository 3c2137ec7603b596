/**
 * dbt's YAML selectors: `selectors.yml` at the project root names
 * selections (`--selector NAME`; the one marked `default: true` applies
 * when a command is given no selection). A definition is a CLI-style string
 * (`"tag:nightly+"`), a `method: value` pair, a full mapping (`method`,
 * `value`, `parents`, `children`, `parents_depth`, `children_depth`,
 * `childrens_parents`, `indirect_selection`, `exclude`), or
 * `union:`/`intersection:` of those
 * (an `exclude:` item in them takes its nodes out). `method: selector`
 * names another selector. In a dbt project, every text value is first
 * rendered as dbt renders it (`{{ env_var('X') }}`, `{{ var('y', 'z') }}`:
 * see `dbt/yaml_jinja.ts`).
 *
 * @module
 */
import { join } from "node:path";
import { type ProjectIssue, UsageError } from "../errors.ts";
import { closest } from "../suggest.ts";
import { describe, YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import { isRecord } from "../yaml/yaml_schema.ts";
import {
  INDIRECT_SELECTION,
  type IndirectSelection,
  parseSelectorAtom,
  type SelectorAtom,
  unknownMethod,
} from "./select.ts";
import { withArticle } from "../with_article.ts";

/** The file dbt reads selectors from, at the project root. */
export const SELECTORS_FILE = "selectors.yml";

/** A selector definition, read into plain data. */
export type SelectorSpec =
  | { op: "cli"; text: string }
  | {
    op: "method";
    /** `tag`, `config.materialized`, … (`selector` names another selector). */
    method: string;
    value: string;
    /** Depth of ancestors (Infinity: all); 0: none. */
    parents: number;
    /** Depth of descendants. */
    children: number;
    /** dbt's `@`: descendants and all their ancestors. */
    childrensParents: boolean;
    /** How tests come along with what it selects, when it says (`indirect_selection:`). */
    indirectSelection?: IndirectSelection;
  }
  | { op: "union" | "intersection"; items: SelectorSpec[] }
  | { op: "difference"; include: SelectorSpec; exclude: SelectorSpec };

/** A named selector of `selectors.yml`. */
export interface NamedSelector {
  name: string;
  description: string;
  /** Applies when a command is given no `--select`, `--exclude` or `--selector`. */
  default: boolean;
  definition: SelectorSpec;
}

const SELECTOR_KEYS = ["name", "description", "default", "definition"];
const FULL_KEYS = [
  "method",
  "value",
  "parents",
  "children",
  "parents_depth",
  "children_depth",
  "childrens_parents",
  "indirect_selection",
  "exclude",
];

function depth(
  file: YamlFile,
  path: YamlPath,
  on: unknown,
  value: unknown,
  key: string,
): number {
  if (on !== undefined && typeof on !== "boolean") {
    file.report([...path, key], `expected true or false, got ${describe(on)}`);
    return 0;
  }
  if (!on) {
    if (value !== undefined) {
      file.report([...path, `${key}_depth`], `"${key}_depth" needs "${key}: true"`);
    }
    return 0;
  }
  if (value === undefined) return Infinity;
  if (typeof value === "number" && Number.isInteger(value) && value > 0) return value;
  file.report(
    [...path, `${key}_depth`],
    `expected a positive whole number, got ${describe(value)}`,
  );
  return Infinity;
}

/** Reads the items of `union:`/`intersection:`: an `exclude:` item becomes a difference. */
function readSet(
  file: YamlFile,
  path: YamlPath,
  op: "union" | "intersection",
  raw: unknown,
  refs: SelectorRef[],
): SelectorSpec | undefined {
  if (!Array.isArray(raw) || raw.length === 0) {
    file.report(path, `expected a list of definitions, got ${describe(raw)}`);
    return undefined;
  }
  const items: SelectorSpec[] = [];
  let exclude: SelectorSpec | undefined;
  raw.forEach((item, i) => {
    if (isRecord(item) && "exclude" in item && Object.keys(item).length === 1) {
      if (exclude) {
        file.report([...path, i], "only one exclude: is allowed in a union or intersection");
      }
      exclude = readExclude(file, [...path, i, "exclude"], item.exclude, refs);
      return;
    }
    const spec = readDefinition(file, [...path, i], item, refs);
    if (spec) items.push(spec);
  });
  if (items.length === 0) {
    file.report(path, `${withArticle(op)} needs at least one definition besides exclude:`);
    return undefined;
  }
  const set: SelectorSpec = { op, items };
  return exclude ? { op: "difference", include: set, exclude } : set;
}

/** `exclude:` takes a list of definitions, their union. */
function readExclude(
  file: YamlFile,
  path: YamlPath,
  raw: unknown,
  refs: SelectorRef[],
): SelectorSpec | undefined {
  if (!Array.isArray(raw)) return readDefinition(file, path, raw, refs);
  return readSet(file, path, "union", raw, refs);
}

/** A `selector:` method naming another selector, where it is written. */
interface SelectorRef {
  name: string;
  path: YamlPath;
}

/** Reports `method` at `path` when no selector method has that name. */
function checkMethod(
  file: YamlFile,
  path: YamlPath,
  method: string,
  value: string,
  refs: SelectorRef[],
  text = false,
): void {
  // A method of a selector text is written `tag:`, one of a definition `tag`.
  const unknown = unknownMethod(method, !text);
  if (unknown) file.report(path, `unknown selector method "${method}"${unknown}`);
  if (method === "selector") refs.push({ name: value, path });
}

/** Reports what is wrong with the selectors of a CLI-style text (`tag:a+ path:b,c`). */
function checkText(file: YamlFile, path: YamlPath, text: string, refs: SelectorRef[]): void {
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    let atom: SelectorAtom;
    try {
      atom = parseSelectorAtom(part);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      file.report(path, err.message);
      continue;
    }
    if (atom.method) checkMethod(file, path, atom.method, atom.value, refs, true);
  }
}

/** Reads one definition, reporting what is wrong with it. */
function readDefinition(
  file: YamlFile,
  path: YamlPath,
  raw: unknown,
  refs: SelectorRef[],
): SelectorSpec | undefined {
  if (typeof raw === "string") {
    if (!raw.trim()) file.report(path, "expected a selector, got an empty text");
    checkText(file, path, raw, refs);
    return { op: "cli", text: raw };
  }
  if (!isRecord(raw)) {
    file.report(path, `expected a selector text or a mapping, got ${describe(raw)}`);
    return undefined;
  }
  const keys = Object.keys(raw);
  if (keys.length === 1 && (keys[0] === "union" || keys[0] === "intersection")) {
    return readSet(file, [...path, keys[0]], keys[0], raw[keys[0]], refs);
  }
  // Key-value: `tag: nightly`.
  if (keys.length === 1 && !FULL_KEYS.includes(keys[0]!)) {
    const value = raw[keys[0]!];
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      file.report([...path, keys[0]!], `expected a value to select, got ${describe(value)}`);
      return undefined;
    }
    checkMethod(file, [...path, keys[0]!], keys[0]!, String(value), refs);
    return {
      op: "method",
      method: keys[0]!,
      value: String(value),
      parents: 0,
      children: 0,
      childrensParents: false,
    };
  }
  for (const key of keys) {
    if (FULL_KEYS.includes(key)) continue;
    const guess = closest(key, [...FULL_KEYS, "union", "intersection"]);
    file.report(
      [...path, key],
      `unknown key "${key}" in a selector definition${guess ? ` (did you mean "${guess}"?)` : ""}`,
      { key: true },
    );
  }
  if (typeof raw.method !== "string" || raw.method === "") {
    file.report(path, 'expected "method:" (with "value:"), "union:" or "intersection:"');
    return undefined;
  }
  if (raw.value === undefined || raw.value === null || typeof raw.value === "object") {
    file.report([...path, "value"], `expected a value to select, got ${describe(raw.value)}`);
    return undefined;
  }
  checkMethod(file, [...path, "method"], raw.method, String(raw.value), refs);
  const indirect = raw.indirect_selection;
  if (
    indirect !== undefined && !INDIRECT_SELECTION.includes(indirect as IndirectSelection)
  ) {
    file.report(
      [...path, "indirect_selection"],
      `expected ${INDIRECT_SELECTION.map((m) => `"${m}"`).join(", ")}, got ${describe(indirect)}`,
    );
  }
  const childrensParents = raw.childrens_parents === true;
  const parents = depth(file, path, raw.parents, raw.parents_depth, "parents");
  if (childrensParents && parents > 0) {
    file.report(path, '"childrens_parents" and "parents" cannot be used together');
  }
  const spec: SelectorSpec = {
    op: "method",
    method: raw.method,
    value: String(raw.value),
    parents,
    children: depth(file, path, raw.children, raw.children_depth, "children"),
    childrensParents,
    ...(INDIRECT_SELECTION.includes(indirect as IndirectSelection)
      ? { indirectSelection: indirect as IndirectSelection }
      : {}),
  };
  if (raw.exclude === undefined) return spec;
  const exclude = readExclude(file, [...path, "exclude"], raw.exclude, refs);
  return exclude ? { op: "difference", include: spec, exclude } : spec;
}

/**
 * Reports each `selector:` naming no selector of the file, and each selector
 * that names itself through others (with the chain).
 */
function checkReferences(file: YamlFile, named: ReadonlyMap<string, SelectorRef[]>): void {
  for (const refs of named.values()) {
    for (const ref of refs) {
      if (named.has(ref.name)) continue;
      const guess = closest(ref.name, [...named.keys()]);
      file.report(
        ref.path,
        `no selector "${ref.name}" in ${SELECTORS_FILE}${
          guess
            ? ` (did you mean "${guess}"?)`
            : `: it defines ${[...named.keys()].map((n) => `"${n}"`).join(", ")}`
        }`,
      );
    }
  }
  const reported = new Set<string>();
  const visit = (name: string, chain: string[]): void => {
    for (const ref of named.get(name) ?? []) {
      if (ref.name === chain[0]) {
        const cycle = [...chain, ref.name];
        const key = [...cycle].slice(0, -1).sort().join(",");
        if (!reported.has(key)) {
          reported.add(key);
          file.report(ref.path, `selector "${chain[0]}" names itself: ${cycle.join(" → ")}`);
        }
      } else if (!chain.includes(ref.name)) {
        visit(ref.name, [...chain, ref.name]);
      }
    }
  };
  for (const name of named.keys()) visit(name, [name]);
}

/** Options of {@linkcode readSelectors}. */
export interface ReadSelectorsOptions {
  /** Renders each text value (a dbt project's Jinja), reporting problems; absent: read as written. */
  render?: (text: string, report: (message: string) => void) => string;
}

/** `value` with every text in it rendered, each problem reported at its path. */
function rendered(
  file: YamlFile,
  path: YamlPath,
  value: unknown,
  render: NonNullable<ReadSelectorsOptions["render"]>,
): unknown {
  if (typeof value === "string") return render(value, (message) => file.report(path, message));
  if (Array.isArray(value)) return value.map((v, i) => rendered(file, [...path, i], v, render));
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, rendered(file, [...path, k], v, render)]),
  );
}

/**
 * Reads `selectors.yml` at `root`: none when there is no such file.
 * Problems are returned with the file and line, never thrown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSelectors } from "./read_selectors.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.writeTextFile(
 *   `${root}/selectors.yml`,
 *   "selectors:\n  - name: nightly\n    default: true\n    definition: 'tag:nightly+'\n",
 * );
 * const { selectors, issues } = await readSelectors(root);
 * assert.deepEqual(issues, []);
 * assert.deepEqual(selectors[0]!.definition, { op: "cli", text: "tag:nightly+" });
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function readSelectors(
  root: string,
  options: ReadSelectorsOptions = {},
): Promise<{ selectors: NamedSelector[]; issues: ProjectIssue[] }> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(root, SELECTORS_FILE));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { selectors: [], issues: [] };
    throw err;
  }
  const file = new YamlFile(SELECTORS_FILE, text);
  const selectors: NamedSelector[] = [];
  // The selectors each one names (`selector:`), checked once all are read.
  const named = new Map<string, SelectorRef[]>();
  const data = options.render && file.issues.length === 0
    ? rendered(file, [], file.data, options.render)
    : file.data;
  if (file.issues.length === 0) {
    if (!isRecord(data) || !Array.isArray(data.selectors)) {
      file.report([], `expected a mapping with a list "selectors:", got ${describe(data)}`);
    } else {
      for (const key of Object.keys(data)) {
        if (key !== "selectors") {
          file.report([key], `unknown key "${key}": expected "selectors:"`, { key: true });
        }
      }
      data.selectors.forEach((entry: unknown, i: number) => {
        const path = ["selectors", i];
        if (!isRecord(entry) || typeof entry.name !== "string" || !entry.name) {
          file.report(path, `expected a mapping with a "name", got ${describe(entry)}`);
          return;
        }
        for (const key of Object.keys(entry)) {
          if (SELECTOR_KEYS.includes(key)) continue;
          const guess = closest(key, SELECTOR_KEYS);
          file.report(
            [...path, key],
            `unknown key "${key}" in selector "${entry.name}"${
              guess ? ` (did you mean "${guess}"?)` : ""
            }`,
            { key: true },
          );
        }
        if (entry.default !== undefined && typeof entry.default !== "boolean") {
          file.report(
            [...path, "default"],
            `expected true or false, got ${describe(entry.default)}`,
          );
        }
        if (selectors.some((s) => s.name === entry.name)) {
          file.report([...path, "name"], `selector "${entry.name}" is defined twice`);
          return;
        }
        if (entry.definition === undefined || entry.definition === null) {
          file.report(path, `selector "${entry.name}" has no "definition:"`);
          return;
        }
        const refs: SelectorRef[] = [];
        const definition = readDefinition(file, [...path, "definition"], entry.definition, refs);
        named.set(entry.name, refs);
        if (!definition) return;
        selectors.push({
          name: entry.name,
          description: typeof entry.description === "string" ? entry.description : "",
          default: entry.default === true,
          definition,
        });
      });
      checkReferences(file, named);
      const defaults = selectors.filter((s) => s.default);
      if (defaults.length > 1) {
        file.report(
          [],
          `only one selector may be "default: true", and ${
            defaults.map((s) => `"${s.name}"`).join(", ")
          } are`,
        );
      }
    }
  }
  return { selectors, issues: file.issues };
}
