/**
 * Unit tests as YAML declares them (`unit_tests:`, dbt's format), for
 * plain-SQL and dbt projects alike: read and validated here (every key
 * checked, fixtures read), then resolved against the loaded models by
 * {@linkcode resolveUnitTests} with the project's own way of naming inputs.
 *
 * @module
 */
import { existsSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { z } from "../zod.ts";
import { checkVar, type VarType } from "../check_var.ts";
import { materialization } from "../materializations/index.ts";
import { closest } from "../suggest.ts";
import type { ModelNode, UnitTestData, UnitTestInput, UnitTestNode } from "../types.ts";
import { describe, type YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import {
  flag,
  isRecord,
  list,
  mapping,
  oneOf,
  readMapping,
  text,
  textList,
} from "../yaml/yaml_schema.ts";
import { withArticle } from "../with_article.ts";

/** A unit test as declared, its inputs not yet resolved. */
export interface DeclaredUnitTest {
  file: YamlFile;
  path: YamlPath;
  name: string;
  /** The model as written (`int_members`, or `intermediate.int_members` in plain SQL). */
  model: string;
  description: string;
  tags: string[];
  enabled: boolean;
  given: { input: string; data: UnitTestData; path: YamlPath }[];
  expect: UnitTestData;
  vars: Record<string, unknown>;
  macros: Record<string, unknown>;
  envVars: Record<string, string>;
}

const FORMATS = ["dict", "csv", "sql"] as const;

const rowsEntry = {
  format: oneOf(FORMATS).optional(),
  rows: z.unknown().optional(),
  fixture: text("the name of a fixture file").optional(),
};
const givenEntry = mapping("a unit test's input", {
  input: text("ref('…'), source('…', '…') or this"),
  ...rowsEntry,
});
const expectEntry = mapping("a unit test's expect", rowsEntry);
const scalars = (what: string) =>
  z.record(z.string(), z.unknown(), {
    error: (iss) => `expected a mapping of ${what}, got ${describe(iss.input)}`,
  });
const overridesEntry = mapping("a unit test's overrides", {
  vars: scalars("variable names to values").optional(),
  macros: scalars("macro names to what they return").optional(),
  env_vars: scalars("environment variable names to values").optional(),
});
const configEntry = mapping("a unit test's config", {
  tags: textList().optional(),
  enabled: flag().optional(),
  meta: z.unknown().optional(),
});
const unitTestEntry = mapping((v) => `unit test "${String(v.name)}"`, {
  name: text("a name"),
  model: text("the name of a model", 'a unit test needs "model:"'),
  description: text().nullish(),
  given: list(z.unknown(), "a list of inputs").nullish(),
  expect: z.unknown().optional(),
  overrides: z.unknown().optional(),
  config: z.unknown().optional(),
});

/** Where a unit test reads its fixture files (`fixture: name`). */
export interface FixtureFolders {
  /** The project root (fixture paths in messages are relative to it). */
  root: string;
  /** Absolute folders, searched in order. */
  folders: readonly string[];
}

/** Reads `rows`/`format`/`fixture` of a `given:` or `expect:` entry. */
function readData(
  file: YamlFile,
  path: YamlPath,
  entry: { format?: (typeof FORMATS)[number]; rows?: unknown; fixture?: string },
  fixtures: FixtureFolders,
): UnitTestData | undefined {
  const format = entry.format ?? "dict";
  if (entry.rows !== undefined && entry.fixture !== undefined) {
    file.report(path, 'give either "rows" or "fixture", not both');
    return undefined;
  }
  if (entry.fixture !== undefined) {
    if (format === "dict") {
      file.report(
        [...path, "fixture"],
        'a fixture is a CSV or SQL file: say "format: csv" or "format: sql"',
      );
      return undefined;
    }
    const name = `${entry.fixture}.${format}`;
    const found = fixtures.folders.map((f) => join(f, name)).find((p) => existsSync(p));
    if (!found) {
      const known = fixtures.folders.flatMap((f) =>
        existsSync(f)
          ? readdirSync(f).filter((n) => n.endsWith(`.${format}`)).map((n) =>
            n.slice(0, -format.length - 1)
          )
          : []
      );
      const guess = closest(entry.fixture, known);
      file.report(
        [...path, "fixture"],
        `no fixture "${name}" in ${
          fixtures.folders.map((f) => relative(fixtures.root, f) || ".").join(", ")
        }${guess ? ` (did you mean "${guess}"?)` : ""}`,
      );
      return undefined;
    }
    const content = Deno.readTextFileSync(found);
    return format === "csv" ? { format, csv: content } : { format: "sql", sql: content };
  }
  if (entry.rows === undefined || entry.rows === null) {
    if (format === "dict") return { format, rows: [] };
    file.report(path, `format ${format} needs "rows" (its text) or "fixture"`);
    return undefined;
  }
  if (format !== "dict") {
    if (typeof entry.rows !== "string") {
      file.report(
        [...path, "rows"],
        `expected the ${format === "csv" ? "CSV" : "SQL"} as text (rows: |), got ${
          describe(entry.rows)
        }`,
      );
      return undefined;
    }
    return format === "csv" ? { format, csv: entry.rows } : { format, sql: entry.rows };
  }
  if (!Array.isArray(entry.rows) || !entry.rows.every(isRecord)) {
    file.report(
      [...path, "rows"],
      `expected a list of rows, each a mapping of column to value (or "format: csv" / "format: sql"), got ${
        describe(entry.rows)
      }`,
    );
    return undefined;
  }
  return { format, rows: entry.rows.map((r) => lowerKeys(r)) };
}

function lowerKeys(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * Reads the `unit_tests:` list of `file` (its value `raw`). Every problem
 * is reported to the file, with its line; a test with one is left out.
 */
export function readUnitTests(
  file: YamlFile,
  raw: unknown,
  fixtures: FixtureFolders,
): DeclaredUnitTest[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    file.report(["unit_tests"], `expected a list of unit tests, got ${describe(raw)}`);
    return [];
  }
  const out: DeclaredUnitTest[] = [];
  raw.forEach((item, i) => {
    const path = ["unit_tests", i];
    if (!isRecord(item) || typeof item.name !== "string") {
      file.report(path, `expected a mapping with a "name", got ${describe(item)}`);
      return;
    }
    const before = file.issues.length;
    const entry = readMapping(file, path, unitTestEntry, item);
    if (item.expect === undefined) file.report(path, 'a unit test needs "expect:"');
    const given = (entry?.given ?? []).flatMap((g, j) => {
      const gPath = [...path, "given", j];
      const read = readMapping(file, gPath, givenEntry, g);
      if (!read || read.input === undefined) return [];
      const data = readData(file, gPath, read, fixtures);
      return data ? [{ input: read.input.trim(), data, path: gPath }] : [];
    });
    const exp = item.expect === undefined
      ? undefined
      : readMapping(file, [...path, "expect"], expectEntry, item.expect);
    const expect = exp ? readData(file, [...path, "expect"], exp, fixtures) : undefined;
    const overrides = item.overrides === undefined || item.overrides === null
      ? {}
      : readMapping(file, [...path, "overrides"], overridesEntry, item.overrides) ?? {};
    const config = item.config === undefined || item.config === null
      ? {}
      : readMapping(file, [...path, "config"], configEntry, item.config) ?? {};
    if (file.issues.length > before || !entry?.model || !expect) return;
    out.push({
      file,
      path,
      name: item.name,
      model: entry.model,
      description: entry.description ?? "",
      tags: config.tags ?? [],
      enabled: config.enabled ?? true,
      given,
      expect,
      vars: overrides.vars ?? {},
      macros: overrides.macros ?? {},
      envVars: Object.fromEntries(
        Object.entries(overrides.env_vars ?? {}).map(([k, v]) => [k, String(v)]),
      ),
    });
  });
  return out;
}

/** How a project names the models and inputs of its unit tests. */
export interface UnitTestNames {
  /** The model `model:` names, or why none: a message (with the closest name). */
  model(name: string): ModelNode | string;
  /** The relation an `input:` stands for, or why none. `this` is handled before. */
  input(input: string): string | { error: string };
  /** How the unit test's message writes a relation `model` reads (`ref('x')`). */
  inputName(relation: string, model: ModelNode): string;
  /** True for a seed's relation: a seed not given is read as it is. */
  isSeed(relation: string): boolean;
  /** The variables `overrides.vars` may name; undefined: any (dbt's `var()` takes defaults). */
  vars?: readonly string[];
  /** The types the project declares for its variables: an `overrides.vars` value must fit. */
  varTypes?: Readonly<Record<string, VarType>>;
  /** Whether the project's models read environment variables (`overrides.env_vars`). */
  envVars: boolean;
}

/**
 * Resolves the declared unit tests: their model, and each input to a
 * relation the model reads. An unknown model or input is an issue naming
 * the closest; so are an input the model does not read, and a relation the
 * model reads (other than a seed, or itself) that no input gives. Every
 * problem is reported to the test's file.
 *
 * @returns each valid test with its declaration.
 */
export function resolveUnitTests(
  declared: readonly DeclaredUnitTest[],
  names: UnitTestNames,
): { test: UnitTestNode; declared: DeclaredUnitTest }[] {
  const tests: { test: UnitTestNode; declared: DeclaredUnitTest }[] = [];
  const seen = new Map<string, DeclaredUnitTest>();
  for (const d of declared) {
    const before = d.file.issues.length;
    const model = names.model(d.model);
    if (typeof model === "string") {
      d.file.report([...d.path, "model"], model);
      continue;
    }
    const id = `unit_test.${model.name}.${d.name.toLowerCase()}`;
    const first = seen.get(id);
    if (first) {
      d.file.report(
        [...d.path, "name"],
        `unit test "${d.name}" of ${model.id} is declared twice (also in ${first.file.path})`,
      );
      continue;
    }
    seen.set(id, d);
    if (!d.enabled) continue;
    if (!names.envVars && Object.keys(d.envVars).length) {
      d.file.report(
        [...d.path, "overrides", "env_vars"],
        "plain-SQL models read no environment variables (dbt models read them with env_var()): remove env_vars",
      );
    }
    for (const [name, value] of Object.entries(d.vars)) {
      const type = names.varTypes?.[name];
      const problem = type && ["string", "number", "boolean"].includes(typeof value)
        ? checkVar(type, String(value))
        : type && `${describe(value)} is no ${type}`;
      if (type && problem) {
        d.file.report(
          [...d.path, "overrides", "vars", name],
          `${problem} (the project declares "${name}" ${withArticle(type)})`,
        );
      }
      if (!names.vars || names.vars.includes(name)) continue;
      const guess = closest(name, names.vars);
      d.file.report(
        [...d.path, "overrides", "vars", name],
        `unknown variable "${name}"${guess ? ` (did you mean "${guess}"?)` : ""}: ${
          names.vars.length
            ? `the project declares ${names.vars.map((v) => `"${v}"`).join(", ")}`
            : "the project declares none"
        }`,
      );
    }
    // What the SELECT reads (a unit test runs the SELECT, not the model's row checks).
    const reads = [...new Set(model.refs.map((r) => r.relation))];
    const readsItself = reads.includes(model.id) ||
      materialization(model.config.materialized).readsItself;
    const given: UnitTestInput[] = [];
    for (const g of d.given) {
      const relation = /^this$/i.test(g.input) ? model.id : names.input(g.input);
      if (typeof relation !== "string") {
        d.file.report([...g.path, "input"], relation.error);
        continue;
      }
      if (relation === model.id && !readsItself) {
        d.file.report(
          [...g.path, "input"],
          `${model.id} does not read itself: "this" is the input of an incremental model that reads its own table`,
        );
        continue;
      }
      if (relation !== model.id && !reads.includes(relation)) {
        const others = reads.filter((r) => r !== model.id).map((r) => names.inputName(r, model));
        const guess = closest(g.input, others);
        d.file.report(
          [...g.path, "input"],
          `${model.id} does not read "${g.input}"${guess ? ` (did you mean "${guess}"?)` : ""}: ${
            others.length
              ? `it reads ${others.map((o) => `"${o}"`).join(", ")}`
              : "it reads no other relation"
          }`,
        );
        continue;
      }
      if (given.some((x) => x.relation === relation)) {
        d.file.report([...g.path, "input"], `"${g.input}" is given twice`);
        continue;
      }
      given.push({ input: g.input, relation, data: g.data });
    }
    const missing = reads.filter((r) =>
      r !== model.id && !names.isSeed(r) && !given.some((g) => g.relation === r)
    );
    if (missing.length) {
      d.file.report(
        [...d.path, "given"],
        `${model.id} reads ${
          missing.map((m) => `"${names.inputName(m, model)}"`).join(", ")
        }: give ${missing.length === 1 ? "it" : "each"} as an input (rows: [] for none)`,
      );
    }
    if (d.file.issues.length > before) continue;
    const test: UnitTestNode = {
      kind: "unit_test",
      id,
      name: d.name.toLowerCase(),
      path: d.file.path,
      description: d.description,
      tags: d.tags,
      model: model.id,
      given,
      expect: d.expect,
      vars: d.vars,
      macros: d.macros,
      envVars: d.envVars,
      location: d.file.locate(d.path),
    };
    tests.push({ test, declared: d });
  }
  return tests;
}

/**
 * Reads `ref('name')` (or `ref("name")`, or `ref('project', 'name')`) and
 * `source('a', 'b')` calls as `input:` writes them.
 *
 * @returns the call's kind and arguments, or undefined for anything else.
 */
export function parseInputCall(
  input: string,
): { kind: "ref" | "source"; args: string[] } | undefined {
  const m = /^(ref|source)\s*\(\s*(.*?)\s*\)$/i.exec(input.trim());
  if (!m) return undefined;
  const args = [...m[2]!.matchAll(/\s*(['"])(.*?)\1\s*(,|$)/g)].map((a) => a[2]!);
  return { kind: m[1]!.toLowerCase() as "ref" | "source", args };
}
