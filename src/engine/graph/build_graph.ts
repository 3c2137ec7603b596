/**
 * The project DAG: which node reads which, resolved from the relations each
 * SQL text names, in a deterministic topological order.
 *
 * @module
 */
import { CycleError, type ProjectIssue, type SourceLocation } from "../errors.ts";
import { materialization } from "../materializations/index.ts";
import { closest } from "../suggest.ts";
import type { GenericTestNode, Project, ProjectNode, RelationRef, SourceNode } from "../types.ts";

/** The resolved dependency graph of a project. */
export interface Graph {
  nodes: Map<string, ProjectNode>;
  /** Node id to the ids it reads, in order of first reference. */
  parents: Map<string, string[]>;
  /** Node id to the ids that read it. */
  children: Map<string, string[]>;
  /** Every node id, parents before children (and after what {@linkcode Graph.feeds} names); ties broken by id. */
  order: string[];
  /**
   * A dbt project's declared source table to the model or seed that builds
   * the relation it reads (a seed `source()` reads): not a dependency (the
   * source has no parents, as in dbt's manifest, and selecting `+model`
   * stops at it), but built first when both are in a run.
   */
  feeds?: Map<string, string[]>;
}

/** Finds a cycle among `ids` (following `parents`), as a path that starts and ends with one node. */
export function findCycle(
  ids: readonly string[],
  parents: Map<string, string[]>,
): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const s = state.get(id);
    if (s === "done") return undefined;
    if (s === "visiting") return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, "visiting");
    stack.push(id);
    for (const p of parents.get(id) ?? []) {
      const cycle = visit(p);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of [...ids].sort()) {
    const cycle = visit(id);
    if (cycle) return cycle.reverse();
  }
  return undefined;
}

/** Orders `ids` parents first (Kahn's algorithm, ties by id). Assumes no cycle. */
export function topologicalOrder(ids: readonly string[], parents: Map<string, string[]>): string[] {
  const idSet = new Set(ids);
  const pending = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const id of ids) {
    const ps = (parents.get(id) ?? []).filter((p) => idSet.has(p));
    pending.set(id, ps.length);
    for (const p of ps) children.set(p, [...(children.get(p) ?? []), id]);
  }
  const ready = ids.filter((id) => pending.get(id) === 0).sort();
  const order: string[] = [];
  while (ready.length) {
    const id = ready.shift()!;
    order.push(id);
    for (const c of children.get(id) ?? []) {
      const n = pending.get(c)! - 1;
      pending.set(c, n);
      if (n === 0) {
        const at = ready.findIndex((r) => r > c);
        ready.splice(at === -1 ? ready.length : at, 0, c);
      }
    }
  }
  return order;
}

/** Options of {@linkcode buildGraph}. */
export interface BuildGraphOptions {
  /**
   * The attached databases that could be read, each with its tables and
   * views (`catalog.schema.name`). References into another attached
   * database are taken on trust.
   */
  catalogs?: ReadonlyMap<string, readonly string[]>;
}

/**
 * Resolves every reference of the project against its models, seeds and
 * the tables that exist (`sources`: the warehouse's `raw.*` and `wharf.*`
 * tables as `schema.name`; `options.catalogs`: those of the attached
 * databases), and orders the nodes. Without `sources` (no warehouse to
 * ask), every `raw.*` reference is taken as a source.
 *
 * A reference into an attached database (`lake.raw.orders`) is a model
 * built there, or a table of it, which becomes a source node; a schema
 * the project builds models into in that database holds only those models.
 *
 * Unknown references are returned as issues (with a suggestion); a cycle
 * throws {@linkcode CycleError} when it is the only problem, otherwise it is
 * one more issue.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { loadProject } from "../project/load_project.ts";
 * import { buildGraph } from "./build_graph.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/models/staging`, { recursive: true });
 * await Deno.writeTextFile(`${root}/models/staging/stg_claims.sql`, "select * from raw.claims");
 * await Deno.writeTextFile(`${root}/models/staging/stg_claim.sql`, "select * from staging.claim");
 * const { graph, issues } = buildGraph(await loadProject(resolveEngineConfig(root, {}, [])), ["raw.claims"]);
 * assert.deepEqual(graph.parents.get("staging.stg_claims"), ["raw.claims"]);
 * assert.match(issues[0]!.message, /Cannot resolve relation "staging\.claim".*no such model/);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function buildGraph(
  project: Project,
  sources?: readonly string[],
  options: BuildGraphOptions = {},
): { graph: Graph; issues: ProjectIssue[]; missing: Map<string, ProjectIssue[]> } {
  const issues: ProjectIssue[] = [];
  // Raw tables referenced but not landed: their problems are kept apart, so
  // a run that does not need them can go on (see compileProject).
  const missing = new Map<string, ProjectIssue[]>();
  const nodes = new Map<string, ProjectNode>();
  const rawRefs = [...project.models, ...project.tests, ...project.exposures ?? []]
    .flatMap((n) => n.kind === "model" ? [...n.refs, ...n.checkRefs] : "refs" in n ? n.refs : [])
    .map((r) => r.relation).filter((r) => r.startsWith("raw.") || r.startsWith("wharf."));
  // wharf's own tables are sources only where a model reads them; so are attached databases' tables.
  const referenced = new Set(rawRefs);
  const landed = new Set(
    (sources ?? rawRefs).map((s) => s.toLowerCase()).filter((s) =>
      !s.startsWith("wharf.") || referenced.has(s)
    ),
  );
  // A dbt project's declared tables are sources of their own, however many read one relation.
  const ownNodes = (project.sources ?? []).filter((s) => s.id !== undefined);
  const declaredRelations = new Set(ownNodes.map((s) => s.relation));
  for (const id of landed) {
    if (!declaredRelations.has(id)) nodes.set(id, sourceNode(id));
  }
  for (const s of ownNodes) {
    // Raw tables must be landed to be read (without a warehouse to ask, they are taken on trust).
    const notLanded = isWarehouseTable(s.relation) && sources !== undefined &&
      !landed.has(s.relation) && s.external === undefined;
    nodes.set(s.id!, {
      ...sourceNode(s.relation, { source: s.source, table: s.table }, s.id),
      ...(s.tags?.length ? { tags: s.tags } : {}),
      ...(s.meta ? { meta: s.meta } : {}),
      ...(s.fqn ? { fqn: s.fqn } : {}),
      ...(s.eventTime ? { eventTime: s.eventTime } : {}),
      ...(s.external ? { external: s.external } : {}),
      file: s.location.file,
      ...(notLanded ? { missing: true } : {}),
    });
  }
  for (
    const n of [
      ...project.seeds,
      ...project.models,
      ...project.tests,
      ...project.unitTests ?? [],
      ...project.exposures ?? [],
      ...project.analyses ?? [],
    ]
  ) nodes.set(n.id, n);
  /** Each relation, to the nodes that are it: the model or seed building it, or the sources reading it. */
  const byRelation = new Map<string, string[]>();
  /** Each relation, to the declared (dbt) source tables reading it, whatever builds it. */
  const declaredReaders = new Map<string, string[]>();
  const addRelation = (n: ProjectNode) => {
    const relation = relationOf(n);
    if (relation === undefined) return;
    if (n.kind === "source" && n.id !== relation) {
      declaredReaders.set(relation, [...declaredReaders.get(relation) ?? [], n.id]);
    }
    const list = byRelation.get(relation) ?? [];
    // A model (or seed) building the relation is what reading it depends on.
    if (n.kind !== "source") list.splice(0, list.length, n.id);
    else if (!list.some((id) => nodes.get(id)?.kind !== "source")) list.push(n.id);
    byRelation.set(relation, list);
  };
  for (const n of nodes.values()) addRelation(n);
  // The relations of the project's nodes (read once: the sources resolving adds are not suggested).
  const relations = [...byRelation.keys()];
  const ownIds = new Set(ownNodes.map((s) => s.id!));
  const byName = new Map<string, string[]>();
  for (const id of relations) {
    const name = id.split(".").pop()!;
    byName.set(name, [...(byName.get(name) ?? []), id]);
  }
  const attached = new Map(project.config.attach.map((a) => [a.name, a]));
  const listed = options.catalogs ?? new Map<string, readonly string[]>();
  // `catalog.layer` of the models built into attached databases: those schemas hold only models.
  const builtInto = new Set(
    project.models.filter((m) => m.catalog).map((m) => `${m.catalog}.${m.layer}`),
  );

  /** Resolves `catalog.schema.name`: a model built there, or a table of the attached database. */
  const resolveAttached = (ref: string, file: string, where: ProjectIssue["location"]) => {
    const [catalog, schema] = ref.split(".") as [string, string];
    const db = attached.get(catalog);
    const fail = (what: string, candidates: readonly string[]) => {
      const guess = candidates.length ? closest(ref, candidates) : undefined;
      issues.push({
        message: `Cannot resolve relation "${ref}" in ${file}: ${what}${
          guess ? ` (did you mean "${guess}"?)` : ""
        }`,
        location: where,
      });
      return undefined;
    };
    if (!db) {
      return fail(
        `no database "${catalog}" is attached (${
          attached.size
            ? `wharf.config.ts attaches ${[...attached.keys()].map((k) => `"${k}"`).join(", ")}`
            : "wharf.config.ts attaches none"
        }): attach it there, e.g. attach: { ${catalog}: "${catalog}.duckdb" }; relations of the warehouse itself are written without a database`,
        // The warehouse's own relation, when that is what was meant.
        relations.filter((r) => r === ref.slice(catalog.length + 1)),
      );
    }
    if (builtInto.has(`${catalog}.${schema}`)) {
      return fail(
        `no such model built into "${catalog}"`,
        relations.filter((r) => r.startsWith(`${catalog}.`)),
      );
    }
    const tables = listed.get(catalog);
    if (tables && !tables.includes(ref)) {
      return fail(`no such table in the attached database "${catalog}" (${db.target})`, tables);
    }
    if (!nodes.has(ref)) nodes.set(ref, { ...sourceNode(ref), catalog });
    return ref;
  };

  /** Why a reference to a `raw.*` or `wharf.*` table that is not there cannot be read yet. */
  const notLanded = (ref: string, file: string, at: Partial<RelationRef>): ProjectIssue => ({
    message: `Cannot resolve relation "${ref}" in ${file}: ${notLandedWhy(ref.split(".")[0]!)}`,
    location: { file, line: at.line, column: at.column },
  });

  /**
   * The nodes a reference of `n` reads: the model or seed building the
   * relation, or the sources reading it (a relation several declared tables
   * read: those `n` names with `source()`, or all of them); a declared
   * table's node id is itself. Unresolved: none, with the issue recorded.
   */
  const resolve = (
    ref: string,
    n: { path: string; namedSources?: readonly string[] },
    at: Partial<RelationRef>,
  ): string[] => {
    const file = n.path;
    if (ownIds.has(ref)) return [ref];
    // A dbt source() call depends on the source table it names, even where a seed or model
    // builds the relation (that one is built first: see feeds).
    const sourced = (declaredReaders.get(ref) ?? []).filter((id) => n.namedSources?.includes(id));
    const found = sourced.length ? sourced : byRelation.get(ref) ?? [];
    if (found.length) {
      const named = found.filter((id) => n.namedSources?.includes(id));
      const ids = named.length ? named : found;
      for (const id of ids) {
        const node = nodes.get(id);
        if (node?.kind === "source" && node.missing) {
          missing.set(id, [...(missing.get(id) ?? []), notLanded(ref, file, at)]);
        }
      }
      return ids;
    }
    // A checked model's quarantine is built with it: reading `<model>__rejected` (or, when a
    // check nullifies, `<model>__rejected_values`) depends on the model.
    const quarantine = /^(.+?)__rejected(_values)?$/.exec(ref);
    if (quarantine) {
      const owners = (byRelation.get(quarantine[1]!) ?? []).filter((id) => {
        const node = nodes.get(id);
        return node?.kind === "model" && node.checks.length > 0 &&
          (!quarantine[2] || node.checks.some((c) => c.onFail === "nullify"));
      });
      if (owners.length) return owners;
    }
    const where = { file, line: at.line, column: at.column };
    const dbt = project.config.dbt;
    if (ref.split(".").length === 3) {
      // A dbt model may name the warehouse's own database (dbt-duckdb's three-part names).
      const [catalog, ...rest] = ref.split(".");
      if (dbt && catalog === dbt.target.database && !attached.has(catalog!)) {
        return resolve(rest.join("."), n, at);
      }
      return [resolveAttached(ref, file, where)].filter((r) => r !== undefined);
    }
    // A dbt model's SQL may name a relation no ref() or source() gives, as dbt runs it: it is
    // read as it is, with no dependency (a raw.* table still waits to be landed).
    const written = ref.includes(".") ? ref.split(".")[0] : undefined;
    if (dbt && written !== "raw" && written !== "wharf") return [];
    if (!ref.includes(".")) {
      const same = byName.get(ref) ?? [];
      if (same.length === 1) {
        issues.push({
          message: `Cannot resolve relation "${ref}": qualify it with its schema as "${same[0]}"`,
          location: where,
        });
        return [];
      }
    }
    const schema = ref.includes(".") ? ref.split(".")[0] : undefined;
    const elsewhere = relations.filter((r) => r.endsWith(`.${ref}`) && r.split(".").length === 3);
    const what = schema === "raw" || schema === "wharf"
      ? notLandedWhy(schema)
      : schema === "seeds"
      ? "no such seed"
      : elsewhere.length === 1
      ? `it is built into the attached database "${elsewhere[0]!.split(".")[0]}": write "${
        elsewhere[0]
      }"`
      : schema !== undefined && attached.has(schema)
      ? `"${schema}" is an attached database: name its tables with their schema too, e.g. "${schema}.main.${
        ref.split(".")[1]
      }"`
      : "no such model";
    const guess = elsewhere.length === 1 ? undefined : closest(ref, relations);
    const issue = {
      message: `Cannot resolve relation "${ref}" in ${file}: ${what}${
        guess ? ` (did you mean "${guess}"?)` : ""
      }`,
      location: where,
    };
    if (schema !== "raw" && schema !== "wharf") {
      issues.push(issue);
      return [];
    }
    // A plain-SQL table declared optional is read as empty until it is landed.
    const optional = (project.sources ?? []).find((s) =>
      s.id === undefined && s.relation === ref && s.optional && s.columns?.length
    );
    if (optional) {
      if (!nodes.has(ref)) nodes.set(ref, { ...sourceNode(ref), emptyColumns: optional.columns });
      return [ref];
    }
    if (!nodes.has(ref)) nodes.set(ref, { ...sourceNode(ref), missing: true });
    missing.set(ref, [...(missing.get(ref) ?? []), issue]);
    return [ref];
  };

  const parents = new Map<string, string[]>();
  /** Where each dependency is first written (`child\nparent`), for a cycle's message. */
  const writtenAt = new Map<string, SourceLocation>();
  const addParent = (id: string, parent: string | undefined, at?: SourceLocation) => {
    if (parent === undefined) return;
    const list = parents.get(id) ?? [];
    if (!list.includes(parent)) list.push(parent);
    parents.set(id, list);
    if (at && !writtenAt.has(`${id}\n${parent}`)) writtenAt.set(`${id}\n${parent}`, at);
  };
  for (const n of [...nodes.values()]) {
    if (!parents.has(n.id)) parents.set(n.id, []);
    if (
      n.kind === "model" || n.kind === "singular_test" || n.kind === "exposure" ||
      n.kind === "analysis"
    ) {
      for (const r of n.refs) {
        if (n.kind === "model" && r.relation === n.id) {
          // Reading itself is how an incremental model chooses its new rows, not a dependency.
          if (!materialization(n.config.materialized).readsItself) {
            issues.push({
              message:
                `Cannot read "${n.id}" in ${n.path}: a model reads its own relation only when it is incremental (to choose its new rows), and this one is ${n.config.materialized}`,
              location: { file: n.path, line: r.line, column: r.column },
            });
          }
          continue;
        }
        const at = { file: n.path, line: r.line, column: r.column };
        for (const p of resolve(r.relation, n, r)) addParent(n.id, p, at);
      }
      if (n.kind === "model") {
        for (const r of n.checkRefs) {
          for (const p of resolve(r.relation, n, {})) addParent(n.id, p, { file: n.path });
        }
      }
    } else if (n.kind === "unit_test") {
      // A unit test goes with its model (selected with it); it reads none of the warehouse's data.
      addParent(n.id, n.model);
    } else if (n.kind === "generic_test") {
      addParent(n.id, n.attachedTo);
      if (n.test.reads.length) {
        const reads = n.test.reads.map((to) =>
          ownIds.has(to) ? to : resolveTestTarget(n, to, { byName, byRelation, nodes, issues })
        );
        for (const to of reads) addParent(n.id, to);
        // The test compiles against the resolved relations, however they were written.
        const resolved = reads.filter((to) => to !== undefined);
        if (resolved.length === reads.length) {
          nodes.set(n.id, { ...n, test: { ...n.test, reads: resolved } });
        }
      }
    }
  }

  // A plain-SQL project's sources: names for the nodes of the relations its models read.
  for (const s of project.sources ?? []) {
    const n = s.id === undefined ? nodes.get(s.relation) : undefined;
    if (n?.kind === "source") {
      n.declared = [...n.declared ?? [], { source: s.source, table: s.table }];
      n.file ??= s.location.file;
    }
  }

  // A declared source table of a relation the project builds waits for what builds it.
  const feeds = new Map<string, string[]>();
  for (const [relation, readers] of declaredReaders) {
    const builder = (byRelation.get(relation) ?? []).filter((id) =>
      nodes.get(id)?.kind !== "source"
    );
    for (const id of builder.length ? readers : []) feeds.set(id, builder);
  }
  const ordering = new Map(parents);
  for (const [id, builder] of feeds) {
    ordering.set(id, [...new Set([...ordering.get(id) ?? [], ...builder])]);
  }
  const ids = [...nodes.keys()];
  const cycle = findCycle(ids, ordering);
  if (cycle) {
    const edges = cycle.slice(1).map((node, i) => {
      const at = writtenAt.get(`${node}\n${cycle[i]!}`);
      return { node, reads: cycle[i]!, ...(at ? { at } : {}) };
    });
    const err = new CycleError(cycle, edges);
    if (issues.length === 0) throw err;
    const first = nodes.get(cycle[0]!);
    issues.push({
      message: err.message,
      location: edges.find((e) => e.at)?.at ??
        { file: first && "path" in first ? first.path : cycle[0]! },
    });
  }
  const order = cycle ? ids.sort() : topologicalOrder(ids, ordering);
  const children = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const id of order) {
    for (const p of parents.get(id) ?? []) children.get(p)?.push(id);
  }
  return {
    graph: { nodes, parents, children, order, ...(feeds.size ? { feeds } : {}) },
    issues,
    missing,
  };
}

/** Why a `raw.*` (or `wharf.*`) table that is not in the warehouse cannot be read. */
function notLandedWhy(schema: string): string {
  return schema === "raw"
    ? "no such raw table in the warehouse (land it first with `wharf land`, `wharf tic` or `wharf enrich npi`)"
    : "no such wharf table in the warehouse yet (the command that keeps it creates it, e.g. `wharf enrich npi` for wharf.npi_ledger)";
}

/** Whether `relation` is one of the warehouse's own tables (`raw.*`, `wharf.*`), which must exist to be read. */
function isWarehouseTable(relation: string): boolean {
  return relation.startsWith("raw.") || relation.startsWith("wharf.");
}

/** A source node reading `relation` (its id, unless it is a declared table with a node of its own). */
function sourceNode(
  relation: string,
  declared?: { source: string; table: string },
  id = relation,
): SourceNode {
  return {
    kind: "source",
    id,
    name: declared?.table ?? relation.split(".").pop()!,
    relation,
    ...(declared ? { declared: [declared] } : {}),
  };
}

/**
 * What node `id` waits for in a run: its parents, with what builds the
 * relation of each source table among them (see {@linkcode Graph.feeds}).
 */
export function runParents(graph: Graph, id: string): string[] {
  const parents = graph.parents.get(id) ?? [];
  return [...new Set(parents.flatMap((p) => [p, ...graph.feeds?.get(p) ?? []]))];
}

/** Every ancestor of `ids` in `graph` (not `ids` themselves, unless one is another's ancestor). */
export function ancestorsOf(graph: Graph, ids: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const stack = [...ids];
  while (stack.length) {
    for (const p of graph.parents.get(stack.pop()!) ?? []) {
      if (!out.has(p)) {
        out.add(p);
        stack.push(p);
      }
    }
  }
  return out;
}

/** The relation a node is (a model or seed) or reads (a source); undefined for tests, exposures and analyses. */
export function relationOf(n: ProjectNode): string | undefined {
  return n.kind === "source"
    ? n.relation
    : n.kind === "model" || n.kind === "seed"
    ? n.id
    : undefined;
}

/** Resolves what a generic test reads beside its node (a relation, or a bare name) to its node. */
function resolveTestTarget(
  test: GenericTestNode,
  to: string,
  graph: {
    byName: Map<string, string[]>;
    byRelation: Map<string, string[]>;
    nodes: Map<string, ProjectNode>;
    issues: ProjectIssue[];
  },
): string | undefined {
  const { byName, byRelation, nodes, issues } = graph;
  const relations = [...byRelation.keys()];
  const found = byRelation.get(to) ?? [];
  if (found.length === 1) return found[0];
  if (found.length > 1) {
    issues.push({
      message: `Test "${test.name}" refers to "${to}": ${found.length} sources read it (${
        found.map((id) => {
          const d = (nodes.get(id) as SourceNode).declared?.[0];
          return d ? `source('${d.source}', '${d.table}')` : id;
        }).join(", ")
      }): name one of them`,
      location: test.location,
    });
    return undefined;
  }
  const same = byName.get(to) ?? [];
  if (same.length === 1) return byRelation.get(same[0]!)![0];
  const guess = closest(to, relations);
  issues.push({
    message: `Test "${test.name}" refers to "${to}": ${
      same.length > 1
        ? `ambiguous, qualify it as one of ${same.map((s) => `"${s}"`).join(", ")}`
        : "no such model or seed"
    }${guess && same.length <= 1 ? ` (did you mean "${guess}"?)` : ""}`,
    location: test.location,
  });
  return undefined;
}
