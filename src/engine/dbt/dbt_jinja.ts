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
import { plain, splitArgs } from "./jinja_args.ts";
import { percentFormat } from "./py_format.ts";
import { pyJsonDumps } from "./py_json.ts";
import { PyDatetime } from "./py_datetime.ts";
import { installPackageHint } from "./packages.ts";
import { MapOrders } from "./map_order.ts";
import { mutationGlobals } from "./mutation_globals.ts";
import { missingModulePath, printedValue, printPyValues, pyModules } from "./py_modules.ts";
import { addPyPrinting, type PyPrinter } from "./py_print.ts";
import { addPyMethods } from "./py_methods.ts";
import type { MacroExtras } from "./macro_extras.ts";
import { type MacroNames, readLineMarkers, rewriteJinja } from "./rewrite_jinja.ts";
import { RELATION_METHODS } from "./relation_value.ts";
import { COLUMN_GIVES, COLUMN_METHODS } from "./adapter_relations.ts";
import { WAREHOUSE_FUNCTIONS } from "./warehouse_context.ts";

export { plain, splitArgs } from "./jinja_args.ts";

/**
 * A render that failed: what, and where in the file rendered (when known);
 * `quoted`: the message ends with the text of that line, quoted.
 */
export class RenderProblem extends Error {
  constructor(message: string, readonly line?: number, readonly quoted = false) {
    super(message);
    this.name = "RenderProblem";
  }
}

/** A macro file of the project or of one of its packages. */
export interface MacroFile {
  /** Relative to the project root. */
  path: string;
  text: string;
  /** The package it belongs to; undefined for the project's own. */
  package?: string;
}

/** A macro defined by the project or a package: its name and where. */
export interface MacroDefinition {
  name: string;
  path: string;
  line: number;
  /** The package it belongs to; undefined for the project's own. */
  package?: string;
  /** Its name in the macro module: the name, or `__pkg__<package>__<name>` for a package's. */
  key: string;
  /** Its arguments, in order: `default` is the default as written, absent when it has none. */
  args: { name: string; default?: string }[];
  /** Its body reads `kwargs`: it takes keyword arguments it does not name, as in Jinja. */
  kwargs: boolean;
  /** Its body reads `varargs`: it takes positional arguments beyond its own, as in Jinja. */
  varargs: boolean;
}

/** The name of a package's macro in the macro module. */
function packageKey(pkg: string | undefined, name: string): string {
  return pkg === undefined ? name : `__pkg__${pkg}__${name}`;
}

const MODULE = "__wharf__";
/** The path dbt's own macros are at in the module's lines. */
const BUILTIN_PATH = "(dbt's macros)";
/** The macro module as renders against the warehouse import it: agate's values read as in dbt. */
const AGATE_MODULE = "__wharf_agate__";
const RETURN_OPEN = "\u0003";
const RETURN_CLOSE = "\u0004";

/**
 * Functions dbt has that read the warehouse. Those of
 * `WAREHOUSE_FUNCTIONS` are given (`warehouse_context.ts`) to models
 * rendered against it; elsewhere, and the others anywhere, are an error.
 */
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

/** dbt's context values wharf does not provide, and why. */
const UNSUPPORTED_CONTEXT: Record<string, string> = {
  graph:
    "the project's nodes as dbt's graph context variable (graph.nodes, graph.sources) are not given to templates; name what you need with ref() and source()",
  selected_resources: "the nodes a run selected are not given to templates",
};

/** Statements minijinja reports as unknown, and what they are in dbt. */
const BLOCKS: Record<string, string> = {
  test:
    "{% test %} blocks (custom generic tests) belong in the macro paths or tests/generic/, not in a model",
  snapshot:
    "{% snapshot %} blocks belong in the files of snapshot-paths (snapshots/), not in a model",
  materialization: "custom materializations are not run by wharf",
  docs:
    "{% docs %} blocks belong in .md files of the project's folders (or docs-paths), not in SQL",
  continue: "{% continue %} and {% break %} are not available in wharf's Jinja (minijinja)",
  break: "{% continue %} and {% break %} are not available in wharf's Jinja (minijinja)",
};

/**
 * dbt's custom generic tests, `{% test name(model, column_name) %}…{% endtest %}`,
 * as the macros dbt makes of them: `test_name` (lines kept).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { testsAsMacros } from "./dbt_jinja.ts";
 *
 * assert.equal(
 *   testsAsMacros("{% test positive(model, column_name) %}x{%- endtest %}"),
 *   "{% macro test_positive(model, column_name) %}x{%- endmacro %}",
 * );
 * ```
 */
export function testsAsMacros(text: string): string {
  return text
    .replace(/(\{%[-+]?\s*)test(\s+)([A-Za-z_]\w*)(\s*\()/g, "$1macro$2test_$3$4")
    .replace(/(\{%[-+]?\s*)endtest(\s*[-+]?%\})/g, "$1endmacro$2");
}

/**
 * The macros defined in a macro file, by a Jinja `{% macro name(` tag, with
 * their arguments.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { macroDefinitions } from "./dbt_jinja.ts";
 *
 * const [d] = macroDefinitions({
 *   path: "macros/a.sql",
 *   text: "{% macro grant(role, on=['a,b'], n=f(1, 2)) %}{{ kwargs }}{% endmacro %}",
 * });
 * assert.deepEqual(d!.args, [{ name: "role" }, { name: "on", default: "['a,b']" }, {
 *   name: "n",
 *   default: "f(1, 2)",
 * }]);
 * assert.equal(d!.kwargs, true);
 * ```
 */
export function macroDefinitions(file: MacroFile): MacroDefinition[] {
  const out: MacroDefinition[] = [];
  for (const m of file.text.matchAll(/\{%[-+]?\s*macro\s+([A-Za-z_]\w*)\s*\(/g)) {
    const open = m.index + m[0].length;
    const end = /\{%[-+]?\s*endmacro\b/.exec(file.text.slice(open));
    out.push({
      name: m[1]!,
      path: file.path,
      line: file.text.slice(0, m.index).split("\n").length,
      ...(file.package === undefined ? {} : { package: file.package }),
      key: packageKey(file.package, m[1]!),
      args: signature(file.text, open),
      kwargs: /\bkwargs\b/.test(file.text.slice(open, end ? open + end.index : undefined)),
      varargs: /\bvarargs\b/.test(file.text.slice(open, end ? open + end.index : undefined)),
    });
  }
  return out;
}

/** The arguments of a macro's signature whose `(` ends before `at` in `text`. */
function signature(text: string, at: number): MacroDefinition["args"] {
  const parts: string[] = [];
  let depth = 0;
  let quote = "";
  let part = "";
  for (let i = at; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if ("([{".includes(c)) depth++;
    else if (")]}".includes(c)) {
      if (depth === 0) break;
      depth--;
    } else if (c === "," && depth === 0) {
      parts.push(part);
      part = "";
      continue;
    }
    part += c;
  }
  parts.push(part);
  return parts.map((p) => p.trim()).filter((p) => p !== "").map((p) => {
    const eq = p.indexOf("=");
    return eq < 0 ? { name: p } : { name: p.slice(0, eq).trim(), default: p.slice(eq + 1).trim() };
  });
}

/**
 * `text` with the body of its macro `name` (`{% macro name(…) %}…{% endmacro %}`)
 * replaced by `{{ return(<global>) }}`, its signature and its lines kept;
 * undefined when `text` defines no macro `name`.
 */
function returning(text: string, name: string, global: string): string | undefined {
  const open = new RegExp(`\\{%[-+]?\\s*macro\\s+${name}\\s*\\(`).exec(text);
  if (!open) return undefined;
  const tagEnd = text.indexOf("%}", open.index) + 2;
  const end = /\{%[-+]?\s*endmacro\s*[-+]?%\}/.exec(text.slice(tagEnd));
  if (tagEnd < 2 || !end) return undefined;
  const body = text.slice(tagEnd, tagEnd + end.index);
  const lines = "\n".repeat(body.split("\n").length - 1);
  return `${text.slice(0, tagEnd)}{{ return(${global}) }}${lines}${text.slice(tagEnd + end.index)}`;
}

/**
 * Jinja's text filters, which see a relation or datetime of wharf's
 * (`ref('x') | replace('"', '')`, `this | upper`) as the text it prints,
 * as dbt's objects are seen by Python's; a filter run on its mapping would
 * change its keys and quoting instead.
 */
const TEXT_FILTERS = [
  "replace",
  "upper",
  "lower",
  "trim",
  "title",
  "capitalize",
  "split",
  "truncate",
  "wordcount",
  "center",
  "indent",
];

/**
 * Replaces {@linkcode TEXT_FILTERS} in `env` by minijinja's own, run on what
 * each value prints; adds Jinja2's `format` filter (Python's `%` formatting,
 * which minijinja lacks) and Python's `zip()`. What fails is reported with
 * `report` (a function that throws would stop minijinja without a message),
 * and gives null.
 */
function addTextFilters(
  env: Environment,
  report: (message: string, at: RegExp) => void,
): void {
  const guarded = <A extends unknown[]>(at: RegExp, f: (...args: A) => unknown) => (...args: A) => {
    try {
      return f(...args);
    } catch (err) {
      report(err instanceof Error ? err.message : String(err), at);
      return null;
    }
  };
  const builtin = new Environment();
  for (const name of TEXT_FILTERS) {
    env.addFilter(
      name,
      guarded(new RegExp(`\\|\\s*${name}\\b`), (value: unknown, ...args: unknown[]) => {
        const { positional, kwargs } = splitArgs(args);
        const ctx: Record<string, unknown> = { value: printedValue(value) };
        const params = [
          ...positional.map((v, i) => ((ctx[`a${i}`] = printedValue(v)), `a${i}`)),
          ...Object.entries(kwargs).map((
            [k, v],
          ) => ((ctx[`k_${k}`] = printedValue(v)), `${k}=k_${k}`)),
        ];
        return builtin.evalExpr(`value | ${name}(${params.join(", ")})`, ctx);
      }),
    );
  }
  // Jinja2's `| tojson`: json.dumps with sorted keys, HTML's characters escaped.
  env.addFilter(
    "tojson",
    guarded(/\|\s*tojson\b/, (value: unknown, ...args: unknown[]) => {
      const { positional, kwargs } = splitArgs(args);
      const indent = kwargs.indent ?? positional[0] ?? null;
      if (indent !== null && typeof indent !== "number") {
        throw new Error(`tojson: indent must be a number of spaces, got ${JSON.stringify(indent)}`);
      }
      return pyJsonDumps(printedValue(plain(value)), {
        sortKeys: true,
        htmlSafe: true,
        ...(indent === null ? {} : { indent }),
      });
    }),
  );
  env.addFilter(
    "format",
    guarded(/\|\s*format\b/, (fmt: unknown, ...args: unknown[]) => {
      const { positional, kwargs } = splitArgs(args);
      if (Object.keys(kwargs).length) {
        throw new Error("format: %(name)s keywords are not supported: give the values in order");
      }
      return percentFormat(String(printedValue(fmt)), positional.map(printedValue));
    }),
  );
  env.addGlobal(
    "zip",
    guarded(/(?<![\w.])zip\s*\(/, (...lists: unknown[]) => {
      const { positional, kwargs } = splitArgs(lists);
      if (Object.keys(kwargs).length) throw new Error("zip() takes no keyword arguments");
      const seqs = positional.map((l) => {
        if (typeof l === "string") return [...l];
        if (!Array.isArray(l)) throw new Error(`zip() takes lists, got ${JSON.stringify(l)}`);
        return l;
      });
      const n = seqs.length ? Math.min(...seqs.map((l) => l.length)) : 0;
      return Array.from({ length: n }, (_, i) => seqs.map((l) => l[i]));
    }),
  );
}

/**
 * A problem of a render: where, as a pattern matching its line (in the
 * template, else in the macros), or as the line of the template or of the
 * macro file `path`.
 */
interface Problem {
  message: string;
  at?: RegExp;
  line?: number;
  path?: string;
}

/** The rendering environment of one dbt project. */
export class DbtJinja {
  readonly #env = new Environment();
  readonly #names: { project: Set<string>; direct: Set<string>; dispatched: Set<string> };
  readonly #project: string;
  readonly #dispatchOrders: readonly { macroNamespace: string; searchOrder: string[] }[];
  /** Each package's macros (and the project's, under its name): name to name in the module. */
  readonly #packages = new Map<string, Map<string, string>>();
  readonly #namesOf = new Map<string | undefined, MacroNames>();
  readonly #macros: MacroDefinition[];
  /** For each line of the macro module: the macro file and line it comes from, and its macro. */
  readonly #moduleLines: { path: string; line: number; text: string; macro?: string }[] = [];
  /** Each macro's code in the module, by its name there (`key`). */
  readonly #macroCode = new Map<string, string>();
  /** The template being rendered, as rewritten (its macro calls by their names in the module). */
  #rendering = "";
  readonly #returns = new Map<number, unknown>();
  /** Prints values as Python does (`py_print.ts`); its tuples are the render's. */
  readonly #printer: PyPrinter;
  /**
   * What the module is made of, to make {@linkcode AGATE_MODULE} of the
   * same when a render against the warehouse first needs it; undefined
   * once it is made.
   */
  #agate: { builtin: string; files: readonly MacroFile[]; table: string } | undefined;
  #problems: Problem[] = [];
  /** The written orders of the mappings of the render under way. */
  readonly #orders = new MapOrders(
    (message, line, path) =>
      this.#problems.push({ message, line, ...(path === undefined ? {} : { path }) }),
    (pair) => this.#printer.tuple(pair),
  );
  /** What the environment was made from, to make it again with macros overridden. */
  readonly #made: {
    files: readonly MacroFile[];
    packages: readonly string[];
    builtin: string;
  };

  /** Macro files that cannot be read (their macros are left out), with why. */
  readonly issues: { path: string; line?: number; message: string }[] = [];

  /**
   * @param project the project's name (`adapter.dispatch(…, project)` searches its macros).
   * @param files the macro files of the project and its packages.
   * @param dispatch `dispatch:` of dbt_project.yml: search orders per macro namespace.
   * @param packages the names of the project's packages (each may have no macro).
   */
  constructor(
    project: string,
    files: readonly MacroFile[],
    dispatch: readonly { macroNamespace: string; searchOrder: string[] }[] = [],
    packages: readonly string[] = [],
    builtin: string = DBT_MACROS,
    globals: Readonly<Record<string, unknown>> = {},
  ) {
    this.#project = project;
    this.#dispatchOrders = dispatch;
    this.#made = { files, packages, builtin };
    files = files.map((f) => ({ ...f, text: testsAsMacros(f.text) }));
    for (const [name, value] of Object.entries(globals)) this.#env.addGlobal(name, value);
    this.#orders.lend(globals);
    for (const [name, f] of Object.entries(this.#orders.globals())) this.#env.addGlobal(name, f);
    const mutations = mutationGlobals(
      this.#orders,
      (message, line, path) =>
        this.#problems.push({ message, line, ...(path === undefined ? {} : { path }) }),
    );
    for (const [name, f] of Object.entries(mutations)) this.#env.addGlobal(name, f);
    // dbt's `modules` (datetime, pytz, re), reached through the table the rewriter names.
    // Their problems are placed at the first line using them (a datetime's own line is not known).
    const report = (message: string) => this.problem(message, /modules\s*\.|run_started_at/);
    const modules = pyModules(report);
    addTextFilters(this.#env, (message, at) => this.problem(message, at));
    this.#printer = addPyPrinting(
      this.#env,
      (message, at) => this.problem(message, at),
      (keys) => this.#orders.known(keys),
    );
    addPyMethods(
      this.#env,
      (message, line, path) =>
        this.#problems.push({ message, line, ...(path === undefined ? {} : { path }) }),
    );
    this.#env.addGlobal("modules", modules.modules);
    this.#env.addGlobal("__wharf_modules", modules.table);
    this.#env.addGlobal("__wharf_missing_module", (path: unknown) => {
      this.problem(
        missingModulePath(String(path)),
        new RegExp(`modules\\s*\\.\\s*${String(path).split(".")[0]}`),
      );
      return null;
    });
    // Arithmetic the rewriter routes here when its first operand is a modules.datetime value.
    const py = new PyDatetime(report);
    this.#env.addGlobal("__wharf_is_time", (value: unknown) => {
      const kind = value instanceof Map ? value.get("__kind") : undefined;
      return kind === "datetime" || kind === "date" || kind === "timedelta";
    });
    this.#env.addGlobal(
      "__wharf_time_arith",
      (first: unknown, ...rest: unknown[]) => py.arithmetic(first, rest),
    );
    this.#env.enablePyCompat();
    this.#env.undefinedBehavior = "lenient";
    const builtinNames = [...builtin.matchAll(/macro\s+__dbt__(\w+)\s*\(/g)].map((m) => m[1]!);
    const definitions = files.flatMap(macroDefinitions);
    const seen = new Map<string, MacroDefinition>();
    this.#macros = [];
    for (const d of definitions) {
      const first = seen.get(d.key);
      if (first) {
        this.issues.push({
          path: d.path,
          line: d.line,
          message:
            `macro "${d.name}" is defined twice (also at ${first.path}:${first.line}): rename one`,
        });
        continue;
      }
      seen.set(d.key, d);
      this.#macros.push(d);
    }
    this.#names = {
      project: new Set(this.#macros.filter((d) => d.package === undefined).map((d) => d.name)),
      direct: new Set(builtinNames.filter((n) => !n.startsWith("duckdb__"))),
      dispatched: new Set(
        builtinNames.filter((n) => n.startsWith("duckdb__")).map((n) => n.slice("duckdb__".length)),
      ),
    };
    let module = "";
    const add = (path: string, text: string) => {
      let macro: string | undefined;
      text.split("\n").forEach((text, i) => {
        macro = /\{%-?\s*macro\s+(\w+)/.exec(text)?.[1] ?? macro;
        this.#moduleLines.push({ path, line: i + 1, text, ...(macro ? { macro } : {}) });
        if (macro) this.#macroCode.set(macro, `${this.#macroCode.get(macro) ?? ""}${text}\n`);
        if (/\{%-?\s*endmacro/.test(text)) macro = undefined;
      });
      module += `${text}\n`;
    };
    add(BUILTIN_PATH, builtin);
    for (const name of [project, ...packages]) this.#packages.set(name, new Map());
    const index = () => {
      for (const m of this.#packages.values()) m.clear();
      for (const d of this.#macros) {
        this.#packages.get(d.package ?? project)?.set(d.name, d.key);
      }
      this.#namesOf.clear();
    };
    index();
    /** The files whose macros are in the module. */
    const kept: MacroFile[] = [];
    for (const file of files) {
      const text = rewriteJinja(file.text, this.namesFor(file.package), { path: file.path }).text;
      try {
        // Each file alone first: a syntax error stays that file's.
        this.#env.addTemplate(file.path, text);
        this.#env.removeTemplate(file.path);
      } catch (err) {
        const { detail, line } = parseError(err);
        this.issues.push({ path: file.path, line, message: `Cannot read the macros: ${detail}` });
        if (file.package === undefined) {
          for (const d of definitions.filter((d) => d.path === file.path)) {
            this.#names.project.delete(d.name);
          }
        }
        this.#macros.splice(
          0,
          this.#macros.length,
          ...this.#macros.filter((d) => d.path !== file.path),
        );
        index();
        continue;
      }
      add(file.path, text);
      kept.push(file);
    }
    const all = [...builtinNames.map((n) => `__dbt__${n}`), ...this.#macros.map((d) => d.key)];
    const table = `{% set __wharf_macros = {${
      all.map((n) => `${JSON.stringify(n)}: ${n}`).join(", ")
    }} %}`;
    this.#env.addTemplate(MODULE, module + table);
    this.#agate = { builtin, files: kept, table };
    this.#env.addGlobal("return", (value: unknown) => {
      const id = this.#returns.size + 1;
      this.#returns.set(id, value);
      return `${RETURN_OPEN}${id}${RETURN_CLOSE}`;
    });
    this.#env.addGlobal("__wharf_value", (text: unknown) => {
      if (typeof text !== "string") return text;
      const m = new RegExp(`${RETURN_OPEN}(\\d+)${RETURN_CLOSE}`).exec(text);
      // A mapping returned goes back as an object (minijinja reads a Map as an empty one).
      return m ? plain(this.#returns.get(Number(m[1])) ?? null) : text;
    });
    this.#env.addGlobal("__wharf_unsupported", (name: unknown) => {
      const what = String(name);
      this.problem(
        `"${what}" is not supported by wharf: ${
          UNSUPPORTED_CONTEXT[what] ?? "dbt has it, wharf's Jinja does not"
        }`,
        new RegExp(`(?<![\\w.])${what}(?![\\w])`),
      );
      return new Map();
    });
    // Called anywhere (a macro's {% set %} included), each is named, not an undefined value.
    for (const name of NEEDS_WAREHOUSE) {
      // dbt's statement macro (dbt_macros.ts) runs its SQL through __wharf_statement.
      this.#env.addGlobal(name === "statement" ? "__wharf_statement" : name, () => {
        this.problem(needsWarehouse(name), new RegExp(`(?<![\\w.])${name}\\s*\\(`));
        return null;
      });
    }
    this.#env.addGlobal("__wharf_dispatch", (...args: unknown[]) => this.#dispatch(args));
    this.#env.addGlobal("__wharf_no_macro", (pkg: unknown, name: unknown) => {
      const known = [...(this.#packages.get(String(pkg))?.keys() ?? [])];
      const guess = closest(String(name), known);
      this.problem(
        `${String(pkg)}.${String(name)}(): package "${String(pkg)}" has no macro "${String(name)}"${
          guess ? ` (did you mean "${guess}"?)` : ""
        }`,
        new RegExp(`${String(pkg)}\\s*\\.\\s*${String(name)}`),
      );
      return "";
    });
  }

  /**
   * The macros a template of `pkg` (undefined: the project) calls by name:
   * its package's own first, then the project's, then dbt's.
   */
  namesFor(pkg?: string): MacroNames {
    const cached = this.#namesOf.get(pkg);
    if (cached) return cached;
    const own = pkg === undefined ? undefined : this.#packages.get(pkg);
    // Macros reading kwargs or varargs, by the name a call of this package gives: its own first.
    const extras = new Map<string, MacroExtras>();
    for (const d of this.#macros) {
      if (!d.kwargs && !d.varargs) continue;
      const extra = { args: d.args.map((a) => a.name), kwargs: d.kwargs, varargs: d.varargs };
      extras.set(`${d.package ?? this.#project}.${d.name}`, extra);
      if (d.package !== undefined && d.package !== pkg) continue;
      if (d.package === undefined && extras.has(d.name)) continue;
      extras.set(d.name, extra);
    }
    const names: MacroNames = {
      ...this.#names,
      packages: this.#packages,
      ...(own ? { rename: own, package: pkg } : {}),
      extras,
    };
    this.#namesOf.set(pkg, names);
    return names;
  }

  /**
   * Makes `values` globals of the environment until the handle returned is
   * disposed of: values that many renders read (on-run-end's `results`, in
   * each pass of a hook rendered against the warehouse) are converted for
   * minijinja once, not at every render.
   */
  lend(values: Readonly<Record<string, unknown>>): Disposable {
    for (const [name, value] of Object.entries(values)) this.#env.addGlobal(name, value);
    const forget = this.#orders.lend(values);
    return {
      [Symbol.dispose]: () => {
        forget();
        for (const name of Object.keys(values)) this.#env.removeGlobal(name);
      },
    };
  }

  /** The project's macros. */
  get macros(): readonly MacroDefinition[] {
    return this.#macros;
  }

  /**
   * The custom generic test a properties file of `from` (a package, or
   * undefined for the project) names: `name` or `package.name`, looked for
   * in the project, then the file's package, then the one package that has
   * it. Undefined when there is none.
   */
  customTest(name: string, from?: string): { macro: string; package?: string } | undefined {
    const dot = name.indexOf(".");
    const wanted = `test_${dot < 0 ? name : name.slice(dot + 1)}`;
    const inPackage = (pkg: string) =>
      this.#packages.get(pkg)?.has(wanted)
        ? { macro: wanted, ...(pkg === this.#project ? {} : { package: pkg }) }
        : undefined;
    if (dot >= 0) return inPackage(name.slice(0, dot));
    const found = inPackage(this.#project) ?? (from === undefined ? undefined : inPackage(from));
    if (found) return found;
    const others = [...this.#packages.keys()].filter((p) => this.#packages.get(p)!.has(wanted));
    return others.length === 1 ? inPackage(others[0]!) : undefined;
  }

  /** True when the project defines a macro called `name`. */
  hasMacro(name: string): boolean {
    return this.#names.project.has(name);
  }

  /**
   * This environment made again with each macro of `values` returning its
   * value instead of running its body, wherever it is called from (the
   * model or another macro), as a unit test's `overrides.macros` makes
   * them: `name` is the project's macro or dbt's (`current_timestamp`),
   * `package.name` a package's.
   *
   * @returns the environment, or the names that are no macro.
   */
  withMacroOverrides(
    values: Readonly<Record<string, unknown>>,
  ): { jinja: DbtJinja } | { unknown: string[] } {
    let builtin = this.#made.builtin;
    const files = this.#made.files.map((f) => ({ ...f }));
    const globals: Record<string, unknown> = {};
    const unknown: string[] = [];
    Object.entries(values).forEach(([written, value], i) => {
      const global = `__wharf_override_${i}`;
      globals[global] = value;
      const dot = written.indexOf(".");
      const pkg = dot < 0 ? undefined : written.slice(0, dot);
      const name = dot < 0 ? written : written.slice(dot + 1);
      let found = false;
      if (pkg === undefined || pkg === "dbt") {
        for (const macro of [name, `duckdb__${name}`, `default__${name}`]) {
          const replaced = returning(builtin, `__dbt__${macro}`, global);
          if (replaced !== undefined) [builtin, found] = [replaced, true];
        }
      }
      const owner = pkg === this.#project ? undefined : pkg;
      for (const f of files) {
        if (f.package !== owner || pkg === "dbt") continue;
        const replaced = returning(f.text, name, global);
        if (replaced !== undefined) [f.text, found] = [replaced, true];
      }
      if (!found) unknown.push(written);
    });
    if (unknown.length) return { unknown };
    return {
      jinja: new DbtJinja(
        this.#project,
        files,
        this.#dispatchOrders,
        this.#made.packages,
        builtin,
        globals,
      ),
    };
  }

  /**
   * `value`, as minijinja hands it to a function, as plain values with
   * each mapping's keys in written order (dbt's `tojson()` keeps it); a
   * mapping whose order is not known is a problem at the line `at` matches.
   */
  inWrittenOrder(value: unknown, what: string, at: RegExp): unknown {
    const before = this.#problems.length;
    const out = this.#orders.plain(value, what);
    for (const p of this.#problems.slice(before)) p.at ??= at;
    return out;
  }

  /**
   * Records a problem of the render under way; it fails once it ends, at
   * the first line of the file that `at` matches.
   */
  problem(message: string, at?: RegExp): void {
    // A relation put into the message (`"bad: " ~ this`) as it prints.
    this.#problems.push({ message: printPyValues(message), at });
  }

  #dispatch(args: readonly unknown[]): string {
    const { positional, kwargs } = splitArgs(args);
    const name = String(positional[0] ?? kwargs.macro_name ?? "");
    const namespace = positional[1] ?? kwargs.macro_namespace ?? null;
    const from = typeof kwargs.__wharf_in === "string" ? kwargs.__wharf_in : undefined;
    const root = this.#project;
    // Where the call is, for the line of a problem (in the file rendered, when it is there).
    const at = new RegExp(`dispatch\\(\\s*['"]${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}['"]`);
    let order: string[];
    if (namespace === null) order = from === undefined ? [root] : [from, root];
    else {
      const ns = String(namespace);
      const configured = this.#dispatchOrders.find((d) => d.macroNamespace === ns);
      order = configured ? configured.searchOrder : [...new Set([root, ns])];
      if (!configured && ns !== "dbt" && !this.#packages.has(ns)) {
        const guess = closest(ns, [...this.#packages.keys()]);
        this.problem(
          `adapter.dispatch("${name}", "${ns}"): no package "${ns}" in the project${
            guess ? ` (did you mean "${guess}"?)` : ""
          }: add it to packages.yml (installed under dbt_packages/), or run \`wharf deps\``,
          at,
        );
        return "__dbt__duckdb__type_string";
      }
    }
    for (const pkg of order) {
      if (pkg === "dbt") {
        if (this.#names.dispatched.has(name)) return `__dbt__duckdb__${name}`;
        if (this.#names.direct.has(`default__${name}`)) return `__dbt__default__${name}`;
        continue;
      }
      const macros = this.#packages.get(pkg);
      if (!macros) {
        this.problem(
          `adapter.dispatch("${name}"): the search order names "${pkg}", which is not the project or one of its packages (dispatch: in dbt_project.yml)`,
          at,
        );
        return "__dbt__duckdb__type_string";
      }
      const found = [`duckdb__${name}`, `default__${name}`].find((c) => macros.has(c));
      if (found) return macros.get(found)!;
    }
    if (namespace === "dbt") {
      this.problem(`dbt has no macro "${name}" that wharf provides (dbt.${name})`, at);
    } else {
      const known = order.flatMap((p) => [...(this.#packages.get(p)?.keys() ?? [])]);
      const guess = closest(`default__${name}`, known);
      this.problem(
        `adapter.dispatch("${name}"${
          namespace === null ? "" : `, "${String(namespace)}"`
        }) found no macro "duckdb__${name}" or "default__${name}" in ${
          order.map((p) => p === root ? `the project (${p})` : `package "${p}"`).join(", then ")
        }${guess ? ` (did you mean "${guess}"?)` : ""}`,
        at,
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
    pkg?: string,
  ): { text: string; sourceLines: number[] } {
    // A render against the warehouse (its context hands out queries' results, warehouse_context.ts).
    const agate = Object.hasOwn(context, "__wharf_index");
    const rewritten = rewriteJinja(text, this.namesFor(pkg), { lines: true, agate });
    if (agate && this.#agate) {
      const { builtin, files, table } = this.#agate;
      this.#env.addTemplate(
        AGATE_MODULE,
        `${builtin}\n${
          files.map((f) =>
            `${rewriteJinja(f.text, this.namesFor(f.package), { agate, path: f.path }).text}\n`
          )
            .join("")
        }${table}`,
      );
      this.#agate = undefined;
    }
    const prelude = rewritten.imports.size
      ? `{% from "${agate ? AGATE_MODULE : MODULE}" import ${[...rewritten.imports].join(", ")} %}`
      : "";
    this.#problems = [];
    this.#returns.clear();
    this.#orders.begin();
    this.#printer.clear();
    let out: string;
    try {
      this.#rendering = rewritten.text;
      out = this.#env.renderNamedStr(path, prelude + rewritten.text, this.#orders.watched(context));
    } catch (err) {
      throw this.#problemOf(path, text, err);
    }
    const problem = this.#problems[0];
    if (problem !== undefined) throw this.#placed(problem, text);
    const cleaned = printPyValues(
      out.replace(new RegExp(`${RETURN_OPEN}\\d+${RETURN_CLOSE}`, "g"), ""),
    );
    return readLineMarkers(cleaned);
  }

  /**
   * A problem found while rendering `text`, at the line of `text` its call
   * is on or, when the call is in a macro, naming the macro's file and line.
   */
  #placed(problem: Problem, text: string): RenderProblem {
    if (problem.line !== undefined) {
      return problem.path === undefined
        ? new RenderProblem(problem.message, problem.line)
        : new RenderProblem(`${problem.message} (in a macro, ${problem.path}:${problem.line})`);
    }
    const line = lineOf(text, problem.at);
    let origin: { path: string; line: number } | undefined;
    if (line === undefined && problem.at) {
      // The line of a macro the template calls (directly or not), else of any macro.
      const candidates = this.#moduleLines.filter((l) => problem.at!.test(l.text));
      const reached = this.#reachedMacros(this.#rendering);
      origin = candidates.find((l) => l.macro !== undefined && reached.has(l.macro)) ??
        candidates[0];
    }
    return new RenderProblem(
      `${problem.message}${origin ? ` (in a macro, ${origin.path}:${origin.line})` : ""}`,
      line,
    );
  }

  /**
   * Where `query`, which the template of a hook ran as it rendered, is
   * written, when a macro the hook calls runs it: the one line of the
   * project's (or a package's) macros `hook` reaches that holds its text as written
   * (`in macro finish, macros/finish.sql:3`); when none or several do, the
   * macros it reaches that run queries (`run_query()`, `statement`), each at
   * its definition, and the hook itself when it runs queries too. Undefined
   * when `hook` holds the query's text, or nothing it reaches runs a query
   * but itself.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { DbtJinja } from "./dbt_jinja.ts";
   *
   * const jinja = new DbtJinja("shop", [{
   *   path: "macros/finish.sql",
   *   text: '{% macro finish() %}\n  {% do run_query("drop table main.t") %}\n{% endmacro %}\n',
   * }]);
   * assert.equal(
   *   jinja.queryOrigin("{{ finish() }}", "drop table main.t"),
   *   "in macro finish, macros/finish.sql:2",
   * );
   * ```
   */
  queryOrigin(hook: string, query: string): string | undefined {
    const wanted = query.trim().split("\n").map((l) => l.trim()).filter((l) => l !== "");
    if (!wanted.length || wanted.every((l) => hook.includes(l))) return undefined;
    const reached = this.#reachedMacros(hook);
    const ours = (l: { path: string; macro?: string }) =>
      l.macro !== undefined && reached.has(l.macro) && l.path !== BUILTIN_PATH;
    const lines = this.#moduleLines;
    const holding = lines.flatMap((l, i) =>
      ours(l) &&
        wanted.every((w, k) => lines[i + k]?.path === l.path && lines[i + k]!.text.includes(w))
        ? [l]
        : []
    );
    const named = (key: string) => key.replace(/^__pkg__.*?__(?=[^_])/, "");
    if (holding.length === 1) {
      const [l] = holding;
      return `in macro ${named(l!.macro!)}, ${l!.path}:${l!.line}`;
    }
    const runs = (code: string) => /(?<![\w.])(?:__dbt__)?(?:run_query|statement)\s*\(/.test(code);
    const macros = [...reached].filter((key) => runs(this.#macroCode.get(key)!)).flatMap((key) => {
      const at = lines.find((l) => l.macro === key);
      return at && at.path !== BUILTIN_PATH ? [`macro ${named(key)} (${at.path}:${at.line})`] : [];
    });
    if (!macros.length) return undefined;
    const all = runs(hook) ? ["the hook itself", ...macros] : macros;
    return all.length === 1 ? `run by ${all[0]}` : `run by one of: ${all.join(", ")}`;
  }

  /**
   * The macros (by their names in the module) that `code` may call, directly
   * or through other macros: those any word of it names, as a call or as a
   * string (`adapter.dispatch('x')` reaches `duckdb__x`, `default__x` of any
   * package).
   */
  #reachedMacros(code: string): Set<string> {
    // Macro names by the word that names them.
    const byWord = new Map<string, string[]>();
    for (const key of this.#macroCode.keys()) {
      const name = key.replace(/^__pkg__.*?__(?=[^_])/, "").replace(/^__dbt__/, "");
      for (const word of new Set([name, name.replace(/^(duckdb|default)__/, "")])) {
        byWord.set(word, [...byWord.get(word) ?? [], key]);
      }
    }
    const named = (word: string) => byWord.get(word) ?? [];
    const reached = new Set<string>();
    const seen = new Set<string>();
    // The macro files' paths the rewrite hands its helpers ("macros/finish.sql") name no macro.
    const paths = new Set(this.#moduleLines.map((l) => JSON.stringify(l.path)));
    const words = (text: string) =>
      new Set(
        text.replace(/"(?:[^"\\]|\\.)*"/g, (s) => paths.has(s) ? "" : s).match(/\w+/g) ?? [],
      );
    const pending = [...words(code)];
    while (pending.length) {
      const word = pending.pop()!;
      if (seen.has(word)) continue;
      seen.add(word);
      for (const key of named(word)) {
        if (reached.has(key)) continue;
        reached.add(key);
        pending.push(...words(this.#macroCode.get(key)!));
      }
    }
    return reached;
  }

  #problemOf(path: string, text: string, err: unknown): RenderProblem {
    const { detail, name, line } = parseError(err);
    const first = this.#problems[0];
    if (first !== undefined) return this.#placed(first, text);
    let where = "";
    let at: number | undefined;
    let source: string | undefined;
    /** The code the error is in, to name what a message leaves out (a method's receiver). */
    let code = text;
    if ((name === MODULE || name === AGATE_MODULE) && line !== undefined) {
      const origin = this.#moduleLines[line - 1];
      if (origin) {
        where = ` (in a macro, ${origin.path}:${origin.line})`;
        code = origin.text;
      }
    } else if (name === path && line !== undefined) {
      at = line;
      source = text.split("\n")[line - 1]?.trim();
      code = text.split("\n")[line - 1] ?? text;
    }
    return new RenderProblem(
      `${explain(detail, [...this.#names.project], code)}${where}${
        source ? `: ${JSON.stringify(source)}` : ""
      }`,
      at,
      source !== undefined,
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

/** Methods of wharf's modules.datetime values, for messages. */
const DATETIME_METHODS =
  "strftime, isoformat, replace, date, timestamp, weekday, isoweekday, isocalendar, astimezone, utcoffset, tzname, total_seconds";

/**
 * minijinja's message, said in dbt's terms where a dbt user would be lost;
 * `code` is the template code it happened in (the line, when known).
 */
function explain(detail: string, macros: readonly string[], code: string): string {
  if (/^invalid operation: object is not callable/.test(detail)) {
    return "a value that is not a function is called: wharf's Jinja calls the classes of modules (modules.datetime.datetime(…), modules.datetime.timedelta(…)) by their full name, not through a variable";
  }
  if (
    /^invalid operation: tried to use [-+*\/%] operator on unsupported types (map|plain object)/
      .test(detail)
  ) {
    return `${
      detail.replace(/^invalid operation: /, "")
    }: wharf's Jinja adds and subtracts modules.datetime values (+ and -, a datetime or date first) and compares them; nothing else`;
  }
  const fn = /^unknown function: (\w+) is unknown/.exec(detail) ??
    /^invalid operation: (\w+) is not callable/.exec(detail);
  if (fn) {
    const name = fn[1]!;
    if (NEEDS_WAREHOUSE.includes(name)) return needsWarehouse(name);
    const guess = closest(name, macros);
    return `unknown macro or function "${name}()"${guess ? ` (did you mean "${guess}"?)` : ""}`;
  }
  const extra = /^too many arguments: duplicate argument `__wharf_(kwargs|varargs)`/.exec(detail);
  if (extra) {
    return `too many positional arguments: a macro called here takes no more than it names${
      extra[1] === "kwargs" ? " (one that reads varargs takes more)" : ""
    }`;
  }
  if (detail === "unknown method") {
    // minijinja's method that does not take the arguments given: name the methods the code calls.
    const called = [...new Set([...code.matchAll(/\.\s*([A-Za-z_]\w*)\s*\(/g)].map((m) => m[1]))];
    const named = called.map((n) => `"${n}()"`);
    return `unknown method: ${
      named.length === 1 ? named[0] : named.length ? `one of ${named.join(", ")}` : "a method"
    } does not take the arguments given here`;
  }
  const method = /^unknown method: (\w+(?: \w+)?) has no method named (\w+)/.exec(detail);
  if (method) {
    const [, type, name] = method;
    const changes = type === "sequence"
      ? ["append", "extend", "insert", "pop", "remove", "clear"]
      : type === "map"
      ? ["update", "pop", "setdefault", "clear"]
      : [];
    if (changes.includes(name!)) {
      // What rewrite_mutation.ts leaves alone: a value of dbt's context (`model.tags.append(…)`).
      return `"${name}()" changes a ${
        type === "map" ? "mapping" : "list"
      } of dbt's context here, which wharf does not: wharf changes in place only a variable set with {% set x = … %} in the same file or macro ({% do x.${name}(…) %}); set a copy of this one and change that`;
    }
    const receiver = new RegExp(`([A-Za-z_][\\w.]*)\\s*\\.\\s*${name}\\s*\\(`).exec(code)?.[1];
    if (receiver === "adapter") return adapterMethodProblem(name!);
    if (type === "undefined" && receiver && !receiver.includes(".")) {
      return `${receiver}.${name}(): "${receiver}" is not defined: no variable, macro or installed package has that name; if it is a package, it is not installed here: ${
        installPackageHint("dbt_packages")
      }`;
    }
    if (type === "plain object") {
      return `"${name}()": ${
        receiver ?? "this value"
      } is a function, which has no attributes in wharf's Jinja: call the classes of modules by their full name (modules.datetime.datetime.${name}(…))`;
    }
    if (type === "map" && COLUMN_METHODS.includes(name!)) {
      return `"${name}()" of a column (adapter.get_columns_in_relation()) is not supported by wharf: its ${COLUMN_GIVES} are`;
    }
    if (type === "map" && RELATION_METHODS.includes(name!)) {
      return `"${name}()" of a relation (ref(), source(), this) is not supported by wharf: its database, schema, identifier, name, include() and render() are`;
    }
    if (type === "map") {
      return `"${name}()" is not a method of ${
        receiver ?? "this value"
      } (a mapping; wharf's modules.datetime values have ${DATETIME_METHODS})`;
    }
    return `"${name}()" is not available on ${receiver ?? "this value"} (a ${type})`;
  }
  const statement = /^syntax error: unknown statement (\w+)/.exec(detail);
  if (statement && BLOCKS[statement[1]!]) return BLOCKS[statement[1]!]!;
  if (/^template not found/.test(detail)) {
    return `${detail}: wharf renders each file alone (include and import of other files are not run)`;
  }
  return detail;
}

/**
 * The problem of `adapter.name()` where the context gives no such method:
 * one that reads the warehouse outside a render against it, or one wharf
 * does not give.
 */
function adapterMethodProblem(name: string): string {
  return WAREHOUSE_FUNCTIONS.includes(`adapter.${name}`)
    ? needsWarehouse(`adapter.${name}`)
    : `"adapter.${name}()" is not supported by wharf: its adapter gives quote(), dispatch(), get_columns_in_relation() and get_relation()`;
}

/** The problem of `name()`, a function of dbt's that reads the warehouse, where wharf does not run it. */
function needsWarehouse(name: string): string {
  return WAREHOUSE_FUNCTIONS.includes(name)
    ? `"${name}()" reads the warehouse: wharf runs it in a model (rendered just before it builds) and in hooks (rendered as they run), not in a test, an analysis, sql_header or the names of relations, which render while the project compiles`
    : `"${name}()" reads the warehouse while the project compiles, which wharf does not do`;
}

/** The first line of `text` that `at` matches, if any. */
function lineOf(text: string, at: RegExp | undefined): number | undefined {
  const m = at?.exec(text);
  return m ? text.slice(0, m.index).split("\n").length : undefined;
}
