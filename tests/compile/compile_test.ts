import assert from "node:assert/strict";
import { buildGraph } from "../../src/engine/graph/build_graph.ts";
import { type CompiledNode, compileNode } from "../../src/engine/compile/compile.ts";
import { compileProject, planFor } from "../../src/engine/compile/compile_project.ts";
import { genericTest, model, project, seed } from "../graph/fixtures.ts";
import { z } from "zod";
import { tempProject } from "../helpers.ts";

const incrementalParts = z.object({ incremental: z.array(z.string()) });

function compile(p: ReturnType<typeof project>, id: string): CompiledNode {
  const { graph } = buildGraph(p, []);
  return compileNode(graph, graph.nodes.get(id)!, { root: "/proj" })!;
}

Deno.test("compileNode() builds views and tables with CREATE OR REPLACE", () => {
  const p = project({
    models: [
      model("staging.a", "select 1 as x;\n"),
      model("marts.b", "select * from staging.a -- trailing comment", { materialized: "table" }),
    ],
  });
  const a = compile(p, "staging.a");
  assert.ok(a.kind === "model");
  assert.equal(a.sql, 'CREATE OR REPLACE VIEW "staging"."a" AS\nselect 1 as x\n');
  const b = compile(p, "marts.b");
  assert.ok(b.kind === "model");
  // The trailing comment must not swallow anything that follows the SELECT.
  assert.equal(
    b.sql,
    'CREATE OR REPLACE TABLE "marts"."b" AS\nselect * from staging.a -- trailing comment\n',
  );
});

Deno.test("compileNode() inlines ephemeral models as CTEs, at every reference, quoted or not", () => {
  const p = project({
    models: [
      model("staging.e", "select 1 as x", { materialized: "ephemeral" }),
      model("staging.f", "select x from staging.e", { materialized: "ephemeral" }),
      model(
        "marts.m",
        'with t as (select * from "staging"."f") select * from t join staging . e using (x)',
      ),
    ],
  });
  const m = compile(p, "marts.m");
  assert.ok(m.kind === "model");
  assert.equal(
    m.select,
    [
      'WITH "__wharf_ephemeral_staging__f" AS (',
      'WITH "__wharf_ephemeral_staging__e" AS (',
      "select 1 as x",
      ")",
      "SELECT * FROM (",
      'select x from "__wharf_ephemeral_staging__e"',
      ")",
      '),\n"__wharf_ephemeral_staging__e" AS (',
      "select 1 as x",
      ")",
      "SELECT * FROM (",
      'with t as (select * from "__wharf_ephemeral_staging__f") select * from t join "__wharf_ephemeral_staging__e" using (x)',
      ")",
    ].join("\n"),
  );
  const e = compile(p, "staging.e");
  assert.ok(e.kind === "model" && e.materialized === "ephemeral" && e.sql === "");
});

Deno.test("compileNode() compiles an incremental model to a deduplicating full build and a merge", () => {
  const p = project({
    models: [
      model("marts.inc", "select * from staging.src", {
        materialized: "incremental",
        uniqueKey: ["id"],
        options: { watermark: "_batch_id" },
      }),
      model("staging.src", "select 1 as id, 1 as _batch_id"),
    ],
  });
  const c = compile(p, "marts.inc");
  assert.ok(c.kind === "model" && c.materialized === "incremental");
  const { incremental } = incrementalParts.parse(c.parts);
  assert.match(c.sql, /^CREATE OR REPLACE TABLE "marts"\."inc" AS/);
  assert.match(
    c.sql,
    /QUALIFY row_number\(\) OVER \(PARTITION BY "id" ORDER BY "_batch_id" DESC NULLS LAST, __wharf_src DESC\) = 1$/,
  );
  assert.equal(incremental.length, 4);
  assert.match(
    incremental[0]!,
    /WHERE __wharf_src\."_batch_id" > \(SELECT max\("_batch_id"\) FROM "marts"\."inc"\)/,
  );
  assert.match(
    incremental[1]!,
    /^DELETE FROM "marts"\."inc" AS t WHERE EXISTS .* n\."id" IS NOT DISTINCT FROM t\."id"\)$/,
  );
  assert.equal(
    incremental[2],
    'INSERT INTO "marts"."inc" BY NAME SELECT * FROM "__wharf_new_marts_inc"',
  );
});

Deno.test("compileNode() appends without a unique key", () => {
  const p = project({
    models: [
      model("marts.log", "select 1 as w", {
        materialized: "incremental",
        options: { watermark: "w" },
      }),
    ],
  });
  const c = compile(p, "marts.log");
  assert.ok(c.kind === "model" && c.materialized === "incremental");
  assert.equal(incrementalParts.parse(c.parts).incremental.length, 3);
  assert.ok(!c.sql.includes("QUALIFY"));
});

Deno.test("compileNode() compiles generic tests to queries returning failing rows", () => {
  const p = project({
    seeds: [seed("people")],
    models: [model("staging.p", "select * from seeds.people")],
    tests: [
      genericTest("u", "staging.p", { kind: "unique", column: "id" }),
      genericTest("n", "staging.p", { kind: "not_null", column: "id" }),
      genericTest("a", "staging.p", {
        kind: "accepted_values",
        column: "st",
        args: { values: ["NY", "O'Hare"] },
      }),
      genericTest("r", "staging.p", {
        kind: "relationships",
        column: "id",
        args: { to: "people", field: "pid" },
        reads: ["seeds.people"],
      }),
      genericTest("e", "staging.p", { kind: "expression", args: { expression: "a >= b" } }),
    ],
  });
  const q = (id: string) => {
    const c = compile(p, id);
    assert.ok(c.kind === "test");
    return c.query;
  };
  assert.match(q("test.u"), /GROUP BY "id"\nHAVING count\(\*\) > 1/);
  assert.equal(q("test.n"), 'SELECT *\nFROM "staging"."p"\nWHERE "id" IS NULL');
  assert.match(q("test.a"), /CAST\("st" AS VARCHAR\) NOT IN \('NY', 'O''Hare'\)/);
  assert.match(
    q("test.r"),
    /NOT EXISTS \(SELECT 1 FROM "seeds"\."people" AS parent WHERE parent\."pid" = child\."id"\)/,
  );
  assert.equal(q("test.e"), 'SELECT *\nFROM "staging"."p"\nWHERE NOT coalesce((a >= b), false)');
});

Deno.test("compileNode() gives seeds an absolute path and typed columns", () => {
  const s = seed("people");
  s.columnTypes = { zip: "VARCHAR" };
  const c = compile(project({ seeds: [s] }), "seeds.people");
  assert.equal(
    c.kind === "seed" && c.sql,
    `CREATE OR REPLACE TABLE "seeds"."people" AS\nSELECT * FROM read_csv('/proj/models/seeds/people.csv', header = true, auto_detect = true, types = {'zip': 'VARCHAR'})`,
  );
});

Deno.test("planFor() skips ephemeral models and makes children wait for their parents' error tests", () => {
  const p = project({
    models: [
      model("staging.a", "select 1 as id"),
      model("staging.e", "select * from staging.a", { materialized: "ephemeral" }),
      model("marts.m", "select * from staging.e"),
    ],
    tests: [genericTest("nn", "staging.a", { kind: "not_null", column: "id" })],
  });
  const { graph } = buildGraph(p, []);
  const compiled = new Map(
    graph.order.map((id) => [id, compileNode(graph, graph.nodes.get(id)!, { root: "/" })!]),
  );
  const cp = { project: p, graph, compiled, missing: new Map() };
  const build = planFor(cp, graph.order, "build");
  assert.deepEqual(
    build.nodes.map((n) => n.id),
    ["staging.a", "marts.m", "test.nn"].sort((x, y) =>
      graph.order.indexOf(x) - graph.order.indexOf(y)
    ),
  );
  assert.deepEqual(build.parents.get("marts.m"), ["staging.a", "test.nn"]);
  const run = planFor(cp, graph.order, "run");
  assert.deepEqual(run.nodes.map((n) => n.id), ["staging.a", "marts.m"]);
  assert.deepEqual(run.parents.get("marts.m"), ["staging.a"]);
});

Deno.test("compileProject() reads dependencies with DuckDB's parser, ignoring CTE names", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/marts/b.sql":
      "with a as (select * from staging.a), c as (select * from a) select * from c where id in (select id from staging.a)",
  });
  const cp = await compileProject(p.config, { sources: [] });
  assert.deepEqual(cp.graph.parents.get("marts.b"), ["staging.a"]);
});
