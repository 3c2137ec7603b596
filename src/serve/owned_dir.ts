/**
 * Working folders of a running server (snapshots, uploads in progress)
 * that do not outlive it: each server claims `<parent>/<pid>-<random>` and
 * holds a lock on its `.lock` file while it runs. The operating system
 * drops the lock when the process dies however it dies, so the next server
 * removes every folder whose lock it can take: the leftovers of dead ones.
 *
 * @module
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";

/** A claimed folder: remove it with `release()`. */
export interface OwnedDir {
  path: string;
  /** Removes the folder and drops its lock. */
  release(): Promise<void>;
}

/** Removes the folders in `parent` left by processes that are gone; returns their names. */
export async function removeDeadDirs(parent: string): Promise<string[]> {
  const removed: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(parent));
  } catch {
    return removed;
  }
  for (const e of entries) {
    if (!e.isDirectory || e.name.startsWith(".")) continue; // being claimed
    const dir = join(parent, e.name);
    let lock: Deno.FsFile | undefined;
    try {
      lock = await Deno.open(join(dir, ".lock"), { read: true, write: true });
    } catch {
      // Folders of servers older than locks were named by their PID alone.
      if (/^\d+$/.test(e.name) && !(await processExists(Number(e.name)))) {
        await rm(dir, { recursive: true, force: true });
        removed.push(e.name);
      }
      continue;
    }
    try {
      if (await lock.tryLock(true)) {
        await rm(dir, { recursive: true, force: true });
        removed.push(e.name);
      }
    } finally {
      lock.close();
    }
  }
  return removed;
}

async function processExists(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch (err) {
    // Without /proc (not Linux) nothing can be told: keep the folder.
    return !(err instanceof Deno.errors.NotFound) || !(await Deno.stat("/proc/self").then(
      () => true,
      () => false,
    ));
  }
}

/** Claims a folder of this process in `parent`, after removing those of dead processes. */
export async function claimDir(parent: string): Promise<OwnedDir> {
  await mkdir(parent, { recursive: true });
  await removeDeadDirs(parent);
  const name = `${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  // Locked under a hidden name first, so no other server takes it for a dead one's.
  const claiming = join(parent, `.${name}`);
  await mkdir(claiming);
  const lock = await Deno.open(join(claiming, ".lock"), { read: true, write: true, create: true });
  await lock.lock(true);
  const path = join(parent, name);
  await Deno.rename(claiming, path);
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      await rm(path, { recursive: true, force: true });
      lock.close();
    },
  };
}
