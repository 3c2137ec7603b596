/**
 * Reading a model's YAML `checks:`: each check is a boolean SQL expression,
 * written as plain text (`valid_zip: zip is not null`, rejecting the row)
 * or as a mapping with its policy
 * (`valid_zip: { expression: …, column: zip, on_fail: nullify }`).
 *
 * @module
 */
import { closest } from "../graph/build_graph.ts";
import { type ModelConfig, ON_FAIL, type OnFail, type RowCheck } from "./types.ts";
import { describe, type YamlFile, type YamlPath } from "./yaml_file.ts";

const CHECK_NAME = /^[a-z_][a-z0-9_]*$/;

/** The keys a check written as a mapping may have. */
export const CHECK_KEYS: readonly string[] = ["expression", "column", "on_fail"];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads one check's value (text or mapping); reports what is wrong at `path`. */
function readCheck(
  file: YamlFile,
  path: YamlPath,
  name: string,
  raw: unknown,
): RowCheck | undefined {
  if (typeof raw === "string") {
    if (raw.trim() === "") {
      file.report(path, `expected a boolean SQL expression, got ${describe(raw)}`);
      return undefined;
    }
    return { name, expression: raw, onFail: "reject" };
  }
  if (!isRecord(raw)) {
    file.report(
      path,
      `expected a boolean SQL expression, or a mapping with "expression", "column" and "on_fail", got ${
        describe(raw)
      }`,
    );
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(raw)) {
    if (CHECK_KEYS.includes(key)) continue;
    const guess = closest(key, CHECK_KEYS);
    file.report(
      [...path, key],
      `unknown key "${key}" in check "${name}"${
        guess ? ` (did you mean "${guess}"?)` : ""
      }: a check has ${CHECK_KEYS.map((k) => `"${k}"`).join(", ")}`,
    );
    ok = false;
  }
  const { expression, column, on_fail: onFail = "reject" } = raw;
  if (typeof expression !== "string" || expression.trim() === "") {
    file.report(
      [...path, "expression"],
      `expected a boolean SQL expression, e.g. "zip ~ '^[0-9]{5}$'", got ${describe(expression)}`,
    );
    ok = false;
  }
  if (column !== undefined && (typeof column !== "string" || column.trim() === "")) {
    file.report([...path, "column"], `expected a column name, got ${describe(column)}`);
    ok = false;
  }
  if (!ON_FAIL.includes(onFail as OnFail)) {
    file.report(
      [...path, "on_fail"],
      `expected ${ON_FAIL.map((p) => `"${p}"`).join(" or ")}, got ${describe(onFail)}`,
    );
    ok = false;
  } else if (onFail === "nullify" && column === undefined) {
    file.report(
      path,
      `check "${name}" nullifies a value: name the column it sets to NULL ("column: …")`,
    );
    ok = false;
  }
  if (!ok) return undefined;
  return {
    name,
    expression: expression as string,
    onFail: onFail as OnFail,
    ...(column === undefined ? {} : { column: (column as string).trim() }),
  };
}

/**
 * Reads the `checks:` of the model `modelId` at `path` in `file`, reporting
 * every problem to the file (collected, not thrown): unknown keys (with the
 * closest known one), a `nullify` check without a column, or on a model
 * without `config.unique_key` (the key that names the row a recorded value
 * came from), and checks on incremental or ephemeral models.
 *
 * @returns the valid checks, in the order written.
 * @example
 * ```ts ignore
 * model.checks = readChecks(file, [...entry.path, "checks"], entry.value.checks, model.id, model.config);
 * ```
 */
export function readChecks(
  file: YamlFile,
  path: YamlPath,
  raw: unknown,
  modelId: string,
  config: ModelConfig,
): RowCheck[] {
  if (raw === undefined || raw === null) return [];
  if (!isRecord(raw)) {
    file.report(
      path,
      `expected a mapping of check name to a boolean SQL expression, got ${describe(raw)}`,
    );
    return [];
  }
  const checks: RowCheck[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (!CHECK_NAME.test(name)) {
      file.report(
        [...path, name],
        `invalid check name "${name}": use lower-case letters, digits and underscores`,
      );
      continue;
    }
    const check = readCheck(file, [...path, name], name, value);
    if (!check) continue;
    if (check.onFail === "nullify") {
      if (config.uniqueKey.length === 0) {
        file.report(
          [...path, name],
          `check "${name}" nullifies a value, so ${modelId} needs "config: { unique_key: … }" naming the columns that identify a row (recorded with each nullified value)`,
        );
        continue;
      }
      const column = check.column!.toLowerCase();
      if (config.uniqueKey.some((k) => k.toLowerCase() === column)) {
        file.report(
          [...path, name, "column"],
          `check "${name}" would set "${check.column}", part of the unique key of ${modelId}, to NULL: use "on_fail: reject"`,
        );
        continue;
      }
    }
    checks.push(check);
  }
  if (
    checks.length &&
    (config.materialized === "incremental" || config.materialized === "ephemeral")
  ) {
    file.report(
      path,
      `checks quarantine rows into a table: use them on a table (or view) model, not ${config.materialized}`,
    );
  }
  return checks;
}
