/**
 * `sources:` in a plain-SQL project's model YAML: names for the tables
 * models read (landed `raw.*` tables), with dbt's `loaded_at_field` and
 * `freshness:` for `wharf source freshness`, and `optional: true` with
 * `columns:` for a table that may not be landed yet (models then read it as
 * an empty table of those columns instead of being skipped). A table's `loaded_at_field`
 * defaults to `_landed_at`, the lineage column `wharf land` gives every raw
 * row. Keys dbt has that a plain-SQL project does not use (tests on
 * sources, `quoting` …) are errors naming them.
 *
 * @module
 */
import { closest } from "../suggest.ts";
import type { DeclaredSource, SourceColumn } from "../types.ts";
import { describe, type YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import { isRecord } from "../yaml/yaml_schema.ts";
import { checkFreshnessOrder, inheritFreshness, readFreshness } from "./read_freshness.ts";

/** The lineage column every landed row carries: when it was landed. */
export const LANDED_AT = "_landed_at";

const SOURCE_KEYS = ["name", "description", "schema", "tables", "loaded_at_field", "freshness"];
const TABLE_KEYS = [
  "name",
  "description",
  "identifier",
  "loaded_at_field",
  "freshness",
  "optional",
  "columns",
];
const COLUMN_KEYS = ["name", "description", "data_type"];

function checkKeys(
  file: YamlFile,
  path: YamlPath,
  value: Record<string, unknown>,
  what: string,
  known: readonly string[],
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const guess = closest(key, known);
    file.report(
      [...path, key],
      `"${key}" in ${what} is not read in a plain-SQL project${
        guess ? ` (did you mean "${guess}"?)` : ""
      }: it takes ${known.join(", ")}`,
      { key: true },
    );
  }
}

function text(file: YamlFile, path: YamlPath, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string" && value.trim()) return value;
  file.report(path, `expected a name, got ${describe(value)}`);
  return undefined;
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A table's `columns:`: each a mapping with a `name`, its type `data_type` (VARCHAR by default). */
function readColumns(file: YamlFile, path: YamlPath, value: unknown): SourceColumn[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    file.report(path, `expected a list of columns, got ${describe(value)}`);
    return undefined;
  }
  const out: SourceColumn[] = [];
  value.forEach((c: unknown, k: number) => {
    const cPath = [...path, k];
    if (!isRecord(c) || typeof c.name !== "string" || !c.name.trim()) {
      file.report(cPath, `expected a mapping with a "name", got ${describe(c)}`);
      return;
    }
    checkKeys(file, cPath, c, `column "${c.name}"`, COLUMN_KEYS);
    const type = text(file, [...cPath, "data_type"], c.data_type) ?? "VARCHAR";
    out.push({ name: c.name, type });
  });
  return out;
}

/**
 * Reads the `sources:` list of a model YAML file, reporting problems in the
 * file. `declared` holds the tables of the files read before (by source and
 * table name): one declared twice is an error. Several tables may read one
 * relation (each with its own freshness rule): they are names of its node.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { YamlFile } from "../yaml/yaml_file.ts";
 * import { readSources } from "./read_sources.ts";
 *
 * const file = new YamlFile(
 *   "models/staging/sources.yml",
 *   "sources:\n  - name: visitpay\n    schema: raw\n    freshness: { error_after: { count: 1, period: day } }\n    tables:\n      - name: visitpay_visit\n",
 * );
 * const [visit] = readSources(file);
 * assert.equal(visit!.relation, "raw.visitpay_visit");
 * assert.equal(visit!.loadedAtField, "_landed_at");
 * assert.deepEqual(visit!.freshness, { errorAfter: { count: 1, period: "day" } });
 * ```
 */
export function readSources(
  file: YamlFile,
  declared: Map<string, DeclaredSource> = new Map(),
): DeclaredSource[] {
  const data = file.data;
  if (!isRecord(data) || data.sources === undefined || data.sources === null) return [];
  if (!Array.isArray(data.sources)) {
    file.report(["sources"], `expected a list of sources, got ${describe(data.sources)}`);
    return [];
  }
  const out: DeclaredSource[] = [];
  data.sources.forEach((s: unknown, i: number) => {
    const path = ["sources", i];
    if (!isRecord(s) || typeof s.name !== "string") {
      file.report(path, `expected a mapping with a "name", got ${describe(s)}`);
      return;
    }
    const name = s.name;
    checkKeys(file, path, s, `source "${name}"`, SOURCE_KEYS);
    const schema = text(file, [...path, "schema"], s.schema) ?? name;
    const loadedAt = text(file, [...path, "loaded_at_field"], s.loaded_at_field);
    const freshness = readFreshness(file, [...path, "freshness"], s.freshness);
    if (!Array.isArray(s.tables)) {
      file.report([...path, "tables"], `expected a list of tables, got ${describe(s.tables)}`);
      return;
    }
    s.tables.forEach((t: unknown, j: number) => {
      const tPath = [...path, "tables", j];
      if (!isRecord(t) || typeof t.name !== "string") {
        file.report(tPath, `expected a mapping with a "name", got ${describe(t)}`);
        return;
      }
      checkKeys(file, tPath, t, `table "${t.name}" of source "${name}"`, TABLE_KEYS);
      const identifier = text(file, [...tPath, "identifier"], t.identifier) ?? t.name;
      const rule = inheritFreshness(
        freshness,
        readFreshness(file, [...tPath, "freshness"], t.freshness),
      );
      checkFreshnessOrder(file, tPath, rule);
      const relation = `${schema}.${identifier}`.toLowerCase();
      const key = `${name}.${t.name}`;
      const columns = readColumns(file, [...tPath, "columns"], t.columns);
      if (t.optional !== undefined && typeof t.optional !== "boolean") {
        file.report([...tPath, "optional"], `expected true or false, got ${describe(t.optional)}`);
      }
      const optional = t.optional === true;
      if (optional && !columns?.length) {
        file.report(
          [...tPath, "optional"],
          `table "${t.name}" of source "${name}" is optional but lists no columns: list them under "columns:" (name, and data_type when not VARCHAR), as models read it before it is landed`,
        );
      }
      const first = declared.get(key);
      if (first) {
        file.report(
          tPath,
          `table "${t.name}" of source "${name}" is declared twice (also at ${first.location.file}:${
            first.location.line ?? ""
          })`,
        );
        return;
      }
      out.push({
        source: name,
        table: t.name,
        relation,
        sql: `${quote(schema)}.${quote(identifier)}`,
        loadedAtField: text(file, [...tPath, "loaded_at_field"], t.loaded_at_field) ?? loadedAt ??
          LANDED_AT,
        ...(rule ? { freshness: rule } : {}),
        ...(optional ? { optional } : {}),
        ...(columns ? { columns } : {}),
        location: file.locate(tPath),
      });
      declared.set(key, out.at(-1)!);
    });
  });
  return out;
}
