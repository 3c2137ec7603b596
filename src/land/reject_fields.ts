/**
 * The fields a rejected line of delimited text still gives, best effort:
 * what `wharf.rejects.fields` records, so that models can tell whose line
 * was rejected (a member's, a visit's) and no older row stands in for it.
 *
 * @module
 */
import { firstRecord } from "./formats/csv.ts";

/**
 * The fields of a rejected record's `text`, split by `delimiter` (quotes
 * honored) and matched to the header's `columns` by position, as JSON
 * (`{"member_id": "42711784", …}`): a line with missing columns gives its
 * first fields, one with too many the first `columns.length`. Positions
 * past a missing field in the middle are off, so only fields a model can
 * check (an id) should be trusted. Null when the text does not split (a
 * quote never closed).
 *
 * @param text the record as delivered (`RejectedLine.text`)
 * @param delimiter the file's delimiter
 * @param columns the columns the header became, in header order
 * @returns JSON of column → delivered text, or null
 * @example
 * ```ts
 * import { rejectFields } from "./reject_fields.ts";
 * rejectFields("1,Ann", ",", ["id", "name", "city"]); // '{"id":"1","name":"Ann"}'
 * ```
 */
export function rejectFields(
  text: string,
  delimiter: string,
  columns: readonly string[],
): string | null {
  const record = firstRecord(text, delimiter);
  if (record === undefined) return null;
  const fields: Record<string, string> = {};
  record.fields.slice(0, columns.length).forEach((v, i) => fields[columns[i]!] = v);
  return JSON.stringify(fields);
}
