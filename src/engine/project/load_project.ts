/**
 * Loads a project folder into a plain {@linkcode Project}: model SQL and
 * YAML, seeds, macros and singular tests, with each model's dependencies
 * read by DuckDB's parser. Problems are collected, not thrown.
 *
 * Loading is a pipeline of stages, each handing plain data to the next:
 * discover the files (`discover_files.ts`) → read and validate the YAML
 * (`read_yaml.ts`) → merge each node's configuration (`merge_config.ts`) →
 * render the SQL (`render.ts`: plain SQL as it is; a template renderer plugs
 * in there) → parse it with DuckDB into nodes (`parse_nodes.ts`).
 *
 * @module
 */
import { join } from "node:path";
import type { EngineConfig } from "../config.ts";
import type { ProjectIssue } from "../errors.ts";
import { parseSql } from "../db/parse_sql.ts";
import { openParseCache } from "../db/parse_cache.ts";
import { discoverFiles } from "./discover_files.ts";
import { checkYamlColumns } from "./check_yaml_columns.ts";
import { mergeConfig } from "./merge_config.ts";
import { jinjaHint, parseNodes, type SqlParser } from "./parse_nodes.ts";
import { readYaml } from "./read_yaml.ts";
import { type DependencyResolver, parseDependency, readExposures } from "./read_exposures.ts";
import { type RenderHook, renderPlainSql, renderSql } from "./render.ts";
import { seedLines } from "./seed_lines.ts";
import type { MacroFile, ModelNode, Project, SeedNode } from "../types.ts";
import { parseInputCall, resolveUnitTests, type UnitTestNames } from "./read_unit_tests.ts";
import { closest } from "../suggest.ts";

/**
 * How a plain-SQL project names unit tests' models and inputs: a model by
 * its name or `layer.name`; an input by its relation (`staging.stg_orders`),
 * `ref('name')` of a model or seed, or `source('raw', 'orders')`.
 */
function plainUnitTestNames(
  models: readonly ModelNode[],
  seeds: readonly SeedNode[],
  config: Pick<EngineConfig, "vars" | "varTypes">,
): UnitTestNames {
  const byName = (name: string, nodes: readonly (ModelNode | SeedNode)[]) =>
    nodes.filter((n) => n.id === name || n.name === name);
  return {
    model(written) {
      const name = written.toLowerCase();
      const found = byName(name, models);
      if (found.length === 1) return found[0] as ModelNode;
      if (found.length > 1) {
        return `"${written}" names ${found.length} models: write one of ${
          found.map((m) => `"${m.id}"`).join(", ")
        }`;
      }
      const guess = closest(name, models.flatMap((m) => [m.name, m.id]));
      return `no model "${written}"${guess ? ` (did you mean "${guess}"?)` : ""}`;
    },
    input(written) {
      const call = parseInputCall(written);
      if (call?.kind === "source") {
        if (call.args.length !== 2) {
          return { error: `expected source('<schema>', '<table>'), got "${written}"` };
        }
        return call.args.join(".").toLowerCase();
      }
      if (call?.kind === "ref") {
        const name = (call.args.at(-1) ?? "").toLowerCase();
        const nodes = [...models, ...seeds];
        const found = byName(name, nodes);
        if (found.length === 1) return found[0]!.id;
        if (found.length > 1) {
          return {
            error: `ref('${name}') names ${found.length} relations: write one of ${
              found.map((m) => `"${m.id}"`).join(", ")
            }`,
          };
        }
        const guess = closest(name, nodes.map((n) => n.name));
        return {
          error: `ref('${name}'): no model or seed named "${name}"${
            guess ? ` (did you mean "${guess}"?)` : ""
          }`,
        };
      }
      if (/^[\w$]+(\.[\w$]+){1,2}$/.test(written)) return written.toLowerCase();
      return {
        error:
          `expected ref('<model or seed>'), source('<schema>', '<table>'), this or a relation (schema.name), got "${written}"`,
      };
    },
    inputName: (relation) => relation,
    isSeed: (relation) => seeds.some((s) => s.id === relation),
    vars: Object.keys(config.vars),
    ...(config.varTypes ? { varTypes: config.varTypes } : {}),
    envVars: false,
  };
}

/** Options of {@linkcode loadProject}. */
export interface LoadProjectOptions {
  /** The SQL parser; DuckDB's by default. */
  parse?: SqlParser;
  /**
   * Renders each model's and singular test's SQL before it is parsed; plain
   * SQL (the text as it is) by default.
   */
  render?: RenderHook;
  /**
   * The run the project is compiled for: its id and start, what a dbt
   * project's `invocation_id` and `run_started_at` render (a new id, now,
   * when compiled outside a run).
   */
  invocation?: { id: string; startedAt: Date };
  /**
   * SQL to compile beside the project's (`compile --inline`, `show
   * --inline`): rendered as a dbt project renders an analysis, as it is in
   * a plain-SQL project; the result is the project's `inline`.
   */
  inline?: string;
}

/**
 * How a plain-SQL project's exposure names what it reads: a relation as SQL
 * names it (`marts.orders`, `raw.claims`), `ref('orders')` (the one model or
 * seed of that name) or `source('raw', 'claims')`.
 */
function plainDependency(nodes: readonly { id: string; name: string }[]): DependencyResolver {
  return (written) => {
    const d = parseDependency(written);
    if (!d) {
      return /^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*){1,2}$/.test(written)
        ? { relation: written.toLowerCase() }
        : {
          problem:
            `expected a relation (marts.orders), ref('orders') or source('raw', 'claims'), got ${
              JSON.stringify(written)
            }`,
        };
    }
    if ("source" in d) return { relation: `${d.source}.${d.table}`.toLowerCase() };
    const name = d.ref.toLowerCase();
    const same = nodes.filter((n) => n.name === name);
    if (same.length === 1) return { relation: same[0]!.id };
    if (same.length > 1) {
      return {
        problem: `ref("${name}") names ${same.length} models (${
          same.map((n) => n.id).join(", ")
        }): write the relation instead`,
      };
    }
    const guess = closest(name, nodes.map((n) => n.name));
    return {
      problem: `ref("${name}"): no model or seed named "${name}"${
        guess ? ` (did you mean "${guess}"?)` : ""
      }`,
    };
  };
}

/**
 * Loads the project described by `config` from disk.
 *
 * Never throws for problems in the project's files: they are returned in
 * `issues` so that all of them can be shown at once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { loadProject } from "./load_project.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/models/staging`, { recursive: true });
 * await Deno.writeTextFile(`${root}/models/staging/stg_a.sql`, "select id from raw.a");
 * await Deno.writeTextFile(
 *   `${root}/models/staging/staging.yml`,
 *   "models:\n  - name: stg_a\n    config: { materialized: tabel }\n",
 * );
 * const project = await loadProject(resolveEngineConfig(root, {}, []));
 * assert.deepEqual(project.models[0]!.refs.map((r) => r.relation), ["raw.a"]);
 * assert.equal(
 *   project.issues[0]!.message,
 *   'models[0].config.materialized: expected one of view, table, incremental, ephemeral, external, got "tabel"',
 * );
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function loadProject(
  config: EngineConfig,
  options: LoadProjectOptions = {},
): Promise<Project> {
  // What an earlier load parsed is read while the files are (target/'s parse cache).
  const caching = openParseCache(config.paths.target, options.parse ?? parseSql, {
    read: (config.partialParse ?? config.dbt?.flags.partialParse) !== false,
  });
  const files = await discoverFiles(config);
  const yaml = await readYaml(config, files);
  const configured = mergeConfig(files, yaml, {
    attach: config.attach,
    resolve: (written, nodes) => plainDependency(nodes)(written),
  });
  const { rendered, issues: renderIssues, files: texts } = await renderSql(
    [
      ...configured.models.map((m) => {
        const defined = configured.definitions?.get(m.id);
        return {
          path: m.path,
          kind: "model" as const,
          id: m.id,
          ...(defined ? { text: defined.sql, line: defined.line } : {}),
        };
      }),
      ...configured.singularTests.map((t) => ({ path: t.path, kind: "test" as const, id: t.id })),
    ],
    options.render ?? renderPlainSql,
    { vars: config.vars, root: config.root },
  );
  const cache = await caching;
  const parsed = await parseNodes(configured, rendered, cache.parse, {
    plainSql: true,
    vars: Object.keys(config.vars),
  });
  await cache.save();
  const seedIssues = await checkSeedLines(configured.seeds, config.root, texts);
  const macros: MacroFile[] = await Promise.all(
    files.macros.map(async (path) => ({
      path,
      sql: await Deno.readTextFile(join(config.root, path)),
    })),
  );
  const exposures = readExposures(
    yaml.exposures,
    plainDependency([
      ...parsed.models,
      ...configured.seeds,
    ]),
  );
  const unitTests = resolveUnitTests(
    yaml.unitTests,
    plainUnitTestNames(parsed.models, configured.seeds, config),
  ).map((t) => t.test);
  const yamlIssues = yaml.files.flatMap((f) =>
    // In the order of the file's lines (a stable sort keeps each line's own order).
    [...f.issues].sort((a, b) => (a.location.line ?? 0) - (b.location.line ?? 0))
  );
  return {
    config,
    models: parsed.models,
    seeds: configured.seeds,
    tests: [...configured.genericTests, ...parsed.tests],
    macros,
    ...(exposures.length ? { exposures } : {}),
    ...(config.runHooks
      ? {
        runHooks: {
          start: config.runHooks.start.map((sql) => ({ sql })),
          end: config.runHooks.end.map((sql) => ({ sql })),
        },
      }
      : {}),
    unitTests,
    sources: yaml.sources,
    ...(options.inline === undefined ? {} : { inline: options.inline }),
    texts,
    issues: [
      ...files.issues,
      ...yamlIssues,
      ...configured.issues,
      ...seedIssues,
      ...renderIssues,
      ...parsed.issues,
      ...checkYamlColumns(parsed.models, configured.genericTests, {
        known: parsed.columns,
        entries: configured.entries,
      }),
      // Plain SQL is run as it is: Jinja in --inline SQL would reach DuckDB's parser.
      ...(options.inline !== undefined && /\{\{|\{%/.test(options.inline)
        ? [{
          message: `The SQL holds Jinja: ${
            jinjaHint(options.inline, [...parsed.models, ...configured.seeds])
          }`,
          location: { file: "--inline" },
        }]
        : []),
    ],
  };
}

/**
 * Returns the problems of the seeds' lines (see `seedLines`): a misplaced
 * quote, a line whose number of fields is not the header's (DuckDB's sniffer
 * would read such a file as one column), each of its own;
 * marks those whose files end lines in more than one way (DuckDB reads them
 * outside its strict mode). Each seed's text goes in `texts`, by path.
 */
async function checkSeedLines(
  seeds: SeedNode[],
  root: string,
  texts: Map<string, string>,
): Promise<ProjectIssue[]> {
  const issues: ProjectIssue[] = [];
  for (const seed of seeds) {
    const text = await Deno.readTextFile(join(root, seed.path));
    texts.set(seed.path, text);
    const found = seedLines(text, { short: "refuse" });
    if ("problems" in found) {
      for (const problem of found.problems) {
        issues.push({ message: `seed ${seed.name}: ${problem}`, location: { file: seed.path } });
      }
    } else if (found.mixed) seed.mixedLineBreaks = true;
  }
  return issues;
}
