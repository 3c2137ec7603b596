/**
 * `config.<key>:` in a dbt project, through the CLI: it selects by the
 * config as written, in dbt's flat key names, as the manifest records it:
 * not by a default wharf runs by.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempProject } from "../helpers.ts";

const CLAIMS = {
  "dbt_project.yml": `name: claims
config-version: 2
models:
  claims:
    marts:
      +materialized: incremental
      +incremental_strategy: append
`,
  // No strategy written: wharf merges it by delete+insert, but its config has none.
  "models/staging/claims_keyed.sql":
    "{{ config(materialized='incremental', unique_key='claim_id') }}\nselect 1 as claim_id",
  "models/staging/claim_lines.sql":
    "{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['claim_id', 'line_no'], on_schema_change='fail') }}\nselect 1 as claim_id, 1 as line_no",
  "models/marts/paid_lines.sql": "select * from {{ ref('claim_lines') }}",
  "snapshots/member_plans.sql": `{% snapshot member_plans %}
{{ config(target_schema='history', unique_key='member_id', strategy='check', check_cols=['plan_code']) }}
select 1 as member_id, 'P1' as plan_code
{% endsnapshot %}
`,
};

async function ls(root: string, select: string): Promise<{ ids: string[]; stderr: string }> {
  const r = await runCli(["--project", root, "--json", "ls", "-s", select]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return { ids: JSON.parse(r.stdout).map((n: { id: string }) => n.id).sort(), stderr: r.stderr };
}

Deno.test("config.<key>: selects a dbt node by its config as written, under dbt's key names, as the manifest records it", async () => {
  await using p = await tempProject(CLAIMS);
  const ids = async (select: string) => (await ls(p.root, select)).ids;
  assert.deepEqual(await ids("config.incremental_strategy:delete+insert"), ["main.claim_lines"]);
  assert.deepEqual(await ids("config.incremental_strategy:append"), ["main.paid_lines"]);
  assert.deepEqual(await ids("config.incremental_strategy:*"), [
    "main.claim_lines",
    "main.paid_lines",
  ]);
  assert.deepEqual(await ids("config.on_schema_change:fail"), ["main.claim_lines"]);
  // unique_key as written, a column or a list.
  assert.deepEqual(await ids("config.unique_key:claim_id"), [
    "main.claim_lines",
    "main.claims_keyed",
  ]);
  assert.deepEqual(await ids("config.unique_key:line_no"), ["main.claim_lines"]);
  assert.deepEqual(await ids("config.unique_key:member_id"), ["history.member_plans"]);
  // A snapshot's own keys.
  assert.deepEqual(await ids("config.strategy:check"), ["history.member_plans"]);
  assert.deepEqual(await ids("config.check_cols:plan_code"), ["history.member_plans"]);
  assert.deepEqual(await ids("config.target_schema:history"), ["history.member_plans"]);

  // The manifest ls wrote says the same.
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  const configs = Object.values(
    manifest.nodes as Record<string, {
      name: string;
      config: Record<string, unknown>;
    }>,
  );
  const written = (key: string) =>
    configs.filter((n) => n.config[key] !== null && n.config[key] !== undefined)
      .map((n) => [n.name, n.config[key]]).sort();
  assert.deepEqual(written("incremental_strategy"), [
    ["claim_lines", "delete+insert"],
    ["paid_lines", "append"],
  ]);
  assert.deepEqual(written("unique_key"), [
    ["claim_lines", ["claim_id", "line_no"]],
    ["claims_keyed", "claim_id"],
    ["member_plans", "member_id"],
  ]);

  // wharf's own nesting of these keys is no config of dbt's.
  const nested = await ls(p.root, "config.incremental.incremental_strategy:*");
  assert.deepEqual(nested.ids, []);
  assert.match(
    nested.stderr,
    /no node has a config "incremental\.incremental_strategy" \(did you mean "config\.incremental_strategy:"\?\)/,
  );
});
