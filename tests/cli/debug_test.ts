/**
 * `wharf debug` through the CLI: a dbt project with its profile, a plain-SQL
 * project with an attached database, and what fails (an extension that does
 * not load, a broken selectors.yml, a held warehouse, a bad project file).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { holdWarehouse, runCli, tempProject } from "../helpers.ts";

const PROFILE = (extensions: string) =>
  `shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop_dev.duckdb\n      schema: analytics\n      threads: 2\n      extensions: [${extensions}]\n`;

Deno.test("wharf debug on a dbt project: profile, target, extensions, selectors.yml and warehouse", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nprofile: shop\nconfig-version: 2\n",
    "profiles.yml": PROFILE("json"),
    "seeds/codes.csv": "code\nA\n",
  });
  const debug = () => runCli(["--project", p.root, "debug"]);
  const fresh = await debug();
  assert.equal(fresh.code, 0, fresh.stdout + fresh.stderr);
  assert.match(
    fresh.stdout,
    /^OK +profile +\/.*\/profiles\.yml: profile "shop", target "dev" \(duckdb\), schema "analytics", 2 threads$/m,
  );
  assert.match(fresh.stdout, /^OK +extension json +loads$/m);
  assert.match(fresh.stdout, /^OK +warehouse +.*shop_dev\.duckdb does not exist yet/m);
  assert.match(fresh.stdout, /^All checks passed\.$/m);

  assert.equal((await runCli(["--project", p.root, "seed"])).code, 0);
  const built = await debug();
  assert.equal(built.code, 0);
  assert.match(
    built.stdout,
    /^OK +warehouse +.*shop_dev\.duckdb: opened read-only \(DuckDB v[\d.]+\), \d+ tables and views$/m,
  );
  {
    await using _holder = await holdWarehouse(join(p.root, "shop_dev.duckdb"), "wharf build");
    const held = await debug();
    assert.equal(held.code, 1);
    assert.match(
      held.stdout,
      /^ERROR warehouse +.*`wharf build` \(PID \d+\) has been writing to it since/m,
    );
  }

  await p.write("profiles.yml", PROFILE("json, no_such_extension"));
  await p.write("selectors.yml", "selectors:\n  - name: a\n    definition: { method: tag }\n");
  const broken = await debug();
  assert.equal(broken.code, 1);
  assert.match(
    broken.stdout,
    /^ERROR extension no_such_extension +Cannot load the DuckDB extension "no_such_extension"/m,
  );
  assert.match(
    broken.stdout,
    /^ERROR selectors\.yml +selectors\.yml:3:\d+: selectors\[0\]\.definition\.value: expected a value to select/m,
  );
  assert.match(broken.stdout, /^2 check\(s\) failed\.$/m);
  // An unknown method is the file's problem, with its line, used by a command or not.
  await p.write("profiles.yml", PROFILE("json"));
  await p.write(
    "selectors.yml",
    "selectors:\n  - name: a\n    definition: 'tag:x'\n  - name: bad_one\n    definition:\n      method: tagg\n      value: x\n",
  );
  const method = await debug();
  assert.equal(method.code, 1);
  assert.match(
    method.stdout,
    /^ERROR selectors\.yml +selectors\.yml:6:\d+: selectors\[1\]\.definition\.method: unknown selector method "tagg" \(did you mean "tag"\?\)/m,
  );

  await p.write(
    "profiles.yml",
    "shop:\n  target: prod\n  outputs:\n    dev:\n      type: duckdb\n",
  );
  const noTarget = await runCli(["--project", p.root, "--json", "debug"]);
  assert.equal(noTarget.code, 1);
  const report = JSON.parse(noTarget.stdout);
  assert.equal(report.ok, false);
  assert.equal(report.checks[0].name, "project");
  assert.match(report.checks[0].detail, /prod/);
});

Deno.test("wharf debug on a plain-SQL project checks wharf.config.ts and its attached databases", async () => {
  await using p = await tempProject({
    "wharf.config.ts": 'export default { name: "clinic", attach: { lake: "lake.duckdb" } };\n',
    "models/staging/a.sql": "select 1 as x",
  });
  const r = await runCli(["--project", p.root, "debug"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^OK +wharf\.config\.ts +project "clinic"$/m);
  assert.match(r.stdout, /^OK +attached database lake +.*lake\.duckdb does not exist yet/m);
  assert.equal((await runCli(["--project", p.root, "build"])).code, 0);
  const built = await runCli(["--project", p.root, "debug"]);
  assert.match(built.stdout, /^OK +warehouse +.*warehouse\.duckdb: opened read-only/m);

  await p.write("wharf.config.ts", "export default { threds: 2 };\n");
  const bad = await runCli(["--project", p.root, "debug"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /^ERROR project +.*threds.*threads/m);
});

Deno.test("wharf debug names the project's load problems (a seed's unterminated quote) as a failed check", async () => {
  await using dbt = await tempProject({
    "dbt_project.yml": "name: shop\nprofile: shop\nconfig-version: 2\n",
    "profiles.yml": PROFILE("json"),
    "seeds/days.csv": 'id,day\n1,2024-01-07\n2,"2024-01-08\n',
  });
  await using plain = await tempProject({
    "models/staging/a.sql": "select 1 as x",
    "models/seeds/days.csv": 'id,day\n1,2024-01-07\n2,"2024-01-08\n',
  });
  for (const p of [dbt, plain]) {
    const r = await runCli(["--project", p.root, "debug"]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /^ERROR project files +1 problem \(`wharf build` refuses to run\): (models\/)?seeds\/days\.csv: seed days: line 3: the quote opening `"2024-01-08` is never closed/m,
    );
    assert.match(r.stdout, /^1 check\(s\) failed\.$/m);
    const json = JSON.parse((await runCli(["--project", p.root, "--json", "debug"])).stdout);
    assert.equal(json.ok, false);
  }
  await plain.write("models/seeds/days.csv", 'id,day\n1,2024-01-07\n2,"2024-01-08"\n');
  const fixed = await runCli(["--project", plain.root, "debug"]);
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.match(fixed.stdout, /^OK +project files +2 nodes compile$/m);
});
