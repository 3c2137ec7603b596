/**
 * dbt mode: what dbt_project.yml and profiles.yml say, schema names,
 * sources, and every construct wharf does not run being an error that names
 * it (file, line, construct).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { compileProject } from "../../src/engine/compile/compile_project.ts";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { CompileError, ConfigError } from "../../src/engine/errors.ts";
import { selectNodes } from "../../src/engine/graph/select.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { runCli, tempProject } from "../helpers.ts";

const PROJECT = "name: shop\nconfig-version: 2\n";

/** The problems compiling a project reports, as `file:line: message`. */
async function problems(root: string): Promise<string[]> {
  try {
    await compileProject(await loadConfig(root), { sources: [] });
  } catch (err) {
    if (err instanceof CompileError) {
      return err.issues.map((i) => `${i.location.file}:${i.location.line ?? ""}: ${i.message}`);
    }
    throw err;
  }
  return [];
}

Deno.test("a folder without dbt_project.yml stays a plain-SQL project", async () => {
  await using p = await tempProject({ "models/staging/a.sql": "select 1 as x" });
  const config = await loadConfig(p.root);
  assert.equal(config.dbt, undefined);
  assert.equal(config.warehouse, join(p.root, "warehouse.duckdb"));
  await assert.rejects(
    () => loadConfig(p.root, { target: "dev" }),
    /--target is for dbt projects, and ".*" has no dbt_project.yml/,
  );
});

Deno.test("without a profile a dbt project builds into a file named after it, in schema main", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/a.sql": "select 1 as x",
    "models/deep/er/b.sql": "select x + 1 as y from {{ ref('a') }}",
  });
  const config = await loadConfig(p.root);
  assert.equal(config.warehouse, join(p.root, "shop.duckdb"));
  assert.equal(config.dbt?.target.schema, "main");
  const summary = await runProject("build", config);
  assert.deepEqual(summary.results.map((r) => [r.id, r.status]), [
    ["main.a", "success"],
    ["main.b", "success"],
  ]);
});

Deno.test("dbt_project.yml: keys wharf does not run yet, unknown keys and bad values are errors naming them", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      `name: shop\nquoting: {}\ndispatch: 5\nmodel-path: [x]\nsource-paths: [m]\nconfig-version: 1\nsemantic-models: {}\n`,
  });
  await assert.rejects(() => loadConfig(p.root), (err) => {
    assert.ok(err instanceof ConfigError);
    const lines = err.message.split("\n").slice(1).map((l) => l.trim());
    assert.deepEqual(lines, [
      'dbt_project.yml:2:1: quoting: "quoting" (quoting configs) is not run by wharf yet: remove it, or run this project with dbt',
      "dbt_project.yml:3:11: dispatch: expected a list of { macro_namespace, search_order }",
      'dbt_project.yml:4:1: model-path: unknown key "model-path" (did you mean "model-paths"?)',
      'dbt_project.yml:5:1: source-paths: "source-paths" was renamed by dbt 1.0: use "model-paths"',
      "dbt_project.yml:6:17: config-version: expected 2 (the only version dbt reads today)",
      // A key is named once: "semantic-models", not "semantic-models" (semantic models).
      'dbt_project.yml:7:1: semantic-models: "semantic-models" in dbt_project.yml is not supported by wharf: remove it',
    ]);
    return true;
  });
});

Deno.test("the models: tree sets configs per folder, with or without +, most specific first; a folder that holds nothing is an error", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}models:
  shop:
    materialized: table
    +tags: [all]
    staging:
      +materialized: view
      schema: stage
      tags: staged
      stg_b:
        +alias: b_renamed
    stagin:
      +schema: typo
`,
    "models/staging/stg_a.sql": "select 1 as id",
    "models/staging/stg_b.sql": "{{ config(materialized='table', tags=['own']) }} select 2 as id",
    "models/marts/m.sql": "select * from {{ ref('stg_a') }} join {{ ref('stg_b') }} using (id)",
  });
  assert.deepEqual(await problems(p.root), [
    'dbt_project.yml:13: models.shop.stagin: no model under "stagin" (did you mean "staging"?): check the folder\'s name (configs here would apply to nothing)',
  ]);
  await p.write(
    "dbt_project.yml",
    (await Deno.readTextFile(join(p.root, "dbt_project.yml"))).replace(/ {4}stagin:\n.*\n/, ""),
  );
  const cp = await compileProject(await loadConfig(p.root), { sources: [] });
  const models = cp.project.models.map((
    m,
  ) => [m.id, m.config.materialized, m.config.tags.join(",")]);
  assert.deepEqual(models, [
    ["main.m", "table", "all"],
    ["main_stage.stg_a", "view", "all,staged"],
    ["main_stage.b_renamed", "table", "all,staged,own"],
  ]);
  assert.deepEqual(cp.graph.parents.get("main.m"), ["main_stage.stg_a", "main_stage.b_renamed"]);
  assert.deepEqual(selectNodes(cp.graph, { select: ["tag:own"] }), ["main_stage.b_renamed"]);
  assert.deepEqual(selectNodes(cp.graph, { select: ["path:models/staging", "b_renamed+"] }), [
    "main_stage.b_renamed",
    "main_stage.stg_a",
    "main.m",
  ]);
});

Deno.test("a project's generate_schema_name and generate_alias_name macros name the relations", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}models:\n  shop:\n    marts:\n      +schema: analytics\n`,
    "macros/naming.sql": `{% macro generate_schema_name(custom_schema_name, node) -%}
  {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
{% macro generate_alias_name(custom_alias_name=none, node=none) -%}
  {{ return((custom_alias_name or node.name) ~ '_v1') }}
{%- endmacro %}`,
    "models/staging/s.sql": "select 1 as id",
    "models/marts/m.sql": "select * from {{ ref('s') }}",
  });
  const cp = await compileProject(await loadConfig(p.root), { sources: [] });
  assert.deepEqual(cp.project.models.map((m) => m.id).sort(), ["analytics.m_v1", "main.s_v1"]);
  const m = cp.compiled.get("analytics.m_v1");
  assert.ok(m?.kind === "model");
  assert.equal(m.select, 'select * from "main"."s_v1"');
});

Deno.test("sources: tables with identifier and schema, one pointing at a landed raw table; tests on sources", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/sources.yml": `version: 2
sources:
  - name: landed
    schema: raw
    tables:
      - name: claims
        identifier: claim_lines
        columns:
          - name: claim_id
            data_tests: [not_null]
`,
    "models/stg_claims.sql":
      "select claim_id, amount::int as amount from {{ source('landed', 'claims') }}",
  });
  const config = await loadConfig(p.root);
  const wh = await openWarehouse(config.warehouse);
  await wh.exec(
    "create schema raw; create table raw.claim_lines as select '1' as claim_id, '250' as amount",
  );
  wh.close();
  const summary = await runProject("build", config);
  assert.deepEqual(summary.results.map((r) => [r.id, r.status]).sort(), [
    ["main.stg_claims", "success"],
    ["test.source_not_null_landed_claims_claim_id", "pass"],
  ]);
  const cp = await compileProject(config, { sources: ["raw.claim_lines"] });
  assert.deepEqual(cp.graph.parents.get("main.stg_claims"), ["source.landed.claims"]);
  assert.equal(cp.graph.nodes.get("source.landed.claims")?.kind, "source");

  await p.write("models/stg_claims.sql", "select * from {{ source('landed', 'claim') }}");
  assert.deepEqual(await problems(p.root), [
    'models/stg_claims.sql:1: Cannot render the SQL: source("landed", "claim"): no such table in the project\'s sources (did you mean "landed.claims"?)',
  ]);
  await p.write("models/stg_claims.sql", "select * from {{ source('landed') }}");
  assert.deepEqual(await problems(p.root), [
    `models/stg_claims.sql:1: Cannot render the SQL: source("landed"): a source() names its source and its table, source('source_name', 'table_name')`,
  ]);
});

Deno.test("a ref() the SQL does not read (-- depends_on) is still a dependency, as in dbt", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/a.sql": "select 1 as x",
    "models/b.sql": "-- depends_on: {{ ref('a') }}\nselect 2 as y",
  });
  const cp = await compileProject(await loadConfig(p.root), { sources: [] });
  assert.deepEqual(cp.graph.parents.get("main.b"), ["main.a"]);
});

Deno.test("a properties key that is a known one with something after it names the known one", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/a.sql": "select 1 as x",
    "models/props.yml": "version: 2\nmodels:\n  - name: a\n    columns_typo:\n      - name: x\n",
  });
  assert.deepEqual(await problems(p.root), [
    'models/props.yml:4: models[0].columns_typo: unknown key "columns_typo" in model "a" (did you mean "columns"?)',
  ]);
});

Deno.test("a dependency cycle names each ref() that makes it, by file and line, and says to break one", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/int_claims.sql": "select *\nfrom {{ ref('dim_patients') }}",
    "models/marts/dim_patients.sql":
      "{{ config(materialized='table') }}\n\nselect *\nfrom {{ ref('int_claims') }}",
  });
  const r = await runCli(["--project", p.root, "run"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /dependency cycle "main\.dim_patients" -> "main\.int_claims" -> "main\.dim_patients": "main\.int_claims" reads "main\.dim_patients" at models\/int_claims\.sql:2, "main\.dim_patients" reads "main\.int_claims" at models\/marts\/dim_patients\.sql:4; remove one of these references to break the cycle/,
  );
});

Deno.test("a custom {% materialization %} block is an error at its line naming wharf's materializations; the file's other macros are read", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "macros/mats.sql":
      "{% macro helper() %}7{% endmacro %}\n\n{% materialization insert_only, adapter='duckdb' %}\n  {{ return({'relations': []}) }}\n{% endmaterialization %}\n",
    "models/a.sql": "select {{ helper() }} as x",
  });
  const message =
    "Custom materializations are not supported by wharf: {% materialization insert_only %} is not run; models are materialized as view, table, incremental, ephemeral or external (snapshots by {% snapshot %} blocks): remove the block and give its models one of those";
  assert.deepEqual(await problems(p.root), [`macros/mats.sql:3: ${message}`]);
  // --warn-unsupported leaves it out with a warning; the macros beside it work.
  const r = await runCli(["--project", p.root, "--warn-unsupported", "compile", "a"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /select 7 as x/);
  assert.ok(r.stderr.includes(`macros/mats.sql:3: ${message}`), r.stderr);
});

Deno.test("constructs wharf cannot render are errors naming the file, the line and the construct", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "macros/m.sql": "{% macro helper() %}{{ return('x') }}{% endmacro %}",
    // In a macro's {% set %} an analysis calls, load_relation() is named too, with the macro's file and line.
    "macros/counted.sql":
      "{% macro counted() %}\n{% set r = load_relation(this) %}\n{{ return(r) }}\n{% endmacro %}",
    "analyses/a.sql": "select 1 as x\nfrom {{ load_relation(this) }}",
    "analyses/k.sql": "select {{ counted() }} as n",
    "models/b.sql": "select\n  {{ helpr() }} as y",
    "models/c.sql": "select *\nfrom {{ ref('nope') }}",
    "models/d.sql": "select 1 as x\n{{ adapter.get_missing_columns(this, this) }}",
    "analyses/d.sql": "select 1 as x\n{{ adapter.get_columns_in_relation(ref('b')) }}",
    "models/e.sql": "{% for l in [[]] %}\n{% do l.append(1) %}{% endfor %}\nselect 1 as x",
    "models/f.sql": "{{ config(materialized='materialized_view') }}\nselect 1 as x",
    "models/g.sql": "select {{ var('missing') }} as x",
    "models/h.sql": "select 1 as x\n{{ exceptions.raise_compiler_error('no can do') }}",
    "models/i.sql": "select *\nfrom {{ ref('other_package', 'a') }}",
    "models/j.sql": "select 1 as x\nfrom\nwhere {{ var('v', 1) }}",
    "snapshots/snap.sql": "select 1",
    "analyses/bad.sql": "select *\nfrom {{ ref('nope2') }}",
    "analyses/counts.sql": "select {{ run_query('select 1') }} as n",
  });
  assert.deepEqual(await problems(p.root), [
    "snapshots/snap.sql:: no {% snapshot <name> %} … {% endsnapshot %} block: a file of snapshot-paths holds its snapshots in such blocks",
    'models/b.sql:2: Cannot render the SQL: unknown macro or function "helpr()" (did you mean "helper"?): "{{ helpr() }} as y"',
    'models/c.sql:2: Cannot render the SQL: ref("nope"): no model or seed named "nope"',
    'models/d.sql:2: Cannot render the SQL: "adapter.get_missing_columns()" is not supported by wharf: its adapter gives quote(), dispatch(), get_columns_in_relation() and get_relation(): "{{ adapter.get_missing_columns(this, this) }}"',
    'models/e.sql:2: Cannot render the SQL: "l.append()": "l" is a loop variable, and wharf changes in place only a variable set with {% set l = … %} in the same file or macro: set a copy first ({% set l2 = l | list %}, or dict(l) for a mapping) and change it',
    "models/f.sql:1: Cannot render the SQL: config(materialized=…): materialized views are not run by wharf yet",
    'models/g.sql:1: Cannot render the SQL: Required var "missing" is not set: declare it under "vars:" in dbt_project.yml, pass --vars missing=…, or give var() a default',
    "models/h.sql:2: Cannot render the SQL: Compilation error raised by the project: no can do",
    'models/i.sql:2: Cannot render the SQL: ref("other_package", "a"): no package "other_package" in the project: add it to packages.yml, or run `wharf deps` to see what is missing',
    'analyses/a.sql:2: Cannot render the SQL: "load_relation()" reads the warehouse: wharf runs it in a model (rendered just before it builds) and in hooks (rendered as they run), not in a test, an analysis, sql_header or the names of relations, which render while the project compiles',
    'analyses/bad.sql:2: Cannot render the SQL: ref("nope2"): no model or seed named "nope2"',
    `analyses/counts.sql:1: Cannot render the SQL: "run_query()" reads the warehouse: wharf runs it in a model (rendered just before it builds) and in hooks (rendered as they run), not in a test, an analysis, sql_header or the names of relations, which render while the project compiles`,
    `analyses/d.sql:2: Cannot render the SQL: "adapter.get_columns_in_relation()" reads the warehouse: wharf runs it in a model (rendered just before it builds) and in hooks (rendered as they run), not in a test, an analysis, sql_header or the names of relations, which render while the project compiles: "{{ adapter.get_columns_in_relation(ref('b')) }}"`,
    'analyses/k.sql:: Cannot render the SQL: "load_relation()" reads the warehouse: wharf runs it in a model (rendered just before it builds) and in hooks (rendered as they run), not in a test, an analysis, sql_header or the names of relations, which render while the project compiles (in a macro, macros/counted.sql:2)',
    'models/j.sql:3: Cannot parse SQL: syntax error at or near "where"',
  ]);
});

Deno.test("profiles.yml: attach options, unknown keys, a type other than duckdb and an extension that cannot load are errors", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}profile: shop_profile\n`,
    "profiles.yml": `shop_profile:
  target: dev
  outputs:
    dev:
      type: postgres
      path: x.duckdb
      attach: [{ path: other.duckdb, options: { x: 1 } }]
      thread: 2
`,
    "models/a.sql": "select 1 as x",
  });
  await assert.rejects(() => loadConfig(p.root), (err) => {
    assert.ok(err instanceof ConfigError);
    assert.match(
      err.message,
      /profiles\.yml:5:13: shop_profile\.outputs\.dev\.type: wharf runs dbt projects on DuckDB only: expected "duckdb", got "postgres"/,
    );
    assert.match(
      err.message,
      /attach\[0\]\.options: unknown key "options": an attached database takes "path", "alias", "read_only", "type"/,
    );
    assert.match(err.message, /thread: unknown key "thread" \(did you mean "threads"\?\)/);
    return true;
  });
  await p.write(
    "profiles.yml",
    "shop_profile:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: x.duckdb\n      extensions: [spatial_not_here]\n",
  );
  const config = await loadConfig(p.root);
  await assert.rejects(
    () => runProject("build", config),
    /Cannot load the DuckDB extension "spatial_not_here" \(the profile's extensions\)/,
  );
});

Deno.test("profiles.yml: keep_open is accepted (wharf holds one connection per command); plugins, secrets, filesystems … stay errors", async () => {
  const profile = (extra: string) =>
    `shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n${extra}`;
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "profiles.yml": profile("      keep_open: true\n"),
    "models/a.sql": "select 1 as x",
  });
  const summary = await runProject("build", await loadConfig(p.root));
  assert.deepEqual(summary.results.map((r) => [r.id, r.status]), [["main.a", "success"]]);
  await p.write(
    "profiles.yml",
    profile("      keep_open: \"{{ env_var('WHARF_TEST_UNSET', 'false') }}\"\n"),
  );
  await loadConfig(p.root);
  await p.write("profiles.yml", profile("      keep_open: sometimes\n"));
  await assert.rejects(
    () => loadConfig(p.root),
    /profiles\.yml:7:18: shop\.outputs\.dev\.keep_open: expected true or false/,
  );
  await p.write(
    "profiles.yml",
    profile(
      "      keep_open: true\n      plugins: [{ module: gsheet }]\n      secrets: []\n      filesystems: []\n      external_root: out\n      module_paths: [x]\n",
    ),
  );
  await assert.rejects(() => loadConfig(p.root), (err) => {
    assert.ok(err instanceof ConfigError);
    assert.doesNotMatch(err.message, /keep_open/);
    for (const key of ["plugins", "secrets", "filesystems", "external_root", "module_paths"]) {
      assert.match(err.message, new RegExp(`dev\\.${key}: "${key}": `), key);
    }
    return true;
  });
});

Deno.test("--profiles-dir names where profiles.yml is; settings and threads of the target apply", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "elsewhere/profiles.yml": `shop:
  target: "{{ env_var('WHARF_TEST_UNSET_TARGET', 'local') }}"
  outputs:
    local:
      type: duckdb
      path: local.duckdb
      schema: sandbox
      threads: 3
      settings: { default_null_order: nulls_first }
`,
    "models/a.sql": "select x from (values (2), (null), (1)) t(x) order by x",
  });
  await assert.rejects(
    () => loadConfig(p.root, { profilesDir: join(p.root, "nowhere") }),
    /No profiles\.yml in --profiles-dir/,
  );
  const config = await loadConfig(p.root, { profilesDir: join(p.root, "elsewhere") });
  assert.equal(config.warehouse, join(p.root, "local.duckdb"));
  assert.equal(config.threads, 3);
  assert.equal(config.dbt?.target.name, "local");
  await runProject("run", config);
  const wh = await openWarehouse(config.warehouse, {
    readOnly: true,
    settings: config.dbt?.target.settings,
  });
  try {
    assert.deepEqual((await wh.query("select x from sandbox.a")).map((r) => r.x), [null, 1, 2]);
  } finally {
    wh.close();
  }
});

Deno.test("wharf.config.ts may not set what dbt decides", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "wharf.config.ts": 'export default { warehouse: "w.duckdb" };\n',
  });
  await assert.rejects(
    () => loadConfig(p.root),
    /"warehouse" in wharf\.config\.ts: this is a dbt project, where the profile's target \(profiles\.yml\) decides it/,
  );
});

Deno.test("a relation the SQL names without ref() or source() is read as it is, as dbt runs it: no dependency, the warehouse's own database may be named", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/a.sql": "select * from main.lookup",
    "models/b.sql": "select * from shop.main.lookup",
    "models/c.sql": "select * from main.nowhere",
  });
  const db = join(p.root, "shop.duckdb");
  const wh = await openWarehouse(db);
  await wh.exec("create table main.lookup as select 7 as code");
  wh.close();
  const r = await runCli(["--project", p.root, "--json", "build"]);
  assert.equal(r.code, 1, r.stderr);
  const results = JSON.parse(r.stdout).results as {
    id: string;
    status: string;
    message?: string;
  }[];
  assert.deepEqual(results.map((x) => [x.id, x.status]).sort(), [
    ["main.a", "success"],
    ["main.b", "success"],
    ["main.c", "error"],
  ]);
  // As in dbt, a relation that is not there fails when the model runs, with DuckDB's message.
  assert.match(
    results.find((x) => x.id === "main.c")!.message!,
    /Table with name nowhere does not exist/,
  );
});
