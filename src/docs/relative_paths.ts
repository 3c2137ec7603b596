/**
 * Keeps absolute paths out of what the docs publish: a path inside the
 * project becomes relative to the project root, any other absolute path
 * (a landing folder elsewhere, a temp dir, the server's home) becomes its
 * file name. Applied to every string of the manifest: SQL as compiled,
 * lineage values of sample rows (`_file`), run and landing messages.
 *
 * @module
 */
/** What may stand right before an absolute path: start, space, quote, bracket, `=`, `,`, `file://`. */
const BEFORE = String.raw`(?<=^|[\s'"\x60(\[=,]|file://)`;
/** Characters that end a path. */
const END = String.raw`\s'"\x60()\[\],;`;
// An absolute POSIX path of two segments or more (`/srv/in/a.csv`), or a
// Windows one (`C:\in\a.csv`). `https://host/a/b` does not match: its path
// follows the host, which is none of BEFORE.
const ABSOLUTE = new RegExp(
  `${BEFORE}(?:/[^${END}/]+(?:/[^${END}/]+)+|[A-Za-z]:[\\\\/][^${END}]+)`,
  "g",
);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * Rewrites the absolute paths in `text`; see the module doc.
 *
 * @param text any string
 * @param root the project root (absolute)
 * @param options `projectOnly`: only rewrite paths inside the project (for
 *   text people wrote, where `/api/models/x` is a route, not a file)
 * @returns `text` with no absolute path left in it (none into the project
 *   with `projectOnly`)
 * @example
 * ```ts
 * import { relativePathsIn } from "./relative_paths.ts";
 * relativePathsIn("read_csv('/p/models/seeds/a.csv') or /srv/in/b.csv", "/p");
 * // "read_csv('models/seeds/a.csv') or b.csv"
 * ```
 */
export function relativePathsIn(
  text: string,
  root: string,
  options: { projectOnly?: boolean } = {},
): string {
  if (!text.includes("/") && !text.includes("\\")) return text;
  const inRoot = new RegExp(
    `${BEFORE}${escapeRegExp(root.replace(/[\\/]+$/, ""))}(?:[\\\\/]|(?=$|[${END}:]))`,
    "g",
  );
  const relative = text.replace(inRoot, (m) => (m.endsWith("/") || m.endsWith("\\") ? "" : "."));
  return options.projectOnly
    ? relative
    : relative.replace(ABSOLUTE, (path) => path.split(/[\\/]/).pop() || ".");
}

/**
 * Returns a copy of `value` (plain JSON data) in which every string has gone
 * through {@linkcode relativePathsIn}: fully, except under the keys named in
 * `prose` (written by people: names, descriptions), where only paths into
 * the project are rewritten.
 *
 * @param value JSON-like data (objects, arrays, strings, numbers, booleans, null)
 * @param root the project root (absolute)
 * @param prose keys whose strings people wrote
 * @returns the same data without absolute paths
 * @example
 * ```ts
 * import { relativePaths } from "./relative_paths.ts";
 * relativePaths({ sql: "read_csv('/p/a.csv')", name: "GET /api/x/y" }, "/p", ["name"]);
 * // { sql: "read_csv('a.csv')", name: "GET /api/x/y" }
 * ```
 */
export function relativePaths<T>(value: T, root: string, prose: readonly string[] = []): T {
  const walk = (v: unknown, projectOnly: boolean): unknown => {
    if (typeof v === "string") return relativePathsIn(v, root, { projectOnly });
    if (Array.isArray(v)) return v.map((x) => walk(x, projectOnly));
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v).map((
          [k, x],
        ) => [relativePathsIn(k, root), walk(x, projectOnly || prose.includes(k))]),
      );
    }
    return v;
  };
  return walk(value, false) as T;
}
