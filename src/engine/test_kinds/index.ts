/**
 * The generic test kinds, in the order messages list them. A new kind is a
 * module beside these (see `test_kind.ts`) added here.
 *
 * @module
 */
import { acceptedValues } from "./accepted_values.ts";
import { expression } from "./expression.ts";
import { notNull } from "./not_null.ts";
import { relationships } from "./relationships.ts";
import { rendered } from "./rendered.ts";
import type { TestKind } from "./test_kind.ts";
import { unique } from "./unique.ts";

/** Every generic test kind. */
export const TEST_KINDS: readonly TestKind[] = [
  unique,
  notNull,
  acceptedValues,
  relationships,
  expression,
  rendered,
];

/** The test kind YAML calls `name`, or whose recorded kind is `name`. */
export function testKind(name: string): TestKind | undefined {
  return TEST_KINDS.find((k) => k.names.includes(name) || k.kind === name);
}
