/**
 * What every generic test reads beside its own arguments.
 *
 * @module
 */

/** Keys every test's arguments may have: read by wharf, not by the kind. */
export const COMMON_TEST_KEYS: readonly string[] = [
  "column_name",
  "config",
  "severity",
  "where",
  "limit",
  "warn_if",
  "error_if",
  "store_failures",
];

/** How a test kind's arguments are named in messages. */
export function testWhat(name: string): string {
  return `test "${name}"`;
}
