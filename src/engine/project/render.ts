/**
 * The fourth stage of loading a project: render each model's and singular
 * test's SQL text before DuckDB parses it. Plain SQL renders as itself; a
 * project whose SQL is a template (dbt's Jinja) plugs its renderer in here,
 * through the `render` option of `loadProject()`, and maps the lines it
 * produces back to the lines of the file so every problem found later
 * points at the line the user wrote.
 *
 * @module
 */
import { join } from "node:path";
import type { ProjectIssue, SourceLocation } from "../errors.ts";

/** What a render hook is told about the text it renders. */
export interface RenderContext {
  /** A model's SELECT or a singular test's query. */
  kind: "model" | "test";
  /** The node's id: `staging.stg_members`, `test.no_orphans`. */
  id: string;
  /** The project's variables (`vars` in wharf.config.ts, `--vars`). */
  vars: Readonly<Record<string, string>>;
  /** The absolute project root. */
  root: string;
}

/** A rendered SQL text, and where its lines come from. */
export interface RenderedSql {
  text: string;
  /**
   * For each line of `text` (index 0 is line 1), the 1-based line of the
   * file it comes from. Absent when the lines are the file's own (plain SQL):
   * then columns are the file's too.
   */
  sourceLines?: number[];
  /**
   * The part of `text` (`text.slice(start, end)`) that is the SELECT of the
   * model's first build, when `text` holds two: a dbt incremental model
   * whose `is_incremental()` changes its SQL, rendered both ways. Its first
   * build runs that part alone, as dbt runs only the render it needs.
   */
  firstBuild?: { start: number; end: number };
}

/** Renders one file's text: `(file, text, context) → text`, with its source lines. */
export type RenderHook = (
  file: string,
  text: string,
  context: RenderContext,
) => RenderedSql | Promise<RenderedSql>;

/** The render hook of plain SQL: the text as it is. */
export const renderPlainSql: RenderHook = (_file, text) => ({ text });

/**
 * Where `line` (and `column`) of a rendered text of `file` came from: the
 * same place for plain SQL, the mapped line (without a column) otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sourceLocation } from "./render.ts";
 *
 * assert.deepEqual(sourceLocation("a.sql", { text: "select 1" }, 1, 8), {
 *   file: "a.sql",
 *   line: 1,
 *   column: 8,
 * });
 * const rendered = { text: "select\n1", sourceLines: [3, 3] };
 * assert.deepEqual(sourceLocation("a.sql", rendered, 2, 1), { file: "a.sql", line: 3 });
 * ```
 */
export function sourceLocation(
  file: string,
  rendered: RenderedSql,
  line?: number,
  column?: number,
): SourceLocation {
  if (line === undefined) return { file };
  if (!rendered.sourceLines) return column === undefined ? { file, line } : { file, line, column };
  const source = rendered.sourceLines[line - 1];
  return source === undefined ? { file } : { file, line: source };
}

/** A file to render. */
export interface RenderTarget extends Omit<RenderContext, "vars" | "root"> {
  /** Relative to the project root. */
  path: string;
  /**
   * The text to render, when it is not the file's (a snapshot defined in
   * YAML: `select * from` its relation); then every line it renders to is
   * `line` of the file.
   */
  text?: string;
  /** With `text`: the line of the file it is written at. */
  line?: number;
}

/**
 * Reads and renders each target with `hook`. A hook that throws is a
 * problem of that file, reported with the others.
 *
 * @param known Texts of the files already read, by path: not read again.
 * @returns the rendered text by node id, the problems, and the text of each
 * file rendered, by path.
 */
export async function renderSql(
  targets: readonly RenderTarget[],
  hook: RenderHook,
  context: Pick<RenderContext, "vars" | "root">,
  known?: ReadonlyMap<string, string>,
): Promise<
  { rendered: Map<string, RenderedSql>; issues: ProjectIssue[]; files: Map<string, string> }
> {
  const rendered = new Map<string, RenderedSql>();
  const issues: ProjectIssue[] = [];
  const files = new Map<string, string>();
  const texts = await Promise.all(
    targets.map(async (t) => {
      if (t.text !== undefined) return t.text;
      const text = known?.get(t.path) ?? await Deno.readTextFile(join(context.root, t.path));
      files.set(t.path, text);
      return text;
    }),
  );
  for (const [i, t] of targets.entries()) {
    try {
      const out = await hook(t.path, texts[i]!, { ...context, kind: t.kind, id: t.id });
      rendered.set(
        t.id,
        t.text !== undefined && t.line !== undefined
          ? { text: out.text, sourceLines: out.text.split("\n").map(() => t.line!) }
          : out,
      );
    } catch (err) {
      // A hook's error may say the line of the file it is about.
      const errLine = (err as { line?: unknown })?.line;
      const line = t.text !== undefined ? t.line : errLine;
      issues.push({
        message: `Cannot render the SQL: ${err instanceof Error ? err.message : String(err)}`,
        location: typeof line === "number" ? { file: t.path, line } : { file: t.path },
      });
    }
  }
  return { rendered, issues, files };
}
