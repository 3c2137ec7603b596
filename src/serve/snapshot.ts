/**
 * Living with builds. DuckDB lets one process write a database file, and
 * `build`/`land` must be able to run while the API answers. So the server
 * never holds the warehouse: when the file changes it briefly opens it
 * read-only (which waits for no one and fails fast while a writer holds
 * it), copies it to a snapshot, and answers from that copy — and from an
 * in-memory index of the model `serve.coalesce` names (`landed.ts`) — until
 * the next change. While a build runs, the last good snapshot keeps answering.
 *
 * The copy is taken while the read-only instance holds DuckDB's shared
 * lock, which writers in other processes respect (they wait, up to 3 s).
 * That lock is a POSIX lock, shared by everything in this process, so the
 * copy also runs through the landing queue's `exclusive` turn: no upload of
 * this server opens the warehouse meanwhile (which would take the lock over
 * and, on closing, drop it for the copy too).
 *
 * Copies live in a folder of this server's own (`owned_dir.ts`), removed
 * when it stops; folders of servers that died are removed at start.
 *
 * @module
 */
import { copyFile, mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { requireLocalFile } from "../engine/db/target.ts";
import { openWarehouse, type Warehouse } from "../engine/db/warehouse.ts";
import { WarehouseVersionError } from "../engine/errors.ts";
import type { CoalesceSpec } from "./coalesce_config.ts";
import { type LandedIndex, loadLanded } from "./landed.ts";
import { claimDir, type OwnedDir } from "./owned_dir.ts";

/** A consistent copy of the warehouse and what the API indexes from it. */
export interface Snapshot {
  /** Read-only connection to the copy, or undefined when there is no warehouse yet. */
  db?: Warehouse;
  /** The coalescing model's rows: key → landed figures per source (empty without `coalesce`). */
  landed: LandedIndex;
  /** When the copy was taken. */
  takenAt?: Date;
  /** The warehouse file's modification time the copy reflects. */
  sourceMtime?: number;
}

/** Options of {@linkcode SnapshotManager}. */
export interface SnapshotOptions {
  /** Folder under which each server keeps its copies (`.wharf/snapshots`). */
  dir: string;
  /** Called with what happened at each refresh attempt (for the log). */
  onEvent?: (event: { kind: "loaded" | "busy" | "missing" | "error"; detail: string }) => void;
  /**
   * Runs the copy while nothing else in this process has the warehouse
   * open: the landing queue's `exclusive`. Default: runs it at once.
   */
  exclusive?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The coalescing model to index at each snapshot (`serve.coalesce`); none: nothing indexed. */
  coalesce?: CoalesceSpec;
}

async function mtimeOf(path: string): Promise<number | undefined> {
  let latest: number | undefined;
  for (const p of [path, `${path}.wal`]) {
    try {
      const s = await stat(p);
      latest = Math.max(latest ?? 0, s.mtimeMs);
    } catch { /* absent */ }
  }
  return latest;
}

/** Keeps a current snapshot of a warehouse file; see the module doc. */
export class SnapshotManager {
  #current: Snapshot = { landed: new Map() };
  #lastError: unknown;
  #generation = 0;
  #timer?: ReturnType<typeof setInterval>;
  #refreshing?: Promise<boolean>;
  #dir?: Promise<OwnedDir>;
  /** Earlier snapshots still open for requests in flight, closed a few seconds later. */
  #retired = new Map<Snapshot, ReturnType<typeof setTimeout>>();

  /** The warehouse file: snapshots are copies of it. */
  readonly warehouse: string;

  /**
   * Keeps snapshots of the warehouse `warehouse` names.
   *
   * @throws {WarehouseTargetError} when it is not a local file (MotherDuck, `:memory:`).
   */
  constructor(warehouse: string, readonly options: SnapshotOptions) {
    this.warehouse = requireLocalFile(
      warehouse,
      "Snapshots of the warehouse are copies of its file, taken between builds",
    );
  }

  /** The snapshot answering now. */
  get current(): Snapshot {
    return this.#current;
  }

  /**
   * Why the last copy taken could not be loaded (a model lacking a column
   * `serve.coalesce` names, say); undefined once one loads.
   */
  get lastError(): unknown {
    return this.#lastError;
  }

  /**
   * Takes a new snapshot when the warehouse changed since the last one.
   * Returns true when a new snapshot is in place; false when nothing
   * changed, there is no warehouse, or a writer holds it (then the old one
   * stays and a later refresh tries again).
   *
   * @throws {WarehouseVersionError} when a newer wharf wrote the warehouse.
   */
  refresh(): Promise<boolean> {
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refresh(): Promise<boolean> {
    const mtime = await mtimeOf(this.warehouse);
    if (mtime === undefined) {
      this.options.onEvent?.({
        kind: "missing",
        detail: `no warehouse at ${this.warehouse} yet: answering from upstreams only`,
      });
      return false;
    }
    if (mtime === this.#current.sourceMtime) return false;
    const generation = ++this.#generation;
    this.#dir ??= claimDir(this.options.dir);
    const dir = join((await this.#dir).path, String(generation));
    const copy = join(dir, "snapshot.duckdb");
    const exclusive = this.options.exclusive ?? ((fn) => fn());
    const copied = await exclusive(async () => {
      let source: Warehouse;
      try {
        source = await openWarehouse(this.warehouse, { readOnly: true });
      } catch (err) {
        const unreadable = err instanceof WarehouseVersionError; // not busy: never readable here
        this.options.onEvent?.({
          kind: unreadable ? "error" : "busy",
          detail: err instanceof Error ? err.message : String(err),
        });
        if (unreadable) throw err;
        return false;
      }
      try {
        await mkdir(dir, { recursive: true });
        await copyFile(this.warehouse, copy);
        await copyFile(`${this.warehouse}.wal`, `${copy}.wal`).catch(() => {});
        return true;
      } finally {
        source.close();
      }
    });
    if (!copied) return false;
    let db: Warehouse | undefined;
    try {
      db = await openWarehouse(copy, { readOnly: true });
      const { coalesce } = this.options;
      const landed = coalesce ? await loadLanded(db, coalesce) : new Map();
      const previous = this.#current;
      this.#current = { db, landed, takenAt: new Date(), sourceMtime: mtime };
      this.#lastError = undefined;
      this.options.onEvent?.({
        kind: "loaded",
        detail: `snapshot ${generation}${
          coalesce ? `: ${landed.size} ${coalesce.key} values in ${coalesce.model}` : ""
        }`,
      });
      // Requests in flight may still read the previous copy: let them finish.
      this.#retired.set(
        previous,
        setTimeout(() => {
          this.#retired.delete(previous);
          this.#dispose(previous);
        }, 5_000),
      );
      return true;
    } catch (err) {
      db?.close();
      this.#lastError = err;
      this.options.onEvent?.({
        kind: "error",
        detail: err instanceof Error ? err.message : String(err),
      });
      await rm(dir, { recursive: true, force: true });
      return false;
    }
  }

  async #dispose(snapshot: Snapshot): Promise<void> {
    if (!snapshot.db) return;
    const path = snapshot.db.path;
    snapshot.db.close();
    await rm(join(path, ".."), { recursive: true, force: true }).catch(() => {});
  }

  /** Polls the warehouse for changes every `intervalMs`. */
  watch(intervalMs = 1000): void {
    this.#timer = setInterval(() => this.refresh().catch(() => {}), intervalMs);
  }

  /** Stops polling, closes the snapshot and removes this server's copies. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#refreshing?.catch(() => {});
    for (const [snapshot, timer] of this.#retired) {
      clearTimeout(timer);
      await this.#dispose(snapshot);
    }
    this.#retired.clear();
    await this.#dispose(this.#current);
    this.#current = { landed: new Map() };
    await (await this.#dir?.catch(() => undefined))?.release();
    this.#dir = undefined;
  }
}
