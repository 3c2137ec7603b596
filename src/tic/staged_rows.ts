/**
 * The rows of an index's reporting structures, staged as files of bytes
 * that DuckDB's CSV reader turns into `raw.tic_plans`, `raw.tic_plan_files`
 * and `raw.tic_files` ({@linkcode expandStagedRows}): a file instead of a
 * call per value, and text copied byte for byte from the index where it is
 * written plainly (no string is built for it).
 *
 * The format: rows end with a newline, values are separated by 0x1f, there
 * is no quoting; 0x02 alone is null. Rows whose text is all plain (printable
 * ASCII as written: nearly all) go to one file, their values as they are;
 * the others to a second file of the same table, every value a JSON string
 * that DuckDB decodes: so plain rows cost DuckDB no decoding, and no value
 * in either file holds a newline or a separator (plain text has no byte
 * below 0x20, JSON escapes them). A row of links is a structure id, then
 * the ids of the files it links, separated by commas.
 *
 * Each table's rows go in segments of a row group of DuckDB's (`unit` rows,
 * a row of links counting for each of its ids, split in two where a
 * segment ends), so that a transaction that loads whole segments appends
 * whole row groups: DuckDB then writes them compressed straight to its
 * file, instead of logging them and compressing them again at each
 * checkpoint (measured: half its work on a million distinct files). The
 * bytes go to their file as they are staged, a buffer at a time, written
 * off this thread, so memory holds a few buffers whatever the segments'
 * size.
 *
 * @module
 */
import { join } from "node:path";
import { quoteLiteral } from "../engine/db/sql.ts";
import type { FileSink, PlainFile, TicFile } from "./files.ts";
import { PLAN_KEYS, PlanField, planField, type StructureRead } from "./reader.ts";

const SEPARATOR = 0x1f, NEWLINE = 0x0a, NULL = 0x02, COMMA = 0x2c, SPACE = 0x20;
/**
 * Which plan fields ({@linkcode PLAN_KEYS}) are enum values, compared
 * trimmed and lower-cased: the id type and the market type.
 */
const LOWERED: readonly boolean[] = PLAN_KEYS.map((k) =>
  k === "plan_id_type" || k === "plan_market_type"
);
const FILE_KIND: Record<TicFile["kind"], number> = { in_network: 0x30, allowed_amount: 0x31 };
/** Bytes written to a file at a time (a buffer, reused once written). */
const BUFFER = 1 << 20;

/** The buffers of a {@linkcode StagedRows}' files: free ones, and bytes on their way to a file. */
class Buffers {
  free: Uint8Array[] = [];
  writing = 0;
  /** The writes in progress (each never rejects). */
  writes = new Set<Promise<void>>();
}

/** A file of staged rows, written as it fills. */
class Out {
  /** The buffer being filled. */
  bytes: Uint8Array;
  length = 0;
  /** Bytes of this file written out (or on their way) before the buffer. */
  #before = 0;
  #rowStart = 0;
  /** The longest row, bytes (DuckDB's CSV reader must be told). */
  longest = 0;
  /** The table rows its rows stand for (a row of links stands for each of its ids). */
  rows = 0;
  /** The writes so far, in order; never rejects (see {@linkcode Out.#error}). */
  #writes: Promise<void> = Promise.resolve();
  #file: Deno.FsFile | undefined;
  #error: unknown;

  constructor(readonly path: string, readonly buffers: Buffers) {
    this.bytes = buffers.free.pop() ?? new Uint8Array(BUFFER);
  }

  /** Bytes staged in this file. */
  get size(): number {
    return this.#before + this.length;
  }

  /** Ends a row that stands for `rows` table rows. */
  endRow(rows: number): void {
    this.byte(NEWLINE);
    this.longest = Math.max(this.longest, this.size - this.#rowStart);
    this.#rowStart = this.size;
    this.rows += rows;
  }

  /** Makes room for `n` more bytes: a full buffer is written out, and the next one taken. */
  room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    this.#spill();
    if (n > this.bytes.length) this.bytes = new Uint8Array(n);
  }

  /** Writes the buffer out (off this thread) and goes on in a free one. */
  #spill(): void {
    if (this.length === 0) return;
    const full = this.bytes;
    const bytes = full.subarray(0, this.length);
    const buffers = this.buffers;
    buffers.writing += bytes.length;
    const write = this.#writes = this.#writes.then(async () => {
      try {
        if (this.#error) return;
        this.#file ??= await Deno.open(this.path, { write: true, create: true, truncate: true });
        for (let at = 0; at < bytes.length;) at += await this.#file.write(bytes.subarray(at));
      } catch (err) {
        this.#error ??= err;
      } finally {
        buffers.writing -= bytes.length;
        buffers.writes.delete(write);
        if (full.length === BUFFER) buffers.free.push(full);
      }
    });
    buffers.writes.add(write);
    this.#before += this.length;
    this.length = 0;
    this.bytes = buffers.free.pop() ?? new Uint8Array(BUFFER);
  }

  /** Writes what is left and closes the file; rejects when a write failed. */
  async close(): Promise<void> {
    this.#spill();
    if (this.bytes.length === BUFFER) this.buffers.free.push(this.bytes);
    await this.#writes;
    this.#file?.close();
    if (this.#error) throw this.#error;
  }

  byte(b: number): void {
    this.room(1);
    this.bytes[this.length++] = b;
  }

  /** A non-negative integer (below 2^53) in decimal. */
  integer(n: number): void {
    this.room(16);
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    const bytes = this.bytes;
    const end = this.length + digits;
    for (let i = end - 1; i >= this.length; i--) {
      const q = Math.floor(n / 10);
      bytes[i] = 0x30 + n - 10 * q;
      n = q;
    }
    this.length = end;
  }

  /** Bytes `src[s, e)`, as they are (short ones byte by byte: a view to copy from is garbage). */
  copy(src: Uint8Array, s: number, e: number): void {
    const n = e - s;
    this.room(n);
    const bytes = this.bytes;
    if (n < 256) {
      let at = this.length;
      for (let i = s; i < e; i++) bytes[at++] = src[i]!;
    } else {
      bytes.set(src.subarray(s, e), this.length);
    }
    this.length += n;
  }

  /**
   * Bytes `src[s, e)`, printable ASCII, without the spaces around them and
   * in lower case: what DuckDB's `lower(trim(…))` makes of them.
   */
  lowered(src: Uint8Array, s: number, e: number): void {
    while (s < e && src[s] === SPACE) s++;
    while (e > s && src[e - 1] === SPACE) e--;
    this.room(e - s);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = s; i < e; i++) {
      const b = src[i]!;
      bytes[at++] = b >= 0x41 && b <= 0x5a ? b + 0x20 : b;
    }
    this.length = at;
  }

  /**
   * A value as a JSON string (null: the null mark). A lone surrogate
   * becomes U+FFFD, as in any UTF-8 encoding.
   */
  json(value: string | null): void {
    if (value === null) {
      this.byte(NULL);
      return;
    }
    const text = JSON.stringify(value.isWellFormed() ? value : value.toWellFormed());
    this.room(text.length * 3);
    this.length += encoder.encodeInto(text, this.bytes.subarray(this.length)).written;
  }
}

const encoder = new TextEncoder();

/** A staged file handed over: the table it fills, its path, its longest row, and when it is written. */
export interface StagedFile {
  table: StagedTable;
  path: string;
  /** Bytes. */
  longest: number;
  /** Rows (a row of links counting for each of its ids). */
  rows: number;
  /** Resolves once every byte is in the file; rejects when a write failed. */
  written: Promise<void>;
}

/** Options of {@linkcode StagedRows}. */
export interface StagedRowsOptions {
  /** The folder to write the files in. */
  dir: string;
  /** Rows per segment of a table. */
  unit: number;
  /** Bytes per segment at most (rows too long for a row group of them to be loaded at once). */
  segmentBytes: number;
}

/** One table's segment being staged: its plain rows and its rows as JSON (where it has them). */
interface Segment {
  plain: Out;
  quoted?: Out;
  rows: number;
}

type TableName = "plans" | "links" | "files";
const QUOTED: Record<TableName, StagedTable | undefined> = {
  plans: "quotedPlans",
  links: undefined,
  files: "quotedFiles",
};

/** See the module documentation. */
export class StagedRows implements FileSink {
  readonly #buffers = new Buffers();
  readonly #open: Partial<Record<TableName, Segment>> = {};
  /** Segments complete, not handed over yet. */
  #ready: StagedFile[] = [];
  #files = 0;
  /** Reporting structures staged since the last hand-over. */
  structures = 0;

  constructor(readonly options: StagedRowsOptions) {}

  /** Rows in segments complete, not handed over yet. */
  get readyRows(): number {
    let n = 0;
    for (const f of this.#ready) n += f.rows;
    return n;
  }

  /** Rows staged and not handed over. */
  get rows(): number {
    let n = this.readyRows;
    for (const s of Object.values(this.#open)) n += s.rows;
    return n;
  }

  /**
   * The files of the complete segments, and with `all`, of the others too
   * (each table's rows so far); the rows staged next start new segments.
   */
  take(all: boolean): StagedFile[] {
    if (all) { for (const table of Object.keys(this.#open) as TableName[]) this.#close(table); }
    const ready = this.#ready;
    this.#ready = [];
    this.structures = 0;
    return ready;
  }

  /** Bytes staged and not yet written to their files. */
  get writing(): number {
    return this.#buffers.writing;
  }

  /** Waits for the writes in progress. */
  async settle(): Promise<void> {
    await Promise.all(this.#buffers.writes);
  }

  /** Ends every file, whether handed over or not (their writes done or failed). */
  async close(): Promise<void> {
    const left = this.take(true);
    await Promise.allSettled(left.map((f) => f.written));
  }

  #segment(table: TableName): Segment {
    let s = this.#open[table];
    if (!s) {
      const out = (kind: StagedTable) =>
        new Out(join(this.options.dir, `${this.#files++}_${kind}.csv`), this.#buffers);
      const quoted = QUOTED[table];
      s = this.#open[table] = { plain: out(table), quoted: quoted && out(quoted), rows: 0 };
    }
    return s;
  }

  /** Ends a row of `table` standing for `rows` rows; a segment complete goes to the ready ones. */
  #endRow(table: TableName, segment: Segment, out: Out, rows = 1): void {
    out.endRow(rows);
    segment.rows += rows;
    const bytes = segment.plain.size + (segment.quoted?.size ?? 0);
    if (segment.rows >= this.options.unit || bytes >= this.options.segmentBytes) this.#close(table);
  }

  #close(table: TableName): void {
    const s = this.#open[table];
    if (!s) return;
    delete this.#open[table];
    const quoted = QUOTED[table];
    for (const [out, kind] of [[s.plain, table], [s.quoted, quoted]] as const) {
      if (!out || !kind) continue;
      const written = out.close();
      written.catch(() => {}); // awaited by whoever loads it (or by close())
      if (out.size === 0) continue; // no rows, no file
      this.#ready.push({
        table: kind,
        path: out.path,
        longest: out.longest,
        rows: out.rows,
        written,
      });
    }
  }

  /** Stages structure number `id`: its plans and its links. */
  structure(id: number, st: Readonly<StructureRead>): void {
    this.structures++;
    const fields = st.planFields;
    for (let plan = 0; plan < st.planCount; plan++) {
      const first = plan * PLAN_KEYS.length * 3;
      let plain = true;
      for (let k = 0; k < PLAN_KEYS.length; k++) {
        const kind = fields[first + 3 * k + 2];
        if (kind !== PlanField.Plain && kind !== PlanField.Absent) plain = false;
      }
      const segment = this.#segment("plans");
      const out = plain ? segment.plain : segment.quoted!;
      out.integer(id);
      for (let k = 0; k < PLAN_KEYS.length; k++) {
        out.byte(SEPARATOR);
        const at = first + 3 * k;
        if (!plain) out.json(planField(st, plan, k));
        else if (fields[at + 2] === PlanField.Absent) out.byte(NULL);
        else if (LOWERED[k]) out.lowered(st.bytes, fields[at]!, fields[at + 1]!);
        else out.copy(st.bytes, fields[at]!, fields[at + 1]!);
      }
      this.#endRow("plans", segment, out);
    }
    const ids = st.fileIds;
    for (let i = 0; i < ids.length;) {
      // As many ids as the segment takes, in a row of their own.
      const segment = this.#segment("links");
      const end = Math.min(ids.length, i + this.options.unit - segment.rows);
      const out = segment.plain;
      out.integer(id);
      out.byte(SEPARATOR);
      out.integer(ids[i]!);
      for (let j = i + 1; j < end; j++) {
        out.byte(COMMA);
        out.integer(ids[j]!);
      }
      this.#endRow("links", segment, out, end - i);
      i = end;
    }
  }

  plain(f: Readonly<PlainFile>): void {
    const segment = this.#segment("files");
    const files = segment.plain;
    files.integer(f.id);
    files.byte(SEPARATOR);
    files.byte(0x30 + f.kind);
    files.byte(SEPARATOR);
    files.copy(f.bytes, f.keyStart, f.keyEnd);
    files.byte(SEPARATOR);
    files.copy(f.bytes, f.urlStart, f.urlEnd);
    files.byte(SEPARATOR);
    files.copy(f.bytes, f.hostStart, f.hostEnd);
    files.byte(SEPARATOR);
    files.copy(f.bytes, f.nameStart, f.keyEnd);
    files.byte(SEPARATOR);
    if (f.descriptionStart < 0) files.byte(NULL);
    else files.copy(f.bytes, f.descriptionStart, f.descriptionEnd);
    this.#endRow("files", segment, files);
  }

  file(f: TicFile): void {
    const segment = this.#segment("files");
    const files = segment.quoted!;
    files.integer(f.id);
    files.byte(SEPARATOR);
    files.byte(FILE_KIND[f.kind]);
    for (const value of [f.key, f.url, f.host, f.fileName, f.description]) {
      files.byte(SEPARATOR);
      files.json(value);
    }
    this.#endRow("files", segment, files);
  }
}

/** The files of staged rows: the table they fill, and how their text is written. */
export type StagedTable = "plans" | "quotedPlans" | "links" | "files" | "quotedFiles";

/** Bytes DuckDB's CSV reader reads at a time (more for longer rows). */
const CSV_BUFFER = 4 << 20;

/** Enum values are compared without surrounding whitespace and case. */
const SPACES = "' ' || chr(9) || chr(10) || chr(13)";

const PLAN_COLUMNS = [
  "s BIGINT",
  "n VARCHAR",
  "i VARCHAR",
  "t VARCHAR",
  "m VARCHAR",
  "p VARCHAR",
  "r VARCHAR",
];
const FILE_COLUMNS = ["f BIGINT", "k VARCHAR", "u VARCHAR", "l VARCHAR", "h VARCHAR", "n VARCHAR"];
const COLUMNS: Record<StagedTable, string[]> = {
  plans: PLAN_COLUMNS,
  quotedPlans: PLAN_COLUMNS,
  links: ["s BIGINT", "f VARCHAR"],
  files: [...FILE_COLUMNS, "d VARCHAR"],
  quotedFiles: [...FILE_COLUMNS, "d VARCHAR"],
};

/**
 * SQL that inserts a staged block, written to the file `path`, into its
 * raw table for index `indexId`; `longest` is its longest row, bytes.
 */
export function expandStagedRows(
  table: StagedTable,
  path: string,
  longest: number,
  indexId: bigint,
): string {
  const columns = COLUMNS[table].map((c) => {
    const [name, type] = c.split(" ");
    return `'${name}': '${type}'`;
  });
  // DuckDB's default buffer, 16 longest lines of 2 MB, would not fit twice in its memory.
  const line = Math.max(1024, longest + 1);
  const source = `read_csv(${quoteLiteral(path)}, delim = chr(31), quote = '', escape = '',
    new_line = '\\n', header = false, auto_detect = false, nullstr = chr(2),
    max_line_size = ${line}, buffer_size = ${Math.max(CSV_BUFFER, 2 * line)},
    columns = {${columns.join(", ")}})`;
  const quoted = table.startsWith("quoted");
  const text = (v: string) => quoted ? `json_extract_string(${v}, '$')` : v;
  // Plain enum values are staged trimmed and lower-cased already.
  const lowered = (v: string) => quoted ? `lower(trim(${text(v)}, ${SPACES}))` : v;
  switch (table) {
    case "plans":
    case "quotedPlans":
      return `INSERT INTO raw.tic_plans (index_id, structure_id, plan_name, plan_id, plan_id_type,
          plan_market_type, plan_sponsor_name, issuer_name)
        SELECT ${indexId}, s, ${text("n")}, ${text("i")}, ${lowered("t")}, ${lowered("m")},
          ${text("p")}, ${text("r")}
        FROM ${source};`;
    case "links":
      return `INSERT INTO raw.tic_plan_files (index_id, structure_id, file_id)
        SELECT ${indexId}, s, unnest(string_split(f, ',')::BIGINT[]) FROM ${source};`;
    case "files":
    case "quotedFiles":
      return `INSERT INTO raw.tic_files (index_id, file_id, kind, url_key, url, host, file_name, description)
        SELECT ${indexId}, f, CASE k WHEN '0' THEN 'in_network' ELSE 'allowed_amount' END,
          ${text("u")}, ${text("l")}, ${text("h")}, ${text("n")}, ${text("d")}
        FROM ${source};`;
  }
}
