import assert from "node:assert/strict";
import { join } from "node:path";
import { TABLES } from "../../src/engine/db/schema/tables.ts";
import { REAL, REPO, runCli, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

/** The columns the README's Transparency-in-Coverage section lists for each table and mart. */
async function readmeColumns(): Promise<Map<string, string[]>> {
  const readme = await Deno.readTextFile(join(REPO, "README.md"));
  const section = readme.slice(
    readme.indexOf("## Transparency-in-Coverage"),
    readme.indexOf("### Which files serve a state and a network"),
  );
  const columns = new Map<string, string[]>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const name = /^`((?:raw|marts)\.tic_\w+)`$/.exec(cells[1] ?? "")?.[1];
    if (name) columns.set(name, [...cells[3]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
  }
  return columns;
}

Deno.test("the README lists every raw.tic_* table with its columns as wharf defines them", async () => {
  const documented = await readmeColumns();
  const tic = TABLES.filter((t) => t.group === "tic");
  assert.deepEqual(
    tic.map((t) => [`${t.schema}.${t.name}`, documented.get(`${t.schema}.${t.name}`)]),
    tic.map((t) => [`${t.schema}.${t.name}`, t.columns.map((c) => c.name)]),
  );
});

Deno.test("the README lists the TiC marts with the columns a build gives them", async () => {
  await using p = await tempProject();
  const index = join(REAL, "serif", "anthem_2023-04_index_excerpt.compact-lines.json.gz");
  const landed = await runCli(["--project", REPO, "--db", p.db, "tic", index]);
  assert.equal(landed.code, 0, landed.stderr);
  const files = await runCli([
    "--project",
    REPO,
    "--db",
    p.db,
    "tic",
    "files",
    "--state",
    "NY",
    "--network",
    "PPO",
  ]);
  assert.equal(files.code, 0, files.stderr);
  // `tic files` builds the tables it reads; the view beside them is built here.
  const view = await runCli([
    "--project",
    REPO,
    "--db",
    p.db,
    "build",
    "--select",
    "tic_files_for_state_network",
  ]);
  assert.equal(view.code, 0, view.stderr + view.stdout);
  const built = await query(
    p.db,
    `select 'marts.' || table_name as t, list(column_name order by ordinal_position) as c
     from information_schema.columns where table_schema = 'marts' and table_name like 'tic\\_%' escape '\\'
     group by all order by t`,
  );
  const documented = await readmeColumns();
  assert.equal(built.length, 4, JSON.stringify(built));
  for (const { t, c } of built) {
    assert.deepEqual(documented.get(String(t)), c, String(t));
  }
});
