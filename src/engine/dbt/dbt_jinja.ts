/**
 * dbt's Jinja, rendered by minijinja (`minijinja-js`, WebAssembly): one
 * environment per project holding the project's macros and dbt's own
 * (`dbt_macros.ts`) in one module, so macros call each other by name as in
 * dbt. A JavaScript function called from a template must never throw
 * (minijinja-js cannot recover from it): the context's functions report
 * problems with {@linkcode DbtJinja.problem} and the render fails after it
 * ends, with the first problem.
 *
 * @module
 */
import { Environment } from "minijinja-js";
import { closest } from "../suggest.ts";
import { DBT_MACROS } from "./dbt_macros.ts";
import { readLineMarkers, rewriteJinja } from "./rewrite_jinja.ts";

/** A render that failed: what, and where in the file rendered (when known). */
export class RenderProblem extends Error {
  constructor(message: string, readonly line?: number) {
    super(message);
    this.name = "RenderProblem";
  }
}

/** A macro file of the project. */
export interface MacroFile {
  /** Relative to the project root. */
  path: string;
  text: string;
}

/** A macro defined by the project: its name and where. */
export interface MacroDefinition {
  name: string;
  path: string;
  line: number;
}

const MODULE = "__wharf__";
const RETURN_OPEN = "\u0003";
const RETURN_CLOSE = "\u0004";

/** Functions dbt has that need the warehouse while compiling, which wharf does not do. */
const NEEDS_WAREHOUSE = [
  "run_query",
  "statement",
  "load_result",
  "load_relation",
  "load_cached_relation",
  "store_result",
  "store_raw_result",
  "get_columns_in_query",
  "get_relation",
];

/** Statements minijinja reports as unknown, and what they are in dbt. */
const BLOCKS: Record<string, string> = {
  test: "{% test %} blocks (custom generic tests) are not run by wharf yet",
  snapshot:
    "{% snapshot %} blocks belong in the files of snapshot-paths (snapshots/), one per file",
  materialization: "custom materializations are not run by wharf",
  docs: "{% docs %} blocks are not read by wharf yet",
  continue: "{% continue %} and {% break %} are not available in wharf's Jinja (minijinja)",
  break: "{% continue %} and {% break %} are not available in wharf's Jinja (minijinja)",
};

/** The macros defined in a macro file, by a Jinja `{% macro name(` tag. */
export function macroDefinitions(file: MacroFile): MacroDefinition[] {
  const out: MacroDefinition[] = [];
  for (const m of file.text.matchAll(/\{%[-+]?\s*macro\s+([A-Za-z_]\w*)\s*\(/g)) {
    out.push({
      name: m[1]!,
      path: file.path,
      line: file.text.slice(0, m.index).split("\n").length,
    });
  }
  return out;
}

/** Converts what minijinja hands a function (Maps for mappings) into plain values. */
export function plain(value: unknown): unknown {
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  }
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/** A function's positional arguments and keyword arguments (minijinja passes them as a last Map). */
export function splitArgs(args: readonly unknown[]): {
  positional: unknown[];
  kwargs: Record<string, unknown>;
} {
  const last = args[args.length - 1];
  if (last instanceof Map) {
    return {
      positional: args.slice(0, -1).map(plain),
      kwargs: plain(last) as Record<string, never>,
    };
  }
  return { positional: args.map(plain), kwargs: {} };
}

/** The rendering environment of one dbt project. */
export class DbtJinja {
  readonly #env = new Environment();
  readonly #names: { project: Set<string>; direct: Set<string>; dispatched: Set<string> };
  readonly #project: string;
  readonly #macros: MacroDefinition[];
  /** For each line of the macro module: the macro file and line it comes from. */
  readonly #moduleLines: { path: string; line: number }[] = [];
  readonly #returns = new Map<number, unknown>();
  #problems: { message: string; at?: RegExp }[] = [];

  /** Macro files that cannot be read (their macros are left out), with why. */
  readonly issues: { path: string; line?: number; message: string }[] = [];

  /**
   * @param project the project's name (`adapter.dispatch(…, project)` searches its macros).
   * @param files the project's macro files.
   */
  constructor(project: string, files: readonly MacroFile[]) {
    this.#project = project;
    this.#env.enablePyCompat();
    this.#env.undefinedBehavior = "lenient";
    const builtin = [...DBT_MACROS.matchAll(/macro\s+__dbt__(\w+)\s*\(/g)].map((m) => m[1]!);
    const definitions = files.flatMap(macroDefinitions);
    const seen = new Map<string, MacroDefinition>();
    this.#macros = [];
    for (const d of definitions) {
      const first = seen.get(d.name);
      if (first) {
        this.issues.push({
          path: d.path,
          line: d.line,
          message:
            `macro "${d.name}" is defined twice (also at ${first.path}:${first.line}): rename one`,
        });
        continue;
      }
      seen.set(d.name, d);
      this.#macros.push(d);
    }
    this.#names = {
      project: new Set(this.#macros.map((d) => d.name)),
      direct: new Set(builtin.filter((n) => !n.startsWith("duckdb__"))),
      dispatched: new Set(
        builtin.filter((n) => n.startsWith("duckdb__")).map((n) => n.slice("duckdb__".length)),
      ),
    };
    let module = "";
    const add = (path: string, text: string) => {
      const lines = text.split("\n");
      lines.forEach((_, i) => this.#moduleLines.push({ path, line: i + 1 }));
      module += `${text}\n`;
    };
    add("(dbt's macros)", DBT_MACROS);
    for (const file of files) {
      const text = rewriteJinja(file.text, this.#names).text;
      try {
        // Each file alone first: a syntax error stays that file's.
        this.#env.addTemplate(file.path, text);
        this.#env.removeTemplate(file.path);
      } catch (err) {
        const { detail, line } = parseError(err);
        this.issues.push({ path: file.path, line, message: `Cannot read the macros: ${detail}` });
        for (const d of definitions.filter((d) => d.path === file.path)) {
          this.#names.project.delete(d.name);
        }
        this.#macros.splice(
          0,
          this.#macros.length,
          ...this.#macros.filter((d) => d.path !== file.path),
        );
        continue;
      }
      add(file.path, text);
    }
    const all = [...builtin.map((n) => `__dbt__${n}`), ...this.#macros.map((d) => d.name)];
    module += `{% set __wharf_macros = {${
      all.map((n) => `${JSON.stringify(n)}: ${n}`).join(", ")
    }} %}`;
    this.#env.addTemplate(MODULE, module);
    this.#env.addGlobal("return", (value: unknown) => {
      const id = this.#returns.size + 1;
      this.#returns.set(id, value);
      return `${RETURN_OPEN}${id}${RETURN_CLOSE}`;
    });
    this.#env.addGlobal("__wharf_value", (text: unknown) => {
      if (typeof text !== "string") return text;
      const m = new RegExp(`${RETURN_OPEN}(\\d+)${RETURN_CLOSE}`).exec(text);
      return m ? this.#returns.get(Number(m[1])) ?? null : text;
    });
    this.#env.addGlobal("__wharf_dispatch", (...args: unknown[]) => this.#dispatch(args));
  }

  /** The project's macros. */
  get macros(): readonly MacroDefinition[] {
    return this.#macros;
  }

  /** True when the project defines a macro called `name`. */
  hasMacro(name: string): boolean {
    return this.#names.project.has(name);
  }

  /**
   * Records a problem of the render under way; it fails once it ends, at
   * the first line of the file that `at` matches.
   */
  problem(message: string, at?: RegExp): void {
    this.#problems.push({ message, at });
  }

  #dispatch(args: readonly unknown[]): string {
    const { positional, kwargs } = splitArgs(args);
    const name = String(positional[0] ?? kwargs.macro_name ?? "");
    const namespace = positional[1] ?? kwargs.macro_namespace ?? null;
    const project = this.#names.project;
    const candidates: string[] = [];
    if (namespace === null || namespace === this.#project || namespace === "dbt") {
      candidates.push(`duckdb__${name}`, `default__${name}`);
    }
    const found = candidates.find((c) => project.has(c));
    if (found) return found;
    if (namespace === "dbt") {
      if (this.#names.dispatched.has(name)) return `__dbt__duckdb__${name}`;
      if (this.#names.direct.has(`default__${name}`)) return `__dbt__default__${name}`;
      this.problem(`dbt has no macro "${name}" that wharf provides (dbt.${name})`);
    } else if (namespace !== null && namespace !== this.#project) {
      this.problem(
        `adapter.dispatch("${name}", "${String(namespace)}"): packages are not run by wharf yet`,
      );
    } else {
      const guess = closest(`default__${name}`, [...project]);
      this.problem(
        `adapter.dispatch("${name}") found no macro "duckdb__${name}" or "default__${name}" in the project${
          guess ? ` (did you mean "${guess}"?)` : ""
        }`,
      );
    }
    return "__dbt__duckdb__type_string";
  }

  /**
   * Renders `text` (the file `path`) with `context`.
   *
   * @returns the SQL and, for each of its lines, the file's line it comes from.
   * @throws {RenderProblem} naming the construct, and the line when it is in the file.
   */
  render(
    path: string,
    text: string,
    context: Record<string, unknown>,
  ): { text: string; sourceLines: number[] } {
    const rewritten = rewriteJinja(text, this.#names, { lines: true });
    const prelude = rewritten.imports.size
      ? `{% from "${MODULE}" import ${[...rewritten.imports].join(", ")} %}`
      : "";
    this.#problems = [];
    this.#returns.clear();
    let out: string;
    try {
      out = this.#env.renderNamedStr(path, prelude + rewritten.text, context);
    } catch (err) {
      throw this.#problemOf(path, text, err);
    }
    const problem = this.#problems[0];
    if (problem !== undefined) throw new RenderProblem(problem.message, lineOf(text, problem.at));
    const cleaned = out.replace(new RegExp(`${RETURN_OPEN}\\d+${RETURN_CLOSE}`, "g"), "");
    return readLineMarkers(cleaned);
  }

  #problemOf(path: string, text: string, err: unknown): RenderProblem {
    const { detail, name, line } = parseError(err);
    const first = this.#problems[0];
    if (first !== undefined) return new RenderProblem(first.message, lineOf(text, first.at));
    let where = "";
    let at: number | undefined;
    let source: string | undefined;
    if (name === MODULE && line !== undefined) {
      const origin = this.#moduleLines[line - 1];
      if (origin) where = ` (in a macro, ${origin.path}:${origin.line})`;
    } else if (name === path && line !== undefined) {
      at = line;
      source = text.split("\n")[line - 1]?.trim();
    }
    return new RenderProblem(
      `${explain(detail, [...this.#names.project])}${where}${
        source ? `: ${JSON.stringify(source)}` : ""
      }`,
      at,
    );
  }
}

/** minijinja's error as its parts: the message, the template and line. */
function parseError(err: unknown): { detail: string; name?: string; line?: number } {
  const first = String(err instanceof Error ? err.message : err).split("\n")[0]!
    .replace(/^Error: /, "");
  const m = /^(.*) \(in (.+):(\d+)\)$/.exec(first);
  return m ? { detail: m[1]!, name: m[2]!, line: Number(m[3]) } : { detail: first };
}

/** minijinja's message, said in dbt's terms where a dbt user would be lost. */
function explain(detail: string, macros: readonly string[]): string {
  const fn = /^unknown function: (\w+) is unknown/.exec(detail) ??
    /^invalid operation: (\w+) is not callable/.exec(detail);
  if (fn) {
    const name = fn[1]!;
    if (NEEDS_WAREHOUSE.includes(name)) {
      return `"${name}()" reads the warehouse while the project compiles, which wharf does not do`;
    }
    const guess = closest(name, macros);
    return `unknown macro or function "${name}()"${guess ? ` (did you mean "${guess}"?)` : ""}`;
  }
  const method = /^unknown method: (\w+) has no method named (\w+)/.exec(detail);
  if (method) {
    const [, type, name] = method;
    if (type === "sequence" && (name === "append" || name === "extend" || name === "pop")) {
      return `lists cannot change in place in wharf's Jinja (minijinja): "${name}()" — build a new list instead (e.g. "items + [x]")`;
    }
    if (type === "map" && (name === "update" || name === "pop" || name === "setdefault")) {
      return `mappings cannot change in place in wharf's Jinja (minijinja): "${name}()"`;
    }
    return `"${name}()" is not available (adapter methods that read the warehouse, and package macros, are not run by wharf yet)`;
  }
  const statement = /^syntax error: unknown statement (\w+)/.exec(detail);
  if (statement && BLOCKS[statement[1]!]) return BLOCKS[statement[1]!]!;
  if (/^template not found/.test(detail)) {
    return `${detail}: wharf renders each file alone (include and import of other files are not run)`;
  }
  return detail;
}

/** The first line of `text` that `at` matches, if any. */
function lineOf(text: string, at: RegExp | undefined): number | undefined {
  const m = at?.exec(text);
  return m ? text.slice(0, m.index).split("\n").length : undefined;
}
