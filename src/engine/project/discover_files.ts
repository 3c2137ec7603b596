/**
 * The first stage of loading a project: find its files. Models are
 * `models/<layer>/**.sql` (a model's relation is `<layer>.<file name>`),
 * seeds `models/seeds/**.csv`, YAML beside them, singular tests and their
 * YAML in `sql/tests/`, macros in `sql/macros/`. Nothing is read yet; a
 * file in the wrong place is an issue.
 *
 * @module
 */
import { basename, extname, join, relative } from "node:path";
import type { EngineConfig } from "../config.ts";
import { warehouseCatalogOf } from "../db/sql.ts";
import { catalogOfSpec } from "../target_spec.ts";
import type { ProjectIssue } from "../errors.ts";
import { DEFAULT_SNAPSHOT_SCHEMA } from "../materializations/snapshot.ts";

/** Schemas wharf owns; a layer may not use these names. */
export const RESERVED_SCHEMAS: readonly string[] = [
  "raw",
  "seeds",
  "wharf",
  "wharf_failures",
  "main",
  "information_schema",
  "pg_catalog",
];

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** A model or seed file: its path relative to the project root, its layer and name. */
export interface NodeFile {
  path: string;
  /** The layer folder (`seeds` for seeds): the relation's schema. */
  layer: string;
  name: string;
}

/** What a project folder holds (paths relative to the project root, sorted). */
export interface ProjectFiles {
  models: NodeFile[];
  seeds: NodeFile[];
  /** YAML under the models folder, seeds' YAML apart. */
  modelYaml: string[];
  seedYaml: string[];
  /** Singular tests (`.sql`) and their YAML. */
  tests: string[];
  testYaml: string[];
  macros: string[];
  /**
   * Snapshots (`snapshots/**.sql`, one SELECT each; `layer` is the default
   * schema until their config names another) and their YAML.
   */
  snapshots: NodeFile[];
  snapshotYaml: string[];
  /** Files in the wrong place or with a bad name. */
  issues: ProjectIssue[];
}

/**
 * The order of the characters of usual file names (`_-.0-9a-z`) in the
 * Unicode Collation Algorithm's root order, which English keeps.
 */
const NAME_ORDER = "_-.0123456789abcdefghijklmnopqrstuvwxyz";
const USUAL_NAME = /^[-_.0-9a-z]*$/;
let english: Intl.Collator | undefined;

/**
 * Compares two file names as English collation does (`stg_a.sql` before
 * `stg.sql`, `B.sql` before `b.yml`), whatever the user's locale. Names of
 * the usual characters (lower-case letters, digits, `_`, `-`, `.`) are
 * compared character by character in that order: a collator costs ~15 ms
 * to create (ICU's data loads), and every command that reads the project
 * lists its files. Other names take the collator.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareFileNames } from "./discover_files.ts";
 *
 * assert.deepEqual(
 *   ["stg.sql", "a.sql", "a-1.sql", "stg_a.sql", "a_1.sql"].sort(compareFileNames),
 *   ["a_1.sql", "a-1.sql", "a.sql", "stg_a.sql", "stg.sql"],
 * );
 * assert.deepEqual(["b.yml", "é.sql", "B.sql"].sort(compareFileNames), ["B.sql", "b.yml", "é.sql"]);
 * ```
 */
export function compareFileNames(a: string, b: string): number {
  if (!USUAL_NAME.test(a) || !USUAL_NAME.test(b)) {
    english ??= new Intl.Collator("en");
    return english.compare(a, b);
  }
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = NAME_ORDER.indexOf(a[i]!) - NAME_ORDER.indexOf(b[i]!);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Every file under `dir` (absolute paths, sorted by name per folder, see
 * {@linkcode compareFileNames}); none when it does not exist.
 */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [];
    for await (const e of Deno.readDir(dir)) entries.push(e);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return out;
    throw err;
  }
  entries.sort((a, b) => compareFileNames(a.name, b.name));
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory) out.push(...await listFiles(full));
    else if (e.isFile) out.push(full);
  }
  return out;
}

/** True for a `.yml` or `.yaml` path. */
export function isYaml(path: string): boolean {
  return path.endsWith(".yml") || path.endsWith(".yaml");
}

/** The folders of a relative path, as segments (`models/staging/a.sql` → `models`, `staging`). */
export function folderSegments(path: string): string[] {
  return path.split(/[\\/]/).slice(0, -1);
}

/** True when `path` lies in `folder` or below it, compared segment by segment. */
export function isInFolder(path: string, folder: readonly string[]): boolean {
  const dirs = folderSegments(path);
  return folder.length <= dirs.length && folder.every((segment, i) => dirs[i] === segment);
}

/**
 * Lists the files of the project at `config.root`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { discoverFiles } from "./discover_files.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/models/staging`, { recursive: true });
 * await Deno.writeTextFile(`${root}/models/staging/stg_a.sql`, "select 1 as id");
 * await Deno.writeTextFile(`${root}/models/loose.sql`, "select 1 as id");
 * const files = await discoverFiles(resolveEngineConfig(root, {}, []));
 * assert.deepEqual(files.models, [
 *   { path: "models/staging/stg_a.sql", layer: "staging", name: "stg_a" },
 * ]);
 * assert.match(files.issues[0]!.message, /not in a layer folder/);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function discoverFiles(config: EngineConfig): Promise<ProjectFiles> {
  const rel = (p: string) => relative(config.root, p);
  const out: ProjectFiles = {
    models: [],
    seeds: [],
    modelYaml: [],
    seedYaml: [],
    tests: [],
    testYaml: [],
    macros: [],
    snapshots: [],
    snapshotYaml: [],
    issues: [],
  };
  const issue = (file: string, message: string) =>
    out.issues.push({ message, location: { file: rel(file) } });
  for (const file of await listFiles(config.paths.models)) {
    const r = relative(config.paths.models, file).split(/[\\/]/);
    const layer = r.length > 1 ? r[0]!.toLowerCase() : undefined;
    const ext = extname(file).toLowerCase();
    if (isYaml(file)) {
      (layer === "seeds" ? out.seedYaml : out.modelYaml).push(rel(file));
      continue;
    }
    if (ext === ".py") {
      out.issues.push({
        message: "Python models are not supported by wharf: write the model in SQL",
        location: { file: rel(file) },
        unsupported: true,
      });
      continue;
    }
    if (ext !== ".sql" && !(layer === "seeds" && ext === ".csv")) continue;
    const name = basename(file, extname(file)).toLowerCase();
    if (layer === undefined) {
      issue(
        file,
        `Model file is not in a layer folder: move it to ${
          rel(config.paths.models)
        }/<layer>/ (e.g. staging)`,
      );
      continue;
    }
    if (!IDENTIFIER.test(name)) {
      issue(
        file,
        `Invalid name "${name}": use lower-case letters, digits and underscores, starting with a letter`,
      );
      continue;
    }
    if (layer === "seeds") {
      out.seeds.push({ path: rel(file), layer, name });
      continue;
    }
    if (!IDENTIFIER.test(layer) || RESERVED_SCHEMAS.includes(layer)) {
      issue(
        file,
        `Invalid layer folder "${layer}": ${
          RESERVED_SCHEMAS.includes(layer)
            ? `the schema "${layer}" is reserved by wharf`
            : "use lower-case letters, digits and underscores"
        }; rename the folder`,
      );
      continue;
    }
    out.models.push({ path: rel(file), layer, name });
  }
  // A layer named like a catalog makes DuckDB refuse `layer.name` (in wharf's SQL and the user's) as ambiguous.
  const warehouse = catalogOfSpec(config.opened ?? config.warehouse, config.root);
  const attached = config.attach.map((a) => a.name);
  const told = new Set<string>();
  for (const nodes of [out.models, out.seeds]) {
    for (const n of nodes) {
      if (told.has(n.layer) || warehouseCatalogOf(n.layer, warehouse, attached) === undefined) {
        continue;
      }
      told.add(n.layer);
      const which = n.layer === warehouse
        ? `the warehouse's own database "${warehouse}" (DuckDB names it after ${
          basename(config.opened ?? config.warehouse)
        })`
        : attached.includes(n.layer)
        ? `the attached database "${n.layer}"`
        : `DuckDB's own database "${n.layer}"`;
      issue(
        join(config.root, n.path),
        `Layer folder "${n.layer}" is named like ${which}: DuckDB cannot tell the schema "${n.layer}" from the database in "${n.layer}.${n.name}" and refuses both as ambiguous; rename the folder${
          n.layer === warehouse ? ", or the warehouse file (warehouse: in wharf.config.ts)" : ""
        }`,
      );
    }
  }
  for (const nodes of [out.models, out.seeds]) {
    const seen = new Map<string, NodeFile>();
    for (const n of [...nodes]) {
      const id = `${n.layer}.${n.name}`;
      const first = seen.get(id);
      if (!first) {
        seen.set(id, n);
        continue;
      }
      issue(
        join(config.root, n.path),
        `${id} is defined twice (also by ${first.path}): rename one of the files`,
      );
      nodes.splice(nodes.indexOf(n), 1);
    }
  }
  for (const file of await listFiles(config.paths.tests)) {
    if (isYaml(file)) out.testYaml.push(rel(file));
    else if (extname(file) === ".sql") out.tests.push(rel(file));
  }
  for (const file of await listFiles(config.paths.snapshots)) {
    if (isYaml(file)) out.snapshotYaml.push(rel(file));
    if (extname(file).toLowerCase() !== ".sql") continue;
    const name = basename(file, extname(file)).toLowerCase();
    if (!IDENTIFIER.test(name)) {
      issue(
        file,
        `Invalid snapshot name "${name}": use lower-case letters, digits and underscores, starting with a letter`,
      );
    } else out.snapshots.push({ path: rel(file), layer: DEFAULT_SNAPSHOT_SCHEMA, name });
  }
  for (const file of await listFiles(config.paths.macros)) {
    if (extname(file) === ".sql") out.macros.push(rel(file));
  }
  return out;
}
