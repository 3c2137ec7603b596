/**
 * dbt's project flags: `flags:` of dbt_project.yml (and the older
 * `config:` block of profiles.yml, which dbt reads when the project sets no
 * flags). Each flag wharf knows is a rule: what its value must be, what wharf
 * does with it, and the values wharf cannot honour (an unsupported issue
 * naming the flag, never a silent difference from dbt).
 *
 * @module
 */
import { INDIRECT_SELECTION, type ProjectFlags } from "../config.ts";
import { closest } from "../suggest.ts";
import type { YamlFile, YamlPath } from "../yaml/yaml_file.ts";
import { isRecord } from "../yaml/yaml_schema.ts";

interface FlagRule {
  /** The values it takes, for the message. */
  expected: string;
  valid(value: unknown): boolean;
  /** What wharf does with a valid value. */
  apply?(flags: ProjectFlags, value: unknown): void;
  /** Why wharf cannot do what `value` asks, when it cannot. */
  unsupported?(value: unknown): string | undefined;
}

const isBoolean = (v: unknown) => typeof v === "boolean";

/** A flag that only tunes dbt's own parser, caches or telemetry: wharf has none of them. */
const dbtInternal: FlagRule = { expected: "true or false", valid: isBoolean };

/** A boolean flag whose `value` only dbt's legacy behaviour has: wharf does what `true`/`false` asks. */
function behaviour(wharfDoes: boolean, legacy: string): FlagRule {
  return {
    expected: "true or false",
    valid: isBoolean,
    unsupported: (v) => v === wharfDoes ? undefined : legacy,
  };
}

/** Log settings: wharf writes no dbt log; its output is the console's. */
const logSetting = (values: readonly string[]): FlagRule => ({
  expected: values.join(", "),
  valid: (v) => typeof v === "string" && values.includes(v),
  unsupported: () =>
    "wharf writes no dbt log and has one console format: remove it (wharf's --json prints results as JSON)",
});

const RULES: Record<string, FlagRule> = {
  fail_fast: {
    expected: "true or false",
    valid: isBoolean,
    apply: (f, v) => f.failFast = v as boolean,
  },
  warn_error: {
    expected: "true or false",
    valid: isBoolean,
    apply: (f, v) => f.warnError = v as boolean,
  },
  partial_parse: {
    expected: "true or false",
    valid: isBoolean,
    apply: (f, v) => f.partialParse = v as boolean,
  },
  indirect_selection: {
    expected: INDIRECT_SELECTION.join(", "),
    valid: (v) => typeof v === "string" && (INDIRECT_SELECTION as readonly string[]).includes(v),
    apply: (f, v) => f.indirectSelection = v as ProjectFlags["indirectSelection"],
  },
  use_colors: {
    expected: "true or false",
    valid: isBoolean,
    apply: (f, v) => f.useColors = v as boolean,
  },
  printer_width: {
    expected: "a width of at least 40 characters",
    valid: (v) => Number.isInteger(v) && (v as number) >= 40,
    apply: (f, v) => f.printerWidth = v as number,
  },
  // wharf sends nothing anywhere, whatever it says (true is dbt's default).
  send_anonymous_usage_stats: dbtInternal,
  static_parser: dbtInternal,
  use_experimental_parser: dbtInternal,
  populate_cache: dbtInternal,
  cache_selected_only: dbtInternal,
  version_check: dbtInternal,
  introspect: dbtInternal,
  // wharf always writes target/'s manifest.json and run_results.json.
  write_json: behaviour(true, "wharf always writes target/'s JSON artifacts"),
  quiet: behaviour(false, "wharf reads --quiet (-q) from the command line only: pass it there"),
  debug: behaviour(false, "wharf's --debug is a command-line option: pass it to the command"),
  log_format: logSetting(["text", "debug", "json", "default"]),
  log_format_file: logSetting(["text", "debug", "json", "default", "off"]),
  log_level: {
    expected: "debug, info, warn, error, none",
    valid: (v) => typeof v === "string" && ["debug", "info", "warn", "error", "none"].includes(v),
    unsupported: () => "wharf reads --log-level from the command line only: pass it there",
  },
  log_level_file: logSetting(["debug", "info", "warn", "error", "none"]),
  use_colors_file: {
    expected: "true or false",
    valid: isBoolean,
    unsupported: () => "wharf writes no dbt log file: remove it",
  },
  // dbt's behaviour-change flags: the values whose behaviour wharf has.
  require_explicit_package_overrides_for_builtin_materializations: {
    // No package can override a materialization: wharf runs its own only, either way.
    expected: "true or false",
    valid: isBoolean,
  },
  require_batched_execution_for_custom_microbatch_strategy: {
    // wharf has no custom incremental strategies: microbatch runs batched either way.
    expected: "true or false",
    valid: isBoolean,
  },
  skip_nodes_if_on_run_start_fails: behaviour(
    true,
    "wharf runs no node when an on-run-start hook fails (dbt's behaviour with true)",
  ),
  state_modified_compare_more_unrendered_values: behaviour(
    true,
    "state:modified compares configs and relations as written, as dbt does with true",
  ),
  // wharf takes a generic test's arguments under arguments: and beside its configs alike.
  require_generic_test_arguments_property: { expected: "true or false", valid: isBoolean },
  source_freshness_run_project_hooks: behaviour(
    false,
    "wharf source freshness runs no on-run-start/on-run-end hooks (dbt's behaviour with false)",
  ),
};

/**
 * dbt's flags wharf does not read: named as dbt's (not as a typo), an
 * unsupported issue each.
 */
const NOT_READ = [
  "warn_error_options",
  "require_resource_names_without_spaces",
  "require_model_names_without_spaces",
  "state_modified_compare_vars",
  "require_yaml_configuration_for_mf_time_spines",
  "require_nested_cumulative_type_params",
  "validate_macro_args",
  "restrict_direct_pg_catalog_access",
  "require_unique_project_resource_names",
  "require_all_warnings_handled_by_warn_error",
  "require_sql_header_in_test_configs",
  "require_ref_searches_node_package_before_root",
  "require_valid_schema_from_generate_schema_name",
  "log_path",
  "target_path",
  "invocation_command",
  "record_timing_info",
  "profiles_dir",
  "empty",
  "store_failures",
  "full_refresh",
];

/**
 * Reads a flags mapping (`flags:` of dbt_project.yml at `at`) into the
 * flags wharf applies, reporting bad values, unknown flags (with the
 * closest name) and values wharf cannot honour (unsupported) to `file`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { YamlFile } from "../yaml/yaml_file.ts";
 * import { readProjectFlags } from "./project_flags.ts";
 *
 * const file = new YamlFile("dbt_project.yml", "flags:\n  fail_fast: true\n  use_colours: true\n");
 * const flags = readProjectFlags(file, ["flags"], (file.data as { flags: unknown }).flags);
 * assert.deepEqual(flags, { failFast: true });
 * assert.match(file.issues[0]!.message, /unknown flag "use_colours" \(did you mean "use_colors"\?\)/);
 * ```
 */
export function readProjectFlags(file: YamlFile, at: YamlPath, value: unknown): ProjectFlags {
  const flags: ProjectFlags = {};
  if (value === null) return flags;
  if (!isRecord(value)) {
    file.report(at, "expected a mapping of dbt flags to values (fail_fast: true)");
    return flags;
  }
  for (const [name, v] of Object.entries(value)) {
    const rule = RULES[name];
    if (!rule && NOT_READ.includes(name)) {
      file.report(
        [...at, name],
        `dbt's flag "${name}" is not read by wharf: remove it, or run with --warn-unsupported to leave it out`,
        { unsupported: true, key: true },
      );
      continue;
    }
    if (!rule) {
      const guess = closest(name, [...Object.keys(RULES), ...NOT_READ]);
      file.report(
        [...at, name],
        `unknown flag "${name}"${guess ? ` (did you mean "${guess}"?)` : ""}: wharf reads ${
          Object.keys(RULES).length
        } of dbt's flags (the README lists them)`,
        { unsupported: true, key: true },
      );
      continue;
    }
    if (!rule.valid(v)) {
      file.report([...at, name], `expected ${rule.expected}, got ${JSON.stringify(v)}`);
      continue;
    }
    const why = rule.unsupported?.(v);
    if (why) {
      file.report([...at, name], `${name}: ${JSON.stringify(v)} is not supported: ${why}`, {
        unsupported: true,
      });
      continue;
    }
    rule.apply?.(flags, v);
  }
  return flags;
}
