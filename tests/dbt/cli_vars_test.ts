/**
 * `--vars` in a dbt project takes any name, as dbt does: `var('x', default)`
 * reads the command's value, a `var()` with neither a value nor a default
 * is an error at its file and line, and a name nothing reads is warned
 * about. A plain-SQL project keeps refusing the names it does not declare.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliCommand, queryRows, runCli, tempProject } from "../helpers.ts";

Deno.test("dbt: --vars names a variable dbt_project.yml does not declare, and var() reads it", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\nvars:\n  declared: 1\n",
    "models/limits.sql":
      "select {{ var('cap', 5) }} as cap, {{ var('declared') }} as declared,\n  '{{ var('region', 'eu') }}' as region",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const compiled = await cli("compile", "limits", "--vars", "{cap: 7, region: us}");
  assert.equal(compiled.code, 0, compiled.stderr);
  assert.match(compiled.stdout, /select 7 as cap, 1 as declared,\n {2}'us' as region/);
  assert.equal(compiled.stderr, "");
  const defaults = await cli("compile", "limits");
  assert.match(defaults.stdout, /select 5 as cap, 1 as declared,\n {2}'eu' as region/);

  // A name that nothing reads is taken, with a warning naming the closest.
  const typo = await cli("compile", "limits", "--vars", "caps=9");
  assert.equal(typo.code, 0, typo.stderr);
  assert.match(typo.stdout, /select 5 as cap/);
  assert.match(
    typo.stderr,
    /warning: --vars "caps": dbt_project\.yml declares no such variable and no var\('caps'\) reads it \(did you mean "cap"\?\)/,
  );

  // Neither a value, nor a declaration, nor a default: dbt's compile error, at the file and line.
  await p.write("models/needs.sql", "select 1 as x,\n  {{ var('start_date') }} as start_date");
  const missing = await cli("ls");
  assert.equal(missing.code, 2);
  assert.match(
    missing.stderr,
    /models\/needs\.sql:2: Cannot render the SQL: Required var "start_date" is not set: declare it under "vars:" in dbt_project\.yml, pass --vars start_date=…, or give var\(\) a default/,
  );
  // ls takes --vars too (and docs build, source freshness), as dbt's do.
  const listed = await cli("ls", "--vars", "{start_date: 20240101}", "--output", "name");
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(listed.stdout.trim().split("\n"), ["limits", "needs"]);
  const given = await cli("compile", "needs", "--vars", "start_date=20240101");
  assert.equal(given.code, 0, given.stderr);
  assert.match(given.stdout, /20240101 as start_date/);
  // A misspelt name: the closest the project or --vars has.
  await p.write("models/typo.sql", 'select {{ var("declard") }} as d');
  const misspelt = await cli("ls", "--vars", "{start_date: 20240101}");
  assert.equal(misspelt.code, 2);
  assert.match(
    misspelt.stderr,
    /models\/typo\.sql:1: Cannot render the SQL: Required var "declard" is not set \(did you mean "declared"\?\): declare it/,
  );
});

Deno.test("plain SQL: --vars naming a variable wharf.config.ts does not declare is refused", async () => {
  await using p = await tempProject({
    "wharf.config.ts": 'export default { vars: { cap: "5" } };\n',
    "models/marts/limits.sql": "select wharf_var('cap') as cap",
  });
  const r = await runCli(["--project", p.root, "compile", "limits", "--vars", "{caps: 7}"]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /Unknown variable "caps" in --vars \(did you mean "cap"\?\): the project declares "cap"; declare it under "vars" in wharf\.config\.ts/,
  );
});

Deno.test("dbt's --vars mapping keeps YAML's types: a quoted '007' stays text, a number stays a number", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nvars:\n  code: abc\n",
    "models/a.sql":
      "select '{{ var(\"code\") }}' as code, {{ var('code') is string }} as is_text, {{ var('n', 0) + 1 }} as next",
  });
  const r = await runCli([
    "--project",
    p.root,
    "run",
    "--vars",
    "{code: '007'}",
    "--vars",
    "n: 41",
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await queryRows(join(p.root, "shop.duckdb"), "select * from main.a"), [
    { code: "007", is_text: true, next: 42 },
  ]);
});

Deno.test("dbt_project.yml's vars render as its other values do (target, env_var, --vars), once, when the project loads", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      "name: shop\nvars:\n  tgt: \"{{ target.name }}_x\"\n  region: \"{{ env_var('WHARF_TEST_REGION', 'eu') }}\"\n  n: 3\n",
    "models/a.sql":
      "select '{{ var(\"tgt\") }}' as tgt, '{{ var(\"region\") }}' as region, {{ var('n') + 1 }} as n",
  });
  const compile = (env: Record<string, string> = {}) =>
    cliCommand(["--project", p.root, "compile", "a"], { env }).output().then((o) =>
      new TextDecoder().decode(o.stdout)
    );
  assert.match(await compile(), /select 'default_x' as tgt, 'eu' as region, 4 as n/);
  assert.match(await compile({ WHARF_TEST_REGION: "jp" }), /'jp' as region/);
  // One that does not render is an error at its key.
  await Deno.writeTextFile(
    join(p.root, "dbt_project.yml"),
    'name: shop\nvars:\n  tgt: "{{ nope() }}"\n',
  );
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /dbt_project\.yml:3:\d+: vars\.tgt: cannot render "\{\{ nope\(\) \}\}"/);
});
