/**
 * Looking at a delivered file before landing it: compression, format
 * (`formats/`), binary or empty content, text encoding, delimiter and
 * header.
 *
 * @module
 */
import { LandingError } from "../engine/errors.ts";
import type { FileInfo } from "./formats/format.ts";
import { findFormat, type FormatName, formatOfName, FORMATS } from "./formats/index.ts";
import type { Source } from "./sources.ts";

export type { FileInfo } from "./formats/format.ts";

/** The format a file name implies, ignoring a trailing `.gz`. */
export function formatFromName(name: string): FormatName | undefined {
  return formatOfName(name)?.name;
}

/**
 * Looks at the start of `path` (named `name` in messages) and decides how
 * to read it.
 *
 * @throws {LandingError} for an empty, binary, UTF-16, non-gzip or headerless
 * file, or one whose format cannot be told.
 */
export async function inspectFile(path: string, name: string, source: Source): Promise<FileInfo> {
  const stat = await Deno.stat(path);
  if (stat.size === 0) throw new LandingError(name, `Cannot land "${name}": the file is empty`);
  const head = new Uint8Array(4);
  {
    using f = await Deno.open(path);
    await f.read(head);
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const format = source.format ? findFormat(source.format) : formatOfName(name);
  if (!format) {
    const extensions = FORMATS.flatMap((f) => f.extensions);
    throw new LandingError(
      name,
      `Cannot tell the format of "${name}": use a ${extensions.slice(0, -1).join(", ")} or ${
        extensions.at(-1)
      } name (optionally .gz), or set "format" on source "${source.name}"`,
    );
  }
  return { format: format.name, ...await format.inspect({ path, name, source, head, gzip }) };
}
