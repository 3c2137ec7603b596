/**
 * Compiles a unit test into plain data: the model's SELECT as the test
 * runs it, the rows given for each input, the seeds read as they are, and
 * how to type an input that is not built in the warehouse yet (the SQL of
 * every ancestor, so its columns can be derived with zero rows).
 *
 * @module
 */
import type { Graph } from "../graph/build_graph.ts";
import { materialization } from "../materializations/index.ts";
import type { ModelNode, UnitTestData, UnitTestNode } from "../types.ts";
import { type CompiledTest, inlineEphemerals, seedSql } from "./compile.ts";

/** An ancestor of a unit test's model, to type inputs the warehouse does not have. */
export interface UpstreamRelation {
  relation: string;
  kind: "model" | "seed" | "source";
  /** A model's SELECT (ephemeral models inlined); a seed's load statement. */
  sql?: string;
  /** The relations it reads. */
  parents: string[];
}

/** What a unit test runs, in its own scratch database. */
export interface CompiledUnitTest {
  /** The model under test. */
  model: string;
  /** The model's SELECT as the test runs it (ephemeral models given as inputs stay references). */
  select: string;
  /** The given inputs, in YAML order. */
  inputs: { input: string; relation: string; data: UnitTestData }[];
  /** Seeds the model reads that no input gives: read as they are, from their CSV file. */
  seeds: { relation: string; sql: string }[];
  /** True when the model reads its own relation (an incremental model; `this`). */
  readsItself: boolean;
  /** Every ancestor of the model, parents first. */
  upstream: UpstreamRelation[];
  /** Variables for `wharf_var()`, the project's with the test's overrides. */
  vars: Record<string, string>;
  /** DuckDB macros replaced for the test (plain SQL): name to the SQL they return. */
  macros: Record<string, string>;
  expect: UnitTestData;
}

/** A YAML value as SQL text: `true`, `42`, or the text itself. */
function sqlText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Compiles `test` against `graph`, with the project's `vars`.
 *
 * @returns a test node whose `unit` says what runs; `query` is the model's SELECT.
 */
export function compileUnitTest(
  graph: Graph,
  test: UnitTestNode,
  options: { root: string; vars: Readonly<Record<string, string>> },
): CompiledTest {
  const model = graph.nodes.get(test.model) as ModelNode;
  const keep = new Set(test.given.map((g) => g.relation));
  const sql = test.sql?.text ?? model.sql;
  const refs = test.sql?.refs ?? model.refs;
  const select = inlineEphemerals(graph, sql, refs, keep);
  // The SELECT's reads: a unit test runs the SELECT, not the model's row checks.
  const reads = [...new Set(refs.map((r) => r.relation))];
  const seeds = reads.filter((r) => !keep.has(r)).flatMap((r) => {
    const n = graph.nodes.get(r);
    return n?.kind === "seed" ? [{ relation: r, sql: seedSql(n, options.root) }] : [];
  });
  // The nodes the SELECT reads: a relation several declared sources read is each of them.
  const modelParents = graph.parents.get(test.model) ?? [];
  const readNodes = reads.flatMap((r) => {
    if (graph.nodes.has(r)) return [r];
    return modelParents.filter((p) => {
      const n = graph.nodes.get(p);
      return n?.kind === "source" && n.relation === r;
    });
  });
  const ancestors = new Set<string>();
  const visit = (id: string) => {
    for (const p of graph.parents.get(id) ?? []) {
      if (p === test.model || ancestors.has(p)) continue;
      ancestors.add(p);
      visit(p);
    }
  };
  for (const r of readNodes) {
    if (r === test.model || ancestors.has(r)) continue;
    ancestors.add(r);
    visit(r);
  }
  /** The relation a node builds or reads. */
  const relation = (id: string) => {
    const n = graph.nodes.get(id);
    return n?.kind === "source" ? n.relation : id;
  };
  const upstream: UpstreamRelation[] = graph.order.filter((id) => ancestors.has(id)).flatMap(
    (id): UpstreamRelation[] => {
      const n = graph.nodes.get(id)!;
      const parents = (graph.parents.get(id) ?? []).map(relation);
      if (n.kind === "seed") {
        return [{ relation: id, kind: "seed", sql: seedSql(n, options.root), parents }];
      }
      if (n.kind === "model") {
        return [{
          relation: id,
          kind: "model",
          sql: inlineEphemerals(graph, n.sql, n.refs),
          parents,
        }];
      }
      return n.kind === "source" ? [{ relation: n.relation, kind: "source", parents: [] }] : [];
    },
  );
  const macros = test.sql ? {} : Object.fromEntries(
    Object.entries(test.macros).map(([k, v]) => [k, sqlText(v)]),
  );
  const vars = {
    ...options.vars,
    ...Object.fromEntries(Object.entries(test.vars).map(([k, v]) => [k, sqlText(v)])),
  };
  return {
    kind: "test",
    id: test.id,
    name: test.name,
    severity: "error",
    attachedTo: test.model,
    query:
      `-- unit test ${test.name} of ${test.model}: the model's SELECT, run on the given rows\n${select}`,
    failures: "",
    unit: {
      model: test.model,
      select,
      inputs: test.given.map((g) => ({ ...g })),
      seeds,
      readsItself: reads.includes(test.model) &&
        materialization(model.config.materialized).readsItself,
      upstream,
      vars,
      macros,
      expect: test.expect,
    },
  };
}
