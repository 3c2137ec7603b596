/**
 * Where the SQL of each node is written under target/, and what the
 * manifest says of it: a dbt project has dbt's layout
 * (`compiled/<project>/<file>`, `run/<project>/<file>`, a properties file's
 * tests under that file's path), and its manifest's `compiled_path`,
 * `compiled` and `compiled_code` name what the command compiled, as dbt's
 * do; analyses are manifest nodes of their own. A plain-SQL project keeps
 * wharf's layout by relation. Through the real CLI on DuckDB files.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";
import { readValid } from "./dbt_schemas.ts";

/** A small dbt project: a seed, models in folders (one ephemeral), tests of three kinds, a snapshot and an analysis. */
const KITCHEN = {
  "dbt_project.yml": "name: kitchen\n",
  "seeds/raw_dishes.csv": "id,course,price\n1,main,18\n2,dessert,7\n3,main,22\n",
  "models/staging/stg_dishes.sql": "select id, course, price from {{ ref('raw_dishes') }}",
  "models/staging/_staging.yml": `version: 2
models:
  - name: stg_dishes
    columns:
      - name: id
        data_tests: [unique]
      - name: course
        data_tests:
          - accepted_values:
              values: [starter, main, dessert, side, drink, cheese, amuse_bouche]
`,
  "models/marts/mains.sql":
    "{{ config(materialized='ephemeral') }}\nselect * from {{ ref('stg_dishes') }} where course = 'main'",
  "models/marts/menu_totals.sql":
    "select count(*) as mains, sum(price) as total from {{ ref('mains') }}",
  "tests/no_free_dishes.sql": "select * from {{ ref('stg_dishes') }} where price <= 0",
  "snapshots/dish_history.sql": `{% snapshot dish_history %}
{{ config(unique_key='id', strategy='check', check_cols='all') }}
select * from {{ ref('stg_dishes') }}
{% endsnapshot %}
`,
  "analyses/pricing/priciest.sql":
    "select * from {{ ref('stg_dishes') }} order by price desc limit {{ var('top', 1) }}",
};

/** The long accepted_values test's name, and the start of dbt's name of its file (then the MD5 of the name). */
const LONG_TEST =
  "accepted_values_stg_dishes_course__starter__main__dessert__side__drink__cheese__amuse_bouche";
const LONG_FILE = "accepted_values_stg_dishes";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("a dbt project's build writes its SQL in dbt's layout, and the manifest and run log name the files", async () => {
  await using p = await tempProject(KITCHEN);
  const built = await runCli(["--project", p.root, "build"]);
  assert.equal(built.code, 0, built.stdout + built.stderr);
  const target = join(p.root, "target");
  const longFile = `${LONG_FILE}_${createHash("md5").update(LONG_TEST).digest("hex")}.sql`;
  const files = async (dir: string): Promise<string[]> => {
    const out: string[] = [];
    for await (const e of Deno.readDir(join(target, dir))) {
      if (e.isDirectory) out.push(...(await files(join(dir, e.name))));
      else out.push(join(dir, e.name));
    }
    return out.sort();
  };
  const compiled = await files("compiled");
  assert.deepEqual(compiled.filter((f) => !f.includes(LONG_FILE)), [
    "compiled/kitchen/models/marts/mains.sql",
    "compiled/kitchen/models/marts/menu_totals.sql",
    "compiled/kitchen/models/staging/_staging.yml/unique_stg_dishes_id.sql",
    "compiled/kitchen/models/staging/stg_dishes.sql",
    "compiled/kitchen/tests/no_free_dishes.sql",
  ]);
  // A test named past 63 characters has dbt's shorter file name.
  const long = `compiled/kitchen/models/staging/_staging.yml/${longFile}`;
  assert.deepEqual(compiled.filter((f) => f.includes(LONG_FILE)), [long]);
  // What runs: no ephemeral model, nor analysis; a seed's and a snapshot's file as dbt names them.
  assert.deepEqual((await files("run")).filter((f) => !f.includes(LONG_FILE)), [
    "run/kitchen/models/marts/menu_totals.sql",
    "run/kitchen/models/staging/_staging.yml/unique_stg_dishes_id.sql",
    "run/kitchen/models/staging/stg_dishes.sql",
    "run/kitchen/seeds/raw_dishes.csv",
    "run/kitchen/snapshots/dish_history.sql",
    "run/kitchen/tests/no_free_dishes.sql",
  ]);
  assert.match(
    await Deno.readTextFile(join(target, "compiled/kitchen/models/marts/menu_totals.sql")),
    /from "main"\."stg_dishes"/,
  );

  const manifest = await readValid(target, "manifest");
  const node = (id: string) => manifest.nodes[id];
  const state = (id: string) => [node(id).compiled, node(id).compiled_path];
  assert.deepEqual(state("model.kitchen.stg_dishes"), [
    true,
    "target/compiled/kitchen/models/staging/stg_dishes.sql",
  ]);
  assert.deepEqual(state("model.kitchen.mains"), [
    true,
    "target/compiled/kitchen/models/marts/mains.sql",
  ]);
  assert.deepEqual(state("test.kitchen.unique_stg_dishes_id"), [
    true,
    "target/compiled/kitchen/models/staging/_staging.yml/unique_stg_dishes_id.sql",
  ]);
  assert.equal(node(`test.kitchen.${LONG_TEST}`).compiled_path, `target/${long}`);
  assert.equal(node(`test.kitchen.${LONG_TEST}`).path, long.split("/").at(-1));
  assert.deepEqual(state("test.kitchen.no_free_dishes"), [
    true,
    "target/compiled/kitchen/tests/no_free_dishes.sql",
  ]);
  // As in dbt: a snapshot is compiled without a file; a build compiles no analysis.
  assert.deepEqual(state("snapshot.kitchen.dish_history"), [true, null]);
  assert.match(node("snapshot.kitchen.dish_history").compiled_code, /from "main"\."stg_dishes"/);
  assert.deepEqual(state("analysis.kitchen.priciest"), [false, null]);
  assert.equal(node("analysis.kitchen.priciest").compiled_code, null);
  // The compiled code is the compiled file's text.
  assert.equal(
    `${node("model.kitchen.menu_totals").compiled_code}\n`,
    await Deno.readTextFile(join(p.root, node("model.kitchen.menu_totals").compiled_path)),
  );

  // The run log points at what ran, under target/run/.
  const logged = await queryRows(
    join(p.root, "kitchen.duckdb"),
    "select node_id, compiled_path from wharf.run_results order by node_id",
  );
  const path = new Map(logged.map((r) => [r.node_id, r.compiled_path]));
  assert.equal(path.get("main.stg_dishes"), "target/run/kitchen/models/staging/stg_dishes.sql");
  assert.equal(path.get("main.raw_dishes"), "target/run/kitchen/seeds/raw_dishes.csv");
  assert.equal(
    path.get("test.unique_stg_dishes_id"),
    "target/run/kitchen/models/staging/_staging.yml/unique_stg_dishes_id.sql",
  );
  for (const [id, file] of path) {
    assert.ok(await exists(join(p.root, String(file))), `${id}: ${file}`);
  }
});

Deno.test("the manifest marks compiled only what the command compiled: run -s one model, ls none, docs build all", async () => {
  await using p = await tempProject(KITCHEN);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const target = join(p.root, "target");
  let r = await cli("seed");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  r = await cli("run", "-s", "stg_dishes");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  let manifest = await readValid(target, "manifest");
  const compiled = (m: { nodes: Record<string, { compiled: boolean }> }) =>
    Object.entries(m.nodes).filter(([, n]) => n.compiled).map(([id]) => id).sort();
  assert.deepEqual(compiled(manifest), ["model.kitchen.stg_dishes"]);
  const totals = manifest.nodes["model.kitchen.menu_totals"];
  assert.deepEqual(
    [totals.compiled, totals.compiled_code, totals.compiled_path, totals.extra_ctes_injected],
    [false, null, null, false],
  );
  assert.equal(await exists(join(target, "compiled/kitchen/models/marts/menu_totals.sql")), false);

  // A model reading an ephemeral one compiles it too, and its file is written (nothing runs it).
  r = await cli("run", "-s", "menu_totals");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  manifest = await readValid(target, "manifest");
  assert.deepEqual(compiled(manifest), ["model.kitchen.mains", "model.kitchen.menu_totals"]);

  // ls parses, as dbt's does: nothing is compiled.
  r = await cli("ls");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(compiled(await readValid(target, "manifest")), []);

  // docs build compiles every node, as `dbt docs generate` does, and writes the compiled SQL only.
  await Deno.remove(join(target, "run"), { recursive: true });
  r = await cli("docs", "build");
  assert.equal(r.code, 0, r.stderr);
  manifest = await readValid(target, "manifest");
  assert.deepEqual(compiled(manifest), [
    "analysis.kitchen.priciest",
    "model.kitchen.mains",
    "model.kitchen.menu_totals",
    "model.kitchen.stg_dishes",
    "snapshot.kitchen.dish_history",
    `test.kitchen.${LONG_TEST}`,
    "test.kitchen.no_free_dishes",
    "test.kitchen.unique_stg_dishes_id",
  ]);
  for (const n of Object.values(manifest.nodes) as { compiled_path: string | null }[]) {
    if (n.compiled_path) assert.ok(await exists(join(p.root, n.compiled_path)), n.compiled_path);
  }
  assert.equal(await exists(join(target, "run")), false);
});

Deno.test("analyses are manifest nodes (analysis.<project>.<name>) that compile names and ls lists as dbt does; nothing runs them", async () => {
  await using p = await tempProject(KITCHEN);
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const target = join(p.root, "target");
  let r = await cli("compile", "--vars", "top: 2");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Compiled \d+ nodes and 1 analysis into target\//);
  const file = "target/compiled/kitchen/analyses/pricing/priciest.sql";
  assert.equal(
    await Deno.readTextFile(join(p.root, file)),
    'select * from "main"."stg_dishes" order by price desc limit 2\n',
  );
  const manifest = await readValid(target, "manifest");
  const a = manifest.nodes["analysis.kitchen.priciest"];
  assert.deepEqual(
    [a.resource_type, a.name, a.package_name, a.path, a.original_file_path, a.fqn],
    [
      "analysis",
      "priciest",
      "kitchen",
      "analysis/pricing/priciest.sql",
      "analyses/pricing/priciest.sql",
      ["kitchen", "analysis", "pricing", "priciest"],
    ],
  );
  assert.equal(a.raw_code, KITCHEN["analyses/pricing/priciest.sql"]);
  assert.match(a.checksum.checksum, /^[0-9a-f]{64}$/);
  assert.deepEqual(a.depends_on.nodes, ["model.kitchen.stg_dishes"]);
  assert.deepEqual(a.refs, [{ name: "stg_dishes", package: null, version: null }]);
  assert.deepEqual([a.compiled, a.compiled_path], [true, file]);
  assert.equal(`${a.compiled_code}\n`, await Deno.readTextFile(join(p.root, file)));
  assert.deepEqual(manifest.parent_map["analysis.kitchen.priciest"], ["model.kitchen.stg_dishes"]);
  assert.ok(manifest.child_map["model.kitchen.stg_dishes"].includes("analysis.kitchen.priciest"));

  // ls lists analyses when asked for them (--resource-type analysis or all), as dbt's does.
  r = await cli("ls", "--output", "name");
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /priciest/);
  r = await cli("ls", "--resource-type", "analysis", "--output", "selector");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "kitchen.analysis.pricing.priciest\n");
  r = await cli("ls", "--resource-type", "all", "-s", "resource_type:analysis", "--output", "path");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "analyses/pricing/priciest.sql\n");
  r = await cli("ls", "--resource-type", "all", "-s", "stg_dishes+", "--output", "name");
  assert.match(r.stdout, /^priciest$/m);

  // A selection compiles the analyses it holds; build and run never run one.
  await Deno.remove(target, { recursive: true });
  r = await cli("compile", "-s", "priciest");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Compiled 0 nodes and 1 analysis/);
  assert.ok(await exists(join(p.root, file)));
  r = await cli("--json", "build", "-s", "resource_type:analysis");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /none of which `wharf build` runs/);
  r = await cli("--json", "build");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const results = await readValid(target, "run_results");
  assert.ok(
    !results.results.some((x: { unique_id: string }) => x.unique_id.startsWith("analysis.")),
  );
  // show previews an analysis's rows, as dbt's show does.
  r = await cli("--json", "show", "priciest");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).rows, [{ id: 3, course: "main", price: 22 }]);
});

Deno.test("two analyses of one name are an error naming both files", async () => {
  await using p = await tempProject({
    ...KITCHEN,
    "analyses/priciest.sql": "select 1 as n",
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /Two analyses are named "priciest": analyses\/.*priciest\.sql and analyses/,
  );
  assert.match(r.stderr, /analyses\/pricing\/priciest\.sql/);
  assert.match(r.stderr, /analyses\/priciest\.sql/);
});

Deno.test("a plain-SQL project keeps wharf's layout by relation; its manifest names the compiled files", async () => {
  await using p = await tempProject({
    "models/staging/plates.sql": "select 1 as id",
    "models/marts/plate_count.sql": "select count(*) as n from staging.plates",
    "models/staging/staging.yml":
      "models:\n  - name: plates\n    columns:\n      - name: id\n        tests: [unique]\n",
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const target = join(p.root, "target");
  for (
    const f of [
      "run/staging/plates.sql",
      "run/marts/plate_count.sql",
      "run/tests/unique_plates_id.sql",
      "compiled/staging/plates.sql",
      "compiled/marts/plate_count.sql",
      "compiled/tests/unique_plates_id.sql",
    ]
  ) assert.ok(await exists(join(target, f)), f);
  const manifest = await readValid(target, "manifest");
  const pkg = manifest.metadata.project_name;
  assert.equal(
    manifest.nodes[`model.${pkg}.plate_count`].compiled_path,
    "target/compiled/marts/plate_count.sql",
  );
  assert.equal(
    manifest.nodes[`test.${pkg}.unique_plates_id`].compiled_path,
    "target/compiled/tests/unique_plates_id.sql",
  );
});
