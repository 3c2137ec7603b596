/**
 * One process, one writer. DuckDB's file lock is a POSIX lock, which a
 * process shares with itself: two instances of the same warehouse opened by
 * one process both "hold" the lock, write over each other, and closing
 * either releases the lock for both. So everything in a process that opens
 * the warehouse — landings (uploads, `land --watch`) and the server's
 * snapshots — takes turns through one {@linkcode LandingQueue}: landings
 * are jobs, run one at a time in the order they came, and
 * {@linkcode LandingQueue.exclusive} runs anything else between them.
 *
 * @module
 */
import { WarehouseBusyError } from "../engine/errors.ts";
import type { FileOutcome } from "./land_file.ts";

/** Where a job is. */
export type JobState = "queued" | "landing" | "done" | "failed";

/** One landing, from submission to its outcomes. */
export interface LandingJob {
  /** Unguessable id (a UUID). */
  readonly id: string;
  /** What it lands, for people (a file name). */
  readonly label: string;
  state: JobState;
  submittedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  /** The landed files' outcomes, once `done`. */
  outcomes?: FileOutcome[];
  /** Why it failed, once `failed` (the work threw). */
  error?: unknown;
  /** While queued behind a warehouse held by another process: what holds it. */
  waiting?: string;
  /** Resolves when the job is `done` or `failed`; never rejects. */
  readonly settled: Promise<void>;
}

/** The work of a job: lands its files and returns their outcomes. */
export type LandingWork = () => Promise<FileOutcome[]>;

/** Options of {@linkcode LandingQueue}. */
export interface LandingQueueOptions {
  /**
   * How long a job keeps retrying while another process (a `build`, a
   * `land`) holds the warehouse, in ms. Default 60000.
   */
  busyRetryMs?: number;
  /** Finished jobs remembered for {@linkcode LandingQueue.get}. Default 1000. */
  keep?: number;
  /** Called when a job first finds the warehouse held by another process and starts waiting. */
  onBusy?: (job: LandingJob, message: string) => void;
}

/** Raised into jobs still queued when the queue closes. */
export class QueueClosedError extends Error {
  constructor() {
    super("the server stopped before this file was landed: send it again");
    this.name = "QueueClosedError";
  }
}

/** Landings of one process, one at a time; see the module doc. */
export class LandingQueue {
  #tail: Promise<unknown> = Promise.resolve();
  #jobs = new Map<string, LandingJob>();
  #queued = new Set<LandingJob>();
  #closed = false;
  #stop = new AbortController();
  readonly #busyRetryMs: number;
  readonly #keep: number;
  readonly #onBusy?: (job: LandingJob, message: string) => void;

  constructor(options: LandingQueueOptions = {}) {
    this.#busyRetryMs = options.busyRetryMs ?? 60_000;
    this.#keep = options.keep ?? 1000;
    this.#onBusy = options.onBusy;
  }

  /**
   * Runs `fn` when no job of this queue is landing (and none starts until
   * it ends): for work that opens the warehouse besides the landings.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => {});
    return run;
  }

  /**
   * Queues a landing. `cleanup` runs after it, whatever happened (it
   * removes an upload's temporary file).
   *
   * @throws {QueueClosedError} once the queue is closed.
   */
  submit(label: string, work: LandingWork, cleanup?: () => Promise<void>): LandingJob {
    if (this.#closed) throw new QueueClosedError();
    let settle!: () => void;
    const job: LandingJob = {
      id: crypto.randomUUID(),
      label,
      state: "queued",
      submittedAt: new Date(),
      settled: new Promise<void>((r) => (settle = r)),
    };
    this.#jobs.set(job.id, job);
    this.#queued.add(job);
    this.#prune();
    this.exclusive(async () => {
      this.#queued.delete(job);
      if (job.state !== "queued") return; // failed by close()
      job.state = "landing";
      job.startedAt = new Date();
      try {
        job.outcomes = await this.#withBusyRetry(job, work);
        job.state = "done";
      } catch (err) {
        job.error = err;
        job.state = "failed";
      } finally {
        job.waiting = undefined;
        job.finishedAt = new Date();
      }
    }).finally(async () => {
      await cleanup?.().catch(() => {});
      settle();
    });
    return job;
  }

  async #withBusyRetry(job: LandingJob, work: LandingWork): Promise<FileOutcome[]> {
    const deadline = Date.now() + this.#busyRetryMs;
    for (let delay = 250;; delay = Math.min(delay * 2, 2000)) {
      try {
        return await work();
      } catch (err) {
        if (
          !(err instanceof WarehouseBusyError) || Date.now() + delay > deadline ||
          this.#stop.signal.aborted
        ) {
          throw err;
        }
        if (job.waiting === undefined) this.#onBusy?.(job, err.message);
        job.waiting = err.message;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, delay);
          this.#stop.signal.addEventListener("abort", done, { once: true });
          function done() {
            clearTimeout(timer);
            resolve();
          }
        });
      }
    }
  }

  /** A job by id, while it is queued, running, or among the last finished ones. */
  get(id: string): LandingJob | undefined {
    return this.#jobs.get(id);
  }

  /** Jobs not finished yet. */
  get pending(): number {
    let n = 0;
    for (const j of this.#jobs.values()) if (j.state === "queued" || j.state === "landing") n++;
    return n;
  }

  #prune(): void {
    let finished = 0;
    for (const j of this.#jobs.values()) if (j.finishedAt) finished++;
    for (const [id, j] of this.#jobs) {
      if (finished <= this.#keep) break;
      if (j.finishedAt) {
        this.#jobs.delete(id);
        finished--;
      }
    }
  }

  /**
   * Accepts no more jobs, fails the queued ones with
   * {@linkcode QueueClosedError}, stops waiting for a busy warehouse, and
   * waits for the job that is landing.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#stop.abort();
    for (const job of this.#queued) {
      job.state = "failed";
      job.error = new QueueClosedError();
      job.finishedAt = new Date();
    }
    await this.#tail;
  }
}
