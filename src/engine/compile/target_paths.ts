/**
 * Where a node's SQL is written under the target folder: what it runs under
 * `run/`, its compiled SELECT (or test query) under `compiled/`.
 *
 * A dbt project has dbt's layout, which tools reading dbt's artifacts and
 * dbt users expect: `compiled/<package>/<file>` and `run/<package>/<file>`,
 * `<file>` being the node's path within its package
 * (`models/staging/stg_orders.sql`, `seeds/raw_orders.csv`,
 * `analyses/revenue.sql`); a test declared in a properties file goes under
 * that file's path (`models/schema.yml/not_null_orders_id.sql`, a unit test
 * `models/schema.yml/models/<name>.sql`), as dbt writes them. As in dbt, a
 * seed and a snapshot have no compiled file, and an analysis and an
 * ephemeral model nothing to run.
 *
 * A plain-SQL project keeps wharf's layout, by relation:
 * `run/[catalog/]schema/name.sql` and `compiled/[catalog/]schema/name.sql`,
 * tests under `run/tests/` and `compiled/tests/`.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { splitRelation } from "../db/sql.ts";
import { isSnapshot, materialization } from "../materializations/index.ts";
import type { Project, ProjectNode } from "../types.ts";

/** A node's files, relative to the target folder (`/`-separated); absent: it has none of that kind. */
export interface TargetPaths {
  /** What it runs (`run/…`). */
  run?: string;
  /** Its compiled SELECT or query (`compiled/…`). */
  compiled?: string;
}

/**
 * The path of `file` (relative to the project root) within dbt package
 * `pkg`'s folder, as dbt records a package's files (`models/x.sql`, not
 * `dbt_packages/util/models/x.sql`); the project's own files (`pkg` absent or
 * the project's name) as they are.
 */
export function pathInPackage(project: Project, pkg: string | undefined, file: string): string {
  const dir = pkg === undefined ? undefined : project.packageDirs?.[pkg];
  return dir !== undefined && file.startsWith(`${dir}/`) ? file.slice(dir.length + 1) : file;
}

/** The dbt package of a node (absent: the project's own). */
function packageOf(n: ProjectNode, project: string): string | undefined {
  if ((n.kind === "model" || n.kind === "seed") && n.package) return n.package;
  if (n.kind === "generic_test" || n.kind === "singular_test") {
    return n.fqn?.[0] === undefined || n.fqn[0] === project ? undefined : n.fqn[0];
  }
  return undefined;
}

/** The file of a node within its package, for dbt's layout. */
function dbtFile(project: Project, n: ProjectNode, pkg: string | undefined): string {
  // dbt's path of a node's file within its package: its own file's, or for a node declared in
  // another file (a test in a properties file) that file's path joined with its own (dbt's
  // `get_target_write_path`).
  const within = (file: string) => pathInPackage(project, pkg, file);
  switch (n.kind) {
    case "generic_test":
      return join(within(n.location.file), `${n.fileName ?? n.name}.sql`);
    case "unit_test": {
      // dbt names a unit test's file after the folders of its properties file, under that file.
      const yml = within(n.path);
      return join(yml, dirname(yml), `${n.name}.sql`);
    }
    case "model":
      // A snapshot of a YAML file: its name under that file.
      return /\.ya?ml$/i.test(n.path) ? join(within(n.path), `${n.name}.sql`) : within(n.path);
    case "source":
      return n.id;
    default:
      return within(n.path);
  }
}

/**
 * Where the SQL of node `n` goes under the target folder of its project:
 * dbt's layout in a dbt project, wharf's in a plain-SQL one (see the module
 * doc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { targetPaths } from "./target_paths.ts";
 *
 * const model = { kind: "model", id: "main_staging.stg_orders", path: "models/staging/stg_orders.sql", config: { materialized: "view" } };
 * const dbt = { config: { dbt: { project: "jaffle" } } };
 * // deno-lint-ignore no-explicit-any
 * assert.deepEqual(targetPaths(dbt as any, model as any), {
 *   run: "run/jaffle/models/staging/stg_orders.sql",
 *   compiled: "compiled/jaffle/models/staging/stg_orders.sql",
 * });
 * // deno-lint-ignore no-explicit-any
 * assert.deepEqual(targetPaths({ config: {} } as any, model as any), {
 *   run: "run/main_staging/stg_orders.sql",
 *   compiled: "compiled/main_staging/stg_orders.sql",
 * });
 * ```
 */
export function targetPaths(project: Project, n: ProjectNode): TargetPaths {
  const slashed = (path: string) => path.split(/[\\/]/).join("/");
  const dbt = project.config.dbt;
  if (!dbt) {
    const test = n.kind === "generic_test" || n.kind === "singular_test" ||
      n.kind === "unit_test";
    // A model's or seed's id is the relation it builds.
    const { catalog, schema, name } = splitRelation(n.id);
    const file = test
      ? join("tests", `${n.name}.sql`)
      : join(...(catalog ? [catalog] : []), schema, `${name}.sql`);
    return {
      run: slashed(join("run", file)),
      ...(n.kind === "seed" ? {} : { compiled: slashed(join("compiled", file)) }),
    };
  }
  const pkg = packageOf(n, dbt.project);
  const file = join(pkg ?? dbt.project, dbtFile(project, n, pkg));
  // Nothing of an analysis runs, nor of an ephemeral model (inlined where it is read).
  const runs = n.kind !== "analysis" &&
    !(n.kind === "model" && materialization(n.config.materialized).inlined);
  return {
    ...(runs ? { run: slashed(join("run", file)) } : {}),
    ...(n.kind === "seed" || isSnapshot(n) ? {} : { compiled: slashed(join("compiled", file)) }),
  };
}
