/**
 * `serve.coalesce`: what the coalescing endpoint reads and answers. The
 * server knows no table of its own: a project names the relation holding
 * its sources' figures (one row per key and source), the key it is asked
 * for, and the fields it answers.
 *
 * @module
 */
import { ConfigError } from "../engine/errors.ts";
import { closest } from "../engine/suggest.ts";

/** `serve.coalesce` as written in wharf.config.ts. */
export interface CoalesceConfig {
  /**
   * The warehouse's relation with one row per key and source
   * (`schema.name`), usually a mart: the landed answers.
   */
  model: string;
  /** The key: the query parameter (`?<key>=…`) and the model's column. */
  key: string;
  /** The model's column naming each row's source. Default `source`. */
  source?: string;
  /** The model's column saying when each row's figures hold: shown with `?explain=true`. */
  asOf?: string;
  /**
   * The figures: the model's columns, the fields live upstreams answer and
   * the fields of every answer, each an integer amount from 0 to
   * 100,000,000,000.
   */
  fields: string[];
  /**
   * Where the figures a check rejected are (a checked model's quarantine,
   * `<model>__rejected`). A key with no row of a source in `model` but one
   * here gets that source named as failed (with its checks) instead of being
   * unknown to it: no answer from the others is a 502, not a 404.
   */
  rejected?: RejectedConfig;
}

/** `serve.coalesce.rejected`: the relation of rejected figures and its columns. */
export interface RejectedConfig {
  /** The warehouse's relation (`schema.name`), e.g. a checked model's `marts.prices__rejected`. */
  relation: string;
  /** Its key column. Default: `serve.coalesce.key`. */
  key?: string;
  /** Its column naming each row's source. Default: `serve.coalesce.source`. */
  source?: string;
  /** Its column saying why (a list of check names, or text). Default `_failed_checks`. */
  reason?: string;
}

/** `serve.coalesce.rejected` resolved: defaults filled in. */
export interface RejectedSpec {
  relation: string;
  key: string;
  source: string;
  reason: string;
}

/** `serve.coalesce` resolved: defaults filled in, every name checked. */
export interface CoalesceSpec {
  model: string;
  key: string;
  source: string;
  asOf?: string;
  fields: readonly string[];
  /** Present when configured. */
  rejected?: RejectedSpec;
}

const KEYS = ["model", "key", "source", "asOf", "fields", "rejected"] as const;
const REJECTED_KEYS = ["relation", "key", "source", "reason"] as const;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Keys an explained answer adds beside the fields. */
const EXPLAIN_KEYS = ["strategy", "sources"];

function fail(what: string, detail: string): never {
  throw new ConfigError(`Invalid "serve.coalesce${what}" in wharf.config.ts: ${detail}`, {
    location: { file: "wharf.config.ts" },
  });
}

/** `value` as a column name, or an error naming `what`. */
function columnName(what: string, value: unknown): string {
  if (typeof value !== "string" || !IDENTIFIER.test(value)) {
    fail(
      `.${what}`,
      `expected a column name (letters, digits and _, not starting with a digit), got ${
        JSON.stringify(value)
      }`,
    );
  }
  return value;
}

/** Fails on the first key of `raw` not among `keys`, naming the closest. */
function knownKeys(what: string, raw: object, keys: readonly string[]): void {
  for (const k of Object.keys(raw)) {
    if (keys.includes(k)) continue;
    const guess = closest(k, keys);
    fail(
      `${what}.${k}`,
      `unknown key${guess ? ` (did you mean "${guess}"?)` : ""}: it takes ${
        keys.map((x) => `"${x}"`).join(", ")
      }`,
    );
  }
}

/** `value` as a relation of the warehouse file (`schema.name`), or an error naming `what`. */
function relationName(what: string, value: unknown): string {
  if (
    typeof value !== "string" || value.split(".").length !== 2 ||
    !value.split(".").every((p) => IDENTIFIER.test(p))
  ) {
    fail(
      what,
      `expected a relation of the warehouse, "schema.name", got ${
        JSON.stringify(value)
      } (the server answers from snapshots of the warehouse file: a model built into an attached database is not in them)`,
    );
  }
  return value;
}

/** Fails when two roles of `roles` name one column (case-insensitively), naming both. */
function distinct(prefix: string, roles: [role: string, column: string][]): void {
  for (const [i, [role, name]] of roles.entries()) {
    const first = roles.findIndex(([, n]) => n.toLowerCase() === name.toLowerCase());
    if (first < i) {
      fail(`${prefix}.${role}`, `"${name}" is already serve.coalesce${prefix}.${roles[first]![0]}`);
    }
  }
}

/** Resolves `serve.coalesce.rejected` against the resolved model's names. */
function resolveRejected(
  raw: unknown,
  spec: { model: string; key: string; source: string },
): RejectedSpec {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    fail(
      ".rejected",
      `expected { relation, key?, source?, reason? }, got ${JSON.stringify(raw)}`,
    );
  }
  knownKeys(".rejected", raw, REJECTED_KEYS);
  const r = raw as Record<string, unknown>;
  const relation = relationName(".rejected.relation", r.relation);
  if (relation.toLowerCase() === spec.model.toLowerCase()) {
    fail(
      ".rejected.relation",
      `"${relation}" is serve.coalesce.model: name the relation its rejected rows go to (a checked model's is "${relation}__rejected")`,
    );
  }
  const key = columnName("rejected.key", r.key ?? spec.key);
  const source = columnName("rejected.source", r.source ?? spec.source);
  const reason = columnName("rejected.reason", r.reason ?? "_failed_checks");
  distinct(".rejected", [["key", key], ["source", source], ["reason", reason]]);
  return { relation, key, source, reason };
}

/**
 * Resolves `serve.coalesce` (undefined when absent: no coalescing routes).
 *
 * @throws {ConfigError} for an unknown key (with the closest), a missing or
 * malformed name, no fields, or two roles sharing a column.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveCoalesce } from "./coalesce_config.ts";
 *
 * assert.deepEqual(resolveCoalesce({ model: "marts.prices", key: "sku", fields: ["price"] }), {
 *   model: "marts.prices",
 *   key: "sku",
 *   source: "source",
 *   asOf: undefined,
 *   fields: ["price"],
 * });
 * assert.throws(() => resolveCoalesce({ model: "prices", key: "sku", fields: ["price"] }));
 * ```
 */
export function resolveCoalesce(raw: CoalesceConfig | undefined): CoalesceSpec | undefined {
  if (raw === undefined) return undefined;
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    fail("", `expected { model, key, fields }, got ${JSON.stringify(raw)}`);
  }
  knownKeys("", raw, KEYS);
  const model = relationName(".model", raw.model);
  const key = columnName("key", raw.key);
  if (key === "explain") fail(".key", `"explain" is the API's own query parameter`);
  const source = columnName("source", raw.source ?? "source");
  const asOf = raw.asOf === undefined ? undefined : columnName("asOf", raw.asOf);
  if (!Array.isArray(raw.fields) || raw.fields.length === 0) {
    fail(".fields", `expected a non-empty list of column names, got ${JSON.stringify(raw.fields)}`);
  }
  const fields = raw.fields.map((f, i) => columnName(`fields[${i}]`, f));
  const roles = coalesceColumns({ key, source, asOf, fields });
  distinct("", roles);
  for (const [role, name] of roles) {
    if (role.startsWith("fields") && EXPLAIN_KEYS.includes(name)) {
      fail(`.${role}`, `"${name}" is a key of explained answers (?explain=true): rename the field`);
    }
  }
  if (raw.rejected === undefined) return { model, key, source, asOf, fields };
  return {
    model,
    key,
    source,
    asOf,
    fields,
    rejected: resolveRejected(raw.rejected, { model, key, source }),
  };
}

/**
 * The columns `serve.coalesce` names in its model, each with its role as
 * written in the configuration (`key`, `source`, `asOf`, `fields[0]`, …).
 */
export function coalesceColumns(
  spec: Pick<CoalesceSpec, "key" | "source" | "asOf" | "fields">,
): [role: string, column: string][] {
  return [
    ["key", spec.key],
    ["source", spec.source],
    ...(spec.asOf ? [["asOf", spec.asOf] as [string, string]] : []),
    ...spec.fields.map((f, i) => [`fields[${i}]`, f] as [string, string]),
  ];
}
