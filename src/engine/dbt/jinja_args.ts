/**
 * What minijinja hands the functions of a template: mappings as Maps, and
 * keyword arguments as a last Map.
 *
 * @module
 */

/** Converts what minijinja hands a function (Maps for mappings) into plain values. */
export function plain(value: unknown): unknown {
  if (value instanceof Map) {
    return Object.fromEntries([...value].map(([k, v]) => [String(k), plain(v)]));
  }
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/** A function's positional arguments and keyword arguments (minijinja passes them as a last Map). */
export function splitArgs(args: readonly unknown[]): {
  positional: unknown[];
  kwargs: Record<string, unknown>;
} {
  const last = args[args.length - 1];
  // A value of wharf's (a relation, a datetime: it has `__kind`) is an argument, not keywords.
  if (last instanceof Map && !last.has("__kind")) {
    return {
      positional: args.slice(0, -1).map(plain),
      kwargs: plain(last) as Record<string, never>,
    };
  }
  return { positional: args.map(plain), kwargs: {} };
}
