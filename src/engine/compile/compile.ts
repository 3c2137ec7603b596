/**
 * Turns graph nodes into the exact SQL that builds or tests them. Pure: the
 * result is plain data (strings), so it can be printed, written to
 * `target/` and tested without a database.
 *
 * @module
 */
import { quoteIdent, quoteLiteral, quoteRelation, quoteRelationId } from "../db/sql.ts";
import type { Graph } from "../graph/build_graph.ts";
import { trimSql } from "../project/relations.ts";
import { testKind } from "../test_kinds/index.ts";
import type {
  GenericTest,
  HookLists,
  HookSql,
  ModelNode,
  NodeHooks,
  PersistedDocs,
  ProjectNode,
  RelationRef,
  RowCheck,
  SeedNode,
  Severity,
  TestConfig,
} from "../types.ts";
import { builtMaterialization, materialization } from "../materializations/index.ts";
import { eventTimeFilter } from "../materializations/incremental_strategies/event_time_filter.ts";
import type { CompiledUnitTest } from "./compile_unit_test.ts";

/** A seed: a CSV file loaded into a table. */
export interface CompiledSeed {
  kind: "seed";
  id: string;
  relation: string;
  sql: string;
  /** Its pre- and post-hooks, run with it in one transaction. */
  hooks?: NodeHooks;
  /** dbt's `persist_docs`: the comments written once it is loaded. */
  persistDocs?: PersistedDocs;
}

/**
 * A model, compiled by its materialization (`materializations/`): plain
 * data, so it can be printed, written to `target/` and tested without a
 * database.
 */
export interface CompiledModel {
  kind: "model";
  id: string;
  relation: string;
  /** The materialization that builds it (`builtMaterialization`: `table` for a model with row checks). */
  materialized: string;
  /** The model's SELECT with ephemeral models inlined. */
  select: string;
  /** The statement of a full build (empty when it is inlined; the first of `checked` when checked). */
  sql: string;
  /** Every statement a build may run, commented: what `wharf compile` and `target/run/` show. */
  script: string;
  /** What its materialization's build needs beyond `sql` (more statements, paths). */
  parts: unknown;
  /** With row-level checks: the statements that build the model and its `__rejected` table, in one transaction. */
  checked?: CompiledChecks;
  /** Its pre- and post-hooks (in its build's transaction where the materialization has one). */
  hooks?: NodeHooks;
  /** dbt's `sql_header`: run in each session of its build, before its statements. */
  sqlHeader?: string;
  /** dbt's `persist_docs`: the comments written once it is built. */
  persistDocs?: PersistedDocs;
  /** Its Jinja reads the warehouse: compiled again just before it builds (see `ModelNode.renderedAtRun`). */
  renderedAtRun?: true;
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

/** A data test: a query whose rows are failures, stored under `wharf_failures`. */
export interface CompiledTest {
  kind: "test";
  id: string;
  name: string;
  severity: Severity;
  /** The node under test (generic tests). */
  attachedTo?: string;
  query: string;
  /** Table that receives the failing rows (none for a unit test). */
  failures: string;
  /** Its thresholds and `store_failures` (`where` and `limit` are in `query`). */
  config?: TestConfig;
  /** A unit test: what runs in its scratch database (see `compile_unit_test.ts`). */
  unit?: CompiledUnitTest;
}

/** Any compiled node. */
export type CompiledNode = CompiledSeed | CompiledModel | CompiledTest;

/** Options of {@linkcode compileNode}. */
export interface CompileOptions {
  /** Absolute project root, used to give seeds absolute file paths. */
  root: string;
  /**
   * `--empty`: models select no row (`LIMIT 0` around their SELECT), so a
   * build checks their SQL, types and contracts without reading data.
   */
  empty?: boolean;
}

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

/**
 * True for a model its materialization inlines into the queries that read it,
 * and for a source read as empty (declared optional, not landed yet).
 */
function isInlined(node: ProjectNode | undefined): boolean {
  return node?.kind === "model" && materialization(node.config.materialized).inlined ||
    node?.kind === "source" && node.emptyColumns !== undefined;
}

/** What an inlined node stands for: an ephemeral model's SELECT, or an empty source's no rows. */
function inlinedSelect(graph: Graph, node: ProjectNode): string {
  if (node.kind === "source" && node.emptyColumns) {
    const columns = node.emptyColumns.map((c) =>
      `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`
    );
    return `SELECT ${columns.join(", ")} WHERE false`;
  }
  const m = node as ModelNode;
  return inlineEphemerals(graph, m.sql, m.refs);
}

function ephemeralName(id: string): string {
  return `__wharf_ephemeral_${id.replaceAll(".", "__")}`;
}

/**
 * Returns `sql` with references to ephemeral models replaced by CTEs that
 * hold their compiled SELECT; those of `keep` (a unit test's given inputs)
 * stay references.
 */
export function inlineEphemerals(
  graph: Graph,
  sql: string,
  refs: readonly RelationRef[],
  keep: ReadonlySet<string> = new Set(),
  /** References to rewrite besides: relation to a function of the reference's text. */
  rewrite: ReadonlyMap<string, (reference: string) => string> = new Map(),
): string {
  const ephemeral = refs.filter((r) =>
    isInlined(graph.nodes.get(r.relation)) && !keep.has(r.relation)
  );
  const rewritten = refs.filter((r) => rewrite.has(r.relation) && !ephemeral.includes(r));
  if (ephemeral.length === 0 && rewritten.length === 0) return trimSql(sql);
  let out = "";
  let last = 0;
  for (const r of [...ephemeral, ...rewritten].sort((a, b) => a.offset - b.offset)) {
    const end = referenceEnd(sql, r.offset);
    const fn = rewrite.get(r.relation);
    out += sql.slice(last, r.offset) +
      (fn && !ephemeral.includes(r)
        ? fn(sql.slice(r.offset, end))
        : quoteIdent(ephemeralName(r.relation)));
    last = end;
  }
  out += sql.slice(last);
  if (ephemeral.length === 0) return trimSql(out);
  const ctes = [...new Set(ephemeral.map((r) => r.relation))].map((id) => {
    const body = inlinedSelect(graph, graph.nodes.get(id)!);
    return `${quoteIdent(ephemeralName(id))} AS (\n${body}\n)`;
  });
  return `WITH ${ctes.join(",\n")}\nSELECT * FROM (\n${trimSql(out)}\n)`;
}

/** The SELECT (ephemeral models inlined) of each ephemeral model `refs` name, by id. */
function ephemeralSelects(graph: Graph, refs: readonly RelationRef[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of refs) {
    const n = graph.nodes.get(r.relation);
    if (n?.kind === "model" && isInlined(n)) {
      out[r.relation] = inlineEphemerals(graph, n.sql, n.refs);
    }
  }
  return out;
}

/**
 * The SELECT of a model's first build alone (ephemeral models inlined), when
 * its SQL holds two (`ModelNode.firstBuild`): that part of its SQL, with the
 * references in it.
 */
function firstBuildSelect(
  graph: Graph,
  node: ModelNode,
  span: { start: number; end: number },
): string {
  const { start, end } = span;
  const refs = node.refs.filter((r) => r.offset >= start && r.offset < end)
    .map((r) => ({ ...r, offset: r.offset - start }));
  return inlineEphemerals(graph, node.sql.slice(start, end), refs);
}

/**
 * The relations an incremental model reads that have an `event_time` (a
 * seed, a source, a model or snapshot that is built), each with it: what a
 * microbatch model reads batch by batch.
 */
function batchInputs(graph: Graph, node: ModelNode): { relation: string; eventTime: string }[] {
  if (node.config.materialized !== "incremental") return [];
  // A dbt model reads a source's relation through the source table its source() names.
  const sources = (node.namedSources ?? []).map((id) => graph.nodes.get(id))
    .filter((n) => n?.kind === "source");
  const out: { relation: string; eventTime: string }[] = [];
  for (const relation of new Set(node.refs.map((r) => r.relation))) {
    if (relation === node.id) continue;
    const n = graph.nodes.get(relation);
    const own = n && (n.kind === "model" || n.kind === "seed" || n.kind === "source") &&
        !isInlined(n)
      ? n.eventTime
      : undefined;
    const source = sources.find((s) => s.relation === relation && s.eventTime !== undefined);
    if (own !== undefined) out.push({ relation, eventTime: own });
    else if (source) out.push({ relation: source.id, eventTime: source.eventTime! });
  }
  return out;
}

/** The relation an input of {@linkcode batchInputs} reads (a source table's, for a source). */
function relationOfInput(graph: Graph, id: string): string {
  const n = graph.nodes.get(id);
  return n?.kind === "source" ? n.relation : id;
}

/** The SQL that stands for a relation in another query (a subquery for ephemeral models). */
function relationSql(graph: Graph, id: string): string {
  const n = graph.nodes.get(id);
  if (n && isInlined(n)) return `(\n${inlinedSelect(graph, n)}\n)`;
  // A source's node may be a declared table's, named otherwise than the relation it reads,
  // or read a file (dbt-duckdb's external_location).
  if (n?.kind === "source" && n.external) return n.external;
  return quoteRelationId(n?.kind === "source" ? n.relation : id);
}

/** The statement that loads a seed's CSV file into its table. */
export function seedSql(seed: SeedNode, root: string): string {
  const path = seed.path.startsWith("/") ? seed.path : `${root}/${seed.path}`;
  const types = Object.entries({ ...seed.inferredTypes, ...seed.columnTypes });
  const typeArg = types.length
    ? `, types = {${types.map(([c, t]) => `${quoteLiteral(c)}: ${quoteLiteral(t)}`).join(", ")}}`
    : "";
  const delimArg = seed.delimiter === undefined ? "" : `, delim = ${quoteLiteral(seed.delimiter)}`;
  const namesArg = seed.columnNames === undefined
    ? ""
    : `, names = [${seed.columnNames.map(quoteLiteral).join(", ")}]`;
  // A file of mixed line breaks, whose lines the loader checked: DuckDB's strict mode refuses it.
  const strictArg = seed.mixedLineBreaks ? ", strict_mode = false" : "";
  // A dbt seed's line of fewer fields than the header, which agate reads with nulls.
  const padArg = seed.shortLines ? ", null_padding = true" : "";
  return `CREATE OR REPLACE TABLE ${quoteRelationId(seed.id)} AS\nSELECT * FROM read_csv(${
    quoteLiteral(path)
  }, header = true, auto_detect = true${delimArg}${namesArg}${typeArg}${strictArg}${padArg})`;
}

/**
 * The `wharf_var(name)` macro that gives models the project's variables as
 * text (NULL for an unknown name). It is persistent, so views that use it
 * keep working for analysts; `temporary`: this connection's only, over the
 * persistent one (what reading a model with other `--vars` needs, on a
 * warehouse open read-only).
 */
export function varsMacro(
  vars: Readonly<Record<string, string>>,
  options: { temporary?: boolean } = {},
): string {
  const entries = Object.entries(vars);
  const body = entries.length
    ? `CASE name ${
      entries.map(([k, v]) => `WHEN ${quoteLiteral(k)} THEN ${quoteLiteral(v)}`).join(" ")
    } ELSE NULL::VARCHAR END`
    : "NULL::VARCHAR";
  return `CREATE OR REPLACE ${options.temporary ? "TEMP " : ""}MACRO wharf_var(name) AS ${body}`;
}

/**
 * Compiles a model with row checks. Every row is staged with the list of
 * checks it fails. A row failing a `reject` check goes to
 * `<layer>.<name>__rejected` (with `_failed_checks`); the other rows build
 * the model, with the column of each failed `nullify` check set to NULL and
 * its value recorded in `<layer>.<name>__rejected_values` (model, row key,
 * column, value (as text; of the check's `valueFrom` column when it names
 * one), failed check, and the row's lineage columns: those whose
 * names start with `_`). A nullify check judges values only: a NULL has
 * nothing to nullify. With `valueFrom`, a row is judged when either column
 * holds a value, so a text that could not be read (its parsed column NULL)
 * is recorded under the column it could not become.
 */
function checkedModel(model: ModelNode, select: string): CompiledChecks {
  const target = quoteRelation(model.layer, model.name, model.catalog);
  const rejected = quoteRelation(model.layer, `${model.name}__rejected`, model.catalog);
  const values = quoteRelation(model.layer, `${model.name}__rejected_values`, model.catalog);
  const staged = quoteIdent(`__wharf_checked_${model.id.replaceAll(".", "_")}`);
  const alias = quoteIdent(model.name);
  const reject = model.checks.filter((c) => c.onFail === "reject");
  const nullify = model.checks.filter((c) => c.onFail === "nullify");
  const failed = (names: readonly string[]) =>
    `list_has_any(_failed_checks, [${names.map(quoteLiteral).join(", ")}]::VARCHAR[])`;
  const isRejected = reject.length ? failed(reject.map((c) => c.name)) : "false";
  // A NULL has nothing to nullify: a nullify check only judges values (the column's, or
  // the text it was read from).
  const judged = (c: RowCheck) =>
    c.onFail !== "nullify"
      ? ""
      : c.valueFrom === undefined
      ? `${quoteIdent(c.column!)} IS NOT NULL AND `
      : `(${quoteIdent(c.column!)} IS NOT NULL OR ${quoteIdent(c.valueFrom)} IS NOT NULL) AND `;
  const list = model.checks.map((c) =>
    `CASE WHEN ${judged(c)}NOT coalesce((${c.expression}), false) THEN ${quoteLiteral(c.name)} END`
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
    } AS column_name, CAST(${quoteIdent(c.valueFrom ?? c.column!)} AS VARCHAR) AS value, ${
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

/** A build's script with its hooks before and after it, for `wharf compile` and `target/run/`. */
function withHooks(script: string, hooks: NodeHooks | undefined): string {
  if (!hooks) return script;
  // A hook kept as its template (it reads the warehouse) is shown as written.
  const line = (h: HookSql) =>
    "sql" in h
      ? `${h.sql.trim().replace(/;$/, "")};\n`
      : `-- (rendered as it runs, against the warehouse)\n${h.template.trim()}\n`;
  const shown = (name: string, list: readonly HookSql[]) =>
    list.length ? `-- ${name}\n${list.map(line).join("")}` : "";
  // An incremental model's hooks that a later run renders otherwise: each run's, named.
  const part = (name: string, key: keyof HookLists) => {
    const first = hooks[key] ?? [];
    const later = hooks.later?.[key] ?? first;
    if (JSON.stringify(later) === JSON.stringify(first)) return shown(name, first);
    const each = (when: string, list: readonly HookSql[]) =>
      shown(`${name}, ${when}`, list) || `-- ${name}, ${when}: none\n`;
    return each("first build or --full-refresh (is_incremental() false)", first) +
      each("later runs (is_incremental() true)", later);
  };
  return [
    part("pre_hook, transaction: false (before the build's transaction)", "beforeBegin"),
    part("pre_hook", "pre"),
    script,
    part("post_hook", "post"),
    part("post_hook, transaction: false (after the build commits)", "afterCommit"),
  ].join("");
}

/** The query returning the rows that fail a generic test (built by its kind, `test_kinds/`). */
export function genericTestQuery(
  graph: Graph,
  attachedTo: string,
  test: GenericTest,
  where?: string,
): string {
  const kind = testKind(test.kind);
  if (!kind) throw new Error(`No test kind "${test.kind}"`);
  const relation = relationSql(graph, attachedTo);
  return kind.query(test, {
    relation: where === undefined ? relation : `(SELECT * FROM ${relation} WHERE ${where})`,
    column: test.column === undefined ? "" : quoteIdent(test.column),
    reads: test.reads.map((id) => relationSql(graph, id)),
  });
}

/** A test's query with its `limit` config, when it has one. */
function limited(query: string, config: TestConfig | undefined): string {
  return config?.limit === undefined ? query : `SELECT * FROM (\n${query}\n) LIMIT ${config.limit}`;
}

/**
 * Compiles one node. Sources compile to nothing (`undefined`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { buildGraph } from "../graph/build_graph.ts";
 * import { compileNode } from "./compile.ts";
 *
 * const model = {
 *   kind: "model" as const,
 *   id: "marts.m",
 *   layer: "marts",
 *   name: "m",
 *   path: "models/marts/m.sql",
 *   sql: "select 1 as id",
 *   description: "",
 *   columns: [],
 *   config: { materialized: "table", uniqueKey: [], tags: [], enabled: true, options: {} },
 *   refs: [],
 *   checks: [],
 *   checkRefs: [],
 *   columnLineage: {},
 * };
 * const project = {
 *   config: resolveEngineConfig("/p", {}, []),
 *   models: [model],
 *   seeds: [],
 *   tests: [],
 *   macros: [],
 *   issues: [],
 * };
 * const { graph } = buildGraph(project, []);
 * const compiled = compileNode(graph, graph.nodes.get("marts.m")!, { root: "/p" });
 * assert.equal(compiled?.kind === "model" && compiled.sql, 'CREATE OR REPLACE TABLE "marts"."m" AS\nselect 1 as id\n');
 * ```
 */
export function compileNode(
  graph: Graph,
  node: ProjectNode,
  options: CompileOptions,
): CompiledNode | undefined {
  switch (node.kind) {
    case "source":
    case "exposure":
    case "analysis":
      return undefined;
    case "seed":
      return {
        kind: "seed",
        id: node.id,
        relation: node.id,
        sql: seedSql(node, options.root),
        ...(node.hooks ? { hooks: node.hooks } : {}),
        ...(node.persistDocs ? { persistDocs: node.persistDocs } : {}),
      };
    case "model": {
      const empty = (sql: string) =>
        options.empty ? `SELECT * FROM (\n${sql}\n) AS __wharf_empty LIMIT 0` : sql;
      const select = empty(inlineEphemerals(graph, node.sql, node.refs));
      const base = {
        kind: "model",
        id: node.id,
        relation: node.id,
        select,
        ...(node.hooks ? { hooks: node.hooks } : {}),
        ...(node.sqlHeader ? { sqlHeader: node.sqlHeader } : {}),
        ...(node.persistDocs ? { persistDocs: node.persistDocs } : {}),
        ...(node.renderedAtRun ? { renderedAtRun: true as const } : {}),
      } as const;
      const m = builtMaterialization(node);
      if (node.checks.length && m.checks) {
        const checked = checkedModel(node, select);
        const statements = [...checked.statements, checked.cleanup];
        return {
          ...base,
          materialized: m.name,
          sql: checked.statements[0],
          script: `${statements.join(";\n\n")};\n`,
          parts: {},
          checked,
        };
      }
      const batch = batchInputs(graph, node);
      const compiled = m.compile(node, {
        select,
        ...(batch.length
          ? {
            batchSelect: empty(
              inlineEphemerals(
                graph,
                node.sql,
                node.refs,
                new Set(),
                new Map(
                  batch.map((b) => [
                    relationOfInput(graph, b.relation),
                    (ref) => eventTimeFilter(ref, b.eventTime),
                  ]),
                ),
              ),
            ),
            batchInputs: batch,
          }
          : {}),
        ...(node.firstBuild
          ? { firstSelect: empty(firstBuildSelect(graph, node, node.firstBuild)) }
          : {}),
        ephemerals: ephemeralSelects(graph, node.refs),
        root: options.root,
      });
      return {
        ...base,
        materialized: m.name,
        ...compiled,
        script:
          (node.sqlHeader
            ? `-- sql_header (run first in each session of the build)\n${
              node.sqlHeader.trim().replace(/;+$/, "")
            };\n\n`
            : "") + withHooks(compiled.script, node.hooks),
      };
    }
    case "generic_test":
      return {
        kind: "test",
        id: node.id,
        name: node.name,
        severity: node.severity,
        attachedTo: node.attachedTo,
        query: limited(
          genericTestQuery(graph, node.attachedTo, node.test, node.config?.where),
          node.config,
        ),
        failures: quoteRelation("wharf_failures", node.name),
        ...(node.config ? { config: node.config } : {}),
      };
    case "unit_test":
      // Compiled by compileUnitTest, which needs the whole graph's SQL.
      return undefined;
    case "singular_test":
      return {
        kind: "test",
        id: node.id,
        name: node.name,
        severity: node.severity,
        query: limited(inlineEphemerals(graph, node.sql, node.refs), node.config),
        failures: quoteRelation("wharf_failures", node.name),
        ...(node.config ? { config: node.config } : {}),
      };
  }
}
