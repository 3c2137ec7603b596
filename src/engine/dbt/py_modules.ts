/**
 * dbt's `modules` for templates: `modules.datetime`, `modules.pytz` and
 * `modules.re` (see `py_datetime.ts`, `py_re.ts`). Templates reach them
 * through a flat table (`datetime.datetime.now` → its function), since a
 * minijinja value cannot be both callable and hold attributes: the
 * template rewriter (`rewrite_jinja.ts`) turns `modules.datetime.datetime.now`
 * into `__wharf_modules["datetime.datetime.now"]`, and a name the table
 * lacks into an error naming it. Values print as Python prints them
 * ({@linkcode printPyValues}).
 *
 * @module
 */
import {
  datetimeModule,
  knownZone,
  type PyDatetime,
  type Report,
  zoneValue,
} from "./py_datetime.ts";
import { reModule } from "./py_re.ts";

/** The modules, flattened: `datetime.timedelta`, `pytz.utc`, `re.match`, … to their values. */
function flatTable(report: Report, now?: () => Date): Record<string, unknown> {
  const { __py, __utc, ...datetime } = datetimeModule(report, now);
  const py = __py as PyDatetime;
  const pytz: Record<string, unknown> = {
    timezone: (name: unknown) => {
      const zone = String(name);
      if (!knownZone(zone)) {
        report(
          `modules.pytz.timezone(${
            JSON.stringify(zone)
          }): unknown time zone (UnknownTimeZoneError)`,
        );
        return null;
      }
      return zoneValue(py, zone);
    },
    utc: __utc,
    UTC: __utc,
  };
  const out: Record<string, unknown> = {};
  for (
    const [name, module] of [["datetime", datetime], ["pytz", pytz], [
      "re",
      reModule(report),
    ]] as const
  ) {
    // The module itself: its direct names (so `{% set dt = modules.datetime %}` works too).
    out[name] = Object.fromEntries(Object.entries(module).filter(([k]) => !k.includes(".")));
    for (const [k, v] of Object.entries(module)) out[`${name}.${k}`] = v;
  }
  return out;
}

/** Every name the table has (`datetime`, `datetime.datetime.now`, …): what the rewriter checks. */
export const MODULE_PATHS: ReadonlySet<string> = new Set(Object.keys(flatTable(() => {})));

/**
 * What templates see: `modules` (each module's direct names) and
 * `__wharf_modules` (the flat table), their functions reporting to `report`.
 */
export function pyModules(report: Report, now?: () => Date): {
  modules: Record<string, unknown>;
  table: Record<string, unknown>;
} {
  const table = flatTable(report, now);
  return {
    modules: { datetime: table.datetime, pytz: table.pytz, re: table.re },
    table,
  };
}

/**
 * The message for `modules.<path>` the table does not have: what is missing
 * and what its parent has.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { missingModulePath } from "./py_modules.ts";
 *
 * assert.match(missingModulePath("itertools.chain"), /^modules\.itertools is not available in wharf's Jinja \(modules has datetime, pytz, re\)$/);
 * ```
 */
export function missingModulePath(path: string): string {
  const parts = path.split(".");
  let known = "";
  for (const part of parts) {
    const next = known ? `${known}.${part}` : part;
    if (!MODULE_PATHS.has(next)) {
      const children = [...MODULE_PATHS].filter((p) =>
        known
          ? p.startsWith(`${known}.`) && !p.slice(known.length + 1).includes(".")
          : !p.includes(".")
      ).map((p) => p.slice(known ? known.length + 1 : 0));
      return `modules.${next} is not available in wharf's Jinja (modules${
        known ? `.${known}` : ""
      } has ${children.join(", ")})`;
    }
    known = next;
  }
  return `modules.${path} is not available in wharf's Jinja`;
}

/**
 * True when `path` (`datetime.datetime`) names a module or a class of the
 * table: a name after it must be one of its own.
 */
export function isModuleNamespace(path: string): boolean {
  for (const p of MODULE_PATHS) if (p.startsWith(`${path}.`)) return true;
  return false;
}

/**
 * `text` (a render's output) with each Python value a template printed
 * (minijinja prints them as mappings, `{"__cmp": …, "__kind": …, "__str": …}`)
 * replaced by what Python prints: `2024-01-31 00:00:00`, `1 day, 0:00:00`, `UTC`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { printPyValues } from "./py_modules.ts";
 *
 * const printed = 'select \'{"__cmp": 1, "__kind": "date", "__str": "2024-01-31", "day": 31, "f": x::{{closure}}}\'';
 * assert.equal(printPyValues(printed), "select '2024-01-31'");
 * ```
 */
export function printPyValues(text: string): string {
  const marker = '{"__cmp": ';
  if (!text.includes(marker)) return text;
  let out = "";
  let i = 0;
  for (;;) {
    const at = text.indexOf(marker, i);
    if (at < 0) return out + text.slice(i);
    const end = closingBrace(text, at);
    // Its own __str comes before any nested value's (keys print sorted: `__` first).
    const str = end < 0 ? null : /"__str": ("(?:[^"\\]|\\.)*")/.exec(text.slice(at, end));
    if (!str) {
      out += text.slice(i, at + marker.length);
      i = at + marker.length;
      continue;
    }
    out += text.slice(i, at) + JSON.parse(str[1]!);
    i = end + 1;
  }
}

/**
 * What a function of the context was handed, as text where it holds
 * wharf's values: a relation or datetime (a Map with `__str`) as it prints,
 * a text holding one printed into it (`"x " ~ this`) with it printed;
 * lists and mappings inside too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { printedValue } from "./py_modules.ts";
 *
 * const rel = new Map<string, unknown>([["__cmp", 0], ["__kind", "relation"], ["__str", '"s"."t"']]);
 * assert.deepEqual(printedValue({ hook: rel, n: 1 }), { hook: '"s"."t"', n: 1 });
 * ```
 */
export function printedValue(value: unknown): unknown {
  if (value instanceof Map) {
    if (value.has("__kind") && typeof value.get("__str") === "string") return value.get("__str");
    return new Map([...value].map(([k, v]) => [k, printedValue(v)]));
  }
  if (typeof value === "string") return printPyValues(value);
  if (Array.isArray(value)) return value.map(printedValue);
  if (value !== null && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (typeof o.__kind === "string" && typeof o.__str === "string") return o.__str;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, printedValue(v)]));
  }
  return value;
}

/** The index of the `}` closing the `{` at `open` (strings in double quotes skipped), or -1. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    } else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
  }
  return -1;
}
