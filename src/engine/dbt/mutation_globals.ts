/**
 * The functions templates rewritten by `rewrite_mutation.ts` call to change
 * a list or a mapping in place: what Python checks (an item `remove()`
 * does not find, `pop()` of an empty list or of a missing key) is an error
 * naming the line, and a mapping changed keeps its written order, new keys
 * after old ones, as a Python dict does (recorded in {@linkcode MapOrders}).
 *
 * @module
 */
import { plain } from "./jinja_args.ts";
import type { MapOrderReport, MapOrders } from "./map_order.ts";

/** A value as Python's repr writes it, for messages. */
function repr(value: unknown): string {
  if (typeof value === "string") return `'${value.replaceAll("'", "\\'")}'`;
  if (value === undefined || value === null) return "None";
  return JSON.stringify(plain(value)) ?? String(value);
}

/** Whether `a` equals `b`, as Python's `==` compares lists, mappings, text and numbers. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(plain(a) ?? null) === JSON.stringify(plain(b) ?? null);
}

/**
 * The functions (see the module doc) to add as globals: `__wharf_remove`
 * and `__wharf_pop` give the position of the item a list loses (`pop` of
 * a mapping: what it gives and the mapping without the key),
 * `__wharf_update` a mapping with keys added or set, and
 * `__wharf_mutation_error` reports a change wharf cannot make. `orders`
 * knows and records mappings' written orders; `report` takes the problems,
 * each with the line (and the macro file) of the change.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MapOrders } from "./map_order.ts";
 * import { mutationGlobals } from "./mutation_globals.ts";
 *
 * const problems: string[] = [];
 * const globals = mutationGlobals(new MapOrders(() => {}), (m) => problems.push(m));
 * const pop = globals.__wharf_pop as (v: unknown, args: unknown[], what: string, line: number) => unknown;
 * assert.equal(pop(["a", "b", "c"], [-2], "l.pop()", 3), 1);
 * pop([], [], "l.pop()", 4);
 * assert.deepEqual(problems, ["l.pop(): pop from an empty list"]);
 * ```
 */
export function mutationGlobals(
  orders: MapOrders,
  report: MapOrderReport,
): Record<string, unknown> {
  /** The entries of `map` in written order (reported when not known). */
  const entries = (map: Map<unknown, unknown>, what: string, line: number, path?: string) =>
    orders.keys(map, what, line, path).map((k) => [k, map.get(k)] as [unknown, unknown]);
  /** `entries` as a mapping handed back to the template, its order recorded. */
  const mapping = (kept: [unknown, unknown][], what: string, line: number, path?: string) => {
    const bad = kept.find(([k]) => typeof k !== "string");
    if (bad) {
      report(
        `${what}: wharf changes in place only mappings whose keys are text, not ${repr(bad[0])}`,
        line,
        path,
      );
    }
    orders.record(kept.map(([k]) => k));
    return Object.fromEntries(kept.map(([k, v]) => [String(k), plain(v)]));
  };
  return {
    __wharf_mutation_error: (message: unknown, line: unknown, path?: unknown) => {
      report(String(message), Number(line), path === undefined ? undefined : String(path));
      return null;
    },
    __wharf_remove: (list: unknown, item: unknown, what: string, line: number, path?: string) => {
      if (!Array.isArray(list)) {
        report(`${what}: ${repr(list)} is not a list`, line, path);
        return 0;
      }
      const at = list.findIndex((x) => same(x, item));
      if (at < 0) report(`${what}: ${repr(item)} is not in the list`, line, path);
      return Math.max(at, 0);
    },
    __wharf_pop: (
      value: unknown,
      args: unknown[],
      what: string,
      line: number,
      path?: string,
    ) => {
      if (Array.isArray(value)) {
        const i = args[0] ?? -1;
        if (typeof i !== "number" || !Number.isInteger(i) || args.length > 1) {
          report(`${what}: a list's pop() takes one whole number, the index`, line, path);
          return 0;
        }
        const at = i < 0 ? i + value.length : i;
        if (value.length === 0) report(`${what}: pop from an empty list`, line, path);
        else if (at < 0 || at >= value.length) {
          report(
            `${what}: index ${i} is out of range (the list has ${value.length} items)`,
            line,
            path,
          );
        }
        return Math.min(Math.max(at, 0), Math.max(value.length - 1, 0));
      }
      if (!(value instanceof Map) || args.length === 0 || args.length > 2) {
        report(
          value instanceof Map
            ? `${what}: a mapping's pop() takes the key, and a default`
            : `${what}: ${repr(value)} is not a list or a mapping`,
          line,
          path,
        );
        return [null, null];
      }
      const key = args[0];
      if (!value.has(key)) {
        if (args.length < 2) {
          report(`${what}: no key ${repr(key)} in the mapping, and no default`, line, path);
        }
        return [plain(args[1] ?? null), null];
      }
      const kept = entries(value, what, line, path).filter(([k]) => k !== key);
      return [plain(value.get(key)), mapping(kept, what, line, path)];
    },
    __wharf_update: (
      map: unknown,
      args: unknown[],
      keywords: unknown,
      what: string,
      line: number,
      path?: string,
    ) => {
      if (!(map instanceof Map)) {
        report(`${what}: ${repr(map)} is not a mapping`, line, path);
        return map;
      }
      const out = new Map(entries(map, what, line, path));
      const other = args[0];
      if (args.length > 1) {
        report(`${what}: update() takes one mapping (and keywords)`, line, path);
      } else if (other instanceof Map) {
        for (const [k, v] of entries(other, what, line, path)) out.set(k, v);
      } else if (Array.isArray(other) && other.every((p) => Array.isArray(p) && p.length === 2)) {
        for (const [k, v] of other as [unknown, unknown][]) out.set(k, v);
      } else if (args.length === 1) {
        report(`${what}: ${repr(other)} is not a mapping or a list of pairs`, line, path);
      }
      if (keywords instanceof Map) {
        for (const [k, v] of entries(keywords, what, line, path)) out.set(k, v);
      }
      return mapping([...out], what, line, path);
    },
  };
}
