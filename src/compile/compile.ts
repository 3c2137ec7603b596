/**
 * Turns graph nodes into the exact SQL that builds or tests them. Pure: the
 * result is plain data (strings), so it can be printed, written to
 * `target/` and tested without a database.
 *
 * @module
 */
import { quoteIdent, quoteLiteral, quoteRelation } from "../db/sql.ts";
import type { Graph } from "../graph/build_graph.ts";
import { trimSql } from "../project/load_project.ts";
import type {
  GenericTest,
  ModelNode,
  ProjectNode,
  RelationRef,
  SeedNode,
  Severity,
} from "../project/types.ts";

/** A seed: a CSV file loaded into a table. */
export interface CompiledSeed {
  kind: "seed";
  id: string;
  relation: string;
  sql: string;
}

/** A view or table model. */
export interface CompiledModel {
  kind: "model";
  id: string;
  relation: string;
  materialized: "view" | "table" | "ephemeral";
  /** The model's SELECT with ephemeral models inlined. */
  select: string;
  /** The statement that builds it (empty for ephemeral models; the first of `checked` when checked). */
  sql: string;
  /** With row-level checks: the statements that build the model and its `__rejected` table, in one transaction. */
  checked?: CompiledChecks;
}

/** How a checked model is built and counted. */
export interface CompiledChecks {
  /** Checks that reject the row, in YAML order. */
  reject: string[];
  /** Checks that nullify a value, in YAML order. */
  nullify: string[];
  /**
   * In one transaction: stage every row with its failed checks; build the
   * model (kept rows, nullified values set to NULL); build `__rejected`;
   * build `__rejected_values` (or drop it when no check nullifies).
   */
  statements: [stage: string, kept: string, rejected: string, values: string];
  /** The relation holding the rejected rows: `<layer>.<name>__rejected`. */
  rejected: string;
  /** The relation recording nullified values: `<layer>.<name>__rejected_values`. */
  rejectedValues: string;
  /**
   * Counts of the staged rows: `total`, `rejected`, then `c0`, `c1`, … in
   * the order of `reject` then `nullify` (rows failing each reject check;
   * values nullified by each nullify check, in kept rows).
   */
  countQuery: string;
  /** Drops the staging table. */
  cleanup: string;
}

/** An incremental model: a full build, and the statements of a later run. */
export interface CompiledIncremental {
  kind: "model";
  id: string;
  relation: string;
  materialized: "incremental";
  select: string;
  /** First run or `--full-refresh`: builds the table from everything. */
  sql: string;
  /** Later runs, in one transaction: stage new rows, merge, clean up. */
  incremental: string[];
}

/** A data test: a query whose rows are failures, stored under `wharf_failures`. */
export interface CompiledTest {
  kind: "test";
  id: string;
  name: string;
  severity: Severity;
  /** The node under test (generic tests). */
  attachedTo?: string;
  query: string;
  /** Table that receives the failing rows. */
  failures: string;
}

/** Any compiled node. */
export type CompiledNode = CompiledSeed | CompiledModel | CompiledIncremental | CompiledTest;

/** Options of {@linkcode compileNode}. */
export interface CompileOptions {
  /** Absolute project root, used to give seeds absolute file paths. */
  root: string;
}

const SRC = "__wharf_src";

/** Ends the reference text that starts at `offset` (a dotted, maybe quoted, name). */
function referenceEnd(sql: string, offset: number): number {
  let i = offset;
  for (;;) {
    if (sql[i] === '"') {
      i++;
      while (i < sql.length) {
        if (sql[i] === '"' && sql[i + 1] === '"') i += 2;
        else if (sql[i] === '"') {
          i++;
          break;
        } else i++;
      }
    } else {
      while (i < sql.length && /[A-Za-z0-9_$]/.test(sql[i]!)) i++;
    }
    let j = i;
    while (j < sql.length && /\s/.test(sql[j]!)) j++;
    if (sql[j] !== ".") return i;
    j++;
    while (j < sql.length && /\s/.test(sql[j]!)) j++;
    i = j;
  }
}

function ephemeralName(id: string): string {
  return `__wharf_ephemeral_${id.replace(".", "__")}`;
}

/**
 * Returns `sql` with references to ephemeral models replaced by CTEs that
 * hold their compiled SELECT.
 */
function inlineEphemerals(
  graph: Graph,
  sql: string,
  refs: readonly RelationRef[],
): string {
  const ephemeral = refs.filter((r) => {
    const n = graph.nodes.get(r.relation);
    return n?.kind === "model" && n.config.materialized === "ephemeral";
  });
  if (ephemeral.length === 0) return trimSql(sql);
  let out = "";
  let last = 0;
  for (const r of [...ephemeral].sort((a, b) => a.offset - b.offset)) {
    out += sql.slice(last, r.offset) + quoteIdent(ephemeralName(r.relation));
    last = referenceEnd(sql, r.offset);
  }
  out += sql.slice(last);
  const ctes = [...new Set(ephemeral.map((r) => r.relation))].map((id) => {
    const m = graph.nodes.get(id) as ModelNode;
    const body = inlineEphemerals(graph, m.sql, m.refs);
    return `${quoteIdent(ephemeralName(id))} AS (\n${body}\n)`;
  });
  return `WITH ${ctes.join(",\n")}\nSELECT * FROM (\n${trimSql(out)}\n)`;
}

/** The SQL that stands for a relation in another query (a subquery for ephemeral models). */
function relationSql(graph: Graph, id: string): string {
  const n = graph.nodes.get(id);
  if (n?.kind === "model" && n.config.materialized === "ephemeral") {
    return `(\n${inlineEphemerals(graph, n.sql, n.refs)}\n)`;
  }
  const [schema, name] = id.split(".");
  return quoteRelation(schema!, name!);
}

function seedSql(seed: SeedNode, root: string): string {
  const path = seed.path.startsWith("/") ? seed.path : `${root}/${seed.path}`;
  const types = Object.entries(seed.columnTypes);
  const typeArg = types.length
    ? `, types = {${types.map(([c, t]) => `${quoteLiteral(c)}: ${quoteLiteral(t)}`).join(", ")}}`
    : "";
  return `CREATE OR REPLACE TABLE ${quoteRelation("seeds", seed.name)} AS\nSELECT * FROM read_csv(${
    quoteLiteral(path)
  }, header = true, auto_detect = true${typeArg})`;
}

function dedupe(model: ModelNode): string {
  const { uniqueKey, watermark } = model.config;
  if (uniqueKey.length === 0 || !watermark) return "";
  return `\nQUALIFY row_number() OVER (PARTITION BY ${
    uniqueKey.map(quoteIdent).join(", ")
  } ORDER BY ${quoteIdent(watermark)} DESC NULLS LAST, ${SRC} DESC) = 1`;
}

function incrementalSql(model: ModelNode, select: string): CompiledIncremental {
  const target = quoteRelation(model.layer, model.name);
  const wm = quoteIdent(model.config.watermark ?? "");
  const staged = quoteIdent(`__wharf_new_${model.layer}_${model.name}`);
  const keys = model.config.uniqueKey.map(quoteIdent);
  const from = `SELECT * FROM (\n${select}\n) AS ${SRC}`;
  const statements = [
    `CREATE OR REPLACE TEMP TABLE ${staged} AS\n${from}\nWHERE ${SRC}.${wm} > (SELECT max(${wm}) FROM ${target})\n   OR (SELECT max(${wm}) FROM ${target}) IS NULL${
      dedupe(model)
    }`,
  ];
  if (keys.length) {
    statements.push(
      `DELETE FROM ${target} AS t WHERE EXISTS (SELECT 1 FROM ${staged} AS n WHERE ${
        keys.map((k) => `n.${k} IS NOT DISTINCT FROM t.${k}`).join(" AND ")
      })`,
    );
  }
  statements.push(`INSERT INTO ${target} BY NAME SELECT * FROM ${staged}`, `DROP TABLE ${staged}`);
  return {
    kind: "model",
    id: model.id,
    relation: model.id,
    materialized: "incremental",
    select,
    sql: `CREATE OR REPLACE TABLE ${target} AS\n${from}${dedupe(model)}`,
    incremental: statements,
  };
}

/**
 * The `wharf_var(name)` macro that gives models the project's variables as
 * text (NULL for an unknown name). It is persistent, so views that use it
 * keep working for analysts.
 */
export function varsMacro(vars: Readonly<Record<string, string>>): string {
  const entries = Object.entries(vars);
  const body = entries.length
    ? `CASE name ${
      entries.map(([k, v]) => `WHEN ${quoteLiteral(k)} THEN ${quoteLiteral(v)}`).join(" ")
    } ELSE NULL::VARCHAR END`
    : "NULL::VARCHAR";
  return `CREATE OR REPLACE MACRO wharf_var(name) AS ${body}`;
}

/**
 * Compiles a model with row checks. Every row is staged with the list of
 * checks it fails. A row failing a `reject` check goes to
 * `<layer>.<name>__rejected` (with `_failed_checks`); the other rows build
 * the model, with the column of each failed `nullify` check set to NULL and
 * its value recorded in `<layer>.<name>__rejected_values` (model, row key,
 * column, value, failed check, and the row's lineage columns: those whose
 * names start with `_`). A nullify check judges values only: a NULL has
 * nothing to nullify.
 */
function checkedModel(model: ModelNode, select: string): CompiledChecks {
  const target = quoteRelation(model.layer, model.name);
  const rejected = quoteRelation(model.layer, `${model.name}__rejected`);
  const values = quoteRelation(model.layer, `${model.name}__rejected_values`);
  const staged = quoteIdent(`__wharf_checked_${model.layer}_${model.name}`);
  const alias = quoteIdent(model.name);
  const reject = model.checks.filter((c) => c.onFail === "reject");
  const nullify = model.checks.filter((c) => c.onFail === "nullify");
  const failed = (names: readonly string[]) =>
    `list_has_any(_failed_checks, [${names.map(quoteLiteral).join(", ")}]::VARCHAR[])`;
  const isRejected = reject.length ? failed(reject.map((c) => c.name)) : "false";
  // A NULL has nothing to nullify: a nullify check only judges values.
  const list = model.checks.map((c) =>
    `CASE WHEN ${
      c.onFail === "nullify" ? `${quoteIdent(c.column!)} IS NOT NULL AND ` : ""
    }NOT coalesce((${c.expression}), false) THEN ${quoteLiteral(c.name)} END`
  );
  // One REPLACE per nullified column, whichever of its checks failed.
  const byColumn = new Map<string, string[]>();
  for (const c of nullify) {
    const key = c.column!.toLowerCase();
    byColumn.set(key, [...(byColumn.get(key) ?? []), c.name]);
  }
  const replace = [...byColumn].map(([column, names]) =>
    `CASE WHEN ${failed(names)} THEN NULL ELSE ${quoteIdent(column)} END AS ${quoteIdent(column)}`
  );
  const key = `json_object(${
    model.config.uniqueKey.map((k) => `${quoteLiteral(k)}, ${quoteIdent(k)}`).join(", ")
  })`;
  const recorded = nullify.map((c) =>
    `SELECT ${quoteLiteral(model.id)} AS model, ${key} AS row_key, ${
      quoteLiteral(c.column!)
    } AS column_name, CAST(${quoteIdent(c.column!)} AS VARCHAR) AS value, ${
      quoteLiteral(c.name)
    } AS failed_check, COLUMNS(c -> starts_with(c, '_'))\nFROM ${staged}\nWHERE NOT ${isRejected} AND list_contains(_failed_checks, ${
      quoteLiteral(c.name)
    })`
  );
  const counts = [
    ...reject.map((c) => `list_contains(_failed_checks, ${quoteLiteral(c.name)})`),
    ...nullify.map((c) =>
      `NOT ${isRejected} AND list_contains(_failed_checks, ${quoteLiteral(c.name)})`
    ),
  ];
  return {
    reject: reject.map((c) => c.name),
    nullify: nullify.map((c) => c.name),
    rejected: `${model.id}__rejected`,
    rejectedValues: `${model.id}__rejected_values`,
    statements: [
      `CREATE OR REPLACE TEMP TABLE ${staged} AS\nSELECT ${alias}.*, list_filter([\n  ${
        list.join(",\n  ")
      }\n], x -> x IS NOT NULL) AS _failed_checks\nFROM (\n${select}\n) AS ${alias}`,
      `CREATE OR REPLACE TABLE ${target} AS\nSELECT * EXCLUDE (_failed_checks)${
        replace.length ? ` REPLACE (\n  ${replace.join(",\n  ")}\n)` : ""
      }\nFROM ${staged}\nWHERE NOT ${isRejected}`,
      `CREATE OR REPLACE TABLE ${rejected} AS\nSELECT * FROM ${staged}\nWHERE ${isRejected}`,
      recorded.length
        ? `CREATE OR REPLACE TABLE ${values} AS\nSELECT * EXCLUDE (_failed_checks) FROM (\n${
          recorded.join("\nUNION ALL BY NAME\n")
        }\n)`
        : `DROP TABLE IF EXISTS ${values}`,
    ],
    countQuery:
      `SELECT count(*)::DOUBLE AS total, count(*) FILTER (WHERE ${isRejected})::DOUBLE AS rejected${
        counts.map((f, i) => `, count(*) FILTER (WHERE ${f})::DOUBLE AS c${i}`).join("")
      } FROM ${staged}`,
    cleanup: `DROP TABLE ${staged}`,
  };
}

/** The query returning the rows that fail a generic test. */
export function genericTestQuery(graph: Graph, attachedTo: string, test: GenericTest): string {
  const rel = relationSql(graph, attachedTo);
  const col = test.column === undefined ? "" : quoteIdent(test.column);
  switch (test.kind) {
    case "unique":
      return `SELECT ${col} AS value, count(*) AS n_records\nFROM ${rel}\nWHERE ${col} IS NOT NULL\nGROUP BY ${col}\nHAVING count(*) > 1`;
    case "not_null":
      return `SELECT *\nFROM ${rel}\nWHERE ${col} IS NULL`;
    case "accepted_values":
      return `SELECT *\nFROM ${rel}\nWHERE ${col} IS NOT NULL\n  AND CAST(${col} AS VARCHAR) NOT IN (${
        test.values.map(quoteLiteral).join(", ")
      })`;
    case "relationships":
      return `SELECT child.*\nFROM ${rel} AS child\nWHERE child.${col} IS NOT NULL\n  AND NOT EXISTS (SELECT 1 FROM ${
        relationSql(graph, test.to)
      } AS parent WHERE parent.${quoteIdent(test.field)} = child.${col})`;
    case "expression":
      return `SELECT *\nFROM ${rel}\nWHERE NOT coalesce((${test.expression}), false)`;
  }
}

/**
 * Compiles one node. Sources compile to nothing (`undefined`).
 *
 * @example
 * ```ts ignore
 * const compiled = compileNode(graph, graph.nodes.get("marts.members")!, { root });
 * console.log(compiled?.kind === "model" ? compiled.sql : "");
 * ```
 */
export function compileNode(
  graph: Graph,
  node: ProjectNode,
  options: CompileOptions,
): CompiledNode | undefined {
  switch (node.kind) {
    case "source":
      return undefined;
    case "seed":
      return { kind: "seed", id: node.id, relation: node.id, sql: seedSql(node, options.root) };
    case "model": {
      const select = inlineEphemerals(graph, node.sql, node.refs);
      const target = quoteRelation(node.layer, node.name);
      if (
        node.checks.length &&
        (node.config.materialized === "view" || node.config.materialized === "table")
      ) {
        const checked = checkedModel(node, select);
        return {
          kind: "model",
          id: node.id,
          relation: node.id,
          materialized: "table",
          select,
          sql: checked.statements[0]!,
          checked,
        };
      }
      switch (node.config.materialized) {
        case "view":
          return {
            kind: "model",
            id: node.id,
            relation: node.id,
            materialized: "view",
            select,
            sql: `CREATE OR REPLACE VIEW ${target} AS\n${select}\n`,
          };
        case "table":
          return {
            kind: "model",
            id: node.id,
            relation: node.id,
            materialized: "table",
            select,
            sql: `CREATE OR REPLACE TABLE ${target} AS\n${select}\n`,
          };
        case "ephemeral":
          return {
            kind: "model",
            id: node.id,
            relation: node.id,
            materialized: "ephemeral",
            select,
            sql: "",
          };
        case "incremental":
          return incrementalSql(node, select);
      }
      break;
    }
    case "generic_test":
      return {
        kind: "test",
        id: node.id,
        name: node.name,
        severity: node.severity,
        attachedTo: node.attachedTo,
        query: genericTestQuery(graph, node.attachedTo, node.test),
        failures: quoteRelation("wharf_failures", node.name),
      };
    case "singular_test":
      return {
        kind: "test",
        id: node.id,
        name: node.name,
        severity: node.severity,
        query: inlineEphemerals(graph, node.sql, node.refs),
        failures: quoteRelation("wharf_failures", node.name),
      };
  }
}
