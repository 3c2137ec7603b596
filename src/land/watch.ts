/**
 * `wharf land --watch`: land files as they appear in folders, each only
 * once it is complete:
 *
 * - a file renamed (or moved) into the folder is complete at once — the
 *   way a careful writer delivers (`x.csv.part` → `x.csv`);
 * - any other file once its size and modification time stayed the same for
 *   the settle interval and, where the system tells (Linux `/proc`), no
 *   process still has it open for writing — so a writer that pauses
 *   mid-file does not get half a file landed.
 *
 * Names of partial downloads and hidden files are ignored. Landings go
 * through a {@linkcode LandingQueue}, one at a time; the warehouse is held
 * only while a file lands, so `build` can run meanwhile, and a file that
 * finds the warehouse held waits for it.
 *
 * @module
 */
import { basename, resolve, sep } from "node:path";
import type { LandConfig } from "./config.ts";
import { openWarehouse } from "../engine/db/warehouse.ts";
import { LandingError } from "../engine/errors.ts";
import { expandInputs, isIgnored } from "./inputs.ts";
import {
  type LandOptions,
  landPlanned,
  matchInputs,
  recordUnmatched,
  warehouseFileReason,
} from "./land.ts";
import type { FileOutcome } from "./land_file.ts";
import { LandingQueue } from "./landing_queue.ts";

/** Options of {@linkcode watchAndLand}. */
export interface WatchOptions extends LandOptions {
  /** Folder the given paths are relative to. */
  cwd?: string;
  /** How long a file's size and modification time must stay unchanged before it lands, in ms. */
  settleMs: number;
  /** Stops watching when aborted. */
  signal: AbortSignal;
  /** Called when a file waits for the warehouse, held by another process. */
  onWaiting?: (file: string, message: string) => void;
}

/**
 * The files some process has open for writing, by real path, from Linux's
 * `/proc`; undefined where that cannot be read. Processes of other users are
 * invisible without privileges: their files count as not being written.
 */
export async function filesOpenForWriting(): Promise<Set<string> | undefined> {
  const out = new Set<string>();
  let procs: Deno.DirEntry[];
  try {
    procs = await Array.fromAsync(Deno.readDir("/proc"));
  } catch {
    return undefined;
  }
  for (const proc of procs) {
    if (!/^\d+$/.test(proc.name)) continue;
    let fds: Deno.DirEntry[];
    try {
      fds = await Array.fromAsync(Deno.readDir(`/proc/${proc.name}/fd`));
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of fds) {
      try {
        const target = Deno.readLinkSync(`/proc/${proc.name}/fd/${fd.name}`);
        if (!target.startsWith("/")) continue; // sockets, pipes
        const info = Deno.readTextFileSync(`/proc/${proc.name}/fdinfo/${fd.name}`);
        const flags = parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? "0", 8);
        if ((flags & 3) !== 0) out.add(target); // O_WRONLY or O_RDWR
      } catch { /* closed meanwhile */ }
    }
  }
  return out;
}

/** Whether some process has `path` open for writing (false where that cannot be known). */
async function beingWritten(path: string, open?: Set<string>): Promise<boolean> {
  const writing = open ?? await filesOpenForWriting();
  if (!writing?.size) return false;
  return writing.has(await Deno.realPath(path).catch(() => path));
}

/**
 * Whether a folder walk leaves `path` out: its name, or the name of a
 * folder between it and the watched folder, is hidden or partial (see
 * {@linkcode isIgnored}), as wharf's own `.wharf/` (the warehouse's holder
 * records, staging) is.
 */
function walkSkips(path: string, dirs: readonly string[]): boolean {
  const dir = dirs.find((d) => path.startsWith(d + sep));
  const parts = (dir ? path.slice(dir.length + 1) : basename(path)).split(sep);
  return parts.some(isIgnored);
}

/**
 * Lands what is already in `folders`, then every file that appears or
 * changes, each once complete (see the module doc), until `signal` aborts.
 * A file that cannot be landed as named (it matches no source, or its name
 * does not give what its source needs) is reported and recorded in the
 * manifest as `failed`, with the reason and the known sources, and left
 * alone; renamed, it lands. The warehouse's own files in a watched folder
 * are left alone, noted once ({@linkcode LandOptions.onIgnored}).
 *
 * @throws {LandingError} when a path is a file, not a folder (a folder that
 * does not exist yet is created).
 */
export async function watchAndLand(
  config: LandConfig,
  folders: readonly string[],
  options: WatchOptions,
): Promise<void> {
  const dirs = folders.map((f) => resolve(options.cwd ?? Deno.cwd(), f));
  for (const d of dirs) {
    const stat = await Deno.stat(d).catch(() => undefined);
    // A drop folder that does not exist yet is made, and watched from the start.
    if (!stat) await Deno.mkdir(d, { recursive: true });
    else if (!stat.isDirectory) {
      throw new LandingError(d, `Cannot watch "${d}": not a folder`);
    }
  }
  // A watcher waits for a build however long it takes, so no file is given up.
  const queue = new LandingQueue({
    busyRetryMs: Infinity,
    onBusy: (job, message) => options.onWaiting?.(job.label, message),
  });
  const db = options.db ?? config.warehouse;
  const noted = new Set<string>();
  /** The warehouse's own files are no delivery: noted once, then left alone. */
  const isWarehouseFile = (path: string) => {
    const reason = warehouseFileReason(path, db);
    if (reason && !noted.has(path)) {
      noted.add(path);
      options.onIgnored?.({ file: path, reason });
    }
    return reason !== undefined;
  };
  const landing = new Set<string>();
  const land = (all: readonly string[]) => {
    const paths = all.filter((p) => !isWarehouseFile(p));
    const { planned, unmatched } = matchInputs(
      config,
      paths.map((path) => ({ kind: "file", path })),
      options.source,
    );
    if (planned.length === 0 && unmatched.length === 0) return;
    for (const p of paths) landing.add(p);
    const job = queue.submit(paths.map((p) => basename(p)).join(", "), async () => {
      // The warehouse is opened per landing, so builds can run while we watch.
      const wh = await openWarehouse(db, { holder: "wharf land --watch" });
      try {
        const outcomes: FileOutcome[] = [];
        for (const u of unmatched) {
          const outcome = await recordUnmatched(wh, u, options.source);
          outcomes.push(outcome);
          options.onFile?.(outcome);
        }
        if (planned.length) outcomes.push(...await landPlanned(wh, config, planned, options));
        return outcomes;
      } finally {
        wh.close();
      }
    });
    job.settled.then(() => {
      for (const p of paths) landing.delete(p);
      if (job.state === "failed" && !options.signal.aborted) {
        console.error(
          `error: ${job.error instanceof Error ? job.error.message : String(job.error)}`,
        );
      }
    });
  };

  const pending = new Map<
    string,
    { timer: ReturnType<typeof setTimeout>; size: number; mtime: number }
  >();
  const arm = (path: string, stat: Deno.FileInfo) => {
    const prev = pending.get(path);
    if (prev) clearTimeout(prev.timer);
    pending.set(path, {
      timer: setTimeout(() => settle(path), options.settleMs),
      size: stat.size,
      mtime: stat.mtime?.getTime() ?? 0,
    });
  };
  const settle = async (path: string) => {
    const prev = pending.get(path);
    const stat = await Deno.stat(path).catch(() => undefined);
    if (!prev || pending.get(path) !== prev) return; // re-armed meanwhile
    if (!stat?.isFile) {
      pending.delete(path);
      return;
    }
    if (stat.size !== prev.size || (stat.mtime?.getTime() ?? 0) !== prev.mtime) {
      arm(path, stat);
      return;
    }
    if (await beingWritten(path)) {
      if (pending.get(path) === prev) arm(path, stat);
      return;
    }
    if (pending.get(path) !== prev) return;
    pending.delete(path);
    if (!landing.has(path)) land([path]);
  };

  const watcher = Deno.watchFs(dirs, { recursive: true });
  const stop = () => watcher.close();
  options.signal.addEventListener("abort", stop, { once: true });
  // Stopped while it was starting (a SIGTERM right after "Watching"): no event will come.
  if (options.signal.aborted) stop();
  try {
    // What is already there: complete files land together, in landing order;
    // a file still being written waits like a new one.
    const ready: string[] = [];
    const writing = await filesOpenForWriting();
    for (const input of await expandInputs(dirs)) {
      if (input.kind !== "file") continue;
      const stat = await Deno.stat(input.path);
      const age = Date.now() - (stat.mtime?.getTime() ?? 0);
      if (isWarehouseFile(input.path)) continue;
      if (age < options.settleMs || await beingWritten(input.path, writing)) {
        arm(input.path, stat);
      } else ready.push(input.path);
    }
    if (ready.length) land(ready);
    for await (const event of watcher) {
      if (event.kind !== "create" && event.kind !== "modify" && event.kind !== "rename") continue;
      for (const path of event.paths) {
        if (walkSkips(path, dirs) || landing.has(path) || isWarehouseFile(path)) continue;
        const stat = await Deno.stat(path).catch(() => undefined);
        if (!stat?.isFile) continue;
        if (event.kind === "rename") {
          // Renamed into place: the writer says it is complete.
          const prev = pending.get(path);
          if (prev) clearTimeout(prev.timer);
          pending.delete(path);
          land([path]);
        } else arm(path, stat);
      }
    }
  } finally {
    options.signal.removeEventListener("abort", stop);
    for (const p of pending.values()) clearTimeout(p.timer);
    pending.clear();
    await queue.close();
  }
}
