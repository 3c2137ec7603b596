/**
 * `database:` in a dbt-duckdb target of profiles.yml: the warehouse file's
 * own catalog (its name without extension), as dbt-duckdb takes it; any
 * other name is an error naming both. Through the CLI on a real DuckDB file.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, tempProject } from "../helpers.ts";

const profile = (database: string, extra = "") =>
  `shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      database: ${database}
      path: data/shop.duckdb
      schema: analytics${extra}
`;

Deno.test("profiles.yml: database naming the warehouse file's catalog is taken as dbt-duckdb takes it", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\n",
    "profiles.yml": profile("shop"),
    "models/whoami.sql": "select '{{ target.database }}' as db, '{{ this.database }}' as this_db",
    "data/.keep": "",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const build = await cli("build");
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const shown = await cli("--json", "sql", "select * from analytics.whoami");
  assert.deepEqual(JSON.parse(shown.stdout), [{ db: "shop", this_db: "shop" }]);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.equal(manifest.nodes["model.shop.whoami"].database, "shop");

  await p.write("profiles.yml", profile("warehouse"));
  const other = await cli("ls");
  assert.equal(other.code, 2);
  assert.match(
    other.stderr,
    /profiles\.yml:6:17: shop\.outputs\.dev\.database: "warehouse" is not the warehouse's database "shop" \(DuckDB names it after the file data\/shop\.duckdb\): set database: shop, or leave it out, or name the file warehouse\.duckdb in path:/,
  );

  await p.write("profiles.yml", profile("lake", "\n      attach: [{ path: lake.duckdb }]"));
  const attached = await cli("ls");
  assert.equal(attached.code, 2);
  assert.match(
    attached.stderr,
    /database: "lake" is an attached database: building into it by default is not run by wharf yet: set database: shop \(the warehouse data\/shop\.duckdb\), or leave it out/,
  );
});
