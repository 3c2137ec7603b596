/**
 * Contracts, constraints and hooks as a model's YAML declares them, in the
 * shape dbt users know, for plain-SQL and dbt projects alike:
 * `config: { contract: { enforced: true }, pre_hook: …, post_hook: … }`,
 * columns with `data_type` and `constraints:`, and model-level
 * `constraints:`. A contract is enforced where the model's materialization
 * can (see `Materialization.contract`); a constraint is created with the
 * table where the materialization creates one from the contract, and
 * becomes a generated data test otherwise, so none is silently dropped.
 *
 * @module
 */
import { z } from "../zod.ts";
import type { Materialization } from "../materializations/materialization.ts";
import type {
  ColumnDoc,
  Constraint,
  ConstraintType,
  HookSql,
  ModelContract,
  NodeHooks,
} from "../types.ts";
import { describe, type YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import { flag, isRecord, mapping, readValue, text, textList } from "../yaml/yaml_schema.ts";
import type { DeclaredTest } from "./read_yaml.ts";
import { withArticle } from "../with_article.ts";

/** The constraint types wharf enforces or tests, as dbt names them. */
export const CONSTRAINT_TYPES: readonly ConstraintType[] = [
  "not_null",
  "primary_key",
  "unique",
  "check",
];

/** dbt's constraint types that DuckDB cannot hold for wharf, with why. */
const UNSUPPORTED_TYPES: Record<string, string> = {
  foreign_key:
    "foreign_key constraints are not supported by wharf (DuckDB refuses to replace a table another one references): test it with a relationships test",
  custom: "custom constraints are not supported by wharf: use a check constraint",
};

/** A constraint with where YAML declares it. */
export interface DeclaredConstraint extends Constraint {
  path: YamlPath;
}

const constraintEntry = (level: "column" | "model") =>
  mapping(`a ${level} constraint`, {
    type: z.string({ error: "expected a constraint type" }),
    name: text("a constraint name").optional(),
    expression: text("a boolean SQL expression").optional(),
    ...(level === "model" ? { columns: textList().optional() } : {}),
  });

/**
 * Reads a `constraints:` list: under a column (`column` given: each
 * constraint is about it) or under a model (each names its `columns`).
 * Problems are reported to `file`.
 */
export function readConstraints(
  file: YamlFile,
  path: YamlPath,
  raw: unknown,
  column?: string,
): DeclaredConstraint[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    file.report(path, `expected a list of constraints, got ${describe(raw)}`);
    return [];
  }
  const out: DeclaredConstraint[] = [];
  raw.forEach((item, i) => {
    const at = [...path, i];
    const entry = readValue(file, at, constraintEntry(column ? "column" : "model"), item) as
      | { type: string; name?: string; expression?: string; columns?: string[] }
      | undefined;
    if (!entry) return;
    const type = entry.type.toLowerCase();
    if (UNSUPPORTED_TYPES[type]) {
      file.report([...at, "type"], UNSUPPORTED_TYPES[type]);
      return;
    }
    if (!CONSTRAINT_TYPES.includes(type as ConstraintType)) {
      file.report(
        [...at, "type"],
        `unknown constraint type ${describe(entry.type)}: expected ${CONSTRAINT_TYPES.join(", ")}`,
      );
      return;
    }
    if (type === "check" && !entry.expression?.trim()) {
      file.report(at, 'a check constraint needs an "expression" (e.g. "amount >= 0")');
      return;
    }
    if (type !== "check" && entry.expression !== undefined) {
      file.report([...at, "expression"], `a ${type} constraint takes no expression`);
      return;
    }
    const columns = column ? [column] : entry.columns ?? [];
    if (!column && type !== "check" && columns.length === 0) {
      file.report(at, `a model-level ${type} constraint needs "columns"`);
      return;
    }
    out.push({
      type: type as ConstraintType,
      columns,
      path: at,
      ...(entry.name ? { name: entry.name } : {}),
      ...(entry.expression ? { expression: entry.expression } : {}),
    });
  });
  return out;
}

/** `contract: { enforced: true }` */
export const contractConfig = mapping("a model's contract", { enforced: flag().optional() });

/** The keys hooks are written under: wharf's and dbt's spellings. */
export const HOOK_KEYS = ["pre_hook", "pre-hook", "post_hook", "post-hook"] as const;

/** A hook in dbt's mapping form: `{ sql, transaction }` (`transaction: false`: outside the build's). */
const hookMapping = mapping("a hook", {
  sql: text("a SQL statement"),
  transaction: flag().optional(),
});

/** One hook at `path`: a statement or a mapping; undefined (reported) otherwise. */
function readHook(
  file: YamlFile,
  path: YamlPath,
  value: unknown,
): { sql: string; transaction: boolean } | undefined {
  if (typeof value === "string") return { sql: value, transaction: true };
  if (!isRecord(value)) {
    file.report(
      path,
      `expected a SQL statement, { sql, transaction } or a list of them, got ${describe(value)}`,
    );
    return undefined;
  }
  const hook = readValue(file, path, hookMapping, value);
  return hook && { sql: hook.sql, transaction: hook.transaction ?? true };
}

/**
 * Reads the hooks of a `config:` mapping (`pre_hook`/`pre-hook`,
 * `post_hook`/`post-hook`: a statement, a mapping `{ sql, transaction }`
 * or a list of them), each with where its value is written, reporting
 * problems at `path`. Returns undefined when it has none.
 */
export function readHooks(
  file: YamlFile,
  path: YamlPath,
  config: Record<string, unknown>,
): NodeHooks | undefined {
  const inside = { pre: [] as HookSql[], post: [] as HookSql[] };
  const outside = { pre: [] as HookSql[], post: [] as HookSql[] };
  for (const key of HOOK_KEYS) {
    if (!(key in config)) continue;
    const value = config[key];
    const which = key.startsWith("pre") ? "pre" : "post";
    const listed: [YamlPath, unknown][] = Array.isArray(value)
      ? value.map((h, i) => [[...path, key, i], h])
      : [[[...path, key], value]];
    for (const [at, written] of listed) {
      const h = readHook(file, at, written);
      if (!h || h.sql.trim() === "") continue;
      (h.transaction ? inside : outside)[which].push({ sql: h.sql, at: file.locate(at) });
    }
  }
  const out: NodeHooks = {
    ...inside,
    ...(outside.pre.length ? { beforeBegin: outside.pre } : {}),
    ...(outside.post.length ? { afterCommit: outside.post } : {}),
  };
  return Object.values(out).some((l) => l.length) ? out : undefined;
}

/** What {@linkcode settleContract} reads. */
export interface ContractInput {
  file: YamlFile;
  /** The model's entry in `file` (where problems of the model as a whole are reported). */
  path: YamlPath;
  /** `contract: { enforced }` */
  enforced: boolean;
  /** Where `contract` is, for problems of the contract itself. */
  contractPath: YamlPath;
  /** The model's columns, with their `data_type` and where each is declared. */
  columns: readonly (ColumnDoc & { path: YamlPath })[];
  constraints: readonly DeclaredConstraint[];
  materialization: Materialization;
}

/** A model's contract and constraints settled: what is created, and what is tested. */
export interface SettledContract {
  contract?: ModelContract;
  /** Constraints the build does not enforce, as generic tests. */
  tests: DeclaredTest[];
}

function test(kind: string, c: DeclaredConstraint, column?: string): DeclaredTest {
  return {
    test: {
      kind,
      ...(column === undefined ? {} : { column }),
      args: c.expression ? { expression: c.expression } : {},
      reads: [],
    },
    severity: "error",
    path: c.path,
  };
}

/**
 * Settles a model's contract and constraints against its materialization:
 * an enforced contract needs every column with a `data_type`; constraints
 * go into the contract where the materialization creates the table from
 * it, and become tests otherwise. Problems are reported to `input.file`.
 */
export function settleContract(input: ContractInput): SettledContract {
  const { file, materialization: m } = input;
  const create = input.enforced && m.contract === "create";
  const tests: DeclaredTest[] = [];
  let contract: ModelContract | undefined;
  if (input.enforced) {
    if (!m.contract) {
      file.report(
        [...input.contractPath, "enforced"],
        `contracts are enforced on view, table and incremental models, not on ${m.name} models: remove the contract`,
      );
    } else if (input.columns.length === 0) {
      file.report(
        [...input.contractPath, "enforced"],
        "an enforced contract needs the model's columns, each with its data_type, under columns:",
      );
    } else {
      const missing = input.columns.filter((c) => !c.dataType?.trim());
      for (const c of missing) {
        file.report(
          c.path,
          `column "${c.name}" needs a data_type: the model's contract is enforced`,
        );
      }
      if (missing.length === 0) {
        contract = {
          columns: input.columns.map((c) => ({ name: c.name, dataType: c.dataType!.trim() })),
          constraints: [],
        };
      }
    }
  }
  const declared = new Set(input.columns.map((c) => c.name.toLowerCase()));
  for (const c of input.constraints) {
    if (input.enforced) {
      const unknown = c.columns.filter((col) => !declared.has(col.toLowerCase()));
      if (unknown.length) {
        file.report(
          c.path,
          `the ${c.type} constraint names ${
            unknown.map((u) => `"${u}"`).join(", ")
          }, not a column of the contract`,
        );
        continue;
      }
    }
    if (create) {
      contract?.constraints.push({
        type: c.type,
        columns: c.columns,
        ...(c.name ? { name: c.name } : {}),
        ...(c.expression ? { expression: c.expression } : {}),
      });
      continue;
    }
    if (c.type === "check") {
      tests.push(test("expression", c, c.columns.length === 1 ? c.columns[0] : undefined));
      continue;
    }
    if (c.columns.length > 1 && c.type !== "not_null") {
      file.report(
        c.path,
        `a ${c.type} constraint over several columns is enforced only by a table or incremental model with an enforced contract (${
          withArticle(m.name)
        } model's constraints are tested, one column at a time)`,
      );
      continue;
    }
    for (const col of c.columns) {
      if (c.type === "not_null" || c.type === "primary_key") tests.push(test("not_null", c, col));
      if (c.type === "unique" || c.type === "primary_key") tests.push(test("unique", c, col));
    }
  }
  return { ...(contract ? { contract } : {}), tests };
}

/** Reads a column's `data_type` (text), reporting anything else. */
export function readDataType(file: YamlFile, path: YamlPath, raw: unknown): string | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === "string" && raw.trim() !== "") return raw;
  file.report(
    path,
    `expected a DuckDB type name (e.g. "integer", "varchar"), got ${describe(raw)}`,
  );
  return undefined;
}
