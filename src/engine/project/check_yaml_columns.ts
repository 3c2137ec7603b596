/**
 * The columns a model's YAML names that its SELECT does not give, found
 * before anything runs where the SELECT names each of its columns
 * (`output_columns.ts`): a column of its `columns:` (described or tested),
 * a test's `column_name`, and the `field` of a `relationships` test whose
 * `to` is a model with known columns. Each is reported at its YAML line,
 * with the model and the closest column.
 *
 * @module
 */
import type { ProjectIssue } from "../errors.ts";
import { closest } from "../suggest.ts";
import type { ColumnDoc, GenericTestNode } from "../types.ts";
import { formatYamlPath, type YamlFile, type YamlPath } from "../yaml/yaml_file.ts";

/** A model as {@linkcode checkYamlColumns} reads it. */
export interface YamlColumnsModel {
  id: string;
  columns: readonly ColumnDoc[];
}

/** Where a model's YAML entry and each of its `columns:` are. */
export interface YamlColumnsEntry {
  file: YamlFile;
  /** Where each of the model's `columns` is declared, in their order. */
  columnPaths?: readonly YamlPath[];
}

/** Options of {@linkcode checkYamlColumns}. */
export interface CheckYamlColumnsOptions {
  /**
   * A dbt project: dbt accepts such columns, so each is a warning, and a
   * name that is no identifier (dbt writes a column's name into the test's
   * SQL as it is: an expression) is not judged. Otherwise a tested column
   * (or a `field`) is an error, its test would fail as it ran, and a
   * described one a warning.
   */
  dbt?: boolean;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reports the columns `models`' YAML names that their SELECT does not give
 * (`known`: each model's output columns, lower case, where they are known).
 *
 * @returns the problems, in the order of their files and lines.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkYamlColumns } from "./check_yaml_columns.ts";
 * import { YamlFile } from "../yaml/yaml_file.ts";
 *
 * const file = new YamlFile(
 *   "models/staging/staging.yml",
 *   "models:\n  - name: stg_sales\n    columns:\n      - name: sale_dat\n",
 * );
 * const issues = checkYamlColumns(
 *   [{ id: "staging.stg_sales", columns: [{ name: "sale_dat", description: "" }] }],
 *   [],
 *   {
 *     known: new Map([["staging.stg_sales", ["sale_date", "sku"]]]),
 *     entries: new Map([["staging.stg_sales", { file, columnPaths: [["models", 0, "columns", 0]] }]]),
 *   },
 * );
 * assert.deepEqual(issues, [{
 *   message:
 *     'models[0].columns[0].name: "sale_dat" is no column of staging.stg_sales (did you mean "sale_date"?): its description documents no column',
 *   location: { file: "models/staging/staging.yml", line: 4, column: 15 },
 *   warning: true,
 * }]);
 * ```
 */
export function checkYamlColumns(
  models: readonly YamlColumnsModel[],
  tests: readonly GenericTestNode[],
  project: {
    known: ReadonlyMap<string, readonly string[]>;
    entries: ReadonlyMap<string, YamlColumnsEntry>;
  },
  options: CheckYamlColumnsOptions = {},
): ProjectIssue[] {
  const { known, entries } = project;
  const issues: ProjectIssue[] = [];
  /** The model's known columns when `name` is none of them (and is judged), else undefined. */
  const lacking = (id: string, name: string) => {
    const columns = known.get(id);
    if (!columns || (options.dbt && !IDENTIFIER.test(name))) return undefined;
    return columns.includes(name.toLowerCase()) ? undefined : columns;
  };
  const noColumn = (name: string, id: string, columns: readonly string[]) => {
    const guess = closest(name.toLowerCase(), columns);
    return `"${name}" is no column of ${id}${
      guess ? ` (did you mean "${guess}"?)` : `: its SELECT gives ${columns.join(", ")}`
    }`;
  };
  const byName = new Map<string, string[]>();
  for (const { id } of models) {
    const name = id.split(".").pop()!;
    byName.set(name, [...byName.get(name) ?? [], id]);
  }
  const testsOf = new Map<string, GenericTestNode[]>();
  for (const t of tests) {
    const own = testsOf.get(t.attachedTo);
    if (own) own.push(t);
    else testsOf.set(t.attachedTo, [t]);
  }

  for (const model of models) {
    const own = testsOf.get(model.id) ?? [];
    const entry = entries.get(model.id);
    const declared = new Set(model.columns.map((c) => c.name.toLowerCase()));
    model.columns.forEach((c, i) => {
      const at = entry?.columnPaths?.[i];
      const columns = lacking(model.id, c.name);
      if (!at || !columns) return;
      const tested = own.some((t) => t.test.column?.toLowerCase() === c.name.toLowerCase());
      const path = [...at, "name"];
      issues.push({
        message: `${formatYamlPath(path)}: ${noColumn(c.name, model.id, columns)}: ${
          tested ? "its tests would fail when run" : "its description documents no column"
        }`,
        location: entry!.file.locate(path),
        ...(options.dbt || !tested ? { warning: true } : {}),
      });
    });
    for (const t of own) {
      // A test's `column_name` of a column its model's `columns:` does not list.
      const column = t.test.column;
      const columns = column !== undefined && !declared.has(column.toLowerCase()) &&
        lacking(model.id, column);
      if (columns) {
        issues.push({
          message: `Test "${t.name}": ${noColumn(column!, model.id, columns)}`,
          location: t.location,
          ...(options.dbt ? { warning: true } : {}),
        });
      }
    }
  }

  // A relationships test's `field`, where its `to` is a model whose columns are known.
  for (const t of tests) {
    const field = t.test.args.field;
    const to = t.test.reads[0];
    if (t.test.kind !== "relationships" || typeof field !== "string" || to === undefined) continue;
    // As the graph resolves it: a model's relation, or a name only one model has.
    const named = byName.get(to) ?? [];
    const target = known.has(to) ? to : named.length === 1 ? named[0]! : undefined;
    const columns = target && lacking(target, field);
    if (!columns) continue;
    issues.push({
      message: `Test "${t.name}": relationships field ${noColumn(field, target, columns)}`,
      location: t.location,
      ...(options.dbt ? { warning: true } : {}),
    });
  }
  // In the order of the files and their lines.
  return issues.sort((a, b) =>
    a.location.file.localeCompare(b.location.file) ||
    (a.location.line ?? 0) - (b.location.line ?? 0)
  );
}
