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
 * Names every header. A blank header is named by its position
 * (`column_3`). Headers that give the same name (`Amount`, `amount`,
 * `AMOUNT`) are told apart the same way in every delivery, whatever their
 * order in the file: the one delivered exactly as the name (`amount`) keeps
 * it, the others get `_2`, `_3` … in the code-point order of their delivered
 * text (`AMOUNT` → `amount_2`, `Amount` → `amount_3`), skipping names another
 * header has. Names never start with `_`, so they never clash with the
 * lineage columns.
 *
 * @example
 * ```ts
 * import { columnNames } from "./names.ts";
 * columnNames(["amount", "Amount"]); // ["amount", "amount_2"]
 * columnNames(["Amount", "amount"]); // ["amount_2", "amount"]
 * ```
 */
export function columnNames(headers: readonly string[]): string[] {
  const base = headers.map((h, i) => h.trim() === "" ? `column_${i + 1}` : snakeCase(h));
  const groups = new Map<string, number[]>();
  base.forEach((b, i) => groups.set(b, [...(groups.get(b) ?? []), i]));
  const names: string[] = new Array(headers.length);
  const used = new Set(groups.keys());
  const clashes = [...groups].filter(([, ids]) => ids.length > 1).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0
  );
  for (const [, ids] of groups) if (ids.length === 1) names[ids[0]!] = base[ids[0]!]!;
  for (const [name, ids] of clashes) {
    const text = (i: number) => headers[i]!.trim();
    const ordered = [...ids].sort((a, b) =>
      Number(text(a) !== name) - Number(text(b) !== name) ||
      (text(a) < text(b) ? -1 : text(a) > text(b) ? 1 : 0) || a - b
    );
    names[ordered[0]!] = name;
    let n = 2;
    for (const i of ordered.slice(1)) {
      while (used.has(`${name}_${n}`)) n++;
      names[i] = `${name}_${n}`;
      used.add(names[i]!);
    }
  }
  return names;
}
