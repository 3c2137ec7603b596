/**
 * What `wharf debug` checks once the project's configuration has loaded:
 * the project's files (loaded and compiled as a command would, every
 * problem named), `selectors.yml`, each DuckDB extension the target loads, each attached
 * database, and the warehouse itself (opened read-only: absent is fine
 * before the first build; held by another process, or not a DuckDB file,
 * is not).
 *
 * @module
 */
import type { EngineConfig } from "../config.ts";
import { warehouseTarget } from "../db/target.ts";
import { openWarehouse } from "../db/warehouse.ts";
import { compileProject, readProjectSelectors } from "../compile/compile_project.ts";
import { CompileError, CycleError, formatLocation } from "../errors.ts";

/** One check's outcome. */
export interface DebugCheck {
  /** What was checked (`warehouse`, `extension httpfs`, …). */
  name: string;
  ok: boolean;
  /** What was found, or what is wrong and how to fix it. */
  detail: string;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The project's files loaded and compiled as `run` or `ls` would (the
 * warehouse's tables aside): each problem they would refuse, but those of
 * `selectors.yml`, checked on their own as `skip`.
 */
async function projectFiles(config: EngineConfig, skip: ReadonlySet<string>): Promise<DebugCheck> {
  const name = "project files";
  try {
    const { compiled } = await compileProject(config, { deferMissingSources: true });
    return {
      name,
      ok: true,
      detail: `${compiled.size} node${compiled.size === 1 ? "" : "s"} compile`,
    };
  } catch (err) {
    if (err instanceof CycleError) return { name, ok: false, detail: err.message };
    if (!(err instanceof CompileError)) throw err;
    const problems = err.issues.map((i) => `${formatLocation(i.location)}: ${i.message}`)
      .filter((p) => !skip.has(p));
    if (!problems.length) return { name, ok: true, detail: "load and compile" };
    return {
      name,
      ok: false,
      detail: `${problems.length} problem${
        problems.length === 1 ? "" : "s"
      } (\`wharf build\` refuses to run): ${problems.join("; ")}`,
    };
  }
}

/**
 * Runs the checks on `config`, with the warehouse `db` (the configured one
 * by default). Never throws for what it checks: each problem is a failed
 * check.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { debugChecks } from "./debug_checks.ts";
 *
 * const root = await Deno.makeTempDir();
 * const checks = await debugChecks(resolveEngineConfig(root, {}, []));
 * assert.deepEqual(checks.map((c) => [c.name, c.ok]), [
 *   ["project files", true],
 *   ["selectors.yml", true],
 *   ["warehouse", true],
 * ]);
 * assert.match(checks[2]!.detail, /does not exist yet/);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function debugChecks(config: EngineConfig, db?: string): Promise<DebugCheck[]> {
  const { selectors, issues } = await readProjectSelectors(config);
  const checks = [
    await projectFiles(
      config,
      new Set(issues.map((i) => `${formatLocation(i.location)}: ${i.message}`)),
    ),
  ];
  checks.push(
    issues.length
      ? {
        name: "selectors.yml",
        ok: false,
        detail: issues.map((i) => `${formatLocation(i.location)}: ${i.message}`).join("; "),
      }
      : {
        name: "selectors.yml",
        ok: true,
        detail: selectors.length
          ? `${selectors.length} selector${selectors.length === 1 ? "" : "s"}${
            selectors.some((s) => s.default)
              ? ` (default: ${selectors.find((s) => s.default)!.name})`
              : ""
          }`
          : "none (optional)",
      },
  );
  for (const ext of config.dbt?.target.extensions ?? []) {
    try {
      const wh = await openWarehouse(":memory:", { extensions: [ext] });
      wh.close();
      checks.push({ name: `extension ${ext}`, ok: true, detail: "loads" });
    } catch (err) {
      checks.push({ name: `extension ${ext}`, ok: false, detail: message(err) });
    }
  }
  for (const a of config.attach) {
    const name = `attached database ${a.name}`;
    try {
      if (!(await warehouseTarget(a.target, { attachedAs: a.name }).prepare())) {
        checks.push({
          name,
          ok: true,
          detail: `${a.target} does not exist yet: the first build into it creates it`,
        });
        continue;
      }
      const wh = await openWarehouse(":memory:", { attach: [{ ...a, readOnly: true }] });
      try {
        const [row] = await wh.query(
          `SELECT count(*) AS n FROM information_schema.tables WHERE table_catalog = '${
            a.name.replaceAll("'", "''")
          }'`,
        );
        checks.push({
          name,
          ok: true,
          detail: `${a.target}${a.readOnly ? " (read-only)" : ""}: ${Number(row!.n)} tables`,
        });
      } finally {
        wh.close();
      }
    } catch (err) {
      checks.push({ name, ok: false, detail: message(err) });
    }
  }
  const path = db ?? config.warehouse;
  try {
    if (!(await warehouseTarget(path).prepare())) {
      checks.push({
        name: "warehouse",
        ok: true,
        detail: `${path} does not exist yet: \`wharf build\` (or \`wharf land\`) creates it`,
      });
      return checks;
    }
    // Extensions were checked on their own above: the warehouse is opened without them.
    const wh = await openWarehouse(path, { readOnly: true, settings: config.dbt?.target.settings });
    try {
      const [row] = await wh.query(
        "SELECT version() AS duckdb, (SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database()) AS n",
      );
      checks.push({
        name: "warehouse",
        ok: true,
        detail: `${path}: opened read-only (DuckDB ${String(row!.duckdb)}), ${
          Number(row!.n)
        } tables and views`,
      });
    } finally {
      wh.close();
    }
  } catch (err) {
    checks.push({ name: "warehouse", ok: false, detail: message(err) });
  }
  return checks;
}
