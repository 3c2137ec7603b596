/**
 * The run log: every invocation and every node it touched, kept in the
 * warehouse (`wharf.runs`, `wharf.run_results`, defined in `db/schema/tables.ts`)
 * for analysts, docs and the API.
 *
 * @module
 */
import { ensureTables } from "../db/schema/warehouse_schema.ts";
import { quoteLiteral } from "../db/sql.ts";
import type { Session } from "../db/warehouse.ts";

/** How a node ended. */
export type NodeStatus = "success" | "error" | "skipped" | "pass" | "fail" | "warn";

/**
 * Why a node was skipped: a raw table it reads (directly or through its
 * upstreams) is not landed; a node upstream of it errored or failed a test
 * (`node` is that node, the first cause of a chain of skips); or
 * `--fail-fast` stopped the run when `node` errored or failed (`by`: what
 * asked for it, `--fail-fast` or the file of dbt's `fail_fast` flag).
 */
export type SkipReason =
  | { cause: "not_landed"; tables: string[] }
  | { cause: "upstream_failed"; node: string; status: "error" | "fail" }
  | { cause: "fail_fast"; node: string; status: "error" | "fail"; by: string };

/** The outcome of one node in one run. */
export interface NodeResult {
  id: string;
  /** What the node is: `snapshot` for a model of `snapshots/`. */
  kind: "seed" | "model" | "snapshot" | "test";
  status: NodeStatus;
  startedAt: Date;
  endedAt: Date;
  /** Rows in the relation after the build, or failing rows of a test. */
  rows?: number;
  message?: string;
  /** Where the executed SQL was written, relative to the project root. */
  compiledPath?: string;
  /** Checked models: rows quarantined into `<model>__rejected`. */
  rejected?: number;
  /** Checked models: rows failing each `reject` check (a row may fail several). */
  checks?: Record<string, number>;
  /** Checked models: values set to NULL by each `nullify` check (kept rows), recorded in `<model>__rejected_values`. */
  nullified?: Record<string, number>;
  /** A skipped node: why (the message says it in words). */
  skip?: SkipReason;
}

/** The values a result's `nullify` checks set to NULL, all checks together. */
export function nullifiedTotal(result: Pick<NodeResult, "nullified">): number {
  return Object.values(result.nullified ?? {}).reduce((a, b) => a + b, 0);
}

/**
 * Records the start of a run (creating the run log's tables if need be;
 * outside a transaction). A run that never recorded its end was cut
 * short (killed, or its process died): the command starting now holds the
 * warehouse alone, so none is still going, and such runs are marked
 * `interrupted` (their end time stays unknown).
 */
export async function startRun(
  session: Session,
  runId: string,
  command: string,
  args: string,
): Promise<void> {
  // One round trip for the tables and both statements (statements with parameters go one at
  // a time), in one transaction.
  const values = [runId, command, args, new Date().toISOString()].map(quoteLiteral);
  await ensureTables(session, "runs", {
    then: `UPDATE wharf.runs SET status = 'interrupted' WHERE status IS NULL;
     INSERT INTO wharf.runs (run_id, command, args, started_at)
       VALUES (${values.join(", ")}::TIMESTAMPTZ)`,
  });
}

/**
 * Records the outcomes of a run's nodes with one appender (an INSERT of a
 * row per node binds a dozen parameters each: tens of ms for a few hundred
 * nodes). Its values go in `wharf.run_results`'s column order, which
 * migrations keep (see `db/schema/tables.ts`); timestamps are cast from
 * their ISO text.
 */
export async function recordResults(
  session: Session,
  runId: string,
  results: readonly NodeResult[],
): Promise<void> {
  if (results.length === 0) return;
  const count = (n: number | undefined) => n === undefined ? null : BigInt(n);
  await session.append(
    "wharf",
    "run_results",
    results.map((r) => [
      runId,
      r.id,
      r.kind,
      r.status,
      r.startedAt.toISOString(),
      r.endedAt.toISOString(),
      r.endedAt.getTime() - r.startedAt.getTime(),
      count(r.rows),
      r.message ?? null,
      r.compiledPath ?? null,
      count(r.rejected),
      r.checks ? JSON.stringify(r.checks) : null,
      r.nullified ? BigInt(nullifiedTotal(r)) : null,
      r.nullified ? JSON.stringify(r.nullified) : null,
    ]),
  );
}

/** Records the end of a run. */
export async function finishRun(
  session: Session,
  runId: string,
  status: "success" | "error",
  nodes: number,
  errors: number,
): Promise<void> {
  // Values as literals: one round trip (a statement with parameters takes three).
  await session.exec(
    `UPDATE wharf.runs SET ended_at = ${
      quoteLiteral(new Date().toISOString())
    }::TIMESTAMPTZ, status = ${
      quoteLiteral(status)
    }, nodes = ${nodes}, errors = ${errors} WHERE run_id = ${quoteLiteral(runId)}`,
  );
}
