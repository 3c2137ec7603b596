/**
 * What templates say (`log(…, info=True)`, `exceptions.warn()`) follows
 * `--log-level` and `--quiet`, from a model compiled with the project, a
 * model rendered against the warehouse (run_query()) and a run hook.
 */
import assert from "node:assert/strict";
import { runCli, tempProject } from "../helpers.ts";

const SAYING = {
  "dbt_project.yml": `name: saying
config-version: 2
profile: saying
on-run-start:
  - "{{ log('info from the hook', info=True) }}{{ exceptions.warn('warning from the hook') }}"
`,
  "profiles.yml": `saying:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: dev.duckdb
`,
  "models/plain.sql":
    "{{ log('info from plain', info=True) }}{{ exceptions.warn('warning from plain') }}select 1 as id",
  "models/reads.sql": `{% set r = run_query("select 2 as n") %}
{% if execute %}
{{ log('info from reads ' ~ r.columns[0].values()[0], info=True) }}
{{ exceptions.warn('warning from reads') }}
{% endif %}
select 1 as id`,
};

const INFO = ["info from the hook", "info from plain", "info from reads 2"];
const WARNINGS = ["warning from the hook", "warning from plain", "warning from reads"];

function said(stderr: string): string[] {
  return stderr.split("\n").filter((l) => /from (the hook|plain|reads)/.test(l));
}

Deno.test("build: log(info=True) prints at info only, exceptions.warn() at info and warn, -q and --log-level error print neither", async () => {
  await using p = await tempProject(SAYING);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args, "build"]);
  let r = await cli();
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    said(r.stderr).sort(),
    [...INFO, ...WARNINGS.map((w) => `warning: ${w}`)].sort(),
  );
  for (const level of ["info", "debug"]) {
    r = await cli("--log-level", level);
    assert.equal(said(r.stderr).length, 6, `${level}: ${r.stderr}`);
  }

  r = await cli("--log-level", "warn");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(said(r.stderr).sort(), WARNINGS.map((w) => `warning: ${w}`).sort());

  for (const args of [["-q"], ["--quiet"], ["--log-level", "error"], ["--log-level", "none"]]) {
    r = await cli(...args);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(said(r.stderr), [], `${args.join(" ")}: ${r.stderr}`);
  }
});
