/**
 * What every generic test reads beside its own arguments.
 *
 * @module
 */

import { TEST_CONFIG_KEYS } from "./test_config.ts";

/** Keys every test's arguments may have: read by wharf, not by the kind. */
export const COMMON_TEST_KEYS: readonly string[] = [
  "column_name",
  "config",
  "severity",
  ...TEST_CONFIG_KEYS,
];

/** How a test kind's arguments are named in messages. */
export function testWhat(name: string): string {
  return `test "${name}"`;
}
