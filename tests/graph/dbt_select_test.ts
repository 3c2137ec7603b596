/**
 * dbt's selection syntax on a dbt-layout project and on a plain-SQL one:
 * `@`, `source:`, `resource_type:`, `package:`, `config.<key>:`,
 * `test_type:`, `fqn:`, `file:`, `path:`, wildcards, and `selectors.yml`
 * (`--selector`, `selector:`, `default: true`).
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../src/config.ts";
import { compileProject } from "../../src/engine/compile/compile_project.ts";
import { CompileError, UsageError } from "../../src/engine/errors.ts";
import { selectNodes, type SelectOptions } from "../../src/engine/graph/select.ts";
import { runCli, tempProject } from "../helpers.ts";

/** A small dbt project: sources, staging views, marts tables, a finance folder, a seed, tests. */
export const SHOP: Record<string, string> = {
  "dbt_project.yml": `name: shop
config-version: 2
models:
  shop:
    staging:
      +materialized: view
    marts:
      +materialized: table
      +tags: [nightly]
      finance:
        +schema: finance
`,
  "models/staging/sources.yml": `sources:
  - name: jaffle
    schema: landing
    tables:
      - name: orders
      - name: customers
      - name: payments
models:
  - name: stg_orders
    columns:
      - name: order_id
        tests: [unique, not_null]
`,
  "models/staging/stg_orders.sql": "select * from {{ source('jaffle', 'orders') }}",
  "models/staging/stg_customers.sql": "select * from {{ source('jaffle', 'customers') }}",
  "models/staging/stg_payments.sql": "select * from {{ source('jaffle', 'payments') }}",
  "models/marts/orders.sql":
    "select o.*, c.name from {{ ref('stg_orders') }} o join {{ ref('stg_customers') }} c using (customer_id)",
  "models/marts/finance/revenue.sql":
    "{{ config(materialized='view') }} select customer_id, sum(amount) as total from {{ ref('stg_payments') }} p join {{ ref('orders') }} o using (order_id) group by 1",
  "seeds/codes.csv": "code,label\nA,alpha\n",
  "tests/assert_orders_have_ids.sql": "select * from {{ ref('orders') }} where order_id is null",
  "selectors.yml": `selectors:
  - name: nightly_but_finance
    default: true
    definition:
      union:
        - method: tag
          value: nightly
        - exclude:
            - method: path
              value: models/marts/finance
  - name: orders_up
    definition:
      method: fqn
      value: orders
      parents: true
  - name: staging_and_seeds
    definition:
      union:
        - "path:models/staging"
        - resource_type: seed
  - name: payments_family
    definition:
      method: file
      value: stg_payments
      childrens_parents: true
      exclude: ["resource_type:source"]
`,
};

async function selector(files: Record<string, string>) {
  const p = await tempProject(files);
  const cp = await compileProject(await loadConfig(p.root));
  const pick = (options: SelectOptions) =>
    selectNodes(cp.graph, { ...options, project: cp.project, selectors: cp.selectors });
  return { p, pick };
}

Deno.test("dbt methods select by source, resource and test type, package, config, fqn, file and path", async () => {
  const { p, pick } = await selector(SHOP);
  await using _ = p;
  // Tests come along when every node they read is selected: left out here.
  const sel = (...select: string[]) =>
    pick({ select }).filter((id) =>
      !id.startsWith("test.") || select.some((s) => s.includes("test"))
    );
  assert.deepEqual(sel("source:jaffle"), [
    "source.jaffle.customers",
    "source.jaffle.orders",
    "source.jaffle.payments",
  ]);
  assert.deepEqual(sel("source:jaffle.orders+"), [
    "source.jaffle.orders",
    "main.stg_orders",
    "main.orders",
    "main_finance.revenue",
  ]);
  assert.deepEqual(sel("source:shop.jaffle.pay*"), ["source.jaffle.payments"]);
  assert.deepEqual(sel("resource_type:seed"), ["main.codes"]);
  assert.deepEqual(sel("resource_type:test"), [
    "test.assert_orders_have_ids",
    "test.not_null_stg_orders_order_id",
    "test.unique_stg_orders_order_id",
  ]);
  assert.deepEqual(sel("test_type:singular"), ["test.assert_orders_have_ids"]);
  assert.deepEqual(sel("test_type:generic"), [
    "test.not_null_stg_orders_order_id",
    "test.unique_stg_orders_order_id",
  ]);
  assert.equal(sel("test_type:data").length, 3);
  // config() in the SQL wins over dbt_project.yml, as in dbt.
  assert.deepEqual(sel("config.materialized:table,resource_type:model"), ["main.orders"]);
  assert.deepEqual(sel("config.schema:finance"), ["main_finance.revenue"]);
  assert.deepEqual(sel("config.tags:nightly,resource_type:model"), [
    "main.orders",
    "main_finance.revenue",
  ]);
  assert.deepEqual(sel("package:shop,resource_type:seed"), ["main.codes"]);
  assert.deepEqual(sel("package:this,resource_type:seed"), ["main.codes"]);
  assert.deepEqual(sel("fqn:shop.marts.*,resource_type:model"), [
    "main.orders",
    "main_finance.revenue",
  ]);
  assert.deepEqual(sel("fqn:marts.finance"), ["main_finance.revenue"]);
  assert.deepEqual(sel("marts.finance.revenue"), ["main_finance.revenue"]);
  assert.deepEqual(sel("file:revenue.sql"), ["main_finance.revenue"]);
  assert.deepEqual(sel("file:revenue"), ["main_finance.revenue"]);
  assert.deepEqual(sel("models/marts/finance"), ["main_finance.revenue"]);
  assert.deepEqual(sel("path:models/marts/*.sql,resource_type:model"), [
    "main.orders",
    "main_finance.revenue",
  ]);
  assert.deepEqual(sel("stg_[oc]*,resource_type:model"), ["main.stg_customers", "main.stg_orders"]);
  assert.deepEqual(sel("stg_?ayments"), ["main.stg_payments"]);
});

Deno.test("@ selects a node, its descendants and every ancestor of those", async () => {
  const { p, pick } = await selector(SHOP);
  await using _ = p;
  assert.deepEqual(pick({ select: ["@stg_payments"], exclude: ["resource_type:source"] }), [
    "main.stg_customers",
    "main.stg_orders",
    "main.orders",
    "main.stg_payments",
    "main_finance.revenue",
    "test.assert_orders_have_ids",
    "test.not_null_stg_orders_order_id",
    "test.unique_stg_orders_order_id",
  ]);
  // stg_payments+ alone leaves out what revenue also reads.
  assert.deepEqual(pick({ select: ["stg_payments+"] }), [
    "main.stg_payments",
    "main_finance.revenue",
  ]);
  assert.throws(
    () => pick({ select: ["@+orders"] }),
    /"@" and a leading "\+" cannot be used together/,
  );
});

Deno.test("selectors.yml: --selector, selector:, the default selector, full YAML with exclude", async () => {
  const { p, pick } = await selector(SHOP);
  await using _ = p;
  // The default applies when nothing is selected: nightly marts, finance excluded.
  assert.deepEqual(pick({}), ["main.orders", "test.assert_orders_have_ids"]);
  // ... and not when --select or --exclude is given.
  assert.ok(pick({ exclude: ["resource_type:seed"] }).includes("main_finance.revenue"));
  assert.deepEqual(pick({ selector: "orders_up" }).filter((id) => !id.startsWith("test.")), [
    "source.jaffle.customers",
    "main.stg_customers",
    "source.jaffle.orders",
    "main.stg_orders",
    "main.orders",
  ]);
  // path: takes the sources its folder's properties files declare, as dbt's does.
  assert.deepEqual(
    pick({ selector: "staging_and_seeds" }).filter((id) => !id.startsWith("test.")),
    [
      "main.codes",
      "source.jaffle.customers",
      "main.stg_customers",
      "source.jaffle.orders",
      "main.stg_orders",
      "source.jaffle.payments",
      "main.stg_payments",
    ],
  );
  assert.deepEqual(
    pick({ selector: "payments_family" }).filter((id) => !id.startsWith("test.")),
    [
      "main.stg_customers",
      "main.stg_orders",
      "main.orders",
      "main.stg_payments",
      "main_finance.revenue",
    ],
  );
  assert.deepEqual(pick({ select: ["selector:orders_up,resource_type:source"] }), [
    "source.jaffle.customers",
    "source.jaffle.orders",
  ]);
  assert.throws(
    () => pick({ selector: "orders_upp" }),
    /^UsageError: No selector "orders_upp" in selectors.yml \(did you mean "orders_up"\?\)$/,
  );
  assert.throws(
    () => pick({ selector: "orders_up", select: ["x"] }),
    /cannot be combined with --select/,
  );
});

Deno.test("a selector matching nothing is a warning naming it with the closest value, config key or method; the rest runs", async () => {
  const { p, pick } = await selector(SHOP);
  await using _ = p;
  const warned = (select: string, message: RegExp) => {
    const warnings: string[] = [];
    const ids = pick({ select: [select, "stg_payments"], warn: (m) => warnings.push(m) });
    assert.ok(ids.includes("main.stg_payments"), ids.join(", "));
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0]!, message);
  };
  warned(
    "source:jafle",
    /^The selection criterion "source:jafle" does not match any enabled nodes \(did you mean "source:jaffle"\?\)$/,
  );
  warned("config.materialized:tabel", /did you mean "config.materialized:table"/);
  warned(
    "config.matrialized:table",
    /no node has a config "matrialized" \(did you mean "config.materialized:"\?\)/,
  );
  warned(
    "resource_type:snapshot",
    /known resource_types are "resource_type:model", "resource_type:seed", "resource_type:source", "resource_type:test"$/,
  );
  warned(
    "test_type:unit",
    /known test_types are "test_type:data", "test_type:generic", "test_type:singular"$/,
  );
  warned("fqn:shop.mart.*", /"fqn:shop\.mart\.\*" does not match any enabled nodes/);
  warned(
    "tag:nightly,resource_type:seed",
    /"tag:nightly,resource_type:seed" does not match any enabled nodes: each part matches some, but not together$/,
  );
  // Nothing else selected: nothing to do.
  const warnings: string[] = [];
  assert.deepEqual(pick({ select: ["tag:nightl"], warn: (m) => warnings.push(m) }), []);
  assert.match(
    warnings[0]!,
    /"tag:nightl" does not match any enabled nodes \(did you mean "tag:nightly"\?\)/,
  );
  // What cannot be read at all stays an error.
  assert.throws(() => pick({ select: ["colour:red"] }), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(
      e.message,
      /^Unknown selector method "colour" in "colour:red": use tag:, path:, file:, fqn:/,
    );
    return true;
  });
  assert.throws(
    () => pick({ select: ["selector:nightly"] }),
    /No selector "nightly" in selectors\.yml/,
  );
});

Deno.test("selectors.yml problems are compile errors with file and line", async () => {
  await using p = await tempProject({
    ...SHOP,
    "selectors.yml": `selectors:
  - name: a
    default: true
    definition: { method: tag, value: nightly, children_depth: 2 }
  - name: b
    default: true
    definitoin: x
  - name: c
    definition:
      union: []
`,
  });
  const err = await compileProject(await loadConfig(p.root), { sources: [] }).then(
    () => assert.fail("compiled"),
    (e: unknown) => e as CompileError,
  );
  assert.ok(err instanceof CompileError);
  assert.deepEqual(err.issues.map((i) => `${i.location.line}: ${i.message}`), [
    '4: selectors[0].definition.children_depth: "children_depth" needs "children: true"',
    '7: selectors[1].definitoin: unknown key "definitoin" in selector "b" (did you mean "definition"?)',
    '5: selectors[1]: selector "b" has no "definition:"',
    "10: selectors[2].definition.union: expected a list of definitions, got a list",
  ]);
});

Deno.test("selectors.yml: unknown methods, selectors named but not defined and selectors naming themselves are project problems with their line, whether used or not", async () => {
  await using p = await tempProject({
    ...SHOP,
    "selectors.yml": `selectors:
  - name: good
    definition: 'tag:nightly'
  - name: bad_one
    definition:
      method: tagg
      value: nightly
  - name: bad_text
    definition: "tag:nightly,confg.materialized:table"
  - name: pair
    definition: { colour: red }
  - name: loop_a
    definition: { selector: loop_b }
  - name: loop_b
    definition:
      union:
        - selector: loop_a
        - method: selector
          value: goood
`,
  });
  const err = await compileProject(await loadConfig(p.root), { sources: [] }).then(
    () => assert.fail("compiled"),
    (e: unknown) => e as CompileError,
  );
  assert.ok(err instanceof CompileError);
  assert.deepEqual(
    err.issues.map((i) => `${i.location.file}:${i.location.line}: ${i.message.split(": use ")[0]}`),
    [
      'selectors.yml:6: selectors[1].definition.method: unknown selector method "tagg" (did you mean "tag"?)',
      'selectors.yml:9: selectors[2].definition: unknown selector method "confg.materialized" (did you mean "config.materialized:"?)',
      'selectors.yml:11: selectors[3].definition.colour: unknown selector method "colour"',
      'selectors.yml:18: selectors[5].definition.union[1].method: no selector "goood" in selectors.yml (did you mean "good"?)',
      'selectors.yml:17: selectors[5].definition.union[0].selector: selector "loop_a" names itself: loop_a → loop_b → loop_a',
    ],
  );
  // Listed with the project's other problems by every command, `ls` without a selector too.
  const ls = await runCli(["--project", p.root, "ls"]);
  assert.equal(ls.code, 2, ls.stdout + ls.stderr);
  assert.match(
    ls.stderr,
    /selectors\.yml:6:\d+: selectors\[1\]\.definition\.method: unknown selector method "tagg" \(did you mean "tag"\?\)/,
  );
});

Deno.test("plain-SQL projects: source:, fqn:, package:, config.materialized:, test_type: and @", async () => {
  const { p, pick } = await selector({
    "wharf.config.ts": 'export default { name: "clinic" };\n',
    "models/staging/sources.yml": `sources:
  - name: visitpay
    schema: raw
    tables:
      - name: visits
`,
    "models/staging/stg_visits.sql": "select * from raw.visits",
    "models/staging/stg_codes.sql": "select * from raw.codes",
    "models/marts/visits.sql": "select * from staging.stg_visits join staging.stg_codes on true",
    "models/marts/marts.yml":
      "models:\n  - name: visits\n    config: { materialized: table }\n    columns:\n      - name: visit_id\n        tests: [not_null]\n",
  });
  await using _ = p;
  const sel = (...select: string[]) => pick({ select });
  assert.deepEqual(sel("source:visitpay"), ["raw.visits"]);
  // A raw table no sources: entry names is source "raw".
  assert.deepEqual(sel("source:raw"), ["raw.codes"]);
  assert.deepEqual(
    sel("source:visitpay.visits+", "resource_type:test").filter((id) => id.startsWith("test.")),
    [
      "test.not_null_visits_visit_id",
    ],
  );
  assert.deepEqual(sel("fqn:clinic.staging.*"), ["staging.stg_codes", "staging.stg_visits"]);
  assert.deepEqual(sel("config.materialized:table"), [
    "marts.visits",
    "test.not_null_visits_visit_id",
  ]);
  assert.equal(
    sel("package:clinic,resource_type:model").filter((id) => !id.startsWith("test.")).length,
    3,
  );
  assert.deepEqual(sel("test_type:generic"), ["test.not_null_visits_visit_id"]);
  assert.deepEqual(sel("@stg_visits").filter((id) => !id.startsWith("test.")), [
    "raw.codes",
    "raw.visits",
    "staging.stg_codes",
    "staging.stg_visits",
    "marts.visits",
  ]);
});

Deno.test("wharf build --selector and ls --select with dbt's methods, through the CLI", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      "name: shop\nconfig-version: 2\nmodels:\n  shop:\n    marts:\n      +materialized: table\n",
    "seeds/codes.csv": "code,label\nA,alpha\nB,beta\n",
    "models/staging/stg_codes.sql": "select * from {{ ref('codes') }}",
    "models/marts/codes_a.sql": "select * from {{ ref('stg_codes') }} where code = 'A'",
    "models/marts/codes_b.sql": "select * from {{ ref('stg_codes') }} where code = 'B'",
    "selectors.yml":
      "selectors:\n  - name: a_only\n    definition:\n      union: ['+codes_a', {exclude: ['resource_type:seed']}]\n",
  });
  const seed = await runCli(["--project", p.root, "seed"]);
  assert.equal(seed.code, 0, seed.stderr);
  const build = await runCli(["--project", p.root, "--json", "build", "--selector", "a_only"]);
  assert.equal(build.code, 0, build.stderr);
  assert.deepEqual(
    JSON.parse(build.stdout).results.map((r: { id: string }) => r.id),
    ["main.stg_codes", "main.codes_a"],
  );
  const rows = await runCli(["--project", p.root, "sql", "select count(*) as n from main.codes_a"]);
  assert.match(rows.stdout, /\b1\b/);
  const ls = await runCli(["--project", p.root, "--json", "ls", "-s", "config.materialized:table"]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.deepEqual(JSON.parse(ls.stdout).map((r: { id: string }) => r.id), [
    "main.codes_a",
    "main.codes_b",
  ]);
  const bad = await runCli(["--project", p.root, "run", "--selector", "b_only"]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /^error: No selector "b_only" in selectors.yml \(did you mean "a_only"\?\)/,
  );
});
