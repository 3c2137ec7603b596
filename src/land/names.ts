/**
 * Column names for raw tables: headers as delivered become snake_case
 * (`member first name` → `member_first_name`), unique within a table and
 * clear of the lineage columns.
 *
 * @module
 */

/**
 * Turns a delivered header into a snake_case column name.
 *
 * @example
 * ```ts
 * import { snakeCase } from "./names.ts";
 * snakeCase("Member First Name"); // "member_first_name"
 * snakeCase("memberID#"); // "member_id"
 * ```
 */
export function snakeCase(header: string): string {
  const s = header
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (s === "") return "column";
  return /^[0-9]/.test(s) ? `c_${s}` : s;
}

/**
 * Names every header, making repeats unique (`amount`, `amount_2`). Names
 * never start with `_`, so they never clash with the lineage columns.
 */
export function columnNames(headers: readonly string[]): string[] {
  const used = new Set<string>();
  return headers.map((h, i) => {
    const base = h.trim() === "" ? `column_${i + 1}` : snakeCase(h);
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}
