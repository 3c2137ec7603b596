/**
 * A dbt seed's columns get the types dbt-duckdb gives them (agate's
 * inference: whole numbers INTEGER, decimals DOUBLE, dates, timestamps,
 * booleans, text), so a contract written for dbt holds in wharf too;
 * `column_types` still wins, a plain-SQL seed keeps DuckDB's sniffed types,
 * and a value dbt-duckdb's load fails on is an error naming it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { columnTypes as columns, queryRows, runCli, tempProject } from "../helpers.ts";

const VISITS = [
  "visit_id,charge,units,admitted_on,discharged_at,self_pay,zip,clinic,notes,scanned_at,doses",
  "1,120.50,2,2024-01-05,2024-01-06 10:00:00,true,02130,North,,2024-01-06T10:00:00Z,1.0",
  '2,80.00,1,2024-1-7,2024-01-07 09:30:00,FALSE,10001,"South, annex",null,2024-01-07T09:30:00,2',
  "3,15.25,3,2024-01-09,2024-01-09 16:45:00,,94110,East,late,,3.00",
].join("\n") + "\n";

Deno.test("dbt seeds load with dbt-duckdb's types, and a contract of integer columns holds on them", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: clinic\nconfig-version: 2\n",
    "seeds/visits.csv": VISITS,
    "seeds/codes.csv": "code,label\n001,a\n002,b\n",
    "seeds/props.yml": `version: 2
seeds:
  - name: codes
    config:
      column_types: { code: varchar }
`,
    "models/visit_units.sql": "select visit_id, units, charge, self_pay from {{ ref('visits') }}",
    "models/schema.yml": `version: 2
models:
  - name: visit_units
    config:
      materialized: table
      contract: { enforced: true }
    columns:
      - name: visit_id
        data_type: integer
      - name: units
        data_type: integer
      - name: charge
        data_type: float8
      - name: self_pay
        data_type: boolean
`,
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const db = join(p.root, "clinic.duckdb");
  // As dbt-duckdb creates them: 02130 is a whole number to agate (its leading zero lost, as in dbt),
  // "null" in a text column is text, a mixed date/ISO column is a timestamp only when all agree.
  assert.deepEqual(await columns(db, "main.visits"), [
    "visit_id INTEGER",
    "charge DOUBLE",
    "units INTEGER",
    "admitted_on DATE",
    "discharged_at TIMESTAMP",
    "self_pay BOOLEAN",
    "zip INTEGER",
    "clinic VARCHAR",
    "notes VARCHAR",
    "scanned_at TIMESTAMP",
    // 1.0 and 3.00 have no decimal places once their zeros are dropped: whole numbers to agate.
    "doses INTEGER",
  ]);
  assert.deepEqual(
    await queryRows(
      db,
      "select zip, notes, admitted_on::varchar as d, scanned_at::varchar as s from main.visits order by visit_id",
    ),
    [
      { zip: 2130, notes: null, d: "2024-01-05", s: "2024-01-06 10:00:00" },
      { zip: 10001, notes: "null", d: "2024-01-07", s: "2024-01-07 09:30:00" },
      { zip: 94110, notes: "late", d: "2024-01-09", s: null },
    ],
  );
  // column_types still decides: the codes keep their zeros.
  assert.deepEqual(await columns(db, "main.codes"), ["code VARCHAR", "label VARCHAR"]);
  assert.deepEqual(await queryRows(db, "select code from main.codes order by 1"), [
    { code: "001" },
    { code: "002" },
  ]);
  assert.deepEqual(await columns(db, "main.visit_units"), [
    "visit_id INTEGER",
    "units INTEGER",
    "charge DOUBLE",
    "self_pay BOOLEAN",
  ]);
});

Deno.test("a dbt seed value dbt-duckdb cannot load into its inferred type is an error naming column, line and fix", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: clinic\nconfig-version: 2\n",
    "seeds/providers.csv": "npi,fee\n1003000126,$10\n2600000000,12\n",
    "seeds/fees.csv": 'code,fee,units,share\n1,$10.50,2,5\n2,12,"1,000",12%\n',
    "seeds/flags.csv": "id,active\n1,true\n2,null\n",
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /seeds\/providers\.csv: seed providers: column "npi" reads as a number for dbt \(agate\), so dbt-duckdb creates it as integer, and line 3 holds "2600000000", which is beyond integer's range \(-2147483648 to 2147483647\): dbt seed fails on it too; set its type, e\.g\. column_types: \{ "npi": bigint \}/,
  );
  assert.match(
    r.stderr,
    /seeds\/providers\.csv: seed providers: column "fee" .* as integer, and line 2 holds "\$10", which DuckDB cannot read as a number/,
  );
  assert.match(
    r.stderr,
    /seeds\/fees\.csv: seed fees: column "fee" reads as a number for dbt \(agate\), so dbt-duckdb creates it as float8, and line 2 holds "\$10\.50", which DuckDB cannot read as a number: .*column_types: \{ "fee": varchar \}/,
  );
  assert.match(
    r.stderr,
    /seeds\/fees\.csv: seed fees: column "units" .* as integer, and line 3 holds "1,000", which DuckDB cannot read as a number/,
  );
  assert.match(
    r.stderr,
    /seeds\/fees\.csv: seed fees: column "share" .* as integer, and line 3 holds "12%", which DuckDB cannot read as a number/,
  );
  assert.match(
    r.stderr,
    /seeds\/flags\.csv: seed flags: column "active" reads as a boolean .* line 3 holds "null", which DuckDB reads as text, not as a missing value \(leave the field empty\)/,
  );
  // With the types set, they load.
  await p.write(
    "seeds/props.yml",
    `version: 2
seeds:
  - name: providers
    config: { column_types: { npi: bigint, fee: varchar } }
  - name: fees
    config: { column_types: { fee: varchar, units: varchar, share: varchar } }
  - name: flags
    config: { column_types: { active: varchar } }
`,
  );
  const ok = await runCli(["--project", p.root, "seed"]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.deepEqual(await columns(join(p.root, "clinic.duckdb"), "main.providers"), [
    "npi BIGINT",
    "fee VARCHAR",
  ]);
});

Deno.test("a plain-SQL seed keeps DuckDB's sniffed types", async () => {
  await using p = await tempProject({
    "models/seeds/visits.csv": "visit_id,charge\n1,120.50\n2,80.00\n",
  });
  const r = await runCli(["--project", p.root, "seed"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await columns(join(p.root, "warehouse.duckdb"), "seeds.visits"), [
    "visit_id BIGINT",
    "charge DOUBLE",
  ]);
});

Deno.test("column_types naming a column the seed's file lacks is a project problem where it is written, with the closest column", async () => {
  await using p = await tempProject({
    "dbt_project.yml": `name: shop
config-version: 2
seeds:
  shop:
    +column_types: { id: integer }
    payments:
      +column_types:
        amount_cnets: bigint
`,
    "seeds/payments.csv": "id,amount_cents\n1,250\n",
    "seeds/codes.csv": "code,label\n001,a\n",
    "seeds/props.yml": `version: 2
seeds:
  - name: codes
    config:
      column_types: { code: varchar, lable: varchar }
`,
    "models/broken.sql": "select * from {{ ref('nowhere') }}",
  });
  const r = await runCli(["--project", p.root, "ls"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /dbt_project\.yml:8:\d+: seed payments: column_types names "amount_cnets", which seeds\/payments\.csv has no column of \(did you mean "amount_cents"\?\): its columns are id, amount_cents/,
  );
  assert.match(
    r.stderr,
    /seeds\/props\.yml:5:\d+: seed codes: column_types names "lable", which seeds\/codes\.csv has no column of \(did you mean "label"\?\)/,
  );
  // Listed with the project's other problems.
  assert.match(r.stderr, /models\/broken\.sql.*nowhere/);
});
