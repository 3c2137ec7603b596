/**
 * dbt seeds' `delimiter` and `quote_columns`, through the CLI on a real
 * DuckDB file: the table's column names are dbt-duckdb's (the header as
 * written, a repeated name `_2`), and a header dbt could not create
 * unquoted is an error naming it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { columnTypes as columns, queryRows, runCli, tempProject } from "../helpers.ts";

Deno.test("dbt seeds: a ;-delimited file, and a header's names kept as written (quote_columns) or refused unquoted", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: clinic
config-version: 2
seeds:
  clinic:
    europe:
      +delimiter: ";"
      +column_types:
        amount: decimal(10,2)
`,
    // A ; inside quotes is a value's; the decimal comma is text until column_types says otherwise.
    "seeds/europe/claims_eu.csv": 'claim_id;payer;amount\n1;"Caisse; Nord";12.50\n2;AOK;7\n',
    "seeds/people.csv":
      "Patient ID,FirstName, City ,FirstName,last_name\n1,Ann,Lyon,Annie,Roe\n2,Bo,Kiel,Bob,Poe\n",
    "seeds/plain_names.csv": "PatientId,visitCount\n1,3\n",
    "seeds/schema.yml":
      "version: 2\nseeds:\n  - name: plain_names\n    config:\n      quote_columns: false\n",
    "models/payers.sql": "select payer, amount from {{ ref('claims_eu') }} where claim_id = 1",
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, ...args]);
  const db = join(p.root, "clinic.duckdb");
  const r = await cli("build");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await columns(db, "main.claims_eu"), [
    "claim_id INTEGER",
    "payer VARCHAR",
    "amount DECIMAL(10,2)",
  ]);
  assert.deepEqual(
    await queryRows(db, "select payer, amount::varchar as amount from main.payers"),
    [
      { payer: "Caisse; Nord", amount: "12.50" },
    ],
  );
  // Quoted (dbt-duckdb's default): as written, spaces and case kept; a repeated name gets _2, as agate names it.
  assert.deepEqual(await columns(db, "main.people"), [
    "Patient ID INTEGER",
    "FirstName VARCHAR",
    " City  VARCHAR",
    "FirstName_2 VARCHAR",
    "last_name VARCHAR",
  ]);
  // Unquoted: DuckDB keeps an identifier's case, as dbt's CREATE TABLE would.
  assert.deepEqual(await columns(db, "main.plain_names"), [
    "PatientId INTEGER",
    "visitCount INTEGER",
  ]);
  const manifest = JSON.parse(await Deno.readTextFile(join(p.root, "target", "manifest.json")));
  assert.equal(manifest.nodes["seed.clinic.claims_eu"].config.delimiter, ";");
  assert.equal(manifest.nodes["seed.clinic.plain_names"].config.quote_columns, false);

  // Names dbt could not write unquoted, a header with no name, bad values: errors naming them.
  await p.write(
    "seeds/schema.yml",
    "version: 2\nseeds:\n  - name: people\n    config:\n      quote_columns: false\n  - name: plain_names\n    config:\n      quote_columns: no\n",
  );
  await p.write("seeds/order.csv", "id,order\n1,2\n");
  await p.write("seeds/trailing.csv", "a,b,\n1,2,\n");
  await p.write(
    "dbt_project.yml",
    "name: clinic\nconfig-version: 2\nseeds:\n  clinic:\n    order:\n      +quote_columns: false\n    europe:\n      +delimiter: ''\nmodels:\n  +delimiter: ';'\n",
  );
  const bad = await cli("ls");
  assert.equal(bad.code, 2, bad.stdout + bad.stderr);
  for (
    const re of [
      /seeds\/people\.csv: seed people: quote_columns is false, so dbt writes each column name unquoted, and DuckDB does not take "Patient ID", " City " unquoted: set quote_columns: true \(dbt-duckdb's default\), or rename them in the header/,
      /seeds\/order\.csv: seed order: .*DuckDB does not take "order" unquoted/,
      /seeds\/trailing\.csv: seed trailing: column 3 of the header \(delimiter ","\) has no name: name it, or check the delimiter/,
      /schema\.yml:\d+:\d+: seeds\[1\]\.config\.quote_columns: expected true or false, got "no"/,
      /dbt_project\.yml:\d+:\d+: seeds\.clinic\.europe\.\+delimiter: expected the character that separates a seed's values \(e\.g\. ";" or "\|"\), got ""/,
      /dbt_project\.yml:\d+:\d+: models\.\+delimiter: delimiter applies to seeds only/,
    ]
  ) assert.match(bad.stderr, re);
});
