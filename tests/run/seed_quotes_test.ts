/**
 * Seeds with a misplaced quote, loaded by the real CLI into a real DuckDB
 * file, in a plain-SQL project and a dbt project: a quote never closed, or
 * a quoted value going on after its closing quote, is an error before
 * anything runs; a quote inside an unquoted value is part of it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { queryRows, runCli, tempProject } from "../helpers.ts";

const userTables = async (db: string) =>
  (await queryRows(
    db,
    "select table_schema || '.' || table_name as t from information_schema.tables order by t",
  )).filter((row) => !String(row.t).startsWith("wharf."));

const ORDERS = "id,customer_id,order_date,status,amount\n" +
  "5,11,2024-01-07,placed,20\n" +
  '6,12,"2024-01-08,placed,10\n';

Deno.test("seed: a dbt seed whose quote is never closed is an error naming the file and the line the quote opens on, and nothing runs", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "seeds/orders.csv": ORDERS,
    "seeds/customers.csv": "id,name\n11,Ann\n",
    "models/order_days.sql": "select order_date from {{ ref('orders') }}",
  });
  const db = join(p.root, "shop.duckdb");
  for (const command of ["seed", "build"]) {
    const r = await runCli(["--project", p.root, command]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /seeds\/orders\.csv: seed orders: line 3: the quote opening `"2024-01-08,placed,10` is never closed \(the value would run to the end of the file\): end the value with a quote, or, for a quote that is part of a value, quote the whole value and write the quote twice/,
    );
    assert.match(r.stderr, /nothing was run/);
    assert.doesNotMatch(r.stdout, /OK/);
    assert.deepEqual(await userTables(db), []);
  }
});

Deno.test("seed: a plain-SQL seed whose quote is never closed, or whose quoted value goes on after its closing quote, is an error naming the file and the line", async () => {
  await using p = await tempProject({
    "models/seeds/orders.csv": ORDERS,
    // DuckDB's sniffer would read this file without quotes: "Gold, plus" split in two.
    "models/seeds/plans.csv": 'code,name\nP1,"Gold, plus"\nP2,"Silver"ish\n',
    "models/seeds/states.csv": "code,name\nMA,Massachusetts\n",
  });
  const r = await runCli(["--project", p.root, "seed"]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /models\/seeds\/orders\.csv: seed orders: line 3: the quote opening `"2024-01-08,placed,10` is never closed/,
  );
  assert.match(
    r.stderr,
    /models\/seeds\/plans\.csv: seed plans: line 3: the quoted value `"Silver"ish` goes on after its closing quote: end it at the delimiter \(","\), or quote the whole value and write each quote in it twice \(`"""Silver""ish"` reads "Silver"ish\)/,
  );
  assert.deepEqual(await userTables(p.db), []);
});

Deno.test("seed: a quote inside an unquoted value is part of the value, beside quoted values, in a plain-SQL and a dbt project", async () => {
  const text = 'code,name,note\nP1,"Gold, plus",6" tall\nP2,ab"c,"say ""hi"""\n';
  await using plain = await tempProject({ "models/seeds/plans.csv": text });
  const seeded = await runCli(["--project", plain.root, "seed"]);
  assert.equal(seeded.code, 0, seeded.stdout + seeded.stderr);
  const expected = [
    { code: "P1", name: "Gold, plus", note: '6" tall' },
    { code: "P2", name: 'ab"c', note: 'say "hi"' },
  ];
  assert.deepEqual(
    await queryRows(plain.db, "select code, name, note from seeds.plans order by code"),
    expected,
  );

  await using dbt = await tempProject({
    "dbt_project.yml": "name: shop\nconfig-version: 2\n",
    "seeds/plans.csv": text,
  });
  const loaded = await runCli(["--project", dbt.root, "seed"]);
  assert.equal(loaded.code, 0, loaded.stdout + loaded.stderr);
  assert.deepEqual(
    await queryRows(
      join(dbt.root, "shop.duckdb"),
      "select code, name, note from main.plans order by code",
    ),
    expected,
  );
});
