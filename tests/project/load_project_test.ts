import assert from "node:assert/strict";
import { loadProject } from "../../src/engine/project/load_project.ts";
import { compileProject } from "../../src/engine/compile/compile_project.ts";
import { CompileError } from "../../src/engine/errors.ts";
import { CLINIC, tempProject } from "../helpers.ts";
import { loadConfig } from "../../src/config.ts";

Deno.test("loadProject() reads models, YAML config, columns, tests, seeds, macros and singular tests", async () => {
  const project = await loadProject(await loadConfig(CLINIC));
  assert.deepEqual(project.issues, []);
  assert.deepEqual(project.models.map((m) => m.id).sort(), [
    "intermediate.int_appointments",
    "intermediate.int_payments_by_appointment",
    "marts.daily_revenue",
    "marts.patient_visits",
    "marts.provider_load",
    "staging.stg_appointments",
    "staging.stg_patients",
    "staging.stg_payments",
  ]);
  const daily = project.models.find((m) => m.name === "daily_revenue")!;
  assert.deepEqual(daily.config, {
    materialized: "incremental",
    uniqueKey: ["day"],
    writtenUniqueKey: "day",
    tags: ["finance"],
    enabled: true,
    options: { watermark: "day" },
  });
  assert.deepEqual(daily.refs.map((r) => r.relation), ["intermediate.int_appointments"]);
  assert.equal(project.seeds.find((s) => s.name === "patients")?.columnTypes.state, "VARCHAR");
  assert.equal(project.macros.length, 1);
  const names = project.tests.map((t) => t.name);
  assert.ok(names.includes("relationships_stg_appointments_patient_id__staging_stg_patients"));
  assert.ok(names.includes("no_payments_on_cancelled_appointments"));
});

Deno.test("loadProject() reports YAML problems with the file, the path in the YAML and the line", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/staging/schema.yml": [
      "models:",
      "  - name: a",
      "    config:",
      "      materialized: tabel",
      "    columns:",
      "      - name: id",
      "        tests:",
      "          - unique",
      "          - accepted_values: {}",
      "          - nonsense",
      "  - name: ghost",
    ].join("\n"),
  });
  const project = await loadProject(p.config);
  const messages = project.issues.map((i) => `${i.location.file}:${i.location.line}: ${i.message}`);
  assert.deepEqual(
    messages.sort(),
    [
      'models/staging/schema.yml:11: models[1].name: no model "ghost" in this folder: add ghost.sql beside this file or remove the entry',
      'models/staging/schema.yml:4: models[0].config.materialized: expected one of view, table, incremental, ephemeral, external, got "tabel"',
      "models/staging/schema.yml:9: models[0].columns[0].tests[1].accepted_values.values: expected a non-empty list of accepted values, got nothing",
      'models/staging/schema.yml:10: models[0].columns[0].tests[2]: unknown test "nonsense": expected unique, not_null, accepted_values, relationships or expression_is_true',
    ].sort(),
  );
});

Deno.test("loadProject() reports invalid YAML syntax with its line", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/staging/schema.yml": "models:\n  - name: a\n    description: [unclosed\n",
  });
  const project = await loadProject(p.config);
  assert.equal(project.issues.length, 1);
  assert.match(project.issues[0]!.message, /^Invalid YAML: /);
  assert.equal(project.issues[0]!.location.file, "models/staging/schema.yml");
  assert.ok(project.issues[0]!.location.line! >= 3);
});

Deno.test("an indentation mistake in YAML is named with the line it means, not the parser's position text", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/staging/schema.yml":
      "models:\n  - name: a\n    columns:\n      - name: id\n  tests:\n      - unique\n",
  });
  const project = await loadProject(p.config);
  assert.equal(project.issues.length, 1);
  assert.equal(
    project.issues[0]!.message,
    'Invalid YAML: All mapping items must start at the same column (the line reads "tests:")',
  );
  assert.equal(project.issues[0]!.location.line, 5);
});

Deno.test("a line indented deeper than the key before it is named, not the key before it", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/staging/schema.yml":
      "models:\n  - name: a\n    columns:\n      - name: id\n        description: the id\n          tests:\n          - unique\n",
  });
  const project = await loadProject(p.config);
  assert.deepEqual(project.issues.map((i) => [i.message, i.location.line]), [[
    'Invalid YAML: the line reads "tests:", indented deeper than "description: the id" (line 5), which already has its value: indent it as the keys beside it',
    6,
  ]]);
});

Deno.test("loadProject() reports unparseable SQL with file, line and DuckDB's message", async () => {
  await using p = await tempProject({
    "models/staging/bad.sql": "select id,\n  name\nfrom staging.x\nwhere id = = 2",
    "models/staging/ddl.sql": "create table t (a int)",
    "models/staging/two.sql": "select 1; select 2",
  });
  const project = await loadProject(p.config);
  const byFile = new Map(project.issues.map((i) => [i.location.file, i]));
  const bad = byFile.get("models/staging/bad.sql")!;
  assert.match(bad.message, /^Cannot parse SQL: syntax error at or near "="/);
  assert.equal(bad.location.line, 4);
  assert.match(byFile.get("models/staging/ddl.sql")!.message, /must be one SELECT statement/);
  assert.match(
    byFile.get("models/staging/two.sql")!.message,
    /Expected one SELECT statement, found 2/,
  );
});

Deno.test("loadProject() rejects models outside a layer folder and reserved layer names", async () => {
  await using p = await tempProject({
    "models/loose.sql": "select 1",
    "models/raw/a.sql": "select 1",
  });
  const project = await loadProject(p.config);
  assert.equal(project.issues.length, 2);
  assert.match(project.issues[0]!.message, /not in a layer folder/);
  assert.match(project.issues[1]!.message, /the schema "raw" is reserved/);
});

Deno.test("loadProject() asks incremental models for a strategy or a watermark and leaves disabled models out", async () => {
  await using p = await tempProject({
    "models/marts/inc.sql": "select 1 as id",
    "models/marts/off.sql": "select 1 as id",
    "models/marts/m.yml":
      "models:\n  - name: inc\n    config: {materialized: incremental}\n  - name: off\n    config: {enabled: false}\n",
  });
  const project = await loadProject(p.config);
  assert.deepEqual(project.models.map((m) => m.id), ["marts.inc"]);
  assert.match(
    project.issues[0]!.message,
    /needs an "incremental_strategy" \(append, merge, delete\+insert, microbatch\) or a "watermark" column/,
  );
});

Deno.test("a test that reads a disabled model is left out with a warning naming it, its file and line and the model, as dbt does", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as x",
    "models/staging/b.sql": "select 1 as id",
    "models/staging/staging.yml": `models:
  - name: b
    config: { enabled: false }
  - name: a
    columns:
      - name: x
        tests:
          - relationships: { to: staging.b, field: id }
          - relationships: { to: staging.b, field: id, config: { enabled: false } }
          - not_null
`,
  });
  const project = await loadProject(p.config);
  assert.deepEqual(project.tests.map((t) => t.id), ["test.not_null_a_x"]);
  assert.deepEqual(project.issues, [{
    message:
      'Test "relationships_a_x__staging_b" refers to "staging.b" (models/staging/b.sql), which is disabled (enabled: false): the test is left out, as dbt leaves out a test of a disabled node; enable "staging.b", or disable the test too (config: enabled: false)',
    location: { file: "models/staging/staging.yml", line: 8, column: 13 },
    warning: true,
  }]);
  // A warning: the project compiles.
  await compileProject(p.config, { sources: [] });
});

Deno.test("compileProject() throws one CompileError listing every problem", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select * from staging.nope",
    "models/staging/b.sql": "selec 1",
  });
  await assert.rejects(() => compileProject(p.config, { sources: [] }), (err: unknown) => {
    assert.ok(err instanceof CompileError);
    assert.equal(err.issues.length, 2);
    assert.match(err.message, /2 problems found \(nothing was run\)/);
    assert.match(
      err.message,
      /models\/staging\/a\.sql:1:15: Cannot resolve relation "staging\.nope"/,
    );
    assert.match(err.message, /models\/staging\/b\.sql:1:1: Cannot parse SQL/);
    return true;
  });
});
