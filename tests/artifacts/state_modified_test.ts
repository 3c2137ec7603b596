/**
 * dbt's `state:modified.<part>` selectors through the real CLI: `contract`
 * (with dbt's warning for a breaking change), `relation`, `configs` and
 * `body` on models and snapshots, the place of a node (fqn) for
 * `state:modified` alone, and `persisted_descriptions` (the descriptions a
 * dbt project's `persist_docs` writes), which a plain-SQL project refuses.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, type TempProject, tempProject } from "../helpers.ts";

/** Runs the CLI on `p`; asserts the exit code; returns stdout and stderr. */
async function cli(p: TempProject, code: number, ...args: string[]) {
  const r = await runCli(["--project", p.root, ...args]);
  assert.equal(r.code, code, `wharf ${args.join(" ")}:\n${r.stdout}${r.stderr}`);
  return r;
}

/** The non-test ids `wharf ls` selects against `state`, and what it warned. */
async function listed(
  p: TempProject,
  state: string,
  select: string,
): Promise<{ ids: string[]; warnings: string }> {
  const r = await cli(p, 0, "--json", "ls", "--state", state, "-s", select);
  const ids = (JSON.parse(r.stdout) as { id: string; type: string }[])
    .filter((n) => !n.type.endsWith("_test")).map((n) => n.id);
  return { ids, warnings: r.stderr };
}

/** Keeps target/manifest.json as a state folder; returns its path. */
async function keepState(p: TempProject, name: string): Promise<string> {
  const dir = join(p.root, name);
  await Deno.mkdir(dir);
  await Deno.copyFile(join(p.root, "target", "manifest.json"), join(dir, "manifest.json"));
  return dir;
}

const ORDERS = `models:
  - name: orders
    config:
      materialized: table
      contract: { enforced: true }
    columns:
      - name: id
        data_type: integer
        constraints: [{ type: not_null }]
      - name: amount
        data_type: decimal(6,2)
  - name: totals
    columns:
      - name: total
        data_type: decimal(10,2)
`;

const SNAPSHOTS = `snapshots:
  - name: order_history
    relation: ref('orders')
    config: { unique_key: id, strategy: check, check_cols: [amount] }
`;

Deno.test("state:modified.contract selects contract changes and warns of breaking ones; relation, configs and body tell a snapshot's changes apart", async () => {
  await using p = await tempProject({
    "models/marts/orders.sql": "select 1 as id, 2.50::decimal(6,2) as amount",
    "models/marts/totals.sql": "select sum(amount)::decimal(10,2) as total from marts.orders",
    "models/marts/marts.yml": ORDERS,
    "snapshots/history.yml": SNAPSHOTS,
  });
  await cli(p, 0, "ls");
  const state = await keepState(p, "prod");
  for (const part of ["", ".contract", ".body", ".configs", ".relation", ".macros"]) {
    assert.deepEqual((await listed(p, state, `state:modified${part}`)).ids, [], part);
  }

  // A newly enforced contract is a change, not a breaking one.
  await p.write(
    "models/marts/marts.yml",
    ORDERS.replace(
      "  - name: totals\n",
      "  - name: totals\n    config: { contract: { enforced: true } }\n",
    ),
  );
  const enforced = await listed(p, state, "state:modified.contract");
  assert.deepEqual(enforced.ids, ["marts.totals"]);
  assert.equal(enforced.warnings, "");
  await p.write("models/marts/marts.yml", ORDERS);

  // A column retyped, a constraint removed: breaking changes, which dbt warns of.
  await p.write(
    "models/marts/marts.yml",
    ORDERS.replace("data_type: decimal(6,2)", "data_type: decimal(8,2)")
      .replace("        constraints: [{ type: not_null }]\n", ""),
  );
  await p.write("models/marts/orders.sql", "select 1 as id, 2.50::decimal(8,2) as amount");
  const retyped = await listed(p, state, "state:modified.contract");
  assert.deepEqual(retyped.ids, ["marts.orders"]);
  assert.match(
    retyped.warnings,
    /warning: breaking change to the contract of marts\.orders since the state: column "amount" changed type from decimal\(6,2\) to decimal\(8,2\); its not_null constraint on id was removed/,
  );
  assert.deepEqual((await listed(p, state, "state:modified")).ids, ["marts.orders"]);
  // state:modified.configs does not compare contracts, so it neither selects nor warns.
  const configs = await listed(p, state, "state:modified.configs");
  assert.deepEqual(configs, { ids: [], warnings: "" });

  // Enforcement dropped.
  await p.write("models/marts/marts.yml", ORDERS.replace("enforced: true", "enforced: false"));
  const dropped = await listed(p, state, "state:modified.contract");
  assert.deepEqual(dropped.ids, ["marts.orders"]);
  assert.match(
    dropped.warnings,
    /marts\.orders since the state: its contract is no longer enforced/,
  );
  await p.write("models/marts/marts.yml", ORDERS);
  await p.write("models/marts/orders.sql", "select 1 as id, 2.50::decimal(6,2) as amount");

  // A snapshot's schema is its relation; its strategy a config; its relation: its body.
  await p.write(
    "snapshots/history.yml",
    SNAPSHOTS.replace("unique_key: id,", "unique_key: id, schema: history,"),
  );
  assert.deepEqual((await listed(p, state, "state:modified.relation")).ids, [
    "history.order_history",
  ]);
  assert.deepEqual((await listed(p, state, "state:modified.configs")).ids, [
    "history.order_history",
  ]);
  await p.write(
    "snapshots/history.yml",
    SNAPSHOTS.replace("ref('orders')", "ref('totals')").replace("[amount]", "all")
      .replace("unique_key: id", "unique_key: total"),
  );
  assert.deepEqual((await listed(p, state, "state:modified.body")).ids, [
    "snapshots.order_history",
  ]);
  assert.deepEqual((await listed(p, state, "state:modified.relation")).ids, []);
});

Deno.test("state:modified selects a dbt model moved to another folder (its fqn); unknown parts are refused by name", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "models/orders.sql": "select 1 as id",
    "models/orders.yml": "models:\n  - name: orders\n    description: One row per order.\n",
  });
  await cli(p, 0, "ls");
  const state = await keepState(p, "prod");
  await p.remove("models/orders.sql");
  await p.write("models/marts/orders.sql", "select 1 as id");
  assert.deepEqual((await listed(p, state, "state:modified")).ids, ["main.orders"]);
  for (const part of ["body", "configs", "relation", "macros", "contract"]) {
    assert.deepEqual((await listed(p, state, `state:modified.${part}`)).ids, [], part);
  }
  const unknown = await cli(p, 2, "ls", "--state", state, "-s", "state:modified.columns");
  assert.match(
    unknown.stderr,
    /Unknown selector "state:modified\.columns": use state:new, state:modified or state:modified\.body\|configs\|macros\|relation\|contract\|persisted_descriptions/,
  );
});

const DOCUMENTED = `models:
  - name: orders
    description: One row per order.
    config: { persist_docs: { relation: true, columns: true } }
    columns:
      - name: id
        description: The order.
  - name: customers
    description: One row per customer.
    config: { persist_docs: { relation: true } }
    columns:
      - name: id
        description: The customer.
  - name: items
    description: One row per item.
    columns:
      - name: id
        description: The item.
`;

Deno.test("state:modified.persisted_descriptions selects the dbt nodes whose description persist_docs writes changed, as dbt does; state:modified selects them too", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "models/orders.sql": "select 1 as id",
    "models/customers.sql": "select 1 as id",
    "models/items.sql": "select 1 as id",
    "models/models.yml": DOCUMENTED,
  });
  await cli(p, 0, "ls");
  const state = await keepState(p, "prod");
  const select = "state:modified.persisted_descriptions";
  assert.deepEqual((await listed(p, state, select)).ids, []);

  // Every description changed: only those persist_docs writes count.
  await p.write(
    "models/models.yml",
    DOCUMENTED.replaceAll("One row per", "A row per").replaceAll(
      "description: The",
      "description: A",
    ),
  );
  assert.deepEqual((await listed(p, state, select)).ids, ["main.customers", "main.orders"]);
  assert.deepEqual((await listed(p, state, "state:modified")).ids, [
    "main.customers",
    "main.orders",
  ]);
  assert.deepEqual((await listed(p, state, "state:modified.configs")).ids, []);

  // A column's description only: the model that persists its columns'.
  await p.write("models/models.yml", DOCUMENTED.replaceAll("description: The", "description: A"));
  assert.deepEqual((await listed(p, state, select)).ids, ["main.orders"]);

  // A newly documented column is a change of the columns' descriptions.
  await p.write(
    "models/models.yml",
    DOCUMENTED.replace(
      "        description: The order.\n",
      "        description: The order.\n      - name: amount\n        description: Its amount.\n",
    ),
  );
  assert.deepEqual((await listed(p, state, select)).ids, ["main.orders"]);

  // A new node is modified in every part, as in dbt.
  await p.write("models/models.yml", DOCUMENTED);
  await p.write("models/refunds.sql", "select 1 as id");
  assert.deepEqual((await listed(p, state, select)).ids, ["main.refunds"]);

  // persist_docs turned off is a change of configs, not of persisted descriptions.
  await p.remove("models/refunds.sql");
  await p.write(
    "models/models.yml",
    DOCUMENTED.replace("{ relation: true, columns: true }", "{ relation: false }")
      .replace("One row per order.", "A row per order."),
  );
  assert.deepEqual((await listed(p, state, select)).ids, []);
  assert.deepEqual((await listed(p, state, "state:modified.configs")).ids, ["main.orders"]);
});

Deno.test("state:modified.persisted_descriptions is refused in a plain-SQL project, which has no persist_docs", async () => {
  await using p = await tempProject({ "models/marts/orders.sql": "select 1 as id" });
  await cli(p, 0, "ls");
  const state = await keepState(p, "prod");
  const r = await cli(p, 2, "ls", "--state", state, "-s", "state:modified.persisted_descriptions");
  assert.match(
    r.stderr,
    /Selector "state:modified\.persisted_descriptions" is not supported here: it selects nodes whose descriptions dbt's persist_docs writes to the warehouse, and persist_docs is not supported in a plain-SQL project \(a dbt project, with a dbt_project\.yml, runs it\)/,
  );
});
