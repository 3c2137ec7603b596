/**
 * The warehouse: a DuckDB database file and a small pool of connections to
 * it. This folder is the only place that imports `@duckdb/node-api` (through
 * `duckdb.ts`).
 *
 * @module
 */
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "./duckdb.ts";
import type { AttachedDatabase } from "../config.ts";
import { WarehouseError } from "../errors.ts";
import { type WarehouseTarget, warehouseTarget } from "./target.ts";
import { runStatements, type StatementResult } from "./run_statements.ts";
import { readAll } from "./read_all.ts";
import { quoteIdent } from "./sql.ts";
import {
  checkSchemaVersion,
  migrateWarehouse,
  type Migration,
  MIGRATIONS,
} from "./schema/warehouse_schema.ts";

/** A result row: column name to a JSON-friendly value (BIGINT and DECIMAL as strings). */
export type Row = Record<string, unknown>;

/** Bound parameters: positional (`?`, `$1`) or named (`$name`). */
export type Params = readonly DuckDBValue[] | Record<string, DuckDBValue>;

/** Rows with their column names and DuckDB type names. */
export interface QueryResult {
  columns: string[];
  types: string[];
  rows: Row[];
}

/** Options of {@linkcode openWarehouse}. */
export interface OpenWarehouseOptions {
  /** Open without taking the write lock (other readers may share the file). */
  readOnly?: boolean;
  /**
   * Refuse to create the file: a missing warehouse is an error saying how to
   * make one. Default: true when read-only.
   */
  mustExist?: boolean;
  /**
   * With `mustExist`: what the error for a warehouse that does not exist yet
   * says to do (the project's way to make one). Default: land files and
   * build, or run the demo.
   */
  whenMissing?: string;
  /**
   * How long to keep trying while another process holds the file, in ms.
   * Default: 3000 for writers (a server taking a snapshot holds it for a
   * moment), 0 for readers.
   */
  lockWaitMs?: number;
  /**
   * DuckDB's memory limit for this instance (e.g. `"64MB"`), for a command
   * that streams and must stay in bounded memory. Default: DuckDB's own.
   */
  memoryLimit?: string;
  /** DuckDB's worker threads for this instance. Default: DuckDB's own (one per core). */
  threads?: number;
  /**
   * The command opening the warehouse (e.g. `"wharf build"`), recorded while
   * it is open so that a process that cannot open it can say who holds it,
   * since when (see `register_holder.ts`). Default: nothing is recorded.
   */
  holder?: string;
  /**
   * The schema migrations the warehouse is brought to when opened for
   * writing, or checked against when read-only (see
   * `schema/warehouse_schema.ts`). Default: wharf's own.
   */
  migrations?: readonly Migration[];
  /**
   * Databases to attach under their names (`EngineConfig.attach`): read-only
   * when the warehouse is or the entry says so; a local file that does not
   * exist is created, or left out when read-only (it holds nothing to read).
   */
  attach?: readonly AttachedDatabase[];
  /** DuckDB extensions to load once opened (a dbt profile's `extensions`). */
  extensions?: readonly string[];
  /** DuckDB settings the instance starts with (a dbt profile's `settings`). */
  settings?: Readonly<Record<string, string>>;
}

/** One connection's worth of queries, used inside {@linkcode Warehouse.withConnection}. */
export interface Session {
  /** Runs statements that return nothing of interest. */
  exec(sql: string, params?: Params): Promise<void>;
  /** Runs a query and returns its rows as objects. */
  query(sql: string, params?: Params): Promise<Row[]>;
  /**
   * Runs a statement that reports a row count (CREATE TABLE AS, INSERT,
   * DELETE) and returns that count.
   */
  count(sql: string, params?: Params): Promise<number>;
  /**
   * Like {@linkcode Session.count}, calling `onProgress` with DuckDB's
   * progress (fraction done, 0..1) about every `intervalMs` while it runs.
   */
  countWithProgress(
    sql: string,
    onProgress: (fraction: number) => void,
    intervalMs?: number,
  ): Promise<number>;
  /** Runs a query and returns rows, column names and types. */
  read(sql: string, params?: Params): Promise<QueryResult>;
  /** Runs a query and returns its values column by column (cheaper than rows for large results). */
  columns(sql: string, params?: Params): Promise<Record<string, unknown[]>>;
  /**
   * Appends rows to a table with DuckDB's appender, inside this connection's
   * open transaction if any. `schema` "temp" is this connection's temporary
   * tables. Values: text, a number (DOUBLE or INTEGER columns), a BIGINT as
   * `bigint`, bytes (a BLOB column), or null.
   */
  append(schema: string, table: string, rows: Iterable<readonly AppendValue[]>): Promise<number>;
  /**
   * Opens an appender to add rows one at a time as they are produced (no
   * batch held in JavaScript), inside this connection's open transaction
   * if any. Close it before the transaction ends.
   */
  appender(schema: string, table: string): Promise<RowAppender>;
  /**
   * Runs every statement of `sql` in order (as DuckDB splits it), yielding
   * each one's columns, types and rows before the next starts: see
   * `run_statements.ts`.
   */
  statements(sql: string): AsyncGenerator<StatementResult>;
  /** Interrupts the query this connection is running (it fails with "Interrupted"). */
  interrupt(): void;
  /**
   * Runs `fn` inside one transaction on this connection: committed when it
   * resolves, rolled back when it throws (the error is re-thrown).
   */
  transaction<T>(fn: (session: Session) => Promise<T>): Promise<T>;
}

/** Rows appended one at a time: see {@linkcode Session.appender}. */
export interface RowAppender {
  /** Appends one row. */
  row(values: readonly AppendValue[]): void;
  /** Flushes the rows to the table and closes the appender. */
  close(): void;
}

/** A value {@linkcode Session.append} can append (bytes go to a BLOB column). */
export type AppendValue = string | bigint | number | Uint8Array | null;

class ConnectionSession implements Session {
  constructor(readonly connection: DuckDBConnection) {}
  statements(sql: string): AsyncGenerator<StatementResult> {
    return runStatements(this.connection, sql);
  }
  interrupt(): void {
    this.connection.interrupt();
  }
  async transaction<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    await this.exec("BEGIN TRANSACTION");
    try {
      const result = await fn(this);
      await this.exec("COMMIT");
      return result;
    } catch (err) {
      await this.exec("ROLLBACK").catch(() => {});
      throw err;
    }
  }
  async exec(sql: string, params?: Params): Promise<void> {
    await this.connection.run(sql, params as DuckDBValue[] | undefined);
  }
  async query(sql: string, params?: Params): Promise<Row[]> {
    const reader = await readAll(this.connection, sql, params as DuckDBValue[] | undefined);
    return reader.getRowObjectsJson() as Row[];
  }
  async count(sql: string, params?: Params): Promise<number> {
    const reader = await readAll(this.connection, sql, params as DuckDBValue[] | undefined);
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }
  async read(sql: string, params?: Params): Promise<QueryResult> {
    const reader = await readAll(this.connection, sql, params as DuckDBValue[] | undefined);
    return {
      columns: reader.columnNames(),
      types: reader.columnTypes().map(String),
      rows: reader.getRowObjectsJson() as Row[],
    };
  }
  async columns(sql: string, params?: Params): Promise<Record<string, unknown[]>> {
    const reader = await readAll(this.connection, sql, params as DuckDBValue[] | undefined);
    return reader.getColumnsObjectJson() as Record<string, unknown[]>;
  }
  async countWithProgress(
    sql: string,
    onProgress: (fraction: number) => void,
    intervalMs = 200,
  ): Promise<number> {
    await this.connection.run(
      "SET enable_progress_bar = true; SET enable_progress_bar_print = false",
    );
    const timer = setInterval(() => {
      const p = this.connection.progress.percentage;
      if (p >= 0) onProgress(Math.min(1, p / 100));
    }, intervalMs);
    try {
      return await this.count(sql);
    } finally {
      clearInterval(timer);
    }
  }
  async append(
    schema: string,
    table: string,
    rows: Iterable<readonly AppendValue[]>,
  ): Promise<number> {
    const appender = await this.appender(schema, table);
    let n = 0;
    try {
      for (const row of rows) {
        appender.row(row);
        n++;
      }
    } finally {
      appender.close();
    }
    return n;
  }
  async appender(schema: string, table: string): Promise<RowAppender> {
    const appender = schema === "temp"
      ? await this.connection.createAppender(table, "main", "temp")
      : await this.connection.createAppender(table, schema);
    return {
      row(values) {
        for (const v of values) {
          if (v === null) appender.appendNull();
          else if (typeof v === "bigint") appender.appendBigInt(v);
          else if (typeof v === "number") appender.appendDouble(v);
          else if (typeof v === "string") appender.appendVarchar(v);
          else appender.appendBlob(v);
        }
        appender.endRow();
      },
      close() {
        try {
          appender.flushSync();
        } finally {
          appender.closeSync();
        }
      },
    };
  }
}

/**
 * Runs `fn` inside one transaction on `session`, always rolled back: what
 * `fn` checks is checked (its errors are re-thrown), what it writes is
 * undone. How `--empty` runs a build that would change what is already
 * built.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openWarehouse, rolledBack } from "./warehouse.ts";
 *
 * const wh = await openWarehouse(":memory:");
 * await wh.exec("create table t as select 1 as x");
 * const n = await wh.withConnection((s) => rolledBack(s, (s) => s.count("delete from t")));
 * assert.equal(n, 1);
 * assert.deepEqual(await wh.query("select count(*)::int as n from t"), [{ n: 1 }]);
 * wh.close();
 * ```
 */
export async function rolledBack<T>(
  session: Session,
  fn: (session: Session) => Promise<T>,
): Promise<T> {
  await session.exec("BEGIN TRANSACTION");
  try {
    return await fn(session);
  } finally {
    await session.exec("ROLLBACK");
  }
}

/**
 * An open warehouse. Queries run on pooled connections of one DuckDB
 * instance, so independent work may run concurrently.
 */
export class Warehouse implements Session {
  readonly #instance: DuckDBInstance;
  readonly #idle: ConnectionSession[] = [];
  readonly #all: ConnectionSession[] = [];
  readonly #release: () => void;
  #closed = false;

  /** Path of the database file (`:memory:` for an in-memory warehouse, `md:…` for MotherDuck). */
  readonly path: string;

  /** The names of the databases attached beside it (see {@linkcode OpenWarehouseOptions.attach}). */
  readonly catalogs: readonly string[];

  /** `release` runs once on close (it removes the holder records, if any). */
  constructor(
    instance: DuckDBInstance,
    path: string,
    release: () => void = () => {},
    catalogs: readonly string[] = [],
  ) {
    this.#instance = instance;
    this.path = path;
    this.#release = release;
    this.catalogs = catalogs;
  }

  /**
   * Runs `fn` with a connection of its own, returned to the pool afterwards.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openWarehouse } from "./warehouse.ts";
   *
   * const wh = await openWarehouse(":memory:");
   * // A temporary table lives as long as its connection: one connection for both statements.
   * const rows = await wh.withConnection(async (s) => {
   *   await s.exec("create temp table t as select 1 as a");
   *   return await s.query("select a from t");
   * });
   * assert.deepEqual(rows, [{ a: 1 }]);
   * wh.close();
   * ```
   */
  async withConnection<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    const session = await this.#acquire();
    try {
      return await fn(session);
    } finally {
      this.#idle.push(session);
    }
  }

  async #acquire(): Promise<ConnectionSession> {
    if (this.#closed) {
      throw new WarehouseError(this.path, `Warehouse "${this.path}" is closed`);
    }
    let session = this.#idle.pop();
    if (!session) {
      session = new ConnectionSession(await this.#instance.connect());
      this.#all.push(session);
    }
    return session;
  }

  /**
   * Runs `fn` inside one transaction: committed when it resolves, rolled back
   * when it throws (the error is re-thrown).
   */
  transaction<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    return this.withConnection((session) => session.transaction(fn));
  }

  exec(sql: string, params?: Params): Promise<void> {
    return this.withConnection((s) => s.exec(sql, params));
  }

  query(sql: string, params?: Params): Promise<Row[]> {
    return this.withConnection((s) => s.query(sql, params));
  }

  count(sql: string, params?: Params): Promise<number> {
    return this.withConnection((s) => s.count(sql, params));
  }

  countWithProgress(
    sql: string,
    onProgress: (fraction: number) => void,
    intervalMs?: number,
  ): Promise<number> {
    return this.withConnection((s) => s.countWithProgress(sql, onProgress, intervalMs));
  }

  read(sql: string, params?: Params): Promise<QueryResult> {
    return this.withConnection((s) => s.read(sql, params));
  }

  append(schema: string, table: string, rows: Iterable<readonly AppendValue[]>): Promise<number> {
    return this.withConnection((s) => s.append(schema, table, rows));
  }

  /** An appender on a connection of its own, back in the pool once closed. */
  async appender(schema: string, table: string): Promise<RowAppender> {
    const session = await this.#acquire();
    let appender: RowAppender;
    try {
      appender = await session.appender(schema, table);
    } catch (err) {
      this.#idle.push(session);
      throw err;
    }
    return {
      row: (values) => appender.row(values),
      close: () => {
        try {
          appender.close();
        } finally {
          this.#idle.push(session);
        }
      },
    };
  }

  columns(sql: string, params?: Params): Promise<Record<string, unknown[]>> {
    return this.withConnection((s) => s.columns(sql, params));
  }

  /**
   * Runs the statements of `sql` on one pooled connection, held until the
   * last result is read (see {@linkcode Session.statements}).
   */
  async *statements(sql: string): AsyncGenerator<StatementResult> {
    const session = await this.#acquire();
    try {
      yield* session.statements(sql);
    } finally {
      this.#idle.push(session);
    }
  }

  /** Interrupts every query running on this warehouse's connections. */
  interrupt(): void {
    for (const s of this.#all) if (!this.#idle.includes(s)) s.interrupt();
  }

  /** Closes every connection and the database. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      for (const s of this.#all) s.connection.closeSync();
      this.#instance.closeSync();
    } finally {
      this.#release();
    }
  }
}

/**
 * Opens (and creates, unless read-only) the warehouse `path` names (a local
 * file, `:memory:` or `md:<database>`: see `target.ts`) and attaches
 * `options.attach` beside it. Opened for writing, a warehouse written by an
 * older wharf is upgraded to this one's schema version; read-only, it is
 * read as it is.
 *
 * @throws {WarehouseError} when another process holds the file's lock, or
 * an upgrade fails.
 * @throws {WarehouseVersionError} when a newer wharf wrote the warehouse.
 * @throws {WarehousePathError} when the path is a folder or a file that is
 * not a DuckDB database.
 * @throws {WarehouseTargetError} when the DuckDB extension a target needs
 * is not installed, or MotherDuck has no token.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openWarehouse } from "./warehouse.ts";
 *
 * const wh = await openWarehouse(":memory:");
 * assert.deepEqual(await wh.query("select 42 as answer"), [{ answer: 42 }]);
 * wh.close();
 * ```
 */
export async function openWarehouse(
  path: string,
  options: OpenWarehouseOptions = {},
): Promise<Warehouse> {
  const config: Record<string, string> = { ...options.settings };
  if (options.memoryLimit) config.memory_limit = options.memoryLimit;
  if (options.threads) config.threads = String(options.threads);
  const target = warehouseTarget(path);
  const present = await target.prepare();
  if (options.readOnly) config.access_mode = "READ_ONLY";
  if (options.mustExist ?? options.readOnly) {
    if (!present) {
      throw new WarehouseError(
        path,
        `Warehouse "${path}" does not exist yet: ${
          options.whenMissing ??
            "run `deno task demo` for the demo data, or land your files and build (`deno task wharf land <path>`, then `deno task wharf build`), or pass --db with an existing file"
        }`,
      );
    }
  }
  // Every attached database is checked before anything is opened or created.
  const attach = await prepareAttach(options);
  const deadline = Date.now() + (options.lockWaitMs ?? (options.readOnly ? 0 : 3000));
  const instance = await whileLocked(target, deadline, () => DuckDBInstance.create(path, config));
  const releases = options.holder ? [target.hold(options.holder, !!options.readOnly)] : [];
  const release = () => releases.forEach((r) => r());
  let catalogs: string[];
  try {
    await loadExtensions(instance, path, options.extensions ?? []);
    catalogs = await attachAll(instance, attach, options.holder, deadline, releases);
  } catch (err) {
    instance.closeSync();
    release();
    throw err;
  }
  return await withSchema(new Warehouse(instance, path, release, catalogs), options);
}

/** Loads `extensions` (a dbt profile's) into `instance`; one DuckDB cannot load is an error naming it. */
async function loadExtensions(
  instance: DuckDBInstance,
  path: string,
  extensions: readonly string[],
): Promise<void> {
  if (extensions.length === 0) return;
  const connection = await instance.connect();
  try {
    for (const extension of extensions) {
      try {
        await connection.run(`LOAD ${quoteIdent(extension)}`);
      } catch (err) {
        throw new WarehouseError(
          path,
          `Cannot load the DuckDB extension "${extension}" (the profile's extensions): ${
            (err instanceof Error ? err.message : String(err)).split("\n")[0]
          }; DuckDB has it only when it is built in or installed on this machine (\`INSTALL ${extension}\` needs the network)`,
          { cause: err },
        );
      }
    }
  } finally {
    connection.closeSync();
  }
}

/** Runs `open` until it succeeds, or fails otherwise than on another process's lock, or `deadline` passes. */
async function whileLocked<T>(
  target: WarehouseTarget,
  deadline: number,
  open: () => Promise<T>,
): Promise<T> {
  for (let delay = 25;; delay = Math.min(delay * 2, 250)) {
    try {
      return await open();
    } catch (err) {
      if (!target.isLocked(err) || Date.now() + delay > deadline) throw await target.explain(err);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** An attached database about to be attached: its target, checked, and how. */
interface PreparedAttach {
  name: string;
  target: WarehouseTarget;
  readOnly: boolean;
}

/**
 * Checks `options.attach` (paths, extensions, tokens) and decides how each
 * is attached: read-only when the warehouse is or the entry says so; a local
 * file that does not exist is left out when read-only, since it holds
 * nothing to read.
 */
async function prepareAttach(options: OpenWarehouseOptions): Promise<PreparedAttach[]> {
  const out: PreparedAttach[] = [];
  for (const db of options.attach ?? []) {
    const target = warehouseTarget(db.target, { attachedAs: db.name });
    const readOnly = !!options.readOnly || db.readOnly;
    if (!(await target.prepare()) && readOnly) continue;
    out.push({ name: db.name, target, readOnly });
  }
  return out;
}

/**
 * Attaches `attach` to `instance` and returns the names attached. Holder
 * records of attached files are released with the warehouse.
 */
async function attachAll(
  instance: DuckDBInstance,
  attach: readonly PreparedAttach[],
  holder: string | undefined,
  deadline: number,
  releases: (() => void)[],
): Promise<string[]> {
  if (attach.length === 0) return [];
  const connection = await instance.connect();
  try {
    const main = String(
      (await readAll(connection, "SELECT current_database()")).getRows()[0]?.[0],
    );
    for (const { name, target } of attach) {
      if (name === main) {
        throw new WarehouseError(
          target.spec,
          `Cannot attach "${name}": the warehouse itself is the catalog "${name}" (DuckDB names it after its file): rename attach.${name} in wharf.config.ts`,
        );
      }
    }
    for (const { name, target, readOnly } of attach) {
      await whileLocked(target, deadline, () => connection.run(target.attachSql(name, readOnly)));
      if (holder) releases.push(target.hold(holder, readOnly));
    }
    return attach.map((a) => a.name);
  } finally {
    connection.closeSync();
  }
}

/** Upgrades (or, read-only, checks) the warehouse's schema; closes it on failure. */
async function withSchema(wh: Warehouse, options: OpenWarehouseOptions): Promise<Warehouse> {
  const migrations = options.migrations ?? MIGRATIONS;
  try {
    if (options.readOnly) await checkSchemaVersion(wh, migrations);
    else await migrateWarehouse(wh, migrations);
    return wh;
  } catch (err) {
    wh.close();
    throw err;
  }
}
