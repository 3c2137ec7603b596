/**
 * The definitions of every table wharf itself creates in a warehouse, as
 * the current schema version has them: name, columns (in table order),
 * types and meaning. See `warehouse_schema.ts` for how they are created and
 * how an older warehouse is brought to them.
 *
 * @module
 */

/**
 * The tables that are created together, by the command that first needs
 * them: `landing` by `land` (and uploads), `runs` by `build`/`run`/`seed`/`run-operation`/
 * `test`, `tic` by `tic` and `tic lookup`, `npi` by `enrich npi`. A group
 * not needed yet is not created: models that read its tables are skipped
 * as "not landed" until then.
 */
export type TableGroup = "landing" | "runs" | "tic" | "npi";

/** One column of a table of wharf's. */
export interface ColumnDefinition {
  name: string;
  /** DuckDB type, e.g. `BIGINT`, `TIMESTAMPTZ`. */
  type: string;
  /** `NOT NULL` or `PRIMARY KEY`, if any. */
  constraint?: "NOT NULL" | "PRIMARY KEY";
  /** What the column holds. */
  doc: string;
}

/** One table of wharf's. */
export interface TableDefinition {
  schema: "wharf" | "raw";
  name: string;
  /** The group it is created with; `schema_version` belongs to every group. */
  group: TableGroup | "all";
  /** What a row is. */
  doc: string;
  /** In table order: appenders write rows in this order. */
  columns: readonly ColumnDefinition[];
}

const col = (
  name: string,
  type: string,
  doc: string,
  constraint?: ColumnDefinition["constraint"],
): ColumnDefinition => (constraint ? { name, type, constraint, doc } : { name, type, doc });

/** Every table wharf creates, with its columns in table order. */
export const TABLES: readonly TableDefinition[] = [
  {
    schema: "wharf",
    name: "schema_version",
    group: "all",
    doc: "One row per migration applied to the warehouse (or known when wharf created it)",
    columns: [
      col(
        "version",
        "INTEGER",
        "the migration's number; the highest is the warehouse's version",
        "PRIMARY KEY",
      ),
      col("name", "VARCHAR", "the migration's name", "NOT NULL"),
      col("applied_at", "TIMESTAMPTZ", "when it was applied", "NOT NULL"),
    ],
  },
  {
    schema: "wharf",
    name: "files",
    group: "landing",
    doc: "The landing manifest: one row per file landed, or per failed attempt",
    columns: [
      col(
        "batch_id",
        "BIGINT",
        "the landing's batch (`wharf.batch_ids`), also `_batch_id` of its rows",
        "NOT NULL",
      ),
      col("source", "VARCHAR", "the source the file landed as", "NOT NULL"),
      col("path", "VARCHAR", "the file as the user named it (path or URL)", "NOT NULL"),
      col("file_name", "VARCHAR", "its name", "NOT NULL"),
      col("raw_table", "VARCHAR", "the raw table it landed in, `raw.<table>`"),
      col("size", "BIGINT", "bytes"),
      col("sha256", "VARCHAR", "SHA-256 of the bytes landed"),
      col("status", "VARCHAR", "landed or failed", "NOT NULL"),
      col("format", "VARCHAR", "csv, json, ndjson or xlsx"),
      col("encoding", "VARCHAR", "utf-8 or windows-1252 (latin-1 in rows of older versions)"),
      col("delimiter", "VARCHAR", "the delimiter of delimited text"),
      col("rows", "BIGINT", "rows landed"),
      col("rejected_rows", "BIGINT", "records sent to `wharf.rejects`"),
      col("error", "VARCHAR", "why it failed"),
      col("columns", "JSON", "the delivered headers and the columns they became"),
      col(
        "groups",
        "JSON",
        "the delivery fields (the source pattern's groups): from the file name, or given beside it (`--field`, an upload's query), then part of its identity",
      ),
      col("delivered_at", "TIMESTAMPTZ", "the delivery time the file name gives (UTC)"),
      col("started_at", "TIMESTAMPTZ", "when its landing started", "NOT NULL"),
      col("ended_at", "TIMESTAMPTZ", "when it ended", "NOT NULL"),
      col("duration_ms", "DOUBLE", "how long it took", "NOT NULL"),
      col("note", "VARCHAR", "a remark, e.g. `same content as <file> (batch N)`"),
    ],
  },
  {
    schema: "wharf",
    name: "rejects",
    group: "landing",
    doc: "Records of landed files that could not be read as rows",
    columns: [
      col("batch_id", "BIGINT", "the landing's batch", "NOT NULL"),
      col("source", "VARCHAR", "the file's source", "NOT NULL"),
      col("file", "VARCHAR", "the file as the user named it", "NOT NULL"),
      col("line", "BIGINT", "the line (or row, or element) where the record starts"),
      col("byte_offset", "BIGINT", "its offset in the decompressed text"),
      col("error", "VARCHAR", "what is wrong with it", "NOT NULL"),
      col("original", "VARCHAR", "its text (the first 64 KB)"),
      col(
        "fields",
        "JSON",
        'delimited text: the fields the line still splits into, by the header\'s columns in order (`{"id": "17", "name": "Ann", …}`: past a missing field the positions are off); NULL when it does not split or is no delimited text',
      ),
    ],
  },
  {
    schema: "wharf",
    name: "runs",
    group: "runs",
    doc: "The run log: one row per build, run, seed, test or run-operation",
    columns: [
      col("run_id", "VARCHAR", "the run's id", "PRIMARY KEY"),
      col("command", "VARCHAR", "build, run, seed, test or run-operation", "NOT NULL"),
      col("args", "VARCHAR", "its selection and options"),
      col("started_at", "TIMESTAMPTZ", "when it started", "NOT NULL"),
      col("ended_at", "TIMESTAMPTZ", "when it ended (NULL while running, or if it died)"),
      col("status", "VARCHAR", "success or error; interrupted when it never recorded its end"),
      col("nodes", "INTEGER", "nodes it ran"),
      col("errors", "INTEGER", "nodes that errored or failed"),
    ],
  },
  {
    schema: "wharf",
    name: "run_results",
    group: "runs",
    doc: "One row per node of a run",
    columns: [
      col("run_id", "VARCHAR", "the run (`wharf.runs`)", "NOT NULL"),
      col("node_id", "VARCHAR", "the node, e.g. `model.staging.stg_members`", "NOT NULL"),
      col("node_type", "VARCHAR", "seed, model or test", "NOT NULL"),
      col("status", "VARCHAR", "success, error, skipped, pass, fail or warn", "NOT NULL"),
      col("started_at", "TIMESTAMPTZ", "when the node started", "NOT NULL"),
      col("ended_at", "TIMESTAMPTZ", "when it ended", "NOT NULL"),
      col("duration_ms", "DOUBLE", "how long it took", "NOT NULL"),
      col("rows", "BIGINT", "rows built, or failing rows of a test"),
      col("message", "VARCHAR", "the error or the reason it was skipped"),
      col("compiled_path", "VARCHAR", "the SQL that ran, under `target/run/`"),
      col("rejected_rows", "BIGINT", "rows a checked model quarantined"),
      col("check_counts", "JSON", "rows failing each reject check"),
      col("nullified_values", "BIGINT", "values nullify checks set to NULL"),
      col("nullified_counts", "JSON", "values set to NULL per nullify check"),
    ],
  },
  {
    schema: "wharf",
    name: "deferred_relations",
    group: "runs",
    doc:
      "The relations `--defer` copied from a state's warehouse and no run has built here since: one row per copy",
    columns: [
      col(
        "relation",
        "VARCHAR",
        "the copy in this warehouse, as the run names it (`marts.customers`)",
        "PRIMARY KEY",
      ),
      col("state", "VARCHAR", "the `--state` folder of the run that copied it", "NOT NULL"),
      col(
        "state_warehouse",
        "VARCHAR",
        "the warehouse it was copied from (the one that state's run_results.json names)",
        "NOT NULL",
      ),
      col(
        "state_relation",
        "VARCHAR",
        "the relation copied there, as the state's manifest names it",
        "NOT NULL",
      ),
      col("run_id", "VARCHAR", "the run that copied it (`wharf.runs`)", "NOT NULL"),
      col("copied_at", "TIMESTAMPTZ", "when it was copied", "NOT NULL"),
      col("rows", "BIGINT", "rows copied"),
    ],
  },
  {
    schema: "wharf",
    name: "npi_ledger",
    group: "npi",
    doc: "Where each NPI enrichment stands: one row per NPI ever listed",
    columns: [
      col("npi", "VARCHAR", "the NPI", "PRIMARY KEY"),
      col("state", "VARCHAR", "pending, enriched, not_found, invalid or failed", "NOT NULL"),
      col("attempts", "INTEGER", "requests made for it", "NOT NULL"),
      col("retryable", "BOOLEAN", "whether a failure may succeed if tried again"),
      col("last_error", "VARCHAR", "the last error"),
      col("http_status", "INTEGER", "the last HTTP status"),
      col("updated_at", "TIMESTAMPTZ", "when the row last changed", "NOT NULL"),
    ],
  },
  {
    schema: "raw",
    name: "npi_responses",
    group: "npi",
    doc: "Every registry answer kept whole",
    columns: [
      col("npi", "VARCHAR", "the NPI asked for"),
      col("fetched_at", "TIMESTAMPTZ", "when the answer came"),
      col("http_status", "INTEGER", "its HTTP status"),
      col("body", "JSON", "the body as the registry sent it"),
    ],
  },
  {
    schema: "raw",
    name: "tic_indexes",
    group: "tic",
    doc: "One row per Transparency-in-Coverage index read",
    columns: [
      col("index_id", "BIGINT", "the index (from `wharf.batch_ids`)"),
      col("source", "VARCHAR", "the path or URL read"),
      col("status", "VARCHAR", "running, complete, failed or duplicate"),
      col("reporting_entity_name", "VARCHAR", "as the index gives it"),
      col("reporting_entity_type", "VARCHAR", "lower-cased"),
      col("version", "VARCHAR", "the schema version the index declares"),
      col("sha256", "VARCHAR", "SHA-256 of the bytes read"),
      col("compressed_bytes", "BIGINT", "bytes read"),
      col("bytes", "BIGINT", "bytes of JSON (decompressed)"),
      col("elements", "BIGINT", "reporting structures"),
      col("plans", "BIGINT", "plans"),
      col("files", "BIGINT", "distinct files"),
      col("links", "BIGINT", "plan-to-file references"),
      col("error", "VARCHAR", "why it failed (with the byte offset), or whose duplicate it is"),
      col("started_at", "TIMESTAMPTZ", "when reading started"),
      col("ended_at", "TIMESTAMPTZ", "when it ended"),
      col(
        "rows_removed",
        "BOOLEAN",
        "for an index that did not land: whether its rows are removed yet",
      ),
      col("last_updated_on", "VARCHAR", "as the index gives it (schema v2: YYYY-MM-DD)"),
    ],
  },
  {
    schema: "raw",
    name: "tic_plans",
    group: "tic",
    doc: "Plans per reporting structure",
    columns: [
      col("index_id", "BIGINT", "the index"),
      col("structure_id", "BIGINT", "the reporting structure, by position"),
      col("plan_name", "VARCHAR", "as written"),
      col("plan_id", "VARCHAR", "as written"),
      col("plan_id_type", "VARCHAR", "ein or hios, lower-cased"),
      col("plan_market_type", "VARCHAR", "group or individual, lower-cased"),
      col("plan_sponsor_name", "VARCHAR", "as written (schema v2; required for EIN plans)"),
      col("issuer_name", "VARCHAR", "as written (schema v2)"),
    ],
  },
  {
    schema: "raw",
    name: "tic_files",
    group: "tic",
    doc: "One row per distinct in-network or allowed-amount file of an index",
    columns: [
      col("index_id", "BIGINT", "the index"),
      col("file_id", "BIGINT", "the file within the index"),
      col("kind", "VARCHAR", "in_network or allowed_amount"),
      col(
        "url_key",
        "VARCHAR",
        "the URL's path without scheme, host and query: what files are deduplicated by",
      ),
      col("url", "VARCHAR", "the first full URL seen"),
      col("host", "VARCHAR", "its host"),
      col("file_name", "VARCHAR", "the last segment of the path"),
      col("description", "VARCHAR", "as the index gives it"),
    ],
  },
  {
    schema: "raw",
    name: "tic_plan_files",
    group: "tic",
    doc: "Which reporting structure points at which file",
    columns: [
      col("index_id", "BIGINT", "the index"),
      col("structure_id", "BIGINT", "the reporting structure"),
      col("file_id", "BIGINT", "the file (`raw.tic_files`)"),
    ],
  },
  {
    schema: "raw",
    name: "tic_lookups",
    group: "tic",
    doc: "One row per per-EIN lookup landed that added entries",
    columns: [
      col("lookup_id", "BIGINT", "the lookup (from `wharf.batch_ids`)"),
      col("source", "VARCHAR", "the path or URL read"),
      col("ein", "VARCHAR", "the EIN, nine digits"),
      col("lastupdated", "VARCHAR", "as the lookup gives it"),
      col("sha256", "VARCHAR", "SHA-256 of its bytes"),
      col("entries", "BIGINT", "entries in the file"),
      col("added", "BIGINT", "entries not landed before"),
      col("landed_at", "TIMESTAMPTZ", "when it landed"),
    ],
  },
  {
    schema: "raw",
    name: "tic_lookup_files",
    group: "tic",
    doc: "One row per entry of a lookup",
    columns: [
      col("lookup_id", "BIGINT", "the lookup"),
      col("ein", "VARCHAR", "its EIN"),
      col("lastupdated", "VARCHAR", "its lastupdated"),
      col("section", "VARCHAR", "the section, e.g. `In-Network Negotiated Rates Files`"),
      col("entry", "BIGINT", "the position in the section"),
      col("url", "VARCHAR", "the URL"),
      col("url_key", "VARCHAR", "the URL's key, as `raw.tic_files` keys it"),
      col("host", "VARCHAR", "its host"),
      col("file_name", "VARCHAR", "the last segment of its path"),
      col("displayname", "VARCHAR", "as the lookup gives it"),
    ],
  },
];

/** The sequence batches, TiC indexes and lookups take their ids from. */
const BATCH_IDS = "wharf.batch_ids";

/** Which schemas and sequences each group needs besides its tables. */
export const GROUP_OBJECTS: Readonly<Record<TableGroup, readonly string[]>> = {
  landing: [
    "CREATE SCHEMA IF NOT EXISTS raw",
    `CREATE SEQUENCE IF NOT EXISTS ${BATCH_IDS} START 1`,
  ],
  runs: ["CREATE SCHEMA IF NOT EXISTS wharf_failures"],
  tic: ["CREATE SCHEMA IF NOT EXISTS raw", `CREATE SEQUENCE IF NOT EXISTS ${BATCH_IDS} START 1`],
  npi: ["CREATE SCHEMA IF NOT EXISTS raw"],
};

/**
 * The lineage columns wharf adds to every landed raw table, in table order:
 * `_batch_id`, `_file`, `_row_number`, `_landed_at`, then `_<field>` for
 * each field of the source's file-name pattern (VARCHAR), then
 * `_delivered_at` when the pattern gives a delivery time. Data columns
 * (VARCHAR) follow, as the deliveries bring them.
 *
 * @param fields the pattern's groups, `delivered_at` aside
 * @param delivered whether the file name gives a delivery time
 */
export function lineageColumns(
  fields: readonly string[],
  delivered: boolean,
): ColumnDefinition[] {
  return [
    col("_batch_id", "BIGINT", "the landing's batch (`wharf.files.batch_id`)"),
    col("_file", "VARCHAR", "the file as the user named it (path or URL)"),
    col(
      "_row_number",
      "BIGINT",
      "the line where the record starts, the row in the sheet, the element of a JSON array",
    ),
    col("_landed_at", "TIMESTAMPTZ", "when the file landed"),
    ...fields.map((f) => col(`_${f}`, "VARCHAR", `the file name's ${f}`)),
    ...(delivered
      ? [col("_delivered_at", "TIMESTAMPTZ", "the delivery time of the file name (UTC)")]
      : []),
  ];
}
