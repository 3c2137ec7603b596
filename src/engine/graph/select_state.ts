/**
 * The selector methods that compare the project with an earlier run's
 * artifacts (`--state DIR`, a previous `target/`): `state:modified` (and
 * `state:modified.body|configs|macros|relation|contract|persisted_descriptions`),
 * `state:new`,
 * `result:<status>` (the status a node had in the state's
 * run_results.json), `source_status:fresher`. Unlike the other methods,
 * they may match nothing: an unchanged project selects nothing to run.
 *
 * @module
 */
import { UsageError } from "../errors.ts";

/**
 * What changed in a node since the state: dbt's `state:modified`
 * subselectors, and `fqn` (its place in the project), which only
 * `state:modified` itself selects, as in dbt.
 */
export type ModifiedPart =
  | "body"
  | "configs"
  | "macros"
  | "relation"
  | "contract"
  | "persisted_descriptions"
  | "fqn";

/** The parts a `state:modified.<part>` selector can name. */
export const MODIFIED_PARTS: readonly ModifiedPart[] = [
  "body",
  "configs",
  "macros",
  "relation",
  "contract",
  "persisted_descriptions",
];

/** True when `part` is one of {@linkcode MODIFIED_PARTS}. */
function isModifiedPart(part: string): part is ModifiedPart {
  return (MODIFIED_PARTS as readonly string[]).includes(part);
}

/** What the state tells the selection, by wharf node id (read by `artifacts/state.ts`). */
export interface SelectionState {
  /** The folder it was read from, for messages. */
  dir: string;
  /**
   * Nodes changed since the state, with what changed; as in dbt, a node the
   * state does not have (one of `added`) is among them.
   */
  modified: ReadonlyMap<string, ReadonlySet<ModifiedPart>>;
  /**
   * Breaking changes to enforced contracts (a column removed or retyped, a
   * constraint removed, enforcement dropped), by node: dbt warns of them
   * when it compares contracts.
   */
  breaking?: ReadonlyMap<string, string>;
  /**
   * Why `state:modified` compares less well than it could (a state of an
   * older wharf): said once, where the warnings go, when it is used.
   */
  notice?: string;
  /** Where those warnings go (once each); standard error by default. */
  warn?: (message: string) => void;
  /** Nodes the state does not have. */
  added: ReadonlySet<string>;
  /**
   * The parts this project cannot select, and why (a plain-SQL project has
   * no `persist_docs`, so no `persisted_descriptions`).
   */
  unsupported?: Partial<Readonly<Record<ModifiedPart, string>>>;
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
      const [head, part, ...more] = value.split(".");
      if (
        head === "modified" && !more.length &&
        (part === undefined || isModifiedPart(part))
      ) {
        const why = part && state.unsupported?.[part];
        if (why) throw new UsageError(`Selector "${atom}" is not supported here: ${why}`);
        const selected = new Set(
          [...state.modified].filter(([, parts]) => !part || parts.has(part))
            .map(([id]) => id),
        );
        if (part === undefined || part === "contract") warnBreaking(state, selected);
        if (state.notice && !noticed.has(state)) {
          noticed.add(state);
          (state.warn ?? ((m: string) => console.error(m)))(`note: ${state.notice}`);
        }
        return selected;
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

const warned = new WeakMap<SelectionState, Set<string>>();
const noticed = new WeakSet<SelectionState>();

/** Warns (once per node) of breaking changes to the contracts of `selected`, as dbt does. */
function warnBreaking(state: SelectionState, selected: ReadonlySet<string>): void {
  const done = warned.get(state) ?? new Set<string>();
  warned.set(state, done);
  for (const [id, message] of state.breaking ?? []) {
    if (!selected.has(id) || done.has(id)) continue;
    done.add(id);
    (state.warn ?? ((m: string) => console.error(m)))(
      `warning: breaking change to the contract of ${id} since the state: ${message}`,
    );
  }
}

/** True when a selector expression uses one of the state methods. */
export function usesState(selector: string): boolean {
  return new RegExp(`(^|[\\s,+])(${STATE_METHODS.join("|")}):`).test(selector);
}
