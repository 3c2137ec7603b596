/**
 * `wharf docs generate`, as dbt users type it: in a dbt project the site goes
 * where dbt writes it (target/index.html, beside dbt's manifest.json and
 * catalog.json); in a plain-SQL project it is `docs build`. A command of
 * `docs` that does not exist names the ones that do.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempProject } from "../helpers.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("docs generate in a dbt project writes target/index.html beside dbt's manifest.json and catalog.json", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "models/orders.sql": "select 1 as id",
  });
  assert.equal((await runCli(["--project", p.root, "build"])).code, 0);
  const r = await runCli(["--project", p.root, "docs", "generate"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /written to .*target\/index\.html \(beside dbt's manifest\.json/);
  const html = await Deno.readTextFile(join(p.root, "target", "index.html"));
  assert.match(html, /<html/i);
  assert.match(html, /orders/);
  // target/manifest.json stays dbt's (the site's data is inline), with the catalog beside it.
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.match(manifest.metadata.dbt_schema_version, /manifest\/v12/);
  assert.ok(await exists(join(p.root, "target", "catalog.json")));
  assert.ok(!await exists(join(p.root, "target", "docs")));
  // docs build keeps its place.
  assert.equal((await runCli(["--project", p.root, "docs", "build"])).code, 0);
  assert.ok(await exists(join(p.root, "target", "docs", "index.html")));
  assert.ok(await exists(join(p.root, "target", "docs", "manifest.json")));
});

Deno.test("docs generate in a plain-SQL project is docs build (target/docs/)", async () => {
  await using p = await tempProject({ "models/marts/orders.sql": "select 1 as id" });
  const r = await runCli(["--project", p.root, "docs", "generate"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(await exists(join(p.root, "target", "docs", "index.html")));
  const manifest = JSON.parse(
    await Deno.readTextFile(join(p.root, "target", "docs", "manifest.json")),
  );
  assert.equal(manifest.manifest_version, 2);
  assert.ok(!await exists(join(p.root, "target", "index.html")));
});

Deno.test("an unknown command of docs names its commands, the closest one, or wharf's command for dbt's", async () => {
  let r = await runCli(["docs", "generat"]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^error: unknown command 'generat' for 'wharf docs' \(did you mean 'generate'\?\); its commands are build, generate$/m,
  );
  r = await runCli(["docs", "serve"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'serve' for 'wharf docs': wharf serve serves the docs/);
  r = await runCli(["source", "fresh"]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /unknown command 'fresh' for 'wharf source' \(did you mean 'freshness'\?\)/,
  );
});
