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
import { columnLineage } from "./column_lineage.ts";
import type { ConfiguredProject } from "./merge_config.ts";
import { extractRelations, lineColumn, trimSql } from "./relations.ts";
import { type RenderedSql, sourceLocation } from "./render.ts";
import type { ModelNode, RelationRef, SingularTestNode } from "../types.ts";

/** A SQL parser: one result per text, in order (DuckDB's is `parseSql`). */
export type SqlParser = (texts: readonly string[]) => Promise<ParseResult[]>;

/** The references of `sql`, their lines and columns mapped back to the file. */
function refsIn(ast: unknown, rendered: RenderedSql): RelationRef[] {
  return extractRelations(ast, rendered.text).map((r) => {
    if (!rendered.sourceLines) return r;
    const { column: _column, ...rest } = r;
    return { ...rest, line: rendered.sourceLines[r.line - 1] ?? r.line };
  });
}

/**
 * Parses the rendered SQL of `project`'s models and singular tests, and
 * its models' check expressions.
 *
 * @returns the nodes, and every problem (each in the file and at the line
 * the user wrote).
 */
export async function parseNodes(
  project: ConfiguredProject,
  rendered: ReadonlyMap<string, RenderedSql>,
  parse: SqlParser,
): Promise<{ models: ModelNode[]; tests: SingularTestNode[]; issues: ProjectIssue[] }> {
  const issues: ProjectIssue[] = [];
  const texts = [
    ...project.models.map((m) => ({ id: m.id, path: m.path, sql: rendered.get(m.id) })),
    ...project.singularTests.map((t) => ({ id: t.id, path: t.path, sql: rendered.get(t.id) })),
  ].filter((t): t is { id: string; path: string; sql: RenderedSql } => t.sql !== undefined);
  const results = await parse(texts.map((t) => trimSql(t.sql.text)));
  const parsed = new Map<string, { ast: unknown; sql: RenderedSql }>();
  texts.forEach(({ id, path, sql }, i) => {
    const r = results[i]!;
    if (!r.ok) {
      const at = r.position === undefined ? undefined : lineColumn(sql.text, r.position);
      const message = /Only SELECT statements/i.test(r.message)
        ? "A model must be one SELECT statement (CTEs allowed): found another kind of statement"
        : `Cannot parse SQL: ${r.message}`;
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
  });
  return { models, tests, issues };
}
