/**
 * dbt 1.10's `config:` block of an exposure: `enabled: false` leaves it
 * out, `meta` and `tags` merge with those beside it as dbt merges them
 * (tags sorted, once each; the config's meta over the exposure's); any
 * other key is an error naming it. Through the CLI and the manifest.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempProject } from "../helpers.ts";

const exposures = (extra: string) =>
  `version: 2
exposures:
  - name: weekly
    type: dashboard
    owner: { name: Finance }
    depends_on: [ref('orders')]
    tags: [finance, daily]
    meta: { tier: 1, team: fin }
    config:
      tags: [board, finance]
      meta: { tier: 2 }
  - name: retired
    type: notebook
    owner: { email: a@example.com }
    depends_on: [ref('no_such_model')]
    config: { enabled: false }
${extra}`;

Deno.test("an exposure's config: enabled false leaves it out, meta and tags merge as dbt merges them", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "models/orders.sql": "select 1 as id",
    "models/exposures.yml": exposures(""),
  });
  const ls = await runCli([
    "--project",
    p.root,
    "ls",
    "--resource-type",
    "exposure",
    "--output",
    "name",
  ]);
  assert.equal(ls.code, 0, ls.stderr);
  // The disabled one is no node, and what it names is not resolved (as dbt does not).
  assert.deepEqual(ls.stdout.trim().split("\n"), ["weekly"]);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  const weekly = manifest.exposures["exposure.shop.weekly"];
  assert.deepEqual(weekly.tags, ["board", "daily", "finance"]);
  assert.deepEqual(weekly.meta, { tier: 2, team: "fin" });
  assert.deepEqual(weekly.config, {
    enabled: true,
    tags: ["board", "daily", "finance"],
    meta: { tier: 2, team: "fin" },
  });
  assert.equal(manifest.exposures["exposure.shop.retired"], undefined);
});

Deno.test("a key of an exposure's config: other than enabled, meta and tags is an error naming it", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "models/orders.sql": "select 1 as id",
    "models/exposures.yml": exposures(`  - name: other
    type: ml
    owner: { name: ML }
    config: { enabled: true, materialized: table }
`),
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.notEqual(r.code, 0);
  assert.match(
    r.stderr,
    /models\/exposures\.yml:20:\d+: exposures\[2\]\.config\.materialized: "materialized" in an exposure's config is not implemented by wharf: remove it \(an exposure's config reads "enabled", "meta", "tags"\)/,
  );
});
