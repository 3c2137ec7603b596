/**
 * Expanding what the user named (files, folders, globs, URLs) into the
 * list of deliveries to land.
 *
 * @module
 */
import { join, resolve, sep } from "node:path";
import { LandingError } from "../engine/errors.ts";

/** One delivery: a local path, or a URL to download. */
export type Input = { kind: "file"; path: string } | { kind: "url"; url: string };

/** Files a folder walk leaves out: hidden files and downloads in progress. */
export function isIgnored(name: string): boolean {
  return name.startsWith(".") || name.endsWith(".part") || name.endsWith(".tmp") ||
    name.endsWith(".crdownload");
}

/**
 * Lists the files under `dir`, sorted, following symbolic links: a link to
 * a folder is walked (a folder reached twice, as in a link loop, is walked
 * once); a link to a file, a broken link or a link loop is listed, and
 * landing it says what it is.
 *
 * @throws {LandingError} when a folder cannot be read.
 */
async function walk(dir: string, out: string[], visited = new Set<string>()): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    const real = await Deno.realPath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (err) {
    throw new LandingError(
      dir,
      `Cannot read folder "${dir}": ${
        err instanceof Deno.errors.PermissionDenied
          ? "permission denied"
          : err instanceof Error
          ? err.message
          : String(err)
      }`,
      { cause: err },
    );
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (isIgnored(e.name)) continue;
    const full = join(dir, e.name);
    const isDir = e.isDirectory ||
      (e.isSymlink && (await Deno.stat(full).catch(() => undefined))?.isDirectory);
    if (isDir) await walk(full, out, visited);
    else out.push(full);
  }
}

/** Converts a glob (`*`, `**`, `?`, `{a,b}`) to a regular expression over `/`-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      re += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += glob[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "{") {
      const end = glob.indexOf("}", i);
      if (end === -1) re += "\\{";
      else {
        re += `(?:${
          glob.slice(i + 1, end).split(",").map((p) => p.replace(/[.+^$()|[\]\\]/g, "\\$&")).join(
            "|",
          )
        })`;
        i = end;
      }
    } else re += c.replace(/[.+^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

/**
 * Expands arguments into inputs: URLs as they are, files as they are,
 * folders recursively (hidden and partial files left out, symbolic links
 * followed), globs by matching. Duplicates are removed.
 *
 * @throws {LandingError} for a path that does not exist or a glob that matches nothing.
 */
export async function expandInputs(args: readonly string[], cwd = Deno.cwd()): Promise<Input[]> {
  const out: Input[] = [];
  const seen = new Set<string>();
  const add = (i: Input) => {
    const key = i.kind === "url" ? i.url : i.path;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(i);
    }
  };
  for (const arg of args) {
    if (/^https?:\/\//i.test(arg)) {
      add({ kind: "url", url: arg });
      continue;
    }
    const path = resolve(cwd, arg);
    if (!/[*?{]/.test(arg)) {
      let stat: Deno.FileInfo;
      try {
        stat = await Deno.stat(path);
      } catch {
        // A broken link or a link loop is a file to report, not a missing argument.
        stat = await Deno.lstat(path).catch(() => {
          throw new LandingError(arg, `Cannot land "${arg}": no such file or folder`);
        });
      }
      if (stat.isDirectory) {
        const files: string[] = [];
        await walk(path, files);
        for (const f of files) add({ kind: "file", path: f });
      } else add({ kind: "file", path });
      continue;
    }
    const parts = path.split(sep);
    const firstGlob = parts.findIndex((p) => /[*?{]/.test(p));
    const base = parts.slice(0, firstGlob).join(sep) || sep;
    const re = globToRegExp(parts.slice(firstGlob).join("/"));
    const files: string[] = [];
    if (!(await Deno.stat(base).catch(() => undefined))?.isDirectory) {
      throw new LandingError(arg, `Cannot land "${arg}": folder "${base}" does not exist`);
    }
    await walk(base, files);
    const matched = files.filter((f) => re.test(f.slice(base.length + 1).split(sep).join("/")));
    if (matched.length === 0) {
      throw new LandingError(arg, `Cannot land "${arg}": the pattern matches no file`);
    }
    for (const f of matched) add({ kind: "file", path: f });
  }
  return out;
}
