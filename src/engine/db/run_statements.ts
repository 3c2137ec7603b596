/**
 * Runs SQL text as DuckDB splits it (one or more statements, in order) and
 * hands each statement's rows over in batches, every value converted without
 * loss into a plain {@linkcode SqlValue}: the formatting of `wharf sql` needs
 * no DuckDB.
 *
 * @module
 */
import {
  type DuckDBConnection,
  type DuckDBListValue,
  type DuckDBMapValue,
  type DuckDBStructValue,
  type DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBUnionValue,
  type DuckDBValue,
  ResultReturnType,
  StatementType,
} from "./duckdb.ts";
import { SqlError } from "../errors.ts";
import { readAll } from "./read_all.ts";

/**
 * One value of a query result, converted from DuckDB without loss:
 *
 * - `null` is SQL NULL; `true`/`false` a BOOLEAN; a string a VARCHAR or ENUM,
 *   as stored;
 * - `{ number }`: any numeric type, with DuckDB's digits (`"12.50"` for a
 *   DECIMAL(18,2), `"9007199254740993"` for a BIGINT; `"nan"`, `"inf"`,
 *   `"-inf"` for floating point);
 * - `{ json }`: a value of type JSON (its JSON text);
 * - `{ text }`: a value DuckDB writes as text: dates, times, timestamps
 *   (with time zone: in the session's `TimeZone`, as DuckDB casts them to
 *   VARCHAR), intervals, UUIDs, BLOBs (`\x00\xFF`), bit strings;
 * - an array: a LIST or ARRAY; `{ struct }`: a STRUCT's fields in order;
 *   `{ pairs }`: a MAP's entries (key, value).
 */
export type SqlValue =
  | null
  | boolean
  | string
  | { readonly number: string }
  | { readonly json: string }
  | { readonly text: string }
  | readonly SqlValue[]
  | { readonly struct: readonly (readonly [string, SqlValue])[] }
  | { readonly pairs: readonly (readonly [SqlValue, SqlValue])[] };

/** What one statement gave: see {@linkcode runStatements}. */
export interface StatementResult {
  /** 1-based position of the statement in the input. */
  index: number;
  /** How many statements the input holds. */
  count: number;
  /** DuckDB's statement type: `SELECT`, `CREATE`, `INSERT`, `SET`, … */
  statementType: string;
  /**
   * `rows`: a query result (SELECT, DESCRIBE, EXPLAIN, PRAGMA …);
   * `changed`: INSERT, UPDATE, DELETE (see `rowsChanged`); `nothing`: the rest.
   */
  kind: "rows" | "changed" | "nothing";
  /** Rows inserted, updated or deleted. */
  rowsChanged: number;
  /** Column names, as DuckDB gives them (they may repeat). */
  columns: string[];
  /** Column names made unique (`a`, `a:1`), e.g. for JSON keys. */
  keys: string[];
  /** DuckDB type names (`DECIMAL(18,2)`, `TIMESTAMP WITH TIME ZONE`, `JSON`). */
  types: string[];
  /**
   * The rows, in batches as DuckDB produces them; read them before asking
   * for the next statement. Errors while reading are {@linkcode SqlError}s.
   */
  batches: AsyncIterable<SqlValue[][]>;
}

/**
 * Runs each statement of `sql` on `connection` in order, yielding its result
 * before the next one starts (DuckDB's own parser splits the input, so a
 * statement may use what an earlier one created). An input with no statement
 * (blank, only comments) yields nothing.
 *
 * @throws {SqlError} with DuckDB's message when the input does not parse
 * (nothing runs) or a statement fails (the ones before it ran, the ones after
 * it do not).
 */
export async function* runStatements(
  connection: DuckDBConnection,
  sql: string,
): AsyncGenerator<StatementResult> {
  let extracted;
  try {
    extracted = await connection.extractStatements(sql);
  } catch (err) {
    const message = messageOf(err);
    // DuckDB extracts no statement from blank or comment-only input and says only this.
    if (message === "Error in native callback") return;
    throw new SqlError(message.replace(/^Failed to extract statements: /, ""), {
      cause: err,
    });
  }
  const count = extracted.count;
  for (let index = 1; index <= count; index++) {
    const fail = (err: unknown) =>
      new SqlError(messageOf(err), { cause: err, statement: index, statements: count });
    let result;
    let zone: string | undefined;
    try {
      const prepared = await extracted.prepare(index - 1);
      const types = Array.from({ length: prepared.columnCount }, (_, i) => prepared.columnType(i));
      if (types.some(hasZonedTimestamp)) {
        const reader = await readAll(connection, "select current_setting('TimeZone')");
        zone = String(reader.getRows()[0]?.[0]);
      }
      result = await prepared.stream();
    } catch (err) {
      throw fail(err);
    }
    const types = result.columnTypes();
    const convert = valueConverter(zone);
    const stream = result;
    yield {
      index,
      count,
      statementType: StatementType[result.statementType] ?? "UNKNOWN",
      kind: result.returnType === ResultReturnType.QUERY_RESULT
        ? "rows"
        : result.returnType === ResultReturnType.CHANGED_ROWS
        ? "changed"
        : "nothing",
      rowsChanged: result.rowsChanged,
      columns: result.columnNames(),
      keys: result.deduplicatedColumnNames(),
      types: types.map((t) => t.alias ?? String(t)),
      batches: {
        async *[Symbol.asyncIterator]() {
          try {
            for await (const rows of stream.yieldRows()) {
              yield rows.map((row) => row.map((v, i) => convert(v, types[i]!)));
            }
          } catch (err) {
            throw fail(err);
          }
        },
      },
    };
  }
}

function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/^Error: /, "");
}

function hasZonedTimestamp(type: DuckDBType): boolean {
  switch (type.typeId) {
    case DuckDBTypeId.TIMESTAMP_TZ:
      return true;
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return hasZonedTimestamp(type.valueType);
    case DuckDBTypeId.MAP:
      return hasZonedTimestamp(type.keyType) || hasZonedTimestamp(type.valueType);
    case DuckDBTypeId.STRUCT:
      return type.entryTypes.some(hasZonedTimestamp);
    case DuckDBTypeId.UNION:
      return type.memberTypes.some(hasZonedTimestamp);
    default:
      return false;
  }
}

/** Converts DuckDB values of a given type, with TIMESTAMPTZ written in `zone`. */
function valueConverter(zone: string | undefined): (v: DuckDBValue, t: DuckDBType) => SqlValue {
  const offsets = zone ? zoneOffsets(zone) : undefined;
  const convert = (v: DuckDBValue, t: DuckDBType): SqlValue => {
    if (v === null) return null;
    switch (t.typeId) {
      case DuckDBTypeId.BOOLEAN:
        return v as boolean;
      case DuckDBTypeId.VARCHAR:
        return t.alias === "JSON" ? { json: v as string } : v as string;
      case DuckDBTypeId.ENUM:
        return v as string;
      case DuckDBTypeId.TINYINT:
      case DuckDBTypeId.SMALLINT:
      case DuckDBTypeId.INTEGER:
      case DuckDBTypeId.BIGINT:
      case DuckDBTypeId.HUGEINT:
      case DuckDBTypeId.UTINYINT:
      case DuckDBTypeId.USMALLINT:
      case DuckDBTypeId.UINTEGER:
      case DuckDBTypeId.UBIGINT:
      case DuckDBTypeId.UHUGEINT:
      case DuckDBTypeId.BIGNUM:
      case DuckDBTypeId.DECIMAL:
        return { number: String(v) };
      case DuckDBTypeId.FLOAT:
        return { number: floatText(v as number, true) };
      case DuckDBTypeId.DOUBLE:
        return { number: floatText(v as number, false) };
      case DuckDBTypeId.TIMESTAMP_TZ:
        return { text: zonedText(v as DuckDBTimestampTZValue, offsets) };
      case DuckDBTypeId.LIST:
      case DuckDBTypeId.ARRAY:
        return (v as DuckDBListValue).items.map((item) => convert(item, t.valueType));
      case DuckDBTypeId.STRUCT: {
        const entries = (v as DuckDBStructValue).entries;
        return {
          struct: t.entryNames.map((
            name,
            i,
          ) => [name, convert(entries[name] ?? null, t.entryTypes[i]!)]),
        };
      }
      case DuckDBTypeId.MAP:
        return {
          pairs: (v as DuckDBMapValue).entries.map(({ key, value }) => [
            convert(key, t.keyType),
            convert(value, t.valueType),
          ]),
        };
      case DuckDBTypeId.UNION: {
        const u = v as DuckDBUnionValue;
        const member = t.memberTypes[t.tagMemberIndexes[u.tag] ?? -1];
        return member ? convert(u.value, member) : { text: String(u.value) };
      }
      case DuckDBTypeId.SQLNULL:
        return null;
      default:
        return { text: String(v) };
    }
  };
  return convert;
}

/** Floating point as DuckDB writes it: shortest digits of its own width, `nan`, `inf`. */
function floatText(n: number, single: boolean): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (!single) return String(n);
  for (let digits = 1; digits < 17; digits++) {
    const text = String(Number(n.toPrecision(digits)));
    if (Math.fround(Number(text)) === n) return text;
  }
  return String(n);
}

/** The UTC offset of `zone` (in seconds) at an instant, from the platform's time zone data. */
function zoneOffsets(zone: string): ((ms: number) => number) | undefined {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
  } catch {
    return undefined;
  }
  return (ms) => {
    const name = format.formatToParts(ms).find((p) => p.type === "timeZoneName")?.value ?? "";
    const m = /GMT([+-])(\d\d):(\d\d)(?::(\d\d))?/.exec(name);
    if (!m) return 0;
    const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
    return m[1] === "-" ? -seconds : seconds;
  };
}

const MAX_DATE_MS = 8.64e15;

/**
 * A TIMESTAMPTZ as DuckDB casts it to VARCHAR in the session's time zone:
 * `2024-07-01 08:00:00-04`, `2024-01-01 17:30:00.5+05:30`.
 */
function zonedText(v: DuckDBTimestampTZValue, offsets?: (ms: number) => number): string {
  const ms = Number(v.micros / 1000n);
  if (!offsets || !v.isFinite || Math.abs(ms) > MAX_DATE_MS) return v.toString();
  const offset = offsets(ms);
  const local = new DuckDBTimestampValue(v.micros + BigInt(offset) * 1_000_000n).toString();
  const abs = Math.abs(offset);
  const parts = [Math.floor(abs / 3600), Math.floor(abs / 60) % 60, abs % 60];
  const shown = parts[2] ? parts : parts[1] ? parts.slice(0, 2) : parts.slice(0, 1);
  return `${local}${offset < 0 ? "-" : "+"}${
    shown.map((p) => String(p).padStart(2, "0")).join(":")
  }`;
}
