/**
 * Plain-text tables aligned by display width (CJK and emoji take two
 * columns, combining marks none), with control characters made visible and,
 * for a terminal, cells cut to a maximum width.
 *
 * @module
 */
import stringWidth from "string-width";

/** Options of {@linkcode renderTable}. */
export interface RenderTableOptions {
  /** Per column: `right` for numbers. Default: left. */
  align?: readonly ("left" | "right")[];
  /** Cut cells wider than this many terminal columns, ending them with `…`. Default: never. */
  maxWidth?: number;
}

/** A rendered table: its lines, and whether any cell was cut. */
export interface RenderedTable {
  lines: string[];
  cut: boolean;
}

const segmenter = new Intl.Segmenter();

/** The number of terminal columns `text` takes. */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/** `text` cut to at most `width` terminal columns, ending in `…` when cut. */
export function truncateToWidth(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = displayWidth(segment);
    if (used + w > width - 1) break;
    out += segment;
    used += w;
  }
  return `${out}…`;
}

const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Control characters as visible escapes (`\n`, `\t`, `\x1b`), so that a value
 * cannot break a table's lines or send commands to the terminal.
 */
export function escapeControls(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex
    /[\x00-\x1f\x7f-\x9f]/g,
    (c) => ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/**
 * Renders `header` lines (e.g. names, then types) over a rule, then `rows`:
 * `| a | b |`. Cells are taken as they are (escape them first).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTable } from "./render_table.ts";
 *
 * assert.deepEqual(
 *   renderTable([["name", "n"]], [["日本", "2"]], { align: ["left", "right"] }).lines,
 *   ["| name | n |", "|------|---|", "| 日本 | 2 |"],
 * );
 * ```
 */
export function renderTable(
  header: readonly (readonly string[])[],
  rows: readonly (readonly string[])[],
  options: RenderTableOptions = {},
): RenderedTable {
  const max = options.maxWidth ?? Infinity;
  let cut = false;
  const fit = (cell: string) => {
    if (displayWidth(cell) <= max) return cell;
    cut = true;
    return truncateToWidth(cell, max);
  };
  const head = header.map((line) => line.map(fit));
  const body = rows.map((row) => row.map(fit));
  const count = Math.max(0, ...head.map((l) => l.length), ...body.map((r) => r.length));
  const widths = Array.from({ length: count }, () => 1);
  for (const line of [...head, ...body]) {
    line.forEach((cell, i) => (widths[i] = Math.max(widths[i]!, displayWidth(cell))));
  }
  const pad = (cell: string, i: number) => {
    const space = " ".repeat(widths[i]! - displayWidth(cell));
    return options.align?.[i] === "right" ? space + cell : cell + space;
  };
  const line = (cells: readonly string[]) =>
    `| ${widths.map((_, i) => pad(cells[i] ?? "", i)).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return {
    lines: [...head.map(line), rule, ...body.map(line)],
    cut,
  };
}
