/**
 * The rows of a batch of reporting structures, staged as blocks of bytes
 * that DuckDB's CSV reader turns into `raw.tic_plans`, `raw.tic_plan_files`
 * and `raw.tic_files` ({@linkcode expandStagedRows}): a file per block
 * instead of a call per value, and text copied byte for byte from the index
 * where it is written plainly (no string is built for it).
 *
 * The format: rows end with a newline, values are separated by 0x1f, there
 * is no quoting; 0x02 alone is null. Rows whose text is all plain (printable
 * ASCII as written: nearly all) go to one block, their values as they are;
 * the others to a second block of the same table, every value a JSON string
 * that DuckDB decodes: so plain rows cost DuckDB no decoding, and no value
 * in either block holds a newline or a separator (plain text has no byte
 * below 0x20, JSON escapes them).
 *
 * @module
 */
import { quoteLiteral } from "../engine/db/sql.ts";
import type { FileSink, PlainFile, TicFile } from "./files.ts";
import { PLAN_KEYS, PlanField, planField, type StructureRead } from "./reader.ts";

const SEPARATOR = 0x1f, NEWLINE = 0x0a, NULL = 0x02;
const FILE_KIND: Record<TicFile["kind"], number> = { in_network: 0x30, allowed_amount: 0x31 };

/** Growable bytes, in rows. */
class Block {
  bytes = new Uint8Array(1 << 16);
  length = 0;
  #rowStart = 0;
  /** The longest row, bytes (DuckDB's CSV reader must be told). */
  longest = 0;

  endRow(): void {
    this.byte(NEWLINE);
    this.longest = Math.max(this.longest, this.length - this.#rowStart);
    this.#rowStart = this.length;
  }

  clear(): void {
    this.length = this.#rowStart = this.longest = 0;
  }

  /** Makes room for `n` more bytes. */
  room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
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

  /** Bytes `src[s, e)`, as they are. */
  copy(src: Uint8Array, s: number, e: number): void {
    const n = e - s;
    this.room(n);
    const bytes = this.bytes;
    if (n < 32) {
      let at = this.length;
      for (let i = s; i < e; i++) bytes[at++] = src[i]!;
    } else {
      bytes.set(src.subarray(s, e), this.length);
    }
    this.length += n;
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

/** See the module documentation. */
export class StagedRows implements FileSink {
  readonly #blocks: Record<StagedTable, Block> = {
    plans: new Block(),
    quotedPlans: new Block(),
    links: new Block(),
    files: new Block(),
    quotedFiles: new Block(),
  };
  /** Rows staged, per table. */
  structures = 0;
  plans = 0;
  links = 0;
  files = 0;

  /** Bytes staged. */
  get bytes(): number {
    let n = 0;
    for (const b of Object.values(this.#blocks)) n += b.length;
    return n;
  }

  /** The blocks with rows (views, valid until the next change), with the longest row of each. */
  blocks(): { table: StagedTable; bytes: Uint8Array; longest: number }[] {
    return Object.entries(this.#blocks).filter(([, b]) => b.length > 0).map(([table, b]) => ({
      table: table as StagedTable,
      bytes: b.bytes.subarray(0, b.length),
      longest: b.longest,
    }));
  }

  /** Empties the batch (its blocks are reused). */
  clear(): void {
    for (const b of Object.values(this.#blocks)) b.clear();
    this.structures =
      this.plans =
      this.links =
      this.files =
        0;
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
      const out = plain ? this.#blocks.plans : this.#blocks.quotedPlans;
      out.integer(id);
      for (let k = 0; k < PLAN_KEYS.length; k++) {
        out.byte(SEPARATOR);
        const at = first + 3 * k;
        if (!plain) out.json(planField(st, plan, k));
        else if (fields[at + 2] === PlanField.Absent) out.byte(NULL);
        else out.copy(st.bytes, fields[at]!, fields[at + 1]!);
      }
      out.endRow();
    }
    this.plans += st.planCount;
    const ids = st.fileIds;
    if (ids.length === 0) return;
    const links = this.#blocks.links;
    links.integer(id);
    links.byte(SEPARATOR);
    for (let i = 0; i < ids.length; i++) {
      if (i) links.byte(0x2c);
      links.integer(ids[i]!);
    }
    links.endRow();
    this.links += ids.length;
  }

  plain(f: Readonly<PlainFile>): void {
    const files = this.#blocks.files;
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
    files.endRow();
    this.files++;
  }

  file(f: TicFile): void {
    const files = this.#blocks.quotedFiles;
    files.integer(f.id);
    files.byte(SEPARATOR);
    files.byte(FILE_KIND[f.kind]);
    for (const value of [f.key, f.url, f.host, f.fileName, f.description]) {
      files.byte(SEPARATOR);
      files.json(value);
    }
    files.endRow();
    this.files++;
  }
}

/** The blocks of a batch: the table they fill, and how their text is written. */
export type StagedTable = "plans" | "quotedPlans" | "links" | "files" | "quotedFiles";

/** Bytes DuckDB's CSV reader reads at a time (more for longer rows). */
const CSV_BUFFER = 4 << 20;

/** Enum values are compared without surrounding whitespace and case. */
const SPACES = "' ' || chr(9) || chr(10) || chr(13)";

const PLAN_COLUMNS = ["s BIGINT", "n VARCHAR", "i VARCHAR", "t VARCHAR", "m VARCHAR"];
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
  const text = (v: string) => table.startsWith("quoted") ? `json_extract_string(${v}, '$')` : v;
  const lowered = (v: string) => `lower(trim(${text(v)}, ${SPACES}))`;
  switch (table) {
    case "plans":
    case "quotedPlans":
      return `INSERT INTO raw.tic_plans (index_id, structure_id, plan_name, plan_id, plan_id_type, plan_market_type)
        SELECT ${indexId}, s, ${text("n")}, ${text("i")}, ${lowered("t")}, ${lowered("m")}
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
