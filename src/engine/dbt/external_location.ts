/**
 * dbt-duckdb's `external_location` of a source table: the file (or the
 * call of a DuckDB table function) that `source()` renders instead of the
 * table. As dbt-duckdb does it (`DuckDBRelation.create_from_source`): the
 * template is looked up among the table's `meta` (the `sources:` tree's,
 * its source's and its own, merged) and its configs (`config:` of the
 * source or the table, `+external_location` in the tree), the configs
 * winning; it is formatted with `formatter` (`newstyle`, the default:
 * `str.format`'s `{name}`; `oldstyle`: `%(name)s`; `template`: `$name`)
 * over the table's `name`, `identifier`, `schema`, `database`, `tags` and
 * every key of its meta and configs; the result is put in single quotes
 * unless it has a `(` (a function call) or starts with a quote. A `plugin`
 * (dbt-duckdb's source plugins) comes before it there, and is not run by
 * wharf.
 *
 * @module
 */

/** What a source table's location is formatted with. */
export interface ExternalSource {
  name: string;
  identifier: string;
  schema: string;
  database: string;
  tags: readonly string[];
  meta: Readonly<Record<string, unknown>>;
  /** Its configs dbt-duckdb reads (`external_location`, `formatter`). */
  extra: Readonly<Record<string, unknown>>;
}

/** Python's `str()` of a YAML value, or undefined for one wharf does not print (a mapping). */
function pyStr(value: unknown): string | undefined {
  if (value === null || value === undefined) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "string" || typeof value === "number") return String(value);
  if (Array.isArray(value)) {
    const items = value.map((v) =>
      typeof v === "string" ? `'${v.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'` : pyStr(v)
    );
    return items.every((i) => i !== undefined) ? `[${items.join(", ")}]` : undefined;
  }
  return undefined;
}

/**
 * The SQL a source table with an `external_location` renders as, or the
 * problem (naming `external_location`); undefined when it has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { externalLocation } from "./external_location.ts";
 *
 * const table = { name: "ext", identifier: "ext", schema: "files", database: "dev", tags: [], extra: {} };
 * assert.deepEqual(
 *   externalLocation({ ...table, meta: { external_location: "data/{name}.csv" } }),
 *   { sql: "'data/ext.csv'" },
 * );
 * assert.deepEqual(
 *   externalLocation({ ...table, meta: { external_location: "read_csv('data/{identifier}.csv', header=true)" } }),
 *   { sql: "read_csv('data/ext.csv', header=true)" },
 * );
 * ```
 */
export function externalLocation(
  s: ExternalSource,
): { sql: string } | { problem: string } | undefined {
  const values: Record<string, unknown> = {
    name: s.name,
    identifier: s.identifier,
    schema: s.schema,
    database: s.database,
    tags: s.tags,
    ...s.meta,
    ...s.extra,
  };
  if ("plugin" in values) {
    return {
      problem:
        `"plugin" (meta or config) is dbt-duckdb's source plugin, which wharf does not run: read the file with external_location instead`,
    };
  }
  if (!("external_location" in values)) return undefined;
  const template = values.external_location;
  if (typeof template !== "string" || template.trim() === "") {
    return {
      problem: `external_location: expected text (a path, or a call such as read_csv('…')), got ${
        JSON.stringify(template)
      }`,
    };
  }
  const formatter = values.formatter ?? "newstyle";
  const fill = (key: string): string | { problem: string } => {
    if (!(key in values)) {
      return {
        problem: `external_location "${template}": nothing fills "${key}" (${
          Object.keys(values).filter((k) => k !== "external_location").join(", ")
        } do)`,
      };
    }
    const text = pyStr(values[key]);
    return text ?? {
      problem: `external_location "${template}": "${key}" is not text, a number or a list`,
    };
  };
  let out = "";
  const fail = (why: string) => ({ problem: `external_location "${template}": ${why}` });
  if (formatter === "newstyle") {
    for (let i = 0; i < template.length; i++) {
      const c = template[i]!;
      if (c === "{" && template[i + 1] === "{") [out, i] = [out + "{", i + 1];
      else if (c === "}" && template[i + 1] === "}") [out, i] = [out + "}", i + 1];
      else if (c === "}") return fail("a single '}' (write '}}' for one)");
      else if (c === "{") {
        const end = template.indexOf("}", i);
        if (end < 0) return fail("a single '{' (write '{{' for one)");
        const field = template.slice(i + 1, end);
        if (!/^[A-Za-z_]\w*$/.test(field)) {
          return fail(
            `"{${field}}": wharf fills in names ({name}), not positions, attributes, conversions or format specs`,
          );
        }
        const text = fill(field);
        if (typeof text !== "string") return text;
        out += text;
        i = end;
      } else out += c;
    }
  } else if (formatter === "oldstyle") {
    const re = /%(%|\(([^)]*)\)([a-zA-Z]?))/g;
    let last = 0;
    for (const m of template.matchAll(re)) {
      out += template.slice(last, m.index);
      last = m.index + m[0].length;
      if (m[1] === "%") {
        out += "%";
        continue;
      }
      if (m[3] !== "s") return fail(`"${m[0]}": wharf fills in %(name)s only`);
      const text = fill(m[2]!);
      if (typeof text !== "string") return text;
      out += text;
    }
    const rest = template.slice(last);
    if (rest.includes("%")) return fail("a '%' that is not %(name)s (write '%%' for one)");
    out += rest;
  } else if (formatter === "template") {
    const re = /\$(?:(\$)|([A-Za-z_]\w*)|\{([A-Za-z_]\w*)\}|)/g;
    let last = 0;
    for (const m of template.matchAll(re)) {
      out += template.slice(last, m.index);
      last = m.index + m[0].length;
      if (m[1]) {
        out += "$";
        continue;
      }
      const key = m[2] ?? m[3];
      if (key === undefined) return fail("a '$' that names nothing (write '$$' for one)");
      const text = fill(key);
      if (typeof text !== "string") return text;
      out += text;
    }
    out += template.slice(last);
  } else {
    return {
      problem: `formatter "${
        String(formatter)
      }" (of external_location) is not newstyle, oldstyle or template`,
    };
  }
  // A function call, or a location already quoted, is used as it is.
  return { sql: out.includes("(") || out.startsWith("'") ? out : `'${out}'` };
}
