/**
 * Who holds the warehouse: DuckDB lets one process write a file (or several
 * read it), and its lock error names only a program and a PID. A command that
 * opens the warehouse records itself in a small JSON file under `.wharf/holders/`
 * beside the warehouse while it has it open, so a command that cannot open it
 * can say which command holds it and since when.
 *
 * Records are best effort (a folder that cannot be written records nothing) and
 * one per process, named by PID. A record is believed only when DuckDB's lock
 * error names the same PID and program, so one left behind by a killed process
 * is never reported; a writer that opens the warehouse removes such leftovers.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";

/** What a holder record says about the process holding a warehouse. */
export interface HolderRecord {
  /** The command, e.g. `wharf build`. */
  command: string;
  pid: number;
  /** The holder's executable, as DuckDB names it in its lock error. */
  program: string;
  /** When it opened the warehouse (ISO 8601). */
  since: string;
  /** Whether it opened the warehouse read-only. */
  readOnly: boolean;
}

function holdersDir(db: string): string {
  return join(dirname(resolve(db)), ".wharf", "holders");
}

function recordPath(db: string, pid: number): string {
  return join(holdersDir(db), `${basename(db)}.${pid}.json`);
}

/**
 * Records that this process holds the warehouse at `db` for `command`, and
 * returns the function that removes the record (call it on close). A writer
 * also removes the records other processes left behind: while it holds the
 * file nobody else can.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findHolder, registerHolder } from "./register_holder.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const release = registerHolder(`${dir}/warehouse.duckdb`, "wharf build", { readOnly: false });
 * try {
 *   const held = await findHolder(`${dir}/warehouse.duckdb`, Deno.pid, Deno.execPath());
 *   assert.equal(held?.command, "wharf build");
 * } finally {
 *   release();
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function registerHolder(
  db: string,
  command: string,
  options: { readOnly: boolean },
): () => void {
  const path = recordPath(db, Deno.pid);
  const record: HolderRecord = {
    command,
    pid: Deno.pid,
    program: Deno.execPath(),
    since: new Date().toISOString(),
    readOnly: options.readOnly,
  };
  try {
    Deno.mkdirSync(holdersDir(db), { recursive: true });
    if (!options.readOnly) removeOthers(db);
    Deno.writeTextFileSync(path, JSON.stringify(record));
  } catch {
    return () => {};
  }
  return () => {
    try {
      Deno.removeSync(path);
    } catch {
      // Already gone (or never written): nothing to release.
    }
  };
}

function removeOthers(db: string): void {
  const name = basename(db);
  for (const entry of Deno.readDirSync(holdersDir(db))) {
    const pid = entry.name.startsWith(`${name}.`) && entry.name.endsWith(".json")
      ? entry.name.slice(name.length + 1, -".json".length)
      : "";
    if (/^\d+$/.test(pid) && Number(pid) !== Deno.pid) {
      Deno.removeSync(join(holdersDir(db), entry.name));
    }
  }
}

/**
 * The record of the process DuckDB says holds `db` (`pid`, running
 * `program`), or undefined when there is none or it belongs to another
 * process that had the same PID.
 */
export async function findHolder(
  db: string,
  pid: number,
  program: string,
): Promise<HolderRecord | undefined> {
  let record: HolderRecord;
  try {
    record = JSON.parse(await Deno.readTextFile(recordPath(db, pid)));
  } catch {
    return undefined;
  }
  return record.pid === pid && basename(record.program) === basename(program) ? record : undefined;
}

/**
 * Says who holds the warehouse and for how long, for an error message:
 * `` `wharf build` (PID 4242) has been writing to it since 14:03:07 (2 min 5 s) ``.
 */
export function describeHolder(record: HolderRecord, now = new Date()): string {
  const since = new Date(record.since);
  const sameDay = since.toDateString() === now.toDateString();
  const clock = since.toLocaleTimeString("en-GB", { hour12: false });
  const day = [since.getFullYear(), since.getMonth() + 1, since.getDate()]
    .map((n) => String(n).padStart(2, "0")).join("-");
  const when = sameDay ? clock : `${day} ${clock}`;
  const doing = record.readOnly ? "has had it open (read-only)" : "has been writing to it";
  return `\`${record.command}\` (PID ${record.pid}) ${doing} since ${when} (${
    duration(now.getTime() - since.getTime())
  })`;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}
