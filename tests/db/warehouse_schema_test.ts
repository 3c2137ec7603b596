/**
 * wharf's own tables are versioned: a warehouse of the last release upgrades
 * when opened for writing (and reads as it is when opened read-only), the
 * models give the same answers on it, a migration added later is applied
 * once, a failing one changes nothing, and a newer warehouse is refused.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  ensureTables,
  migrateWarehouse,
  type Migration,
  MIGRATIONS,
  SCHEMA_VERSION,
  schemaVersion,
  TABLES,
} from "../../src/engine/db/schema/warehouse_schema.ts";
import { openWarehouse, type Session } from "../../src/engine/db/warehouse.ts";
import { WarehouseError, WarehouseVersionError } from "../../src/engine/errors.ts";
import { land } from "../../src/land/land.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import {
  cliCommand,
  healthcareProject,
  REAL,
  REPO,
  runCli,
  type TempProject,
  tempProject,
} from "../helpers.ts";
import { healthcare } from "../models/helpers.ts";

/** Written by wharf at b8ba1b0, before versioning: see tests/fixtures/warehouses/README.md. */
const RELEASE = join(REPO, "tests", "fixtures", "warehouses", "release_b8ba1b0.duckdb.gz");

/** A copy of the release's warehouse in a temporary copy of the healthcare project. */
async function releaseWarehouse(): Promise<TempProject> {
  const p = await healthcareProject();
  await Deno.writeFile(p.db, gunzipSync(await Deno.readFile(RELEASE)));
  return p;
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256").update(await Deno.readFile(path)).digest("hex");
}

/** Rows of a query, on a warehouse opened read-only. */
async function read(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    return await wh.query(sql);
  } finally {
    wh.close();
  }
}

/** Columns of wharf's tables and of landed raw tables: name, position, type, nullability. */
function layout(s: Session, where: string): Promise<Record<string, unknown>[]> {
  return s.query(
    `SELECT table_schema || '.' || table_name AS t, column_name AS c, ordinal_position AS i,
       data_type AS type, is_nullable AS nullable
     FROM information_schema.columns WHERE ${where} ORDER BY t, i`,
  );
}
const OURS = `table_schema || '.' || table_name IN (${
  TABLES.map((t) => `'${t.schema}.${t.name}'`).join(", ")
})`;

/** The delivery times of the manifest and of every landed raw table, as UTC text. */
async function deliveryTimes(db: string): Promise<Record<string, unknown>[]> {
  const columns = await read(
    db,
    `SELECT table_schema || '.' || table_name AS t, column_name AS c, data_type AS type
     FROM information_schema.columns
     WHERE column_name = 'delivered_at' AND table_schema = 'wharf'
       OR column_name = '_delivered_at' AND table_schema = 'raw'`,
  );
  // A TIMESTAMP holds UTC; a TIMESTAMPTZ is shown in UTC: equal text, equal instants.
  const utc = (c: string, type: unknown) =>
    `strftime(${type === "TIMESTAMP" ? c : `timezone('UTC', ${c})`}, '%Y-%m-%d %H:%M:%S')`;
  return await read(
    db,
    columns.map(({ t, c, type }) =>
      `SELECT DISTINCT '${t}' AS t, ${c === "delivered_at" ? "batch_id" : "_batch_id"}::INT AS b, ${
        utc(String(c), type)
      } AS d FROM ${t}`
    ).join(" UNION ALL ") + " ORDER BY ALL",
  );
}

/** Every row of every model, seed and quarantine relation, as JSON per relation. */
async function answers(db: string): Promise<Record<string, string>> {
  const wh = await openWarehouse(db, { readOnly: true });
  try {
    const relations = await wh.query(
      "SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_schema IN ('seeds', 'staging', 'intermediate', 'marts') ORDER BY 1, 2",
    );
    const out: Record<string, string> = {};
    for (const { s, t } of relations) {
      out[`${s}.${t}`] = JSON.stringify(await wh.query(`SELECT * FROM "${s}"."${t}" ORDER BY ALL`));
    }
    return out;
  } finally {
    wh.close();
  }
}

Deno.test("a warehouse of the last release reads as it is when opened read-only, and is left unchanged", async () => {
  await using p = await releaseWarehouse();
  const before = await sha256(p.db);
  const sql = await runCli([
    "--project",
    p.root,
    "sql",
    "--format",
    "ndjson",
    `
    select typeof(delivered_at) as type, count(*)::int as files from wharf.files group by all;
    select count(*)::int as members from marts.members`,
  ]);
  assert.equal(sql.code, 0, sql.stderr);
  assert.deepEqual(sql.stdout.trim().split("\n").map((l) => JSON.parse(l)), [
    { type: "TIMESTAMP", files: 15 },
    { members: 30 },
  ]);
  assert.equal(await read(p.db, "SELECT 1 FROM wharf.files LIMIT 1").then((r) => r.length), 1);
  assert.equal(await sha256(p.db), before);
});

Deno.test("a warehouse of the last release is upgraded when opened for writing: same instants, TIMESTAMPTZ, versions recorded, same model answers", async () => {
  await using p = await releaseWarehouse();
  const config = await healthcare(p);
  const times = await deliveryTimes(p.db);
  assert.equal(times.length, 15 + 13); // the files, and the batches of raw tables with delivery times
  assert.ok(times.some((r) => r.t === "raw.visitpay_visit" && r.d === "2021-12-01 22:30:05"));
  const built = await answers(p.db);
  assert.equal(Object.keys(built).length, 43); // every model, seed and quarantine table

  // Upgraded by a command that writes, in a time zone far from UTC.
  const started = new Date();
  const upgrade = await cliCommand(["--project", p.root, "sql", "--write", "select 1"], {
    cwd: p.root,
    env: { NO_COLOR: "1", INIT_CWD: p.root, TZ: "America/New_York" },
  }).output();
  assert.equal(upgrade.code, 0, new TextDecoder().decode(upgrade.stderr));
  const versions = await read(
    p.db,
    "SELECT version, name, applied_at FROM wharf.schema_version ORDER BY version",
  );
  assert.deepEqual(versions.map((v) => [v.version, v.name]), [
    [1, "columns_added_before_versioning"],
    [2, "delivery_times_are_timestamptz"],
    [3, "deferred_relations"],
    [4, "tic_schema_v2_fields"],
    [5, "rejects_fields"],
  ]);
  for (const v of versions) {
    assert.ok(new Date(String(v.applied_at)).getTime() >= started.getTime() - 1000);
  }
  assert.deepEqual(await deliveryTimes(p.db), times);
  assert.deepEqual(
    await read(
      p.db,
      `SELECT DISTINCT table_schema || '.' || table_name AS t, data_type AS type
       FROM information_schema.columns WHERE column_name IN ('delivered_at', '_delivered_at')
         AND table_schema IN ('wharf', 'raw') ORDER BY 1`,
    ),
    [
      "raw.benefits",
      "raw.claims_client_a",
      "raw.claims_client_b",
      "raw.membership_client_a",
      "raw.membership_client_b",
      "raw.visitpay_procedure",
      "raw.visitpay_transaction",
      "raw.visitpay_visit",
      "wharf.files",
    ].map((t) => ({ t, type: "TIMESTAMP WITH TIME ZONE" })),
  );

  // The models build on the upgraded tables and give the same answers.
  const rebuilt = await runProject("build", config, { db: p.db });
  assert.ok(rebuilt.ok, JSON.stringify(rebuilt.results.filter((r) => r.status === "error")));
  assert.deepEqual(rebuilt.notLanded, []);
  const after = await answers(p.db);
  assert.deepEqual(
    Object.keys(after).filter((k) => !(k in built)),
    [
      "intermediate.int_benefits__rejected",
      "intermediate.int_visitpay_visits__rejected",
      "marts.member_history",
      "seeds.us_zips",
    ],
    "the models added since that release and the quarantines of the checks that moved to the latest delivery (int_visitpay_visits, int_benefits), and only they, are new",
  );
  // Since that release, a ZIP that is no US ZIP code is nulled (known_zip), stg_benefits
  // keeps the delivered text of its figures, and the TiC attribution models have a row per
  // distinct file over every index (index_ids), not per index and file (index_id, file_id):
  // every relation gives the same answers in the release's columns once the ZIPs, the
  // known_zip records and those per-index ids are left aside. Client B's given names split
  // anew (the last word is the middle name): a member's given names are compared whole. A
  // future date of birth is recorded as delivered now, where the release recorded it parsed.
  const perIndex = ["index_id", "file_id"];
  const givenNames = (row: Record<string, unknown>) => {
    if (!("first_name" in row && "middle_name" in row)) return row;
    const { first_name, middle_name, ...rest } = row;
    return { ...rest, given_names: [first_name, middle_name].filter((n) => n).join(" ") };
  };
  const regrained: Record<string, string[]> = {
    "intermediate.int_tic_file_attribution": perIndex,
    "marts.tic_in_network_files": perIndex,
    "marts.tic_unattributed_files": perIndex,
  };
  const sinceRelease = (answers: Record<string, string>) =>
    Object.fromEntries(
      Object.keys(built).map((k) => {
        const columns = Object.keys((JSON.parse(built[k]!) as Record<string, unknown>[])[0] ?? {})
          .filter((c) => c !== "zip" && !regrained[k]?.includes(c));
        const rows = (JSON.parse(answers[k]!) as Record<string, unknown>[])
          .filter((r) => r.failed_check !== "known_zip")
          .map((r) =>
            r.failed_check === "date_of_birth_not_after_as_of_date"
              ? { ...r, value: "as delivered" }
              : r
          )
          .map((r) => JSON.stringify(givenNames(Object.fromEntries(columns.map((c) => [c, r[c]])))))
          .sort();
        return [k, rows];
      }),
    );
  assert.deepEqual(sinceRelease(after), sinceRelease(built));

  // A new delivery lands in a raw table of the old release, and is the latest.
  const visit = await p.write(
    "HospitalABC_VisitPay_Visit_20211203_080000.txt",
    "VisitIdentifier\tGuarantorIdentifier\tAdmitDate\tDischargeDate\tVisitBalance\tInsuranceIdentifier\n321000011\t9870011\t1/5/2021\t1/8/2021\t60.00\t3",
  );
  assert.ok((await land(config, [visit], { db: p.db })).ok);
  assert.ok((await runProject("build", config, { db: p.db })).ok);
  assert.deepEqual(
    await read(
      p.db,
      "SELECT balance_cents::INT AS balance, strftime(timezone('UTC', delivered_at), '%Y-%m-%d %H:%M') AS delivered FROM marts.visit_financials WHERE visit_id = '321000011'",
    ),
    [{ balance: 6000, delivered: "2021-12-03 08:00" }],
  );
});

Deno.test("an upgraded warehouse has exactly the tables and lineage columns of a new one", async () => {
  await using old = await releaseWarehouse();
  await using fresh = await tempProject();
  const config = await healthcare(fresh);
  const procedures = join(REAL, "visitpay", "HospitalABC_VisitPay_Procedure_20211129_223357.txt");
  assert.ok((await land(config, [procedures], { db: fresh.db })).ok);
  const fromScratch = await openWarehouse(fresh.db);
  const upgraded = await openWarehouse(old.db);
  try {
    for (const group of ["landing", "runs", "tic", "npi"] as const) {
      await fromScratch.withConnection((s) => ensureTables(s, group));
    }
    const ours = await fromScratch.withConnection((s) => layout(s, OURS));
    assert.deepEqual(
      [...new Set(ours.map((c) => c.t))],
      TABLES.map((t) => `${t.schema}.${t.name}`).sort(),
    );
    assert.deepEqual(await upgraded.withConnection((s) => layout(s, OURS)), ours);
    const lineage = await fromScratch.withConnection((s) =>
      layout(s, "table_schema = 'raw' AND table_name = 'visitpay_procedure'")
    );
    assert.deepEqual(lineage.map((c) => [c.c, c.type]), [
      ["_batch_id", "BIGINT"],
      ["_file", "VARCHAR"],
      ["_row_number", "BIGINT"],
      ["_landed_at", "TIMESTAMP WITH TIME ZONE"],
      ["_hospital", "VARCHAR"],
      ["_delivered_at", "TIMESTAMP WITH TIME ZONE"],
      ["procedure_id", "VARCHAR"],
      ["procedure_description", "VARCHAR"],
    ]);
    assert.deepEqual(
      await upgraded.withConnection((s) =>
        layout(s, "table_schema = 'raw' AND table_name = 'visitpay_procedure'")
      ),
      lineage,
    );
    const version = "SELECT version, name FROM wharf.schema_version ORDER BY version";
    assert.deepEqual(await upgraded.query(version), await fromScratch.query(version));
  } finally {
    fromScratch.close();
    upgraded.close();
  }
});

Deno.test("a warehouse without the run log's tables gets wharf.deferred_relations with them, at its first run, not from its upgrade", async () => {
  await using p = await tempProject();
  // A warehouse of version 2 with the landing tables only: the current ones, versions 3 on
  // unrecorded.
  const wh = await openWarehouse(p.db);
  try {
    await wh.withConnection((s) => ensureTables(s, "landing"));
    await wh.exec("DELETE FROM wharf.schema_version WHERE version >= 3");
  } finally {
    wh.close();
  }
  const upgraded = await openWarehouse(p.db);
  try {
    const tables = () =>
      upgraded.query(
        "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'wharf' ORDER BY 1",
      ).then((rows) => rows.map((r) => r.t));
    assert.equal(await upgraded.withConnection(schemaVersion), SCHEMA_VERSION);
    assert.deepEqual(await tables(), ["files", "rejects", "schema_version"]);
    await upgraded.withConnection((s) => ensureTables(s, "runs"));
    assert.deepEqual(await tables(), [
      "deferred_relations",
      "files",
      "rejects",
      "run_results",
      "runs",
      "schema_version",
    ]);
  } finally {
    upgraded.close();
  }
});

/** A migration written after the release, to prove the mechanism. */
const THROWAWAY: Migration = {
  version: SCHEMA_VERSION + 1,
  name: "files_get_a_checked_flag",
  async up(s) {
    await s.exec("ALTER TABLE wharf.files ADD COLUMN checked BOOLEAN DEFAULT false");
  },
};

Deno.test("a migration added later is applied once, in order, with its version and time; then this wharf refuses the warehouse as newer", async () => {
  await using p = await releaseWarehouse();
  const wh = await openWarehouse(p.db, { migrations: [...MIGRATIONS, THROWAWAY] });
  try {
    assert.deepEqual(
      await wh.query(
        "SELECT version, name, applied_at IS NOT NULL AS timed FROM wharf.schema_version ORDER BY version",
      ),
      [...MIGRATIONS, THROWAWAY].map((m) => ({ version: m.version, name: m.name, timed: true })),
    );
    assert.deepEqual(
      await wh.query("SELECT count(*)::INT AS n FROM wharf.files WHERE NOT checked"),
      [{
        n: 15,
      }],
    );
    assert.deepEqual(await migrateWarehouse(wh, [...MIGRATIONS, THROWAWAY]), []);
    assert.equal(await wh.withConnection(schemaVersion), SCHEMA_VERSION + 1);
  } finally {
    wh.close();
  }

  const newer = new RegExp(
    `^Warehouse ".*warehouse.duckdb" was written by a newer wharf: its schema is version ${
      SCHEMA_VERSION + 1
    }, this wharf knows versions up to ${SCHEMA_VERSION} \\(unknown here: ${
      SCHEMA_VERSION + 1
    } "files_get_a_checked_flag"\\): use a wharf as new as the one that wrote it, or pass --db to use another file$`,
  );
  for (const readOnly of [false, true]) {
    await assert.rejects(openWarehouse(p.db, { readOnly }), (err) => {
      assert.ok(err instanceof WarehouseVersionError);
      assert.equal(err.found, SCHEMA_VERSION + 1);
      assert.equal(err.known, SCHEMA_VERSION);
      assert.match(err.message, newer);
      return true;
    });
  }
  const visits = join(REAL, "visitpay", "HospitalABC_VisitPay_Visit_20211201_223005.txt");
  const commands = [["sql", "select 1"], ["build"], ["land", visits], ["serve", "--port", "0"]];
  for (const args of commands) {
    // A server that started anyway would never end: the time limit stops it, and the test fails.
    const out = await cliCommand(["--project", p.root, ...args], {
      cwd: p.root,
      signal: AbortSignal.timeout(60_000),
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, `${args[0]}: ${stderr}`);
    // (serve logs it first, as a JSON line)
    assert.match(stderr.trim().split("\n").at(-1)!, new RegExp(`^error: ${newer.source.slice(1)}`));
  }
  // The refusals left no holder record behind.
  assert.deepEqual(await Array.fromAsync(Deno.readDir(join(p.root, ".wharf", "holders"))), []);
});

Deno.test("a migration that fails leaves the warehouse as it was: no migration of the upgrade is kept", async () => {
  await using p = await releaseWarehouse();
  const before = await read(p.db, "SELECT typeof(delivered_at) AS type FROM wharf.files LIMIT 1");
  const broken: Migration = {
    version: SCHEMA_VERSION + 1,
    name: "breaks_halfway",
    async up(s) {
      await s.exec("ALTER TABLE wharf.files ADD COLUMN checked BOOLEAN");
      await s.exec("SELECT * FROM wharf.no_such_table");
    },
  };
  await assert.rejects(openWarehouse(p.db, { migrations: [...MIGRATIONS, broken] }), (err) => {
    assert.ok(err instanceof WarehouseError);
    assert.match(
      err.message,
      new RegExp(
        `^Cannot upgrade warehouse ".*" from schema version 0 to ${SCHEMA_VERSION + 1}: migration ${
          SCHEMA_VERSION + 1
        } \\(breaks_halfway\\) failed: Catalog Error: .*no_such_table.*; nothing was changed$`,
        "s",
      ),
    );
    return true;
  });
  assert.deepEqual(
    await read(p.db, "SELECT typeof(delivered_at) AS type FROM wharf.files LIMIT 1"),
    before,
  );
  assert.deepEqual(
    await read(
      p.db,
      "SELECT table_name FROM information_schema.columns WHERE table_name = 'schema_version' OR column_name = 'checked'",
    ),
    [],
  );
});

Deno.test("a new warehouse holds nothing of wharf's until a command creates its tables, at the current version", async () => {
  await using p = await tempProject();
  const wh = await openWarehouse(p.db);
  try {
    await wh.exec("CREATE TABLE mine (a INTEGER)");
    assert.equal(await wh.withConnection(schemaVersion), null);
    assert.deepEqual(
      await wh.query(
        "SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('wharf', 'raw')",
      ),
      [],
    );
    await wh.withConnection((s) => ensureTables(s, "runs"));
    await wh.withConnection((s) => ensureTables(s, "tic"));
    assert.deepEqual(
      await wh.query("SELECT version, name FROM wharf.schema_version ORDER BY version"),
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
    assert.deepEqual(
      (await wh.query(
        "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_schema IN ('wharf', 'raw') ORDER BY 1",
      )).map((r) => r.t),
      TABLES.filter((t) => ["all", "runs", "tic"].includes(t.group)).map((t) =>
        `${t.schema}.${t.name}`
      ).sort(),
    );
  } finally {
    wh.close();
  }
});

Deno.test("migrations must be numbered 1, 2, 3 …", async () => {
  await using p = await tempProject();
  await assert.rejects(
    openWarehouse(p.db, { migrations: [MIGRATIONS[0]!, { ...THROWAWAY, version: 3 }] }),
    /Migration "files_get_a_checked_flag" is number 3, expected 2/,
  );
});

Deno.test("every INSERT into wharf's own tables names its columns", async () => {
  const unnamed = [];
  const tables = TABLES.map((t) => `${t.schema}\\.${t.name}`).join("|");
  const insert = new RegExp(
    `INSERT\\s+(?:OR\\s+REPLACE\\s+)?INTO\\s+(?:${tables})\\b\\s*(?!\\s*\\()`,
    "gi",
  );
  for await (const file of walk(join(REPO, "src"))) {
    const text = await Deno.readTextFile(file);
    for (const m of text.matchAll(insert)) unnamed.push(`${file}: ${m[0]}`);
  }
  assert.deepEqual(unnamed, []);
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* walk(path);
    else if (e.name.endsWith(".ts")) yield path;
  }
}

Deno.test("the README names every table of wharf's and the schema version", async () => {
  const readme = await Deno.readTextFile(join(REPO, "README.md"));
  const section = readme.slice(readme.indexOf("### wharf's own tables"));
  assert.ok(section.includes(`The schema has a version (${SCHEMA_VERSION} in this wharf)`));
  for (const t of TABLES) assert.ok(section.includes(`\`${t.schema}.${t.name}\``), t.name);
});
