/**
 * Reading an Excel workbook (`.xlsx`) into records, with ExcelJS. The
 * format (`xlsx.ts`) imports this module when it reads a workbook, so that
 * a command that only loads the formats (every project's configuration
 * names them) does not load ExcelJS.
 *
 * @module
 */
import ExcelJS, { type Cell } from "exceljs";
import { LandingError } from "../../engine/errors.ts";
import type { Records } from "../read_records.ts";
import type { Source } from "../sources.ts";

/**
 * A number as Excel keeps and shows it: 15 significant digits (so
 * `=0.1+0.2` is `0.3`, not `0.30000000000000004`), in the shortest text
 * that gives them back. Integers below 10^21 (ids: Excel keeps no more than
 * 15 digits) never take an exponent; numbers below 10^-6 do (`1e-7`, as
 * JavaScript and DuckDB write them; DuckDB casts them to any numeric type).
 *
 * @example
 * ```ts
 * import { numberText } from "./read_xlsx.ts";
 * numberText(0.1 + 0.2); // "0.3"
 * numberText(123456789012); // "123456789012"
 * ```
 */
export function numberText(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const n = Number(x.toPrecision(15));
  return n === 0 ? "0" : String(n);
}

/** A value as text; an empty one is NULL, as an empty field of a CSV file is. */
function valueText(value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return numberText(value);
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso.slice(0, 19).replace("T", " ");
  }
  if (typeof value === "object") {
    const v = value as {
      result?: unknown;
      text?: unknown;
      richText?: { text: string }[];
      error?: string;
    };
    if ("result" in v && v.result !== undefined) return valueText(v.result);
    if (Array.isArray(v.richText)) return v.richText.map((r) => r.text).join("");
    if (typeof v.text === "string") return v.text;
    if (typeof v.error === "string") return v.error;
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * A cell as text: its value, a formula's cached result, or — for a formula
 * saved without a result — the formula itself (`=A2*2`), as Excel shows it.
 */
function cellText(cell: Cell): string | null {
  const value = cell.value as { formula?: string; sharedFormula?: string; result?: unknown } | null;
  if (
    value !== null && typeof value === "object" &&
    ("formula" in value || "sharedFormula" in value) &&
    value.result === undefined
  ) {
    return `=${cell.formula ?? value.formula ?? value.sharedFormula}`;
  }
  return valueText(value);
}

/**
 * Reads the first (or named) sheet of an .xlsx workbook (its bytes): the
 * first non-empty row is the header (a blank header cell between headers is
 * named by its position, `column_3`; blank cells after the last header are
 * formatting and dropped, unless a row has data there: such a column is
 * named by its position too); rows with no value at all (formatted but
 * empty) are skipped; real dates become ISO text, numbers as Excel shows
 * them ({@linkcode numberText}), text stays text. The records say which
 * sheet was read and where unnamed columns come from, for messages.
 *
 * @throws {LandingError} when the workbook cannot be opened or the sheet is missing.
 */
export async function readXlsx(file: Uint8Array, name: string, source: Source): Promise<Records> {
  const sheet = source.sheet;
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(file as unknown as ArrayBuffer);
  } catch (err) {
    throw new LandingError(name, `Cannot open workbook "${name}": ${(err as Error).message}`, {
      cause: err,
    });
  }
  const ws = sheet === undefined ? wb.worksheets[0] : wb.getWorksheet(sheet);
  if (!ws) {
    throw new LandingError(
      name,
      `Workbook "${name}" has no sheet ${sheet === undefined ? "" : `"${sheet}" `}(sheets: ${
        wb.worksheets.map((w) => `"${w.name}"`).join(", ")
      })`,
    );
  }
  const out: Records = { headers: [], rows: [], rejects: [], read: 0 };
  const notes: (string | undefined)[] = [];
  const merged = new Map<string, string>();
  let columns: string[] | undefined;
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: (string | null)[] = [];
    for (let c = 1; c <= row.cellCount; c++) cells.push(cellText(row.getCell(c)));
    if (cells.every((c) => c === null || c.trim() === "")) return;
    if (!columns) {
      // Blank cells after the last header are formatting, not columns (data there still lands).
      let end = cells.length;
      while (end > 0 && (cells[end - 1] === null || cells[end - 1]!.trim() === "")) end--;
      columns = cells.slice(0, end).map((c, i) => {
        const cell = row.getCell(i + 1);
        if (cell.isMerged) {
          merged.set(cell.master.address, `${cell.master.address}:${cell.address}`);
        }
        if (c !== null && c.trim() !== "") return c;
        notes[i] = `blank header cell ${cell.address}`;
        return `column_${i + 1}`;
      });
      out.headers.push(...columns);
      return;
    }
    out.read++;
    // Values past the header land in columns named by position.
    for (let i = columns.length; i < cells.length; i++) {
      if (cells[i] === null || notes[i] !== undefined) continue;
      notes[i] = `first value in cell ${row.getCell(i + 1).address}`;
    }
    out.rows.push({ rowNumber, values: cells });
  });
  if (!columns) throw new LandingError(name, `Cannot land "${name}": sheet "${ws.name}" is empty`);
  // A column past the header is kept only when it holds a value (G12 alone makes column_7, not column_6).
  const extra = [...notes.keys()].filter((i) => i >= columns!.length && notes[i] !== undefined);
  out.headers.push(...extra.map((i) => `column_${i + 1}`));
  const keep = [...columns.keys(), ...extra];
  for (const r of out.rows) r.values = keep.map((i) => r.values[i] ?? null);
  out.columnNotes = keep.map((i) => notes[i]);
  const others = wb.worksheets.filter((w) => w !== ws).map((w) => `"${w.name}"`);
  const ranges = [...merged.values()].filter((r) => r.split(":")[0] !== r.split(":")[1]);
  out.headerHint = [
    `It was read from sheet "${ws.name}"${
      others.length === 0
        ? "."
        : ` (${sheet === undefined ? "the first" : "the source's"}; the workbook also has ${
          others.join(", ")
        }): to read another, set sheet: "<name>" on source "${source.name}" in wharf.config.ts.`
    }`,
    ranges.length === 0
      ? ""
      : ` Its header row has merged cells (${
        ranges.join(", ")
      }): wharf reads one header row, so a header over two rows gives each column the text above it (repeated names get _2, _3 …) and lands its second row as data; give each column one header cell.`,
  ].join("");
  return out;
}
