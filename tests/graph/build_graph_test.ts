import assert from "node:assert/strict";
import { buildGraph, findCycle } from "../../src/engine/graph/build_graph.ts";
import { closest } from "../../src/engine/suggest.ts";
import { CycleError } from "../../src/engine/errors.ts";
import { genericTest, model, project, seed } from "./fixtures.ts";

Deno.test("buildGraph() orders parents before children, ties by id", () => {
  const p = project({
    seeds: [seed("people")],
    models: [
      model("marts.b", "select * from staging.a"),
      model("staging.a", "select * from seeds.people"),
      model("marts.c", "select * from staging.a join marts.b using (x)"),
    ],
  });
  const { graph, issues } = buildGraph(p, []);
  assert.deepEqual(issues, []);
  assert.deepEqual(graph.order, ["seeds.people", "staging.a", "marts.b", "marts.c"]);
  assert.deepEqual(graph.parents.get("marts.c"), ["staging.a", "marts.b"]);
  assert.deepEqual(graph.children.get("staging.a"), ["marts.b", "marts.c"]);
});

Deno.test("buildGraph() reports an unknown relation with file, line and the closest name", () => {
  const p = project({
    models: [
      model("staging.stg_claims", "select 1 as x"),
      model("intermediate.int_claims", "select *\nfrom staging.stg_claim"),
    ],
  });
  const { issues } = buildGraph(p, []);
  assert.equal(issues.length, 1);
  assert.equal(
    issues[0]!.message,
    'Cannot resolve relation "staging.stg_claim" in models/intermediate/int_claims.sql: no such model (did you mean "staging.stg_claims"?)',
  );
  assert.deepEqual(issues[0]!.location, {
    file: "models/intermediate/int_claims.sql",
    line: 2,
    column: 6,
  });
});

Deno.test("buildGraph() reads a checked model's quarantine through the model; an unchecked model has none", () => {
  const checked = {
    ...model("staging.visits", "select 1 as id"),
    checks: [{ name: "valid_id", expression: "id is not null", onFail: "reject" as const }],
  };
  const p = project({
    models: [
      checked,
      model("staging.plain", "select 1 as id"),
      model("intermediate.why", "select * from staging.visits__rejected"),
      model("intermediate.values", "select * from staging.visits__rejected_values"),
      model("intermediate.none", "select * from staging.plain__rejected"),
    ],
  });
  const { graph, issues } = buildGraph(p, []);
  assert.deepEqual(graph.parents.get("intermediate.why"), ["staging.visits"]);
  // No check nullifies, so no __rejected_values is built; nothing is quarantined of an unchecked model.
  assert.deepEqual(issues.map((i) => i.message.replace(/ \(did you mean.*$/, "")), [
    'Cannot resolve relation "staging.visits__rejected_values" in models/intermediate/values.sql: no such model',
    'Cannot resolve relation "staging.plain__rejected" in models/intermediate/none.sql: no such model',
  ]);
});

Deno.test("buildGraph() collects every unresolved reference, not just the first", () => {
  const p = project({
    models: [
      model("staging.a", "select * from raw.claims"),
      model("staging.b", "select * from seeds.nope join staging.zzz using (x)"),
    ],
  });
  const { issues, missing, graph } = buildGraph(p, ["raw.members"]);
  assert.equal(issues.length, 2);
  assert.match(issues[0]!.message, /"seeds\.nope".*no such seed/);
  assert.match(issues[1]!.message, /"staging\.zzz".*no such model/);
  // A raw table not landed is kept apart: only what needs it is refused.
  assert.deepEqual([...missing.keys()], ["raw.claims"]);
  assert.match(
    missing.get("raw.claims")![0]!.message,
    /no such raw table in the warehouse \(land it first/,
  );
  assert.deepEqual(graph.parents.get("staging.a"), ["raw.claims"]);
});

Deno.test("buildGraph() asks to qualify an unqualified model name", () => {
  const p = project({
    models: [model("staging.a", "select 1 as x"), model("marts.b", "select * from a")],
  });
  const { issues } = buildGraph(p, []);
  assert.equal(
    issues[0]!.message,
    'Cannot resolve relation "a": qualify it with its schema as "staging.a"',
  );
});

Deno.test("buildGraph() without a warehouse takes raw references on trust", () => {
  const p = project({ models: [model("staging.a", "select * from raw.claims")] });
  const { graph, issues } = buildGraph(p);
  assert.deepEqual(issues, []);
  assert.equal(graph.nodes.get("raw.claims")?.kind, "source");
});

Deno.test("buildGraph() throws CycleError with the cycle path when the cycle is the only problem", () => {
  const p = project({
    models: [
      model("staging.a", "select * from marts.c"),
      model("marts.b", "select * from staging.a"),
      model("marts.c", "select * from marts.b"),
    ],
  });
  assert.throws(() => buildGraph(p, []), (err: unknown) => {
    assert.ok(err instanceof CycleError);
    assert.deepEqual(err.path, ["marts.b", "marts.c", "staging.a", "marts.b"]);
    assert.equal(
      err.message,
      'Cannot order the project: dependency cycle "marts.b" -> "marts.c" -> "staging.a" -> "marts.b": ' +
        '"marts.c" reads "marts.b" at models/marts/c.sql:1:15, ' +
        '"staging.a" reads "marts.c" at models/staging/a.sql:1:15, ' +
        '"marts.b" reads "staging.a" at models/marts/b.sql:1:15; ' +
        "remove one of these references to break the cycle",
    );
    return true;
  });
});

Deno.test("buildGraph() reports a cycle among other problems as one more issue", () => {
  const p = project({
    models: [
      model("staging.a", "select * from staging.b"),
      model("staging.b", "select * from staging.a join staging.missing using (x)"),
    ],
  });
  const { issues } = buildGraph(p, []);
  assert.equal(issues.length, 2);
  assert.match(issues[1]!.message, /dependency cycle/);
  assert.deepEqual(issues[1]!.location, { file: "models/staging/b.sql", line: 1, column: 15 });
});

Deno.test("buildGraph() makes tests depend on their model and a relationships target", () => {
  const p = project({
    models: [
      model("staging.members", "select 1 as id"),
      model("staging.claims", "select 1 as member_id"),
    ],
    tests: [
      genericTest("rel", "staging.claims", {
        kind: "relationships",
        column: "member_id",
        args: { to: "members", field: "id" },
        reads: ["members"],
      }),
    ],
  });
  const { graph, issues } = buildGraph(p, []);
  assert.deepEqual(issues, []);
  assert.deepEqual(graph.parents.get("test.rel"), ["staging.claims", "staging.members"]);
});

Deno.test("buildGraph() reports a relationships test pointing nowhere", () => {
  const p = project({
    models: [model("staging.claims", "select 1 as member_id")],
    tests: [
      genericTest("rel", "staging.claims", {
        kind: "relationships",
        column: "member_id",
        args: { to: "staging.claim", field: "id" },
        reads: ["staging.claim"],
      }),
    ],
  });
  const { issues } = buildGraph(p, []);
  assert.match(
    issues[0]!.message,
    /Test "rel" refers to "staging\.claim": no such model or seed \(did you mean "staging\.claims"\?\)/,
  );
  assert.equal(issues[0]!.location.line, 3);
});

Deno.test("findCycle() finds a self-reference", () => {
  assert.deepEqual(findCycle(["a"], new Map([["a", ["a"]]])), ["a", "a"]);
  assert.equal(findCycle(["a", "b"], new Map([["b", ["a"]]])), undefined);
});

Deno.test("closest() suggests only near names", () => {
  assert.equal(
    closest("staging.stg_member", ["staging.stg_members", "marts.members"]),
    "staging.stg_members",
  );
  assert.equal(closest("totally_else", ["staging.stg_members"]), undefined);
});
