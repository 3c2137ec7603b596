/**
 * Where a warehouse (or an attached database) lives, as the user writes it:
 * a local DuckDB file (a path, relative to the project root), `:memory:`,
 * a MotherDuck database (`md:<database>`) or a DuckLake (`ducklake:<metadata
 * file>`, or `ducklake:<other catalog>` such as `ducklake:postgres:…`).
 * Pure: nothing is opened here (see `db/target.ts` for that).
 *
 * @module
 */
import { basename, extname, resolve } from "node:path";
import { ConfigError } from "./errors.ts";

/** A warehouse or attached database, classified. */
export type TargetSpec =
  | { kind: "file"; spec: string; path: string }
  | { kind: "memory"; spec: ":memory:" }
  | { kind: "motherduck"; spec: string; database: string }
  | { kind: "ducklake"; spec: string; metadata: string };

/** A `<scheme>:` prefix, as DuckDB reads one (two or more letters; `C:` is a drive). */
const SCHEME = /^([a-z][a-z0-9_]+):/i;

/**
 * Classifies `spec` and makes a local path absolute against `root` (the
 * metadata file of a DuckDB-backed DuckLake too).
 *
 * @throws {ConfigError} for a scheme wharf does not know.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTargetSpec } from "./target_spec.ts";
 *
 * assert.deepEqual(parseTargetSpec("lake.duckdb", "/p"), {
 *   kind: "file",
 *   spec: "/p/lake.duckdb",
 *   path: "/p/lake.duckdb",
 * });
 * assert.equal(parseTargetSpec("md:my_db", "/p").kind, "motherduck");
 * assert.equal(parseTargetSpec("ducklake:meta.ducklake", "/p").spec, "ducklake:/p/meta.ducklake");
 * ```
 */
export function parseTargetSpec(spec: string, root: string): TargetSpec {
  if (spec === ":memory:") return { kind: "memory", spec };
  const scheme = SCHEME.exec(spec)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const path = resolve(root, spec);
    return { kind: "file", spec: path, path };
  }
  const rest = spec.slice(scheme.length + 1);
  if (scheme === "md" || scheme === "motherduck") {
    const database = rest.replace(/\?.*$/, "");
    return { kind: "motherduck", spec: `md:${rest}`, database };
  }
  if (scheme === "ducklake") {
    // `ducklake:postgres:…`, `ducklake:sqlite:…`: another catalog database, as written.
    const metadata = SCHEME.test(rest) ? rest : resolve(root, rest);
    return { kind: "ducklake", spec: `ducklake:${metadata}`, metadata };
  }
  throw new ConfigError(
    `Unknown kind of warehouse "${spec}": wharf opens a local DuckDB file (a path such as warehouse.duckdb), md:<database> (MotherDuck) or ducklake:<metadata file> (DuckLake)`,
  );
}

/** `spec` with a local path made absolute against `root` (see {@linkcode parseTargetSpec}). */
export function resolveTargetSpec(spec: string, root: string): string {
  return parseTargetSpec(spec, root).spec;
}

/**
 * The catalog DuckDB names the database `spec` opens after: a file's base
 * name, `memory`, a MotherDuck database's name (a DuckLake's metadata
 * file's base name, though wharf attaches a DuckLake under an alias).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { catalogOfSpec } from "./target_spec.ts";
 *
 * assert.equal(catalogOfSpec("data/dev.duckdb", "/p"), "dev");
 * assert.equal(catalogOfSpec(":memory:", "/p"), "memory");
 * ```
 */
export function catalogOfSpec(spec: string, root: string): string {
  const parsed = parseTargetSpec(spec, root);
  switch (parsed.kind) {
    case "memory":
      return "memory";
    case "motherduck":
      return parsed.database;
    case "file":
      return basename(parsed.path, extname(parsed.path));
    case "ducklake":
      return basename(parsed.metadata, extname(parsed.metadata));
  }
}
