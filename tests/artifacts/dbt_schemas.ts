/**
 * Validates artifacts against dbt's published JSON schemas (draft 2020-12),
 * copied under tests/fixtures/dbt_schemas/ (see its SOURCES.md).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv";
import { join } from "node:path";
import { REPO } from "../helpers.ts";

const SCHEMAS = {
  manifest: "manifest_v12.json",
  run_results: "run-results_v6.json",
  catalog: "catalog_v1.json",
  sources: "sources_v3.json",
} as const;

/** An artifact kind with a schema. */
export type ArtifactKind = keyof typeof SCHEMAS;

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat("date-time", true);
const compiled = new Map<ArtifactKind, ValidateFunction>();

/** The schema's errors for `value` (empty: valid). */
export function schemaErrors(kind: ArtifactKind, value: unknown): string[] {
  let validate = compiled.get(kind);
  if (!validate) {
    const text = Deno.readTextFileSync(
      join(REPO, "tests", "fixtures", "dbt_schemas", SCHEMAS[kind]),
    );
    validate = ajv.compile(JSON.parse(text));
    compiled.set(kind, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, 10).map((e) =>
    `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`
  );
}

/** Reads `<target>/<kind>.json` and asserts it is valid; returns it. */
export async function readValid(
  target: string,
  kind: Exclude<ArtifactKind, "sources">,
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const value = JSON.parse(await Deno.readTextFile(join(target, `${kind}.json`)));
  const errors = schemaErrors(kind, value);
  if (errors.length) throw new Error(`${kind}.json is not valid:\n${errors.join("\n")}`);
  return value;
}
