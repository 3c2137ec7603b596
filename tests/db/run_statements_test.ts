import assert from "node:assert/strict";
import type { SqlValue, StatementResult } from "../../src/engine/db/run_statements.ts";
import { openWarehouse, type Session } from "../../src/engine/db/warehouse.ts";
import { SqlError } from "../../src/engine/errors.ts";

/** Every statement's kind, columns, types and rows. */
async function run(session: Session, sql: string) {
  const out: (Omit<StatementResult, "batches"> & { rows: SqlValue[][] })[] = [];
  for await (const { batches, ...r } of session.statements(sql)) {
    const rows: SqlValue[][] = [];
    for await (const batch of batches) rows.push(...batch);
    out.push({ ...r, rows });
  }
  return out;
}

Deno.test("statements() keeps DuckDB's types and exact values, nested ones too", async () => {
  const wh = await openWarehouse(":memory:");
  try {
    const [r] = await run(
      wh,
      `select 12.50::decimal(18,2) d, 9007199254740993::bigint b,
        170141183460469231731687303715884105727::hugeint h, 0.1::float f, 1.5::double x,
        'nan'::double nan, date '2024-02-29' dt, timestamp '2024-01-31 10:00:00.123456' ts,
        [1, null] l, {'a': 'it''s', 'b': null} s, map {'k': 1} m, null::varchar n, '' e,
        '{"a": 1}'::json j, interval 3 day i, true t, 1 a, 2 a`,
    );
    assert.equal(r!.kind, "rows");
    assert.deepEqual(r!.types, [
      "DECIMAL(18,2)",
      "BIGINT",
      "HUGEINT",
      "FLOAT",
      "DOUBLE",
      "DOUBLE",
      "DATE",
      "TIMESTAMP",
      "INTEGER[]",
      'STRUCT("a" VARCHAR, "b" INTEGER)',
      "MAP(VARCHAR, INTEGER)",
      "VARCHAR",
      "VARCHAR",
      "JSON",
      "INTERVAL",
      "BOOLEAN",
      "INTEGER",
      "INTEGER",
    ]);
    assert.deepEqual(r!.keys.slice(-2), ["a", "a:1"]);
    assert.deepEqual(r!.rows, [[
      { number: "12.50" },
      { number: "9007199254740993" },
      { number: "170141183460469231731687303715884105727" },
      { number: "0.1" },
      { number: "1.5" },
      { number: "nan" },
      { text: "2024-02-29" },
      { text: "2024-01-31 10:00:00.123456" },
      [{ number: "1" }, null],
      { struct: [["a", "it's"], ["b", null]] },
      { pairs: [["k", { number: "1" }]] },
      null,
      "",
      { json: '{"a": 1}' },
      { text: "3 days" },
      true,
      { number: "1" },
      { number: "2" },
    ]]);
  } finally {
    wh.close();
  }
});

Deno.test("statements() writes TIMESTAMPTZ in the session's time zone, as DuckDB casts it", async () => {
  const wh = await openWarehouse(":memory:");
  try {
    await wh.withConnection(async (s) => {
      for (const zone of ["America/New_York", "Asia/Kolkata", "UTC"]) {
        const [, r] = await run(
          s,
          `set TimeZone = '${zone}';
           select t, t::varchar as cast, [t] as list
           from (values (timestamptz '2024-07-01 12:00:00+00'), (timestamptz '2024-01-01 12:00:00.5+00'),
                        (timestamptz 'infinity')) v(t)`,
        );
        for (const [value, cast, list] of r!.rows) {
          assert.deepEqual(value, { text: cast }, zone);
          assert.deepEqual(list, [{ text: cast }], zone);
        }
      }
      // Daylight saving time: the offset is the one in force at that instant, not today's.
      const [, r] = await run(
        s,
        "set TimeZone = 'America/New_York'; select timestamptz '2024-07-01 12:00:00+00', timestamptz '2024-01-01 12:00:00+00'",
      );
      assert.deepEqual(r!.rows, [[{ text: "2024-07-01 08:00:00-04" }, {
        text: "2024-01-01 07:00:00-05",
      }]]);
    });
  } finally {
    wh.close();
  }
});

Deno.test("statements() runs each statement in order, later ones seeing what earlier ones made", async () => {
  const wh = await openWarehouse(":memory:");
  try {
    const results = await run(
      wh,
      "create table t (a int); insert into t values (1), (2); select count(*) as n from t; -- done",
    );
    assert.deepEqual(results.map((r) => [r.index, r.count, r.statementType, r.kind]), [
      [1, 3, "CREATE", "nothing"],
      [2, 3, "INSERT", "changed"],
      [3, 3, "SELECT", "rows"],
    ]);
    assert.equal(results[1]!.rowsChanged, 2);
    assert.deepEqual(results[2]!.rows, [[{ number: "2" }]]);
    assert.deepEqual(await run(wh, " -- only a comment\n"), []);
  } finally {
    wh.close();
  }
});

Deno.test("statements() stops at the failing statement and says which one, with DuckDB's message", async () => {
  const wh = await openWarehouse(":memory:");
  try {
    await assert.rejects(
      run(wh, "create table u (a int); select * from nope; create table v (a int)"),
      (err) => {
        assert.ok(err instanceof SqlError);
        assert.equal(err.statement, 2);
        assert.equal(err.statements, 3);
        assert.match(
          err.message,
          /^Statement 2 of 3 failed \(statement 1 ran\): Catalog Error: Table with name nope does not exist!/,
        );
        return true;
      },
    );
    assert.deepEqual(
      (await wh.query("select table_name from duckdb_tables() order by 1")).map((r) =>
        r.table_name
      ),
      ["u"],
    );
    await assert.rejects(run(wh, "select 1; selec 2"), (err) => {
      assert.ok(err instanceof SqlError);
      assert.equal(err.statement, undefined);
      assert.match(
        err.message,
        /^Parser Error: syntax error at or near "selec"\n\nLINE 1: select 1; selec 2/,
      );
      return true;
    });
    // An error while rows stream is a SqlError too.
    await assert.rejects(run(wh, "select 'x'::int from range(3)"), (err) => {
      assert.ok(err instanceof SqlError);
      assert.match(err.message, /^Conversion Error: Could not convert string 'x' to INT32/);
      return true;
    });
  } finally {
    wh.close();
  }
});
