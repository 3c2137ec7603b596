/**
 * dbt mode, end to end through the CLI on a real DuckDB file: dbt's
 * `--vars '{…}'`, a profile's `attach:`, packages and `wharf deps`,
 * `{% docs %}` and `doc()`, custom generic tests, test configs and
 * incremental models.
 */
import assert from "node:assert/strict";
import { readValid } from "../artifacts/dbt_schemas.ts";
import { join } from "node:path";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { copyDir, queryRows, REPO, runCli, tempProject } from "../helpers.ts";

const PROJECT = "name: shop\nconfig-version: 2\n";

const rows = queryRows;

Deno.test("--vars takes dbt's '{name: value}' form as well as name=value", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}vars:\n  n: 1\n  label: a\n  days: [1]\n`,
    "models/a.sql":
      "select {{ var('n') }} as n, '{{ var('label') }}' as label, {{ var('days') | length }} as days",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const db = join(p.root, "shop.duckdb");
  let r = await cli("run", "--vars", "{n: 7, label: seven, days: [1, 2, 3]}");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await rows(db, "select * from main.a"), [{ n: 7, label: "seven", days: 3 }]);
  // run_results.json records them as given, as dbt does; a retry gives them back the same.
  const results = await readValid(join(p.root, "target"), "run_results");
  assert.deepEqual(results.args.vars, { n: 7, label: "seven", days: [1, 2, 3] });
  r = await cli("run", "--vars", "n=8");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await rows(db, "select * from main.a"), [{ n: 8, label: "a", days: 1 }]);
  r = await cli("run", "--vars", "{n: [unclosed");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Invalid --vars '\{n: \[unclosed': not a YAML mapping/);
  r = await cli("run", "--vars", "nothing");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Invalid --vars "nothing": expected name=value or '\{name: value\}'/);
});

Deno.test("a profile's attach: databases are attached under their alias, read-only when asked", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "profiles.yml": `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: dev.duckdb
      attach:
        - path: lookups.duckdb
          alias: lookups
          read_only: true
        - path: scratch.duckdb
`,
    "models/a.sql": "select code, label from lookups.main.codes order by code",
    "models/b.sql": "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('a') }}",
  });
  const setup = await openWarehouse(join(p.root, "lookups.duckdb"));
  try {
    await setup.exec(
      "create table codes as select * from (values (1, 'one'), (2, 'two')) t(code, label)",
    );
  } finally {
    setup.close();
  }
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const db = join(p.root, "dev.duckdb");
  assert.deepEqual(await rows(db, "select * from main.b"), [{ n: "2" }]);

  await p.write(
    "profiles.yml",
    "shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: dev.duckdb\n      attach:\n        - path: a/main.duckdb\n        - path: x.duckdb\n          alias: Bad-Name\n          read_only: maybe\n",
  );
  const bad = await runCli(["--project", p.root, "ls"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /attach\[0\]\.path: the alias "main" is taken/);
  assert.match(bad.stderr, /attach\[1\]\.read_only: expected true or false/);
  assert.match(bad.stderr, /attach\[1\]\.alias: the alias "Bad-Name" is not a name wharf attaches/);
});

Deno.test("a dbt incremental model with an is_incremental() filter gives the table a full rebuild gives", async () => {
  const csv = (...lines: string[]) => ["id,status,updated_at", ...lines].join("\n") + "\n";
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "seeds/events.csv": csv("1,new,2024-01-01", "2,new,2024-01-02", "3,new,2024-01-03"),
    "models/events_inc.sql": `{{ config(materialized='incremental', unique_key='id') }}
select id, status, updated_at from {{ ref('events') }}
{% if is_incremental() %}
where updated_at > (select max(updated_at) from {{ this }})
{% endif %}
`,
    "models/events_full.sql":
      "{{ config(materialized='table') }}\nselect id, status, updated_at from {{ ref('events') }}",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const db = join(p.root, "shop.duckdb");
  const table = (name: string) => rows(db, `select * from main.${name} order by id`);
  let r = await cli("build");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await table("events_inc"), await table("events_full"));
  assert.equal((await table("events_inc")).length, 3);

  // An update (a newer updated_at) and a new row: the later run takes both.
  await p.write(
    "seeds/events.csv",
    csv("1,new,2024-01-01", "2,shipped,2024-01-05", "3,new,2024-01-03", "4,new,2024-01-04"),
  );
  r = await cli("build");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await table("events_inc"), await table("events_full"));
  assert.deepEqual((await table("events_inc")).map((x) => x.status), [
    "new",
    "shipped",
    "new",
    "new",
  ]);

  // A change without a newer updated_at is not new to the filter: is_incremental() was true.
  await p.write(
    "seeds/events.csv",
    csv("1,lost,2024-01-01", "2,shipped,2024-01-05", "3,new,2024-01-03", "4,new,2024-01-04"),
  );
  r = await cli("build");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal((await table("events_inc"))[0]!.status, "new");
  r = await cli("build", "--full-refresh", "--select", "events_inc");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await table("events_inc"), await table("events_full"));

  const compiled = await cli("compile", "events_inc");
  assert.equal(compiled.code, 0, compiled.stdout + compiled.stderr);
  assert.match(compiled.stdout, /WHERE NOT wharf_is_incremental\(\)\nUNION ALL BY NAME/);
  assert.match(
    compiled.stdout,
    /where updated_at > \(select max\(updated_at\) from "main"\."events_inc"\)/,
  );
  // The manifest records the call, as dbt does: is_incremental is a macro of dbt's.
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.deepEqual(manifest.nodes["model.shop.events_inc"].depends_on.macros, [
    "macro.dbt.is_incremental",
  ]);
  assert.deepEqual(manifest.nodes["model.shop.events_full"].depends_on.macros, []);
  assert.ok(manifest.macros["macro.dbt.is_incremental"]);
});

Deno.test("dbt incremental configs: strategies from wharf, problems named where the config is set", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `${PROJECT}models:\n  shop:\n    e:\n      +unique_key: id\n`,
    "models/a.sql":
      "{{ config(materialized='incremental', incremental_strategy='merge') }}\nselect 1 as id",
    "models/b.sql":
      "-- a table\n{{ config(materialized='table') }}\n{{ config(\n  unique_key='id'\n) }}\nselect 1 as id",
    "models/c.sql":
      "{{ config(materialized='incremental', incremental_strategy='upsert', unique_key='id') }}\nselect 1 as id",
    "models/d.sql": "select 1 as id",
    "models/e.sql": "select 1 as id",
    "models/props.yml":
      "version: 2\nmodels:\n  - name: d\n    config:\n      materialized: table\n      unique_key: id\n",
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /models\/a\.sql:1: config "incremental_strategy": the merge strategy matches new rows to the table's by "unique_key"/,
  );
  // The line of the config( call that sets it; dbt ignores it, and wharf too, with a warning.
  assert.match(
    r.stderr,
    /warning: models\/b\.sql:3: config "unique_key" applies to incremental models only \(b is materialized as table\): ignored, as dbt does; remove it, or materialize b as incremental/,
  );
  assert.match(r.stderr, /models\/c\.sql:1: config "incremental_strategy": .*upsert/);
  // Set in a properties file, or in dbt_project.yml: that file's line.
  assert.match(
    r.stderr,
    /warning: models\/props\.yml:6:\d+: config "unique_key" applies to incremental models only \(d is materialized as table\)/,
  );
  assert.match(
    r.stderr,
    /warning: dbt_project\.yml:6:\d+: config "unique_key" applies to incremental models only \(e is materialized as view\)/,
  );
});

const FIXTURES = join(REPO, "tests", "fixtures");

Deno.test("packages: local ones are read, installed ones used, missing ones listed by wharf deps; dispatch: orders the search", async () => {
  await using p = await tempProject();
  await copyDir(join(FIXTURES, "dbt_packages"), p.root);
  const shop = join(p.root, "shop");
  const cli = (...args: string[]) => runCli(["--project", shop, ...args]);

  let deps = await cli("deps");
  assert.equal(deps.code, 1, deps.stdout + deps.stderr);
  assert.match(deps.stdout, /ok {7}local \.\.\/tinyutil: package tinyutil in \.\.\/tinyutil/);
  assert.match(deps.stdout, /ok {7}local \.\.\/shim: package shim in \.\.\/shim/);
  assert.match(
    deps.stdout,
    /missing {2}hub acme\/tiny_dates \(>=1\.0\.0, <2\.0\.0\): not installed under dbt_packages\//,
  );
  assert.match(
    deps.stdout,
    /packages\.yml:4: the hub package "acme\/tiny_dates" \(>=1\.0\.0, <2\.0\.0\) is not installed under dbt_packages\/: wharf downloads no packages; install it where the network allows/,
  );
  const ls = await cli("ls");
  assert.equal(ls.code, 2);
  assert.match(ls.stderr, /packages\.yml:4: the hub package "acme\/tiny_dates"/);

  // Installed as `dbt deps` would have done it.
  await copyDir(join(p.root, "installed", "tiny_dates"), join(shop, "dbt_packages", "tiny_dates"));
  deps = await cli("deps");
  assert.equal(deps.code, 0, deps.stdout + deps.stderr);
  assert.match(
    deps.stdout,
    /ok {7}hub acme\/tiny_dates .*: package tiny_dates in dbt_packages\/tiny_dates/,
  );

  const built = await cli("build");
  assert.equal(built.code, 0, built.stdout + built.stderr);
  assert.match(built.stdout, /model main_util\.util_numbers/);
  assert.match(built.stdout, /seed main\.currencies/);
  assert.match(built.stdout, /test unique_util_numbers_n/);
  assert.match(built.stdout, /PASS +test below_util_numbers_100__n /);
  // dbt's artifacts name a package's nodes and macros after the package, with its fqn.
  const manifest = await readValid(join(shop, "target"), "manifest");
  const util = manifest.nodes["model.tinyutil.util_numbers"];
  assert.equal(util.package_name, "tinyutil");
  assert.deepEqual(util.fqn, ["tinyutil", "util_numbers"]);
  assert.equal(util.path, "util_numbers.sql");
  // Files by their path within their package, as dbt records them (tools join it to the package's root).
  assert.equal(util.original_file_path, "models/util_numbers.sql");
  const currencies = manifest.nodes["seed.tinyutil.currencies"];
  assert.equal(currencies.package_name, "tinyutil");
  assert.equal(currencies.original_file_path, "seeds/currencies.csv");
  assert.equal(currencies.root_path, join(shop, "..", "tinyutil"));
  assert.equal(manifest.nodes["test.tinyutil.unique_util_numbers_n"].package_name, "tinyutil");
  assert.equal(
    manifest.nodes["test.tinyutil.unique_util_numbers_n"].original_file_path,
    "models/util.yml",
  );
  const money = manifest.macros["macro.tinyutil.default__money"];
  assert.equal(money.package_name, "tinyutil");
  assert.deepEqual([money.path, money.original_file_path], [
    "macros/money.sql",
    "macros/money.sql",
  ]);
  assert.equal(
    manifest.macros["macro.tiny_dates.month_start"].original_file_path,
    "macros/dates.sql",
  );
  assert.equal(manifest.nodes["model.shop.orders"].original_file_path, "models/orders.sql");
  assert.equal(manifest.nodes["model.shop.orders"].package_name, "shop");
  const db = join(shop, "shop.duckdb");
  // shim's duckdb__money comes first in dispatch: (whole units), then the package's own macros.
  // order_id is the seed's: whole numbers, which dbt-duckdb loads as INTEGER.
  assert.deepEqual(await rows(db, "select * from main.orders order by order_id"), [
    { order_id: 1, order_month: "2024-01-01", amount: 20, label: "order 0001" },
    { order_id: 2, order_month: "2024-02-01", amount: 5, label: "order 0002" },
    { order_id: 3, order_month: "2024-02-01", amount: 123, label: "order 0003" },
  ]);
  assert.deepEqual(
    await rows(db, "select * from main.monthly where orders > 0 order by month_index"),
    [{ month_index: 1, orders: "1" }, { month_index: 2, orders: "2" }],
  );
  // The package's own vars: (tinyutil_months: 13) give its model 12 rows.
  assert.deepEqual(await rows(db, "select count(*)::integer as n from main_util.util_numbers"), [
    { n: 12 },
  ]);
  const tables = await rows(
    db,
    "select table_name, table_type from information_schema.tables where table_schema = 'main_util'",
  );
  assert.deepEqual(tables, [{ table_name: "util_numbers", table_type: "BASE TABLE" }]);
  const listed = await cli("--json", "ls", "--select", "tag:from_package");
  assert.deepEqual(
    JSON.parse(listed.stdout).filter((r: { type: string }) => r.type === "model").map((
      r: { id: string },
    ) => r.id),
    ["main_util.util_numbers"],
  );

  // Without dispatch:, the project and then tinyutil are searched: tinyutil's default__money.
  await Deno.writeTextFile(join(shop, "dbt_project.yml"), "name: shop\nconfig-version: 2\n");
  const rebuilt = await cli("run", "--select", "orders");
  assert.equal(rebuilt.code, 0, rebuilt.stdout + rebuilt.stderr);
  assert.deepEqual(
    (await rows(db, "select amount::varchar as amount from main.orders order by order_id")).map((
      r,
    ) => r.amount),
    ["19.99", "5.00", "123.45"],
  );

  // A macro a package does not have, a search order naming no package, a ref to a package's missing model.
  await Deno.writeTextFile(
    join(shop, "dbt_project.yml"),
    "name: shop\nconfig-version: 2\ndispatch:\n  - macro_namespace: tinyutil\n    search_order: [shimm, tinyutil]\n",
  );
  await Deno.writeTextFile(
    join(shop, "models", "bad.sql"),
    "select {{ tinyutil.mony('x') }} as a\nfrom {{ ref('tinyutil', 'orders') }}",
  );
  const bad = await cli("ls");
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /dbt_project\.yml: dispatch\[0\]\.search_order: "shimm" is not this project or one of its packages \(did you mean "shim"\?\)/,
  );
  assert.match(
    bad.stderr,
    /models\/bad\.sql:1: Cannot render the SQL: tinyutil\.mony\(\): package "tinyutil" has no macro "mony" \(did you mean "money"\?\)/,
  );
});

Deno.test("{% docs %} blocks: doc() in descriptions renders to the block's text in wharf docs; an unknown name is an error with the closest", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/docs.md": `# Shop docs

{% docs orders %}
One row per **order**, as the shop took it.
{% enddocs %}

{% docs order_id %}The order's number.{% enddocs %}
`,
    "models/orders.sql": "select 1 as order_id",
    "models/schema.yml": `version: 2
models:
  - name: orders
    description: '{{ doc("orders") }}'
    columns:
      - name: order_id
        description: "Key. {{ doc('shop', 'order_id') }}"
`,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const built = await cli("docs", "build");
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const manifest = JSON.parse(
    await Deno.readTextFile(join(p.root, "target", "docs", "manifest.json")),
  );
  const orders = manifest.nodes.find((n: { id: string }) => n.id === "main.orders");
  assert.equal(orders.description, "One row per **order**, as the shop took it.");
  assert.equal(orders.columns[0].description, "Key. The order's number.");
  // dbt's manifest lists the blocks under docs.
  const dbtManifest = await readValid(join(p.root, "target"), "manifest");
  assert.deepEqual(dbtManifest.docs["doc.shop.orders"], {
    name: "orders",
    resource_type: "doc",
    package_name: "shop",
    path: "docs.md",
    original_file_path: "models/docs.md",
    unique_id: "doc.shop.orders",
    block_contents: "One row per **order**, as the shop took it.",
  });
  assert.deepEqual(Object.keys(dbtManifest.docs).sort(), ["doc.shop.order_id", "doc.shop.orders"]);

  await p.write(
    "models/schema.yml",
    "version: 2\nmodels:\n  - name: orders\n    description: '{{ doc(\"order\") }}'\n",
  );
  await p.write("models/more.md", "{% docs orders %}again{% enddocs %}\n{% docs broken\n");
  const bad = await cli("ls");
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /models\/schema\.yml:4:18: models\[0\]\.description: doc\("order"\): no docs block named "order" \(did you mean "orders"\?\)/,
  );
  assert.match(
    bad.stderr,
    /models\/more\.md:1: docs block "orders" is defined twice \(also at models\/docs\.md:3\)/,
  );
  assert.match(bad.stderr, /models\/more\.md:2: a \{% docs %\} block that is not closed/);
});

Deno.test("custom generic tests: {% test %} in tests/generic and macro paths, with arguments, ref(), config() and test configs", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "tests/generic/is_positive.sql": `{% test is_positive(model, column_name) %}
select * from {{ model }} where {{ column_name }} <= 0
{% endtest %}`,
    "macros/tests.sql": `{% test has_parent(model, column_name, parent, parent_column='id') %}
select c.* from {{ model }} as c
where not exists (select 1 from {{ parent }} as p where p.{{ parent_column }} = c.{{ column_name }})
{% endtest %}

{% test at_most(model, column_name, max=10) %}
{{ config(severity='warn') }}
select * from {{ model }} where {{ column_name }} > {{ max }}
{% endtest %}`,
    "models/customers.sql":
      "{{ config(materialized='ephemeral') }}\nselect * from (values (1), (2)) t(id)",
    "models/orders.sql":
      "select * from (values (1, 1, 5), (2, 2, 20), (3, 3, -1), (4, 9, 7)) t(order_id, customer_id, amount)",
    "models/schema.yml": `version: 2
models:
  - name: orders
    columns:
      - name: amount
        data_tests:
          - is_positive
          - is_positive:
              config:
                where: "order_id < 3"
          - at_most:
              max: 15
      - name: customer_id
        data_tests:
          - has_parent:
              parent: ref('customers')
`,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const r = await cli("build");
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL +test is_positive_orders_amount \.+ \[1 failing/);
  assert.match(r.stdout, /PASS +test is_positive_orders_amount_2 /);
  assert.match(r.stdout, /WARN +test at_most_orders_amount__15 \.+ \[1 failing/);
  assert.match(
    r.stdout,
    /FAIL +test has_parent_orders_customer_id__ref_customers_ \.+ \[2 failing/,
  );
  const failing = await rows(
    join(p.root, "shop.duckdb"),
    "select order_id from wharf_failures.has_parent_orders_customer_id__ref_customers_ order by 1",
  );
  assert.deepEqual(failing.map((x) => x.order_id), [3, 4]);

  await p.write(
    "models/schema.yml",
    "version: 2\nmodels:\n  - name: orders\n    columns:\n      - name: amount\n        data_tests: [is_positiv, { at_most: { maximum: 3 } }, { dbt_utils.accepted_range: { min_value: 0 } }]\n",
  );
  const bad = await cli("ls");
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /unknown test "is_positiv" \(did you mean "is_positive"\?\): expected .*, or a \{% test %\} of the project's macros/,
  );
  assert.match(
    bad.stderr,
    /Cannot render the test "at_most": too many arguments: unknown keyword argument `maximum`\n/,
  );
  // A package's test, the package not installed: said as a package's macro is.
  assert.match(
    bad.stderr,
    /schema\.yml:6:\d+: .*: test "dbt_utils\.accepted_range": the package "dbt_utils" is not installed: list it in packages\.yml \(if it is not there yet\), install it where the network allows \(`dbt deps`, or a copy of the package's folder under dbt_packages\/\), and run `wharf deps`/,
  );
});

Deno.test("a dbt microbatch model runs on wharf's microbatch strategy", async () => {
  // Days before today: a batch per day from begin to now.
  const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "seeds/events.csv": `id,occurred_at\n1,${day(2)} 10:00:00\n2,${day(1)} 11:00:00\n3,${
      day(1)
    } 12:00:00\n`,
    "models/daily.sql": `{{ config(
    materialized='incremental',
    incremental_strategy='microbatch',
    event_time='occurred_at',
    batch_size='day',
    begin='${day(3)}',
) }}
select id, occurred_at::timestamp as occurred_at from {{ ref('events') }}`,
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(
    (await rows(join(p.root, "shop.duckdb"), "select id from main.daily order by id")).map((x) =>
      x.id
    ),
    [1, 2, 3],
  );
});

Deno.test("invocation_id and run_started_at render the run's own id and start, as run_results.json and wharf.runs record them", async () => {
  await using p = await tempProject({
    "dbt_project.yml": PROJECT,
    "models/a.sql":
      "{{ config(materialized='table') }}\nselect '{{ invocation_id }}' as id, '{{ run_started_at }}' as started",
  });
  const r = await runCli(["--project", p.root, "run"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const db = join(p.root, "shop.duckdb");
  const [row] = await rows(db, "select id, started from main.a");
  const results = await readValid(join(p.root, "target"), "run_results");
  assert.equal(row!.id, results.metadata.invocation_id);
  assert.deepEqual(await rows(db, "select run_id from wharf.runs"), [{ run_id: row!.id }]);
  // run_started_at is the run's start, a moment before the results' generated_at.
  const started = Date.parse(String(row!.started).replace(" ", "T"));
  const generated = Date.parse(results.metadata.generated_at);
  assert.ok(started <= generated && generated - started < 60_000, `${row!.started}`);
});
