/**
 * What a file format wharf lands is: the file-name extensions that imply it,
 * how the start of a file is checked (and, for delimited text, how it is to
 * be read), and — unless DuckDB's CSV reader streams it — how the whole file
 * is read into records. The formats are registered in `index.ts`; a new one
 * is a module beside the others.
 *
 * @module
 */
import type { Records } from "../read_records.ts";
import type { Source } from "../sources.ts";

/** What a look at the start of a file found. */
export interface FileInfo {
  /** The format's name. */
  format: string;
  gzip: boolean;
  /** Delimited text only. */
  delimiter?: string;
  /**
   * Text: how its bytes are read (Windows-1252 is what a non-UTF-8 file is
   * read as; Latin-1 files are Windows-1252 files without its 0x80–0x9F
   * characters).
   */
  encoding?: "utf-8" | "windows-1252";
  /**
   * Delimited text whose encoding the first bytes did not settle (no
   * multi-byte UTF-8 sequence in a sample that is not the whole file):
   * `encoding` is what they suggest, and the scan of the whole file confirms
   * or overturns it (see `utf8.ts` for the rule).
   */
  encodingUnsure?: boolean;
  /** Delimited text only: the header fields as delivered. */
  header?: string[];
  /** Delimited text only: lines of the header (more than one when a quoted header holds a line break). */
  headerLines?: number;
  /** Delimited text only: the header's line ending (`\r` alone: classic Mac, Excel's "CSV (Macintosh)"). */
  newline?: "\n" | "\r\n" | "\r";
}

/** A file to inspect. */
export interface InspectInput {
  /** Where the file is. */
  path: string;
  /** Its name in messages. */
  name: string;
  source: Source;
  /** Its first bytes (at least 4 when the file has them). */
  head: Uint8Array;
  /** It starts with the gzip signature. */
  gzip: boolean;
}

/** A file format; `N` is its name. */
export interface FileFormat<N extends string = string> {
  /** The name a source's `format` gives. */
  name: N;
  /** Lower-case file-name extensions that imply it (`.csv`), a trailing `.gz` aside. */
  extensions: readonly string[];
  /**
   * Checks the start of a file and says how to read it.
   *
   * @throws {LandingError} for a file that cannot be of this format.
   */
  inspect(input: InspectInput): Promise<Omit<FileInfo, "format">>;
  /**
   * Reads the whole file (its bytes, gzipped or not) into records. Absent
   * for delimited text, which DuckDB's CSV reader streams while wharf scans
   * it (see `land_file.ts`).
   *
   * @throws {LandingError} for a file that cannot be read at all.
   */
  read?(bytes: Uint8Array, name: string, source: Source): Records | Promise<Records>;
}
