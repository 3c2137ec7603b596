/**
 * The `data_tests:` (or older `tests:`) tree of `dbt_project.yml`: a
 * test's configs per package and folder (`+severity`, `+enabled`, `+tags`,
 * `+where`, `+limit`, `+fail_calc`, `+warn_if`, `+error_if`,
 * `+store_failures`, `+store_failures_as`), under the configs the test
 * gives itself, as dbt applies them to generic and singular tests. A test's
 * fqn, which the tree's folders match, is dbt's: `[package, ...folders of
 * its properties file under the first, name]` for a generic test,
 * `[package, ...folders under the test path, name]` for a singular one.
 *
 * @module
 */
import {
  mergeTestConfigs,
  TEST_CONFIG_KEYS,
  testConfigSchema,
  toTestConfig,
} from "../test_kinds/test_config.ts";
import type { Severity, TestConfig } from "../types.ts";
import { isRecord, isUnknownKey } from "../yaml/yaml_schema.ts";
import type { TreeReader } from "./config_tree.ts";

/** What one level of the tree (or a test itself) sets. */
export interface TestSettings {
  severity?: Severity;
  config?: TestConfig;
}

/** dbt's test configs wharf does not run yet, with why. */
const NOT_YET: Record<string, string> = {
  schema: "failing rows are kept in wharf_failures",
  database: "failing rows are kept in wharf_failures",
  alias: "failing rows are kept in wharf_failures.<test name>",
  meta: "tests carry no meta in wharf",
};

/** The reader of the `data_tests:` tree. */
export const TEST_TREE: TreeReader<TestSettings> = {
  resource: "test",
  isConfig: (key, value) =>
    (key === "severity" || TEST_CONFIG_KEYS.includes(key) || key in NOT_YET) &&
    (!isRecord(value) || key === "meta"),
  read(raw, report) {
    const own: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (key in NOT_YET) {
        report(
          key,
          `"${key}" in the tests' configs is not run by wharf yet (${
            NOT_YET[key]
          }): remove it, or run this project with dbt`,
          { unsupported: true, key: true },
        );
      } else own[key] = value;
    }
    const parsed = testConfigSchema.safeParse(own);
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        const key = String(i.path[0] ?? "");
        report(key, i.message, {
          unsupported: i.code === "custom" && !!i.params?.unsupported,
          key: isUnknownKey(i),
        });
      }
      return {};
    }
    return toTestConfig(parsed.data);
  },
};

/**
 * A test's settings from the tree's levels (general first) and its own
 * (least specific first: e.g. its macro's `config()`, then its YAML): the
 * last severity set wins, configs merge (tags add up).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settleTest } from "./test_tree.ts";
 *
 * const settled = settleTest([
 *   { severity: "warn", config: { tags: ["nightly"], limit: 10 } },
 *   { config: { tags: ["pii"] } },
 * ]);
 * assert.deepEqual(settled, { severity: "warn", config: { tags: ["nightly", "pii"], limit: 10 } });
 * ```
 */
export function settleTest(levels: readonly TestSettings[]): {
  severity: Severity;
  config?: TestConfig;
} {
  const config = mergeTestConfigs(levels.map((l) => l.config));
  return {
    severity: levels.findLast((l) => l.severity !== undefined)?.severity ?? "error",
    ...(Object.keys(config).length ? { config } : {}),
  };
}
