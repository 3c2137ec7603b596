/**
 * A selection keeps the order of the whole graph: nodes linked only
 * through a node the selection leaves out still run one after the other
 * (as dbt builds them), in a dbt project and a plain-SQL one alike.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

/** Builds everything, adds rows to the seed, then builds the seed and the table only. */
async function rebuildSelected(
  files: Record<string, string>,
  seed: string,
  db: string,
  select: string[],
  table: string,
): Promise<{ n: number; order: string[] }> {
  await using p = await tempProject(files);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  let r = await cli("build", "--threads", "4");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  await p.write(seed, "id\n1\n2\n3\n4\n");
  r = await cli("--json", "build", "--threads", "4", "-s", ...select);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const results = JSON.parse(r.stdout).results as { id: string; startedAt: string }[];
  const [row] = await queryRows(join(p.root, db), `select n from ${table}`);
  return { n: Number(row!.n), order: results.map((x) => x.id) };
}

Deno.test("dbt: -s seed table builds the seed first when a view between them is not selected", async () => {
  const out = await rebuildSelected(
    {
      "dbt_project.yml": "name: shop\n",
      "seeds/s.csv": "id\n1\n",
      "models/v.sql": "select * from {{ ref('s') }}",
      "models/t.sql":
        "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('v') }}",
    },
    "seeds/s.csv",
    "shop.duckdb",
    ["s", "t"],
    "main.t",
  );
  assert.deepEqual(out, { n: 4, order: ["main.s", "main.t"] });
});

Deno.test("plain SQL: the same selection waits for the seed through the view it leaves out", async () => {
  const out = await rebuildSelected(
    {
      "models/seeds/s.csv": "id\n1\n",
      "models/staging/v.sql": "select * from seeds.s",
      "models/marts/t.sql": "select count(*) as n from staging.v",
      "models/marts/marts.yml": "models:\n  - name: t\n    config: { materialized: table }\n",
    },
    "models/seeds/s.csv",
    "warehouse.duckdb",
    ["seeds.s", "marts.t"],
    "marts.t",
  );
  assert.deepEqual(out, { n: 4, order: ["seeds.s", "marts.t"] });
});
