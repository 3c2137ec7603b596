/**
 * Exposures (`exposures:` in a project's YAML, dbt's keys): what reads the
 * project from outside (a dashboard, a notebook, an application), with its
 * owner and the models and sources it depends on, and dbt 1.10's `config:`
 * (`enabled`, `meta`, `tags`). They are not built; the
 * graph resolves what they read (an unknown one is an error naming the
 * closest), `wharf ls` lists them and the docs draw them.
 *
 * @module
 */
import { z } from "../zod.ts";
import type { ExposureNode, RelationRef } from "../types.ts";
import { describe, type YamlFile, type YamlPath } from "../yaml/yaml_file.ts";
import { flag, list, mapping, oneOf, readValue, text, textList } from "../yaml/yaml_schema.ts";

/** The types dbt gives an exposure. */
export const EXPOSURE_TYPES = ["dashboard", "notebook", "analysis", "ml", "application"] as const;

const exposureEntry = mapping((v) => `exposure "${String(v.name)}"`, {
  name: text("a name").regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: "expected a name of letters, digits and underscores",
  }),
  label: text().optional(),
  type: oneOf(EXPOSURE_TYPES),
  owner: mapping("an exposure's owner", { name: text().optional(), email: text().optional() })
    .refine((o) => o.name !== undefined || o.email !== undefined, {
      error: 'expected an owner with a "name" or an "email"',
    }),
  depends_on: list(text("ref('model') or source('source', 'table')"), "a list").optional(),
  url: text("a URL").optional(),
  description: text().nullish(),
  maturity: oneOf(["high", "medium", "low"] as const).optional(),
  tags: textList().optional(),
  meta: metaMapping().optional(),
  // dbt 1.10's configs of an exposure.
  config: mapping("an exposure's config", {
    enabled: flag().optional(),
    meta: metaMapping().optional(),
    tags: textList().optional(),
  }).nullish(),
});

function metaMapping() {
  return z.record(z.string(), z.unknown(), {
    error: (iss) => `expected a mapping, got ${describe(iss.input)}`,
  });
}

/** What a `depends_on` entry names: a relation (or a declared source table's node), or why it names none. */
export type DependencyResolver = (
  written: string,
) => { relation: string } | { problem: string };

/** An `exposures:` entry of a YAML file. */
export interface ExposureEntry {
  file: YamlFile;
  path: YamlPath;
  value: unknown;
}

/**
 * Reads `entries` into exposure nodes, each `depends_on` entry resolved by
 * `resolve` (a loader knows how its project names relations). Problems are
 * reported to the entries' files; a name used twice is reported there too.
 */
export function readExposures(
  entries: readonly ExposureEntry[],
  /** Resolves a `depends_on` entry; `unreadable`: it names a node that could not be read (left out). */
  resolve: (written: string) => ReturnType<DependencyResolver> | { unreadable: true },
): ExposureNode[] {
  const out: ExposureNode[] = [];
  for (const { file, path, value } of entries) {
    const e = readValue(file, path, exposureEntry, value);
    if (!e) continue;
    // `enabled: false` in its config: no exposure, as in dbt (what it reads is not resolved).
    if (e.config?.enabled === false) continue;
    const name = e.name.toLowerCase();
    const first = out.find((x) => x.name === name);
    if (first) {
      file.report(
        [...path, "name"],
        `exposure "${name}" is declared twice (also in ${first.path})`,
      );
      continue;
    }
    const refs: RelationRef[] = [];
    (e.depends_on ?? []).forEach((written, i) => {
      const at = [...path, "depends_on", i];
      const found = resolve(written.trim());
      if ("problem" in found) file.report(at, found.problem);
      // A node that could not be read has its own problem reported: this one would repeat it.
      else if ("unreadable" in found) return;
      else refs.push({ relation: found.relation, offset: 0, line: file.locate(at).line ?? 1 });
    });
    out.push({
      kind: "exposure",
      id: `exposure.${name}`,
      name,
      type: e.type,
      ...(e.label ? { label: e.label } : {}),
      owner: e.owner,
      ...(e.url ? { url: e.url } : {}),
      description: e.description ?? "",
      ...(e.maturity ? { maturity: e.maturity } : {}),
      // dbt's: its tags and its config's, sorted, once each; its meta under its config's.
      tags: [...new Set([...e.tags ?? [], ...e.config?.tags ?? []])].sort(),
      meta: { ...e.meta, ...e.config?.meta },
      path: file.path,
      refs,
    });
  }
  return out;
}

/** `ref('x')`, `ref('project', 'x')` or `source('a', 'b')` as written in `depends_on`. */
export function parseDependency(
  written: string,
): { ref: string; project?: string } | { source: string; table: string } | undefined {
  const args = (inner: string) =>
    [...inner.matchAll(/\s*(['"])(.*?)\1\s*(,|$)/g)].map((m) => m[2]!);
  const call = /^(ref|source)\s*\((.*)\)$/s.exec(written);
  if (!call) return undefined;
  const a = args(call[2]!);
  if (call[1] === "ref" && (a.length === 1 || a.length === 2)) {
    return a.length === 1 ? { ref: a[0]! } : { project: a[0]!, ref: a[1]! };
  }
  if (call[1] === "source" && a.length === 2) return { source: a[0]!, table: a[1]! };
  return undefined;
}
