/**
 * `wharf land --watch`: land files as they appear in folders. A file lands
 * once it has stopped changing for the debounce time (so a copy in progress
 * is not read half-written); names of partial downloads are ignored. The
 * warehouse is held only while a file lands, so `build` can run meanwhile.
 *
 * @module
 */
import { basename, resolve } from "node:path";
import type { ResolvedConfig } from "../config.ts";
import { openWarehouse } from "../db/warehouse.ts";
import { LandingError } from "../errors.ts";
import { expandInputs, isIgnored } from "./inputs.ts";
import { type LandOptions, landPlanned, matchInputs } from "./land.ts";

/** Options of {@linkcode watchAndLand}. */
export interface WatchOptions extends LandOptions {
  /** Folder the given paths are relative to. */
  cwd?: string;
  /** How long a file must stay unchanged before it lands, in ms. */
  debounceMs: number;
  /** Stops watching when aborted. */
  signal: AbortSignal;
}

/**
 * Lands what is already in `folders`, then every file that appears or
 * changes, until `signal` aborts. Files matching no source are reported
 * (as failed outcomes) and left alone.
 */
export async function watchAndLand(
  config: ResolvedConfig,
  folders: readonly string[],
  options: WatchOptions,
): Promise<void> {
  const dirs = folders.map((f) => resolve(options.cwd ?? Deno.cwd(), f));
  for (const d of dirs) {
    if (!(await Deno.stat(d).catch(() => undefined))?.isDirectory) {
      throw new LandingError(d, `Cannot watch "${d}": not a folder`);
    }
  }
  const landFiles = async (paths: readonly string[]) => {
    const { planned, unmatched } = matchInputs(
      config,
      paths.map((path) => ({ kind: "file", path })),
      options.source,
    );
    for (const u of unmatched) {
      options.onFile?.({
        file: u.name,
        source: "",
        status: "failed",
        rows: 0,
        rejectedRows: 0,
        size: 0,
        message: u.message.split("\n")[0],
        durationMs: 0,
      });
    }
    if (planned.length === 0) return;
    // The warehouse is opened per landing, so builds can run while we watch.
    const wh = await openWarehouse(options.db ?? config.warehouse, {
      holder: "wharf land --watch",
    });
    try {
      await landPlanned(wh, config, planned, options);
    } finally {
      wh.close();
    }
  };
  // Files land one at a time, in the order they settle.
  let queue = Promise.resolve();
  const enqueue = (path: string) => {
    queue = queue.then(() => landFiles([path])).catch((err) =>
      console.error(`error: ${err instanceof Error ? err.message : err}`)
    );
  };
  try {
    const existing = await expandInputs(dirs);
    await landFiles(existing.flatMap((i) => i.kind === "file" ? [i.path] : []));
    const watcher = Deno.watchFs(dirs, { recursive: true });
    options.signal.addEventListener("abort", () => watcher.close(), { once: true });
    const pending = new Map<
      string,
      { timer: ReturnType<typeof setTimeout>; size: number; mtime: number }
    >();
    const settle = async (path: string) => {
      const stat = await Deno.stat(path).catch(() => undefined);
      const prev = pending.get(path);
      if (!stat?.isFile || !prev) {
        pending.delete(path);
        return;
      }
      const mtime = stat.mtime?.getTime() ?? 0;
      if (stat.size === prev.size && mtime === prev.mtime) {
        pending.delete(path);
        enqueue(path);
      } else {
        pending.set(path, {
          timer: setTimeout(() => settle(path), options.debounceMs),
          size: stat.size,
          mtime,
        });
      }
    };
    for await (const event of watcher) {
      if (event.kind !== "create" && event.kind !== "modify" && event.kind !== "rename") continue;
      for (const path of event.paths) {
        if (isIgnored(basename(path))) continue;
        const prev = pending.get(path);
        if (prev) clearTimeout(prev.timer);
        const stat = await Deno.stat(path).catch(() => undefined);
        if (!stat?.isFile) continue;
        pending.set(path, {
          timer: setTimeout(() => settle(path), options.debounceMs),
          size: stat.size,
          mtime: stat.mtime?.getTime() ?? 0,
        });
      }
    }
    for (const p of pending.values()) clearTimeout(p.timer);
  } finally {
    await queue;
  }
}
