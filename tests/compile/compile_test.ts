import assert from "node:assert/strict";
import { buildGraph } from "../../src/engine/graph/build_graph.ts";
import { type CompiledNode, compileNode } from "../../src/engine/compile/compile.ts";
import { compileProject, planFor } from "../../src/engine/compile/compile_project.ts";
import { genericTest, model, project, seed } from "../graph/fixtures.ts";
import { incrementalParts } from "../../src/engine/materializations/incremental_strategies/strategy.ts";
import { tempProject } from "../helpers.ts";

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

Deno.test("compileNode() compiles a watermark model to a deduplicating full build and a delete+insert of the rows above the watermark", () => {
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
  const parts = incrementalParts.parse(c.parts);
  assert.deepEqual(parts, {
    strategy: "delete+insert",
    select: "select * from staging.src",
    keys: ["id"],
    watermark: "_batch_id",
    onSchemaChange: "ignore",
    readsItself: false,
    reads: [{ relation: "staging.src" }],
  });
  assert.match(c.sql, /^CREATE OR REPLACE TABLE "marts"\."inc" AS/);
  assert.match(
    c.sql,
    /QUALIFY row_number\(\) OVER \(PARTITION BY "id" ORDER BY "_batch_id" DESC NULLS LAST, __wharf_src DESC\) = 1$/,
  );
  assert.match(
    c.script,
    /CREATE OR REPLACE TEMP TABLE "__wharf_new_marts_inc" AS\nSELECT \* FROM \(\nselect \* from staging\.src\n\) AS __wharf_src\nWHERE \(__wharf_src\."_batch_id" > \(SELECT max\("_batch_id"\) FROM "marts"\."inc"\)/,
  );
  assert.match(
    c.script,
    /\nDELETE FROM "marts"\."inc" AS DBT_INTERNAL_DEST WHERE EXISTS \(SELECT 1 FROM "__wharf_new_marts_inc" AS DBT_INTERNAL_SOURCE WHERE DBT_INTERNAL_DEST\."id" IS NOT DISTINCT FROM DBT_INTERNAL_SOURCE\."id"\);\nINSERT INTO "marts"\."inc" BY NAME SELECT \* FROM "__wharf_new_marts_inc";\n/,
  );
});

Deno.test("compileNode() appends a watermark model's new rows without a unique key", () => {
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
  assert.equal(incrementalParts.parse(c.parts).strategy, "append");
  assert.ok(!c.sql.includes("QUALIFY"));
  assert.ok(!c.script.includes("DELETE"));
  assert.match(
    c.script,
    /INSERT INTO "marts"\."log" BY NAME SELECT \* FROM "__wharf_new_marts_log";/,
  );
});

Deno.test("compileNode() leaves a model's reference to itself in its SQL and out of what it reads", () => {
  const sql =
    "select * from staging.src where not wharf_is_incremental() or id > (select max(id) from marts.inc)";
  const p = project({
    models: [
      model("marts.inc", sql, {
        materialized: "incremental",
        uniqueKey: ["id"],
        options: { incremental_strategy: "merge", hard_deletes: "invalidate" },
      }),
      model("staging.src", "select 1 as id"),
    ],
  });
  const { graph, issues } = buildGraph(p, []);
  assert.deepEqual(issues, []);
  assert.deepEqual(graph.parents.get("marts.inc"), ["staging.src"]);
  const c = compileNode(graph, graph.nodes.get("marts.inc")!, { root: "/proj" })!;
  assert.ok(c.kind === "model");
  const parts = incrementalParts.parse(c.parts);
  assert.equal(parts.readsItself, true);
  assert.deepEqual(parts.reads, [{ relation: "staging.src" }]);
  assert.equal(parts.merge?.hardDeletes, "invalidate");
  assert.match(c.script, /ALTER TABLE "marts"\."inc" ADD COLUMN "_deleted_at" TIMESTAMPTZ;/);
  assert.match(
    c.script,
    /MERGE INTO "marts"\."inc" AS DBT_INTERNAL_DEST USING "__wharf_new_marts_inc" AS DBT_INTERNAL_SOURCE ON DBT_INTERNAL_DEST\."id" IS NOT DISTINCT FROM DBT_INTERNAL_SOURCE\."id"\nWHEN MATCHED THEN UPDATE SET <each column of the model but "id"> = DBT_INTERNAL_SOURCE\.<column>, "_deleted_at" = NULL\nWHEN NOT MATCHED THEN INSERT BY NAME\nWHEN NOT MATCHED BY SOURCE AND DBT_INTERNAL_DEST\."_deleted_at" IS NULL THEN UPDATE SET "_deleted_at" = now\(\);/,
  );
});

Deno.test("buildGraph() refuses a model that reads itself unless it is incremental", () => {
  const p = project({
    models: [model("marts.t", "select * from marts.t", { materialized: "table" })],
  });
  const { issues } = buildGraph(p, []);
  assert.deepEqual(issues.map((i) => [i.message, i.location.line]), [[
    'Cannot read "marts.t" in models/marts/t.sql: a model reads its own relation only when it is incremental (to choose its new rows), and this one is table',
    1,
  ]]);
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
  // dbt's shapes: one row per value not accepted, one row per child without a parent.
  assert.match(q("test.a"), /SELECT "st" AS value_field, count\(\*\) AS n_records/);
  assert.match(q("test.a"), /CAST\(value_field AS VARCHAR\) NOT IN \('NY', 'O''Hare'\)/);
  assert.match(q("test.r"), /SELECT "id" AS from_field\n/);
  assert.match(
    q("test.r"),
    /SELECT "pid" AS to_field\n {2}FROM "seeds"\."people"\n\)\nSELECT from_field\nFROM child\nLEFT JOIN parent ON child\.from_field = parent\.to_field\nWHERE parent\.to_field IS NULL$/,
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
