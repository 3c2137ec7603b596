/**
 * One `reporting_structure` element as real files write it, made regular:
 * enum values in lower case, `allowed_amount_file` singular or plural, an
 * object or a list.
 *
 * @module
 */

/** A plan of a reporting structure. */
export interface TicPlan {
  plan_name: string | null;
  plan_id: string | null;
  plan_id_type: string | null;
  plan_market_type: string | null;
}

/** A file a reporting structure points at. */
export interface TicFileRef {
  kind: "in_network" | "allowed_amount";
  url: string;
  description: string | null;
}

/** A reporting structure, regularized. */
export interface TicStructure {
  plans: TicPlan[];
  files: TicFileRef[];
}

function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : String(v);
}

function lower(v: unknown): string | null {
  const t = text(v);
  return t === null ? null : t.trim().toLowerCase();
}

function asList(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === "object" && !Array.isArray(v)
    ? v as Record<string, unknown>
    : undefined;
}

/** Regularizes one element; unreadable parts are left out, never guessed. */
export function normalizeStructure(element: unknown): TicStructure {
  const e = record(element) ?? {};
  const plans = asList(e.reporting_plans).flatMap((p) => {
    const r = record(p);
    return r
      ? [{
        plan_name: text(r.plan_name),
        plan_id: text(r.plan_id),
        plan_id_type: lower(r.plan_id_type),
        plan_market_type: lower(r.plan_market_type),
      }]
      : [];
  });
  const files: TicFileRef[] = [];
  const add = (kind: TicFileRef["kind"], v: unknown) => {
    for (const f of asList(v)) {
      const r = record(f);
      const url = text(r?.location)?.trim();
      if (r && url) files.push({ kind, url, description: text(r.description) });
    }
  };
  add("in_network", e.in_network_files);
  add("allowed_amount", e.allowed_amount_file);
  add("allowed_amount", e.allowed_amount_files);
  return { plans, files };
}
