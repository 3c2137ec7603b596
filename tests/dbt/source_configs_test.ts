/**
 * A dbt project's source configs: the `sources:` tree of dbt_project.yml
 * (per package, folder of the properties file, source and table:
 * `+enabled`, `+tags`, `+meta`, `+freshness`, `+loaded_at_field`), a
 * source's and a table's `config:` (`enabled`, `tags`, `meta`), `meta` in
 * the manifest as dbt records it, and selecting sources by
 * `config.meta.<key>:`, `fqn:` and `path:` (their YAML file); a column's
 * `meta` and `tags` (which its tests take). Through the CLI, with the
 * manifest checked against dbt's schema.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readValid } from "../artifacts/dbt_schemas.ts";
import { runCli, tempProject } from "../helpers.ts";

const PROJECT = `name: shop
config-version: 2
sources:
  shop:
    staging:
      app:
        +meta: { owner: ops, system: pos }
        +freshness:
          warn_after: { count: 1, period: day }
        +loaded_at_field: loaded_at
        legacy_orders:
          +enabled: false
      crm:
        +tags: [crm]
models:
  shop:
    marts:
      +meta: { tier: gold }
`;

const FILES = {
  "dbt_project.yml": PROJECT,
  "models/staging/_sources.yml": `version: 2
sources:
  - name: app
    schema: landing
    meta: { system: till }
    tables:
      - name: orders
        meta: { pii: false }
        config:
          meta: { owner: finance }
          freshness:
            error_after: { count: 3, period: day }
      - name: legacy_orders
        identifier: orders_v1
  - name: crm
    schema: landing
    config:
      tags: [nightly]
    tables:
      - name: people
        tags: [pii]
      - name: notes
        config:
          enabled: false
`,
  "models/other/_more.yml": `version: 2
sources:
  - name: web
    schema: landing
    tables:
      - name: visits
`,
  "models/staging/stg_orders.sql": "select * from {{ source('app', 'orders') }}",
  "models/staging/stg_people.sql": "select * from {{ source('crm', 'people') }}",
  "models/other/stg_visits.sql": "select * from {{ source('web', 'visits') }}",
  "models/marts/orders.sql": "select * from {{ ref('stg_orders') }}",
  "models/marts/schema.yml": `version: 2
models:
  - name: orders
    meta: { owner: alice }
    config:
      meta: { sla: 1d }
    columns:
      - name: id
        meta: { pii: false }
        tags: [keys]
        data_tests: [unique]
`,
};

Deno.test("the sources: tree of dbt_project.yml and a source's config: set enabled, tags, meta and freshness per source and table", async () => {
  await using p = await tempProject(FILES);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const ls = async (...args: string[]) => {
    const r = await cli("ls", ...args);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trimEnd().split("\n").filter((l) => l !== "");
  };
  // Disabled tables (the tree's +enabled, a table's config:) are no nodes.
  assert.deepEqual(await ls("--resource-type", "source", "--output", "name"), [
    "app.orders",
    "crm.people",
    "web.visits",
  ]);
  const manifest = await readValid(join(p.root, "target"), "manifest");
  const orders = manifest.sources["source.shop.app.orders"];
  // dbt's fqn has the folders of the properties file; meta merges the tree's, the source's, the
  // table's and its config's (the most specific winning), source_meta is the source's own.
  assert.deepEqual(orders.fqn, ["shop", "staging", "app", "orders"]);
  assert.deepEqual(orders.meta, { owner: "finance", system: "till", pii: false });
  assert.deepEqual(orders.config.meta, orders.meta);
  assert.deepEqual(orders.source_meta, { system: "till" });
  assert.equal(orders.loaded_at_field, "loaded_at");
  assert.deepEqual(orders.freshness, {
    warn_after: { count: 1, period: "day" },
    error_after: { count: 3, period: "day" },
    filter: null,
  });
  const people = manifest.sources["source.shop.crm.people"];
  assert.deepEqual(people.tags, ["crm", "nightly", "pii"]);
  assert.equal(people.freshness, null, "the tree's freshness is app's only");
  assert.deepEqual(manifest.sources["source.shop.web.visits"].fqn, [
    "shop",
    "other",
    "web",
    "visits",
  ]);
  assert.equal(manifest.sources["source.shop.app.legacy_orders"], undefined);
  // A model's meta beside config: goes with its config's, under the tree's.
  const mart = manifest.nodes["model.shop.orders"];
  assert.deepEqual(mart.config.meta, { tier: "gold", owner: "alice", sla: "1d" });
  assert.deepEqual(mart.meta, mart.config.meta);
  // A column's meta and tags, and its tests take its tags, as in dbt.
  assert.deepEqual(mart.columns.id.meta, { pii: false });
  assert.deepEqual(mart.columns.id.tags, ["keys"]);
  assert.deepEqual(manifest.nodes["test.shop.unique_orders_id"].tags, ["keys"]);

  // Selection: config.meta.<key>: (sources and models), tag:, fqn: and path: by the YAML file.
  assert.deepEqual(await ls("-s", "config.meta.owner:finance", "--output", "name"), [
    "app.orders",
  ]);
  // (with its test, as dbt's indirect selection brings it)
  assert.deepEqual(await ls("-s", "config.meta.owner:alice", "--output", "name"), [
    "orders",
    "unique_orders_id",
  ]);
  assert.deepEqual(await ls("-s", "tag:crm", "--output", "name"), ["crm.people"]);
  assert.deepEqual(await ls("-s", "tag:keys", "--output", "name"), ["unique_orders_id"]);
  assert.deepEqual(await ls("-s", "fqn:shop.staging.app", "--output", "name"), ["app.orders"]);
  assert.deepEqual(await ls("-s", "path:models/staging/_sources.yml", "--output", "name"), [
    "app.orders",
    "crm.people",
  ]);
  assert.deepEqual(await ls("-s", "path:models/other", "--output", "name"), [
    "stg_visits",
    "web.visits",
  ]);
  assert.deepEqual(await ls("-s", "file:_more.yml", "--output", "name"), ["web.visits"]);
  // As in dbt, a selector matching nothing is a warning (with what it knows), not an error.
  const none = await cli("ls", "-s", "config.meta.owner:ops");
  assert.equal(none.code, 0, none.stdout + none.stderr);
  assert.match(
    none.stderr,
    /warning: The selection criterion "config\.meta\.owner:ops" does not match any enabled nodes: known values of config\.meta\.owner are "config\.meta\.owner:alice", "config\.meta\.owner:finance"/,
  );
});

Deno.test("a source() of a disabled table, a tree path naming no source and bad source configs are errors naming them", async () => {
  await using p = await tempProject({
    ...FILES,
    "dbt_project.yml": PROJECT.replace(
      "      crm:\n        +tags: [crm]\n",
      "      crm:\n        +tags: [crm]\n        +event_time: created_at\n      crn:\n        +enabled: false\n",
    ),
    "models/staging/stg_legacy.sql": "select 1 as x\nfrom {{ source('app', 'legacy_orders') }}",
    "models/staging/_bad.yml": `version: 2
sources:
  - name: pos
    config:
      enabled: "no"
      loaded_at: at
    tables:
      - name: tills
`,
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2, r.stdout);
  for (
    const problem of [
      /models\/staging\/stg_legacy\.sql:2: Cannot render the SQL: source\("app", "legacy_orders"\): the table is disabled \(enabled: false/,
      /dbt_project\.yml:\d+:\d+: sources\.shop\.staging\.crn: no source under "staging\/crn"/,
      /_bad\.yml:\d+:\d+: sources\[0\]\.config\.enabled: expected true or false, got "no"/,
      /_bad\.yml:\d+:\d+: sources\[0\]\.config\.loaded_at: unknown config "loaded_at" of a source \(did you mean "loaded_at_field"\?\)/,
    ]
  ) assert.match(r.stderr, problem);
  // event_time is a source's config (what microbatch models filter it by), from the tree too.
  assert.doesNotMatch(r.stderr, /\+event_time/);
});

Deno.test("compile and show on a dbt source name it as a dbt source, with its properties file", async () => {
  await using p = await tempProject(FILES);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const compiled = await cli("compile", "app.orders");
  assert.equal(compiled.code, 0, compiled.stderr);
  assert.equal(
    compiled.stdout.trim(),
    "-- source.app.orders is the dbt source app.orders (models/staging/_sources.yml), the table landing.orders read as it is; nothing to compile",
  );
  assert.doesNotMatch(compiled.stdout, /wharf land|raw table/);
  await cli("sql", "--write", "select 1");
  const shown = await cli("show", "crm.people");
  assert.equal(shown.code, 1);
  assert.match(
    shown.stderr,
    /Cannot preview "source\.crm\.people": .*landing.* \(the dbt source crm\.people of models\/staging\/_sources\.yml reads landing\.people: load that table first\)/s,
  );
  assert.doesNotMatch(shown.stderr, /wharf build/);
});
