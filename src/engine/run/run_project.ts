/**
 * One command's run over the warehouse: compile the project, select nodes,
 * execute them and record the run. What `wharf build|run|seed|test` do.
 *
 * @module
 */
import { dirname } from "node:path";
import type { EngineConfig } from "../config.ts";
import {
  HookError,
  RunEndError,
  UsageError,
  WarehouseError,
  WarehousePathError,
  WarehouseTargetError,
} from "../errors.ts";
import { parseSql } from "../db/parse_sql.ts";
import { quoteLiteral } from "../db/sql.ts";
import { warehouseTarget } from "../db/target.ts";
import { openWarehouse, type Session, type Warehouse } from "../db/warehouse.ts";
import {
  blockedByMissingSources,
  compiledFiles,
  type CompiledProject,
  compileProject,
  type CompileProjectOptions,
  inlinedInto,
  PLAN_KINDS,
  planFor,
  type PlanKind,
  roleOf,
  writeFiles,
} from "../compile/compile_project.ts";
import type { CompiledNode } from "../compile/compile.ts";
import { ancestorsOf } from "../graph/build_graph.ts";
import { type IndirectSelection, selectNodes } from "../graph/select.ts";
import { resourceType } from "../graph/select_methods.ts";
import { materialization } from "../materializations/index.ts";
import type { EventTimeRange } from "../materializations/materialization.ts";
import {
  type DbtManifest,
  dbtManifest,
  recordCompiled,
  writeDbtManifest,
} from "../artifacts/dbt_manifest.ts";
import {
  dbtRunEndContext,
  dbtRunResults,
  type RunArgs,
  writeDbtRunResults,
} from "../artifacts/dbt_run_results.ts";
import { readState, selectionState } from "../artifacts/state.ts";
import { checkAttachedWrites } from "./attached_writes.ts";
import { withCommandVars } from "./command_vars.ts";
import { eventTimeRange, openRunWarehouse } from "./open_run_warehouse.ts";
import { deferUpstreams, unbuiltUpstreams } from "./defer_upstreams.ts";
import { deferredCopies, type DeferredCopy } from "./deferred_relations.ts";
import { unbuiltReads } from "./unbuilt_reads.ts";
import { executePlan } from "./execute.ts";
import { type FailedLanding, failedLandings } from "./failed_landings.ts";
import { type LandingRejects, landingRejects } from "./landing_rejects.ts";
import { compileAtRun } from "./compile_at_run.ts";
import { nodeHookRenderer, runHookRenderer, runHooks } from "./hooks.ts";
import { finishRun, type NodeResult, recordResults, type SkipReason, startRun } from "./run_log.ts";

/** Options of {@linkcode runProject}. */
export interface RunProjectOptions {
  /** Warehouse file; the configured one by default. */
  db?: string;
  select?: readonly string[];
  exclude?: readonly string[];
  /** `--selector NAME`: a selector of the project's `selectors.yml`. */
  selector?: string;
  /** `--indirect-selection`: how tests come along with the nodes selected (default `eager`). */
  indirectSelection?: IndirectSelection;
  threads?: number;
  fullRefresh?: boolean;
  /**
   * `--event-time-start`: microbatch models rebuild the batches from this
   * time (UTC, `2024-01-31` or `2024-01-31 06:00`) to `eventTimeEnd`, instead
   * of their latest ones. Both or neither.
   */
  eventTimeStart?: string;
  /** `--event-time-end`: the end of that range (not included). */
  eventTimeEnd?: string;
  /** Variables overriding the config's `vars`, as given (lists, numbers …: run_results.json records them so). */
  vars?: Readonly<Record<string, unknown>>;
  /**
   * `--state DIR`: an earlier run's target folder, for the `state:`,
   * `result:` and `source_status:` selectors and `defer`.
   */
  state?: string;
  /**
   * `--defer`: a model, seed or snapshot the plan reads but does not run,
   * and which this warehouse lacks (or has as an earlier `--defer`'s copy),
   * is copied from the state's warehouse (named in its run_results.json)
   * before the run.
   */
  defer?: boolean;
  /**
   * The state folder `defer` copies from, when it is not `state`: `wharf
   * retry` selects by its own target/'s results (`state`) and defers, as the
   * run it retries did, to that run's `--state`.
   */
  deferState?: string;
  /** `--fail-fast`: stop at the first error or failed test (see `ExecuteOptions.failFast`). */
  failFast?: boolean;
  /** `--empty`: build models with zero rows (see `CompileOptions.empty`). */
  empty?: boolean;
  /**
   * `--warn-error` (dbt's): a data test that would warn fails instead (see
   * `ExecuteOptions.warnError`). Unset: a dbt project's `warn_error` flag.
   */
  warnError?: boolean;
  /**
   * `--resource-type` (dbt's, as `wharf ls` names them: `model`, `seed`,
   * `snapshot`, `test`, `unit_test`, …; `all` or `default` for every one):
   * the selected nodes run only when of one of these types.
   */
  resourceTypes?: readonly string[];
  /** `--exclude-resource-type`: the selected nodes of these types do not run. */
  excludeResourceTypes?: readonly string[];
  /**
   * The arguments `target/run_results.json` records instead of this run's
   * own: `wharf retry` keeps those of the command it retries (its
   * selection, exclusions and options), as dbt's retry does.
   */
  recordArgs?: RunArgs;
  /** Called once the plan is known, before anything runs. */
  onPlan?: (nodes: readonly CompiledNode[]) => void;
  onStart?: (node: CompiledNode) => void;
  onResult?: (result: NodeResult) => void;
  /**
   * The warehouse, already being opened for this run by
   * {@linkcode openRunWarehouse} with the same command, config and options
   * (`wharf build` starts it before it loads this module): the run takes it
   * over and closes it, however the run ends. Default: the run opens it.
   */
  warehouse?: Promise<Warehouse>;
}

/** The sources declared optional and not landed (read as empty) that `ids` read, directly or not. */
function emptySourcesRead(cp: CompiledProject, ids: readonly string[]): string[] {
  return [...ancestorsOf(cp.graph, ids)].flatMap((id) => {
    const n = cp.graph.nodes.get(id);
    return n?.kind === "source" && n.emptyColumns ? [n.relation] : [];
  }).sort();
}

/** The relations of the sources that the models and snapshots run (not skipped) read, directly or not. */
function sourcesRead(cp: CompiledProject, results: readonly NodeResult[]): string[] {
  const ran = results.filter((r) =>
    (r.kind === "model" || r.kind === "snapshot") && r.status !== "skipped"
  ).map((r) => r.id);
  return [...ancestorsOf(cp.graph, ran)].flatMap((id) => {
    const n = cp.graph.nodes.get(id);
    return n?.kind === "source" ? [n.relation] : [];
  });
}

/** What a run did. */
export interface RunSummary {
  runId: string;
  command: PlanKind;
  results: NodeResult[];
  /** True when no node errored and no error-severity test failed. */
  ok: boolean;
  elapsedMs: number;
  /** Raw tables the skipped nodes need, not landed yet. */
  notLanded: string[];
  /** Raw tables declared optional, not landed yet, that the nodes run read as empty. */
  readAsEmpty: string[];
  /**
   * Per source whose raw table the models run read: the lines of its landed
   * files that `wharf land` rejected (in `wharf.rejects`, in no model).
   */
  landingRejects: LandingRejects[];
  /**
   * The deliveries of the raw tables the models run read, or that kept
   * nodes from running (`notLanded`), whose landing failed and that have
   * not landed since (`wharf.files`), sorted by source and file name.
   */
  failedLandings: FailedLanding[];
  /** The skipped nodes counted by cause (see {@linkcode SkipReason}). */
  skipped: Record<SkipReason["cause"], number>;
  /** With `defer`: the relations copied from the state's warehouse. */
  deferred: string[];
  /**
   * Relations the run read, without building them, that an earlier
   * `--defer` copied from a state's warehouse and this run did not copy
   * again: another warehouse's rows, not a build of this one.
   */
  deferredReads: DeferredCopy[];
}

/** The skipped results of a run, counted by the cause of their skip. */
function countSkips(results: readonly NodeResult[]): RunSummary["skipped"] {
  const counts = { not_landed: 0, upstream_failed: 0, fail_fast: 0 };
  for (const r of results) if (r.skip) counts[r.skip.cause]++;
  return counts;
}

/**
 * The tables models may read besides models and seeds: landed `raw.*`
 * tables and wharf's own `wharf.*` records (the landing manifest, the NPI
 * ledger), as `schema.name`.
 */
export async function listSources(session: Session): Promise<string[]> {
  const rows = await session.query(
    "SELECT table_schema || '.' || table_name AS id FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema IN ('raw', 'wharf') ORDER BY 1",
  );
  return rows.map((r) => String(r.id).toLowerCase());
}

/**
 * The tables and views of each database attached to `wh`, as
 * `catalog.schema.name`: what models may read there.
 */
export async function listCatalogs(wh: Warehouse): Promise<Map<string, string[]>> {
  const catalogs = new Map<string, string[]>(wh.catalogs.map((c) => [c, []]));
  if (catalogs.size === 0) return catalogs;
  const rows = await wh.query(
    `SELECT table_catalog AS catalog, table_catalog || '.' || table_schema || '.' || table_name AS id
     FROM information_schema.tables
     WHERE table_catalog IN (${wh.catalogs.map(quoteLiteral).join(", ")})
       AND table_schema NOT IN ('information_schema', 'pg_catalog')
     ORDER BY 2`,
  );
  for (const r of rows) catalogs.get(String(r.catalog))?.push(String(r.id).toLowerCase());
  return catalogs;
}

/**
 * Compiles the project for reading it (ls, compile, show, docs): against the
 * warehouse's `raw.*` tables and the attached databases' tables, those that
 * exist and can be read; a warehouse not built yet (or busy) has its
 * `raw.*` references taken on trust.
 *
 * @throws {WarehousePathError} for a path that is not a DuckDB database.
 * @throws {WarehouseTargetError} for a warehouse whose extension is not installed.
 */
export async function inspectProject(
  config: EngineConfig,
  db: string,
  options: Pick<CompileProjectOptions, "inline"> = {},
): Promise<CompiledProject> {
  const present = await warehouseTarget(db).prepare();
  if (!present && config.attach.length === 0) {
    return compileProject(config, { deferMissingSources: true, ...options });
  }
  let catalogs: Map<string, string[]> | undefined;
  try {
    // Without a warehouse yet, the attached databases are still read (on a scratch one).
    const attach = config.attach.map((a) => ({ ...a, readOnly: true }));
    const wh = present
      ? await openWarehouse(db, { readOnly: true, attach })
      : await openWarehouse(":memory:", { attach });
    try {
      if (present) return await compileWithWarehouse(config, wh, options);
      catalogs = await listCatalogs(wh);
    } finally {
      wh.close();
    }
  } catch (err) {
    // A busy warehouse is read as "nothing landed"; a bad path or target is the user's to fix.
    if (
      !(err instanceof WarehouseError) || err instanceof WarehousePathError ||
      err instanceof WarehouseTargetError
    ) throw err;
  }
  return compileProject(config, { catalogs, deferMissingSources: true, ...options });
}

/** Compiles the project against the tables of an open warehouse and its attached databases. */
export function compileWithWarehouse(
  config: EngineConfig,
  wh: Warehouse,
  options: Pick<CompileProjectOptions, "empty" | "invocation" | "inline"> = {},
): Promise<CompiledProject> {
  return compileWhileOpening(config, wh.path, Promise.resolve(wh), options);
}

/**
 * {@linkcode compileWithWarehouse} of the warehouse at `path`, which
 * `opening` is still opening: the project's files are read (and their YAML
 * checked) meanwhile; parsing their SQL, and the tables they may read, wait
 * for it.
 */
export function compileWhileOpening(
  config: EngineConfig,
  path: string,
  opening: Promise<Warehouse>,
  options: Pick<CompileProjectOptions, "empty" | "invocation" | "inline">,
): Promise<CompiledProject> {
  // Relations are named against the catalog of the warehouse open (another file under --db).
  const opened = path === config.warehouse ? config : { ...config, opened: path };
  // One connection, in turn: the tables, then the SQL parsed.
  const listed = opening.then(async (wh) => ({
    wh,
    sources: await listSources(wh),
    catalogs: await listCatalogs(wh),
  }));
  const sources = listed.then((l) => l.sources);
  const catalogs = listed.then((l) => l.catalogs);
  // A warehouse that fails to open fails the compile where it is awaited, if it is.
  for (const p of [listed, sources, catalogs]) p.catch(() => {});
  return compileProject(opened, {
    sources,
    catalogs,
    parse: async (texts) => parseSql(texts, (await listed).wh),
    deferMissingSources: true,
    ...options,
  });
}

/**
 * What run_results.json's `args` record of where a run ran, so that `wharf
 * retry` runs there again: the warehouse (`--db`'s, or the target's); in a dbt
 * project whose profile was read, the profile's `target` and `profiles_dir`,
 * as dbt records them; the attached databases `--attach` pointed elsewhere;
 * `warn_unsupported` (what it left out, the retry leaves out too).
 */
function whereArgs(
  config: EngineConfig,
  options: RunProjectOptions,
): Pick<RunArgs, "warehouse"> & Record<string, unknown> {
  const file = config.dbt?.target.file;
  const attach = config.attach.filter((a) => a.redirected).map((a) => `${a.name}=${a.target}`);
  return {
    warehouse: options.db ?? config.warehouse,
    ...(file === undefined ? {} : { target: config.dbt!.target.name, profiles_dir: dirname(file) }),
    ...(attach.length ? { attach } : {}),
    ...(config.warnUnsupported ? { warn_unsupported: true } : {}),
  };
}

/**
 * Runs the selected nodes of the project for `command` and records the run
 * in `wharf.runs` / `wharf.run_results`.
 *
 * @throws {CompileError} or {@linkcode CycleError} before anything runs;
 *   {@linkcode HookError} when on-run-start fails (no node runs); a
 *   {@linkcode RunEndError} holding the run's summary when on-run-end fails.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveEngineConfig } from "../config.ts";
 * import { runProject } from "./run_project.ts";
 *
 * const root = await Deno.makeTempDir();
 * await Deno.mkdir(`${root}/models/marts`, { recursive: true });
 * await Deno.writeTextFile(`${root}/models/marts/members.sql`, "select 1 as id");
 * await Deno.writeTextFile(`${root}/models/marts/other.sql`, "select 2 as id");
 * const summary = await runProject("build", resolveEngineConfig(root, {}, []), { select: ["+marts.members"] });
 * assert.ok(summary.ok);
 * assert.deepEqual(summary.results.map((r) => [r.id, r.status]), [["marts.members", "success"]]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function runProject(
  command: PlanKind,
  config: EngineConfig,
  options: RunProjectOptions = {},
): Promise<RunSummary> {
  const started = performance.now();
  const startedAt = new Date();
  let withVars: EngineConfig;
  let eventTime: EventTimeRange | undefined;
  try {
    withVars = withCommandVars(config, options.vars);
    eventTime = eventTimeRange(options);
  } catch (err) {
    options.warehouse?.then((wh) => wh.close(), () => {});
    throw err;
  }
  // dbt's flags: fail_fast is the default of --fail-fast (--no-fail-fast overrides it).
  const failFast = options.failFast ?? config.dbt?.flags.failFast ?? false;
  const failFastBy = options.failFast !== undefined
    ? "--fail-fast"
    : `fail_fast (${config.dbt?.flagsFile})`;
  const warnError = options.warnError ?? config.dbt?.flags.warnError ?? false;
  const warnErrorBy = options.warnError !== undefined
    ? "--warn-error"
    : `warn_error (${config.dbt?.flagsFile})`;
  const db = options.db ?? config.warehouse;
  const opening = options.warehouse ?? openRunWarehouse(command, config, options);
  // One id for the run: its records, its artifacts and what `invocation_id` renders.
  const runId = crypto.randomUUID();
  // --vars apply when the SQL is rendered (a dbt project's var()) and when it runs (wharf_var()).
  // The project is read while DuckDB opens the warehouse (a new process spends ~50 ms there).
  const compiling = compileWhileOpening(withVars, db, opening, {
    empty: options.empty,
    invocation: { id: runId, startedAt },
  });
  compiling.catch(() => {}); // awaited below, once the warehouse is open
  let wh: Warehouse;
  try {
    wh = await opening;
  } catch (err) {
    // Why the warehouse did not open comes first, as when nothing was read before.
    await compiling.catch(() => {});
    throw err;
  }
  // target/'s files are written while the nodes run: nothing reads them before the run ends.
  // Each resolves to its error, if any (a rejection nobody awaits yet would end the process).
  const writes: Promise<unknown>[] = [];
  const write = (p: Promise<unknown>) =>
    writes.push(p.then(() => undefined, (err: unknown) => err ?? new Error("a write failed")));
  // dbt's artifacts: the manifest of the project, built when first needed (a selection by
  // state, or once the nodes run: it is written while DuckDB builds the first of them).
  let manifestOf: (() => Promise<DbtManifest>) | undefined;
  let manifestWritten = false;
  try {
    const cp = await compiling;
    // The state is read before this run's artifacts replace it (it may be this target/).
    const state = options.state === undefined ? undefined : await readState(options.state);
    const deferTo = options.deferState === undefined ? state : await readState(options.deferState);
    let building: Promise<DbtManifest> | undefined;
    manifestOf = () => building ??= dbtManifest(cp, { invocationId: runId, startedAt });
    const types = new Set(options.resourceTypes ?? []);
    const excludedTypes = new Set(options.excludeResourceTypes ?? []);
    const everyType = types.size === 0 || types.has("all") || types.has("default");
    const ids = selectNodes(cp.graph, {
      select: options.select,
      exclude: options.exclude,
      selector: options.selector,
      selectors: cp.selectors,
      project: cp.project,
      state: state && await selectionState(cp, await manifestOf(), state, config.paths.target),
      indirectSelection: options.indirectSelection,
    }).filter((id) => {
      const type = resourceType(cp.graph.nodes.get(id)!);
      return (everyType || types.has(type)) && !excludedTypes.has(type);
    });
    const full = planFor(cp, ids, command);
    if ((options.select?.length || options.selector) && full.nodes.length === 0 && ids.length > 0) {
      const message = `The selection matches ${ids.length} node${ids.length === 1 ? "" : "s"} (${
        ids.slice(0, 3).join(", ")
      }${ids.length > 3 ? ", …" : ""}), none of which \`wharf ${command}\` runs: it runs ${
        PLAN_KINDS[command].join("s, ")
      }s`;
      // dbt has nothing to do then, and says so; a plain-SQL project's selection is a mistake.
      if (!config.dbt) throw new UsageError(message);
      console.error(`warning: ${message}`);
    }
    if (
      eventTime &&
      !full.nodes.some((n) =>
        n.kind === "model" && materialization(n.materialized).usesEventTime(n.parts)
      )
    ) {
      throw new UsageError(
        `--event-time-start/--event-time-end rebuild batches of microbatch models, and ${
          options.select?.length ? "the selection has" : "the project has"
        } none: select one (e.g. --select <model>), or leave the options out`,
      );
    }
    if (options.defer && !deferTo) {
      throw new UsageError(
        "--defer reads what this run does not build from an earlier run's warehouse: pass --state DIR (that run's target/ folder)",
      );
    }
    // A run on another warehouse (--db) does not write the project's attached databases.
    checkAttachedWrites(
      config,
      options.db,
      full.nodes.flatMap((n) =>
        n.kind === "seed" || (n.kind === "model" && n.sql !== "") ? [n.relation] : []
      ),
    );
    // What the selected nodes read and this run does not build comes from the state's
    // warehouse first: a raw table not landed here does not block what reads a copied model.
    const deferred = deferTo && options.defer
      ? await deferUpstreams(wh, cp, { nodes: full.nodes, state: deferTo, runId })
      : [];
    // Nodes that need a raw table not landed yet are skipped, selected by
    // name or not, and the rest is built.
    // (Unit tests read no warehouse data: they run on their given rows.)
    const blocked = blockedByMissingSources(
      cp,
      full.nodes.filter((n) => !(n.kind === "test" && n.unit)).map((n) => n.id),
      new Set(deferred),
    );
    const plan = { nodes: full.nodes.filter((n) => !blocked.has(n.id)), parents: full.parents };
    const args = JSON.stringify({
      select: options.select ?? [],
      exclude: options.exclude ?? [],
      ...(options.selector ? { selector: options.selector } : {}),
      ...(options.indirectSelection ? { indirectSelection: options.indirectSelection } : {}),
      fullRefresh: !!options.fullRefresh,
      ...(eventTime
        ? { eventTimeStart: options.eventTimeStart, eventTimeEnd: options.eventTimeEnd }
        : {}),
    });
    // Earlier copies: those the plan builds are dropped as their build begins, those the nodes
    // that run read are named in the summary (unit tests read no warehouse data). Read on one
    // connection while the run is recorded on another.
    const [read, recorded] = await Promise.allSettled([
      wh.withConnection(deferredCopies),
      wh.withConnection((s) => startRun(s, runId, command, args)),
    ]);
    // Both settle first: the warehouse closes on an error, with no query left running.
    if (recorded.status === "rejected") throw recorded.reason;
    if (read.status === "rejected") throw read.reason;
    const copies = read.value;
    const deferredReads = unbuiltUpstreams(
      cp,
      plan.nodes.filter((n) => !(n.kind === "test" && n.unit)),
    ).flatMap((id) => {
      const copy = copies.get(id.toLowerCase());
      return copy && !deferred.includes(id) ? [copy] : [];
    });
    options.onPlan?.(full.nodes);
    const toWrite = [...plan.nodes, ...inlinedInto(cp, plan.nodes)];
    const written = compiledFiles(cp, toWrite);
    // A model whose Jinja reads the warehouse: its files are written, and the artifacts record
    // its code, as it renders against the warehouse just before it builds (what ran, not what
    // it rendered to as the project loaded).
    const atRun = toWrite.some((n) => n.kind === "model" && n.renderedAtRun);
    const ran = new Map<string, CompiledNode>();
    const asRan = (): CompiledProject =>
      ran.size ? { ...cp, compiled: new Map([...cp.compiled, ...ran]) } : cp;
    // The first node started: its statement is on its way to DuckDB once the microtasks ran.
    let firstStarted!: () => void;
    const firstNode = new Promise<void>((resolve) => firstStarted = resolve);
    const hooks = cp.project.runHooks;
    if (hooks?.start.length) {
      try {
        await wh.withConnection((s) =>
          runHooks(s, "on-run-start", hooks.start, runHookRenderer(cp))
        );
      } catch (err) {
        await wh.withConnection((s) => finishRun(s, runId, "error", 0, 1));
        throw err;
      }
    }
    const executing = executePlan(wh, plan, {
      runId,
      threads: options.threads ?? config.threads,
      fullRefresh: options.fullRefresh,
      eventTime,
      empty: options.empty,
      ...(failFast ? { failFast: failFastBy } : {}),
      ...(warnError ? { warnError: warnErrorBy } : {}),
      macros: command === "seed" ? [] : cp.project.macros,
      renderNodeHook: nodeHookRenderer(cp),
      vars: withVars.vars,
      compiledPaths: written.run,
      unreadable: await unbuiltReads(wh, cp, plan.nodes),
      deferredCopies: new Set(copies.keys()),
      prepare: async (node) => {
        const c = await compileAtRun(wh, cp, node, { root: config.root, empty: options.empty });
        ran.set(c.id, c);
        write(writeFiles(compiledFiles(cp, [c]).files));
        return c;
      },
      onStart: (node) => {
        firstStarted();
        options.onStart?.(node);
      },
      onResult: options.onResult,
    });
    executing.catch(() => {}); // awaited below, once target/'s files are on their way
    // target/'s files are made and written while DuckDB runs the first node (the JavaScript
    // thread waits for DuckDB then), not before: the run's own statements before it (macros,
    // schemas) would wait for the JavaScript thread. A timer's turn lets its statement start.
    await Promise.race([firstNode, executing.then(() => {}, () => {})]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    write(
      writeFiles(
        atRun
          ? compiledFiles(cp, toWrite.filter((n) => !(n.kind === "model" && n.renderedAtRun)))
            .files
          : written.files,
      ),
    );
    // With such a model, the manifest is written once the nodes have run.
    write(
      (atRun ? executing.then(() => manifestOf!(), () => manifestOf!()) : manifestOf()).then((
        m,
      ) => writeDbtManifest(config, recordCompiled(m, asRan(), written.compiled))),
    );
    manifestWritten = true;
    const results = await executing;
    const now = new Date();
    for (const [id, missing] of blocked) {
      const result: NodeResult = {
        id,
        kind: roleOf(full.nodes.find((n) => n.id === id)!),
        status: "skipped",
        startedAt: now,
        endedAt: now,
        message: `needs ${missing.join(", ")}, not landed yet`,
        skip: { cause: "not_landed", tables: missing },
      };
      results.push(result);
      options.onResult?.(result);
    }
    await wh.withConnection((s) =>
      recordResults(s, runId, results.slice(results.length - blocked.size))
    );
    const errors = results.filter((r) => r.status === "error" || r.status === "fail").length;
    // on-run-end runs whatever the nodes did, as dbt's does; its failure fails the run.
    // A hook reading the run's results (dbt's results, schemas, database_schemas) renders now.
    const context = hooks?.end.some((h) => "template" in h) && cp.renderRunHook
      ? dbtRunEndContext(
        asRan(),
        atRun ? recordCompiled(await manifestOf(), asRan(), written.compiled) : await manifestOf(),
        results,
      )
      : undefined;
    const ended = hooks?.end.length
      ? await wh.withConnection((s) =>
        runHooks(
          s,
          "on-run-end",
          hooks.end,
          runHookRenderer(cp, context),
        )
      ).then(
        () => undefined,
        (err: unknown) => err,
      )
      : undefined;
    await wh.withConnection((s) =>
      finishRun(
        s,
        runId,
        errors || ended ? "error" : "success",
        results.length,
        errors + (ended ? 1 : 0),
      )
    );
    await writeDbtRunResults(
      config,
      dbtRunResults(asRan(), results, {
        invocationId: runId,
        startedAt,
        elapsedMs: performance.now() - started,
        // Where this run's relations are (whatever the recorded command said), as a retry finds it.
        args: options.recordArgs ? { ...options.recordArgs, ...whereArgs(config, options) } : {
          which: command,
          ...whereArgs(config, options),
          select: options.select ?? [],
          exclude: options.exclude ?? [],
          ...(options.selector ? { selector: options.selector } : {}),
          ...(options.indirectSelection ? { indirect_selection: options.indirectSelection } : {}),
          full_refresh: !!options.fullRefresh,
          ...(eventTime
            ? { event_time_start: options.eventTimeStart, event_time_end: options.eventTimeEnd }
            : {}),
          vars: options.vars ?? {},
          ...(options.state === undefined ? {} : { state: state!.dir, defer: !!options.defer }),
          // Recorded when set either way, so that a retry keeps a --no-fail-fast too.
          ...(failFast || options.failFast !== undefined ? { fail_fast: failFast } : {}),
          ...(options.empty ? { empty: true } : {}),
          ...(warnError || options.warnError !== undefined ? { warn_error: warnError } : {}),
          ...(options.resourceTypes?.length ? { resource_types: options.resourceTypes } : {}),
          ...(options.excludeResourceTypes?.length
            ? { exclude_resource_types: options.excludeResourceTypes }
            : {}),
          ...(options.threads === undefined ? {} : { threads: options.threads }),
        },
      }),
    );
    const failed = (await Promise.all(writes)).find((err) => err !== undefined);
    if (failed !== undefined) throw failed;
    if (ended !== undefined && !(ended instanceof HookError)) throw ended;
    const sourceRelations = sourcesRead(cp, results);
    const rejects = sourceRelations.length
      ? await wh.withConnection((s) => landingRejects(s, sourceRelations))
      : [];
    const notLanded = [...new Set([...blocked.values()].flat())].sort();
    const wanted = [...new Set([...sourceRelations, ...notLanded].map((r) => r.toLowerCase()))];
    const failedDeliveries = wanted.length
      ? await wh.withConnection((s) => failedLandings(s, wanted))
      : [];
    const summary: RunSummary = {
      runId,
      command,
      results,
      ok: errors === 0,
      elapsedMs: performance.now() - started,
      notLanded,
      readAsEmpty: emptySourcesRead(cp, plan.nodes.map((n) => n.id)),
      landingRejects: rejects,
      failedLandings: failedDeliveries,
      skipped: countSkips(results),
      deferred,
      deferredReads,
    };
    // What the nodes did is reported before on-run-end's failure.
    if (ended instanceof HookError) throw new RunEndError<RunSummary>(ended, summary);
    return summary;
  } finally {
    // A run that stops before its nodes run still leaves the project's manifest.
    if (manifestOf && !manifestWritten) {
      write(manifestOf().then((m) => writeDbtManifest(config, m)));
    }
    // A run that fails early still leaves its files whole.
    await Promise.all(writes);
    wh.close();
  }
}
