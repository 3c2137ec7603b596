/**
 * dbt's `{% docs name %}…{% enddocs %}` blocks (in `.md` files of the
 * project and its packages) and `doc('name')` in descriptions: a
 * description is rendered, so what `wharf docs` and the manifest show is
 * the block's text. An unknown name is an error at the description's file
 * and line, with the closest name.
 *
 * @module
 */
import { Environment } from "minijinja-js";
import type { ProjectIssue } from "../errors.ts";
import { closest } from "../suggest.ts";

/** A docs block. */
export interface DocsBlock {
  name: string;
  /** The package it belongs to; undefined for the project's own. */
  package?: string;
  path: string;
  line: number;
  /** Its text, trimmed. */
  text: string;
}

/** Renders a description: its text, and each problem reported. */
export type Describe = (raw: string, report: (message: string) => void) => string;

const BLOCK = /\{%-?\s*docs\s+([A-Za-z_][\w]*)\s*-?%\}([\s\S]*?)\{%-?\s*enddocs\s*-?%\}/g;

/**
 * The docs blocks of a `.md` file (`path`, relative to the project root).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readDocsBlocks } from "./docs_blocks.ts";
 *
 * const { blocks } = readDocsBlocks("models/docs.md", "# Notes\n{% docs orders %}\nOne row per order.\n{% enddocs %}\n");
 * assert.deepEqual(blocks.map((b) => [b.name, b.line, b.text]), [["orders", 2, "One row per order."]]);
 * ```
 */
export function readDocsBlocks(
  path: string,
  text: string,
  pkg?: string,
): { blocks: DocsBlock[]; issues: ProjectIssue[] } {
  const blocks: DocsBlock[] = [];
  const issues: ProjectIssue[] = [];
  const lineAt = (index: number) => text.slice(0, index).split("\n").length;
  let covered = 0;
  for (const m of text.matchAll(BLOCK)) {
    blocks.push({
      name: m[1]!,
      ...(pkg === undefined ? {} : { package: pkg }),
      path,
      line: lineAt(m.index),
      text: m[2]!.trim(),
    });
    covered++;
  }
  const opened = [...text.matchAll(/\{%-?\s*docs\b/g)];
  if (opened.length > covered) {
    const unclosed = opened.find((o) => !blocks.some((b) => lineAt(o.index) === b.line)) ??
      opened[0]!;
    issues.push({
      message:
        "a {% docs %} block that is not closed or not named: write {% docs name %}…{% enddocs %}",
      location: { file: path, line: lineAt(unclosed.index) },
    });
  }
  return { blocks, issues };
}

/**
 * What renders descriptions: `doc('name')` (the project's blocks, else a
 * package's) and `doc('package', 'name')`. Two blocks of one name in one
 * package are reported in `issues`.
 */
export function describer(
  blocks: readonly DocsBlock[],
  project: string,
): { describe: Describe; issues: ProjectIssue[] } {
  const issues: ProjectIssue[] = [];
  const byKey = new Map<string, DocsBlock>();
  for (const b of blocks) {
    const key = `${b.package ?? project}.${b.name}`;
    const first = byKey.get(key);
    if (first) {
      issues.push({
        message:
          `docs block "${b.name}" is defined twice (also at ${first.path}:${first.line}): rename one`,
        location: { file: b.path, line: b.line },
      });
    } else byKey.set(key, b);
  }
  const env = new Environment();
  env.undefinedBehavior = "strict";
  let problems: string[] = [];
  env.addGlobal("doc", (...args: unknown[]) => {
    const [pkg, name] = args.length >= 2
      ? [String(args[0]), String(args[1])]
      : [undefined, String(args[0])];
    const found = byKey.get(`${pkg ?? project}.${name}`) ??
      (pkg === undefined ? blocks.find((b) => b.name === name) : undefined);
    if (found) return found.text;
    const guess = closest(name, [...new Set(blocks.map((b) => b.name))]);
    problems.push(
      `doc(${pkg === undefined ? "" : `"${pkg}", `}"${name}"): no docs block named "${name}"${
        guess ? ` (did you mean "${guess}"?)` : ""
      }: define it in a .md file with {% docs ${name} %}…{% enddocs %}`,
    );
    return "";
  });
  const describe: Describe = (raw, report) => {
    if (!raw.includes("{{") && !raw.includes("{%")) return raw;
    problems = [];
    let out: string;
    try {
      out = env.renderStr(raw, {});
    } catch (err) {
      const first = problems[0];
      report(first ?? `cannot render the description: ${String(err).split("\n")[0]}`);
      return raw;
    }
    for (const p of problems) report(p);
    return out;
  };
  return { describe, issues };
}
