import assert from "node:assert/strict";
import { buildGraph } from "../../src/engine/graph/build_graph.ts";
import { closest } from "../../src/engine/suggest.ts";
import { type IndirectSelection, selectNodes } from "../../src/engine/graph/select.ts";
import { findNode } from "../../src/engine/graph/find_node.ts";
import { NotFoundError, UsageError } from "../../src/engine/errors.ts";
import { genericTest, model, project, seed } from "./fixtures.ts";

function graph() {
  const p = project({
    seeds: [seed("people")],
    models: [
      model("staging.stg_people", "select * from seeds.people", { tags: ["daily"] }),
      model("staging.stg_orders", "select 1 as id"),
      model("intermediate.int_people", "select * from staging.stg_people"),
      model(
        "marts.people",
        "select * from intermediate.int_people join staging.stg_orders using (id)",
        {
          tags: ["daily", "finance"],
        },
      ),
    ],
    tests: [
      genericTest("not_null_people_id", "marts.people", { kind: "not_null", column: "id" }),
      genericTest("rel_orders_people", "staging.stg_orders", {
        kind: "relationships",
        column: "id",
        args: { to: "marts.people", field: "id" },
        reads: ["marts.people"],
      }),
    ],
  });
  return buildGraph(p, []).graph;
}

const pick = (select: string[], exclude: string[] = []) =>
  selectNodes(graph(), { select, exclude }).filter((id) => !id.startsWith("test."));

Deno.test("selectNodes() selects by name and by layer.name", () => {
  assert.deepEqual(pick(["stg_people"]), ["staging.stg_people"]);
  assert.deepEqual(pick(["marts.people"]), ["marts.people"]);
  assert.deepEqual(pick(["staging"]), ["staging.stg_orders", "staging.stg_people"]);
});

Deno.test("selectNodes() with +name adds ancestors and name+ descendants", () => {
  assert.deepEqual(pick(["+int_people"]), [
    "seeds.people",
    "staging.stg_people",
    "intermediate.int_people",
  ]);
  assert.deepEqual(pick(["stg_people+"]), [
    "staging.stg_people",
    "intermediate.int_people",
    "marts.people",
  ]);
  assert.deepEqual(pick(["stg_people+1"]), ["staging.stg_people", "intermediate.int_people"]);
  assert.deepEqual(pick(["1+marts.people"]), [
    "staging.stg_orders",
    "intermediate.int_people",
    "marts.people",
  ]);
});

Deno.test("selectNodes() understands tag:, path:, layer:, type: and globs", () => {
  assert.deepEqual(pick(["tag:daily"]), ["staging.stg_people", "marts.people"]);
  assert.deepEqual(pick(["path:models/staging"]), ["staging.stg_orders", "staging.stg_people"]);
  assert.deepEqual(pick(["layer:intermediate"]), ["intermediate.int_people"]);
  assert.deepEqual(pick(["type:seed"]), ["seeds.people"]);
  assert.deepEqual(pick(["stg_*"]), ["staging.stg_orders", "staging.stg_people"]);
});

Deno.test("selectNodes() treats space as union and comma as intersection", () => {
  assert.deepEqual(pick(["stg_orders int_people"]), [
    "staging.stg_orders",
    "intermediate.int_people",
  ]);
  assert.deepEqual(pick(["tag:daily,layer:marts"]), ["marts.people"]);
  assert.deepEqual(pick(["tag:daily", "stg_orders"]), [
    "staging.stg_orders",
    "staging.stg_people",
    "marts.people",
  ]);
});

Deno.test("selectNodes() removes --exclude matches", () => {
  assert.deepEqual(pick(["+marts.people"], ["tag:daily"]), [
    "seeds.people",
    "staging.stg_orders",
    "intermediate.int_people",
  ]);
});

Deno.test("selectNodes() brings along the tests as --indirect-selection says, cautious by default in a plain-SQL project", () => {
  const g = graph();
  const pick = (select: string[], indirectSelection?: IndirectSelection) =>
    selectNodes(g, { select, indirectSelection });
  // eager: every test of a selected node, the relationships test from stg_orders too.
  assert.deepEqual(pick(["marts.people"], "eager"), [
    "marts.people",
    "test.not_null_people_id",
    "test.rel_orders_people",
  ]);
  assert.deepEqual(pick(["stg_orders"], "eager"), [
    "staging.stg_orders",
    "test.rel_orders_people",
  ]);
  // By default (cautious), as wharf has always selected them in a plain-SQL project.
  assert.deepEqual(pick(["marts.people"]), ["marts.people", "test.not_null_people_id"]);
  assert.deepEqual(pick(["stg_orders"]), ["staging.stg_orders"]);
  // cautious: a test whose every node is selected, by any part of the selection.
  assert.deepEqual(pick(["marts.people"], "cautious"), [
    "marts.people",
    "test.not_null_people_id",
  ]);
  assert.ok(pick(["marts.people", "stg_orders"], "cautious").includes("test.rel_orders_people"));
  assert.ok(pick(["marts.people stg_orders"], "cautious").includes("test.rel_orders_people"));
  // buildable: or an ancestor of a selected node (stg_orders is one of marts.people).
  assert.ok(pick(["marts.people"], "buildable").includes("test.rel_orders_people"));
  assert.deepEqual(pick(["stg_orders"], "buildable"), ["staging.stg_orders"]);
  // empty: only what the selection names.
  assert.deepEqual(pick(["marts.people"], "empty"), ["marts.people"]);
  assert.deepEqual(pick(["tag:daily,layer:marts", "not_null_people_id"], "empty"), [
    "marts.people",
    "test.not_null_people_id",
  ]);
  assert.throws(
    () => pick(["marts.people"], "greedy" as IndirectSelection),
    /Invalid --indirect-selection "greedy": expected eager, cautious, buildable, empty$/,
  );
});

Deno.test("selectNodes() drops the tests of excluded nodes", () => {
  const all = selectNodes(graph(), {});
  assert.ok(all.includes("test.not_null_people_id") && all.includes("test.rel_orders_people"));
  const ids = selectNodes(graph(), { exclude: ["marts.people"] });
  assert.ok(!ids.includes("test.not_null_people_id"), "attached to the excluded model");
  assert.ok(!ids.includes("test.rel_orders_people"), "reads the excluded model");
  assert.ok(ids.includes("staging.stg_orders"));
  const tagged = selectNodes(graph(), { exclude: ["tag:finance"] });
  assert.ok(!tagged.includes("test.not_null_people_id"));
});

Deno.test("selectNodes() refuses a selector that matches nothing, naming the closest", () => {
  const refused = (select: string[], exclude: string[], re: RegExp) =>
    assert.throws(() => selectNodes(graph(), { select, exclude }), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, re);
      return true;
    });
  refused(
    ["int_peple"],
    [],
    /^Selector "int_peple" matches no node \(did you mean "int_people"\?\)$/,
  );
  refused(
    ["tag:dayly"],
    [],
    /^Selector "tag:dayly" matches no node \(did you mean "tag:daily"\?\)$/,
  );
  refused(["tag:weekly"], [], /known tags are "tag:daily", "tag:finance"$/);
  refused(["layer:mart"], [], /did you mean "layer:marts"/);
  refused(
    ["tag:finance,type:seed"],
    [],
    /^The selection "tag:finance,type:seed" matches no node: each part matches some, but not together$/,
  );
  // What was typed is the start of names: those are offered.
  refused(
    ["stg"],
    [],
    /^Selector "stg" matches no node \(did you mean "stg_people" or "stg_orders"\?\)$/,
  );
  refused(["type:modle"], [], /did you mean "type:model"/);
  refused(
    ["stg_*"],
    ["stg_*"],
    /^--exclude "stg_\*" leaves out every node "stg_\*" selects: nothing to run$/,
  );
});

Deno.test("selectNodes() warns of an --exclude that matches nothing, and runs the rest", () => {
  const warnings: string[] = [];
  const ids = selectNodes(graph(), {
    select: ["+marts.people"],
    exclude: ["stg_order"],
    warn: (m) => warnings.push(m),
  });
  assert.ok(ids.includes("staging.stg_orders"));
  assert.deepEqual(warnings, [
    'The selection criterion "stg_order" does not match any enabled nodes (did you mean "stg_orders"?)',
  ]);
});

Deno.test("closest() finds typos of a whole name, of its last part, or of the start of a longer name", () => {
  const names = ["intermediate.int_members", "staging.stg_members_client_a", "marts.members"];
  assert.equal(closest("marts.membrs", names), "marts.members");
  assert.equal(closest("int_membres", names), "intermediate.int_members");
  assert.equal(closest("staging.stg_membrs", names), "staging.stg_members_client_a");
  assert.equal(closest("stg_membrs", names), "staging.stg_members_client_a");
  assert.equal(closest("marts.member", names), "marts.members", "a whole match one edit away wins");
  assert.equal(closest("invoices", names), undefined);
});

Deno.test("selectNodes() rejects an unknown method", () => {
  assert.throws(() => pick(["colour:red"]), UsageError);
});

Deno.test("findNode() takes a model by its file's name when an alias names its relation, and by the alias; both of two models is ambiguous", () => {
  const aliased = { ...model("marts.high_copay", "select 1"), path: "models/marts/rpt_copay.sql" };
  let g = buildGraph(project({ models: [aliased] }), []).graph;
  assert.equal(findNode(g, "rpt_copay"), "marts.high_copay");
  assert.equal(findNode(g, "high_copay"), "marts.high_copay");
  assert.throws(
    () => findNode(g, "rpt_copy"),
    (e: unknown) => e instanceof NotFoundError && /did you mean "rpt_copay"/.test(e.message),
  );
  // One model's name that is another's alias names both.
  g = buildGraph(project({ models: [aliased, model("staging.high_copay", "select 2")] }), [])
    .graph;
  assert.equal(findNode(g, "rpt_copay"), "marts.high_copay");
  assert.throws(
    () => findNode(g, "high_copay"),
    (e: unknown) =>
      e instanceof NotFoundError &&
      e.message ===
        'Node name "high_copay" is ambiguous: use one of "marts.high_copay" (the alias of model "rpt_copay"), "staging.high_copay"',
  );
});

Deno.test("findNode() resolves names and suggests close ones", () => {
  const g = graph();
  assert.equal(findNode(g, "int_people"), "intermediate.int_people");
  assert.throws(
    () => findNode(g, "int_peple"),
    (e: unknown) =>
      e instanceof NotFoundError && /did you mean "intermediate\.int_people"/.test(e.message),
  );
});
