/**
 * The last stage of loading a project: parse every rendered SQL text with
 * DuckDB's parser and make the nodes: a model's dependencies are the
 * relations its SELECT (and its checks' expressions) name, its column
 * lineage the columns its outer SELECT takes as they are.
 *
 * @module
 */
import type { ProjectIssue } from "../errors.ts";
import type { ParseResult } from "../db/parse_sql.ts";
import { closest } from "../suggest.ts";
import { columnLineage } from "./column_lineage.ts";
import { findMaterialization } from "../materializations/index.ts";
import { outputColumns } from "./output_columns.ts";
import type { ConfiguredModel, ConfiguredProject } from "./merge_config.ts";
import { extractRelations, lineColumn, trimSql, varReads } from "./relations.ts";
import { type RenderedSql, sourceLocation } from "./render.ts";
import type { ModelNode, RelationRef, SingularTestNode } from "../types.ts";
import type { YamlFile, YamlPath } from "../yaml/yaml_file.ts";

/** A SQL parser: one result per text, in order (DuckDB's is `parseSql`). */
export type SqlParser = (texts: readonly string[]) => Promise<ParseResult[]>;

/** The references of `sql`, their lines and columns mapped back to the file. */
export function refsIn(ast: unknown, rendered: RenderedSql): RelationRef[] {
  return extractRelations(ast, rendered.text).map((r) => {
    if (!rendered.sourceLines) return r;
    const { column: _column, ...rest } = r;
    return { ...rest, line: rendered.sourceLines[r.line - 1] ?? r.line };
  });
}

/** Settings of a materialization that name columns of the model's SELECT. */
const COLUMN_SETTINGS = [
  "partition_by",
  "merge_update_columns",
  "merge_exclude_columns",
  "watermark",
  "event_time",
  "updated_at",
  "check_cols",
];

/**
 * Reports to the model's YAML each column its configuration names that its
 * SELECT does not give (`columns`): `unique_key`, the materialization's
 * column settings and the checks' `column`, with the closest column.
 */
function checkConfigColumns(
  model: ConfiguredModel,
  columns: readonly string[],
  entry: { file: YamlFile; path: YamlPath },
): void {
  const check = (named: unknown, path: YamlPath) => {
    const list = typeof named === "string" ? [named] : Array.isArray(named) ? named : [];
    list.forEach((column, i) => {
      if (typeof column !== "string" || columns.includes(column.toLowerCase())) return;
      // A setting of "all" columns (check_cols: all) names none.
      if (column === "all" && typeof named === "string") return;
      const guess = closest(column.toLowerCase(), columns);
      entry.file.report(
        Array.isArray(named) ? [...path, i] : path,
        `"${column}" is no column of ${model.id}${
          guess ? ` (did you mean "${guess}"?)` : `: its SELECT gives ${columns.join(", ")}`
        }`,
      );
    });
  };
  const at = [...entry.path, "config"];
  check(model.config.uniqueKey, [...at, "unique_key"]);
  for (const key of COLUMN_SETTINGS) check(model.config.options[key], [...at, key]);
  for (const c of model.checks) {
    if (c.column !== undefined) check(c.column, [...entry.path, "checks", c.name, "column"]);
  }
}

/** Options of {@linkcode parseNodes}. */
export interface ParseNodesOptions {
  /**
   * A plain-SQL project (no dbt_project.yml): SQL that fails to parse and
   * holds Jinja (`{{ … }}`, `{% … %}`) gets a hint that it needs a dbt project.
   */
  plainSql?: boolean;
  /**
   * The variables the project declares: a `wharf_var('name')` of any other
   * name is a problem where it is written (it would read NULL).
   */
  vars?: readonly string[];
}

/**
 * The hint for Jinja in a plain-SQL project's SQL that did not parse: how
 * such a project names relations (each `ref()`/`source()` of the text
 * written that way, the closest model or seed for a name that is none),
 * and that Jinja needs a dbt project.
 */
export function jinjaHint(text: string, nodes: readonly { id: string; name: string }[]): string {
  const calls = [
    ...text.matchAll(/\b(ref|source)\s*\(\s*((?:['"][^'"]*['"]\s*,?\s*)+)\)/g),
  ].map((m) => ({
    call: m[0].replace(/\s+/g, " "),
    kind: m[1]!,
    args: [...m[2]!.matchAll(/['"]([^'"]*)['"]/g)].map((a) => a[1]!),
  }));
  const rewrites = [
    ...new Set(
      calls.map(({ call, kind, args }) => {
        if (kind === "source") {
          return args.length === 2 ? `${call} as ${args.join(".")}` : undefined;
        }
        const name = (args.at(-1) ?? "").toLowerCase();
        const node = nodes.find((n) => n.name === name) ??
          nodes.find((n) => n.name === closest(name, nodes.map((x) => x.name)));
        return node && `${call} as ${node.id}${node.name === name ? "" : ", the closest name"}`;
      }).filter((r) => r !== undefined),
    ),
  ];
  return `plain-SQL models name relations as schema.name${
    rewrites.length ? ` (write ${rewrites.join("; ")})` : " (staging.stg_orders)"
  }, with no template language: Jinja ({{ ref() }}, {% … %}) needs a dbt project, with dbt_project.yml at its root (see "Coming from dbt" in the README)`;
}

/**
 * Parses the rendered SQL of `project`'s models and singular tests, and
 * its models' check expressions.
 *
 * @returns the nodes; the columns of each model (lower case, by id) where
 * its SELECT names them all and its relation has no others (a snapshot's
 * has its validity columns); and every problem (each in the file and at
 * the line the user wrote).
 */
export async function parseNodes(
  project: ConfiguredProject,
  rendered: ReadonlyMap<string, RenderedSql>,
  parse: SqlParser,
  options: ParseNodesOptions = {},
): Promise<{
  models: ModelNode[];
  tests: SingularTestNode[];
  columns: Map<string, readonly string[]>;
  issues: ProjectIssue[];
}> {
  const issues: ProjectIssue[] = [];
  const texts = [
    ...project.models.map((m) => ({ id: m.id, path: m.path, sql: rendered.get(m.id) })),
    ...project.singularTests.map((t) => ({ id: t.id, path: t.path, sql: rendered.get(t.id) })),
  ].filter((t): t is { id: string; path: string; sql: RenderedSql } => t.sql !== undefined);
  const results = await parse(texts.map((t) => trimSql(t.sql.text)));
  const parsed = new Map<string, { ast: unknown; sql: RenderedSql }>();
  // A dbt model reading the warehouse renders, while the project is read, as dbt parses it
  // (run_query() none), which need not be SQL: it is parsed once rendered against the warehouse.
  const atRun = new Set(project.models.filter((m) => m.renderedAtRun).map((m) => m.id));
  texts.forEach(({ id, path, sql }, i) => {
    const r = results[i]!;
    if (!r.ok && atRun.has(id)) return;
    if (!r.ok) {
      const at = r.position === undefined ? undefined : lineColumn(sql.text, r.position);
      const message = /Only SELECT statements/i.test(r.message)
        ? "A model must be one SELECT statement (CTEs allowed): found another kind of statement"
        : `Cannot parse SQL: ${r.message}${
          options.plainSql && /\{\{|\{%/.test(sql.text)
            ? `: ${jinjaHint(sql.text, [...project.models, ...project.seeds])}`
            : ""
        }`;
      issues.push({ message, location: sourceLocation(path, sql, at?.line, at?.column) });
      return;
    }
    const statements = (r.ast as { statements?: unknown[] }).statements ?? [];
    if (statements.length !== 1) {
      issues.push({
        message:
          `Expected one SELECT statement, found ${statements.length}: split them into separate files`,
        location: { file: path },
      });
      return;
    }
    parsed.set(id, { ast: r.ast, sql });
  });

  const models: ModelNode[] = project.models.map((m) => {
    const p = parsed.get(m.id);
    return {
      ...m,
      sql: p?.sql.text ?? rendered.get(m.id)?.text ?? "",
      refs: p ? refsIn(p.ast, p.sql) : [],
      ...(p?.sql.firstBuild ? { firstBuild: p.sql.firstBuild } : {}),
      checkRefs: [],
      columnLineage: p ? columnLineage(p.ast) : {},
    };
  });
  const tests: SingularTestNode[] = project.singularTests.map((t) => {
    const p = parsed.get(t.id);
    return {
      kind: "singular_test",
      ...t,
      sql: p?.sql.text ?? rendered.get(t.id)?.text ?? "",
      refs: p ? refsIn(p.ast, p.sql) : [],
    };
  });

  if (options.vars) {
    for (const { id, path } of texts) {
      const p = parsed.get(id);
      if (p) issues.push(...undeclaredVars(varReads(p.ast, p.sql.text), options.vars, path, p.sql));
    }
  }

  // The columns each model's SELECT gives, where it names them all.
  const selected = new Map<string, string[]>();
  for (const model of project.models) {
    const p = parsed.get(model.id);
    const columns = p && outputColumns(p.ast);
    if (columns) selected.set(model.id, columns);
  }
  if (options.plainSql) {
    for (const model of project.models) {
      const entry = project.entries.get(model.id);
      const columns = selected.get(model.id);
      if (entry && columns) checkConfigColumns(model, columns, entry);
    }
  }
  // A snapshot's table has its validity columns besides its SELECT's.
  const columns = new Map(
    project.models.filter((m) => !findMaterialization(m.config.materialized)?.snapshot)
      .flatMap((m) => selected.has(m.id) ? [[m.id, selected.get(m.id)!] as const] : []),
  );

  // Check expressions: the relations they read are dependencies too.
  const checked = models.flatMap((m) => m.checks.map((check) => ({ model: m, check })));
  const checkResults = await parse(
    checked.map(({ check }) => `SELECT (${check.expression}) AS ok`),
  );
  checked.forEach(({ model, check }, i) => {
    const r = checkResults[i]!;
    if (!r.ok) {
      const entry = project.entries.get(model.id);
      issues.push({
        message: `Cannot parse check "${check.name}" of ${model.id}: ${r.message}`,
        location: entry?.file.locate([...entry.path, "checks", check.name]) ??
          { file: model.path },
      });
      return;
    }
    model.checkRefs.push(...extractRelations(r.ast, check.expression));
    if (options.vars) {
      const entry = project.entries.get(model.id);
      const location = entry?.file.locate([...entry.path, "checks", check.name]) ??
        { file: model.path };
      for (const read of varReads(r.ast, check.expression)) {
        const [issue] = undeclaredVars([read], options.vars, model.path);
        if (issue) {
          issues.push({
            ...issue,
            message: `Check "${check.name}" of ${model.id}: ${issue.message}`,
            location,
          });
        }
      }
    }
  });
  return { models, tests, columns, issues };
}

/**
 * A problem for each read of a variable that `declared` lacks, at the line
 * it is written, with the closest declared name.
 */
function undeclaredVars(
  reads: readonly { name: string; line: number; column: number }[],
  declared: readonly string[],
  path: string,
  rendered?: RenderedSql,
): ProjectIssue[] {
  return reads.filter((r) => !declared.includes(r.name)).map((r) => {
    const guess = closest(r.name, declared);
    return {
      message: `wharf_var('${r.name}'): the project declares no variable "${r.name}"${
        guess ? ` (did you mean "${guess}"?)` : ""
      }, so it would read NULL: declare it under "vars" in wharf.config.ts${
        declared.length ? ` (declared: ${declared.join(", ")})` : ""
      }`,
      location: rendered
        ? sourceLocation(path, rendered, r.line, r.column)
        : { file: path, line: r.line, column: r.column },
    };
  });
}
