/**
 * Seeds whose files end lines with `\r\n`, `\n`, or both (a file saved on
 * Windows, then appended to on Linux), loaded by the real CLI into a real
 * DuckDB file, in a plain-SQL project and a dbt project.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { columnTypes, queryRows, runCli, tempProject } from "../helpers.ts";

const CRLF = "code,name,since\r\n1,Alpha,2024-01-01\r\n2,Beta,2024-01-02\r\n";
const LF = "code,name,since\n1,Alpha,2024-01-01\n2,Beta,2024-01-02\n";
// Written on Windows, appended to on Linux; a quoted value keeps its own line break.
const MIXED =
  'code,name,since\r\n1,Alpha,2024-01-01\r\n2,"Beta\r\nline two",2024-01-02\r\n3,Gamma,2024-01-03\n4,Delta,2024-01-04\n';

const rows = (db: string, relation: string) =>
  queryRows(
    db,
    `select code::varchar as code, name, since::varchar as since from ${relation} order by code`,
  );

Deno.test("seed: a file of \\r\\n, of \\n, or of both loads every row, no \\r left in the last column", async () => {
  await using p = await tempProject({
    "models/seeds/crlf.csv": CRLF,
    "models/seeds/lf.csv": LF,
    "models/seeds/mixed.csv": MIXED,
    "models/staging/stg_mixed.sql": "select code, since from seeds.mixed",
  });
  const r = await runCli(["--project", p.root, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const two = [
    { code: "1", name: "Alpha", since: "2024-01-01" },
    { code: "2", name: "Beta", since: "2024-01-02" },
  ];
  assert.deepEqual(await rows(p.db, "seeds.crlf"), two);
  assert.deepEqual(await rows(p.db, "seeds.lf"), two);
  assert.deepEqual(await rows(p.db, "seeds.mixed"), [
    { code: "1", name: "Alpha", since: "2024-01-01" },
    { code: "2", name: "Beta\r\nline two", since: "2024-01-02" },
    { code: "3", name: "Gamma", since: "2024-01-03" },
    { code: "4", name: "Delta", since: "2024-01-04" },
  ]);
  // The last column is typed as the others' files type it, not text with a stray \r.
  assert.deepEqual(await columnTypes(p.db, "seeds.mixed"), await columnTypes(p.db, "seeds.lf"));
  assert.deepEqual(await columnTypes(p.db, "seeds.mixed"), [
    "code BIGINT",
    "name VARCHAR",
    "since DATE",
  ]);
});

Deno.test("seed: a dbt seed of mixed line breaks gets agate's types and every row", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: clinic\nconfig-version: 2\n",
    "seeds/mixed.csv": MIXED,
    "seeds/semi.csv": "id;note\r\n1;a,b\n2;c\r\n",
    "seeds/schema.yml": "version: 2\nseeds:\n  - name: semi\n    config:\n      delimiter: ';'\n",
  });
  const db = join(p.root, "clinic.duckdb");
  const r = await runCli(["--project", p.root, "seed"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(await columnTypes(db, "main.mixed"), [
    "code INTEGER",
    "name VARCHAR",
    "since DATE",
  ]);
  assert.deepEqual((await rows(db, "main.mixed")).map((row) => row.since), [
    "2024-01-01",
    "2024-01-02",
    "2024-01-03",
    "2024-01-04",
  ]);
  assert.deepEqual(await queryRows(db, "select id, note from main.semi order by id"), [
    { id: 1, note: "a,b" },
    { id: 2, note: "c" },
  ]);
});

Deno.test("seed: a file of mixed line breaks with a line of more fields than its header is an error naming the line, not a value dropped", async () => {
  await using p = await tempProject({
    "models/seeds/mixed.csv": `${MIXED}5,Epsilon,2024-01-05,extra\n`,
  });
  const r = await runCli(["--project", p.root, "seed"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /models\/seeds\/mixed\.csv: seed mixed: line 7 has 4 fields where the header has 3 \(delimiter ","\): give every line the header's 3 fields/,
  );
  // Nothing was loaded.
  assert.deepEqual(
    await queryRows(
      p.db,
      "select table_name from information_schema.tables where table_schema = 'seeds'",
    ),
    [],
  );
});
