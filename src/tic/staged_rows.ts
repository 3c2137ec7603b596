/**
 * The rows of a batch of reporting structures, staged as three blocks of
 * bytes that DuckDB splits into `raw.tic_plans`, `raw.tic_plan_files` and
 * `raw.tic_files` ({@linkcode expandStagedRows}): one value handed over per
 * block, instead of one call per value, and text copied byte for byte from
 * the index where it is written plainly (no string is built for it).
 *
 * The format: rows end with 0x1e, values end with 0x1f. A value is its
 * UTF-8 text; 0x02 alone is null; a text holding a control character is
 * 0x01 followed by its JSON string, decoded by DuckDB's JSON reader. Text copied as written never holds a byte below
 * 0x20 (the reader checks plans' strings, and copies only printable ASCII),
 * so the separators cannot occur in a value.
 *
 * @module
 */
import { quoteLiteral } from "../engine/db/sql.ts";
import type { FileSink, PlainFile, TicFile } from "./files.ts";
import { PLAN_KEYS, PlanField, planField, type StructureRead } from "./reader.ts";

const SEPARATOR = 0x1f, NEWLINE = 0x0a, NULL = 0x02, AS_JSON = 0x01;
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
   * A text value (null: the null mark), JSON-quoted when it holds a control
   * character. A lone surrogate becomes U+FFFD, as in any UTF-8 encoding.
   */
  text(value: string | null): void {
    if (value === null) {
      this.byte(NULL);
      return;
    }
    if (!value.isWellFormed()) value = value.toWellFormed();
    // deno-lint-ignore no-control-regex
    if (/[\u0000-\u001f]/.test(value)) {
      this.byte(AS_JSON);
      value = JSON.stringify(value);
    }
    this.room(value.length * 3);
    this.length += encoder.encodeInto(value, this.bytes.subarray(this.length)).written;
  }
}

const encoder = new TextEncoder();

/** See the module documentation. */
export class StagedRows implements FileSink {
  readonly #plans = new Block();
  readonly #links = new Block();
  readonly #files = new Block();
  /** Rows staged, per table. */
  structures = 0;
  plans = 0;
  links = 0;
  files = 0;

  /** Bytes staged. */
  get bytes(): number {
    return this.#plans.length + this.#links.length + this.#files.length;
  }

  /** The staged blocks (views, valid until the next change) and the longest row of each. */
  blocks(): Record<StagedTable, { bytes: Uint8Array; longest: number }> {
    const view = (b: Block) => ({ bytes: b.bytes.subarray(0, b.length), longest: b.longest });
    return { plans: view(this.#plans), links: view(this.#links), files: view(this.#files) };
  }

  /** Empties the batch (its blocks are reused). */
  clear(): void {
    this.#plans.clear();
    this.#links.clear();
    this.#files.clear();
    this.structures =
      this.plans =
      this.links =
      this.files =
        0;
  }

  /** Stages structure number `id`: its plans and its links. */
  structure(id: number, st: Readonly<StructureRead>): void {
    this.structures++;
    const plans = this.#plans;
    const fields = st.planFields;
    for (let plan = 0; plan < st.planCount; plan++) {
      plans.integer(id);
      for (let k = 0; k < PLAN_KEYS.length; k++) {
        plans.byte(SEPARATOR);
        const at = (plan * PLAN_KEYS.length + k) * 3;
        if (fields[at + 2] === PlanField.Plain) plans.copy(st.bytes, fields[at]!, fields[at + 1]!);
        else plans.text(planField(st, plan, k));
      }
      plans.endRow();
    }
    this.plans += st.planCount;
    const ids = st.fileIds;
    if (ids.length === 0) return;
    const links = this.#links;
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
    const files = this.#files;
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
    const files = this.#files;
    files.integer(f.id);
    files.byte(SEPARATOR);
    files.byte(FILE_KIND[f.kind]);
    for (const value of [f.key, f.url, f.host, f.fileName, f.description]) {
      files.byte(SEPARATOR);
      files.text(value);
    }
    files.endRow();
    this.files++;
  }
}

/** The blocks of a batch, by the table they fill. */
export type StagedTable = "plans" | "links" | "files";

/** A staged value as text (the CSV reader makes 0x02 null). */
function value(v: string): string {
  return `CASE WHEN starts_with(${v}, chr(1)) THEN json_extract_string(${v}[2:], '$') ELSE ${v} END`;
}

/** Bytes DuckDB's CSV reader reads at a time (more for longer rows). */
const CSV_BUFFER = 4 << 20;

/** Enum values are compared without surrounding whitespace and case. */
const SPACES = "' ' || chr(9) || chr(10) || chr(13)";

const COLUMNS: Record<StagedTable, string[]> = {
  plans: ["s BIGINT", "n VARCHAR", "i VARCHAR", "t VARCHAR", "m VARCHAR"],
  links: ["s BIGINT", "f VARCHAR"],
  files: ["f BIGINT", "k VARCHAR", "u VARCHAR", "l VARCHAR", "h VARCHAR", "n VARCHAR", "d VARCHAR"],
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
  switch (table) {
    case "plans":
      return `INSERT INTO raw.tic_plans (index_id, structure_id, plan_name, plan_id, plan_id_type, plan_market_type)
        SELECT ${indexId}, s, ${value("n")}, ${value("i")},
          lower(trim(${value("t")}, ${SPACES})), lower(trim(${value("m")}, ${SPACES}))
        FROM ${source};`;
    case "links":
      return `INSERT INTO raw.tic_plan_files (index_id, structure_id, file_id)
        SELECT ${indexId}, s, unnest(string_split(f, ',')::BIGINT[]) FROM ${source};`;
    case "files":
      return `INSERT INTO raw.tic_files (index_id, file_id, kind, url_key, url, host, file_name, description)
        SELECT ${indexId}, f, CASE k WHEN '0' THEN 'in_network' ELSE 'allowed_amount' END,
          ${value("u")}, ${value("l")}, ${value("h")}, ${value("n")}, ${value("d")}
        FROM ${source};`;
  }
}
