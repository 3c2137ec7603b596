/**
 * A run on another warehouse (`--db`, a slim-CI run on a scratch file) must
 * not write the project's attached databases: a model built into `lake`
 * would otherwise land in the configured `lake.duckdb`, production's file,
 * whatever `--db` says. Such a run is refused before anything runs, naming
 * what it would write; `--attach name=file` points an attached database
 * elsewhere for the command (or a profile's other `--target` does).
 *
 * @module
 */
import type { AttachedDatabase, EngineConfig } from "../config.ts";
import { splitRelation } from "../db/sql.ts";
import { UsageError } from "../errors.ts";
import { closest } from "../suggest.ts";
import { resolveTargetSpec } from "../target_spec.ts";

/**
 * `attach` with the databases `given` (`--attach name=file`, the file
 * relative to `cwd`) pointed at those files, each marked `redirected`.
 *
 * @throws {UsageError} for an entry that is not `name=file`, or a name
 * nothing attaches.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { redirectAttached } from "./attached_writes.ts";
 *
 * const attach = [{ name: "lake", target: "/srv/lake.duckdb", readOnly: false }];
 * assert.deepEqual(redirectAttached(attach, ["lake=ci/lake.duckdb"], "/tmp"), [
 *   { name: "lake", target: "/tmp/ci/lake.duckdb", readOnly: false, redirected: true },
 * ]);
 * ```
 */
export function redirectAttached(
  attach: readonly AttachedDatabase[],
  given: readonly string[],
  cwd: string,
): AttachedDatabase[] {
  const out = attach.map((a) => ({ ...a }));
  for (const entry of given) {
    const eq = entry.indexOf("=");
    const name = eq < 0 ? "" : entry.slice(0, eq).trim().toLowerCase();
    const file = eq < 0 ? "" : entry.slice(eq + 1).trim();
    if (!name || !file) {
      throw new UsageError(
        `--attach ${
          JSON.stringify(entry)
        }: expected name=file, the name of an attached database and the file to attach under it`,
      );
    }
    const found = out.find((a) => a.name === name);
    if (!found) {
      const names = out.map((a) => a.name);
      const guess = closest(name, names);
      throw new UsageError(
        `--attach ${name}=…: the project attaches no database "${name}"${
          guess ? ` (did you mean "${guess}"?)` : ""
        }${names.length ? ` (it attaches ${names.join(", ")})` : " (it attaches none)"}`,
      );
    }
    found.target = resolveTargetSpec(file, cwd);
    found.redirected = true;
  }
  return out;
}

/**
 * The databases a run on warehouse `db` attaches: as configured on the
 * configured warehouse; on another one, those the command line did not
 * point elsewhere read-only (a run there reads the project's files, and
 * never writes them, hooks included).
 */
export function attachedFor(config: EngineConfig, db: string | undefined): AttachedDatabase[] {
  if (db === undefined || db === config.warehouse) return config.attach;
  return config.attach.map((a) => a.redirected ? a : { ...a, readOnly: true });
}

/** Where an attached database comes from, for messages. */
function attachedBy(config: EngineConfig): string {
  return config.dbt ? `the profile's target "${config.dbt.target.name}"` : "wharf.config.ts";
}

/**
 * Refuses a run on warehouse `db` (another than the configured one) that
 * would build `relations` into an attached database the command line did
 * not point elsewhere.
 *
 * @param relations what the run builds (models, seeds, snapshots), as `[catalog.]schema.name`.
 * @throws {UsageError} naming the attached database, what would be written, and the fix.
 */
export function checkAttachedWrites(
  config: EngineConfig,
  db: string | undefined,
  relations: readonly string[],
): void {
  if (db === undefined || db === config.warehouse) return;
  const writes = new Map<AttachedDatabase, string[]>();
  for (const relation of relations) {
    const catalog = splitRelation(relation).catalog;
    const attached = config.attach.find((a) => a.name === catalog && !a.redirected);
    if (attached) writes.set(attached, [...writes.get(attached) ?? [], relation]);
  }
  const [first] = writes;
  if (!first) return;
  const [attached, built] = first;
  throw new UsageError(
    `--db ${db} runs on another warehouse than the project's (${config.warehouse}), but this run would still build ${
      built.slice(0, 3).join(", ")
    }${
      built.length > 3 ? ` and ${built.length - 3} more` : ""
    } into the attached database "${attached.name}" (${attached.target}, attached by ${
      attachedBy(config)
    }), which --db does not move: point it elsewhere too, --attach ${attached.name}=<file> (e.g. ${attached.name}_ci.duckdb beside the --db file), ${
      config.dbt
        ? "or use a --target whose attach: points elsewhere"
        : `or set attach.${attached.name} elsewhere in wharf.config.ts`
    }${
      writes.size > 1
        ? ` (and ${[...writes.keys()].slice(1).map((a) => `"${a.name}"`).join(", ")})`
        : ""
    }`,
  );
}
