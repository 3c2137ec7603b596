/**
 * Staging a delivery for landing: DuckDB reads it through a path of
 * wharf's own (a hard link, else a symbolic link, in a staging folder), so a
 * name with glob characters (`in[1]/a.csv`, `b*.csv`) is never read as a
 * pattern, and a hard link keeps the bytes that were staged even when the
 * delivery is replaced meanwhile. The file's identity (device, inode, size
 * and modification time) is taken when it is staged and checked again
 * before its landing commits: a file that changed while it was read is not
 * landed with what was read of it. Its change time is not part of it: a
 * new hard link (another `land` staging the same delivery) or a `chmod`
 * changes it and not the bytes.
 *
 * @module
 */
import { join } from "node:path";

/** The staged file changed while it was landing (internal: the landing is retried). */
export class FileChanged extends Error {
  constructor(readonly detail: string) {
    super(`the file changed while it was being landed (${detail})`);
  }
}

/** A delivery staged for reading; dispose of it to remove the staging folder. */
export interface StagedFile extends AsyncDisposable {
  /** A path of wharf's own, without glob characters, to the delivery's bytes. */
  path: string;
  /** A folder for this landing's work files. */
  dir: string;
  /** The file's size when staged. */
  size: number;
  /**
   * Checks that the file is still what was staged.
   *
   * @throws {FileChanged} when it is not.
   */
  verify(): Promise<void>;
}

/** What makes a staged file the same file: device, inode, size and modification time. */
interface Identity {
  dev: number;
  ino: number | null;
  size: number;
  mtime: number | undefined;
}

function identity(stat: Deno.FileInfo): Identity {
  return { dev: stat.dev, ino: stat.ino, size: stat.size, mtime: stat.mtime?.getTime() };
}

/** How `now` differs from `was`, in words; undefined when it does not. */
function change(was: Identity, now: Identity): string | undefined {
  if (was.dev !== now.dev || was.ino !== now.ino) return "another file was put in its place";
  if (was.size !== now.size) return `${was.size} bytes when staged, ${now.size} now`;
  if (was.mtime !== now.mtime) {
    return `written again: modified ${
      now.mtime === undefined ? "at an unknown time" : new Date(now.mtime).toISOString()
    }, ${was.size} bytes as when staged`;
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes staging folders left by processes that are gone (a killed
 * `land`): on Linux, those whose process no longer exists; elsewhere, those
 * older than a day.
 */
export async function cleanStaging(root: string): Promise<void> {
  const procfs = await Deno.stat("/proc/self").then(() => true, () => false);
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(root));
  } catch {
    return;
  }
  for (const e of entries) {
    const pid = Number(/^(\d+)-/.exec(e.name)?.[1]);
    if (!pid || pid === Deno.pid) continue;
    const stale = procfs ? !alive(pid) : Date.now() -
        ((await Deno.stat(join(root, e.name)).catch(() => undefined))?.mtime?.getTime() ??
          Date.now()) > 86_400_000;
    if (stale) await Deno.remove(join(root, e.name), { recursive: true }).catch(() => {});
  }
}

/**
 * Stages `path` in a new folder under `root` (the system's temporary folder
 * when `root` cannot be written).
 *
 * @throws the file system's error when `path` cannot be read (missing,
 * permission denied, a symbolic-link loop, a folder).
 */
export async function stageFile(path: string, root?: string): Promise<StagedFile> {
  const real = await Deno.realPath(path);
  const before = await Deno.stat(real);
  if (before.isDirectory) throw new Deno.errors.IsADirectory(`"${path}" is a folder`);
  if (!before.isFile) {
    // Opening a FIFO would wait for a writer forever.
    throw new Error("it is not a regular file (a FIFO, socket or device)");
  }
  // Fail now, not in DuckDB, when the file cannot be read.
  (await Deno.open(real)).close();
  let dir: string | undefined;
  if (root !== undefined) {
    try {
      await Deno.mkdir(root, { recursive: true });
      dir = await Deno.makeTempDir({ dir: root, prefix: `${Deno.pid}-` });
    } catch {
      dir = undefined;
    }
  }
  dir ??= await Deno.makeTempDir({ prefix: `wharf_staging_${Deno.pid}-` });
  const staged = join(dir, "delivery");
  try {
    await Deno.link(real, staged);
  } catch {
    await Deno.symlink(real, staged);
  }
  const staged0 = await Deno.stat(staged);
  const was = identity(staged0);
  return {
    path: staged,
    dir,
    size: staged0.size,
    async verify() {
      const now = await Deno.stat(staged).catch(() => undefined);
      const changed = now ? change(was, identity(now)) : "it is gone";
      if (changed) throw new FileChanged(changed);
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir!, { recursive: true }).catch(() => {});
    },
  };
}
