/**
 * Zod schemas for a project's YAML, with wharf's messages: a value of the
 * wrong type says what was expected and what was found (`expected text, got
 * 3`), and a key wharf does not read is named with the closest known key, or
 * said to be not implemented. {@linkcode readValue} validates a value at a
 * path of a {@linkcode YamlFile} and reports every problem there, with its
 * line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mapping, readValue, text } from "./yaml_schema.ts";
 * import { YamlFile } from "./yaml_file.ts";
 *
 * const file = new YamlFile("models/staging/s.yml", "name: a\ndescripton: typo\n");
 * const entry = mapping("model", { name: text(), description: text().optional() });
 * readValue(file, [], entry, file.data);
 * assert.deepEqual(file.issues.map((i) => `${i.location.line}: ${i.message}`), [
 *   '2: descripton: unknown key "descripton" in model (did you mean "description"?)',
 * ]);
 * ```
 *
 * @module
 */
import { z } from "../zod.ts";
import { closestKey } from "../suggest.ts";
import { unsupportedKey } from "../unsupported.ts";
import { describe, type YamlFile, type YamlPath } from "./yaml_file.ts";

/** Text; `expected` names what the text stands for in messages (e.g. "a column name"). */
export function text(expected = "text", missing?: string): z.ZodString {
  return z.string({
    error: (iss) =>
      iss.input === undefined && missing
        ? missing
        : `expected ${expected}, got ${describe(iss.input)}`,
  });
}

/**
 * Text or a list of text, kept as written (`unique_key: id` stays `"id"`,
 * which the manifest records so); {@linkcode asList} reads it as a list.
 */
export function textOrList(
  expected = "text or a list of text",
): z.ZodType<string | string[], string | string[]> {
  return z.custom<string | string[]>(
    (v) => typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string")),
    { error: (iss) => `expected ${expected}, got ${describe(iss.input)}` },
  );
}

/**
 * A value of {@linkcode textOrList} as a list (none: empty).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asList } from "./yaml_schema.ts";
 *
 * assert.deepEqual(asList("id"), ["id"]);
 * assert.deepEqual(asList(["id", "day"]), ["id", "day"]);
 * assert.deepEqual(asList(undefined), []);
 * ```
 */
export function asList(value: string | readonly string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === "string" ? [value] : [...value];
}

/** Text or a list of text, read as a list (`tags: pii` is `tags: [pii]`). */
export function textList(
  expected = "text or a list of text",
): z.ZodType<string[], string | string[]> {
  return textOrList(expected).transform(asList);
}

/** `true` or `false`. */
export function flag(): z.ZodBoolean {
  return z.boolean({ error: (iss) => `expected true or false, got ${describe(iss.input)}` });
}

/** A list; `expected` names it in messages (e.g. "a list of columns"). */
export function list<T extends z.ZodType>(item: T, expected = "a list"): z.ZodArray<T> {
  return z.array(item, { error: (iss) => `expected ${expected}, got ${describe(iss.input)}` });
}

/** One of `values` (compared case-insensitively, read lower-cased). */
export function oneOf<const V extends string>(values: readonly V[]): z.ZodType<V, unknown> {
  const expected = values.length === 2
    ? `"${values[0]}" or "${values[1]}"`
    : `one of ${values.map((v) => `"${v}"`).join(", ")}`;
  return z.unknown().transform((v, ctx) => {
    const lower = typeof v === "string" ? v.toLowerCase() : undefined;
    const found = values.find((x) => x === lower);
    if (found !== undefined) return found;
    ctx.addIssue({ code: "custom", message: `expected ${expected}, got ${describe(v)}` });
    return z.NEVER;
  });
}

/** How a mapping names a key it does not read; `what` names the mapping. */
export type UnknownKeyMessage = (key: string, guess: string | undefined, what: string) => string;

/** Options of {@linkcode mapping}. */
export interface MappingOptions {
  /** Keys read elsewhere (not by this schema) that are not reported as unknown. */
  alsoKnown?: readonly string[];
  /** Every other key is read elsewhere (by a schema that reports it): none is reported here. */
  open?: boolean;
  /** The message for a key the mapping does not read; by default names the closest key. */
  unknownKey?: UnknownKeyMessage;
  /** What a value that is not a mapping is said to lack (default "a mapping"). */
  expected?: string;
}

const KEYS = new WeakMap<z.ZodType, readonly string[]>();
const SHAPES = new WeakMap<z.ZodType, z.ZodRawShape>();

/** Marks a reported issue as an unknown key, so it is listed before the other issues of its line. */
const UNKNOWN_KEY = "unknown_key";

/** Marks a reported issue as something wharf does not support (see `ProjectIssue.unsupported`). */
const UNSUPPORTED = "unsupported";

/**
 * A mapping with the keys of `shape`, named `what` in messages (a text, or
 * a function of the mapping, e.g. `(v) => \`model "${v.name}"\``). Every
 * other key is an issue at that key: `unknown key "materialzed" in a
 * model's config (did you mean "materialized"?)` for a typo, `"grants" in
 * a model's config is not supported by wharf: remove it` for a
 * key of `unsupported.ts`, `"tablespace" in a model's config is not
 * implemented by wharf: remove it (…)` otherwise; those two are marked
 * unsupported (see `ProjectIssue.unsupported`).
 */
export function mapping<S extends z.ZodRawShape>(
  what: string | ((value: Record<string, unknown>) => string),
  shape: S,
  options: MappingOptions = {},
): z.ZodType<z.output<z.ZodObject<S>>, unknown> {
  const own = Object.keys(shape);
  const known = [...own, ...(options.alsoKnown ?? [])];
  const message: UnknownKeyMessage = options.unknownKey ??
    ((key, guess, name) =>
      guess
        ? `unknown key "${key}" in ${name} (did you mean "${guess}"?)`
        : `"${key}" in ${name} is not implemented by wharf: remove it (${name} reads ${
          known.map((k) => `"${k}"`).join(", ")
        })`);
  const expected = options.expected ?? "a mapping";
  const object = z.looseObject(shape, {
    error: (iss) => `expected ${expected}, got ${describe(iss.input)}`,
  });
  // Unknown keys are named whatever the known ones hold (a missing or bad one included).
  const schema = z.unknown().transform((value, ctx) => {
    let unknown = false;
    if (isRecord(value) && !options.open) {
      for (const key of Object.keys(value)) {
        if (known.includes(key)) continue;
        unknown = true;
        const name = typeof what === "string" ? what : what(value);
        const unsupported = unsupportedKey(key, name);
        const guess = unsupported ? undefined : closestKey(key, known);
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: unsupported ?? message(key, guess, name),
          // A key with no close known one is not a typo: wharf does not implement it.
          params: { [UNKNOWN_KEY]: true, ...(guess ? {} : { [UNSUPPORTED]: true }) },
        });
      }
    }
    const parsed = object.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue });
      return z.NEVER;
    }
    if (unknown) return z.NEVER;
    // Keys read elsewhere are left to their readers.
    const out: Record<string, unknown> = {};
    for (const key of own) if (key in parsed.data) out[key] = parsed.data[key];
    return out as z.output<z.ZodObject<S>>;
  });
  KEYS.set(schema, own);
  SHAPES.set(schema, shape);
  return schema;
}

/** The keys a {@linkcode mapping} reads (empty for any other schema). */
export function keysOf(schema: z.ZodType): readonly string[] {
  return KEYS.get(schema) ?? [];
}

/** True for a YAML mapping (a plain object). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reports the issues of a failed parse of the value at `path` in `file`. */
function report(file: YamlFile, path: YamlPath, error: z.ZodError): void {
  const unknownFirst = [...error.issues].sort((a, b) => rank(a) - rank(b));
  for (const issue of unknownFirst) {
    const at = issue.path.map((p) => typeof p === "number" ? p : String(p));
    const unsupported = issue.code === "custom" && !!issue.params?.[UNSUPPORTED];
    // An unknown key is reported at the key itself, every other problem at its value.
    file.report([...path, ...at], issue.message, { unsupported, key: isUnknownKey(issue) });
  }
}

function rank(issue: z.core.$ZodIssue): number {
  return isUnknownKey(issue) ? 0 : 1;
}

/** Whether `issue` (of a {@linkcode mapping}) names a key the mapping does not read. */
export function isUnknownKey(issue: z.core.$ZodIssue): boolean {
  return issue.code === "custom" && !!issue.params?.[UNKNOWN_KEY];
}

/**
 * Validates `value` (found at `path` in `file`) with `schema`, reporting
 * every problem to the file.
 *
 * @returns the parsed value, or `undefined` when it is not valid.
 */
export function readValue<T>(
  file: YamlFile,
  path: YamlPath,
  schema: z.ZodType<T, unknown>,
  value: unknown,
): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  report(file, path, result.error);
  return undefined;
}

/**
 * Like {@linkcode readValue} for a {@linkcode mapping}, but a mapping with
 * problems still gives the keys whose values are valid on their own, so one
 * bad key does not hide the rest (every problem is reported).
 *
 * @returns the valid keys' values, or `undefined` when `value` is not a mapping.
 */
export function readMapping<T extends Record<string, unknown>>(
  file: YamlFile,
  path: YamlPath,
  schema: z.ZodType<T, unknown>,
  value: unknown,
): Partial<T> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  report(file, path, result.error);
  const shape = SHAPES.get(schema);
  if (!shape || !isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(shape)) {
    const one = (field as z.ZodType).safeParse(value[key]);
    if (one.success && one.data !== undefined) out[key] = one.data;
  }
  return out as Partial<T>;
}
