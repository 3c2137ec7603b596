/**
 * Validates artifacts against dbt's published JSON schemas (draft 2020-12),
 * copied under tests/fixtures/dbt_schemas/ (see its SOURCES.md). Every
 * temporary project of the suite has its target/ artifacts checked here
 * when it is disposed of (`tests/helpers.ts`).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const FOLDER = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "dbt_schemas");

const SCHEMAS = {
  manifest: "manifest_v12.json",
  run_results: "run-results_v6.json",
  catalog: "catalog_v1.json",
  sources: "sources_v3.json",
} as const;

/** An artifact kind with a schema. */
export type ArtifactKind = keyof typeof SCHEMAS;

const ajv = new Ajv2020({ strict: false, allErrors: true, code: { optimize: false } });
ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat("date-time", true);
const schemas = new Map<ArtifactKind, Record<string, unknown>>();
const compiled = new Map<string, ValidateFunction>();

/**
 * The schema for `kind`, the subschemas of the manifest's collections that
 * `value` leaves empty (exposures, metrics, semantic models, …) left out:
 * a schema an empty object cannot fail, so the verdict is the full schema's,
 * and compiling the 1 MB manifest schema takes a second instead of ten.
 */
function validator(kind: ArtifactKind, value: unknown): ValidateFunction {
  let schema = schemas.get(kind);
  if (!schema) {
    schema = JSON.parse(Deno.readTextFileSync(join(FOLDER, SCHEMAS[kind])));
    schemas.set(kind, schema!);
  }
  const properties = schema!.properties as Record<string, unknown>;
  const empty = kind === "manifest" && value && typeof value === "object"
    ? Object.keys(properties).filter((k) => {
      const v = (value as Record<string, unknown>)[k];
      return k !== "metadata" && v !== null && typeof v === "object" && !Array.isArray(v) &&
        Object.keys(v).length === 0;
    }).sort()
    : [];
  const key = `${kind}:${empty.join(",")}`;
  let validate = compiled.get(key);
  if (!validate) {
    // Each variant its own schema: without the published $id, which only one may have.
    const { $id: _id, ...published } = schema!;
    const pruned = {
      ...published,
      properties: Object.fromEntries(
        Object.entries(properties).map(([k, s]) => [k, empty.includes(k) ? { type: "object" } : s]),
      ),
    };
    validate = ajv.compile(pruned);
    compiled.set(key, validate);
  }
  return validate;
}

/** The schema's errors for `value` (empty: valid). */
export function schemaErrors(kind: ArtifactKind, value: unknown): string[] {
  const validate = validator(kind, value);
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, 10).map((e) =>
    `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`
  );
}

/** Reads `<target>/<kind>.json` and asserts it is valid; returns it. */
export async function readValid(
  target: string,
  kind: ArtifactKind,
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const file = join(target, `${kind}.json`);
  const value = JSON.parse(await Deno.readTextFile(file));
  const errors = schemaErrors(kind, value);
  if (errors.length) throw new Error(`${file} is not valid:\n${errors.join("\n")}`);
  return value;
}

/** Asserts that every dbt artifact in `target` (those there are) is valid. */
export async function assertArtifactsValid(target: string): Promise<void> {
  for (const kind of ["manifest", "run_results", "catalog", "sources"] as const) {
    const there = await Deno.stat(join(target, `${kind}.json`)).then(() => true, () => false);
    if (there) await readValid(target, kind);
  }
}
