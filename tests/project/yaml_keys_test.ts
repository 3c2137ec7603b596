import assert from "node:assert/strict";
import { loadProject } from "../../src/engine/project/load_project.ts";
import { tempProject } from "../helpers.ts";

Deno.test("loadProject() names every YAML key wharf does not implement, and the closest key for a typo", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/staging/staging.yml": `version: 2
models:
  - name: a
    descripton: typo
    contract: { enforced: true }
    columns_typo: []
    config:
      materialzed: table
      grants: { select: [reporter] }
      incremental_strategy: merge
    columns:
      - name: id
        quote: true
        tests:
          - unique: { config: { wher: "id > 0" } }
          - relationships: { to: ref('a'), feild: id }
          - not_nul
unit_tests:
  - name: t
    model: a
    versions: { include: [1] }
    given: []
    expect: { rows: [] }
`,
    "models/seeds/s.csv": "a\n1\n",
    "models/seeds/seeds.yml": "seeds:\n  - name: s\n    config: { quote_columns: true }\n",
    "sql/tests/t.sql": "select 1 where false",
    "sql/tests/t.yml": "tests:\n  - name: t\n    config: { severity: warn, meta: { owner: x } }\n",
  });
  const project = await loadProject(p.config);
  const messages = project.issues.map((i) => `${i.location.file}:${i.location.line}: ${i.message}`);
  const expected = [
    /staging\.yml:4: models\[0\]\.descripton: unknown key "descripton" in model "a" \(did you mean "description"\?\)/,
    /staging\.yml:6: models\[0\]\.columns_typo: unknown key "columns_typo" in model "a" \(did you mean "columns"\?\)/,
    /staging\.yml:5: models\[0\]\.contract: "contract" in model "a" is not implemented by wharf: remove it/,
    /staging\.yml:8: models\[0\]\.config\.materialzed: unknown key "materialzed" in a model's config \(did you mean "materialized"\?\)/,
    /staging\.yml:9: models\[0\]\.config\.grants: "grants" in a model's config is not supported by wharf: remove it/,
    /staging\.yml:10: models\[0\]\.config\.incremental_strategy: "incremental_strategy" applies to incremental models only/,
    /staging\.yml:13: models\[0\]\.columns\[0\]\.quote: "quote" in column "id" is not implemented/,
    /staging\.yml:15: models\[0\]\.columns\[0\]\.tests\[0\]\.unique\.config\.wher: unknown key "wher" in a test's config \(did you mean "where"\?\)/,
    /staging\.yml:16: models\[0\]\.columns\[0\]\.tests\[1\]\.relationships\.feild: unknown key "feild" in test "relationships" \(did you mean "field"\?\)/,
    /staging\.yml:21: unit_tests\[0\]\.versions: "versions" \(model versions\) in unit test "t" is not supported by wharf: remove it/,
    /staging\.yml:17: models\[0\]\.columns\[0\]\.tests\[2\]: unknown test "not_nul" \(did you mean "not_null"\?\)/,
    /seeds\.yml:3: seeds\[0\]\.config\.quote_columns: "quote_columns" in a seed's config is not implemented/,
    /t\.yml:3: tests\[0\]\.config\.meta: "meta" in a test's config is not implemented/,
  ];
  for (const re of expected) {
    assert.ok(messages.some((m) => re.test(m)), `${re}\nnot in:\n${messages.join("\n")}`);
  }
});

Deno.test("loadProject() accepts every key it reads", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id, 'x' as kind",
    "models/staging/staging.yml": `version: 2
models:
  - name: a
    description: All keys.
    config: { materialized: incremental, unique_key: id, watermark: id, tags: [x], enabled: true, on_schema_change: fail }
    columns:
      - name: id
        description: The id.
        data_tests:
          - unique: { severity: warn }
          - not_null: { config: { severity: error } }
      - name: kind
        tests:
          - accepted_values: { values: [x] }
          - relationships: { to: staging.a, field: kind, column_name: kind }
          - expression_is_true: { expression: "kind <> ''" }
    tests:
      - expression: "id > 0"
`,
  });
  const project = await loadProject(p.config);
  assert.deepEqual(project.issues, []);
});
