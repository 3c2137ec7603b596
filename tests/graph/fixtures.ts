/**
 * Hand-made projects for graph and compile tests: plain data, no database.
 *
 * @module
 */
import { resolveConfig } from "../../src/config.ts";
import type {
  GenericTest,
  GenericTestNode,
  ModelNode,
  Project,
  RelationRef,
  SeedNode,
} from "../../src/engine/types.ts";

/** References as the parser would report them for `sql`: every `schema.name` word. */
export function refsOf(sql: string): RelationRef[] {
  const refs: RelationRef[] = [];
  for (const m of sql.matchAll(/\b(?:from|join)\s+((?:"?[a-z_]+"?\s*\.\s*)?"?[a-z_0-9]+"?)/gi)) {
    const offset = m.index! + m[0].length - m[1]!.length;
    const relation = m[1]!.replaceAll('"', "").replace(/\s/g, "").toLowerCase();
    const before = sql.slice(0, offset).split("\n");
    refs.push({ relation, offset, line: before.length, column: before.at(-1)!.length + 1 });
  }
  return refs;
}

/** A model node with `sql`, its refs read by {@linkcode refsOf}. */
export function model(
  id: string,
  sql: string,
  config: Partial<ModelNode["config"]> = {},
): ModelNode {
  const [layer, name] = id.split(".") as [string, string];
  return {
    kind: "model",
    id,
    layer,
    name,
    path: `models/${layer}/${name}.sql`,
    sql,
    description: "",
    columns: [],
    config: {
      materialized: "view",
      uniqueKey: [],
      tags: [],
      enabled: true,
      options: {},
      ...config,
    },
    refs: refsOf(sql),
    checks: [],
    checkRefs: [],
    columnLineage: {},
  };
}

/** A seed node. */
export function seed(name: string): SeedNode {
  return {
    kind: "seed",
    id: `seeds.${name}`,
    name,
    path: `models/seeds/${name}.csv`,
    description: "",
    columns: [],
    columnTypes: {},
    tags: [],
  };
}

/** A generic test node; `test` gives its kind, column and arguments (no other relation read by default). */
export function genericTest(
  name: string,
  attachedTo: string,
  test: Pick<GenericTest, "kind" | "column"> & Partial<GenericTest>,
): GenericTestNode {
  return {
    kind: "generic_test",
    id: `test.${name}`,
    name,
    attachedTo,
    test: { args: {}, reads: [], ...test },
    severity: "error",
    location: { file: "models/x.yml", line: 3 },
  };
}

/** A project of the given nodes. */
export function project(parts: Partial<Pick<Project, "models" | "seeds" | "tests">>): Project {
  return {
    config: resolveConfig("/tmp/project"),
    models: parts.models ?? [],
    seeds: parts.seeds ?? [],
    tests: parts.tests ?? [],
    macros: [],
    issues: [],
  };
}
