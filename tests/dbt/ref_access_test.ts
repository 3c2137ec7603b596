/**
 * dbt's model access through the real CLI: a private model may be
 * referenced only by nodes of its group (a generic test: the group of the
 * node it tests), whatever refs it (a model, an analysis, a test, an
 * exposure); protected and public models by any node, a package's too (dbt
 * restricts those only under `restrict-access`, which wharf refuses).
 */
import assert from "node:assert/strict";
import { runCli, SHOP_PROFILE, tempProject } from "../helpers.ts";

const GROUPS = `groups:
  - name: finance
    owner: { name: Finance team }
  - name: ops
    owner: { name: Ops team }
models:
  - name: ledger
    config: { access: private, group: finance }
  - name: revenue
    config: { group: finance }
  - name: shipments
    config: { group: ops }
`;

Deno.test("a private model is referenced only from its group, as dbt parses it: the error names the file, line, model and group", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\n",
    "profiles.yml": SHOP_PROFILE,
    "models/groups.yml": GROUPS,
    "models/ledger.sql": "select 1 as id, 10 as amount",
    "models/revenue.sql": "select sum(amount) as total from {{ ref('ledger') }}",
    "models/shipments.sql": "select 1 as id",
    // A group set by config() after the ref() counts, as dbt reads configs before refs.
    "models/audit.sql": "select * from {{ ref('ledger') }}\n{{ config(group='finance') }}",
  });
  const ok = await runCli(["--project", p.root, "build"]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);

  // A model of another group.
  await p.write(
    "models/shipments.sql",
    "select 1 as id\nunion all\nselect id from {{ ref('ledger') }}",
  );
  const other = await runCli(["--project", p.root, "build"]);
  assert.notEqual(other.code, 0, other.stdout + other.stderr);
  assert.match(
    other.stderr,
    /models\/shipments\.sql:3: .*ref\("ledger"\): model ledger is private to the group "finance" \(access: private\), and model shipments is in the group "ops": only nodes of the group "finance" may ref it; put model shipments in the group "finance", or make ledger protected or public/,
  );

  // A model of no group; protected (the default) and public models may be referenced by any.
  await p.write("models/shipments.sql", "select id from {{ ref('revenue') }}");
  await p.write("models/orders.sql", "select 1 as id from {{ ref('ledger') }}");
  const none = await runCli(["--project", p.root, "ls"]);
  assert.match(
    none.stderr,
    /models\/orders\.sql:1: .*model ledger is private to the group "finance" \(access: private\), and model orders is in no group/,
  );
  assert.doesNotMatch(none.stderr, /shipments/);
  await p.remove("models/orders.sql");

  // An analysis, a singular test and an exposure.
  await p.write("analyses/by_id.sql", "-- by id\nselect * from {{ ref('ledger') }}");
  await p.write("tests/no_negative.sql", "select * from {{ ref('ledger') }} where amount < 0");
  await p.write(
    "models/exposures.yml",
    "exposures:\n  - name: board\n    type: dashboard\n    owner: { name: Board }\n    depends_on: [ref('ledger')]\n",
  );
  const others = await runCli(["--project", p.root, "ls"]);
  assert.match(others.stderr, /analyses\/by_id\.sql:2: .*and analysis by_id is in no group/);
  assert.match(others.stderr, /tests\/no_negative\.sql:1: .*and test no_negative is in no group/);
  assert.match(
    others.stderr,
    /models\/exposures\.yml:5:.*ref\("ledger"\): model ledger is private to the group "finance" \(access: private\), and an exposure is in no group \(it cannot be in one\): only nodes of the group "finance" may ref it; or make ledger protected or public/,
  );
});

Deno.test("a generic test is in the group of the model it tests: it may test a private model, a relationships test from another group may not ref one", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "models/ledger.sql": "select 1 as id",
    "models/revenue.sql": "select 1 as id",
    "models/shipments.sql": "select 1 as id",
    "models/groups.yml": GROUPS.replace(
      "    config: { access: private, group: finance }\n",
      "    config: { access: private, group: finance }\n    columns:\n      - name: id\n        data_tests: [not_null]\n",
    ).replace(
      "    config: { group: ops }\n",
      "    config: { group: ops }\n    columns:\n      - name: id\n        data_tests:\n          - relationships: { to: ref('ledger'), field: id }\n",
    ),
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.notEqual(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /models\/groups\.yml:\d+:\d+: .*model ledger is private to the group "finance" \(access: private\), and the test relationships of shipments is in the group "ops"/,
  );
  assert.doesNotMatch(r.stderr, /not_null/);

  await p.write(
    "models/groups.yml",
    GROUPS.replace("config: { group: ops }", "config: { group: finance }") + "",
  );
  const same = await runCli(["--project", p.root, "ls"]);
  assert.equal(same.code, 0, same.stdout + same.stderr);
});
