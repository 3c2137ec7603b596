import assert from "node:assert/strict";
import { inspectProject, runProject } from "../../src/engine/run/run_project.ts";
import { loadProject } from "../../src/engine/project/load_project.ts";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { buildManifest } from "../../src/docs/manifest.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { createApp } from "../../src/serve/app.ts";
import { runCli, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

/** People of two clients: a row without id, bad states, a bad ZIP, a short phone. */
const PEOPLE = `select * from (values
  ('a', 1, 'NY', '10001', '5551234567', 1, 'f1.csv'),
  ('a', 2, 'ZZ', '10001', '555', 1, 'f1.csv'),
  ('a', null, 'NJ', '123TY', '5551234567', 1, 'f1.csv'),
  ('b', 1, '88', 'x', '5551234567', 2, 'f2.csv'),
  ('b', 2, null, '07102', null, 2, 'f2.csv')
) t(client, id, state, zip, phone, _batch_id, _file)`;

const CHECKS = [
  "models:",
  "  - name: people",
  "    config: { materialized: table, unique_key: [client, id] }",
  "    checks:",
  "      valid_id: id is not null",
  "      valid_state: { expression: \"state in ('NY', 'NJ')\", column: state, on_fail: nullify }",
  "      valid_zip: { expression: \"zip ~ '^[0-9]{5}$'\", column: zip, on_fail: nullify }",
  "      valid_phone: { expression: \"phone ~ '^[0-9]{10}$'\", column: phone, on_fail: nullify }",
].join("\n");

Deno.test("a nullify check keeps the row, sets the column to NULL and records the value with the row key and lineage", async () => {
  await using p = await tempProject({
    "models/staging/people.sql": PEOPLE,
    "models/staging/s.yml": CHECKS,
    "models/marts/report.sql": "select count(*) as n, count(zip) as zips from staging.people",
  });
  const summary = await runProject("build", p.config, { db: p.db });
  assert.ok(summary.ok, JSON.stringify(summary.results));
  const people = summary.results.find((r) => r.id === "staging.people")!;
  // Input rows = kept + rejected; nullified values are counted per check, in kept rows only
  // (a NULL has nothing to nullify).
  assert.deepEqual(
    [people.rows, people.rejected, people.checks, people.nullified],
    [4, 1, { valid_id: 1 }, { valid_state: 2, valid_zip: 1, valid_phone: 1 }],
  );
  assert.deepEqual(
    await query(p.db, "select client, id, state, zip, phone from staging.people order by all"),
    [
      { client: "a", id: 1, state: "NY", zip: "10001", phone: "5551234567" },
      { client: "a", id: 2, state: null, zip: "10001", phone: null },
      { client: "b", id: 1, state: null, zip: null, phone: "5551234567" },
      { client: "b", id: 2, state: null, zip: "07102", phone: null },
    ],
  );
  // The rejected row keeps every value and lists every check it failed.
  assert.deepEqual(
    await query(p.db, "select client, zip, _failed_checks from staging.people__rejected"),
    [{ client: "a", zip: "123TY", _failed_checks: ["valid_id", "valid_zip"] }],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select model, row_key::varchar as row_key, column_name, value, failed_check, _batch_id, _file from staging.people__rejected_values order by row_key, column_name",
    ),
    [
      {
        model: "staging.people",
        row_key: '{"client":"a","id":2}',
        column_name: "phone",
        value: "555",
        failed_check: "valid_phone",
        _batch_id: 1,
        _file: "f1.csv",
      },
      {
        model: "staging.people",
        row_key: '{"client":"a","id":2}',
        column_name: "state",
        value: "ZZ",
        failed_check: "valid_state",
        _batch_id: 1,
        _file: "f1.csv",
      },
      {
        model: "staging.people",
        row_key: '{"client":"b","id":1}',
        column_name: "state",
        value: "88",
        failed_check: "valid_state",
        _batch_id: 2,
        _file: "f2.csv",
      },
      {
        model: "staging.people",
        row_key: '{"client":"b","id":1}',
        column_name: "zip",
        value: "x",
        failed_check: "valid_zip",
        _batch_id: 2,
        _file: "f2.csv",
      },
    ],
  );
  assert.deepEqual(await query(p.db, "select n::int as n, zips::int as zips from marts.report"), [
    { n: 4, zips: 3 },
  ]);
  assert.deepEqual(
    await query(
      p.db,
      "select rows::int as rows, rejected_rows::int as r, check_counts::varchar as c, nullified_values::int as v, nullified_counts::varchar as n from wharf.run_results where node_id = 'staging.people'",
    ),
    [{
      rows: 4,
      r: 1,
      c: '{"valid_id":1}',
      v: 4,
      n: '{"valid_state":2,"valid_zip":1,"valid_phone":1}',
    }],
  );

  // Without nullify checks the model has no __rejected_values (a stale one is dropped).
  await p.write(
    "models/staging/s.yml",
    "models:\n  - name: people\n    config: { materialized: table }\n    checks:\n      valid_id: id is not null\n",
  );
  const again = await runProject("build", p.config, { db: p.db, select: ["staging.people"] });
  assert.ok(again.ok);
  assert.equal(again.results[0]!.nullified, undefined);
  assert.deepEqual(
    await query(
      p.db,
      "select table_name from information_schema.tables where table_schema = 'staging' order by 1",
    ),
    [{ table_name: "people" }, { table_name: "people__rejected" }],
  );
});

Deno.test("a nullify check with value_from records that column's text (the delivered one), and sets its own column to NULL", async () => {
  await using p = await tempProject({
    "models/staging/births.sql": `select * from (values
      (1, 'March 16, 2027', DATE '2027-03-16'),
      (2, '1/2/1980', DATE '1980-01-02')
    ) t(id, born_raw, born)`,
    "models/staging/s.yml": [
      "models:",
      "  - name: births",
      "    config: { materialized: table, unique_key: id }",
      "    checks:",
      "      born_by_2024:",
      "        expression: born <= DATE '2024-01-01'",
      "        column: born",
      "        value_from: born_raw",
      "        on_fail: nullify",
    ].join("\n"),
  });
  const summary = await runProject("build", p.config, { db: p.db });
  assert.ok(summary.ok, JSON.stringify(summary.results));
  assert.deepEqual(
    await query(p.db, "select id, born_raw, born::varchar as born from staging.births order by id"),
    [{ id: 1, born_raw: "March 16, 2027", born: null }, {
      id: 2,
      born_raw: "1/2/1980",
      born: "1980-01-02",
    }],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select row_key::varchar as row_key, column_name, value, failed_check from staging.births__rejected_values",
    ),
    [{
      row_key: '{"id":1}',
      column_name: "born",
      value: "March 16, 2027",
      failed_check: "born_by_2024",
    }],
  );
});

Deno.test("a nullify check with value_from judges a row whose text could not be read, and records it under its column", async () => {
  await using p = await tempProject({
    "models/staging/births.sql": `select * from (values
      (1, 'March 16, 2027', DATE '2027-03-16'),
      (2, 'soon', NULL::DATE),
      (3, NULL, NULL::DATE),
      (4, '1/2/1980', DATE '1980-01-02')
    ) t(id, born_raw, born)`,
    "models/staging/s.yml": [
      "models:",
      "  - name: births",
      "    config: { materialized: table, unique_key: id }",
      "    checks:",
      "      born_read: { expression: born is not null, column: born, value_from: born_raw, on_fail: nullify }",
      "      born_by_2024:",
      "        expression: born is null or born <= DATE '2024-01-01'",
      "        column: born",
      "        value_from: born_raw",
      "        on_fail: nullify",
    ].join("\n"),
  });
  const summary = await runProject("build", p.config, { db: p.db });
  assert.ok(summary.ok, JSON.stringify(summary.results));
  assert.deepEqual(
    await query(p.db, "select id, born_raw, born::varchar as born from staging.births order by id"),
    [
      { id: 1, born_raw: "March 16, 2027", born: null },
      { id: 2, born_raw: "soon", born: null },
      { id: 3, born_raw: null, born: null },
      { id: 4, born_raw: "1/2/1980", born: "1980-01-02" },
    ],
  );
  // Nothing delivered (row 3) is nothing to record.
  assert.deepEqual(
    await query(
      p.db,
      "select row_key::varchar as row_key, column_name, value, failed_check from staging.births__rejected_values order by row_key",
    ),
    [
      {
        row_key: '{"id":1}',
        column_name: "born",
        value: "March 16, 2027",
        failed_check: "born_by_2024",
      },
      { row_key: '{"id":2}', column_name: "born", value: "soon", failed_check: "born_read" },
    ],
  );
});

Deno.test("wharf build prints rejected rows and nullified values of a checked model apart", async () => {
  await using p = await tempProject({
    "models/staging/people.sql": PEOPLE,
    "models/staging/s.yml": CHECKS,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /model staging\.people \.+ \[4 rows, 1 rejected \(valid_id 1\), 4 values nullified \(valid_state 2, valid_zip 1, valid_phone 1\) in [\d.]+s\]/,
  );
});

Deno.test("wharf build says 1 row and 1 value, not 1 rows and 1 values", async () => {
  await using p = await tempProject({
    "models/staging/one.sql": "select 1 as id, '123TY' as zip",
    "models/staging/s.yml": `models:
  - name: one
    config: { materialized: table, unique_key: id }
    checks:
      valid_zip: { column: zip, expression: "regexp_full_match(zip, '[0-9]{5}')", on_fail: nullify }
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /model staging\.one \.+ \[1 row, 1 value nullified \(valid_zip 1\) in [\d.]+s\]/,
  );
  const [result] = await query(
    p.db,
    "select message from wharf.run_results where node_id = 'staging.one'",
  );
  assert.match(
    String(result!.message),
    /^1 value nullified, recorded in staging\.one__rejected_values/,
  );
});

Deno.test("loadProject() reads checks as text or as a mapping with a policy, and names what is wrong", async () => {
  await using p = await tempProject({
    "models/staging/a.sql": "select 1 as id, 'x' as zip",
    "models/staging/b.sql": "select 1 as id, 'x' as zip",
    "models/staging/s.yml": [
      "models:",
      "  - name: a",
      "    config: { materialized: table, unique_key: id }",
      "    checks:",
      "      plain: id > 0",
      "      as_mapping: { expression: id > 0 }",
      "      nulled: { expression: \"zip ~ '^[0-9]{5}$'\", column: zip, on_fail: nullify }",
      "      typo: { expression: id > 0, colum: zip }",
      "      typo2: { expresion: id > 0 }",
      "      odd: { expression: id > 0, severity: warn }",
      "      policy: { expression: id > 0, on_fail: drop }",
      "      no_column: { expression: id > 0, on_fail: nullify }",
      "      on_key: { expression: id > 0, column: ID, on_fail: nullify }",
      "      listed: [id > 0]",
      "      texted: { expression: zip is null, column: zip, value_from: zip_text, on_fail: nullify }",
      "      text_on_reject: { expression: id > 0, value_from: zip }",
      "  - name: b",
      "    config: { materialized: table }",
      "    checks:",
      "      nulled: { expression: \"zip ~ '^[0-9]{5}$'\", column: zip, on_fail: nullify }",
    ].join("\n"),
  });
  const project = await loadProject(p.config);
  const a = project.models.find((m) => m.name === "a")!;
  assert.deepEqual(a.checks, [
    { name: "plain", expression: "id > 0", onFail: "reject" },
    { name: "as_mapping", expression: "id > 0", onFail: "reject" },
    { name: "nulled", expression: "zip ~ '^[0-9]{5}$'", onFail: "nullify", column: "zip" },
    {
      name: "texted",
      expression: "zip is null",
      onFail: "nullify",
      column: "zip",
      valueFrom: "zip_text",
    },
  ]);
  assert.deepEqual(project.issues.map((i) => `${i.location.line}: ${i.message}`), [
    '8: models[0].checks.typo.colum: unknown key "colum" in check "typo" (did you mean "column"?): a check has "expression", "column", "on_fail", "value_from"',
    '9: models[0].checks.typo2.expresion: unknown key "expresion" in check "typo2" (did you mean "expression"?): a check has "expression", "column", "on_fail", "value_from"',
    `9: models[0].checks.typo2.expression: expected a boolean SQL expression, e.g. "zip ~ '^[0-9]{5}$'", got nothing`,
    '10: models[0].checks.odd.severity: unknown key "severity" in check "odd": a check has "expression", "column", "on_fail", "value_from"',
    '11: models[0].checks.policy.on_fail: expected "reject" or "nullify", got "drop"',
    '12: models[0].checks.no_column: check "no_column" nullifies a value: name the column it sets to NULL ("column: …")',
    '13: models[0].checks.on_key.column: check "on_key" would set "ID", part of the unique key of staging.a, to NULL: use "on_fail: reject"',
    '14: models[0].checks.listed: expected a boolean SQL expression, or a mapping with "expression", "column" and "on_fail", got a list',
    '16: models[0].checks.text_on_reject.value_from: check "text_on_reject" rejects rows, which keep every value in the __rejected table: "value_from" (the column whose text a nullify check records) applies only with "on_fail: nullify"',
    '20: models[1].checks.nulled: check "nulled" nullifies a value, so staging.b needs "config: { unique_key: … }" naming the columns that identify a row (recorded with each nullified value)',
  ]);
});

Deno.test("the docs manifest and GET /api/models show rejected rows and nullified values apart", async () => {
  await using p = await tempProject({
    "models/staging/people.sql": PEOPLE,
    "models/staging/s.yml": CHECKS,
  });
  assert.ok((await runProject("build", p.config, { db: p.db })).ok);
  const wh = await openWarehouse(p.db, { readOnly: true });
  try {
    const manifest = await buildManifest(await inspectProject(p.config, p.db), wh);
    const node = manifest.nodes.find((n) => n.id === "staging.people")!;
    assert.deepEqual([node.rejected, node.nullified], [
      { valid_id: 1 },
      { valid_state: 2, valid_zip: 1, valid_phone: 1 },
    ]);
    assert.deepEqual(node.checks[1], {
      name: "valid_state",
      expression: "state in ('NY', 'NJ')",
      on_fail: "nullify",
      column: "state",
    });
  } finally {
    wh.close();
  }
  const { deps, snapshots } = await prepareServer(p.config, { db: p.db, log: () => {} });
  try {
    const res = await createApp(deps).request("/api/models");
    assert.equal(res.status, 200);
    const { models } = await res.json() as { models: Record<string, unknown>[] };
    const people = models.find((m) => m.id === "staging.people")!;
    assert.deepEqual(
      [people.rows, people.rejected_rows, people.checks, people.nullified_values, people.nullified],
      [4, 1, { valid_id: 1 }, 4, { valid_state: 2, valid_zip: 1, valid_phone: 1 }],
    );
  } finally {
    await snapshots.close();
  }
});

Deno.test("a model with checks and no materialized is reported as the table it is built as: ls, the manifests, the docs and GET /api/models", async () => {
  await using p = await tempProject({
    "models/staging/people.sql": PEOPLE,
    "models/staging/s.yml":
      "models:\n  - name: people\n    checks:\n      valid_id: id is not null\n",
    "models/staging/plain.sql": "select 1 as id",
  });
  assert.ok((await runProject("build", p.config, { db: p.db })).ok);
  assert.deepEqual(
    await query(
      p.db,
      "select table_name, table_type from information_schema.tables where table_schema = 'staging' order by all",
    ),
    [
      { table_name: "people", table_type: "BASE TABLE" },
      { table_name: "people__rejected", table_type: "BASE TABLE" },
      { table_name: "plain", table_type: "VIEW" },
    ],
  );
  const built = { "staging.people": "table", "staging.plain": "view" };
  const ls = await runCli(["ls", "--json"], p.root);
  assert.equal(ls.code, 0, ls.stderr);
  const rows = JSON.parse(ls.stdout) as { id: string; materialized: string }[];
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.id, r.materialized])), built);
  const dbtLs = await runCli([
    "ls",
    "--output",
    "json",
    "--output-keys",
    "name",
    "config.materialized",
  ], p.root);
  assert.equal(dbtLs.code, 0, dbtLs.stderr);
  assert.deepEqual(
    dbtLs.stdout.trim().split("\n").map((l) => JSON.parse(l)),
    [
      { name: "people", "config.materialized": "table" },
      { name: "plain", "config.materialized": "view" },
    ],
  );
  // `ls` wrote target/manifest.json, dbt's manifest; selection reads the same config.
  const dbtManifest = JSON.parse(await Deno.readTextFile(`${p.root}/target/manifest.json`)) as {
    nodes: Record<string, { name: string; config: { materialized: string } }>;
  };
  assert.deepEqual(
    Object.fromEntries(
      Object.values(dbtManifest.nodes).map((n) => [n.name, n.config.materialized]),
    ),
    { people: "table", plain: "view" },
  );
  const selected = await runCli([
    "ls",
    "--output",
    "name",
    "-s",
    "config.materialized:table",
  ], p.root);
  assert.equal(selected.stdout.trim(), "people", selected.stderr);
  const wh = await openWarehouse(p.db, { readOnly: true });
  try {
    const manifest = await buildManifest(await inspectProject(p.config, p.db), wh);
    assert.deepEqual(
      Object.fromEntries(
        manifest.nodes.filter((n) => n.kind === "model").map((n) => [n.id, n.materialized]),
      ),
      built,
    );
  } finally {
    wh.close();
  }
  const { deps, snapshots } = await prepareServer(p.config, { db: p.db, log: () => {} });
  try {
    const app = createApp(deps);
    const { models } = await (await app.request("/api/models")).json() as {
      models: { id: string; materialized: string }[];
    };
    assert.deepEqual(Object.fromEntries(models.map((m) => [m.id, m.materialized])), built);
    const one = await (await app.request("/api/models/staging/people")).json() as {
      materialized: string;
    };
    assert.equal(one.materialized, "table");
  } finally {
    await snapshots.close();
  }
});
