/**
 * Reading a model's YAML `checks:`: each check is a boolean SQL expression,
 * written as plain text (`valid_zip: zip is not null`, rejecting the row)
 * or as a mapping with its policy
 * (`valid_zip: { expression: …, column: zip, on_fail: nullify }`).
 *
 * @module
 */
import { type ModelConfig, ON_FAIL, type RowCheck } from "../types.ts";
import { describe, type YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import { isRecord, mapping, oneOf, readValue, text } from "../yaml/yaml_schema.ts";

const CHECK_NAME = /^[a-z_][a-z0-9_]*$/;

/** The keys a check written as a mapping may have. */
export const CHECK_KEYS: readonly string[] = ["expression", "column", "on_fail", "value_from"];

const EXPRESSION = `a boolean SQL expression, e.g. "zip ~ '^[0-9]{5}$'"`;

/** A check written as a mapping. */
function checkSchema(name: string) {
  return mapping(`check "${name}"`, {
    expression: text(EXPRESSION).refine((v) => v.trim() !== "", {
      error: (iss) => `expected ${EXPRESSION}, got ${describe(iss.input)}`,
    }),
    column: text("a column name").refine((v) => v.trim() !== "", {
      error: (iss) => `expected a column name, got ${describe(iss.input)}`,
    }).optional(),
    on_fail: oneOf(ON_FAIL).optional(),
    value_from: text("a column name").refine((v) => v.trim() !== "", {
      error: (iss) => `expected a column name, got ${describe(iss.input)}`,
    }).optional(),
  }, {
    unknownKey: (key, guess) =>
      `unknown key "${key}" in check "${name}"${
        guess ? ` (did you mean "${guess}"?)` : ""
      }: a check has ${CHECK_KEYS.map((k) => `"${k}"`).join(", ")}`,
  });
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
  const check = readValue(file, path, checkSchema(name), raw);
  if (!check) return undefined;
  const onFail = check.on_fail ?? "reject";
  if (onFail === "nullify" && check.column === undefined) {
    file.report(
      path,
      `check "${name}" nullifies a value: name the column it sets to NULL ("column: …")`,
    );
    return undefined;
  }
  if (check.value_from !== undefined && onFail !== "nullify") {
    file.report(
      [...path, "value_from"],
      `check "${name}" rejects rows, which keep every value in the __rejected table: "value_from" (the column whose text a nullify check records) applies only with "on_fail: nullify"`,
    );
    return undefined;
  }
  return {
    name,
    expression: check.expression,
    onFail,
    ...(check.column === undefined ? {} : { column: check.column.trim() }),
    ...(check.value_from === undefined ? {} : { valueFrom: check.value_from.trim() }),
  };
}

/** Options of {@linkcode readChecks}. */
export interface ReadChecksOptions {
  /** The model's id, for messages. */
  model: string;
  config: ModelConfig;
  /** Whether the model's materialization takes row checks. */
  allowed: boolean;
}

/**
 * Reads the `checks:` (`raw`) of a model at `path` in `file`, reporting
 * every problem to the file (collected, not thrown): unknown keys (with the
 * closest known one), a `nullify` check without a column, or on a model
 * without `config.unique_key` (the key that names the row a recorded value
 * came from), and checks on a materialization that takes none.
 *
 * @returns the valid checks, in the order written.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readChecks } from "./read_checks.ts";
 * import { YamlFile } from "../yaml/yaml_file.ts";
 *
 * const file = new YamlFile("m.yml", "checks:\n  valid_id: id > 0\n  bad: { expresion: x }\n");
 * const config = { materialized: "table", uniqueKey: [], tags: [], enabled: true, options: {} };
 * const checks = readChecks(file, ["checks"], (file.data as { checks: unknown }).checks, {
 *   model: "staging.m",
 *   config,
 *   allowed: true,
 * });
 * assert.deepEqual(checks, [{ name: "valid_id", expression: "id > 0", onFail: "reject" }]);
 * assert.equal(file.issues.length, 2); // the typo, and the missing expression
 * ```
 */
export function readChecks(
  file: YamlFile,
  path: YamlPath,
  raw: unknown,
  options: ReadChecksOptions,
): RowCheck[] {
  const { model, config } = options;
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
          `check "${name}" nullifies a value, so ${model} needs "config: { unique_key: … }" naming the columns that identify a row (recorded with each nullified value)`,
        );
        continue;
      }
      const column = check.column!.toLowerCase();
      if (config.uniqueKey.some((k) => k.toLowerCase() === column)) {
        file.report(
          [...path, name, "column"],
          `check "${name}" would set "${check.column}", part of the unique key of ${model}, to NULL: use "on_fail: reject"`,
        );
        continue;
      }
    }
    checks.push(check);
  }
  if (checks.length && !options.allowed) {
    file.report(
      path,
      `checks quarantine rows into a table: use them on a table (or view) model, not ${config.materialized}`,
    );
  }
  return checks;
}
