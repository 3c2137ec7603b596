/**
 * Living with builds. DuckDB lets one process write a database file, and
 * `build`/`land` must be able to run while the API answers. So the server
 * never holds the warehouse: when the file changes it briefly opens it
 * read-only (which waits for no one and fails fast while a writer holds
 * it), copies it to a snapshot, and answers from that copy — and from an
 * in-memory index of `marts.member_benefits` — until the next change. While
 * a build runs, the last good snapshot keeps answering.
 *
 * @module
 */
import { copyFile, mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { openWarehouse, type Warehouse } from "../db/warehouse.ts";
import type { Benefits } from "./strategies.ts";

/** One source's landed figures for a member. */
export interface LandedBenefits {
  source: string;
  values: Benefits;
  asOf: string | null;
}

/** A consistent copy of the warehouse and what the API indexes from it. */
export interface Snapshot {
  /** Read-only connection to the copy, or undefined when there is no warehouse yet. */
  db?: Warehouse;
  /** member_id → landed figures per source. */
  benefits: Map<string, LandedBenefits[]>;
  /** When the copy was taken. */
  takenAt?: Date;
  /** The warehouse file's modification time the copy reflects. */
  sourceMtime?: number;
}

/** Options of {@linkcode SnapshotManager}. */
export interface SnapshotOptions {
  /** Folder for the copies. */
  dir: string;
  /** Called with what happened at each refresh attempt (for the log). */
  onEvent?: (event: { kind: "loaded" | "busy" | "missing" | "error"; detail: string }) => void;
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

/** Loads `marts.member_benefits` into a map, if the mart exists. */
export async function loadBenefits(db: Warehouse): Promise<Map<string, LandedBenefits[]>> {
  const map = new Map<string, LandedBenefits[]>();
  const exists = await db.query(
    "SELECT 1 FROM information_schema.tables WHERE table_schema = 'marts' AND table_name = 'member_benefits'",
  );
  if (exists.length === 0) return map;
  const c = await db.columns(
    "SELECT member_id, source, oop_max::DOUBLE AS oop_max, remaining_oop_max::DOUBLE AS remaining_oop_max, copay::DOUBLE AS copay, as_of::VARCHAR AS as_of FROM marts.member_benefits WHERE member_id IS NOT NULL AND oop_max IS NOT NULL AND remaining_oop_max IS NOT NULL AND copay IS NOT NULL",
  );
  const ids = c.member_id as string[];
  for (let i = 0; i < ids.length; i++) {
    const entry: LandedBenefits = {
      source: String(c.source![i]),
      values: {
        oop_max: Number(c.oop_max![i]),
        remaining_oop_max: Number(c.remaining_oop_max![i]),
        copay: Number(c.copay![i]),
      },
      asOf: (c.as_of![i] as string | null) ?? null,
    };
    const list = map.get(ids[i]!);
    if (list) list.push(entry);
    else map.set(ids[i]!, [entry]);
  }
  return map;
}

/** Keeps a current snapshot of a warehouse file; see the module doc. */
export class SnapshotManager {
  #current: Snapshot = { benefits: new Map() };
  #generation = 0;
  #timer?: ReturnType<typeof setInterval>;
  #refreshing?: Promise<boolean>;

  constructor(readonly warehouse: string, readonly options: SnapshotOptions) {}

  /** The snapshot answering now. */
  get current(): Snapshot {
    return this.#current;
  }

  /**
   * Takes a new snapshot when the warehouse changed since the last one.
   * Returns true when a new snapshot is in place; false when nothing
   * changed, there is no warehouse, or a writer holds it (then the old one
   * stays and a later refresh tries again).
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
    const dir = join(this.options.dir, String(generation));
    const copy = join(dir, "snapshot.duckdb");
    let source: Warehouse;
    try {
      source = await openWarehouse(this.warehouse, { readOnly: true });
    } catch (err) {
      this.options.onEvent?.({
        kind: "busy",
        detail: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
    try {
      await mkdir(dir, { recursive: true });
      await copyFile(this.warehouse, copy);
      await copyFile(`${this.warehouse}.wal`, `${copy}.wal`).catch(() => {});
    } finally {
      source.close();
    }
    let db: Warehouse | undefined;
    try {
      db = await openWarehouse(copy, { readOnly: true });
      const benefits = await loadBenefits(db);
      const previous = this.#current;
      this.#current = { db, benefits, takenAt: new Date(), sourceMtime: mtime };
      this.options.onEvent?.({
        kind: "loaded",
        detail: `snapshot ${generation}: ${benefits.size} members with landed benefits`,
      });
      // Requests in flight may still read the previous copy: let them finish.
      setTimeout(() => this.#dispose(previous), 5_000);
      return true;
    } catch (err) {
      db?.close();
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

  /** Stops polling and closes the snapshot. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#refreshing?.catch(() => {});
    await this.#dispose(this.#current);
    this.#current = { benefits: new Map() };
  }
}
