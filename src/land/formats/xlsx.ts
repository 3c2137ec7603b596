/**
 * Excel workbooks (`.xlsx`): the first sheet, or the source's `sheet`.
 *
 * @module
 */
import type { Cell } from "exceljs";
import { LandingError } from "../../engine/errors.ts";
import type { Records } from "../read_records.ts";
import type { FileFormat } from "./format.ts";

/** A value as text; an empty one is NULL, as an empty field of a CSV file is. */
function valueText(value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
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
 * formatting and dropped, unless a row has data there); rows with no value at all (formatted but empty) are
 * skipped; real dates become ISO text, text stays text.
 *
 * @throws {LandingError} when the workbook cannot be opened or the sheet is missing.
 */
async function readXlsx(file: Uint8Array, name: string, sheet?: string): Promise<Records> {
  const { default: ExcelJS } = await import("exceljs");
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
  let columns: string[] | undefined;
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: (string | null)[] = [];
    for (let c = 1; c <= row.cellCount; c++) cells.push(cellText(row.getCell(c)));
    if (cells.every((c) => c === null || c.trim() === "")) return;
    if (!columns) {
      // Blank cells after the last header are formatting, not columns (data there still lands).
      let end = cells.length;
      while (end > 0 && (cells[end - 1] === null || cells[end - 1]!.trim() === "")) end--;
      columns = cells.slice(0, end).map((c, i) =>
        c === null || c.trim() === "" ? `column_${i + 1}` : c
      );
      out.headers.push(...columns);
      return;
    }
    out.read++;
    // Cells past the header land in columns named by position.
    let last = cells.length - 1;
    while (last >= out.headers.length && cells[last] === null) last--;
    for (let i = out.headers.length; i <= last; i++) out.headers.push(`column_${i + 1}`);
    out.rows.push({ rowNumber, values: cells.slice(0, out.headers.length) });
  });
  if (!columns) throw new LandingError(name, `Cannot land "${name}": sheet "${ws.name}" is empty`);
  return out;
}

/** The Excel format. */
export const xlsx: FileFormat<"xlsx"> = {
  name: "xlsx",
  extensions: [".xlsx"],
  inspect: ({ head, name }) => {
    if (!(head[0] === 0x50 && head[1] === 0x4b)) {
      throw new LandingError(
        name,
        `Cannot land "${name}": it is not an Excel .xlsx workbook (no zip signature)`,
      );
    }
    return Promise.resolve({ gzip: false });
  },
  read: (bytes, name, source) => readXlsx(bytes, name, source.sheet),
};
