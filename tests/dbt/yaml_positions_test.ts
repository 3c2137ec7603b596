/**
 * Where a problem in a project's YAML is reported: `file:line:column` lands
 * on the key for a key wharf does not read, on the value for a bad value,
 * and on the quote or bracket that is never closed for a syntax error (the
 * parser notices it lines later). Errors that list a file's problems say
 * how many follow their header.
 */
import assert from "node:assert/strict";
import { LineCounter, parseDocument } from "../../src/engine/yaml.ts";
import { loadProject } from "../../src/engine/project/load_project.ts";
import { runCli, SHOP_PROFILE, tempProject } from "../helpers.ts";

const PROJECT = `name: shop
config-version: 2
profile: shop
colour: blue
models:
  shop:
    +materialized: table
    +materialzed: view
`;

const SCHEMA = `version: 2
models:
  - name: a
    descripton: typo
    config:
      materialzed: table
      tags: 3
    columns:
      - name: id
        quote: true
        tests:
          - unique:
              config:
                wher: "id > 0"
          - not_null
`;

/** The lines of `text` naming a location, as `file:line:column: message`. */
function located(text: string): string[] {
  return text.split("\n").map((l) => l.trim()).filter((l) => /^\S+\.yml:\d+:\d+: /.test(l));
}

/** No line of `text` is a header left without its detail (`Invalid dbt_project.yml: `). */
function assertNoDanglingHeader(text: string): void {
  for (const line of text.split("\n")) {
    assert.doesNotMatch(line, /: $/, `dangling header: ${line}`);
    assert.doesNotMatch(line, /^(error: )?Invalid [^:]+:$/, `dangling header: ${line}`);
  }
}

Deno.test("compile reports an unknown key at the key and a bad value at the value, in dbt_project.yml and a properties file", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "profiles.yml": SHOP_PROFILE,
    "models/a.sql": "select 1 as id",
    "models/schema.yml": SCHEMA,
  });
  const r = await runCli(["--project", p.root, "compile"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  const at = located(r.stderr).map((l) => l.split(": ")[0]! + ": " + l.split(": ")[1]);
  assert.deepEqual(at.sort(), [
    // The top-level key, not its value (4:9).
    "dbt_project.yml:4:1: colour",
    // A config of the models' tree, not its value (8:19).
    "dbt_project.yml:8:5: models.shop.+materialzed",
    // A model's key, not its value (4:17).
    "models/schema.yml:10:9: models[0].columns[0].quote",
    // A test's config key, not its value (14:23).
    "models/schema.yml:14:17: models[0].columns[0].tests[0].unique.config.wher",
    "models/schema.yml:4:5: models[0].descripton",
    // A key under config:, not its value (6:20).
    "models/schema.yml:6:7: models[0].config.materialzed",
    // A bad value: the value itself.
    "models/schema.yml:7:13: models[0].config.tags",
  ]);
  assertNoDanglingHeader(r.stderr);
});

Deno.test("a folder of the models' tree that names no model is reported at its key, not on the line after it", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      "name: shop\nconfig-version: 2\nprofile: shop\nmodels:\n  shop:\n    staging:\n      +materialized: table\n",
    "profiles.yml": SHOP_PROFILE,
    "models/a.sql": "select 1 as id",
  });
  const r = await runCli(["--project", p.root, "compile"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.deepEqual(located(r.stderr), [
    'dbt_project.yml:6:5: models.shop.staging: no model under "staging": check the folder\'s name (configs here would apply to nothing)',
  ]);
});

Deno.test("profiles.yml: an unknown key of a target is reported at the key, under a header with its count", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\n",
    "profiles.yml": `${SHOP_PROFILE}      threds: 4\n`,
    "models/a.sql": "select 1 as id",
  });
  const r = await runCli(["--project", p.root, "compile"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /^error: Invalid profile "shop": 1 problem found:\n {2}\S*profiles\.yml:7:7: shop\.outputs\.dev\.threds: unknown key "threds" \(did you mean "threads"\?\)/,
  );
  assertNoDanglingHeader(r.stderr);
});

/** YAML syntax errors: the file's text, and the line:column wharf must report. */
const SYNTAX: { name: string; text: string; at: string; message: RegExp }[] = [
  {
    name: "a tab indenting a line",
    text: "name: shop\nconfig-version: 2\nmodels:\n  shop:\n\t+materialized: table\n",
    at: "5:1",
    message: /Tabs are not allowed as indentation \(the line reads "\+materialized: table"\)/,
  },
  {
    name: "a quote never closed",
    text: 'name: shop\nconfig-version: 2\nprofile: "shop\nmodels: {}\n',
    at: "3:10",
    message: /the " here is not closed: end the text with "/,
  },
  {
    name: "a list never closed",
    text: "name: shop\nmodel-paths: [models\nseed-paths: [seeds]\nconfig-version: 2\n",
    at: "2:14",
    message:
      /the "\[" here is never closed: end the list with "\]" \(the line reads "model-paths: \[models"\)/,
  },
  {
    name: "a mapping never closed",
    text: "name: shop\nconfig-version: 2\nvars: {start: 2024\nmodels: {}\n",
    at: "3:7",
    message: /the "\{" here is never closed: end the mapping with "\}"/,
  },
];

for (const c of SYNTAX) {
  Deno.test(`a YAML syntax error is reported on its own line: ${c.name}`, async () => {
    await using p = await tempProject({
      "dbt_project.yml": c.text,
      "profiles.yml": SHOP_PROFILE,
      "models/a.sql": "select 1 as id",
    });
    const r = await runCli(["--project", p.root, "compile"]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const lines = located(r.stderr);
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0]!.startsWith(`dbt_project.yml:${c.at}: Invalid YAML: `), r.stderr);
    assert.match(lines[0]!, c.message);
    assert.match(r.stderr, /^error: Invalid dbt_project\.yml: 1 problem found:\n/);
    assertNoDanglingHeader(r.stderr);
  });
}

Deno.test("a tab is reported where the yaml parser places it; an unclosed quote or bracket before it", () => {
  const parserAt = (text: string) => {
    const doc = parseDocument(text, { lineCounter: new LineCounter() });
    const pos = doc.errors[0]!.linePos![0];
    return `${pos.line}:${pos.col}`;
  };
  // The parser and wharf agree on a tab; the parser notices an unclosed one lines later.
  assert.equal(parserAt(SYNTAX[0]!.text), SYNTAX[0]!.at);
  for (const c of SYNTAX.slice(1)) assert.notEqual(parserAt(c.text), c.at, c.name);
});

Deno.test("a list closed on a line indented too little is reported on that line", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/staging/staging.yml":
      "version: 2\nmodels:\n  - name: a\n    columns: [id,\n  kind]\n    description: x\n",
  });
  const project = await loadProject(p.config);
  const at = project.issues.map((i) => `${i.location.line}:${i.location.column}`);
  assert.equal(at[0], "5:3", project.issues.map((i) => i.message).join("\n"));
});

Deno.test("a plain-SQL project's YAML reports an unknown key at the key, and an empty bad value at its key", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id",
    "models/staging/staging.yml": `version: 2
models:
  - name: a
    config:
      materialzed: table
      enabled:
    columns:
      - name: id
        tests:
          - relationships: { to: staging.a, feild: id }
`,
  });
  const project = await loadProject(p.config);
  const at = project.issues.map((i) =>
    `${i.location.line}:${i.location.column}: ${i.message.split(":")[0]}`
  );
  assert.deepEqual(at.sort(), [
    // A missing key: the mapping that lacks it.
    "10:28: models[0].columns[0].tests[0].relationships.field",
    "10:45: models[0].columns[0].tests[0].relationships.feild",
    "5:7: models[0].config.materialzed",
    "6:7: models[0].config.enabled",
  ]);
});
