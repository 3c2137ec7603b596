/**
 * Warehouse targets other than a local file: what wharf says when their
 * DuckDB extension is not installed (it never downloads one), and which
 * features need a local file.
 */
import assert from "node:assert/strict";
import { DuckDBInstance } from "@duckdb/node-api";
import { requireLocalFile, warehouseTarget } from "../../src/engine/db/target.ts";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { WarehouseTargetError } from "../../src/engine/errors.ts";
import { SnapshotManager } from "../../src/serve/snapshot.ts";
import { cliCommand, runCli, tempProject } from "../helpers.ts";

/** The extensions installed for this DuckDB: a machine that has one cannot show its absence. */
async function installedExtensions(): Promise<string[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      "SELECT extension_name FROM duckdb_extensions() WHERE installed",
    );
    return reader.getRows().map((r) => String(r[0]));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const installed = await installedExtensions();
const noMotherDuck = { ignore: installed.includes("motherduck") };
const noDuckLake = { ignore: installed.includes("ducklake") };

const INSTALL_MOTHERDUCK =
  /DuckDB's motherduck extension is not installed here, and wharf does not download extensions\. Where DuckDB can download it, run once: deno task wharf sql --db :memory: --write "INSTALL motherduck" \(or copy motherduck\.duckdb_extension for DuckDB v[\d.]+ \w+ into ~\/\.duckdb\/extensions\/v[\d.]+\/\w+\/\), and set MOTHERDUCK_TOKEN to a MotherDuck access token; see "Other warehouses" in the README$/;

Deno.test({
  name:
    "--db md:<database> without the motherduck extension says how to install it, and builds nothing",
  ...noMotherDuck,
  async fn() {
    await using p = await tempProject({ "models/marts/a.sql": "select 1 as id" });
    const noToken = { MOTHERDUCK_TOKEN: "", motherduck_token: "" };
    const run = await cliCommand(["--db", "md:my_db", "build"], { cwd: p.root, env: noToken })
      .output();
    const build = {
      code: run.code,
      stdout: new TextDecoder().decode(run.stdout),
      stderr: new TextDecoder().decode(run.stderr),
    };
    assert.equal(build.code, 2);
    assert.equal(build.stdout, "");
    const [line, ...rest] = build.stderr.trimEnd().split("\n");
    assert.deepEqual(rest, []);
    assert.match(line!, /^error: Cannot open MotherDuck database "md:my_db": /);
    assert.match(line!, INSTALL_MOTHERDUCK);
    // Reading commands say the same, rather than reading the project as unbuilt.
    const ls = await cliCommand(["--db", "md:my_db", "ls"], { cwd: p.root, env: noToken }).output();
    assert.equal(ls.code, 2);
    assert.match(new TextDecoder().decode(ls.stderr).trimEnd(), INSTALL_MOTHERDUCK);
    // Nothing was created.
    assert.deepEqual([...Deno.readDirSync(p.root)].map((e) => e.name).sort(), ["models"]);
    // With a token set, only the extension is missing.
    const out = await cliCommand(["--db", "md:my_db", "build"], {
      cwd: p.root,
      env: { MOTHERDUCK_TOKEN: "a-token" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2);
    assert.match(stderr, /extension is not installed here/);
    assert.doesNotMatch(stderr, /MOTHERDUCK_TOKEN/);
    await assert.rejects(
      () => openWarehouse("md:my_db"),
      (err: unknown) => err instanceof WarehouseTargetError && err.need === "extension",
    );
  },
});

Deno.test("wharf serve says it needs a local warehouse file, for MotherDuck and :memory: alike", async () => {
  await using p = await tempProject({ "models/marts/a.sql": "select 1 as id" });
  const targets: [string, string][] = [
    ["md:my_db", "a MotherDuck database"],
    [":memory:", "an in-memory database"],
  ];
  for (const [db, kind] of targets) {
    const serve = await runCli(["--db", db, "serve", "--port", "0"], p.root);
    assert.equal(serve.code, 2);
    assert.equal(
      serve.stderr,
      `error: \`wharf serve\` answers from snapshots, copies of the warehouse file taken between builds: it needs a local warehouse file, and "${db}" is ${kind}: pass --db with a .duckdb file\n`,
    );
  }
  assert.throws(
    () => new SnapshotManager("md:my_db", { dir: p.root }),
    (err: unknown) =>
      err instanceof WarehouseTargetError && err.need === "local_file" &&
      /^Snapshots of the warehouse are copies of its file, taken between builds: it needs a local warehouse file/
        .test(err.message),
  );
  assert.equal(requireLocalFile(p.db, "snapshots"), p.db);
});

Deno.test("a DuckLake given as the warehouse is refused with how to attach it instead", async () => {
  await using p = await tempProject({ "models/marts/a.sql": "select 1 as id" });
  const build = await runCli(["--db", "ducklake:meta.ducklake", "build"], p.root);
  assert.equal(build.code, 2);
  assert.equal(
    build.stderr,
    `error: Cannot use the DuckLake "ducklake:${p.root}/meta.ducklake" as the warehouse: a DuckLake is attached beside it. Keep a local warehouse file for wharf's own tables and attach the lake in wharf.config.ts (attach: { lake: "ducklake:${p.root}/meta.ducklake" }), then build models into it with config: { database: lake }\n`,
  );
});

Deno.test({
  name: "an attached DuckLake without the ducklake extension is named with how to install it",
  ...noDuckLake,
  async fn() {
    await using p = await tempProject({
      "wharf.config.ts": `export default { attach: { lake: "ducklake:meta.ducklake" } };\n`,
      "models/marts/a.sql": "select 1 as id",
      "models/marts/marts.yml": "models:\n  - name: a\n    config: { database: lake }\n",
    });
    const build = await runCli(["build"], p.root);
    assert.equal(build.code, 2);
    assert.match(
      build.stderr,
      /^error: Cannot open attached database "lake" \(DuckLake, "ducklake:.*\/meta\.ducklake"\): DuckDB's ducklake extension is not installed here, and wharf does not download extensions\. Where DuckDB can download it, run once: deno task wharf sql --db :memory: --write "INSTALL ducklake" \(or copy ducklake\.duckdb_extension for DuckDB v[\d.]+ \w+ into ~\/\.duckdb\/extensions\/v[\d.]+\/\w+\/\); see "Other warehouses" in the README\n$/,
    );
    // Nothing was written: not even the warehouse's own file.
    await assert.rejects(() => Deno.stat(p.db), Deno.errors.NotFound);
  },
});

Deno.test("warehouseTarget() tells local files from the targets that need an extension", () => {
  assert.equal(warehouseTarget("/p/warehouse.duckdb").file, "/p/warehouse.duckdb");
  assert.equal(warehouseTarget(":memory:").file, undefined);
  assert.equal(warehouseTarget("md:my_db").extension, "motherduck");
  assert.equal(
    warehouseTarget("ducklake:/p/meta.ducklake", { attachedAs: "lake" }).attachSql("lake", true),
    `ATTACH 'ducklake:/p/meta.ducklake' AS "lake" (READ_ONLY)`,
  );
  // MotherDuck attaches a database under its own name.
  assert.equal(
    warehouseTarget("md:sales", { attachedAs: "sales" }).attachSql("sales", false),
    `ATTACH 'md:sales'`,
  );
  // Another catalog database of a DuckLake is kept as written; a metadata file is a path.
  assert.equal(
    warehouseTarget("ducklake:postgres:dbname=lake", { attachedAs: "lake" }).spec,
    "ducklake:postgres:dbname=lake",
  );
});

Deno.test("an attached database may not take the warehouse's own catalog name", async () => {
  await using p = await tempProject();
  await assert.rejects(
    () =>
      openWarehouse(p.db, {
        attach: [{ name: "warehouse", target: `${p.root}/other.duckdb`, readOnly: false }],
      }),
    (err: unknown) =>
      err instanceof Error &&
      err.message ===
        `Cannot attach "warehouse": the warehouse itself is the catalog "warehouse" (DuckDB names it after its file): rename attach.warehouse in wharf.config.ts`,
  );
  // The warehouse was let go: it opens again.
  (await openWarehouse(p.db)).close();
});
