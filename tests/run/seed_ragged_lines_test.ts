/**
 * Seeds with a line of more or fewer fields than the header, of one kind of
 * line break, loaded by the real CLI into a real DuckDB file, in a plain-SQL
 * project and a dbt project.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { columnTypes, queryRows, runCli, tempProject } from "../helpers.ts";

const tables = (db: string) =>
  queryRows(
    db,
    "select table_schema || '.' || table_name as t from information_schema.tables order by t",
  );

Deno.test("seed: a plain-SQL seed with a line of more or fewer fields than its header is an error naming the file, the line and the counts, and nothing runs", async () => {
  await using p = await tempProject({
    // One kind of line break: DuckDB's sniffer would read each as one column named "code,name".
    "models/seeds/plans.csv": "code,name\nP1,Gold\nP2,Silver,extra\nP3,Bronze\n",
    "models/seeds/payers.csv": "code,name,state\r\nA1,Aetna,CT\r\nB2,Blue\r\nC3,Cigna,\r\n",
    "models/seeds/states.csv": "code,name\nMA,Massachusetts\n",
    "models/staging/stg_plans.sql": "select code from seeds.plans",
  });
  for (const command of ["seed", "build"]) {
    const r = await runCli(["--project", p.root, command]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /models\/seeds\/plans\.csv: seed plans: line 3 has 3 fields where the header has 2 \(delimiter ","\): give every line the header's 2 fields \(quote a value that holds the delimiter/,
    );
    assert.match(
      r.stderr,
      /models\/seeds\/payers\.csv: seed payers: line 3 has 2 fields where the header has 3 \(delimiter ","\): give every line the header's 3 fields \(an empty field is a missing value/,
    );
    // Refused before anything ran: not even the sound seed was loaded.
    assert.match(r.stderr, /nothing was run/);
    assert.deepEqual(
      (await tables(p.db)).filter((row) => !String(row.t).startsWith("wharf.")),
      [],
    );
  }
});

Deno.test("seed: a plain-SQL seed delimited by ';' whose header holds a ',' is not taken for a ragged one", async () => {
  await using p = await tempProject({
    "models/seeds/labels.csv": "code;label,short\n1;Alpha,A\n2;Beta\n",
  });
  const r = await runCli(["--project", p.root, "seed"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(
    await queryRows(p.db, 'select code::varchar as code, "label,short" as l from seeds.labels'),
    [{ code: "1", l: "Alpha,A" }, { code: "2", l: "Beta" }],
  );
});

Deno.test("seed: a dbt seed's line of more fields than its header is an error naming it; one of fewer loads with NULLs, as agate reads it", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: clinic\nconfig-version: 2\n",
    "seeds/plans.csv": "code,name\nP1,Gold\nP2,Silver,extra\n",
  });
  const db = join(p.root, "clinic.duckdb");
  const refused = await runCli(["--project", p.root, "seed"]);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(
    refused.stderr,
    /seeds\/plans\.csv: seed plans: line 3 has 3 fields where the header has 2 \(delimiter ","\)/,
  );

  await p.write("seeds/plans.csv", "code,name,since\nP1,Gold,2024-01-01\nP2\nP3,Bronze\n");
  await p.write(
    "seeds/payers.csv",
    "code;name;state\r\nA1;Aetna;CT\r\nB2;Blue\nC3;Cigna;MA\n",
  );
  await p.write(
    "seeds/schema.yml",
    "version: 2\nseeds:\n  - name: payers\n    config:\n      delimiter: ';'\n",
  );
  await p.write("models/plan_names.sql", "select code, name from {{ ref('plans') }}");
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(
    await queryRows(db, "select code, name, since::varchar as since from main.plans order by code"),
    [
      { code: "P1", name: "Gold", since: "2024-01-01" },
      { code: "P2", name: null, since: null },
      { code: "P3", name: "Bronze", since: null },
    ],
  );
  assert.deepEqual(await columnTypes(db, "main.plans"), [
    "code VARCHAR",
    "name VARCHAR",
    "since DATE",
  ]);
  // Of both line breaks too.
  assert.deepEqual(await queryRows(db, "select code, state from main.payers order by code"), [
    { code: "A1", state: "CT" },
    { code: "B2", state: null },
    { code: "C3", state: "MA" },
  ]);
});

Deno.test("seed: every problem of a seed's lines is listed at once (a ragged line before a quote never closed), the first five described", async () => {
  const TWO = 'code,name,state\nA1,Aetna,CT\nB2,Blue,MA,extra\nC3,"Cigna,CT\n';
  const MANY = `code,name\n${Array.from({ length: 8 }, (_, i) => `${i},x,y`).join("\n")}\n`;
  await using plain = await tempProject({
    "models/seeds/payers.csv": TWO,
    "models/seeds/many.csv": MANY,
  });
  await using dbt = await tempProject({
    "dbt_project.yml": "name: clinic\nconfig-version: 2\n",
    "seeds/payers.csv": TWO,
    "seeds/many.csv": MANY,
  });
  for (const p of [plain, dbt]) {
    const r = await runCli(["--project", p.root, "seed"]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /seeds\/payers\.csv: seed payers: line 3 has 4 fields where the header has 3 \(delimiter ","\): give every line the header's 3 fields/,
    );
    assert.match(
      r.stderr,
      /seeds\/payers\.csv: seed payers: line 4: the quote opening `"Cigna,CT` is never closed/,
    );
    const many = r.stderr.split("\n").filter((l) => l.includes("seed many:"));
    assert.equal(many.length, 6, r.stderr);
    assert.match(many[4]!, /seed many: line 6 has 3 fields where the header has 2/);
    assert.match(many[5]!, /seed many: and 3 more lines like these: 7, 8, 9$/);
    assert.match(r.stderr, /Cannot compile the project: 8 problems found/);
  }
});
