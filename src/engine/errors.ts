/**
 * The one error hierarchy of wharf. Every error a user can cause is a
 * {@linkcode WharfError}: its message says what went wrong, names the file,
 * relation or row, and says what to do when there is a fix. The CLI prints
 * `error: <message>` and exits with {@linkcode WharfError.exitCode}.
 *
 * @module
 */

/** Where in a source file something happened. */
export interface SourceLocation {
  /** Path relative to the project root. */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
}

/** Formats a location as `file:line:column` (as much as is known). */
export function formatLocation(loc: SourceLocation): string {
  let out = loc.file;
  if (loc.line !== undefined) out += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) {
    out += `:${loc.column}`;
  }
  return out;
}

/**
 * Lists the problems of a file under a message's header: `2 problems
 * found:`, then each on its own line as `  file:line:column: message`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listIssues } from "./errors.ts";
 *
 * assert.equal(
 *   listIssues([{ message: 'unknown key "colour"', location: { file: "a.yml", line: 4, column: 1 } }]),
 *   '1 problem found:\n  a.yml:4:1: unknown key "colour"',
 * );
 * ```
 */
export function listIssues(issues: readonly ProjectIssue[]): string {
  return `${issues.length} problem${issues.length === 1 ? "" : "s"} found:${
    issues.map((i) => `\n  ${formatLocation(i.location)}: ${i.message}`).join("")
  }`;
}

/** Base class of every error wharf raises on purpose. */
export class WharfError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WharfError";
  }
}

/** Bad command-line usage (unknown option, missing argument). Exit code 2. */
export class UsageError extends WharfError {
  override readonly exitCode = 2;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** Invalid project configuration or YAML. Exit code 2. */
export class ConfigError extends WharfError {
  override readonly exitCode = 2;
  readonly location?: SourceLocation;
  constructor(
    message: string,
    options?: ErrorOptions & { location?: SourceLocation },
  ) {
    super(message, options);
    this.name = "ConfigError";
    this.location = options?.location;
  }
}

/** One problem found while loading or compiling a project. */
export interface ProjectIssue {
  message: string;
  location: SourceLocation;
  /**
   * Something wharf does not support (a Python model, `grants`, a key it
   * does not implement), rather than a mistake: `--warn-unsupported` makes
   * it a warning and leaves the thing out.
   */
  unsupported?: boolean;
  /**
   * Not a problem but a warning: something dbt ignores or accepts, and
   * wharf too, saying so (a described column the model's SELECT does not
   * give): `warning: <location>: <message>` before anything runs.
   */
  warning?: boolean;
}

/**
 * All problems found while loading and compiling a project, collected so the
 * user sees every one of them before anything runs. Exit code 2.
 */
export class CompileError extends WharfError {
  override readonly exitCode = 2;
  readonly issues: readonly ProjectIssue[];
  constructor(issues: readonly ProjectIssue[]) {
    const lines = issues.map((i) => `  ${formatLocation(i.location)}: ${i.message}`);
    const hint = issues.some((i) => i.unsupported)
      ? "\n(--warn-unsupported leaves out what wharf does not support, with a warning each)"
      : "";
    super(
      `Cannot compile the project: ${issues.length} problem${
        issues.length === 1 ? "" : "s"
      } found (nothing was run):\n${lines.join("\n")}${hint}`,
    );
    this.name = "CompileError";
    this.issues = issues;
  }
}

/** A dependency cycle between nodes; `path` starts and ends with the same node. */
export class CycleError extends WharfError {
  override readonly exitCode = 2;
  readonly path: readonly string[];
  readonly edges: readonly CycleEdge[];
  /**
   * @param path the cycle, each node read by the next, the first again last
   * @param edges each dependency of the cycle, in its order, with where it is written
   */
  constructor(path: readonly string[], edges: readonly CycleEdge[]) {
    super(
      `Cannot order the project: dependency cycle ${path.map((p) => `"${p}"`).join(" -> ")}: ${
        edges.map((e) =>
          e.at
            ? `"${e.node}" reads "${e.reads}" at ${formatLocation(e.at)}`
            : `"${e.node}" waits for "${e.reads}", which builds the relation it reads`
        ).join(", ")
      }; remove one of these references to break the cycle`,
    );
    this.name = "CycleError";
    this.path = path;
    this.edges = edges;
  }
}

/** One dependency of a cycle: `node` reads `reads`, where it is written when it is written. */
export interface CycleEdge {
  node: string;
  reads: string;
  /** The reference (a relation, or a dbt `ref()` / `source()` call) that makes the dependency. */
  at?: SourceLocation;
}

/** A model that failed when it was built. */
export class ModelError extends WharfError {
  readonly relation: string;
  constructor(
    relation: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ModelError";
    this.relation = relation;
  }
}

/** A dbt macro `wharf run-operation` called failed: a query it ran, or its render. */
export class OperationError extends WharfError {
  /** The macro: `name`, or `package.name`. */
  readonly macro: string;
  /** Its file, relative to the project root. */
  readonly file: string;
  constructor(macro: string, file: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "OperationError";
    this.macro = macro;
    this.file = file;
  }
}

/** A hook (a model's or seed's pre/post hook, the project's on-run-start/end) failed. */
export class HookError extends WharfError {
  /** The hook's SQL as it ran. */
  readonly sql: string;
  /** Where in `sql` DuckDB says it failed (1-based), when it says. */
  readonly line?: number;
  readonly column?: number;
  constructor(
    message: string,
    hook: { sql: string; line?: number; column?: number },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "HookError";
    this.sql = hook.sql;
    this.line = hook.line;
    this.column = hook.column;
  }
}

/**
 * The project's on-run-end hook failed once the run's nodes had run: what
 * they did stands, in `summary` (the run's `RunSummary`), to report before it.
 */
export class RunEndError<S = unknown> extends HookError {
  readonly summary: S;
  constructor(failed: HookError, summary: S) {
    super(failed.message, failed, { cause: failed.cause });
    this.name = "RunEndError";
    this.summary = summary;
  }
}

/** The warehouse could not be opened or queried. */
export class WarehouseError extends WharfError {
  readonly file: string;
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "WarehouseError";
    this.file = file;
  }
}

/** The warehouse (or an attached database) is held by another process: worth waiting for. */
export class WarehouseBusyError extends WarehouseError {
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(file, message, options);
    this.name = "WarehouseBusyError";
  }
}

/** The warehouse path names a folder or a file that is not a DuckDB database. Exit code 2. */
export class WarehousePathError extends WarehouseError {
  override readonly exitCode = 2;
  constructor(file: string, message: string, options?: ErrorOptions) {
    super(file, message, options);
    this.name = "WarehousePathError";
  }
}

/**
 * The warehouse (or an attached database) is of a kind that cannot be used
 * here: its DuckDB extension is not installed (`need: "extension"`),
 * MotherDuck has no token (`"token"`), a DuckLake was given as the
 * warehouse itself (`"attach"`), or a feature needs a local file
 * (`"local_file"`). Exit code 2.
 */
export class WarehouseTargetError extends WarehouseError {
  override readonly exitCode = 2;
  /** What is missing. */
  readonly need: "extension" | "token" | "attach" | "local_file";
  constructor(
    target: string,
    need: WarehouseTargetError["need"],
    message: string,
    options?: ErrorOptions,
  ) {
    super(target, message, options);
    this.name = "WarehouseTargetError";
    this.need = need;
  }
}

/**
 * The warehouse was written by a newer wharf: its schema version is higher
 * than any this wharf knows. Exit code 2: use a wharf as new, or another file.
 */
export class WarehouseVersionError extends WarehouseError {
  override readonly exitCode = 2;
  /** The warehouse's schema version. */
  readonly found: number;
  /** The highest version this wharf knows. */
  readonly known: number;
  constructor(file: string, found: number, known: number, message: string) {
    super(file, message);
    this.name = "WarehouseVersionError";
    this.found = found;
    this.known = known;
  }
}

/**
 * A SQL statement that DuckDB refused or failed to run (`wharf sql`). The
 * message is DuckDB's, after `Statement 2 of 3 failed (…):` when the input
 * held several statements.
 */
export class SqlError extends WharfError {
  /** 1-based position of the failing statement (undefined: the input did not parse). */
  readonly statement?: number;
  /** How many statements the input held, when known. */
  readonly statements?: number;
  /** DuckDB's message, without the statement's position. */
  readonly detail: string;
  constructor(
    message: string,
    options?: ErrorOptions & { statement?: number; statements?: number },
  ) {
    const where = options?.statement && options.statements && options.statements > 1
      ? `Statement ${options.statement} of ${options.statements} failed (${
        options.statement === 1
          ? "nothing ran"
          : options.statement === 2
          ? "statement 1 ran"
          : `statements 1-${options.statement - 1} ran`
      }): `
      : "";
    super(`${where}${message}`, options);
    this.name = "SqlError";
    this.detail = message;
    this.statement = options?.statement;
    this.statements = options?.statements;
  }
}

/** A delivered file that cannot be landed (unreadable, empty, wrong format). */
export class LandingError extends WharfError {
  readonly file: string;
  readonly line?: number;
  constructor(file: string, message: string, options?: ErrorOptions & { line?: number }) {
    super(message, options);
    this.name = "LandingError";
    this.file = file;
    this.line = options?.line;
  }
}

/**
 * A file name that does not give what its source needs: it matches no
 * source's pattern when one is forced, or a delivery field read from it (or
 * given by the caller) is not valid. Exit code 2: rename the file, or name
 * the delivery fields (`--field client=clientA`).
 */
export class FileNameError extends LandingError {
  override readonly exitCode = 2;
  /** The source the file was to land as, when known. */
  readonly source?: string;
  /** The source's file-name pattern, when a source is known. */
  readonly pattern?: string;
  /** The delivery field at fault, when one is. */
  readonly field?: string;
  constructor(
    file: string,
    message: string,
    data: { source?: string; pattern?: string; field?: string } = {},
  ) {
    super(file, message);
    this.name = "FileNameError";
    this.source = data.source;
    this.pattern = data.pattern;
    this.field = data.field;
  }
}

/**
 * A file whose header does not fit the columns its source declares: some
 * required columns are missing, or it brings columns the source does not
 * know. Nothing of it lands (over HTTP: 400).
 */
export class HeaderMismatchError extends LandingError {
  readonly source: string;
  /** Declared required columns the header lacks. */
  readonly missing: readonly string[];
  /** Columns of the header the source does not declare, as delivered. */
  readonly unexpected: readonly string[];
  /** The header as delivered. */
  readonly columns: readonly string[];
  constructor(
    file: string,
    message: string,
    data: {
      source: string;
      missing: readonly string[];
      unexpected: readonly string[];
      columns: readonly string[];
    },
  ) {
    super(file, message);
    this.name = "HeaderMismatchError";
    this.source = data.source;
    this.missing = data.missing;
    this.unexpected = data.unexpected;
    this.columns = data.columns;
  }
}

/**
 * A file whose exact content already landed as another source: the same
 * bytes cannot be two kinds of delivery, so one of the two is misrouted.
 * Nothing of it lands (over HTTP: 409).
 */
export class ContentConflictError extends LandingError {
  /** The source this file was to land as. */
  readonly source: string;
  /** The source the same content landed as. */
  readonly otherSource: string;
  /** The file (path or URL) that landed with this content. */
  readonly otherFile: string;
  /** The batch it landed in. */
  readonly batchId: number;
  constructor(
    file: string,
    message: string,
    data: { source: string; otherSource: string; otherFile: string; batchId: number },
  ) {
    super(file, message);
    this.name = "ContentConflictError";
    this.source = data.source;
    this.otherSource = data.otherSource;
    this.otherFile = data.otherFile;
    this.batchId = data.batchId;
  }
}

/** A remote server failed to give what was asked of it. */
export class UpstreamError extends WharfError {
  readonly url: string;
  readonly status?: number;
  constructor(url: string, message: string, options?: ErrorOptions & { status?: number }) {
    super(message, options);
    this.name = "UpstreamError";
    this.url = url;
    this.status = options?.status;
  }
}

/** How a request failed; see {@linkcode FetchError}. */
export type FetchFailureKind =
  /** An HTTP status: one not worth retrying, or the last of the retries. */
  | "status"
  /** No answer, or no byte of the body, within the time limit. */
  | "timeout"
  /** Refused, reset, or cut off before the end of the body. */
  | "connection"
  /** The answer is larger than the cap. */
  | "too_large"
  /** The resource changed while a download was being resumed. */
  | "changed"
  /** The answer came but cannot be used (the caller's judgement). */
  | "invalid"
  /** The server asked (Retry-After) to wait longer than the cap. */
  | "wait"
  /** The caller stopped the retries before the next attempt. */
  | "stopped";

/**
 * An HTTP request that failed for good (src/net/): a failure not worth
 * retrying, or the last of the attempts. `detail` is the last attempt's
 * failure alone (`HTTP 503`, `timed out after 2000 ms`), for callers that
 * word their own message.
 */
export class FetchError extends UpstreamError {
  readonly kind: FetchFailureKind;
  readonly detail: string;
  /** Requests made, the failed one included (0 when stopped before the first). */
  readonly attempts: number;
  /** The Retry-After header of the last answer, as sent. */
  readonly retryAfter?: string;
  /** The wait that Retry-After asked for, ms, when valid. */
  readonly retryAfterMs?: number;
  constructor(
    url: string,
    message: string,
    data: {
      kind: FetchFailureKind;
      detail: string;
      attempts: number;
      status?: number;
      retryAfter?: string;
      retryAfterMs?: number;
    },
    options?: ErrorOptions,
  ) {
    super(url, message, { ...options, status: data.status });
    this.name = "FetchError";
    this.kind = data.kind;
    this.detail = data.detail;
    this.attempts = data.attempts;
    this.retryAfter = data.retryAfter;
    this.retryAfterMs = data.retryAfterMs;
  }
}

/** A relation or node the user named does not exist. Exit code 2. */
export class NotFoundError extends WharfError {
  override readonly exitCode = 2;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NotFoundError";
  }
}
