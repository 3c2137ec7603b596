/**
 * A dbt project's `docs: { show: false }` (in the models: tree and in
 * properties files) and Jinja in selectors.yml (`env_var()`, `var()` of
 * `--vars`), through the CLI on a real DuckDB file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { createApp } from "../../src/serve/app.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { cliCommand, queryRows, runCli, serveLocal, tempProject } from "../helpers.ts";

Deno.test("docs: {show: false} keeps a node out of the docs site, and in the manifest with docs.show false", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      "name: clinic\nconfig-version: 2\nmodels:\n  clinic:\n    internal:\n      +docs:\n        show: false\n",
    "models/internal/visit_keys.sql": "select 1 as visit_id",
    "models/scratch.sql": "select 2 as n",
    "models/visits.sql": "select * from {{ ref('visit_keys') }}",
    "models/schema.yml":
      "version: 2\nmodels:\n  - name: scratch\n    docs:\n      show: false\n  - name: visits\n    description: One row per visit.\n",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const r = await cli("build");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const docs = await cli("docs", "build");
  assert.equal(docs.code, 0, docs.stdout + docs.stderr);
  const site = JSON.parse(
    await Deno.readTextFile(join(p.root, "target", "docs", "manifest.json")),
  );
  assert.deepEqual(site.nodes.map((n: { id: string }) => n.id), ["main.visits"]);
  assert.deepEqual(site.nodes[0].upstream, []);
  assert.deepEqual(site.edges, []);
  const html = await Deno.readTextFile(join(p.root, "target", "docs", "index.html"));
  // Not in the site's nodes nor its run history (a visible model's SQL may still name it).
  assert.doesNotMatch(html, /"(node_)?id":"main\.(visit_keys|scratch)"/);
  assert.match(html, /"node_id":"main\.visits"/);
  // dbt's manifest keeps every node, with its docs config.
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  const show = (id: string) => [
    manifest.nodes[id].docs.show,
    manifest.nodes[id].config.docs.show,
  ];
  assert.deepEqual(show("model.clinic.visit_keys"), [false, false]);
  assert.deepEqual(show("model.clinic.scratch"), [false, false]);
  assert.deepEqual(show("model.clinic.visits"), [true, true]);
  // Hidden from the docs, not from the warehouse.
  const db = join(p.root, "clinic.duckdb");
  assert.deepEqual(await queryRows(db, "select * from main.visits"), [{ visit_id: 1 }]);

  // The docs wharf serve answers leave it out too.
  const { deps, snapshots } = await prepareServer(await loadConfig(p.root), { db, pollMs: 0 });
  await using server = serveLocal(createApp(deps).fetch);
  try {
    const served = await (await fetch(`${server.base}/docs/manifest.json`)).json();
    assert.deepEqual(served.nodes.map((n: { id: string }) => n.id), ["main.visits"]);
  } finally {
    await snapshots.close();
  }
});

Deno.test("selectors.yml is rendered as dbt renders it: env_var() and var() of --vars (with defaults), not the project's vars", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      "name: clinic\nconfig-version: 2\nvars:\n  folder: marts\nmodels:\n  clinic:\n    staging:\n      +tags: [nightly]\n",
    "models/staging/stg_visits.sql": "select 1 as visit_id",
    "models/marts/visits.sql": "select * from {{ ref('stg_visits') }}",
    "selectors.yml": `selectors:
  - name: tagged
    definition: "tag:{{ env_var('WHARF_TEST_SELECTOR_TAG', 'nightly') }}"
  - name: by_folder
    definition:
      method: fqn
      value: "{{ var('folder', 'staging') }}"
  - name: per_target
    definition: "fqn:{{ 'staging' if target.name == 'default' else 'marts' }}"
  - name: required
    definition: "{{ var('nowhere') }}"
`,
  });
  const ids = async (args: string[], env: Record<string, string> = {}) => {
    const out = await cliCommand(["--project", p.root, ...args], { env }).output();
    const text = new TextDecoder().decode(out.stdout);
    return { code: out.code, stderr: new TextDecoder().decode(out.stderr), text };
  };
  // var("nowhere") has no default and --vars does not give it: an error naming the selector.
  let r = await ids(["--json", "ls", "--selector", "tagged"]);
  assert.equal(r.code, 2, r.text + r.stderr);
  assert.match(
    r.stderr,
    /selectors\.yml:\d+:\d+: selectors\[3\]\.definition: var\("nowhere"\) is not given: selectors\.yml reads only --vars \(as dbt does\), so pass --vars nowhere=… or give var\(\) a default/,
  );
  await p.write(
    "selectors.yml",
    (await Deno.readTextFile(join(p.root, "selectors.yml"))).replace(
      "  - name: required\n    definition: \"{{ var('nowhere') }}\"\n",
      "",
    ),
  );
  const listed = (text: string) => JSON.parse(text).map((n: { id: string }) => n.id);
  r = await ids(["--json", "ls", "--selector", "tagged"]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(listed(r.text), ["main.stg_visits"]);
  // A selector matching nothing: a warning naming the criterion, as dbt's.
  r = await ids(["--json", "ls", "--selector", "tagged"], { WHARF_TEST_SELECTOR_TAG: "none" });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(listed(r.text), []);
  assert.match(
    r.stderr,
    /warning: The selection criterion "tag:none" does not match any enabled nodes/,
  );
  // target: the profile's target (without a profile, "default").
  r = await ids(["--json", "ls", "--selector", "per_target"]);
  assert.deepEqual(listed(r.text), ["main.stg_visits"]);
  // The project's vars: (folder: marts) are not what selectors.yml's var() reads: its default is.
  r = await ids(["--json", "ls", "--selector", "by_folder"]);
  assert.deepEqual(listed(r.text), ["main.stg_visits"]);
  // --vars gives it.
  r = await ids(["run", "--selector", "tagged"]);
  assert.equal(r.code, 0, r.text + r.stderr);
  r = await ids(["run", "--selector", "by_folder", "--vars", "folder=marts"]);
  assert.equal(r.code, 0, r.text + r.stderr);
  assert.match(r.text, /model main\.visits/);
  assert.doesNotMatch(r.text, /model main_staging\.stg_visits/);
});
