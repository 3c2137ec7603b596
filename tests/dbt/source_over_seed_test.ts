/**
 * A dbt `source()` that reads a relation the project builds (a seed's
 * table): as in dbt, the model depends on the source node (selection,
 * manifest depends_on, parent_map and child_map), and the source node has
 * no parents; one `wharf build` still loads the seed before the model reads
 * it. Through the CLI on a real DuckDB file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

Deno.test("dbt: a model reading a seed's table through source() depends on the source, and still builds after the seed", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: ss\n",
    "seeds/raw_orders.csv": "id\n1\n2\n",
    "models/src.yml":
      "version: 2\nsources:\n  - name: app\n    schema: main\n    tables:\n      - name: orders\n        identifier: raw_orders\n",
    "models/stg.sql": "select * from {{ source('app','orders') }}",
    "models/direct.sql": "select * from {{ ref('raw_orders') }}",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const ls = async (selector: string) => {
    const out = await cli("ls", "--output", "selector", "-s", selector);
    assert.equal(out.code, 0, out.stderr);
    return out.stdout.trim().split("\n").sort();
  };
  assert.deepEqual(await ls("source:app.orders+"), ["source:ss.app.orders", "ss.stg"]);
  assert.deepEqual(await ls("+stg"), ["source:ss.app.orders", "ss.stg"]);
  assert.deepEqual(await ls("raw_orders+"), ["ss.direct", "ss.raw_orders"]);

  // On a fresh warehouse: the view over the seed's table fails unless the seed is loaded first.
  const build = await cli("build");
  assert.equal(build.code, 0, build.stdout + build.stderr);
  assert.deepEqual(
    await queryRows(join(p.root, "ss.duckdb"), "select count(*)::INTEGER as n from main.stg"),
    [{ n: 2 }],
  );
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.deepEqual(manifest.nodes["model.ss.stg"].depends_on.nodes, ["source.ss.app.orders"]);
  assert.deepEqual(manifest.nodes["model.ss.direct"].depends_on.nodes, ["seed.ss.raw_orders"]);
  assert.deepEqual(manifest.parent_map["source.ss.app.orders"], []);
  assert.deepEqual(manifest.child_map["source.ss.app.orders"], ["model.ss.stg"]);
  assert.deepEqual(manifest.child_map["seed.ss.raw_orders"], ["model.ss.direct"]);
});
