/**
 * Executes compiled nodes on the warehouse in dependency order, several at
 * a time, recording every outcome in the run log.
 *
 * @module
 */
import type { Session, Warehouse } from "../db/warehouse.ts";
import { quoteIdent, quoteRelationId } from "../db/sql.ts";
import { otherKind } from "../db/relation_kind.ts";
import { HookError, WharfError } from "../errors.ts";
import {
  type CompiledChecks,
  type CompiledModel,
  type CompiledNode,
  varsMacro,
} from "../compile/compile.ts";
import { materialization, MATERIALIZATIONS } from "../materializations/index.ts";
import { roleOf, runText } from "../compile/compile_project.ts";
import type { EventTimeRange } from "../materializations/materialization.ts";
import type { HookSql, MacroFile, NodeHooks } from "../types.ts";
import { persistDocs } from "../materializations/persist_docs.ts";
import { withSqlHeader } from "../materializations/sql_header.ts";
import { dropDeferredCopy } from "./deferred_relations.ts";
import { runHooks } from "./hooks.ts";
import { type NodeResult, recordResults, type SkipReason } from "./run_log.ts";
import { runDataTest } from "./run_data_test.ts";
import { runUnitTest } from "./run_unit_test.ts";

/** What to run: compiled nodes and, for each, the plan nodes it waits for. */
export interface Plan {
  nodes: CompiledNode[];
  parents: Map<string, string[]>;
}

/** Options of {@linkcode executePlan}. */
export interface ExecuteOptions {
  runId: string;
  threads: number;
  /** Rebuild incremental models from scratch. */
  fullRefresh?: boolean;
  /** The range of event times microbatch models rebuild, instead of their latest batches. */
  eventTime?: EventTimeRange;
  /** `--empty`: models select no row (see `BuildContext.empty`). */
  empty?: boolean;
  /** Macro files to apply before anything else. */
  macros?: readonly MacroFile[];
  /**
   * Renders a hook of node `id` kept as its template (one reading the
   * warehouse, in a dbt project) on `s`, as it runs: its queries run there;
   * `incremental`: the node's build is an incremental model's later run
   * (dbt's `is_incremental()`).
   */
  renderNodeHook?: (
    id: string,
    template: string,
    s: Session,
    incremental: boolean,
  ) => Promise<string>;
  /** Project variables for `wharf_var(name)`. */
  vars?: Readonly<Record<string, string>>;
  /** Node id to the file its executed SQL was written to (for error messages). */
  compiledPaths?: ReadonlyMap<string, string>;
  /**
   * `--fail-fast`: after the first node that errors (or test that fails),
   * start no other node; the ones running finish, the others are skipped.
   * Set to what asked for it (`--fail-fast`, or the file of dbt's
   * `fail_fast` flag), which the skips name.
   */
  failFast?: string;
  /**
   * `--warn-error` (dbt's): a data test whose failures meet `warn_if` fails
   * instead of warning, with what it would have warned (dbt's status `fail`).
   * Set to what asked for it (`--warn-error`, or the file of dbt's
   * `warn_error` flag), which the message names.
   */
  warnError?: string;
  /**
   * Data tests that read a relation this run does not build and the
   * warehouse does not have: each errors with its message instead of running.
   */
  unreadable?: ReadonlyMap<string, string>;
  /**
   * Relations (in lower case) that are an earlier `--defer`'s copies
   * (`wharf.deferred_relations`): a node that builds one drops the copy and
   * its record first, in its build's transaction where it has one, so that
   * it builds from nothing (an incremental model or a snapshot anew).
   */
  deferredCopies?: ReadonlySet<string>;
  /**
   * Compiles a model whose Jinja reads the warehouse (`renderedAtRun`) again,
   * against it, just before it builds; what it throws errors the node.
   */
  prepare?: (node: CompiledModel) => Promise<CompiledModel>;
  /** Called when a node starts running. */
  onStart?: (node: CompiledNode) => void;
  /** Called when a node is done (including skipped nodes). */
  onResult?: (result: NodeResult) => void;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type Outcome = Pick<
  NodeResult,
  "status" | "rows" | "message" | "rejected" | "checks" | "nullified"
>;

function perCheck(counts: Record<string, number>): string {
  return Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(", ");
}

/**
 * Builds a checked model, its `__rejected` and `__rejected_values` tables in
 * one transaction, and verifies that every input row was either kept or
 * rejected and every nullified value was recorded.
 */
function runChecked(
  s: Session,
  node: CompiledModel & { checked: CompiledChecks },
): Promise<Outcome> {
  const c = node.checked;
  const [stage, keptSql, rejectedSql, valuesSql] = c.statements;
  return (async () => {
    await s.exec(stage);
    const kept = await s.count(keptSql);
    const rejected = await s.count(rejectedSql);
    const recorded = c.nullify.length ? await s.count(valuesSql) : (await s.exec(valuesSql), 0);
    const counts = (await s.query(c.countQuery))[0]!;
    await s.exec(c.cleanup);
    const total = Number(counts.total);
    const n = (i: number) => Number(counts[`c${i}`]);
    const checks = Object.fromEntries(c.reject.map((name, i) => [name, n(i)]));
    const nullified = Object.fromEntries(
      c.nullify.map((name, i) => [name, n(c.reject.length + i)]),
    );
    const nullifiedValues = Object.values(nullified).reduce((a, b) => a + b, 0);
    if (kept + rejected !== total || rejected !== Number(counts.rejected)) {
      throw new WharfError(
        `Row accounting failed for ${node.relation}: ${total} rows in, ${kept} kept + ${rejected} rejected (nothing was replaced)`,
      );
    }
    if (recorded !== nullifiedValues) {
      throw new WharfError(
        `Value accounting failed for ${node.relation}: ${nullifiedValues} values nullified, ${recorded} recorded in ${c.rejectedValues} (nothing was replaced)`,
      );
    }
    const notes = [
      rejected ? `${rejected} rejected to ${c.rejected} (${perCheck(checks)})` : "",
      nullifiedValues
        ? `${nullifiedValues} value${
          nullifiedValues === 1 ? "" : "s"
        } nullified, recorded in ${c.rejectedValues} (${perCheck(nullified)})`
        : "",
    ].filter(Boolean);
    return {
      status: "success",
      rows: kept,
      rejected,
      checks,
      ...(c.nullify.length ? { nullified } : {}),
      message: notes.length ? notes.join("; ") : undefined,
    };
  })();
}

/**
 * Builds or tests one node; returns its status, row count and message.
 * `ran` is told the node as it runs: compiled again by `options.prepare`
 * for a model whose Jinja reads the warehouse.
 */
async function runNode(
  wh: Warehouse,
  planned: CompiledNode,
  options: ExecuteOptions,
  ran: (node: CompiledNode) => void,
): Promise<Outcome> {
  if (planned.kind === "test") return await build(wh, planned, { ...options, laterRun: false });
  const node = planned.kind === "model" && planned.renderedAtRun && options.prepare
    ? await options.prepare(planned)
    : planned;
  ran(node);
  const [hooked, hookOptions] = await hooksOfBuild(wh, node, options);
  // dbt's sql_header runs first in each session of the model's build.
  const outcome = await runHooked(
    node.kind === "model" && node.sqlHeader ? withSqlHeader(wh, node.sqlHeader) : wh,
    hooked,
    hookOptions,
  );
  if (!node.persistDocs || outcome.status !== "success") return outcome;
  // dbt's persist_docs: the descriptions as the warehouse's comments, once it is built.
  const note = await wh.withConnection((s) => persistDocs(s, node.relation, node.persistDocs!));
  return note
    ? { ...outcome, message: [outcome.message, note].filter(Boolean).join("; ") }
    : outcome;
}

/** What one node's build knows: the run's options, and whether it is a later run. */
interface BuildOptions extends ExecuteOptions {
  /** An incremental model's later run (dbt's `is_incremental()`: its hooks render with it). */
  laterRun: boolean;
}

/**
 * `node` with the hooks its build runs, and whether the build is a later
 * run: an incremental model's, when its table is there and no full refresh
 * is asked, runs its hooks as a later run renders them (dbt renders them in
 * its build, with the build's `is_incremental()`).
 */
async function hooksOfBuild<N extends Exclude<CompiledNode, { kind: "test" }>>(
  wh: Warehouse,
  node: N,
  options: ExecuteOptions,
): Promise<[N, BuildOptions]> {
  if (!node.hooks) return [node, { ...options, laterRun: false }];
  const { later: laterHooks, ...first } = node.hooks;
  const laterRun = node.kind === "model" &&
    await wh.withConnection((s) =>
      materialization(node.materialized).laterRun(s, node, buildContext(options))
    );
  return [{ ...node, hooks: laterRun ? laterHooks ?? first : first }, { ...options, laterRun }];
}

/** Builds a model or seed with its hooks that run outside its build's transaction. */
function runHooked(
  wh: Warehouse,
  node: Exclude<CompiledNode, { kind: "test" }>,
  options: BuildOptions,
): Promise<Outcome> {
  // Hooks with `transaction: false` run on their own, before the build begins and after it commits.
  const hooks = node.hooks;
  if (!hooks?.beforeBegin && !hooks?.afterCommit) return build(wh, node, options);
  return (async () => {
    if (hooks.beforeBegin) {
      await wh.withConnection((s) =>
        runNodeHooks(s, node, "pre_hook", hooks.beforeBegin!, options, false)
      );
    }
    const outcome = await build(wh, node, options);
    if (hooks.afterCommit) {
      await wh.withConnection((s) =>
        runNodeHooks(s, node, "post_hook", hooks.afterCommit!, options, false)
      );
    }
    return outcome;
  })();
}

/** True when `node` has hooks that run in its build's transaction. */
function hooksInside(node: { hooks?: NodeHooks }): boolean {
  return (node.hooks?.pre.length ?? 0) + (node.hooks?.post.length ?? 0) > 0;
}

/** Builds or tests one node, with the hooks that run in its build's transaction. */
async function build(
  wh: Warehouse,
  node: CompiledNode,
  options: BuildOptions,
): Promise<Outcome> {
  const copy = node.kind !== "test" && options.deferredCopies?.has(node.relation.toLowerCase());
  // A single statement runs in its own transaction: atomic without BEGIN/COMMIT.
  switch (node.kind) {
    case "seed": {
      const load = async (s: Session): Promise<Outcome> => ({
        status: "success",
        rows: await s.count(node.sql),
      });
      if (copy) {
        return await withHooks(wh, node, options, async (s) => {
          await dropDeferredCopy(s, node.relation);
          return await load(s);
        });
      }
      try {
        return hooksInside(node)
          ? await withHooks(wh, node, options, load)
          : await wh.withConnection(load);
      } catch (err) {
        const other = otherKind(err);
        if (!other) throw err;
        // A view stands where the seed's table goes (a model of that name before): dropped and
        // loaded in one transaction, so a failing load keeps it.
        return await withHooks(wh, node, options, async (s) => {
          await s.exec(`DROP ${other} ${quoteRelationId(node.relation)}`);
          return await load(s);
        });
      }
    }
    case "test": {
      if (node.unit) {
        const outcome = await runUnitTest(wh, node.unit, { macros: options.macros ?? [] });
        return {
          status: outcome.passed ? "pass" : "fail",
          rows: outcome.rows,
          message: outcome.message,
        };
      }
      const unreadable = options.unreadable?.get(node.id);
      if (unreadable !== undefined) throw new WharfError(`Test ${node.name} ${unreadable}`);
      return await runDataTest(wh, node, { warnError: options.warnError });
    }
    case "model": {
      const m = materialization(node.materialized);
      const inOne = !!(node.checked || m.buildIn);
      // What stands in the model's place dropped and the model built, in one transaction: a
      // failing build keeps it.
      const replacing = (drop: (s: Session) => Promise<void>) =>
        withHooks(wh, node, options, async (s): Promise<Outcome> => {
          await drop(s);
          return node.checked
            ? await runChecked(s, { ...node, checked: node.checked })
            : { status: "success", ...await m.buildIn!(s, node, buildContext(options)) };
        });
      if (copy) {
        if (inOne) return await replacing((s) => dropDeferredCopy(s, node.relation));
        // A materialization with transactions of its own builds once the copy is gone.
        await wh.transaction((s) => dropDeferredCopy(s, node.relation));
      }
      try {
        return await buildModel(wh, node, options);
      } catch (err) {
        const other = otherKind(err);
        if (!other || !inOne) throw err;
        // Its relation is there as the other kind (its materialization changed, or a --defer of
        // an older wharf, which kept no record, copied it as a table).
        return await replacing((s) => s.exec(`DROP ${other} ${quoteRelationId(node.relation)}`));
      }
    }
  }
}

/** What a model's build knows of the run. */
function buildContext(options: ExecuteOptions) {
  return {
    fullRefresh: options.fullRefresh ?? false,
    eventTime: options.eventTime,
    empty: options.empty ?? false,
  };
}

/** Builds a model by its materialization, with its hooks. */
async function buildModel(
  wh: Warehouse,
  node: Extract<CompiledNode, { kind: "model" }>,
  options: BuildOptions,
): Promise<Outcome> {
  const checked = node.checked;
  if (checked) {
    return await withHooks(wh, node, options, (s) => runChecked(s, { ...node, checked }));
  }
  const m = materialization(node.materialized);
  const context = buildContext(options);
  if (hooksInside(node) && m.buildIn) {
    const buildIn = m.buildIn;
    return await withHooks(wh, node, options, async (s) => ({
      status: "success",
      ...await buildIn(s, node, context),
    }));
  }
  // A materialization with transactions of its own: its hooks run before and after them.
  const hooks = node.hooks;
  if (hooks?.pre.length) {
    await wh.withConnection((s) => runNodeHooks(s, node, "pre_hook", hooks.pre, options));
  }
  const built = await m.build(wh, node, context);
  if (hooks?.post.length) {
    await wh.withConnection((s) => runNodeHooks(s, node, "post_hook", hooks.post, options));
  }
  return { status: "success", ...built };
}

/** How a failing hook names itself: `pre_hook of marts.orders`, `post_hook (transaction: false) of …`. */
function hookName(which: "pre_hook" | "post_hook", node: CompiledNode, inside = true): string {
  return `${which}${inside ? "" : " (transaction: false)"} of ${node.id}`;
}

/**
 * Runs `list`, `which` hooks of `node`, on `s`: those kept as templates
 * render as they run, on `s` (`options.renderNodeHook`).
 */
function runNodeHooks(
  s: Session,
  node: CompiledNode,
  which: "pre_hook" | "post_hook",
  list: readonly HookSql[],
  options: BuildOptions,
  inside = true,
): Promise<void> {
  const render = options.renderNodeHook;
  return runHooks(
    s,
    hookName(which, node, inside),
    list,
    render && ((template, s) => render(node.id, template, s, options.laterRun)),
  );
}

/** Runs `build` in one transaction between the node's pre- and post-hooks (if it has any). */
function withHooks(
  wh: Warehouse,
  node: CompiledNode & { hooks?: NodeHooks },
  options: BuildOptions,
  build: (s: Session) => Promise<Outcome>,
): Promise<Outcome> {
  return wh.transaction(async (s) => {
    if (node.hooks) await runNodeHooks(s, node, "pre_hook", node.hooks.pre, options);
    const outcome = await build(s);
    if (node.hooks) await runNodeHooks(s, node, "post_hook", node.hooks.post, options);
    return outcome;
  });
}

/**
 * Runs `plan` on `wh`: at most `threads` nodes at a time, each as soon as
 * its parents are done. A node whose parent failed (or was skipped) is
 * skipped. Every outcome is recorded under `runId` in `wharf.run_results`,
 * together when the plan is done (or has thrown).
 *
 * @returns the results in completion order.
 */
export async function executePlan(
  wh: Warehouse,
  plan: Plan,
  options: ExecuteOptions,
): Promise<NodeResult[]> {
  const schemas = [
    ...new Set(
      plan.nodes.filter((n) => n.kind !== "test").map((n) => n.relation.replace(/\.[^.]*$/, "")),
    ),
  ].map((schema) => `CREATE SCHEMA IF NOT EXISTS ${schema.split(".").map(quoteIdent).join(".")}`);
  const macros = options.macros ?? [];
  // wharf_var(), and what models may call besides the project's macros (wharf_is_incremental()),
  // in one round trip; with the schemas when no macro file comes between them.
  await wh.exec(
    [
      varsMacro(options.vars ?? {}),
      ...MATERIALIZATIONS.flatMap((m) => m.setup),
      ...(macros.length ? [] : schemas),
    ].join(";\n"),
  );
  for (const macro of macros) {
    try {
      await wh.exec(macro.sql);
    } catch (err) {
      throw new WharfError(
        `Cannot apply macro file ${macro.path}: ${
          errorMessage(err)
        } (fix the macro; nothing was built)`,
        { cause: err },
      );
    }
  }
  if (macros.length && schemas.length) await wh.exec(schemas.join(";\n"));

  const results: NodeResult[] = [];
  try {
    await schedule(wh, plan, options, results);
  } finally {
    // One insert for the whole run: a row per node costs as much as a small model.
    await wh.withConnection((s) => recordResults(s, options.runId, results));
  }
  return results;
}

/**
 * Where a node's error happened in its run file `file` (holding `text`), for
 * its message. DuckDB's `LINE n` counts from the start of the failing
 * statement, and a run file may hold several after the materialization's own
 * lines: the line it quotes, found once in the file, is named by its line
 * there.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { whereInRunFile } from "./execute.ts";
 *
 * const text = "-- wharf\nCREATE TABLE t AS\nselect 1 as a;\nINSERT INTO t\nselect nope;\n";
 * const message = 'Binder Error: column "nope" not found\n\nLINE 2: select nope;\n        ^';
 * assert.equal(
 *   whereInRunFile(message, text, "target/run/t.sql"),
 *   "(at line 5 of the SQL that ran: target/run/t.sql; DuckDB's LINE 2 counts from the start of its statement)",
 * );
 * assert.equal(whereInRunFile("Conversion Error", text, "target/run/t.sql"), "(compiled SQL: target/run/t.sql)");
 * ```
 */
export function whereInRunFile(message: string, text: string, file: string): string {
  const m = /\nLINE (\d+): (.*)\n/.exec(message);
  if (!m) return `(compiled SQL: ${file})`;
  // DuckDB cuts a long line's quote with "..." at either end.
  const quoted = m[2]!.replace(/^\.\.\./, "").replace(/\.\.\.$/, "").trim();
  const lines = text.split("\n").flatMap((l, i) => quoted && l.includes(quoted) ? [i + 1] : []);
  return lines.length === 1
    ? `(at line ${lines[0]} of the SQL that ran: ${file}; DuckDB's LINE ${
      m[1]
    } counts from the start of its statement)`
    : `(DuckDB's LINE ${
      m[1]
    } counts from the start of the failing statement of the SQL that ran: ${file})`;
}

/** The scheduling loop of {@linkcode executePlan}; appends to `results`. */
async function schedule(
  wh: Warehouse,
  plan: Plan,
  options: ExecuteOptions,
  results: NodeResult[],
): Promise<void> {
  const status = new Map<string, NodeResult["status"]>();
  const pending = [...plan.nodes];
  const running = new Map<string, Promise<void>>();
  const ids = new Set(plan.nodes.map((n) => n.id));
  let stoppedBy: string | undefined;
  const reasons = new Map<string, SkipReason>();
  const finish = (result: NodeResult) => {
    if (options.failFast && !stoppedBy && ["error", "fail"].includes(result.status)) {
      stoppedBy = result.id;
    }
    status.set(result.id, result.status);
    results.push(result);
    options.onResult?.(result);
  };
  const start = (node: CompiledNode) => {
    const task = (async () => {
      options.onStart?.(node);
      const startedAt = new Date();
      let outcome: Outcome;
      // What the node runs: a model whose Jinja reads the warehouse, as it renders against it.
      let ranAs = node;
      try {
        outcome = await runNode(wh, node, options, (n) => ranAs = n);
      } catch (err) {
        // A hook's error quotes the hook's SQL as it ran, and where in it DuckDB says it failed: a
        // query it ran while it rendered is not in the run file.
        const where = err instanceof HookError ? undefined : options.compiledPaths?.get(node.id);
        const message = errorMessage(err);
        outcome = {
          status: "error",
          message: `${message}${
            where ? `\n${whereInRunFile(message, runText(ranAs), where)}` : ""
          }`,
        };
      }
      finish({
        id: node.id,
        kind: roleOf(node),
        startedAt,
        endedAt: new Date(),
        compiledPath: options.compiledPaths?.get(node.id),
        ...outcome,
      });
    })();
    running.set(node.id, task.finally(() => running.delete(node.id)));
  };

  const skip = (node: CompiledNode, message: string, reason: SkipReason) => {
    const now = new Date();
    reasons.set(node.id, reason);
    finish({
      id: node.id,
      kind: roleOf(node),
      status: "skipped",
      startedAt: now,
      endedAt: now,
      message,
      skip: reason,
    });
  };

  while (pending.length || running.size) {
    if (stoppedBy) {
      const stopped = status.get(stoppedBy) === "fail" ? "fail" : "error";
      for (const node of pending.splice(0)) {
        skip(
          node,
          `${options.failFast}: the run stopped when "${stoppedBy}" ${
            stopped === "fail" ? "failed" : "errored"
          }`,
          { cause: "fail_fast", node: stoppedBy, status: stopped, by: options.failFast! },
        );
      }
      if (running.size) await Promise.race(running.values());
      continue;
    }
    let progressed = false;
    for (let i = 0; i < pending.length && running.size < options.threads; i++) {
      const node = pending[i]!;
      const parents = (plan.parents.get(node.id) ?? []).filter((p) => ids.has(p));
      if (parents.some((p) => !status.has(p))) continue;
      pending.splice(i--, 1);
      progressed = true;
      const bad = parents.find((p) => ["error", "skipped", "fail"].includes(status.get(p)!));
      if (!bad) {
        start(node);
        continue;
      }
      // A chain of skips keeps its first cause: the node that errored or failed.
      const first = reasons.get(bad);
      if (first) {
        skip(
          node,
          `upstream "${bad}" was skipped${
            first.cause === "not_landed"
              ? ""
              : ` ("${first.node}" ${first.status === "fail" ? "failed" : "errored"})`
          }`,
          first,
        );
        continue;
      }
      const failed = status.get(bad) === "fail" ? "fail" : "error";
      skip(node, `upstream "${bad}" ${failed === "fail" ? "failed its test" : "failed"}`, {
        cause: "upstream_failed",
        node: bad,
        status: failed,
      });
    }
    if (progressed && running.size < options.threads) continue;
    if (running.size) await Promise.race(running.values());
    else if (pending.length) {
      throw new Error(
        `Plan cannot proceed: ${pending.map((n) => n.id).join(", ")} wait for nodes that never run`,
      );
    }
  }
}
