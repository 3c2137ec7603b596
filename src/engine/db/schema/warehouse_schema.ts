/**
 * wharf's own tables in a warehouse, defined in one place and versioned.
 *
 * **Tables** (definitions, columns and their meaning in `tables.ts`):
 * - every group: `wharf.schema_version` (`version`, `name`, `applied_at`):
 *   the migrations the warehouse has; the highest version is its version.
 * - `landing` (`wharf land`, uploads): `wharf.files` (the manifest),
 *   `wharf.rejects` (records that could not be read), the sequence
 *   `wharf.batch_ids`, and the lineage columns of every landed `raw.<table>`
 *   ({@linkcode lineageColumns}: `_batch_id`, `_file`, `_row_number`,
 *   `_landed_at`, `_<field>` …, `_delivered_at`).
 * - `runs` (`build`, `run`, `seed`, `test`): `wharf.runs`,
 *   `wharf.run_results`, `wharf.deferred_relations` (what `--defer` copied
 *   and no run has built here since), and the schema `wharf_failures` for
 *   failing rows.
 * - `tic` (`wharf tic`, `wharf tic lookup`): `raw.tic_indexes`,
 *   `raw.tic_plans`, `raw.tic_files`, `raw.tic_plan_files`,
 *   `raw.tic_lookups`, `raw.tic_lookup_files`.
 * - `npi` (`wharf enrich npi`): `wharf.npi_ledger`, `raw.npi_responses`.
 *
 * A group is created by the first command that needs it
 * ({@linkcode ensureTables}), at the current version; models reading a group
 * not created yet are skipped as not landed. Instants are `TIMESTAMPTZ`.
 *
 * **Versions**: the schema's version is the number of the last of the
 * ordered {@linkcode MIGRATIONS}; this code's is {@linkcode SCHEMA_VERSION}.
 * Opening a warehouse for writing ({@linkcode migrateWarehouse}, called by
 * `openWarehouse`) applies the migrations it lacks, all in one transaction
 * (all or none), each recorded in `wharf.schema_version` with its time. A
 * warehouse with tables of wharf's but no `wharf.schema_version` was written
 * before versioning (version 0) and gets every migration; the first one
 * adds the columns that commands used to add when they found a table
 * without them. Opening read-only never changes the file: an older
 * warehouse is read as it is (a command that writes upgrades it). A
 * warehouse of a higher version than this code knows is refused either way
 * ({@linkcode WarehouseVersionError}).
 *
 * @module
 */
import { WarehouseError, WarehouseVersionError } from "../../errors.ts";
import { quoteIdent, quoteLiteral, quoteRelation } from "../sql.ts";
import type { Session, Warehouse } from "../warehouse.ts";
import { type Migration, MIGRATIONS } from "./migrations.ts";
import { GROUP_OBJECTS, type TableDefinition, type TableGroup, TABLES } from "./tables.ts";

export { lineageColumns, TABLES } from "./tables.ts";
export type { ColumnDefinition, TableDefinition, TableGroup } from "./tables.ts";
export { type Migration, MIGRATIONS } from "./migrations.ts";

/** The schema version this wharf writes: the last migration's. */
export const SCHEMA_VERSION: number = MIGRATIONS[MIGRATIONS.length - 1]!.version;

const VERSION_TABLE = TABLES.find((t) => t.name === "schema_version")!;

/** `CREATE TABLE IF NOT EXISTS` for a definition. */
function createTable(t: TableDefinition): string {
  const columns = t.columns.map((c) =>
    `${quoteIdent(c.name)} ${c.type}${c.constraint ? ` ${c.constraint}` : ""}`
  );
  return `CREATE TABLE IF NOT EXISTS ${quoteRelation(t.schema, t.name)} (${columns.join(", ")})`;
}

/** Returns `migrations`, checked to be numbered 1, 2, 3 … (a mistake of wharf's own). */
function checked(migrations: readonly Migration[]): readonly Migration[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new Error(`Migration "${m.name}" is number ${m.version}, expected ${i + 1}`);
    }
  });
  return migrations;
}

/**
 * The warehouse's schema version: the highest in `wharf.schema_version`; 0
 * when it has tables of wharf's but no version (written before
 * versioning); null when it has nothing of wharf's yet.
 */
export async function schemaVersion(session: Session): Promise<number | null> {
  // Every group of tables has always made the schema wharf: without it, nothing is ours.
  // One query for both (a round trip each costs a command's start a few ms).
  const [found] = await session.query(
    `SELECT EXISTS (SELECT 1 FROM duckdb_schemas()
       WHERE database_name = current_database() AND schema_name = 'wharf') AS wharf,
     (SELECT coalesce(list(schema_name || '.' || table_name), []) FROM duckdb_tables()
       WHERE database_name = current_database() AND schema_name IN ('wharf', 'raw')) AS present`,
  );
  if (!found?.wharf) return null;
  const present = (found.present as unknown[]).map(String);
  if (present.includes("wharf.schema_version")) {
    const [row] = await session.query(
      "SELECT coalesce(max(version), 0)::INTEGER AS v FROM wharf.schema_version",
    );
    return Number(row!.v);
  }
  const ours = new Set(TABLES.map((t) => `${t.schema}.${t.name}`));
  return present.some((id) => ours.has(id)) ? 0 : null;
}

/** Refuses a warehouse of a version higher than `known`. */
async function refuseNewer(session: Session, path: string, found: number, known: number) {
  if (found <= known) return;
  const unknown = (await session.query(
    "SELECT version, name FROM wharf.schema_version WHERE version > ? ORDER BY version",
    [known],
  )).map((r) => `${r.version} "${r.name}"`);
  throw new WarehouseVersionError(
    path,
    found,
    known,
    `Warehouse "${path}" was written by a newer wharf: its schema is version ${found}, this wharf knows versions up to ${known} (unknown here: ${
      unknown.join(", ")
    }): use a wharf as new as the one that wrote it, or pass --db to use another file`,
  );
}

/**
 * Checks that a warehouse opened read-only can be read by this wharf: any
 * version up to `migrations`' last (an older one is read as it is).
 *
 * @throws {WarehouseVersionError} when it was written by a newer wharf.
 */
export async function checkSchemaVersion(
  wh: Warehouse,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  await wh.withConnection(async (s) => {
    const found = await schemaVersion(s);
    if (found !== null) await refuseNewer(s, wh.path, found, checked(migrations).length);
  });
}

/**
 * Brings a warehouse opened for writing to the last of `migrations`: the
 * ones it lacks are applied in order, in one transaction, each recorded in
 * `wharf.schema_version`. A warehouse with nothing of wharf's is left as it
 * is ({@linkcode ensureTables} creates tables at the current version).
 *
 * @param migrations wharf's own by default; tests add their own to prove the mechanism.
 * @returns the migrations applied (none when it was current).
 * @throws {WarehouseVersionError} when it was written by a newer wharf.
 * @throws {WarehouseError} when a migration fails (nothing is changed then).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openWarehouse } from "../warehouse.ts";
 * import { migrateWarehouse } from "./warehouse_schema.ts";
 *
 * const wh = await openWarehouse(":memory:"); // opening for writing migrates
 * assert.deepEqual(await migrateWarehouse(wh), []);
 * wh.close();
 * ```
 */
export async function migrateWarehouse(
  wh: Warehouse,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<Migration[]> {
  const known = checked(migrations).length;
  // A current warehouse (most opens) is read outside a transaction: two round trips fewer.
  const current = await wh.withConnection(async (s) => {
    const version = await schemaVersion(s);
    if (version !== null) await refuseNewer(s, wh.path, version, known);
    return version === null || version === known;
  });
  if (current) return [];
  let found = 0;
  let failing: Migration | undefined;
  try {
    // Read again in the transaction that migrates: all or none.
    return await wh.transaction(async (s) => {
      found = await schemaVersion(s) ?? known;
      await refuseNewer(s, wh.path, found, known);
      const pending = migrations.slice(found);
      if (found === 0) await s.exec(createTable(VERSION_TABLE));
      for (const m of pending) {
        failing = m;
        await m.up(s);
        await record(s, m);
      }
      failing = undefined;
      return [...pending];
    });
  } catch (err) {
    if (!failing) throw err;
    throw new WarehouseError(
      wh.path,
      `Cannot upgrade warehouse "${wh.path}" from schema version ${found} to ${known}: migration ${failing.version} (${failing.name}) failed: ${
        err instanceof Error ? err.message : String(err)
      }; nothing was changed`,
      { cause: err },
    );
  }
}

/** Records a migration as applied now. */
async function record(session: Session, m: Migration): Promise<void> {
  await session.exec(
    "INSERT INTO wharf.schema_version (version, name, applied_at) VALUES (?, ?, now())",
    [m.version, m.name],
  );
}

/** Options of {@linkcode ensureTables}. */
export interface EnsureTablesOptions {
  /**
   * Statements that write the tables, run in the same transaction once they
   * are there: one round trip for both (a build records its start so).
   */
  then?: string;
}

/**
 * Creates the tables (and schemas, sequences) of `group` that do not exist
 * yet, at the current version, then runs `options.then` in the same
 * transaction. The first group created in a warehouse also
 * creates `wharf.schema_version`, recording every migration as known. Runs
 * its own transaction: call it outside one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openWarehouse } from "../warehouse.ts";
 * import { ensureTables, SCHEMA_VERSION, schemaVersion } from "./warehouse_schema.ts";
 *
 * const wh = await openWarehouse(":memory:");
 * await wh.withConnection(async (s) => {
 *   assert.equal(await schemaVersion(s), null); // nothing of wharf's yet
 *   await ensureTables(s, "landing");
 *   assert.equal(await schemaVersion(s), SCHEMA_VERSION);
 * });
 * wh.close();
 * ```
 */
export async function ensureTables(
  session: Session,
  group: TableGroup,
  options: EnsureTablesOptions = {},
): Promise<void> {
  // One round trip (a build calls this each time): a schema_version just created is empty,
  // and then gets every migration.
  const known = MIGRATIONS.map((m) => `(${m.version}, ${quoteLiteral(m.name)})`).join(", ");
  const statements = [
    "BEGIN TRANSACTION",
    "CREATE SCHEMA IF NOT EXISTS wharf",
    createTable(VERSION_TABLE),
    `INSERT INTO wharf.schema_version (version, name, applied_at)
       SELECT version, name, now() FROM (VALUES ${known}) AS m(version, name)
       WHERE NOT EXISTS (SELECT 1 FROM wharf.schema_version)`,
    ...GROUP_OBJECTS[group],
    ...TABLES.filter((t) => t.group === group).map(createTable),
    ...(options.then === undefined ? [] : [options.then]),
    "COMMIT",
  ];
  try {
    await session.exec(statements.join(";\n"));
  } catch (err) {
    await session.exec("ROLLBACK").catch(() => {});
    throw err;
  }
}
