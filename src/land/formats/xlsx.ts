/**
 * Excel workbooks (`.xlsx`): the first sheet, or the source's `sheet`.
 *
 * @module
 */
import { LandingError } from "../../engine/errors.ts";
import type { FileFormat } from "./format.ts";

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
  // ExcelJS loads when a workbook is read (see read_xlsx.ts).
  read: async (bytes, name, source) =>
    (await import(
      new URL("./read_xlsx.ts", import.meta.url).href
    ) as typeof import("./read_xlsx.ts")).readXlsx(bytes, name, source),
};
