/**
 * The selector methods that compare the project with an earlier run's
 * artifacts (`--state DIR`, a previous `target/`): `state:modified` (and
 * `state:modified.body|configs|macros|relation`), `state:new`,
 * `result:<status>` (the status a node had in the state's
 * run_results.json), `source_status:fresher`. Unlike the other methods,
 * they may match nothing: an unchanged project selects nothing to run.
 *
 * @module
 */
import { UsageError } from "../errors.ts";

/** What changed in a node since the state: dbt's `state:modified` subselectors. */
export type ModifiedPart = "body" | "configs" | "macros" | "relation";

/** The parts {@linkcode ModifiedPart} can name. */
export const MODIFIED_PARTS: readonly ModifiedPart[] = ["body", "configs", "macros", "relation"];

/** What the state tells the selection, by wharf node id (read by `artifacts/state.ts`). */
export interface SelectionState {
  /** The folder it was read from, for messages. */
  dir: string;
  /** Nodes changed since the state, with what changed. */
  modified: ReadonlyMap<string, ReadonlySet<ModifiedPart>>;
  /** Nodes the state does not have. */
  added: ReadonlySet<string>;
  /** Each node's status in the state's run_results.json; a message when there is none. */
  results: ReadonlyMap<string, string> | string;
  /** Sources loaded since the state's freshness check; a message when that cannot be known. */
  fresher: ReadonlySet<string> | string;
}

/** The methods of this module. */
export const STATE_METHODS: readonly string[] = ["state", "result", "source_status"];

const RESULT_STATUSES = ["success", "error", "skipped", "pass", "fail", "warn"];

/**
 * The nodes `method:value` selects against `state`.
 *
 * @throws {UsageError} without `--state`, for an unknown value, or when the
 * state lacks the file the method reads.
 */
export function matchStateMethod(
  method: string,
  value: string,
  state: SelectionState | undefined,
): Set<string> {
  const atom = `${method}:${value}`;
  if (!state) {
    throw new UsageError(
      `Selector "${atom}" compares with an earlier run: pass --state DIR (a target/ folder of that run, with its manifest.json)`,
    );
  }
  switch (method) {
    case "state": {
      if (value === "new") return new Set(state.added);
      const [head, part] = value.split(".");
      if (head === "modified" && (part === undefined || MODIFIED_PARTS.includes(part as never))) {
        return new Set(
          [...state.modified].filter(([, parts]) => !part || parts.has(part as ModifiedPart))
            .map(([id]) => id),
        );
      }
      throw new UsageError(
        `Unknown selector "${atom}": use state:new, state:modified or state:modified.${
          MODIFIED_PARTS.join("|")
        }`,
      );
    }
    case "result": {
      if (!RESULT_STATUSES.includes(value)) {
        throw new UsageError(
          `Unknown selector "${atom}": use result:${RESULT_STATUSES.join(", result:")}`,
        );
      }
      if (typeof state.results === "string") {
        throw new UsageError(`Selector "${atom}" reads ${state.results}`);
      }
      return new Set([...state.results].filter(([, s]) => s === value).map(([id]) => id));
    }
    default: {
      if (value !== "fresher") {
        throw new UsageError(`Unknown selector "${atom}": use source_status:fresher`);
      }
      if (typeof state.fresher === "string") {
        throw new UsageError(`Selector "${atom}" reads ${state.fresher}`);
      }
      return new Set(state.fresher);
    }
  }
}

/** True when a selector expression uses one of the state methods. */
export function usesState(selector: string): boolean {
  return new RegExp(`(^|[\\s,+])(${STATE_METHODS.join("|")}):`).test(selector);
}
