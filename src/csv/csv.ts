/**
 * Writing CSV: RFC 4180 quoting (fields with a comma, quote or line break
 * are quoted, quotes doubled), LF line endings.
 *
 * @module
 */

/** One field, quoted when it must be. NULL is an empty field. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One line of fields, without the line ending. */
export function csvLine(values: readonly unknown[]): string {
  return values.map(csvField).join(",");
}
